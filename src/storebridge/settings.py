"""Validating adapter settings at connect time, and keeping secrets out of sight.

An adapter declares its settings as an attrs class. :func:`parse_settings` builds it from the
keyword arguments given to :func:`storebridge.connect` and turns every problem into a
:class:`~storebridge.errors.ConfigurationError` that names the setting and says what to do.

Those messages never echo a secret: a value given for a secret setting (declared with
:func:`secret_field`) is masked wherever it appears, and so is anything that looks like a
token in the other settings' values (a token pasted into ``store=`` by mistake).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

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


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def secret_field(*, header_safe: bool = False, **kwargs: Any) -> Any:
    """An attrs field holding a :class:`Secret` (given as a plain str).

    The value is never shown: not in reprs, nor in the error for a bad value, nor in any other
    setting's error. Control characters (a pasted line break) are refused. ``header_safe``:
    the value travels in an HTTP header as issued by the platform, so it must be visible
    ASCII; surrounding whitespace is dropped.
    """
    converter = attrs.Converter(_secret_converter(header_safe), takes_field=True)
    metadata = {**kwargs.pop("metadata", {}), "secret": True}
    return attrs.field(converter=converter, repr=False, metadata=metadata, **kwargs)


def _secret_converter(header_safe: bool) -> Any:
    def convert(value: Any, field: attrs.Attribute[Any]) -> Secret | None:
        if value is None:
            return None
        name = field.name
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str) or not value.strip():
            raise SettingError(
                name, f"{name} must be a non-empty string (got {type(value).__name__})"
            )
        if header_safe:
            value = value.strip()
        if _CONTROL_CHARACTERS.search(value):
            raise SettingError(
                name,
                f"{name} contains a control character (a line break or tab copied with it?); "
                "copy the value again",
            )
        if header_safe and not all("!" <= char <= "~" for char in value):
            raise SettingError(
                name,
                f"{name} has characters other than visible ASCII; copy the value exactly as "
                "the platform shows it",
            )
        return Secret(value)

    return convert


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _without_userinfo(url: str) -> str:
    """``url`` with whatever stands before the last ``@`` of its authority shown as ``***``."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def check_base_url(value: str, *, setting: str = "base_url") -> str:
    """An absolute https URL, or plain http only for a loopback host (sandboxes, tests)."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{setting} must be a URL string", setting=setting)
    parts = urlsplit(value)
    if "@" in parts.netloc:
        # User info would be sent as Basic auth by the HTTP client and shown wherever the
        # URL is (reprs, logs, error messages): refused, and not echoed, password and all.
        raise ConfigurationError(
            f"{setting} must not contain a user name or password (user:password@ before "
            f"the host), got {_without_userinfo(value)!r}; give the credentials in the "
            "platform's own settings (token, access_token...) instead",
            setting=setting,
        )
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
    return _canonical(parts, setting).rstrip("/")


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _canonical(parts: SplitResult, setting: str) -> str:
    """The URL as one spelling of its store: scheme and host as :func:`canonical_host`
    gives them (lower case, IDNA, no trailing dot, no default port); the rate limit is
    shared by credential and address, so two spellings of one store would each get the
    whole limit."""
    try:
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        raise ConfigurationError(
            f"{setting} has a port that is not a number from 0 to 65535", setting=setting
        ) from None
    netloc = canonical_host(urlunsplit(parts))
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def canonical_host(url: str) -> str:
    """``url``'s host in lower case, with its port unless it is the scheme's default
    (``url`` itself when it has no host)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return parts.netloc or url
    if not host.isascii():
        # bücher.example and xn--bcher-kva.example are one host: name it as DNS does
        # (a name IDNA cannot spell is kept as given).
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    if ":" in host:  # an IPv6 address keeps its brackets, as in a URL
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the spelling it came with
        return parts.netloc.lower()
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def parse_settings(cls: type[S], given: Mapping[str, Any], *, platform: str) -> S:
    """Build settings class ``cls`` from ``given``, with errors naming the setting.

    A ConfigurationError raised here shows no secret: see the module notes.
    """
    fields = {a.name: a for a in attrs.fields(cls)}  # type: ignore[arg-type]
    try:
        return _build(cls, given, fields, platform)
    except ConfigurationError as exc:
        problem = exc
    # Raised outside the except block, so no chained exception keeps an unmasked original.
    masks = _masks(given, {name for name, a in fields.items() if a.metadata.get("secret")})
    setting = problem.setting
    raise ConfigurationError(
        mask(str(problem), masks),
        setting=mask(setting, masks) if setting is not None else None,
    )


def _build(cls: type[S], given: Mapping[str, Any], fields: Mapping[str, Any], platform: str) -> S:
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
    except (ValueError, TypeError, ArithmeticError) as exc:
        name = _guess_field(exc, fields)
        raise ConfigurationError(
            f"{platform} setting {name!r} is invalid: {exc}" if name else f"{platform}: {exc}",
            setting=name,
        ) from None


_TOKEN_RUN = re.compile(r"[A-Za-z0-9._~+/=-]+")


def looks_like_token(text: str) -> bool:
    """Whether ``text`` looks like a credential: a long run of token characters, mixed."""
    if len(text) >= 32:
        return True
    if len(text) < 20:
        return False
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def token_like_parts(text: str) -> list[str]:
    """The parts of ``text`` that look like tokens (see :func:`looks_like_token`).

    A run starting with ``/`` is a URL or path: its segments are judged one by one, so a
    host name or path stays readable while a token among them does not.
    """
    found: list[str] = []
    for run in _TOKEN_RUN.findall(text):
        pieces = run.split("/") if run.startswith("/") else [run]
        found.extend(piece for piece in pieces if looks_like_token(piece))
    return found


def _masks(given: Mapping[str, Any], secret_names: set[str]) -> list[str]:
    masks: list[str] = []
    for name, value in given.items():
        masks.extend(token_like_parts(str(name)))
        if isinstance(value, Secret):
            value = value.reveal()
        if isinstance(value, bytes | bytearray):
            value = bytes(value).decode("latin-1")
        if name in secret_names and isinstance(value, str) and len(value.strip()) >= 4:
            masks.append(value)
            masks.append(value.strip())
        texts = [value] if isinstance(value, str) else []
        with contextlib.suppress(Exception):  # a broken __repr__ cannot be echoed either
            texts.append(repr(value))
        for text in texts:
            masks.extend(token_like_parts(text))
    return masks


def mask(text: str, masks: list[str]) -> str:
    """``text`` with every mask (as written, or as ``repr`` escapes it) replaced by ``***``."""
    forms = {form for m in masks for form in (m, repr(m)[1:-1]) if len(form) >= 4}
    for form in sorted(forms, key=len, reverse=True):
        text = re.sub(re.escape(form), "***", text, flags=re.IGNORECASE)
    return text


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
    "canonical_host",
    "check_base_url",
    "is_loopback_host",
    "looks_like_token",
    "mask",
    "parse_settings",
    "secret_field",
    "token_like_parts",
]
