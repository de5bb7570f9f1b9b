"""Fault scripts the read-back tests share (``FaultTransport(..., script=...)``)."""

from __future__ import annotations

from typing import Any


class FailNextPost:
    """The next POST whose path holds ``part`` meets the fault ``kind``, once: set ``kind``
    just before the call that should meet it."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.kind: str | None = None

    def __call__(self, number: int, request: Any) -> str | None:
        if self.kind and request.method == "POST" and self.part in request.url.path:
            kind, self.kind = self.kind, None
            return kind
        return None
