"""Orders: list with filters, count, create (historical), update, cancel, transactions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from storebridge.http import Response
from storebridge.sandbox import (
    EmulatorRequest,
    Endpoint,
    HTTPProblem,
    Span,
    json_response,
    read_member,
)
from storebridge_shopline.emulator.refunds import Refunds
from storebridge_shopline.emulator.state import StoreState
from storebridge_shopline.emulator.wire import (
    CENT,
    FULFILLMENT_FILTERS,
    Handler,
    Record,
    money_str,
    page_answer,
    parse_amount,
    parse_when,
    refuse_unemulated,
    text_set,
)

__all__ = ["Orders", "build_order", "customer_stub"]

_ORDER = r"orders/(?P<id>\d+)"
_WANTED_FULFILLMENT = {"unshipped": None, "partial": "partial", "shipped": "fulfilled"}


_STUB_KEYS = ("id", "email", "first_name", "last_name", "phone", "area_code", "currency",
              "created_at", "updated_at")  # fmt: skip
_NOT_IN_STUB_ADDRESS = ("id", "customer_id", "default")


def customer_stub(customer: Mapping[str, Any]) -> dict[str, Any]:
    """The order's ``customer``: as the orders API documents it, its ``addresses`` is one
    address object (the customer's default address as the order was placed), not a list."""
    stub = {k: customer.get(k) for k in _STUB_KEYS}
    address: Mapping[str, Any] = customer.get("default_address") or next(
        iter(customer.get("addresses") or []), {}
    )
    stub["addresses"] = {k: v for k, v in address.items() if k not in _NOT_IN_STUB_ADDRESS}
    return stub


def build_order(
    state: StoreState,
    *,
    lines: list[dict[str, Any]],
    customer: dict[str, Any] | None,
    email: str | None,
    created: str,
    name: str,
    currency: str,
    shipping: Decimal,
    tax_rate: Decimal,
    discount: Decimal = Decimal(0),
    financial_status: str = "paid",
    fulfillment_status: str | None = None,
    tags: str = "",
    note: str | None = None,
    shipping_address: dict[str, Any] | None = None,
    billing_address: dict[str, Any] | None = None,
    note_attributes: list[dict[str, Any]] | None = None,
    tax_override: Decimal | None = None,
    gateway: str = "SLpayments",
    taxes_included: bool = False,
) -> Record:
    """Create an order (with its sale and the customer's totals), as checkout would."""
    new_id = state.ids.new
    oid = new_id("order")
    subtotal = Decimal(0)
    tax_total = Decimal(0)
    rate = float(tax_rate)
    for line in lines:
        line["id"] = new_id("line")
        line_total = Decimal(line["price"]) * line["quantity"]
        subtotal += line_total
        line_tax = (line_total * tax_rate).quantize(CENT)
        tax_text = money_str(line_tax)
        line["tax_lines"] = (
            [{"title": "VAT", "rate": rate, "price": tax_text, "type": "product_tax"}]
            if line_tax
            else []
        )
        line["_tax"] = tax_text
        tax_total += line_tax
    if tax_override is not None:
        tax_total = tax_override
    # Gross prices already contain the tax: it is reported, not added again.
    total = subtotal + shipping - discount + (0 if taxes_included else tax_total)
    total_text, shipping_text = money_str(total), money_str(shipping)
    order: dict[str, Any] = {
        "id": oid,
        "name": name,
        "store_id": "1631700219512",
        "email": email,
        "phone": customer.get("phone") if customer else None,
        "currency": currency,
        "presentment_currency": currency,
        "status": "open",
        "financial_status": financial_status,
        "fulfillment_status": fulfillment_status,
        "cancel_reason": None,
        "cancelled_at": None,
        "hidden_order": False,
        "created_at": created,
        "updated_at": created,
        "processed_at": created,
        "order_at": created,
        "tags": tags,
        "note": note,
        "note_attributes": note_attributes or [],
        "taxes_included": taxes_included,
        "line_items": lines,
        "shipping_lines": (
            [
                {
                    "title": "Standard",
                    "code": "standard",
                    "price": shipping_text,
                    "price_set": state.money(shipping, currency),
                }
            ]
            if shipping
            else []
        ),
        "customer": customer_stub(customer) if customer else None,
        "shipping_address": shipping_address,
        "billing_address": billing_address,
        "payment_gateway_names": [gateway] if financial_status == "paid" else [],
        "refunds": [],
        "_shipping": shipping_text,
        "_shipping_refunded": "0.00",
        "_total": total_text,
        "_refunded": "0.00",
        "_subtotal": money_str(subtotal),
        "_tax": money_str(tax_total),
        "_discount": money_str(discount),
    }
    state.orders.add(order)
    state.transactions[oid] = []
    if financial_status in ("paid", "partially_refunded", "refunded"):
        state.transactions[oid].append(
            {
                "id": new_id("transaction"),
                "order_id": oid,
                "kind": "sale",
                "status": "success",
                "gateway": gateway,
                "amount": total_text,
                "currency": currency,
                "created_at": created,
                "processed_at": created,
                "_refunded": "0.00",
            }
        )
    if customer is not None:
        customer["orders_count"] = int(customer.get("orders_count") or 0) + 1
        spent = Decimal(customer.get("total_spent") or "0") + total
        customer["total_spent"] = money_str(spent)
        customer["last_order_id"] = oid
        customer["last_order_name"] = name
    return order


class Orders:
    """``orders.json`` and friends."""

    def __init__(self, state: StoreState, refunds: Refunds) -> None:
        self.state = state
        self.refunds = refunds
        self.hidden: set[str] = set()
        """Ids of archived orders (``hide_mark``)."""

    def endpoints(self) -> list[Endpoint[Handler]]:
        return [
            Endpoint("GET", r"orders\.json", self.list_orders, "read_orders"),
            Endpoint("POST", r"orders\.json", self.create_order, "write_orders"),
            Endpoint("GET", r"orders/count\.json", self.count_orders, "read_orders"),
            Endpoint("PUT", rf"{_ORDER}\.json", self.update_order, "write_orders"),
            Endpoint("POST", rf"{_ORDER}/cancel\.json", self.cancel_order, "write_orders"),
            Endpoint("PUT", rf"{_ORDER}/hide_mark\.json", self.hide_order, "write_orders"),
            Endpoint("PUT", rf"{_ORDER}/cancel_hide_mark\.json", self.unhide_order, "write_orders"),
            Endpoint(
                "GET", rf"{_ORDER}/transactions\.json", self.order_transactions, "read_orders"
            ),
        ]

    def render_order(self, order: Record) -> Record:
        # Every amount is kept as its two-decimal text: rendering copies, never recomputes
        # (a page of orders is rendered while the store is locked).
        cur = order["currency"]
        numeric = self.state.options.numeric_set_amounts
        total, refunded = order["_total"], order["_refunded"]
        current = total if refunded == "0.00" else money_str(Decimal(total) - Decimal(refunded))
        unpaid = order["financial_status"] in ("unpaid", "pending")
        subtotal, tax, discount = order["_subtotal"], order["_tax"], order["_discount"]
        out = {k: v for k, v in order.items() if k[0] != "_"}
        lines = []
        for item in order["line_items"]:
            line = {k: v for k, v in item.items() if k[0] != "_"}
            line["price_set"] = text_set(line["price"], cur, numeric)
            lines.append(line)
        out["line_items"] = lines
        for key, text in (
            ("current_total_price", current),
            ("current_subtotal_price", subtotal),
            ("current_total_tax", tax),
            ("current_total_discounts", discount),
            ("subtotal_price", subtotal),
            ("total_line_items_price", subtotal),
            ("total_tax", tax),
            ("total_discounts", discount),
            ("total_outstanding", total if unpaid else "0.00"),
        ):
            out[key] = text
            out[f"{key}_set"] = text_set(text, cur, numeric)
        out["total_shipping_price_set"] = text_set(order["_shipping"], cur, numeric)
        return out

    def _rows(self, filters: Mapping[str, str]) -> Span[Record]:
        keep, status = self._filter(filters)
        return self.state.select(self.state.orders, filters, keep, status)

    def _filter(self, filters: Mapping[str, str]) -> tuple[Callable[[Record], bool] | None, str]:
        """What the common filters leave to check per order, and the status asked for."""
        status = filters.get("status") or self.state.options.default_order_status
        if status not in ("open", "cancelled", "any"):
            raise HTTPProblem(400, {"errors": "status value is illegal"})
        fulfillment = filters.get("fulfillment_status")
        if fulfillment and fulfillment not in FULFILLMENT_FILTERS:
            raise HTTPProblem(400, {"errors": "fulfillment status value is illegal"})
        financial = filters.get("financial_status")
        if financial == "any":
            financial = None
        shipped = _WANTED_FULFILLMENT[fulfillment] if fulfillment and fulfillment != "any" else ""
        name = filters.get("name")
        email = (filters.get("email") or "").lower()
        hidden = filters.get("hidden_order")
        if hidden not in (None, "true", "false"):
            raise HTTPProblem(400, {"errors": "hidden_order value is illegal"})
        # Archived orders: only with hidden_order=true (those alone), unless the option
        # says plain lists hold them (and hidden_order=true lists every order).
        every = self.state.options.archived_in_plain_lists and hidden != "false"
        archived = hidden == "true"
        plain = not financial and shipped == "" and not name and not email
        if status == "any" and plain and (every or (not archived and not self.hidden)):
            return None, status

        def keep(order: Record) -> bool:
            return (
                (every or bool(order.get("hidden_order")) == archived)
                and (status == "any" or order["status"] == status)
                and (not financial or order["financial_status"] == financial)
                and (shipped == "" or order["fulfillment_status"] == shipped)
                and (not name or order["name"] == name)
                and (not email or (order["email"] or "").lower() == email)
            )

        return keep, status

    def list_orders(self, req: EmulatorRequest) -> Response:
        refuse_unemulated(req, "orders")
        return page_answer(req, "orders", "orders", self._rows, self.render_order)

    def count_orders(self, req: EmulatorRequest) -> Response:
        refuse_unemulated(req, "orders")
        keep, status = self._filter(req.query)
        return json_response(200, {"count": self.state.count(self.state.orders, req.query, keep,
                                                             status)})  # fmt: skip

    def create_order(self, req: EmulatorRequest) -> Response:
        body = read_member(req, "order", lambda: HTTPProblem(400, {"errors": "order is required"}))
        items = body.get("line_items")
        if not isinstance(items, list) or not items:
            raise HTTPProblem(422, {"errors": {"line_items": ["can't be blank"]}})
        lines = [self._line(index, item) for index, item in enumerate(items)]
        customer = None
        if isinstance(body.get("customer"), dict) and body["customer"].get("id"):
            customer = self.state.customers.rows.get(str(body["customer"]["id"]))
            if customer is None:
                raise HTTPProblem(422, {"errors": {"customer.id": ["does not exist"]}})
        options = self.state.options
        enabled = tuple(dict.fromkeys((options.currency, *options.enabled_currencies)))
        currency = str(body.get("currency") or options.currency)
        if currency not in enabled:
            allowed = ", ".join(enabled)
            raise HTTPProblem(422, {"errors": {"currency": [f"currency must be one of {allowed}"]}})
        shipping = sum(
            (
                parse_amount(s.get("price", 0), "shipping_lines.price")
                for s in body.get("shipping_lines") or []
            ),
            Decimal(0),
        )
        created = body.get("processed_at") or self.state.stamp()
        parse_when(created, "processed_at")
        order = build_order(
            self.state,
            lines=lines,
            customer=customer,
            email=body.get("email") or (customer or {}).get("email"),
            created=created,
            name=str(body.get("name") or f"#{1000 + len(self.state.orders.rows) + 1}"),
            currency=currency,
            shipping=shipping,
            tax_rate=Decimal(0),
            tax_override=parse_amount(body.get("total_tax", 0), "total_tax"),
            discount=parse_amount(body.get("total_discounts", 0), "total_discounts"),
            financial_status=body.get("financial_status") or "paid",
            tags=str(body.get("tags") or ""),
            note=body.get("note"),
            shipping_address=body.get("shipping_address"),
            billing_address=body.get("billing_address"),
            note_attributes=body.get("note_attributes"),
            gateway="manual",
            taxes_included=body.get("taxes_included") is True,
        )
        self._updated(order)
        return json_response(200, {"order": self.render_order(order)})

    def _line(self, index: int, item: Any) -> dict[str, Any]:
        found = (
            self.state.variants.get(str(item.get("variant_id"))) if item.get("variant_id") else None
        )
        if item.get("variant_id") and found is None:
            raise HTTPProblem(
                422, {"errors": {f"line_items[{index}].variant_id": ["does not exist"]}}
            )
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or quantity < 1:
            raise HTTPProblem(
                422, {"errors": {f"line_items[{index}].quantity": ["must be at least 1"]}}
            )
        price = item.get("price", found[1]["price"] if found else None)
        if price is None:
            raise HTTPProblem(422, {"errors": {f"line_items[{index}].price": ["can't be blank"]}})
        return {
            "product_id": found[0]["id"] if found else item.get("product_id"),
            "variant_id": found[1]["id"] if found else None,
            "sku": item.get("sku") or (found[1]["sku"] if found else None),
            "title": item.get("title") or (found[0]["title"] if found else "Item"),
            "name": item.get("title"),
            "quantity": quantity,
            "price": money_str(parse_amount(price, f"line_items[{index}].price")),
            "requires_shipping": True,
            "taxable": True,
            "fulfillable_quantity": quantity,
            "fulfillment_status": None,
        }

    def _updated(self, order: Record, stamp: str | None = None) -> None:
        order["updated_at"] = stamp or self.state.stamp()
        self.state.orders.touched(order)

    def update_order(self, req: EmulatorRequest) -> Response:
        order = self.state.order(req.params["id"])
        body = read_member(req, "order", lambda: HTTPProblem(400, {"errors": "order is required"}))
        for key in ("email", "phone", "tags", "note", "note_attributes"):
            if key in body:
                order[key] = body[key]
        if isinstance(body.get("shipping_address"), dict):
            order["shipping_address"] = _readdressed(
                order.get("shipping_address"), body["shipping_address"]
            )
        self._updated(order)
        return json_response(200, {"order": self.render_order(order)})

    def hide_order(self, req: EmulatorRequest) -> Response:
        """``PUT orders/:id/hide_mark.json``: archive the order (listed only when asked)."""
        return self._mark_hidden(req.params["id"], True)

    def unhide_order(self, req: EmulatorRequest) -> Response:
        return self._mark_hidden(req.params["id"], False)

    def _mark_hidden(self, order_id: str, hidden: bool) -> Response:
        order = self.state.order(order_id)
        order["hidden_order"] = hidden
        (self.hidden.add if hidden else self.hidden.discard)(order_id)
        self._updated(order)
        return json_response(200, {"order": self.render_order(order)})

    def cancel_order(self, req: EmulatorRequest) -> Response:
        order = self.state.order(req.params["id"])
        if order["status"] == "cancelled":
            raise HTTPProblem(422, {"errors": "The order has been cancelled."})
        body = req.json() if req.body else {}
        amount = parse_amount(body.get("amount") or 0, "amount")
        if amount > 0:
            self.refunds.refund_money(order, amount)
        if body.get("restock"):
            for line in order["line_items"]:
                self.refunds.restock(line, line["quantity"])
        order["status"] = "cancelled"
        order["cancelled_at"] = self.state.stamp()
        order["cancel_reason"] = body.get("cancel_reason") or "other"
        self._updated(order, order["cancelled_at"])
        return json_response(200, {"order": self.render_order(order)})

    def order_transactions(self, req: EmulatorRequest) -> Response:
        order = self.state.order(req.params["id"])
        rows = [
            {k: v for k, v in t.items() if not k.startswith("_")}
            for t in self.state.transactions[order["id"]]
        ]
        return json_response(200, {"transactions": rows})


def _readdressed(current: dict[str, Any] | None, given: dict[str, Any]) -> dict[str, Any]:
    """An order address updated with ``given``: the fields given replace the stored ones
    ("" and null clear one), the others stay. ``name`` is no input: it is the first and
    last name joined (inferred from the documented examples), so it follows them."""
    address = {**(current or {}), **given}
    if "first_name" in given or "last_name" in given:
        parts = (address.get("first_name"), address.get("last_name"))
        address["name"] = " ".join(p for p in parts if p) or None
    return address
