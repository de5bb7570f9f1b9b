"""Writes whose answer is lost: settled by reading the platform back, re-sent only when that
is harmless (:func:`reconciled_write`, also importable from :mod:`storebridge.flow`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from storebridge._http import Request, Response
from storebridge.errors import OutcomeUnknown, PayloadError, ServerError, StorebridgeError
from storebridge.flow import Flow, past_caches, request_meta

T = TypeVar("T")


def reconciled_write(
    request: Request,
    parse: Callable[[Response], T],
    find_existing: Callable[[], Flow[T | None]],
    *,
    attempts: int = 1,
) -> Flow[T]:
    """Send a non-idempotent write; if its outcome is unknown, read back instead of re-sending.

    The outcome is unknown when no answer came back, the answer was late, unreadable, or a
    5xx (the facade raises :class:`~storebridge.errors.OutcomeUnknown` for all of these).
    Instead of sending again (and, say, refunding twice), ``find_existing`` looks for the
    write's effect on the platform. If it is there, that is the result.

    If it is not there, that proves nothing: a search or a replica can lag behind a write,
    a cache can answer with what it held before, and a request a gateway gave up on can
    still be processed after. So by default (``attempts=1``) the write is not sent again:
    OutcomeUnknown reaches the caller, saying nothing was found yet. Only a write whose
    second sending has no second effect (it sets absolute values: a status, an address, a
    stock level; or deletes) may pass ``attempts=2``: it is then sent again, at most
    ``attempts`` times in all, unless the platform answered 2xx (it certainly happened).
    An ordinary error from a later sending (a 422, say) is OutcomeUnknown too: the first
    sending may still have happened.

    ``parse`` failing with PayloadError on a 2xx answer counts as an unreadable answer too.
    ``find_existing``'s requests ask past caches (``Cache-Control: no-cache``): a cached
    answer from before the write would read as "not there".
    """
    operation = request_meta(request).operation
    for attempt in range(1, attempts + 1):
        try:
            response = yield request
            try:
                return parse(response)
            except PayloadError as exc:
                accepted = 200 <= response.status_code < 300  # a redirect may not have run
                raise OutcomeUnknown(
                    f"the write {operation} was "
                    f"{'accepted' if accepted else 'answered'} (HTTP "
                    f"{response.status_code}) but its answer could not be read: {exc}",
                    operation=operation,
                    processed=True if accepted else None,
                    status=response.status_code,
                ) from None
        except (OutcomeUnknown, ServerError) as exc:
            try:
                existing = yield from past_caches(find_existing())
            except OutcomeUnknown as finding:
                if not (isinstance(exc, OutcomeUnknown) and exc.processed is True):
                    raise  # the read-back's own finding (say, someone else changed the record)
                # It landed (a 2xx): what its answer showed and what the read-back found.
                raise OutcomeUnknown(
                    f"{exc}; reading the record back: {finding}",
                    operation=operation,
                    processed=True,
                    status=exc.status,
                ) from finding
            except StorebridgeError as lookup:
                # The write may have happened: a failed read-back must stay "in doubt", never
                # turn into an ordinary error a caller (or an idempotency key) would retry.
                raise OutcomeUnknown(
                    f"the write {operation} may have happened ({exc}) "
                    f"and reading the store back to find out failed: {lookup}",
                    operation=operation,
                    processed=exc.processed if isinstance(exc, OutcomeUnknown) else None,
                    status=exc.status,
                ) from lookup
            if existing is not None:
                return existing
            if isinstance(exc, OutcomeUnknown) and exc.processed is True:
                raise
            if attempt == attempts:
                raise OutcomeUnknown(
                    f"the write {operation} may have happened ({exc}); reading the store "
                    "back did not find it, but a read can lag behind a write, so it was not "
                    "sent again: check the store (or run again later) before sending it again",
                    operation=operation,
                    processed=exc.processed if isinstance(exc, OutcomeUnknown) else None,
                    status=exc.status,
                ) from exc
            continue
        except StorebridgeError as exc:
            if attempt == 1:
                raise  # refused before anything happened
            raise OutcomeUnknown(
                f"the write {operation} may have happened: its first answer was lost, and "
                f"sending it again was refused ({type(exc).__name__}: {exc}); check the store "
                "before sending it again",
                operation=operation,
                status=getattr(exc, "status", None),
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["reconciled_write"]


R = TypeVar("R")


def reconciled_update(
    request: Request,
    parse: Callable[[Response], T],
    read: Callable[[], Flow[R]],
    *,
    applied: Callable[[R], bool],
    shown: Callable[[R], object],
    result: Callable[[R], T],
) -> Flow[T]:
    """Send a write of absolute values (``attempts=2`` in :func:`reconciled_write`), sent
    again after a lost answer only when nobody else wrote the same fields meanwhile.

    ``read`` reads the record (before the write, and back after a lost answer);
    ``applied(record)`` says whether it holds the values sent; ``shown(record)`` gives its
    values of the fields written; ``result(record)`` is what to return for a record read
    back. After a lost answer, a record that holds the values sent is the result. One whose
    fields are as they were before the write did not get it, and it is sent again. One
    whose fields changed to something else was written by someone else meanwhile (or ours
    landed and theirs after it): sending again would undo their write, so that is
    OutcomeUnknown. Costs one read before every such write.
    """
    operation = request_meta(request).operation
    before = shown((yield from past_caches(read())))

    def written() -> Flow[T | None]:
        record = yield from read()
        if applied(record):
            return result(record)
        if shown(record) != before:
            raise OutcomeUnknown(
                f"the write {operation} may have happened: its answer was lost, and the "
                "record has changed since, though not to what was sent (someone else wrote "
                "it meanwhile); read it and decide before writing again",
                operation=operation,
            )
        return None  # as it was: the write did not happen, and is sent again

    return (yield from reconciled_write(request, parse, written, attempts=2))
