"""Every SHOPLINE write: sent once, and settled by reading back when its answer is lost.

:func:`reconciled` is :func:`storebridge.kit.reconciled_write` with one more guarantee: a
read-back that itself fails (the store is unreachable just then) leaves the write an
:class:`~storebridge.errors.OutcomeUnknown`, never another error that would read as "refused
before anything happened" (a refund quote would then be released for use again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from storebridge.errors import OutcomeUnknown, StorebridgeError
from storebridge.http import Request, Response
from storebridge.kit import Flow, reconciled_write, request_meta

T = TypeVar("T")


def reconciled(
    request: Request,
    parse: Callable[[Response], T],
    find_existing: Callable[[], Flow[T | None]],
    *,
    attempts: int = 1,
) -> Flow[T]:
    """Send ``request``; on an unknown outcome, ``find_existing`` looks for its effect."""
    operation = request_meta(request).operation

    def read_back() -> Flow[T | None]:
        try:
            return (yield from find_existing())
        except StorebridgeError as exc:
            raise OutcomeUnknown(
                f"the answer to {operation} was lost and reading the store back failed too "
                f"({type(exc).__name__}: {exc}); check the store before trying again",
                operation=operation,
            ) from exc

    return (yield from reconciled_write(request, parse, read_back, attempts=attempts))


__all__ = ["reconciled"]
