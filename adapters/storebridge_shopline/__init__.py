"""SHOPLINE for storebridge (``{handle}.myshopline.com``, Admin REST API).

Connect with ``storebridge.connect("shopline", handle=..., access_token=..., app_key=...,
app_secret=..., token_expires_at=...)``; see ``docs/platforms/shopline.md``. This is not
the older SHOPLINE product at ``open.shopline.io``.
"""

from storebridge_shopline.adapter import PAGE_CAPS, ShoplineAdapter
from storebridge_shopline.auth import PrivateAppAuth
from storebridge_shopline.emulator import ShoplineEmulator, sandbox
from storebridge_shopline.errors import RequestBlocked, RiskyContent, StoreFrozen, StoreLocked
from storebridge_shopline.oauth import (
    ShoplineRefresher,
    authorize_url,
    exchange_code,
    parse_token_response,
    verify_callback,
)
from storebridge_shopline.settings import ShoplineSettings
from storebridge_shopline.signing import sign_body, sign_query
from storebridge_shopline.versions import DEFAULT_VERSION, KNOWN_VERSIONS
from storebridge_shopline.webhooks import sign_webhook, verify_webhook, verify_webhook_request

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
