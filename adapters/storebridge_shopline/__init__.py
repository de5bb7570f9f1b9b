"""SHOPLINE for storebridge (``{handle}.myshopline.com``, Admin REST API).

Connect with ``storebridge.connect("shopline", handle=..., access_token=..., app_key=...,
app_secret=..., token_expires_at=...)``; see ``docs/platforms/shopline.md``. This is not
the older SHOPLINE product at ``open.shopline.io``.
"""

from storebridge_shopline._adapter import ShoplineAdapter
from storebridge_shopline._auth import PrivateAppAuth
from storebridge_shopline._errors import RequestBlocked, RiskyContent, StoreFrozen, StoreLocked
from storebridge_shopline._oauth import (
    ShoplineRefresher,
    authorize_url,
    exchange_code,
    parse_token_response,
    verify_callback,
)
from storebridge_shopline._paging import PAGE_CAPS
from storebridge_shopline._settings import ShoplineSettings
from storebridge_shopline._signing import sign_body, sign_query
from storebridge_shopline._versions import DEFAULT_VERSION, KNOWN_VERSIONS
from storebridge_shopline._webhooks import sign_webhook, verify_webhook, verify_webhook_request
from storebridge_shopline.emulator import ShoplineEmulator, sandbox

__all__ = [
    "DEFAULT_VERSION",
    "KNOWN_VERSIONS",
    "PAGE_CAPS",
    "PrivateAppAuth",
    "RequestBlocked",
    "RiskyContent",
    "ShoplineAdapter",
    "ShoplineEmulator",
    "ShoplineRefresher",
    "ShoplineSettings",
    "StoreFrozen",
    "StoreLocked",
    "authorize_url",
    "exchange_code",
    "parse_token_response",
    "sandbox",
    "sign_body",
    "sign_query",
    "sign_webhook",
    "verify_callback",
    "verify_webhook",
    "verify_webhook_request",
]
