"""Keeping secrets out of logs, reprs and exception messages."""

from __future__ import annotations

import base64
import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

REDACTED = "***"

# Query parameters and headers that carry credentials on the platforms we know, plus the
# generic names; values are masked even when the secret itself was never registered.
_SENSITIVE_QUERY = re.compile(
    r"(?i)([?&](?:access_token|token|api_key|apikey|key|sign|signature|code|client_secret)=)[^&#\s'\"]+"
)
_AUTH_HEADER = re.compile(r"(?i)\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{4,}")


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
        return _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def scrub(error: BaseException, redact: Callable[[str], str]) -> BaseException:
    """Redact every string ``error`` carries: its args, its attributes (an API error's body,
    field errors, URL...) and the errors it was raised from. Returns ``error`` itself."""
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
