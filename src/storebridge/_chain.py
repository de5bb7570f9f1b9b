"""Walking what an exception wraps: dlt keeps a failed step's error as ``exception``,
Python as ``__cause__`` or ``__context__``; each is followed once."""

from __future__ import annotations

from collections.abc import Iterator


def wrapped(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then each error it wraps, innermost last (a loop in the chain ends it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl-C or SIGTERM wrapped by dlt (its step failed on a
    KeyboardInterrupt, or on its own signal exception)."""
    return any(
        isinstance(e, KeyboardInterrupt) or type(e).__name__ == "SignalReceivedException"
        for e in wrapped(exc)
    )


__all__ = ["interrupted", "wrapped"]
