"""29 Next (Next Commerce) Admin API adapter for storebridge.

Connect with ``storebridge.connect("29next", store="acme", access_token=TOKEN)``; see
``docs/platforms/29next.md`` for settings, costs and deviations.
"""

from storebridge_29next._adapter import TwentyNineNextAdapter
from storebridge_29next._converter import make_converter
from storebridge_29next._fulfillment import (
    HOLD_REASONS,
    AvailableLocation,
    FulfillmentRequestResult,
    MoveResult,
)
from storebridge_29next._settings import (
    API_VERSIONS,
    DEFAULT_API_VERSION,
    LEGACY_API_VERSION,
    VERSION_HEADER,
    TwentyNineNextSettings,
)
from storebridge_29next._webhooks import (
    SIGNATURE_HEADER,
    sign_webhook,
    verify_webhook_signature,
    webhook_signature,
)
from storebridge_29next.emulator import TwentyNineNextEmulator, TwentyNineNextOptions

__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "HOLD_REASONS",
    "LEGACY_API_VERSION",
    "SIGNATURE_HEADER",
    "VERSION_HEADER",
    "AvailableLocation",
    "FulfillmentRequestResult",
    "MoveResult",
    "TwentyNineNextAdapter",
    "TwentyNineNextEmulator",
    "TwentyNineNextOptions",
    "TwentyNineNextSettings",
    "make_converter",
    "sign_webhook",
    "verify_webhook_signature",
    "webhook_signature",
]
