"""Keeping secrets out of logs, reprs and exception messages."""

from __future__ import annotations

import base64
import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import quote

REDACTED = "***"

# Query parameters and headers that carry credentials on the platforms we know, plus the
# generic names; values are masked even when the secret itself was never registered.
_SENSITIVE_QUERY = re.compile(
    r"(?i)([?&](?:access_token|token|api_key|apikey|key|sign|signature|code|client_secret)=)[^&#\s'\"]+"
)
# Credentials in the shape of an HTTP header, nothing looser: a pattern taking any word after
# "token" or "bearer" garbles ordinary prose ("the access token *** not be renewed").
# * the value of an Authorization header, wherever it is written ("Authorization: x",
#   "'authorization': 'Bearer x'"), scheme kept, credential masked;
_AUTH_VALUE = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?:Bearer|Basic|Token|Digest|OAuth|ApiKey)\s+)?)[^\s\"',;]+"
)
# * "Bearer <value>" where the value looks like a credential (has a digit, or is long), so
#   "a bearer credential" stays as it is;
_BEARER = re.compile(
    r"(?i)\b(Bearer\s+)(?=[A-Za-z0-9._~+/=-]*[0-9]|[A-Za-z0-9._~+/=-]{20})"
    r"[A-Za-z0-9._~+/=-]{8,}"
)
# * "Basic <base64>" where the value is base64 of "user:password" (see _is_basic_value).
_BASIC = re.compile(r"(?i)\b(Basic\s+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])")


def _is_basic_value(value: str) -> bool:
    """Whether ``value`` is an HTTP Basic credential: base64 of ``user:password``, or a run
    only an encoding would produce (digits, ``+``, ``/``, ``=``); "basic plan" is neither."""
    if any(c.isdigit() or c in "+/=" for c in value):
        return True
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except ValueError:
        return False
    return b":" in decoded


def _mask_header_shapes(text: str) -> str:
    text = _AUTH_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _BASIC.sub(
        lambda m: m.group(1) + REDACTED if _is_basic_value(m.group(2)) else m.group(0), text
    )


class Redactor:
    """Masks secrets and credential-looking fragments in text.

    ``source`` is asked for the current secrets at every use, so a token refreshed after
    the store was opened is masked too.
    """

    def __init__(
        self,
        secrets: list[str] | tuple[str, ...] = (),
        source: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self._secrets: set[str] = set()
        self._source = source
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        # Very short values would mask ordinary words; no real credential is that short.
        if not secret or len(secret) < 4 or secret in self._secrets:
            return
        self._secrets.add(secret)
        # The same secret as it travels: URL-escaped in a query string, and base64 inside
        # an HTTP Basic header (token as user name, with or without a password after it)
        # that a server or gateway may echo back in an error body.
        self._secrets.add(quote(secret, safe=""))
        for raw in (secret, f"{secret}:"):
            encoded = base64.b64encode(raw.encode("utf-8", "surrogatepass")).decode("ascii")
            # Only the part of the encoding fixed by the secret itself, so a password that
            # follows it in the header does not hide the match.
            stable = len(raw.encode("utf-8", "surrogatepass")) // 3 * 4
            if stable >= 8:
                self._secrets.add(encoded[:stable])

    def __call__(self, text: str) -> str:
        if self._source is not None:
            for secret in self._source():
                self.add(secret)
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = _SENSITIVE_QUERY.sub(lambda m: m.group(1) + REDACTED, text)
        return _mask_header_shapes(text)


def _holds_http_exchange(exc: BaseException) -> bool:
    """Whether ``exc`` is the HTTP library's or carries one of its requests or answers: those
    hold the credentials as sent (Authorization header, token in the URL, signatures)."""
    # Imported here: the CLI loads this module for its log filter, and its --help must not
    # pay for the HTTP library (tests/cli/test_startup.py). An error means it is loaded.
    from storebridge import _http

    if isinstance(exc, _http.HTTPError):
        return True
    attributes = getattr(exc, "__dict__", {}).values()
    return any(isinstance(value, _http.Request | _http.Response) for value in attributes)


E = TypeVar("E", bound=BaseException)


def detach(error: E) -> E:
    """Cut from ``error``'s chain (``__cause__`` / ``__context__``, all the way down) every
    exception of the HTTP library or holding one of its requests or answers. Returns
    ``error`` itself.

    Our errors already say in their message (redacted) what such an exception said; kept
    linked, it would hand the credentials it carries to whoever walks the chain (a
    traceback printer, an error tracker).
    """
    seen: set[int] = set()

    def walk(exc: BaseException) -> None:
        if id(exc) in seen:
            return
        seen.add(id(exc))
        if exc.__cause__ is not None and _holds_http_exchange(exc.__cause__):
            exc.__cause__ = None
        if exc.__context__ is not None and _holds_http_exchange(exc.__context__):
            exc.__context__ = None
        for linked in (exc.__cause__, exc.__context__):
            if linked is not None:
                walk(linked)

    walk(error)
    return error


def scrub(error: BaseException, redact: Callable[[str], str]) -> BaseException:
    """Redact every string ``error`` carries: its args, its attributes (an API error's body,
    field errors, URL...) and the errors it was raised from, and cut the HTTP library's
    exceptions from its chain (see :func:`detach`). Returns ``error`` itself."""
    detach(error)
    seen: set[int] = set()

    def clean(value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return redact(value)
        if depth > 32:
            return value
        if isinstance(value, dict):
            return {
                k if not isinstance(k, str) else redact(k): clean(v, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [clean(v, depth + 1) for v in value]
        if isinstance(value, tuple):
            return tuple(clean(v, depth + 1) for v in value)
        if isinstance(value, BaseException):
            scrub_one(value)
        return value

    def scrub_one(exc: BaseException) -> None:
        if id(exc) in seen:
            return
        seen.add(id(exc))
        exc.args = tuple(clean(a) for a in exc.args)
        for name, value in list(vars(exc).items()):
            try:
                setattr(exc, name, clean(value))
            except AttributeError:  # read-only attribute of a foreign exception
                continue
        for linked in (exc.__cause__, exc.__context__):
            if linked is not None:
                scrub_one(linked)

    scrub_one(error)
    return error


class _Registry:
    """Every live store's redactor, so one logging filter can clean third-party log lines."""

    def __init__(self) -> None:
        self._redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()
        self._lock = threading.Lock()

    def register(self, redactor: Redactor) -> None:
        with self._lock:
            self._redactors.add(redactor)

    def unregister(self, redactor: Redactor) -> None:
        with self._lock:
            self._redactors.discard(redactor)

    def redact(self, text: str) -> str:
        with self._lock:
            redactors = list(self._redactors)
        if not redactors:
            return Redactor()(text)
        for redactor in redactors:
            text = redactor(text)
        return text


registry = _Registry()


class RedactingFilter(logging.Filter):
    """Rewrites log records so no registered secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = registry.redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        return True


_installed = False


def install_log_filter() -> None:
    """Attach the filter to our logger and the HTTP library's (which log full URLs)."""
    global _installed
    if _installed:
        return
    _installed = True
    # Logger filters are not inherited by child loggers, so each emitting logger gets one.
    for name in _LOGGERS:
        logging.getLogger(name).addFilter(RedactingFilter())


_LOGGERS = (
    "storebridge",
    "storebridge.auth",
    "storebridge.http",
    "storebridge.migrate",
    "httpx",
    "httpx2",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
)
