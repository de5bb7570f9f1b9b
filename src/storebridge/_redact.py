"""Keeping secrets out of logs, reprs and exception messages."""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable

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
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        if self._source is not None:
            for secret in self._source():
                self.add(secret)
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = _SENSITIVE_QUERY.sub(lambda m: m.group(1) + REDACTED, text)
        return _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


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
