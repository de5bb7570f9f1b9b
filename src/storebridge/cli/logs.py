"""Log lines from the ``storebridge.*`` loggers on stderr, at the level the user asked for.

Warnings always show; ``-v/--verbose`` adds INFO (retries and why, token refreshes,
phases finished), ``--debug`` adds DEBUG (every HTTP answer with its status and time).
Every line passes the core's redacting filter, so tokens, secrets and signatures print as
``***``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from storebridge._redact import RedactingFilter, install_log_filter

ROOT = "storebridge"


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        if record.exc_info and record.levelno <= logging.DEBUG:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time of the record.

    Looking it up late lets a live progress display (which swaps stderr for a proxy) keep
    log lines above its bars, and lets tests capture stderr.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


class Verbosity:
    """The stderr log handler of one command-line run."""

    def __init__(self) -> None:
        self.level = logging.WARNING
        self._handler = _StderrHandler()
        self._handler.setFormatter(_Format())
        # A logger's filters do not apply to records its children emit; a handler's do.
        self._handler.addFilter(RedactingFilter())
        self._logger = logging.getLogger(ROOT)
        self._saved_level = self._logger.level

    def raise_to(self, level: int) -> None:
        """Show records at ``level`` and above (never fewer than already shown)."""
        self.level = min(self.level, level)
        self._handler.setLevel(self.level)
        if self._logger.getEffectiveLevel() > self.level:
            self._logger.setLevel(self.level)

    @property
    def debugging(self) -> bool:
        return self.level <= logging.DEBUG

    @contextmanager
    def installed(self) -> Iterator[Verbosity]:
        install_log_filter()
        self._handler.setLevel(self.level)
        if self._logger.getEffectiveLevel() > self.level:
            self._logger.setLevel(self.level)
        self._logger.addHandler(self._handler)
        try:
            yield self
        finally:
            self._logger.removeHandler(self._handler)
            self._logger.setLevel(self._saved_level)


_current: Verbosity | None = None


@contextmanager
def verbosity() -> Iterator[Verbosity]:
    """Install the stderr log handler for one run; :func:`set_level` adjusts it."""
    global _current
    previous, _current = _current, Verbosity()
    try:
        with _current.installed() as installed:
            yield installed
    finally:
        _current = previous


def set_level(*, verbose: bool, debug: bool) -> None:
    """Apply ``-v`` / ``--debug`` (given before or after the command name)."""
    if _current is None:
        return
    if debug:
        _current.raise_to(logging.DEBUG)
    elif verbose:
        _current.raise_to(logging.INFO)


def debugging() -> bool:
    """Whether ``--debug`` is on (tracebacks of unexpected errors are shown then)."""
    return _current is not None and _current.debugging


__all__ = ["ROOT", "Verbosity", "debugging", "set_level", "verbosity"]
