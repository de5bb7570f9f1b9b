"""How emulator handlers refuse: an error answer, or a lost connection."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

__all__ = ["DropConnection", "HTTPProblem", "unemulated"]


class HTTPProblem(Exception):
    """Raise from a handler to answer with an error status and body."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        raw: bytes | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw = raw


class DropConnection(Exception):
    """Raise to close the connection with no response (simulates a lost answer)."""


def unemulated(given: Iterable[str], not_emulated: Collection[str]) -> str | None:
    """What to answer (with a 400, in the platform's error shape) when a request names
    filters the platform applies and the emulator does not; None when it names none.

    Ignored, such a filter would answer every record as if it matched, and a test of a
    wrong filter on the sandbox would pass.
    """
    names = sorted(set(given) & set(not_emulated))
    if not names:
        return None
    return (
        f"the storebridge sandbox does not apply the filter(s) {', '.join(names)} (the "
        "platform does); test them on a real store"
    )
