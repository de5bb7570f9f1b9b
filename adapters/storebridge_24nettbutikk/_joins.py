"""What list rows lack, fetched while the listing reads on.

An order row has no e-mail, name, address or SKU: they come from ``/customers/{id}`` and
``/products/{id}?flat=1``; a product row stands for variant rows it does not hold. Asking
for them page by page would stop the listing while each page's lookups come back. Instead,
:func:`joined` gathers the rows of the pages just read into a group, starts the group's
lookups without waiting for them, and lets the walk's next pages go out behind them, so the
shop always has requests to answer; groups are emitted, in listing order, as their lookups
come in (a lookup another group already started is not sent again).

Each lookup is sent once per listing while it is among the last :data:`REMEMBERED` looked
up (a store's customers repeat across its orders); a lookup the shop answers with 404 (a
deleted customer) reads as None.

A group holds its pages' rows and every answer until the last of them is in, and at most
:data:`GROUPS_IN_FLIGHT` wait at once, so their size is what the listing's memory is: when
the source asks how many pages to read at once, it is told as many as keep a group (pages
plus the lookups their rows will need, as observed so far) at about :data:`BATCH_ROUNDS`
times what the facade keeps in flight, never the full width in pages (64 pages of 50 orders
and their lookups would be thousands of answers held at once).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from storebridge.errors import NotFound
from storebridge.http import Request, Response
from storebridge.kit import (
    CONCURRENCY,
    Batch,
    Collect,
    Done,
    Emit,
    Flow,
    FlowStepper,
    ListFlow,
    Payload,
    Start,
    Ticket,
    ask,
)

T = TypeVar("T")

Lookup = tuple[str, str]
"""What to look up and its ref: ``("customer", "1042")``, ``("skus", "77")``."""
REMEMBERED = 5000
"""Lookups a listing remembers (the most recently used), so memory stays flat."""
BATCH_ROUNDS = 6
"""A batch carries about this many times the requests the facade keeps in flight: few, so
memory is bounded (at most ``GROUPS_IN_FLIGHT + 1`` batches are held at once)."""
GROUPS_IN_FLIGHT = 2
"""Groups of rows whose lookups may be in flight at once: two, so that while the older
group's last answers come back, the next group's lookups and pages are already going out."""


@attrs.frozen
class JoinPlan(Generic[T]):
    """How rows become items with their lookups.

    ``needs(row)`` names the lookups a row wants; ``fetch(lookup)`` is the request for one;
    ``read(lookup, response)`` its value; ``build(row, values)`` the item (None: leave the
    row out, e.g. outside a filter the API cannot apply).
    """

    needs: Callable[[Payload], Iterable[Lookup]]
    fetch: Callable[[Lookup], Request]
    read: Callable[[Lookup, Response], Any]
    build: Callable[[Payload, Mapping[Lookup, Any]], T | None]
    remembered: int = REMEMBERED
    looks_up: bool = True
    """False when no row can need a lookup (joins off): pages are read at full width."""


class _Memory:
    """The most recently used lookup values, at most ``size`` of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: OrderedDict[Lookup, Any] = OrderedDict()

    def get(self, lookup: Lookup, default: Any) -> Any:
        if lookup in self.values:
            self.values.move_to_end(lookup)
            return self.values[lookup]
        return default

    def put(self, lookup: Lookup, value: Any) -> None:
        if self.size <= 0:
            return
        self.values[lookup] = value
        self.values.move_to_end(lookup)
        while len(self.values) > self.size:
            self.values.popitem(last=False)


_UNKNOWN: Any = object()


@attrs.define(eq=False)
class _Group:
    """Rows waiting for their lookups; emitted in listing order, oldest group first."""

    rows: list[Payload]
    values: dict[Lookup, Any]
    started: list[Lookup]
    """The lookups this group sent; ``answers`` holds one Ticket (or answer) for each."""
    answers: list[Any]
    waits: list[Lookup]
    """Lookups an earlier group is fetching: filled in when that group is collected."""


def joined(source: ListFlow[Payload], plan: JoinPlan[T]) -> ListFlow[T]:
    """``source``'s rows as items, their lookups in flight while the source reads on.

    Each time the source asks for its next pages, the lookups of the rows read so far are
    started (not waited for) and the source's request goes out behind them, so the shop
    always has requests to answer; a group of rows is emitted, in listing order, once its
    lookups are collected, with at most :data:`GROUPS_IN_FLIGHT` groups waiting. Errors the
    facade throws in while ``source`` waits for an answer are thrown into it; a lookup that
    fails with anything but 404 ends the listing with that error.
    """
    memory = _Memory(plan.remembered)
    load = _Load(plan.looks_up)
    held: list[Payload] = []
    groups: deque[_Group] = deque()
    fetching: dict[Lookup, _Group] = {}

    def open_group(rows: list[Payload]) -> Flow[None]:
        values, missing, waits = _plan_lookups(rows, plan, memory, fetching)
        load.looked_up(len(rows), len(missing))
        answers: list[Any] = []
        if missing:
            # A combinator that only knows batches answers a Start with the answers.
            answers = list((yield Start(tuple(plan.fetch(lookup) for lookup in missing))))
        group = _Group(rows, values, missing, answers, waits)
        fetching.update((lookup, group) for lookup in missing)
        groups.append(group)

    def close_oldest() -> ListFlow[T]:
        group = groups.popleft()
        answers = []
        for answer in group.answers:
            answers.append((yield Collect(answer)) if isinstance(answer, Ticket) else answer)
        _absorb(plan, memory, group.values, group.started, answers)
        for lookup in group.started:
            if fetching.get(lookup) is group:
                del fetching[lookup]
        for later in groups:
            for lookup in later.waits:
                if lookup in group.values and later.values.get(lookup, _UNKNOWN) is _UNKNOWN:
                    later.values[lookup] = group.values[lookup]
            later.waits = [lookup for lookup in later.waits if lookup not in group.values]
        items = _build(group.rows, plan, group.values)
        if items:
            yield Emit(items)

    stepper: FlowStepper[None] = FlowStepper(source)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            if isinstance(step, Emit):
                held.extend(step.items)
                load.page(len(step.items))
                step = stepper.advance()
                continue
            if step is CONCURRENCY:
                value, error = yield from ask(step)
                step = stepper.advance(None if error else load.pages_for(value), error)
                continue
            if held:
                rows, held = held, []
                yield from open_group(rows)
                while len(groups) > GROUPS_IN_FLIGHT or (groups and _ready(groups[0])):
                    yield from close_oldest()
            step = stepper.advance(*(yield from ask(step)))
        if held:
            rows, held = held, []
            yield from open_group(rows)
        while groups:
            yield from close_oldest()
    finally:
        stepper.close()


def _ready(group: _Group) -> bool:
    """Whether emitting ``group`` waits for nothing (no lookups, or none still in flight)."""
    return not group.waits and not any(isinstance(a, Ticket) for a in group.answers)


class _Load:
    """What a page of the source costs in requests: itself and its rows' new lookups."""

    def __init__(self, looks_up: bool) -> None:
        self.looks_up = looks_up
        self.rows_per_page: float | None = None
        self.lookups_per_row: float | None = None

    def page(self, rows: int) -> None:
        self.rows_per_page = _blend(self.rows_per_page, rows)

    def looked_up(self, rows: int, lookups: int) -> None:
        if rows:
            self.lookups_per_row = _blend(self.lookups_per_row, lookups / rows)

    def pages_for(self, in_flight: Any) -> int:
        """Pages to read at once so that a batch is about ``BATCH_ROUNDS x in_flight``."""
        width = max(1, int(in_flight))
        if not self.looks_up:
            return width
        if self.rows_per_page is None or self.lookups_per_row is None:
            return 1  # nothing seen yet: one page, then its rows tell what a page costs
        per_page = 1.0 + self.rows_per_page * self.lookups_per_row
        return max(1, min(width, int(BATCH_ROUNDS * width / per_page)))


def _blend(old: float | None, new: float) -> float:
    # Recent pages count most (customers repeat more as a listing goes on), older ones too.
    return float(new) if old is None else 0.5 * old + 0.5 * new


def _plan_lookups(
    rows: Sequence[Payload],
    plan: JoinPlan[Any],
    memory: _Memory,
    fetching: Mapping[Lookup, Any] | None = None,
) -> tuple[dict[Lookup, Any], list[Lookup], list[Lookup]]:
    """The values known for ``rows``' lookups, those to send, and those already in flight."""
    values: dict[Lookup, Any] = {}
    missing: list[Lookup] = []
    waits: list[Lookup] = []
    for row in rows:
        for lookup in plan.needs(row):
            if lookup in values:
                continue
            known = memory.get(lookup, _UNKNOWN)
            values[lookup] = known
            if known is not _UNKNOWN:
                continue
            if fetching is not None and lookup in fetching:
                waits.append(lookup)
            else:
                missing.append(lookup)
    return values, missing, waits


def _absorb(
    plan: JoinPlan[Any],
    memory: _Memory,
    values: dict[Lookup, Any],
    lookups: Sequence[Lookup],
    answers: Sequence[Any],
) -> None:
    for lookup, answer in zip(lookups, answers, strict=True):
        if isinstance(answer, NotFound):
            found = None
        elif isinstance(answer, BaseException):
            raise answer
        else:
            found = plan.read(lookup, answer)
        values[lookup] = found
        memory.put(lookup, found)


def _build(rows: Sequence[Payload], plan: JoinPlan[T], values: Mapping[Lookup, Any]) -> list[T]:
    items = []
    for row in rows:
        item = plan.build(row, values)
        if item is not None:
            items.append(item)
    return items


def resolve(row: Payload, plan: JoinPlan[T]) -> Flow[T | None]:
    """One row as an item, with its lookups sent in one batch (for ``get``)."""
    values, missing, _ = _plan_lookups([row], plan, _Memory(0))
    if missing:
        answers = yield Batch(tuple(plan.fetch(lookup) for lookup in missing), tolerant=True)
        _absorb(plan, _Memory(0), values, missing, answers)
    return plan.build(row, values)


__all__ = [
    "BATCH_ROUNDS",
    "GROUPS_IN_FLIGHT",
    "REMEMBERED",
    "JoinPlan",
    "Lookup",
    "joined",
    "resolve",
]
