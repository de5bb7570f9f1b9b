"""One cursor's pages expanded while the next pages are read: a listing at the rate limit.

Expanding a page may send requests of its own (the full orders of ``detail=True``, one per
row). Read in turn, each page costs its own round trip, then its details', then the tail
of that batch with fewer and fewer requests in flight, before the next page is even asked
for: 500 full orders at 40 requests/second and 250 ms took 24.3 s for a bound of 13.4 s,
and 14.0 s read this way (``benchmarks/bench_29next_details.py``).

Here one window of requests serves the cursor and the details together: the next page is
asked for as soon as the page before it is in (ahead of any detail waiting to be sent), a
page's details are sent as room frees up, before the page before it has all of its own
back, and no more than the facade's number in flight are out at once (what a batch keeps
to). At most :data:`PAGES_AHEAD` pages are expanding at a time, so memory stays a few pages.

The cursor walk gets the same answers in the same order, only asked for sooner, so every
check it makes still holds; a page that fails reaches it only after the pages before it
are handed on, as read in turn. Each page's expansion gets its batch's answers as the
batch would give them (the first failure by position thrown in, unless the batch is
tolerant; the rest of the batch is still sent, where a batch would stop). Results come in
the cursor's order. A listing left early drops what it asked for ahead.

The window holds what goes through it: an expansion's first plain batch and the walk's
page requests. Any other step (an expansion's second batch, a walk's own batch) is asked
at once, beside the window; the 29 Next expansions and walk have none.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

import attrs

from storebridge.errors import StorebridgeError
from storebridge.http import Request
from storebridge.kit import (
    CONCURRENCY,
    Batch,
    Collect,
    Done,
    Emit,
    First,
    Flow,
    FlowStepper,
    ListFlow,
    Payload,
    Start,
    Ticket,
    ask,
)

T = TypeVar("T")

PAGES_AHEAD = 3
"""Pages expanding at once at most: the oldest is finished (its records handed on) while
the details of the next are on the wire and the page after them is asked for."""

_UNANSWERED = object()


@attrs.define(eq=False)
class _Slot:
    """One request of the window: waiting to be sent, on the wire, or answered."""

    request: Request
    answer: Any = _UNANSWERED

    @property
    def answered(self) -> bool:
        return self.answer is not _UNANSWERED


@attrs.define(eq=False)
class _Expansion:
    """One page's expansion, run up to its first plain batch, whose requests are slots."""

    steps: FlowStepper[list[Any]]
    step: Any
    slots: list[_Slot]

    @property
    def complete(self) -> bool:
        return all(slot.answered for slot in self.slots)


def expanding(
    flow: ListFlow[Payload],
    take: Callable[[Sequence[Payload]], list[Payload]],
    expand: Callable[[list[Payload]], Flow[list[T]]],
) -> ListFlow[T]:
    """``flow``'s pages, the rows ``take`` keeps of each expanded by ``expand``: the pages
    and their expansions' requests read through one window (see the module docstring)."""
    walk: FlowStepper[None] = FlowStepper(flow)
    waiting: deque[_Slot] = deque()
    flying: dict[Ticket, _Slot] = {}
    under_way: deque[_Expansion] = deque()
    page: _Slot | None = None  # the walk's next page, once asked for through the window
    try:
        step = walk.advance()
        while True:
            # The walk runs until it waits for a page through the window, or ends.
            while page is None and not isinstance(step, Done):
                if isinstance(step, Emit):
                    fresh = take(step.items)
                    if fresh:
                        expansion = yield from _begin(expand(fresh))
                        under_way.append(expansion)
                        waiting.extend(expansion.slots)
                    step = walk.advance()
                elif isinstance(step, Request) and under_way:
                    if len(under_way) >= PAGES_AHEAD:
                        break  # read no further ahead until the oldest page is finished
                    page = _Slot(step)
                    waiting.appendleft(page)  # the cursor first: everything else waits on it
                else:
                    step = walk.advance(*(yield from ask(step)))
            if under_way and under_way[0].complete:
                items = yield from _finish(under_way.popleft())
                if items:
                    yield Emit(items)
                continue
            if page is not None and page.answered:
                failed = isinstance(page.answer, StorebridgeError)
                if not (failed and under_way):
                    answer, page = page.answer, None
                    step = walk.advance(error=answer) if failed else walk.advance(answer)
                    continue
                # A page that failed reaches the walk once the pages before it are handed
                # on, as read in turn: what was read comes first, and so does its error.
            if isinstance(step, Done) and not under_way:
                return
            room = int((yield CONCURRENCY)) - len(flying)
            if room > 0 and waiting:
                sending = [waiting.popleft() for _ in range(min(room, len(waiting)))]
                started = list((yield Start(tuple(slot.request for slot in sending))))
                for slot, sent in zip(sending, started, strict=True):
                    if isinstance(sent, Ticket):
                        flying[sent] = slot
                    else:  # a combinator that only knows batches answered in its place
                        slot.answer = sent
                continue
            if not flying:  # pragma: no cover - every path above makes progress
                raise AssertionError("expanding: nothing to send and nothing to wait for")
            yield from _one_answer(flying)
    finally:
        # Requests still on the wire: the facade forgets a flow's uncollected tickets.
        for expansion in under_way:
            expansion.steps.close()
        walk.close()


def _one_answer(flying: dict[Ticket, _Slot]) -> Generator[Any, Any, None]:
    """Wait for one request on the wire to be answered, and take its answer."""
    done = yield First(tuple(flying))
    # A combinator that only knows batches answers First with a list: take the oldest.
    ticket = done if isinstance(done, Ticket) else next(iter(flying))
    answer = yield Collect(ticket)
    while isinstance(answer, list):  # the same combinator: ask again
        answer = yield Collect(ticket)
    flying.pop(ticket).answer = answer


def _begin(flow: Flow[list[Any]]) -> Generator[Any, Any, _Expansion]:
    """``flow`` run up to its first plain batch (not sent: its requests become slots), or
    to its end when it sends none."""
    steps: FlowStepper[list[Any]] = FlowStepper(flow)
    step = steps.advance()
    while not isinstance(step, Done):
        if type(step) is Batch:  # not a Start, Collect...: those are the flow's own
            return _Expansion(steps, step, [_Slot(request) for request in step.requests])
        step = steps.advance(*(yield from ask(step)))
    return _Expansion(steps, step, [])


def _finish(expansion: _Expansion) -> Generator[Any, Any, list[Any]]:
    """The batch's answers handed to the expansion as the batch would give them, and the
    expansion run to its end: its records."""
    step = expansion.step
    try:
        if isinstance(step, Batch):
            answers = [slot.answer for slot in expansion.slots]
            failed = [a for a in answers if isinstance(a, StorebridgeError)]
            if failed and not step.tolerant:
                step = expansion.steps.advance(error=failed[0])
            else:
                step = expansion.steps.advance(answers)
        while not isinstance(step, Done):
            step = expansion.steps.advance(*(yield from ask(step)))
        return step.value  # type: ignore[no-any-return]
    finally:
        expansion.steps.close()


__all__ = ["PAGES_AHEAD", "expanding"]
