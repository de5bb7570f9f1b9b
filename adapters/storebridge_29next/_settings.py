"""Connection settings for the 29 Next Admin API."""

from __future__ import annotations

import re

import attrs

from storebridge.errors import ConfigurationError
from storebridge.kit import Secret, SettingError, check_base_url, secret_field

DEFAULT_API_VERSION = "2024-04-01"
LEGACY_API_VERSION = "2023-02-10"
API_VERSIONS = (DEFAULT_API_VERSION, LEGACY_API_VERSION)
"""Versions this adapter speaks; behaviour differs between them for refunds, and the list
that holds a product's variants differs (:func:`variants_key`)."""


def variants_key(api_version: str | None) -> str:
    """The field that lists a product's variants on ``api_version`` (None: the default
    version), in answers and in create bodies alike: ``children`` on 2023-02-10,
    ``variants`` from 2024-04-01 on."""
    return "children" if api_version == LEGACY_API_VERSION else "variants"


VERSION_HEADER = "X-29next-API-Version"
"""Sent on every request with the configured ``api_version`` (the spec's spelling)."""

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _check_store(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SUBDOMAIN.match(value.strip().lower()):
        raise SettingError(
            "store",
            f"store must be the store's subdomain (the 'acme' in acme.29next.store), got {value!r}",
        )
    return value.strip().lower()


def _check_version(value: str) -> str:
    if value not in API_VERSIONS:
        raise SettingError(
            "api_version",
            f"api_version {value!r} is not supported; use one of: {', '.join(API_VERSIONS)}",
        )
    return value


def _optional_base_url(value: str | None) -> str | None:
    return None if value is None else check_base_url(value)


def _check_day_windows(value: object) -> bool:
    if not isinstance(value, bool):
        raise SettingError(
            "day_windows",
            f"day_windows must be true or false, got {value!r}",
        )
    return value


@attrs.frozen
class TwentyNineNextSettings:
    """``store`` (subdomain) or ``base_url``; an OAuth app ``access_token``; ``api_version``;
    ``webhook_secret``: the ``secret_key`` webhook subscriptions are created with and
    deliveries are verified against (optional); ``day_windows``: read whole listings in day
    windows side by side when enough requests are in flight (off by default: windows are
    exact only for lists kept in date order, and a store with back-dated orders is not;
    see the 29 Next platform page).

    ``base_url`` is the Admin API root, e.g. ``https://acme.29next.store/api/admin`` (a
    sandbox or proxy may use ``http://127.0.0.1:PORT/api/admin``).
    """

    access_token: Secret = secret_field(header_safe=True)  # sent in a header as it is
    store: str | None = attrs.field(default=None, converter=_check_store)
    base_url: str | None = attrs.field(default=None, converter=_optional_base_url)
    api_version: str = attrs.field(default=DEFAULT_API_VERSION, converter=_check_version)
    webhook_secret: Secret | None = secret_field(default=None)
    day_windows: bool = attrs.field(default=False, converter=_check_day_windows)

    def __attrs_post_init__(self) -> None:
        if self.store is None and self.base_url is None:
            raise ConfigurationError(
                "29next needs the setting 'store' (your store's subdomain, as in "
                "https://{store}.29next.store) or 'base_url'",
                setting="store",
            )
        if self.store is not None and self.base_url is not None:
            raise ConfigurationError(
                "29next takes either 'store' or 'base_url', not both", setting="base_url"
            )

    @property
    def api_root(self) -> str:
        """The Admin API root without a trailing slash."""
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        return f"https://{self.store}.29next.store/api/admin"


__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "LEGACY_API_VERSION",
    "VERSION_HEADER",
    "TwentyNineNextSettings",
]
