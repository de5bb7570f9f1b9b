"""Orders: list (newest first), get, create, update, cancel, and how orders render per API
version (2024-04-01 / 2023-02-10).

Every shape here carries the fields the vendor's OpenAPI spec marks as required for the
operation and version that returns it. Lists bisect the placement index for date windows
and slice the page before rendering; other filters are applied once per query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem, Span, json_response
from storebridge_29next._converter import too_long_fields
from storebridge_29next.emulator.state import (
    Line,
    OrderRecord,
    StoreState,
    TransactionRecord,
    add_fulfillment_order,
)
from storebridge_29next.emulator.transactions import attribution, render_transaction
from storebridge_29next.emulator.users import EMAIL, Users, user_inline
from storebridge_29next.emulator.wire import (
    LEGACY,
    ZERO,
    Handler,
    Ordering,
    Response,
    date_param,
    decimal_value,
    integer_value,
    invalid,
    iso,
    list_param,
    money,
    object_body,
    page_answer,
    refuse_unemulated,
    required,
)

if TYPE_CHECKING:
    from storebridge_29next.emulator.refunds import Refunds

__all__ = ["Orders", "line_product", "line_row", "order_row", "render_order"]

_NUMBER = r"/orders/(?P<number>[^/]+)"
_SET_FILTERS = ("status", "payment_status", "fulfillment_status", "currency")
_ADDRESS_TEXT = ("first_name", "last_name", "line1", "line2", "line3", "line4", "state",
                 "postcode", "country", "phone_number", "notes")  # fmt: skip
"""Order address fields the spec types as strings, not nullable: null is refused, "" clears."""


def _money_fields(record: OrderRecord, version: str) -> dict[str, Any]:
    total = money(record.total)
    shipping = money(record.shipping)
    fields = {
        "total_incl_tax": total,
        "total_excl_tax": total,
        "total_tax": ZERO,
        "total_cost": ZERO,
        "shipping_incl_tax": shipping,
        "shipping_excl_tax": shipping,
        "shipping_tax": ZERO,
        "original_total_incl_tax": total,
        "original_total_excl_tax": total,
        "original_shipping_incl_tax": shipping,
        "original_shipping_excl_tax": shipping,
    }
    if version != LEGACY:
        fields.update(
            {
                "total_discount": ZERO,
                "original_total_discount": ZERO,
                "total_outstanding": ZERO
                if record.payment_status != "authorized"
                else money(record.total),
            }
        )
    return fields


def _common_order(
    state: StoreState, record: OrderRecord, version: str, origin: str
) -> dict[str, Any]:
    return {
        "number": record.number,
        "status": record.status,
        "payment_status": record.payment_status,
        "fulfillment_status": record.fulfillment_status,
        "currency": record.currency,
        "display_taxes": "excl",
        "is_test": True,
        "source": record.source,
        "metadata": record.metadata or {},
        "order_status_url": f"{origin}/checkout/order/{record.number}/",
        "shipping_code": "standard" if record.shipping else "free",
        "shipping_method": "Standard Shipping" if record.shipping else "Free Shipping",
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "date_placed": iso(record.date_placed),
        "user": user_inline(state, record.user_id),
        **_money_fields(record, version),
    }


def order_row(state: StoreState, record: OrderRecord, version: str, origin: str) -> dict[str, Any]:
    """An ``OrderList`` row. On 2023-02-10 list rows still embed lines, addresses and tags
    (not the transactions, refunds and fulfillments)."""
    body = _common_order(state, record, version, origin)
    if version == LEGACY:
        body.update(_legacy_extras(state, record, version, origin, detail=False))
    return body


def _legacy_extras(
    state: StoreState, record: OrderRecord, version: str, origin: str, *, detail: bool
) -> dict[str, Any]:
    lines = [line_row(line, record, version, origin, detail=detail) for line in record.lines]
    return {
        "attribution": attribution(),
        "billing_address": record.billing_address,
        "shipping_address": record.shipping_address,
        "lines": lines,
        "offer_discounts": [],
        "voucher_discounts": [],
        "subscription_lifecycle": "non-recurring",
        "subscriptions": [],
        "tags": list(record.tags),
    }


def line_product(line: Line, origin: str) -> dict[str, Any]:
    """What a line says about its product (order lines and refund lines alike)."""
    return {
        "product_id": line.product_id,
        "variant_id": line.variant_id,
        "sku": line.sku,
        "product_title": line.product_title,
        "variant_title": line.variant_title,
        "product_image": f"{origin}/media/products/{line.product_id}.png",
        "product_url": f"{origin}/catalogue/{line.product_id}/",
    }


def line_row(
    line: Line, record: OrderRecord, version: str, origin: str, *, detail: bool = True
) -> dict[str, Any]:
    """An order line as ``version`` renders it; ``detail``: in a full ``Order`` (2023-02-10
    list rows' lines, its ``OrderLine``, carry no ``tax_lines``)."""
    price = money(line.price)
    common: dict[str, Any] = {
        "id": line.id,
        "price_incl_tax": price,
        "price_excl_tax": price,
        "unit_cost": ZERO,
        "total_cost": ZERO,
        "is_upsell": False,
        "is_gift_card": False,
        "metadata": {},
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }
    if detail or version != LEGACY:
        common["tax_lines"] = []
    if version == LEGACY:
        return {
            **common,
            "quantity": line.current_quantity,
            "price_currency": record.currency,
            "price_incl_tax_excl_discounts": price,
            "price_excl_tax_excl_discounts": price,
            "product": {
                "id": line.product_id,
                "title": line.product_title,
                "url": f"{origin}/catalogue/{line.product_id}/",
                "images": [],
                "categories": [],
                "upc": None,
            },
            "stockrecord": {
                "id": line.stockrecord_id,
                "partner_sku": line.sku,
                "price": price,
                "price_currency": record.currency,
                "num_in_stock": None,
                "num_allocated": None,
            },
        }
    return {
        **common,
        **line_product(line, origin),
        "currency": record.currency,
        "quantity": line.quantity,
        "current_quantity": line.current_quantity,
        "fulfillable_quantity": line.fulfillable_quantity,
        "editable_quantity": line.fulfillable_quantity,
        "requires_shipping": line.requires_shipping,
        "original_price_incl_tax": price,
        "original_price_excl_tax": price,
        "total_discount": ZERO,
        "original_total_discount": ZERO,
        "report_values": {
            "currency": record.currency,
            "price_incl_tax": price,
            "price_excl_tax": price,
            "original_price_incl_tax": price,
            "original_price_excl_tax": price,
            "total_discount": ZERO,
            "original_total_discount": ZERO,
            "unit_cost": ZERO,
            "total_cost": ZERO,
        },
    }


def render_order(
    state: StoreState, record: OrderRecord, version: str, origin: str
) -> dict[str, Any]:
    """A full ``Order``."""
    body = _common_order(state, record, version, origin)
    body.update(_legacy_extras(state, record, version, origin, detail=True))
    body["voucher_discounts"] = []
    body["tax_lines"] = []
    body["shipping_tax_lines"] = []
    body["supports_post_purchase_upsells"] = False
    body["transactions"] = [
        render_transaction(state, state.transactions[tid], "object")
        for tid in record.transaction_ids
    ]
    body["refunds"] = list(record.refunds)
    body["fulfillments"] = []
    report = {k: v for k, v in _money_fields(record, version).items() if k != "total_tax"}
    report.pop("shipping_tax", None)
    # Report values hold no outstanding amount (and on 2023-02-10 no discounts either).
    report.pop("total_outstanding", None)
    body["report_values"] = {"currency": record.currency, **report}
    return body


def _placement(order: OrderRecord) -> tuple[datetime, str]:
    return (order.date_placed, order.number)


def _dump_placement(position: tuple[datetime, str]) -> str:
    return f"{position[0].isoformat()} {position[1]}"


def _load_placement(text: str) -> tuple[datetime, str]:
    stamp, space, number = text.partition(" ")
    placed = datetime.fromisoformat(stamp)
    if not space or not number or placed.utcoffset() is None:
        # Placements are aware: a naive one could not even be compared with them.
        raise ValueError("not a placement")
    return (placed, number)


NEWEST_PLACED_FIRST = Ordering(_placement, _dump_placement, _load_placement, descending=True)
"""Orders are listed by placement; placement times may repeat, so the number breaks ties
and is part of the position (an offset among equal times would shift when one of them is
deleted)."""


class Orders:
    """``/orders/``: newest placed first; filters by status, date, tag, SKU and number."""

    def __init__(
        self,
        state: StoreState,
        users: Users,
        refunds: Refunds,
        page_size: int,
        now: Callable[[], datetime],
    ) -> None:
        self.state = state
        self.users = users
        self.refunds = refunds
        self.page_size = page_size
        self.now = now

    def endpoints(self) -> list[Endpoint[Handler]]:
        read, write = "orders:read", "orders:write"
        return [
            Endpoint("GET", "/orders/", self.list_orders, read),
            Endpoint("POST", "/orders/", self.create_order, write),
            Endpoint("GET", f"{_NUMBER}/", self.get_order, read),
            Endpoint("PATCH", f"{_NUMBER}/", self.patch_order, write),
            Endpoint("POST", f"{_NUMBER}/cancel/", self.cancel_order, write),
        ]

    # Lists -----------------------------------------------------------------------------
    def list_orders(self, req: EmulatorRequest, version: str) -> Response:
        rows = self._listing(req)
        origin = req.origin
        return page_answer(
            req,
            rows,
            self.page_size,
            lambda o: order_row(self.state, o, version, origin),
            NEWEST_PLACED_FIRST,
        )

    def _listing(self, req: EmulatorRequest) -> Span[OrderRecord]:
        refuse_unemulated(req, "orders")
        low = req.query.get("date_placed_from")
        high = req.query.get("date_placed_to")
        low_day = date_param(low, "date_placed_from") if low else None
        high_day = date_param(high, "date_placed_to") if high else None
        sets = {name: frozenset(list_param(req, name)) for name in _SET_FILTERS}
        sets["source"] = frozenset(list_param(req, "sources"))
        test_flag = req.query.get("is_test")
        if test_flag is not None and test_flag not in ("true", "false", "True", "False"):
            raise invalid("is_test", "Must be a valid boolean.")
        # Every emulated order is a test order: is_test=false keeps none of them.
        no_order = test_flag in ("false", "False")
        tags = frozenset(list_param(req, "tags"))
        skus = frozenset(list_param(req, "sku"))
        number = req.query.get("order_number")
        by_placed = self.state.orders_by_placed
        exact_days = self.state.offset_orders == 0
        if exact_days:
            # Every order is placed in UTC: a day window is a run of the placement index.
            start = datetime.combine(low_day, time(0), UTC) if low_day else None
            end = datetime.combine(high_day + timedelta(days=1), time(0), UTC) if high_day else None
            window = by_placed.span(start, end, by=_placed_at, include_high=False, descending=True)
            if not any(sets.values()) and not tags and not skus and not number and not no_order:
                return window
        else:
            window = by_placed.span(descending=True)

        def keep(order: OrderRecord) -> bool:
            if no_order:
                return False
            if any(wanted and getattr(order, name) not in wanted for name, wanted in sets.items()):
                return False
            if not exact_days:
                day = order.date_placed.date()
                if (low_day and day < low_day) or (high_day and day > high_day):
                    return False
            if tags and not tags & set(order.tags):
                return False
            if skus and not {line.sku for line in order.lines} & skus:
                return False
            return not number or order.number == number

        query = ("orders", low_day, high_day, tuple(sets.items()), tags, skus, number, no_order)
        return self.state.listings.get(query, self.state.revision(), lambda: window.where(keep))

    # Single orders ---------------------------------------------------------------------
    def get_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self.state.order(req.params["number"])
        return json_response(200, render_order(self.state, record, version, req.origin))

    def _address(self, value: Any, field: str, current: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise invalid(field, "Invalid data. Expected a dictionary.")
        nulls = [k for k in _ADDRESS_TEXT if k in value and value[k] is None]
        if nulls:
            raise HTTPProblem(400, {field: {k: ["This field may not be null."] for k in nulls}})
        too_long = too_long_fields(value)
        if too_long:
            raise HTTPProblem(400, {field: too_long})
        merged = {**(current or {}), **value}
        missing = [k for k in ("line1", "line4", "country") if not merged.get(k)]
        if missing:
            raise HTTPProblem(400, {field: {k: required() for k in missing}})
        if not re.fullmatch(r"[A-Z]{2}", str(merged["country"])):
            raise HTTPProblem(
                400, {field: {"country": [f'"{merged["country"]}" is not a valid choice.']}}
            )
        merged.setdefault("first_name", "")
        merged.setdefault("last_name", "")
        merged["id"] = (current or {}).get("id") or self.state.next_id("order_address", 3000)
        return {k: v for k, v in merged.items() if v is not None}

    def patch_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self.state.order(req.params["number"])
        body = object_body(req)
        for key in ("shipping_address", "billing_address"):
            if key in body:
                value = body[key]
                current = getattr(record, key)
                setattr(record, key, None if value is None else self._address(value, key, current))
        if "tags" in body:
            if not isinstance(body["tags"], list):
                raise invalid("tags", 'Expected a list of items but got type "str".')
            record.tags = [str(t) for t in body["tags"] if t]
        if "metadata" in body:
            record.metadata = body["metadata"]
        if "status" in body:
            record.status = str(body["status"])
        record.updated_at = self.now()
        return json_response(200, render_order(self.state, record, version, req.origin))

    def create_order(self, req: EmulatorRequest, version: str) -> Response:
        body = object_body(req)
        lines_in = body.get("lines")
        if not isinstance(lines_in, list) or not lines_in:
            raise HTTPProblem(400, {"lines": required()})
        # 2023-02-10 carries the currency on each line, 2024-04-01 on the order.
        first = lines_in[0] if isinstance(lines_in[0], dict) else {}
        currency = str(body.get("currency") or first.get("currency") or "USD")
        errors: list[dict[str, Any]] = []
        lines: list[Line] = []
        for item in lines_in:
            problems: dict[str, Any] = {}
            found = None
            if not isinstance(item, dict) or "product_id" not in item:
                problems["product_id"] = required()
            else:
                found = self.state.variant(integer_value(item["product_id"], "product_id"))
                if found is None:
                    problems["product_id"] = [
                        f'Invalid pk "{item["product_id"]}" - object does not exist.'
                    ]
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if not isinstance(quantity, int) or quantity < 1:
                problems["quantity"] = ["Ensure this value is greater than or equal to 1."]
            errors.append(problems)
            if problems or found is None or not isinstance(item, dict):
                continue
            product, variant = found
            price = (
                decimal_value(item["price"], "price")
                if item.get("price") is not None
                else Decimal(variant["prices"][0]["price"])
            )
            if not isinstance(quantity, int):  # pragma: no cover - rejected above
                continue
            lines.append(
                Line(
                    id=self.state.next_id("line", 1000),
                    product_id=product["id"],
                    variant_id=variant["id"],
                    sku=variant["sku"] or "",
                    product_title=product["title"],
                    variant_title=variant["title"],
                    price=price,
                    quantity=quantity,
                    current_quantity=quantity,
                    fulfillable_quantity=quantity,
                    requires_shipping=bool(variant["requires_shipping"]),
                    stockrecord_id=(variant["stockrecords"] or [{"id": 0}])[0]["id"],
                )
            )
        if any(errors):
            raise HTTPProblem(400, {"lines": errors})
        user_id = self._order_user(body.get("user"))
        now = self.now()
        placed = now
        if body.get("date_placed"):
            try:
                placed = datetime.fromisoformat(str(body["date_placed"]))
            except ValueError:
                raise invalid("date_placed", "Datetime has wrong format.") from None
            if placed.tzinfo is None:
                raise invalid("date_placed", "Datetime must include a UTC offset.")
        shipping = decimal_value(body.get("shipping_price", "0"), "shipping_price")
        number = str(100001 + len(self.state.orders))
        while number in self.state.orders:
            number = str(int(number) + 1)
        external = body.get("payment_method") == "external"
        record = OrderRecord(
            number=number,
            user_id=user_id,
            currency=currency,
            lines=lines,
            shipping=shipping,
            shipping_address=self._address(body["shipping_address"], "shipping_address", None)
            if body.get("shipping_address")
            else None,
            billing_address=self._address(body["billing_address"], "billing_address", None)
            if body.get("billing_address")
            else None,
            date_placed=placed,
            created_at=now,
            updated_at=now,
            status=str(body.get("status") or "open"),
            payment_status="paid" if external else "pending",
            tags=[str(t) for t in body.get("tags") or () if t],
            metadata=body.get("metadata"),
            source="admin_api",
        )
        self.state.add_order(record)
        if external:
            txn = TransactionRecord(
                id=self.state.next_id("transaction", 5000),
                order=number,
                user_id=user_id,
                type="debit",
                amount=record.total,
                currency=currency,
                date_created=placed,
                available_for_refund=record.total,
                is_external=True,
                gateway_name="External",
            )
            self.state.add_transaction(txn)
            record.transaction_ids.append(txn.id)
        add_fulfillment_order(self.state, record, fulfilled=False)
        return json_response(201, render_order(self.state, record, version, req.origin))

    def _order_user(self, value: Any) -> int:
        if not isinstance(value, dict):
            raise HTTPProblem(400, {"user": required()})
        if value.get("id") is not None:
            uid = integer_value(value["id"], "user.id")
            if uid not in self.state.users:
                raise HTTPProblem(400, {"user": {"id": [f'Invalid pk "{uid}".']}})
            return uid
        email = value.get("email")
        if not email or not EMAIL.match(str(email)):
            raise HTTPProblem(400, {"user": {"email": ["Enter a valid email address."]}})
        existing = self.state.user_with_email(str(email))
        if existing is not None:
            return existing
        return int(self.users.new_user({**value, "email": email})["id"])

    def cancel_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self.state.order(req.params["number"])
        body = object_body(req)
        reason = body.get("cancel_reason")
        if not isinstance(reason, str) or not reason.strip():
            raise HTTPProblem(400, {"cancel_reason": required()})
        if record.status == "canceled":
            raise HTTPProblem(400, {"detail": "Order is already canceled."})
        record.status = "canceled"
        record.cancel_reason = reason
        for fo in self.state.fulfillment_orders_of(record.number):
            if fo.status in ("open", "on_hold"):
                fo.status = "canceled"
                fo.updated_at = self.now()
        if body.get("full_refund"):
            # Cancelling with a full refund returns every remaining payment.
            allocations = []
            for tid in list(record.transaction_ids):
                txn = self.state.transactions[tid]
                left = txn.refundable
                if left > 0:
                    allocations.append((txn, left))
            if allocations:
                self.refunds.apply_refund(
                    record, allocations, [], Decimal(0), f"Canceled: {reason}"
                )
        record.updated_at = self.now()
        return json_response(200, render_order(self.state, record, version, req.origin))


def _placed_at(key: tuple[datetime, str]) -> datetime:
    return key[0]
