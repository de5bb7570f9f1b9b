"""What list rows lack, fetched in batches that ride along with the next pages.

An order row has no e-mail, name, address or SKU: they come from ``/customers/{id}`` and
``/products/{id}?flat=1``; a product row stands for variant rows it does not hold. Asking
for them page by page would stop the listing while each page's lookups come back. Instead,
:func:`joined` holds the rows of the pages just read and sends their lookups in the same
batch as the walk's next pages, so the shop always has a full batch of requests in flight;
the rows are emitted, in listing order, as soon as their lookups are in.

Each lookup is sent once per listing while it is among the last :data:`REMEMBERED` looked
up (a store's customers repeat across its orders); a lookup the shop answers with 404 (a
deleted customer) reads as None.

A batch holds its pages' rows and every answer until the last of them is in, so its size is
what the listing's memory is: when the source asks how many pages to read at once, it is told
as many as keep the batch (pages plus the lookups their rows will need, as observed so far) at
about :data:`BATCH_ROUNDS` times what the facade keeps in flight, never the full width in pages
(64 pages of 50 orders and their lookups would be thousands of answers held at once).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from storebridge.errors import NotFound, StorebridgeError
from storebridge.http import Request, Response
from storebridge.kit import CONCURRENCY, Batch, Emit, Flow, ListFlow, Payload

T = TypeVar("T")

Lookup = tuple[str, str]
"""What to look up and its ref: ``("customer", "1042")``, ``("skus", "77")``."""
REMEMBERED = 5000
"""Lookups a listing remembers (the most recently used), so memory stays flat."""
BATCH_ROUNDS = 6
"""A batch carries about this many times the requests the facade keeps in flight: more than
one, so the batch's slowest answer does not leave the pipe idle; few, so memory is bounded."""


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


def joined(source: ListFlow[Payload], plan: JoinPlan[T]) -> ListFlow[T]:
    """``source``'s rows as items, their lookups sent alongside the source's next requests.

    Errors the facade throws in while ``source`` waits for an answer are thrown into it;
    a lookup that fails with anything but 404 ends the listing with that error.
    """
    memory = _Memory(plan.remembered)
    load = _Load(plan.looks_up)
    held: list[Payload] = []
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                step = source.throw(error) if error is not None else source.send(value)
            except StopIteration:
                break
            value, error = None, None
            if isinstance(step, Emit):
                held.extend(step.items)
                load.page(len(step.items))
                continue
            if step is CONCURRENCY:
                try:
                    value = load.pages_for((yield step))
                except StorebridgeError as exc:
                    error = exc
                continue
            missing: list[Lookup] = []
            if held:
                values, missing = _plan_lookups(held, plan, memory)
                load.looked_up(len(held), len(missing))
                if not missing:
                    items, held = _build(held, plan, values), []
                    if items:
                        yield Emit(items)
            if not missing:
                try:
                    value = yield step
                except StorebridgeError as exc:
                    error = exc
                continue
            own = step.requests if isinstance(step, Batch) else (step,)
            answers = yield Batch(
                (*own, *(plan.fetch(lookup) for lookup in missing)), tolerant=True
            )
            _absorb(plan, memory, values, missing, answers[len(own) :])
            items = _build(held, plan, values)
            held = []
            if items:
                yield Emit(items)
            value, error = _for_source(step, answers[: len(own)])
        if held:
            values, missing = _plan_lookups(held, plan, memory)
            if missing:
                answers = yield Batch(
                    tuple(plan.fetch(lookup) for lookup in missing), tolerant=True
                )
                _absorb(plan, memory, values, missing, answers)
            items = _build(held, plan, values)
            if items:
                yield Emit(items)
    finally:
        source.close()


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
    rows: Sequence[Payload], plan: JoinPlan[Any], memory: _Memory
) -> tuple[dict[Lookup, Any], list[Lookup]]:
    values: dict[Lookup, Any] = {}
    missing: list[Lookup] = []
    for row in rows:
        for lookup in plan.needs(row):
            if lookup in values:
                continue
            known = memory.get(lookup, _UNKNOWN)
            values[lookup] = known
            if known is _UNKNOWN:
                missing.append(lookup)
    return values, missing


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


def _for_source(step: Any, answers: Sequence[Any]) -> tuple[Any, BaseException | None]:
    """What the source gets back for ``step``: its answers, or the error it would have got."""
    if isinstance(step, Batch) and step.tolerant:
        return list(answers), None
    failed = next((a for a in answers if isinstance(a, BaseException)), None)
    if failed is not None:
        return None, failed
    return (list(answers) if isinstance(step, Batch) else answers[0]), None


def resolve(row: Payload, plan: JoinPlan[T]) -> Flow[T | None]:
    """One row as an item, with its lookups sent in one batch (for ``get``)."""
    values, missing = _plan_lookups([row], plan, _Memory(0))
    if missing:
        answers = yield Batch(tuple(plan.fetch(lookup) for lookup in missing), tolerant=True)
        _absorb(plan, _Memory(0), values, missing, answers)
    return plan.build(row, values)


__all__ = ["BATCH_ROUNDS", "REMEMBERED", "JoinPlan", "Lookup", "joined", "resolve"]
