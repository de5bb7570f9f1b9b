"""29 Next (Next Commerce) Admin API adapter for storebridge.

Connect with ``storebridge.connect("29next", store="acme", access_token=TOKEN)``; see
``docs/platforms/29next.md`` for settings, costs and deviations.
"""

from storebridge_29next.adapter import VERSION_HEADER, TwentyNineNextAdapter
from storebridge_29next.fulfillment import (
    HOLD_REASONS,
    AvailableLocation,
    FulfillmentRequestResult,
    MoveResult,
)
from storebridge_29next.settings import API_VERSIONS, DEFAULT_API_VERSION, TwentyNineNextSettings
from storebridge_29next.webhooks import (
    SIGNATURE_HEADER,
    sign_webhook,
    verify_webhook_signature,
    webhook_signature,
)

__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "HOLD_REASONS",
    "SIGNATURE_HEADER",
    "VERSION_HEADER",
    "AvailableLocation",
    "FulfillmentRequestResult",
    "MoveResult",
    "TwentyNineNextAdapter",
    "TwentyNineNextSettings",
    "sign_webhook",
    "verify_webhook_signature",
    "webhook_signature",
]
