"""Refunds: calculate (a trial) and create, never above what is refundable; list."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from storebridge.http import Response
from storebridge.sandbox import (
    EmulatorRequest,
    Endpoint,
    HTTPProblem,
    json_response,
)
from storebridge_shopline.emulator.state import StoreState
from storebridge_shopline.emulator.wire import CENT, Handler, money_str, parse_amount

__all__ = ["Refunds"]


class Refunds:
    """Refund trial (calculate), refund create and the order's refunds."""

    def __init__(self, state: StoreState) -> None:
        self.state = state

    def endpoints(self) -> list[Endpoint[Handler]]:
        order = r"orders/(?P<id>\d+)"
        return [
            Endpoint("GET", rf"{order}/refunds\.json", self.list_refunds, "read_orders"),
            Endpoint(
                "POST", rf"{order}/refunds/calculate\.json", self.calculate_refund, "write_orders"
            ),
            Endpoint("POST", r"order/refund\.json", self.create_refund, "write_orders"),
        ]

    def restock(self, line: Mapping[str, Any], quantity: int) -> None:
        found = self.state.variants.get(str(line.get("variant_id")))
        if found is not None and found[1]["id"] == line.get("variant_id"):
            variant = found[1]
            variant["inventory_quantity"] = int(variant["inventory_quantity"]) + quantity

    def _refundable_quantity(self, line: Mapping[str, Any]) -> int:
        return int(line["quantity"]) - int(line.get("_refunded_qty", 0))

    def _sales(self, order: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            t
            for t in self.state.transactions[order["id"]]
            if t["kind"] == "sale" and t["status"] == "success"
        ]

    def _remaining(self, sale: Mapping[str, Any]) -> Decimal:
        return Decimal(sale["amount"]) - Decimal(sale["_refunded"])

    def _refund_plan(self, order: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
        """Lines, shipping and amounts a refund request asks for; 422 beyond what is left."""
        currency = body.get("currency")
        if currency and currency != order["currency"]:
            raise HTTPProblem(422, {"errors": f"currency must be {order['currency']}"})
        by_id = {li["id"]: li for li in order["line_items"]}
        lines = []
        subtotal = tax = Decimal(0)
        for index, item in enumerate(body.get("refund_line_items") or []):
            line = by_id.get(str(item.get("line_item_id")))
            if line is None:
                raise HTTPProblem(
                    422,
                    {"errors": {f"refund_line_items[{index}].line_item_id": ["does not exist"]}},
                )
            kind = item.get("type")
            if kind not in ("Unshipped", "Returned"):
                raise HTTPProblem(
                    422,
                    {
                        "errors": {
                            f"refund_line_items[{index}].type": ["must be Unshipped or Returned"]
                        }
                    },
                )
            quantity = item.get("quantity")
            if not isinstance(quantity, int) or quantity < 1:
                raise HTTPProblem(
                    422,
                    {"errors": {f"refund_line_items[{index}].quantity": ["must be at least 1"]}},
                )
            if quantity > self._refundable_quantity(line):
                raise HTTPProblem(
                    422,
                    {
                        "errors": f"refund quantity {quantity} exceeds the refundable quantity "
                        f"{self._refundable_quantity(line)} of line item {line['id']}"
                    },
                )
            line_sub = Decimal(line["price"]) * quantity
            line_tax = (Decimal(line.get("_tax", "0")) * quantity / int(line["quantity"])).quantize(
                CENT
            )
            subtotal += line_sub
            tax += line_tax
            lines.append(
                {
                    "line": line,
                    "quantity": quantity,
                    "type": kind,
                    "subtotal": line_sub,
                    "tax": line_tax,
                    "restock_type": item.get("restock_type"),
                }
            )
        shipping_left = Decimal(order["_shipping"]) - Decimal(order["_shipping_refunded"])
        shipping = Decimal(0)
        ship = body.get("shipping") or {}
        if ship.get("full_refund"):
            shipping = shipping_left
        elif ship.get("amount") not in (None, ""):
            shipping = parse_amount(ship["amount"], "shipping.amount")
        if shipping < 0 or shipping > shipping_left:
            left = money_str(shipping_left)
            raise HTTPProblem(422, {"errors": f"shipping refund exceeds the refundable {left}"})
        return {
            "lines": lines,
            "subtotal": subtotal,
            "tax": tax,
            "shipping": shipping,
            "shipping_left": shipping_left,
            "total": subtotal + tax + shipping,
        }

    def calculate_refund(self, req: EmulatorRequest) -> Response:
        order = self.state.order(req.params["id"])
        plan = self._refund_plan(order, req.json())
        cur = order["currency"]
        left = plan["total"]
        suggestions = []
        for sale in self._sales(order):
            remaining = self._remaining(sale)
            share = min(left, remaining)
            left -= share
            suggestions.append(
                {
                    "order_id": order["id"],
                    "parent_id": sale["id"],
                    "gateway": sale["gateway"],
                    "kind": "suggested_refund",
                    "amount": money_str(share),
                    "maximum_refundable": money_str(remaining),
                    "currency": cur,
                }
            )
        if left > 0:
            raise HTTPProblem(422, {"errors": "refund amount exceeds the refundable amount"})
        refund = {
            "currency": cur,
            "refund_line_items": [
                {
                    "line_item_id": p["line"]["id"],
                    "price": p["line"]["price"],
                    "quantity": p["quantity"],
                    "subtotal": money_str(p["subtotal"]),
                    "total_tax": money_str(p["tax"]),
                    "discount_total_amount": "0.00",
                    "type": p["type"],
                }
                for p in plan["lines"]
            ],
            "shipping": {
                "amount": money_str(plan["shipping"]),
                "tax": "0.00",
                "maximum_refundable": money_str(plan["shipping_left"]),
            },
            "total_duties_set": self.state.money(Decimal(0), cur),
            "transactons": suggestions,
        }
        return json_response(200, {"refund": refund})

    def refund_money(self, order: dict[str, Any], amount: Decimal) -> list[dict[str, Any]]:
        """Refund ``amount`` across the order's sales (cancel with a refund)."""
        made = []
        left = amount
        for sale in self._sales(order):
            share = min(left, self._remaining(sale))
            if share <= 0:
                continue
            left -= share
            made.append(self._refund_transaction(order, sale, share))
        if left > 0:
            raise HTTPProblem(422, {"errors": "refund amount exceeds the refundable amount"})
        return made

    def _refund_transaction(
        self, order: dict[str, Any], sale: dict[str, Any], amount: Decimal
    ) -> dict[str, Any]:
        sale["_refunded"] = money_str(Decimal(sale["_refunded"]) + amount)
        order["_refunded"] = money_str(Decimal(order["_refunded"]) + amount)
        refunded_all = Decimal(order["_refunded"]) >= Decimal(order["_total"])
        order["financial_status"] = "refunded" if refunded_all else "partially_refunded"
        now = self.state.stamp()
        tx = {
            "id": self.state.ids.new("transaction"),
            "order_id": order["id"],
            "kind": "refund",
            "status": "success",
            "gateway": sale["gateway"],
            "amount": money_str(amount),
            "currency": order["currency"],
            "created_at": now,
            "processed_at": now,
            "parent_id": sale["id"],
            "_refunded": "0.00",
        }
        self.state.transactions[order["id"]].append(tx)
        return tx

    def create_refund(self, req: EmulatorRequest) -> Response:
        body = req.json()
        order = self.state.orders.rows.get(str(body.get("order_id")))
        if order is None:
            raise HTTPProblem(404, {"errors": "The order does not exist."})
        requested = body.get("transactions")
        if not isinstance(requested, list) or not requested:
            raise HTTPProblem(422, {"errors": {"transactions": ["is required"]}})
        plan = self._refund_plan(order, body)
        sales = {s["id"]: s for s in self._sales(order)}
        amounts: list[tuple[dict[str, Any], Decimal]] = []
        for index, item in enumerate(requested):
            sale = sales.get(str(item.get("id")))
            if sale is None:
                raise HTTPProblem(
                    422,
                    {"errors": {f"transactions[{index}].id": ["is not a payment of this order"]}},
                )
            amount = parse_amount(item.get("amount"), f"transactions[{index}].amount")
            if amount <= 0 or amount > self._remaining(sale):
                raise HTTPProblem(
                    422,
                    {
                        "errors": f"refund amount {money_str(amount)} exceeds the refundable "
                        f"{money_str(self._remaining(sale))} of transaction {sale['id']}"
                    },
                )
            amounts.append((sale, amount))
        now_ms = str(int(self.state.now() * 1000))
        made = [self._refund_transaction(order, sale, amount) for sale, amount in amounts]
        refund_lines = []
        for p in plan["lines"]:
            line = p["line"]
            line["_refunded_qty"] = int(line.get("_refunded_qty", 0)) + p["quantity"]
            if p.get("restock_type") == "return":
                self.restock(line, p["quantity"])
            refund_lines.append(
                {
                    "id": self.state.ids.new("refund_line"),
                    "line_item_id": line["id"],
                    "quantity": p["quantity"],
                    "restock_type": p.get("restock_type") or "no_restock",
                    "subtotal": money_str(p["subtotal"]),
                    "subtotal_set": self.state.money(p["subtotal"], order["currency"]),
                    "total_tax": money_str(p["tax"]),
                    "total_tax_set": self.state.money(p["tax"], order["currency"]),
                }
            )
        order["_shipping_refunded"] = money_str(
            Decimal(order["_shipping_refunded"]) + plan["shipping"]
        )
        rid = self.state.ids.new("refund")
        clean = [{k: v for k, v in t.items() if not k.startswith("_")} for t in made]
        stored = {
            "id": rid,
            "order_id": order["id"],
            "note": body.get("note"),
            "user_id": None,
            "created_at": self.state.stamp(),
            "processed_at": self.state.stamp(),
            "refund_line_items": refund_lines,
            "transactions": clean,
            "order_adjustments": [],
        }
        order["refunds"].append(stored)
        order["updated_at"] = self.state.stamp()
        self.state.orders.touched(order)
        data = {
            "id": rid,
            "order_id": order["id"],
            "note": body.get("note"),
            "create_at": now_ms,
            "status": "success",
            "refund_line_items": refund_lines,
            "transactions": [{**t, "create_at": now_ms} for t in clean],
            "order_adjustments": [],
            "total_duties_set": self.state.money(Decimal(0), order["currency"]),
        }
        return json_response(200, {"data": data})

    def list_refunds(self, req: EmulatorRequest) -> Response:
        return json_response(200, {"refunds": self.state.order(req.params["id"])["refunds"]})
