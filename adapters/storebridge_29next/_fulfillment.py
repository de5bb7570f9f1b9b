"""Fulfillment orders (platform operations, ``store.extra``): read, request, hold, ask to
cancel, move; their result classes; the hold reasons (used by the emulator too).

Each write goes through ``kit.reconciled_write``; a lost answer is settled by reading the
fulfillment order back (and, for requests and moves that split it, the order's other
fulfillment orders): the write counts as done when the fulfillment order shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from storebridge import validation
from storebridge.errors import PayloadError, ValidationError
from storebridge.http import Response, read_json
from storebridge.kit import Flow, Payload, reconciled_write, rows_at
from storebridge.model import FulfillmentOrder, FulfillmentOrderLine, FulfillmentOrderStatus
from storebridge_29next._converter import (
    FULFILLMENT_ORDER_STATUS_ALIASES,
    structure,
)
from storebridge_29next._requests import (
    PLATFORM,
    answer_as,
    body_object,
    get,
    int_ref,
    post,
    read_one,
)

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

HOLD_REASONS = ("address_incorrect", "out_of_stock", "high_risk", "awaiting_payment", "other")
"""``reason`` values accepted by ``hold_fulfillment_order`` (the spec's enum)."""


@attrs.frozen(kw_only=True)
class FulfillmentRequestResult:
    """``fulfillment-request/``: the order as it was, the part sent, the part kept back."""

    original: FulfillmentOrder
    requested: FulfillmentOrder
    unrequested: FulfillmentOrder | None


@attrs.frozen(kw_only=True)
class MoveResult:
    """``move/``: the original fulfillment order and the one now at the new location."""

    original: FulfillmentOrder
    moved: FulfillmentOrder


@attrs.frozen(kw_only=True)
class AvailableLocation:
    """A location that can fulfil some lines of a fulfillment order."""

    ref: str
    name: str
    line_refs: tuple[str, ...]


def fulfillment_order(p: Payload) -> FulfillmentOrder:
    status_raw = p.opt_string("status")
    location = p.opt_obj("assigned_location")
    return FulfillmentOrder(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        order_ref=p.ref("order_number"),
        status=FulfillmentOrderStatus.parse(status_raw, FULFILLMENT_ORDER_STATUS_ALIASES),
        status_raw=status_raw,
        location_ref=str(location.integer("id")) if location and location.has("id") else None,
        lines=p.each("line_items", _fulfillment_line),
        raw=p.data,
    )


def _fulfillment_line(line: Payload) -> FulfillmentOrderLine:
    return FulfillmentOrderLine(
        ref=str(line.integer("id")),
        line_ref=str(line.integer("order_line_id")),
        # Read as required: a line without its quantity, read as 0 units, would hide them
        # from every move and request.
        quantity=line.integer("quantity"),
        sku=line.opt_string("sku"),
    )


def _fo(body: Payload) -> FulfillmentOrder:
    return structure(body, FulfillmentOrder)


def _fo_rows(body: Any) -> list[Payload]:
    # The spec types this as one object while describing a list; accept every shape.
    if isinstance(body, dict) and "results" in body:
        rows, where = rows_at(body, ("results",), platform=PLATFORM), "$.results"
    elif isinstance(body, dict):
        return [Payload(body, "$", PLATFORM)]
    elif isinstance(body, list):
        rows, where = body, "$"
    else:
        raise PayloadError("expected a list of fulfillment orders", path="$", platform=PLATFORM)
    return [Payload(row, f"{where}[{i}]", PLATFORM) for i, row in enumerate(rows)]


def _holds_fos(including: str | None) -> Callable[[Response], None]:
    """An answer check: fulfillment orders with ids, among them ``including`` (one the order
    is known to have). An empty or wrong-shaped answer is then asked again: read before a
    write as "no fulfillment orders yet", it would let an earlier split or move pass for
    the one the write makes."""

    def check(response: Response) -> None:
        ids = {str(row.integer("id")) for row in _fo_rows(read_json(response))}
        if including is not None and including not in ids:
            raise PayloadError(
                f"the order's fulfillment orders leave out {including}, one of them",
                path="$",
                platform=PLATFORM,
            )

    return check


def fulfillment_orders(
    adapter: TwentyNineNextAdapter, order_ref: str, including: str | None = None
) -> Flow[list[FulfillmentOrder]]:
    """The order's fulfillment orders; ``including``: one of them, which the answer must
    hold."""
    response = yield get(adapter, "fulfillment_orders.list", "orders", order_ref,
                         "fulfillment-orders", check=_holds_fos(including))  # fmt: skip
    return [_fo(row) for row in _fo_rows(read_json(response))]


def get_fulfillment_order(adapter: TwentyNineNextAdapter, ref: str) -> Flow[FulfillmentOrder]:
    return read_one(
        adapter, "fulfillment_orders.get", "fulfillment-orders", ref, "id", FulfillmentOrder
    )


_fo_of = answer_as(FulfillmentOrder)


def _requests_of(fo: FulfillmentOrder) -> list[Any]:
    found = fo.raw.get("merchant_requests")
    return found if isinstance(found, list) else []


def _holds(fo: FulfillmentOrder) -> list[Any]:
    found = fo.raw.get("fulfillment_holds") if isinstance(fo.raw, dict) else None
    return found if isinstance(found, list) else []


def _kind(request: Any) -> Any:
    return request.get("type") if isinstance(request, dict) else None


def _message(value: str | None, field: str) -> str | None:
    return None if value is None else validation.text(value, field, multiline=True)


def request_fulfillment(
    adapter: TwentyNineNextAdapter,
    ref: str,
    *,
    lines: Mapping[str, int] | None,
    message: str | None,
    notify: bool,
) -> Flow[FulfillmentRequestResult]:
    body: dict[str, Any] = {"notify": notify}
    if message is not None:
        body["message"] = _message(message, "message")
    for line_ref, quantity in (lines or {}).items():
        validation.quantity(quantity, f"lines[{line_ref!r}]")
    if lines:
        body["fulfillment_order_line_items"] = [
            {"id": int_ref(line_ref, f"lines[{line_ref!r}]"), "quantity": quantity}
            for line_ref, quantity in lines.items()
        ]
    before = yield from get_fulfillment_order(adapter, ref)
    # What is there before the request: a split that matches it is this request's only if
    # it is new (an earlier request of the same lines looks the same).
    existing = {fo.ref for fo in (yield from fulfillment_orders(adapter, before.order_ref, ref))}
    request = post(adapter, "fulfillment_orders.request",
                   ("fulfillment-orders", ref, "fulfillment-request"), body)  # fmt: skip

    def parse(response: Response) -> FulfillmentRequestResult:
        data = body_object(response)
        unrequested = data.opt_obj("unrequested_fulfillment_order")
        return FulfillmentRequestResult(
            original=_fo(data.obj("original_fulfillment_order")),
            requested=_fo(data.obj("requested_fulfillment_order")),
            unrequested=_fo(unrequested) if unrequested else None,
        )

    def find() -> Flow[FulfillmentRequestResult | None]:
        # Lines picked in full move to a new fulfillment order (a split); what is sent is
        # known by its order lines and quantities, which survive the split.
        wanted = {
            line.line_ref: (lines or {}).get(line.ref, line.quantity)
            for line in before.lines
            if not lines or line.ref in lines
        }
        siblings = yield from fulfillment_orders(adapter, before.order_ref)
        ours = {fo.ref for fo in siblings} - existing
        if before.status_raw != "processing":
            ours.add(ref)  # requested whole, it stays itself
        sent = [
            fo
            for fo in siblings
            if fo.ref in ours
            and fo.status_raw == "processing"
            and {line.line_ref: line.quantity for line in fo.lines} == wanted
            and any(_kind(r) == "fulfill_request" for r in _requests_of(fo))
        ]
        if not sent:
            return None
        requested = max(sent, key=lambda fo: int(fo.ref))
        rest = next((fo for fo in siblings if fo.ref == ref and fo.ref != requested.ref), None)
        return FulfillmentRequestResult(original=before, requested=requested, unrequested=rest)

    return (yield from reconciled_write(request, parse, find))


def hold_fulfillment_order(
    adapter: TwentyNineNextAdapter, ref: str, *, reason: str, message: str | None
) -> Flow[FulfillmentOrder]:
    if reason not in HOLD_REASONS:
        raise ValidationError(
            f"reason {reason!r} is not one of {', '.join(HOLD_REASONS)}", field="reason"
        )
    body = {"reason": reason, "reason_message": _message(message, "message")}
    # The holds there before: a hold of the same reason already there is not this one.
    holds_before = len(_holds((yield from get_fulfillment_order(adapter, ref))))
    request = post(adapter, "fulfillment_orders.hold", ("fulfillment-orders", ref, "hold"), body)

    def find() -> Flow[FulfillmentOrder | None]:
        current = yield from get_fulfillment_order(adapter, ref)
        holds = _holds(current)
        last = holds[-1] if len(holds) > holds_before else None
        held = isinstance(last, dict) and last.get("reason") == reason
        return current if current.status_raw == "on_hold" and held else None

    return (yield from reconciled_write(request, _fo_of, find))


def request_cancellation(
    adapter: TwentyNineNextAdapter, ref: str, *, message: str | None
) -> Flow[FulfillmentOrder]:
    body = {"message": _message(message, "message")}
    # The requests there before: an earlier cancellation request is not this one.
    made_before = len(_requests_of((yield from get_fulfillment_order(adapter, ref))))
    request = post(adapter, "fulfillment_orders.cancellation_request",
                   ("fulfillment-orders", ref, "cancellation-request"), body)  # fmt: skip

    def find() -> Flow[FulfillmentOrder | None]:
        # Requests are kept in order: ours is the last one when it was made.
        current = yield from get_fulfillment_order(adapter, ref)
        made = _requests_of(current)
        last = made[-1] if len(made) > made_before else None
        asked = _kind(last) == "cancel_request"
        return current if asked else None

    return (yield from reconciled_write(request, _fo_of, find))


def available_locations(adapter: TwentyNineNextAdapter, ref: str) -> Flow[list[AvailableLocation]]:
    response = yield get(
        adapter, "fulfillment_orders.available_locations", "fulfillment-orders", ref,
        "available-locations",
    )  # fmt: skip
    data = body_object(response)
    return [
        AvailableLocation(
            ref=str(item.integer("id")),
            name=item.opt_string("name") or "",
            line_refs=tuple(_ids(item, "fulfillment_order_line_ids")),
        )
        for item in data.iter("available_locations", required=True)
    ]


def _ids(item: Payload, key: str) -> list[str]:
    value = item.raw(key) or []
    if type(value) is not list:
        item.fail("expected a list of ids", key)
    out = []
    for index, entry in enumerate(value):
        if type(entry) is int or (type(entry) is str and entry.isdigit() and len(entry) < 19):
            out.append(str(entry))
            continue
        raise PayloadError("expected an id", path=f"{item.path}.{key}[{index}]", platform=PLATFORM)
    return out


def move_fulfillment_order(
    adapter: TwentyNineNextAdapter,
    ref: str,
    location_ref: str,
    *,
    line_refs: Sequence[str] | None,
) -> Flow[MoveResult]:
    body: dict[str, Any] = {"new_location_id": int_ref(location_ref, "location_ref")}
    if line_refs is not None:
        # A str is a sequence too: "9500" would be read as the lines 9, 5, 0 and 0.
        chosen = validation.items(line_refs, "line_refs", str)
        if chosen:  # none named: the whole fulfillment order moves
            body["fulfillment_order_line_items"] = [
                {"id": int_ref(line, f"line_refs[{i}]")} for i, line in enumerate(chosen)
            ]
    current = yield from get_fulfillment_order(adapter, ref)
    if current.status_raw != "open":
        hint = (
            "; call request_fulfillment_cancellation() first and wait for the location to accept"
            if current.status_raw == "processing"
            else ""
        )
        raise ValidationError(
            f"fulfillment order {ref} is {current.status_raw!r}; only an 'open' one can be "
            f"moved{hint}",
            field="fulfillment_order_ref",
        )
    existing = {fo.ref for fo in (yield from fulfillment_orders(adapter, current.order_ref, ref))}
    request = post(adapter, "fulfillment_orders.move", ("fulfillment-orders", ref, "move"), body)
    moving = {line.line_ref for line in current.lines if not line_refs or line.ref in line_refs}

    def parse(response: Response) -> MoveResult:
        data = body_object(response)
        return MoveResult(
            original=_fo(data.obj("original_fulfillment_order")),
            moved=_fo(data.obj("moved_fulfillment_order")),
        )

    def find() -> Flow[MoveResult | None]:
        siblings = yield from fulfillment_orders(adapter, current.order_ref)
        moved = [
            fo
            for fo in siblings
            if fo.ref not in existing  # an earlier move of the same lines is not this one
            and fo.location_ref == str(body["new_location_id"])
            and {line.line_ref for line in fo.lines} == moving
        ]
        original = next((fo for fo in siblings if fo.ref == ref), None)
        if not moved or original is None:
            return None
        kept = set() if original.status_raw == "closed" else {ln.line_ref for ln in original.lines}
        if moving & kept:
            return None  # the lines are still where they were: not moved
        return MoveResult(original=original, moved=max(moved, key=lambda fo: int(fo.ref)))

    return (yield from reconciled_write(request, parse, find))


__all__ = [
    "HOLD_REASONS",
    "AvailableLocation",
    "FulfillmentRequestResult",
    "MoveResult",
    "available_locations",
    "fulfillment_order",
    "fulfillment_orders",
    "get_fulfillment_order",
    "hold_fulfillment_order",
    "move_fulfillment_order",
    "request_cancellation",
    "request_fulfillment",
]
