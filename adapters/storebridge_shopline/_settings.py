"""Connect settings for SHOPLINE, validated at ``storebridge.connect("shopline", ...)``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from storebridge.errors import ConfigurationError
from storebridge.kit import Secret, SettingError, TokenStore, check_base_url, secret_field
from storebridge_shopline._versions import DEFAULT_VERSION, KNOWN_VERSIONS

_HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _handle(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _HANDLE.match(value.strip().lower()):
        raise SettingError(
            "handle",
            f"handle must be the store's sub-domain (e.g. 'acme' for acme.myshopline.com), "
            f"got {value!r}",
        )
    return value.strip().lower()


def _base_url(value: str | None) -> str | None:
    return None if value is None else check_base_url(value)


def _version(value: str) -> str:
    if value not in KNOWN_VERSIONS:
        raise SettingError(
            "api_version",
            f"unknown SHOPLINE API version {value!r}; known versions: {', '.join(KNOWN_VERSIONS)}",
        )
    return value


def to_aware_datetime(value: Any) -> datetime | None:
    """An aware datetime from a datetime, ISO 8601 text, epoch seconds or milliseconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise SettingError(
                "token_expires_at",
                "token_expires_at must be timezone-aware (datetime(..., tzinfo=UTC)) "
                "or epoch seconds",
            )
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise SettingError(
                "token_expires_at",
                "token_expires_at is out of range; give epoch seconds (or milliseconds) of "
                "a real date, or an aware datetime",
            ) from None
    if isinstance(value, str):
        # Profiles in storebridge.toml carry the expiry as ISO 8601 text.
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return to_aware_datetime(parsed)
    raise SettingError(
        "token_expires_at", f"token_expires_at must be a datetime or epoch seconds, got {value!r}"
    )


def _leeway(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SettingError("refresh_leeway", "refresh_leeway must be seconds >= 0")
    return float(value)


def _token_store(value: Any) -> TokenStore | None:
    if value is not None and not isinstance(value, TokenStore):
        raise SettingError(
            "token_store", "token_store must have load(key) and save(key, token) methods"
        )
    return value


@attrs.frozen(kw_only=True)
class ShoplineSettings:
    """What ``storebridge.connect("shopline", ...)`` accepts.

    * ``handle`` (``acme`` for ``https://acme.myshopline.com``) or ``base_url``;
    * ``access_token``; for custom and public (OAuth) apps also ``app_key`` and
      ``app_secret``, so the 10-hour token can be refreshed, and ``token_expires_at``;
    * ``private_app=True`` for a private app's 3-year admin token (never refreshed);
    * ``token_store`` receives every refreshed token (default: in memory);
    * ``refresh_leeway``: refresh this many seconds before expiry (default 10 minutes);
    * ``api_version``; ``clock`` (epoch seconds) for sandboxes and tests.
    """

    handle: str | None = attrs.field(default=None, converter=_handle)
    base_url: str | None = attrs.field(default=None, converter=_base_url)
    access_token: Secret = secret_field(header_safe=True)
    app_key: str | None = None
    app_secret: Secret | None = secret_field(default=None)
    token_expires_at: datetime | None = attrs.field(default=None, converter=to_aware_datetime)
    token_store: TokenStore | None = attrs.field(default=None, converter=_token_store)
    refresh_leeway: float = attrs.field(default=600.0, converter=_leeway)
    api_version: str = attrs.field(default=DEFAULT_VERSION, converter=_version)
    private_app: bool = False
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False)

    def __attrs_post_init__(self) -> None:
        if (self.handle is None) == (self.base_url is None):
            raise ConfigurationError(
                "shopline needs exactly one of 'handle' (e.g. handle='acme' for "
                "acme.myshopline.com) or 'base_url'",
                setting="handle",
            )
        if not self.private_app:
            for name in ("app_key", "app_secret"):
                if not getattr(self, name):
                    raise ConfigurationError(
                        f"shopline needs {name!r} to refresh the 10-hour OAuth access token; "
                        "for a private app's admin token pass private_app=True instead "
                        "(private_app = true in a profile)",
                        setting=name,
                    )

    @property
    def root_url(self) -> str:
        """``https://{handle}.myshopline.com`` or the given base URL."""
        if self.base_url is not None:
            return self.base_url
        return f"https://{self.handle}.myshopline.com"


__all__ = ["ShoplineSettings", "to_aware_datetime"]
