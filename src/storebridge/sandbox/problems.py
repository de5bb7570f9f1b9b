"""How emulator handlers refuse: an error answer, or a lost connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DropConnection", "HTTPProblem"]


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
