"""Connection settings for a 24Nettbutikk shop, validated at connect time."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from storebridge import validation
from storebridge.kit import Secret, SettingError, check_base_url, secret_field
from storebridge_24nettbutikk._paging import SHOP_PAGE_CAP

AuthStyle = Literal["basic", "basic_blank", "query"]
AUTH_STYLES: tuple[str, ...] = ("basic", "basic_blank", "query")
MAX_PAGE_SIZE = 10_000
"""No documented maximum; Airbyte's connector asks for 10 000 products at once (shops serve
at most :data:`~storebridge_24nettbutikk._paging.SHOP_PAGE_CAP` rows per page)."""


def _shop_url(value: Any) -> str:
    url = check_base_url(value)
    # People paste the API root they see in the docs; the API path is ours to add.
    for suffix in ("/api/v1", "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def _auth_style(_i: object, _a: attrs.Attribute[Any], value: str) -> None:
    if value not in AUTH_STYLES:
        raise SettingError(
            "auth_style",
            f"auth_style must be one of {', '.join(AUTH_STYLES)}; got {value!r}",
        )


def _time_zone(_i: object, _a: attrs.Attribute[Any], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            "time_zone", f"time_zone {value!r} is not an IANA zone name like 'Europe/Oslo'"
        ) from None


def _page_size(_i: object, _a: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise SettingError("page_size", f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}")


def _positive(name: str) -> Any:
    def check(_i: object, _a: attrs.Attribute[Any], value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise SettingError(name, f"{name} must be a positive number, got {value!r}")

    return check


def _not_negative(_i: object, _a: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SettingError("sync_overlap", "sync_overlap must be a number of seconds >= 0")


def _currency(value: Any) -> str:
    try:
        return validation.currency(value, "currency")
    except ValueError as exc:
        raise SettingError("currency", f"{exc} (the shop's ISO 4217 code, such as NOK)") from None


@attrs.frozen(kw_only=True)
class NettbutikkSettings:
    """Settings for :func:`storebridge.connect("24nettbutikk", ...)`.

    ``base_url`` is the shop's own domain (``https://shop.example``); the API lives under
    ``/api/v1`` there. ``token`` is the shop's API token from the admin panel.
    """

    base_url: str = attrs.field(converter=_shop_url)
    token: Secret = secret_field(header_safe=True)  # pasted with a space, it is still the token
    auth_style: str = attrs.field(default="basic", validator=_auth_style)
    """``basic``: token as user, password ``x-oauth-basic``; ``basic_blank``: blank password;
    ``query``: ``?access_token=`` (kept out of logs, errors and cassettes)."""
    time_zone: str = attrs.field(default="Europe/Oslo", validator=_time_zone)
    """The zone the shop's server writes ``modified_on`` in."""
    page_size: int = attrs.field(default=SHOP_PAGE_CAP, validator=_page_size)
    """Rows per list request; shops serve at most 50 however many are asked for."""
    requests_per_second: float = attrs.field(
        default=2.0, validator=_positive("requests_per_second")
    )
    burst: int = attrs.field(default=2, validator=_positive("burst"))
    sync_overlap: float = attrs.field(default=7200.0, validator=_not_negative)
    """Seconds by which incremental reads widen the server-side window (then filter exactly)."""
    currency: str = attrs.field(default="NOK", converter=_currency)
    """Currency assumed for an order whose ``currency`` field is blank, and for products."""
    join_customers: bool = True
    """Fill Order.email/customer/addresses from the order's customer (one request each)."""
    resolve_skus: bool = True
    """Fill OrderLine.sku from the product's article number (one request per product)."""
    head_check: bool = True
    """Ask ``HEAD`` for ``Last-Modified`` before an incremental read."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
