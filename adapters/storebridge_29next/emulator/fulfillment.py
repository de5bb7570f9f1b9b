"""Fulfillment orders: read, available locations, move, hold, cancellation and fulfillment
requests, and how they render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem, json_response
from storebridge_29next._fulfillment import HOLD_REASONS
from storebridge_29next.emulator.locations import render_location
from storebridge_29next.emulator.state import FulfillmentOrderRecord, Line, StoreState
from storebridge_29next.emulator.wire import (
    LEGACY,
    ZERO,
    Handler,
    Response,
    integer_value,
    invalid,
    iso,
    money,
    not_found,
    object_body,
    required,
)

__all__ = ["Fulfillment", "render_fulfillment_order"]


def render_fulfillment_order(
    state: StoreState, fo: FulfillmentOrderRecord, origin: str, version: str
) -> dict[str, Any]:
    """A ``FulfillmentOrder`` as ``version`` renders it: its lines carry the prices before
    discounts on 2023-02-10, the discount itself from 2024-04-01 on."""
    record = state.orders[fo.order_number]
    lines = {line.id: line for line in record.lines}
    items = []
    for entry in fo.line_items:
        line = lines[entry["order_line_id"]]
        open_units = 0 if fo.status in ("closed", "canceled") else entry["quantity"]
        price = money(line.price)
        discount: dict[str, Any] = {"total_discount": ZERO}
        if version == LEGACY:
            discount = {"price_incl_tax_excl_discounts": price,
                        "price_excl_tax_excl_discounts": price}  # fmt: skip
        items.append(
            {
                "id": entry["id"],
                "order_line_id": line.id,
                "fulfillment_order_id": fo.id,
                "product_id": str(line.product_id),
                "sku": line.sku,
                "product_title": line.product_title,
                "product_image": f"{origin}/media/products/{line.product_id}.png",
                "quantity": entry["quantity"],
                "fulfillable_quantity": str(open_units),
                "stockrecord_id": line.stockrecord_id,
                "price_incl_tax": price,
                "price_excl_tax": price,
                **discount,
                "currency": record.currency,
                "tax_lines": [],
            }
        )
    actions = ["move", "hold", "request_fulfillment"] if fo.status == "open" else []
    if fo.status == "processing":
        actions = ["cancel_fulfillment_order", "request_cancellation"]
    if fo.status == "on_hold":
        actions = ["release_hold"]
    shipping = record.shipping_address
    return {
        "id": fo.id,
        "order_number": fo.order_number,
        "status": fo.status,
        "request_status": fo.request_status,
        "assigned_location": render_location(state.locations[fo.location_id]),
        "shipping_method": {"code": "standard", "name": "Standard Shipping"},
        "shipping_address": dict(shipping) if shipping else None,
        "line_items": items,
        "fulfillment_holds": list(fo.holds),
        "merchant_requests": list(fo.merchant_requests),
        "supported_actions": actions,
        "created_at": iso(fo.created_at),
        "updated_at": iso(fo.updated_at),
    }


class Fulfillment:
    """``/fulfillment-orders/{id}/...`` and ``/orders/{number}/fulfillment-orders/``."""

    def __init__(
        self, state: StoreState, now: Callable[[], datetime], auto_accept_cancellation: bool
    ) -> None:
        self.state = state
        self.now = now
        self.auto_accept_cancellation = auto_accept_cancellation

    def endpoints(self) -> list[Endpoint[Handler]]:
        read, write = "fulfillment_orders:read", "fulfillment_orders:write"
        fo = r"/fulfillment-orders/(?P<id>\d+)"
        return [
            Endpoint(
                "GET",
                r"/orders/(?P<number>[^/]+)/fulfillment-orders/",
                self.order_fos,
                "orders:read",
            ),
            Endpoint("GET", f"{fo}/", self.get_fo, read),
            Endpoint("GET", f"{fo}/available-locations/", self.fo_locations, read),
            Endpoint("POST", f"{fo}/move/", self.move_fo, write),
            Endpoint("POST", f"{fo}/hold/", self.hold_fo, write),
            Endpoint("POST", f"{fo}/cancellation-request/", self.cancel_request, write),
            Endpoint("POST", f"{fo}/fulfillment-request/", self.request_fo, write),
        ]

    def _fo(self, ref: str) -> FulfillmentOrderRecord:
        fo = self.state.fulfillment_orders.get(int(ref)) if ref.isdigit() else None
        if fo is None:
            raise not_found()
        return fo

    def order_fos(self, req: EmulatorRequest, version: str) -> Response:
        record = self.state.order(req.params["number"])
        rows = [
            render_fulfillment_order(self.state, fo, req.origin, version)
            for fo in self.state.fulfillment_orders_of(record.number)
        ]
        # Described as a list by the vendor; answered as a bare array (see the docs page).
        return json_response(200, rows)

    def get_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        return json_response(200, render_fulfillment_order(self.state, fo, req.origin, version))

    def _line_of(self, fo: FulfillmentOrderRecord, entry: dict[str, Any]) -> Line:
        record = self.state.orders[fo.order_number]
        return next(line for line in record.lines if line.id == entry["order_line_id"])

    def fo_locations(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        result = []
        for loc_id, loc in sorted(self.state.locations.items()):
            if loc_id == fo.location_id:
                continue
            line_ids = []
            for entry in fo.line_items:
                found = self.state.variant(self._line_of(fo, entry).variant_id)
                if found is None:
                    continue
                stock = {s["location_id"]: s for s in found[1]["stockrecords"]}
                held = stock.get(loc_id)
                if held and (held["num_in_stock"] or 0) >= entry["quantity"]:
                    line_ids.append(entry["id"])
            if line_ids:
                result.append(
                    {"id": loc_id, "name": loc["name"], "fulfillment_order_line_ids": line_ids}
                )
        return json_response(200, {"available_locations": result})

    def _split(
        self, fo: FulfillmentOrderRecord, picked: dict[int, int | None]
    ) -> tuple[FulfillmentOrderRecord, FulfillmentOrderRecord | None]:
        """Split ``picked`` (line id -> quantity, None for all) off ``fo`` into a new one."""
        now = self.now()
        moved_items, kept_items = [], []
        for entry in fo.line_items:
            if entry["id"] not in picked:
                kept_items.append(entry)
                continue
            quantity = picked[entry["id"]] or entry["quantity"]
            moved_items.append(
                {
                    "id": self.state.next_id("fulfillment_order_line", 9500),
                    "order_line_id": entry["order_line_id"],
                    "quantity": quantity,
                }
            )
            if quantity < entry["quantity"]:
                kept_items.append({**entry, "quantity": entry["quantity"] - quantity})
        new = FulfillmentOrderRecord(
            id=self.state.next_id("fulfillment_order", 9000),
            order_number=fo.order_number,
            location_id=fo.location_id,
            line_items=moved_items,
            created_at=now,
            updated_at=now,
        )
        self.state.add_fulfillment_order_record(new)
        fo.updated_at = now
        if kept_items:
            fo.line_items = kept_items
            return new, fo
        fo.status = "closed"
        fo.request_status = "closed"
        return new, None

    def _picked(
        self, fo: FulfillmentOrderRecord, value: Any, with_quantity: bool
    ) -> dict[int, int | None]:
        if value in (None, []):
            return {entry["id"]: None for entry in fo.line_items}
        if not isinstance(value, list):
            raise invalid("fulfillment_order_line_items", "Expected a list of items.")
        mine = {entry["id"]: entry for entry in fo.line_items}
        picked: dict[int, int | None] = {}
        errors: list[dict[str, Any]] = []
        for item in value:
            problems: dict[str, list[str]] = {}
            ref = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ref, int) or ref not in mine:
                problems["id"] = [f"Line item {ref} is not part of this fulfillment order."]
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if with_quantity and not problems:
                most = mine[ref]["quantity"]
                if not isinstance(quantity, int) or not 1 <= quantity <= most:
                    problems["quantity"] = [f"Ensure this value is between 1 and {most}."]
            errors.append(problems)
            if not problems:
                picked[ref] = quantity if with_quantity else None  # type: ignore[index]
        if any(errors):
            raise HTTPProblem(400, {"fulfillment_order_line_items": errors})
        return picked

    def move_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = object_body(req)
        if "new_location_id" not in body:
            raise HTTPProblem(400, {"new_location_id": required()})
        target = integer_value(body["new_location_id"], "new_location_id")
        if target not in self.state.locations:
            raise invalid("new_location_id", f'Invalid pk "{target}" - object does not exist.')
        if fo.status != "open":
            raise HTTPProblem(
                400,
                {
                    "detail": f'Fulfillment order status is "{fo.status}"; only open '
                    "fulfillment orders can be moved."
                },
            )
        if target == fo.location_id:
            raise invalid("new_location_id", "The fulfillment order is already at this location.")
        picked = self._picked(fo, body.get("fulfillment_order_line_items"), with_quantity=False)
        moved, _ = self._split(fo, picked)
        moved.location_id = target
        origin = req.origin
        return json_response(
            200,
            {
                "original_fulfillment_order": render_fulfillment_order(
                    self.state, fo, origin, version
                ),
                "moved_fulfillment_order": render_fulfillment_order(
                    self.state, moved, origin, version
                ),
            },
        )

    def hold_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = object_body(req)
        reason = body.get("reason")
        if reason is None:
            raise HTTPProblem(400, {"reason": required()})
        if reason not in HOLD_REASONS:
            raise invalid("reason", f'"{reason}" is not a valid choice.')
        if fo.status != "open":
            raise HTTPProblem(
                400, {"detail": f'Fulfillment order status is "{fo.status}"; it cannot be held.'}
            )
        fo.status = "on_hold"
        fo.holds.append(
            {
                "reason": reason,
                "reason_message": body.get("reason_message"),
                "created_at": iso(self.now()),
            }
        )
        fo.updated_at = self.now()
        return json_response(200, render_fulfillment_order(self.state, fo, req.origin, version))

    def cancel_request(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = object_body(req)
        if fo.status != "processing":
            raise HTTPProblem(
                400,
                {
                    "detail": f'Fulfillment order status is "{fo.status}"; only a processing '
                    "fulfillment order can be asked to cancel."
                },
            )
        fo.merchant_requests.append(
            {"type": "cancel_request", "message": body.get("message"), "notify": False}
        )
        fo.request_status = "cancel_requested"
        if self.auto_accept_cancellation:
            fo.request_status = "cancel_accepted"
            fo.status = "open"
        fo.updated_at = self.now()
        return json_response(200, render_fulfillment_order(self.state, fo, req.origin, version))

    def request_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = object_body(req)
        if fo.status != "open":
            raise HTTPProblem(
                400,
                {"detail": f'Fulfillment order status is "{fo.status}"; it cannot be requested.'},
            )
        picked = self._picked(fo, body.get("fulfillment_order_line_items"), with_quantity=True)
        before = render_fulfillment_order(self.state, fo, req.origin, version)
        if len(picked) == len(fo.line_items) and all(
            picked[e["id"]] in (None, e["quantity"]) for e in fo.line_items
        ):
            requested, rest = fo, None
        else:
            requested, rest = self._split(fo, picked)
        requested.status = "processing"
        requested.request_status = "requested"
        requested.merchant_requests.append(
            {
                "type": "fulfill_request",
                "message": body.get("message"),
                "notify": bool(body.get("notify", True)),
            }
        )
        origin = req.origin
        return json_response(
            200,
            {
                "original_fulfillment_order": before,
                "requested_fulfillment_order": render_fulfillment_order(
                    self.state, requested, origin, version
                ),
                "unrequested_fulfillment_order": render_fulfillment_order(
                    self.state, rest, origin, version
                )
                if rest is not None
                else None,
            },
        )
