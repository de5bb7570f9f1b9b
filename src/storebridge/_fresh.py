"""Answers a change feed's pass may use: none older than the pass.

A pass lists what changed since its watermark and then moves the watermark to when it
started (less the overlap). An answer made before that, replayed by a cache or a replica
far behind, shows the store as it was: the pass would deliver nothing of what changed
since, and the moved watermark would keep every later pass from seeing it. A listing walk
cannot tell: the first page of a listing has no page before it to be compared with.

HTTP says when an answer was made (the ``Date`` header; a cache passes the origin's on,
with ``Age``). :func:`fresh_answers` runs a listing flow and asks again for any answer
dated before ``not_before`` (GETs: the answers that hold records), a few times, then
raises :class:`PaginationError`. The
feed's ``overlap`` already allows for the platform's clock being behind ours, so
``not_before`` is the pass's start less the overlap. An answer without a readable date
is taken as fresh: there is nothing to judge it by.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from storebridge._http import Response
from storebridge.errors import PaginationError
from storebridge.flow import Batch, Collect, Done, Emit, First, FlowStepper, Start, ask, no_cache

T = TypeVar("T")

ASKS = 3
"""How many times one step is asked for in all before stale answers raise."""


def answered_at(response: Response) -> datetime | None:
    """When the platform made ``response`` (its ``Date`` header), None when it does not say
    in a form that can be read."""
    value = response.headers.get("date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else None


def _listed(answer: Any) -> bool:
    """Whether ``answer`` holds records: a GET's. Other answers (a HEAD's ``Last-Modified``)
    are hints the adapter weighs itself, cached ones included."""
    if not isinstance(answer, Response):
        return False
    try:
        return answer.request.method == "GET"
    except RuntimeError:  # an answer made without its request: judged as a listing's
        return True


def _oldest(answer: Any) -> datetime | None:
    answers = answer if isinstance(answer, list | tuple) else (answer,)
    dates = [answered_at(a) for a in answers if _listed(a)]
    return min((d for d in dates if d is not None), default=None)


def fresh_answers(
    flow: Generator[Any, Any, T], not_before: datetime, *, what: str
) -> Generator[Any, Any, T]:
    """``flow``, with every answer it gets made at ``not_before`` or later.

    Requests a flow starts to collect later (:class:`Start`) are sent as a batch and their
    answers handed over at once, which the flow protocol allows any wrapper that only knows
    batches, so every answer passes through here. ``what`` names the listing in the error.
    """
    stepper: FlowStepper[T] = FlowStepper(flow)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            if isinstance(step, Emit):
                yield step
                step = stepper.advance()
                continue
            if isinstance(step, Collect | First):
                step = stepper.advance([])  # answered already, at the Start
                continue
            sent = Batch(step.requests, tolerant=True) if isinstance(step, Start) else step
            answer, error = yield from ask(sent)
            for _ in range(ASKS - 1):
                made = _oldest(answer) if error is None else None
                if made is None or made >= not_before:
                    break
                answer, error = yield from ask(no_cache(sent))
            else:
                made = _oldest(answer) if error is None else None
                if made is not None and made < not_before:
                    raise PaginationError(
                        f"the {what} listing was answered {ASKS} times with answers made at "
                        f"{made.isoformat()}, before this pass could use ({not_before.isoformat()}"
                        "): a cache or a replica serving the store as it was, or the "
                        "platform's clock behind ours by more than the overlap. Nothing was "
                        "lost: run the feed again from its checkpoint (or raise overlap)",
                        resource=what,
                    )
            step = stepper.advance(answer, error)
        return step.value  # type: ignore[no-any-return]
    finally:
        stepper.close()


__all__ = ["ASKS", "answered_at", "fresh_answers"]
