"""The shop's writes: ``PATCH`` requests whose outcome is settled by reading back.

The API has three writes, each setting absolute values (an order's status, a line's
shipping fields, a stock level). A PATCH whose answer is lost, late, unreadable or a 5xx
has an unknown outcome: the record is read back, and if the values are there that is the
result; if not, the PATCH is sent again (setting a value twice has the effect of once).
The PATCH answer's body is never relied on (its shape is undocumented): after a 2xx the
record is read back and returned as the shop now shows it; when that read fails, the
write is reported as applied (``OutcomeUnknown`` with ``processed=True``), not as failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from storebridge.errors import OutcomeUnknown, StorebridgeError
from storebridge.http import Response
from storebridge.kit import Flow, build_request, reconciled_update

if TYPE_CHECKING:
    from storebridge_24nettbutikk._adapter import NettbutikkAdapter

T = TypeVar("T")


def patch(
    adapter: NettbutikkAdapter,
    path: str,
    body: Mapping[str, Any],
    *,
    operation: str,
    reread: Callable[[], Flow[T]],
    applied: Callable[[T], bool],
    shown: Callable[[T], object],
    params: Mapping[str, str] | None = None,
) -> Flow[T]:
    """``PATCH {api_root}/{path}`` with ``body``; the record as re-read afterwards.

    ``path`` is built with ``kit.segment`` by the caller; ``applied(record)`` says whether
    the re-read record shows the values written, and ``shown(record)`` gives the record's
    values of the fields written. The record is read first too: when an answer is lost and
    those fields show neither the values written nor what they held before, someone else
    changed them meanwhile, and sending the PATCH again would overwrite their change (or
    ours was applied and then overwritten): OutcomeUnknown, not a re-send. Other fields
    of the record may change meanwhile (another variant sold, another line sent).
    """
    request = build_request(
        "PATCH",
        f"{adapter.api_root}/{path}",
        operation=operation,
        params=dict(params) if params else None,
        json=dict(body),
        expect_json=False,
    )

    def no_body(_answer: Response) -> T | None:
        return None  # the answer's shape is undocumented: the record is read back below

    def as_read(record: T) -> T | None:
        return record

    found = yield from reconciled_update(
        request, no_body, reread, applied=applied, shown=shown, result=as_read
    )
    if found is not None:
        return found
    # The PATCH was answered 2xx: it happened. A re-read that fails now must not read as a
    # write that failed, or a caller would send it again.
    try:
        return (yield from reread())
    except StorebridgeError as error:
        raise OutcomeUnknown(
            f"the write {operation} was applied (the shop answered 2xx), but reading the "
            f"record back failed: {error}; read it again before writing again",
            operation=operation,
            processed=True,
        ) from error


__all__ = ["patch"]
