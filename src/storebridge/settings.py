"""Validating adapter settings at connect time, and keeping secrets out of sight.

An adapter declares its settings as an attrs class. :func:`parse_settings` builds it from the
keyword arguments given to :func:`storebridge.connect` and turns every problem into a
:class:`~storebridge.errors.ConfigurationError` that names the setting and says what to do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from storebridge.errors import ConfigurationError

S = TypeVar("S")


class Secret:
    """A credential whose repr and str never show it; call :meth:`reveal` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def secret_field(**kwargs: Any) -> Any:
    """An attrs field holding a :class:`Secret` (given as a plain str)."""
    return attrs.field(converter=_optional_secret, repr=False, **kwargs)


def _optional_secret(value: Any) -> Secret | None:
    return None if value is None else Secret(value)


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(value: str, *, setting: str = "base_url") -> str:
    """An absolute https URL, or plain http only for a loopback host (sandboxes, tests)."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{setting} must be a URL string", setting=setting)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{setting} must be an absolute URL like https://shop.example, got {value!r}",
            setting=setting,
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"{setting} uses plain http:// for {parts.hostname}; credentials would travel "
            "unencrypted. Use https://, or a loopback address (127.0.0.1, localhost) "
            "for a local sandbox.",
            setting=setting,
        )
    return value.rstrip("/")


def parse_settings(cls: type[S], given: Mapping[str, Any], *, platform: str) -> S:
    """Build settings class ``cls`` from ``given``, with errors naming the setting."""
    fields = {a.name: a for a in attrs.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise ConfigurationError(
            f"{platform} has no setting {unknown[0]!r}; accepted settings: "
            + ", ".join(sorted(fields)),
            setting=unknown[0],
        )
    missing = [
        name
        for name, a in fields.items()
        if a.default is attrs.NOTHING and name not in given and a.init
    ]
    if missing:
        raise ConfigurationError(f"{platform} needs the setting {missing[0]!r}", setting=missing[0])
    try:
        return cls(**given)
    except ConfigurationError:
        raise
    except (ValueError, TypeError) as exc:
        name = _guess_field(exc, fields)
        raise ConfigurationError(
            f"{platform} setting {name!r} is invalid: {exc}" if name else f"{platform}: {exc}",
            setting=name,
        ) from None


def _guess_field(exc: Exception, fields: Mapping[str, Any]) -> str | None:
    named = getattr(exc, "setting", None)
    if isinstance(named, str):
        return named
    text = str(exc)
    for name in fields:
        if f"'{name}'" in text or text.startswith(name):
            return name
    return None


class SettingError(ValueError):
    """Raised by settings validators to name the setting explicitly."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


__all__ = [
    "Secret",
    "SettingError",
    "check_base_url",
    "is_loopback_host",
    "parse_settings",
    "secret_field",
]
