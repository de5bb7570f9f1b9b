"""The SHOPLINE emulator's switches: app and store identity, token lifetimes, rate limit, and
the behaviours the notes could only infer."""

from __future__ import annotations

import attrs

from storebridge.sandbox.webhooks import WebhookOptions, webhook_options
from storebridge_shopline.emulator.tokens import TEN_HOURS, THREE_YEARS

__all__ = ["ShoplineOptions"]


@attrs.frozen(kw_only=True)
class ShoplineOptions:
    """Options (defaults follow the notes; inferred behaviour is marked), passed as keywords:
    ``ShoplineEmulator(size, currency="NOK")`` or ``ShoplineAdapter.sandbox(currency="NOK")``.

    * ``handle``: the store's handle (``{handle}.myshopline.com``); ``app_key`` /
      ``app_secret``: the app the emulator issues tokens to.
    * ``token_lifetime`` (10 h), ``refresh_grace`` (5 min), ``private_refresh_grace`` (30
      min), ``private_token_lifetime`` (3 years); the emulator's clock decides when tokens
      expire.
    * ``rate_limit``: True (4/s), False (off) or requests per second; ``bucket_size`` 40;
      ``retry_after_header`` (inferred; SHOPLINE documents no rate-limit headers) adds
      ``Retry-After`` to 429s.
    * ``default_order_status`` for lists that send no ``status`` (inferred: ``open``).
    * ``archived_in_plain_lists``: order lists without ``hidden_order`` hold archived orders
      too, and ``hidden_order=true`` lists every order (undocumented either way; default
      False: archived orders only with ``hidden_order=true``, those alone).
    * ``currency`` is the settlement currency (products are priced in it);
      ``enabled_currencies`` are the others orders may be placed in.
    * ``numeric_set_amounts``: amounts inside ``*_set`` objects as numbers (documented
      both ways).
    * ``token_error_status``: HTTP status of token-endpoint refusals (inferred: 200, with
      the error in the ``code``/``i18nCode`` envelope).
    * ``tolerate_brace_refresh_body``: accept a ``{}`` refresh body (inferred; the official
      SDKs send none).
    * ``min_refresh_interval``: refuse refreshes closer together than this with
      ``REQUEST_FREQUENTLY`` (inferred from third-party code; 0 disables).
    * ``webhooks``: how webhooks are delivered (retries, duplicates, an in-process
      transport; :class:`~storebridge.sandbox.webhooks.WebhookOptions` or a dict).
    """

    handle: str = "acme"
    app_key: str = "sandbox-app-key"
    app_secret: str = "sandbox-app-secret-0000"
    currency: str = "USD"
    enabled_currencies: tuple[str, ...] = attrs.field(
        default=("EUR", "GBP", "NOK", "SGD"), converter=tuple
    )
    token_lifetime: float = TEN_HOURS
    refresh_grace: float = 300.0
    private_refresh_grace: float = 1800.0
    private_token_lifetime: float = THREE_YEARS
    rate_limit: bool | float = True
    bucket_size: int = 40
    retry_after_header: bool = False
    default_order_status: str = "open"
    archived_in_plain_lists: bool = False
    numeric_set_amounts: bool = False
    token_error_status: int = 200
    tolerate_brace_refresh_body: bool = True
    min_refresh_interval: float = 0.0
    webhooks: WebhookOptions = attrs.field(default=None, converter=webhook_options)

    @property
    def per_second(self) -> float:
        """The rate limit in requests per second (0.0: off)."""
        return 4.0 if self.rate_limit is True else float(self.rate_limit or 0)
