"""Refunds: calculate (a trial, 2024-04-01 on) and create, with the restock rules and the
capture rule (uncaptured payments refund only in full)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem, json_response
from storebridge_29next.emulator.orders import line_product, render_order
from storebridge_29next.emulator.state import Line, OrderRecord, StoreState, TransactionRecord
from storebridge_29next.emulator.transactions import render_transaction
from storebridge_29next.emulator.wire import (
    LEGACY,
    Handler,
    Response,
    decimal_value,
    invalid,
    iso,
    money,
    not_found,
    object_body,
    required,
)

__all__ = ["RESTOCK_TYPES", "Refunds"]

RESTOCK_TYPES = ("cancel", "no_restock", "return")
_NUMBER = r"/orders/(?P<number>[^/]+)"


class Refunds:
    """``/orders/{number}/refund/`` and ``.../refund/calculate/``."""

    def __init__(self, state: StoreState, now: Callable[[], datetime]) -> None:
        self.state = state
        self.now = now

    def endpoints(self) -> list[Endpoint[Handler]]:
        write = "orders:write"
        return [
            Endpoint("POST", f"{_NUMBER}/refund/calculate/", self.calculate_refund, write),
            Endpoint("POST", f"{_NUMBER}/refund/", self.refund_order, write),
        ]

    @staticmethod
    def _allowed_restock(line: Line) -> tuple[str, ...]:
        if line.fulfillable_quantity > 0:
            return ("cancel",)
        return ("return", "no_restock") if line.requires_shipping else ("no_restock",)

    def _refund_lines(
        self, record: OrderRecord, value: Any, restock_required: bool
    ) -> list[tuple[Line, int, str]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid("refund_lines", 'Expected a list of items but got type "dict".')
        by_id = {line.id: line for line in record.lines}
        errors: list[dict[str, Any]] = []
        out: list[tuple[Line, int, str]] = []
        for item in value:
            problems: dict[str, list[str]] = {}
            if not isinstance(item, dict):
                errors.append({"non_field_errors": ["Invalid data."]})
                continue
            line_id = item.get("line_id")
            line = by_id.get(line_id) if isinstance(line_id, int) else None
            if "line_id" not in item:
                problems["line_id"] = required()
            elif line is None:
                problems["line_id"] = [f"Line {item['line_id']} is not part of this order."]
            quantity = item.get("quantity")
            if not isinstance(quantity, int) or quantity < 1:
                problems["quantity"] = ["Ensure this value is greater than or equal to 1."]
            restock = item.get("restock_type")
            if restock is None and restock_required:
                problems["restock_type"] = required()
            elif restock is not None and restock not in RESTOCK_TYPES:
                problems["restock_type"] = [f'"{restock}" is not a valid choice.']
            if line is not None and isinstance(quantity, int) and not problems:
                refundable = line.current_quantity - line.refunded_quantity
                if quantity > refundable:
                    problems["quantity"] = [
                        f"Ensure this value is less than or equal to {refundable}."
                    ]
                allowed = self._allowed_restock(line)
                chosen = restock or allowed[-1]  # inferred: cancel, else no_restock
                if restock is not None and restock not in allowed:
                    state = "unfulfilled" if "cancel" in allowed else "fulfilled"
                    problems["restock_type"] = [
                        f'"{restock}" is not allowed for a {state} line; use '
                        + " or ".join(allowed)
                        + "."
                    ]
                if not problems:
                    out.append((line, quantity, chosen))
            errors.append(problems)
        if any(errors):
            raise HTTPProblem(400, {"refund_lines": errors})
        return out

    def _shipping_refund(self, record: OrderRecord, value: Any) -> Decimal:
        if value is None:
            return Decimal(0)
        if not isinstance(value, dict):
            raise invalid("refund_shipping", "Invalid data. Expected a dictionary.")
        left = record.shipping - record.shipping_refunded
        if value.get("full_refund"):
            return left
        amount = decimal_value(value.get("amount_excl_tax", "0"), "amount_excl_tax")
        if amount < 0 or amount > left:
            raise HTTPProblem(
                400,
                {
                    "refund_shipping": {
                        "amount_excl_tax": [
                            f"Ensure this value is less than or equal to {money(left)}."
                        ]
                    }
                },
            )
        return amount

    def _check_capture(
        self, record: OrderRecord, lines: list[tuple[Line, int, str]], shipping: Decimal
    ) -> None:
        if record.payment_status not in ("authorized", "expiring"):
            return
        wanted = {line.id: qty for line, qty, _ in lines}
        partial = (
            any(wanted.get(line.id, 0) < line.current_quantity for line in record.lines)
            or shipping < record.shipping - record.shipping_refunded
        )
        if partial:
            raise HTTPProblem(
                400,
                {
                    "detail": "Order payments must be captured to create partial refunds; "
                    "uncaptured payments cannot be partially refunded."
                },
            )

    def _allocate(
        self, record: OrderRecord, total: Decimal
    ) -> list[tuple[TransactionRecord, Decimal]]:
        out = []
        remaining = total
        for tid in record.transaction_ids:
            txn = self.state.transactions[tid]
            left = txn.refundable
            if remaining <= 0 or left <= 0:
                continue
            take = min(left, remaining)
            out.append((txn, take))
            remaining -= take
        if remaining > 0:
            raise HTTPProblem(
                400, {"detail": "Refund amount exceeds the amount available to refund."}
            )
        return out

    def calculate_refund(self, req: EmulatorRequest, version: str) -> Response:
        if version == LEGACY:
            raise not_found()  # no such route before 2024-04-01
        record = self.state.order(req.params["number"])
        body = object_body(req)
        lines = self._refund_lines(record, body.get("refund_lines"), restock_required=False)
        shipping = self._shipping_refund(record, body.get("refund_shipping"))
        self._check_capture(record, lines, shipping)
        lines_total = sum((line.price * qty for line, qty, _ in lines), Decimal(0))
        total = lines_total + shipping
        allocations = self._allocate(record, total)
        origin = req.origin
        result = {
            "refund_lines": [
                {
                    "line_id": line.id,
                    **line_product(line, origin),
                    "quantity": qty,
                    "refundable_quantity": line.current_quantity - line.refunded_quantity,
                    "restock_type": restock,
                    "amount_excl_tax": money(line.price * qty),
                    "amount_incl_tax": money(line.price * qty),
                    "total_tax": "0.00",
                }
                for line, qty, restock in lines
            ],
            "refund_shipping": {
                "shipping_code": "standard" if record.shipping else "free",
                "shipping_method": "Standard Shipping" if record.shipping else "Free Shipping",
                "amount_excl_tax": money(shipping),
                "amount_incl_tax": money(shipping),
                "total_tax": "0.00",
                "refundable_amount": money(record.shipping - record.shipping_refunded),
                "currency": record.currency,
            },
            "transactions": [
                {
                    "id": txn.id,
                    "type": txn.type,
                    "gateway_id": txn.gateway_id,
                    "gateway_name": txn.gateway_name,
                    "payment_method": "card_token",
                    "amount": money(amount),
                    "refundable_amount": money(txn.refundable),
                }
                for txn, amount in allocations
            ],
            "amount_excl_tax": money(total),
            "amount_incl_tax": money(total),
            "total_tax": "0.00",
            "currency": record.currency,
        }
        return json_response(200, result)

    def refund_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self.state.order(req.params["number"])
        body = object_body(req)
        if version == LEGACY:
            if "amount" not in body:
                raise HTTPProblem(400, {"amount": required()})
            amount = decimal_value(body["amount"], "amount")
            if amount <= 0:
                raise invalid("amount", "Ensure this value is greater than 0.")
            available = sum(
                (self.state.transactions[t].refundable for t in record.transaction_ids),
                Decimal(0),
            )
            if amount > available:
                raise invalid(
                    "amount", f"Ensure this value is less than or equal to {money(available)}."
                )
            if amount < record.total:
                self._check_capture(record, [], Decimal(0))
            self.apply_refund(record, self._allocate(record, amount), [], Decimal(0), None)
            return json_response(200, render_order(self.state, record, version, req.origin))
        txns_in = body.get("transactions")
        if not isinstance(txns_in, list):
            raise HTTPProblem(400, {"transactions": required()})
        lines = self._refund_lines(record, body.get("refund_lines"), restock_required=True)
        shipping = self._shipping_refund(record, body.get("refund_shipping"))
        self._check_capture(record, lines, shipping)
        allocations: list[tuple[TransactionRecord, Decimal]] = []
        errors: list[dict[str, Any]] = []
        for item in txns_in:
            problems: dict[str, list[str]] = {}
            txn = None
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                problems["id"] = required()
            else:
                txn = self.state.transactions.get(item["id"])
                if txn is None or txn.id not in record.transaction_ids:
                    problems["id"] = [f"Transaction {item['id']} is not a payment of this order."]
            requested = (
                decimal_value(item.get("amount"), "amount")
                if isinstance(item, dict) and "amount" in item
                else None
            )
            if requested is None:
                problems["amount"] = required()
            elif txn is not None and not problems:
                left = txn.refundable
                if requested <= 0 or requested > left:
                    problems["amount"] = [
                        f"Ensure this value is less than or equal to {money(left)}."
                    ]
            errors.append(problems)
            if not problems and txn is not None and requested is not None:
                allocations.append((txn, requested))
        if any(errors):
            raise HTTPProblem(400, {"transactions": errors})
        note = body.get("note")
        refund = self.apply_refund(record, allocations, lines, shipping, note)
        return json_response(200, refund)

    def apply_refund(
        self,
        record: OrderRecord,
        allocations: list[tuple[TransactionRecord, Decimal]],
        lines: list[tuple[Line, int, str]],
        shipping: Decimal,
        note: Any,
    ) -> dict[str, Any]:
        now = self.now()
        refund_txns = []
        for txn, amount in allocations:
            if txn.type == "authorize":
                kind = "void"
                txn.available_for_refund = Decimal(0)
                txn.voided = True
            else:
                kind = "refund"
                txn.available_for_refund -= amount
            child = TransactionRecord(
                id=self.state.next_id("transaction", 5000),
                order=record.number,
                user_id=record.user_id,
                type=kind,
                amount=amount,
                currency=record.currency,
                date_created=now,
                parent_id=txn.id,
            )
            if kind == "void":
                # Voiding an authorization cancels the whole payment.
                record.payment_status = "voided"
            self.state.add_transaction(child)
            record.transaction_ids.append(child.id)
            refund_txns.append(child)
        for line, qty, restock in lines:
            line.refunded_quantity += qty
            if restock == "cancel":
                line.current_quantity -= qty
                line.refunded_quantity -= qty
                line.fulfillable_quantity = max(0, line.fulfillable_quantity - qty)
                self.shrink_fulfillment(record, line, qty)
        record.shipping_refunded += shipping
        if record.payment_status != "voided":
            left = sum(
                (self.state.transactions[t].available_for_refund for t in record.transaction_ids),
                Decimal(0),
            )
            record.payment_status = "refunded" if left <= 0 else "partially_refunded"
        record.updated_at = now
        total = sum((amount for _, amount in allocations), Decimal(0))
        lines_total = sum((line.price * qty for line, qty, _ in lines), Decimal(0))
        refund_id = self.state.next_id("refund", 800)
        adjustments = []
        if shipping:
            adjustments.append(
                {
                    "id": self.state.next_id("refund_adjustment", 850),
                    "type": "refund_shipping",
                    "amount_excl_tax": money(shipping),
                    "amount_incl_tax": money(shipping),
                    "report_values": {
                        "amount_excl_tax": money(shipping),
                        "amount_incl_tax": money(shipping),
                        "currency": record.currency,
                    },
                }
            )
        refund = {
            "id": refund_id,
            "order_number": record.number,
            "user_id": record.user_id,
            "created_at": iso(now),
            "note": note if isinstance(note, str) else None,
            "total_refund_amount": money(total),
            "total_return_excl_tax": money(lines_total),
            "total_return_incl_tax": money(lines_total),
            "refund_line_items": [
                {
                    "id": self.state.next_id("refund_line", 860),
                    "line_item_id": line.id,
                    "location_id": 1,
                    "quantity": qty,
                    "restock_type": restock,
                    "amount_excl_tax": money(line.price * qty),
                    "amount_incl_tax": money(line.price * qty),
                    "report_values": {
                        "amount_excl_tax": money(line.price * qty),
                        "amount_incl_tax": money(line.price * qty),
                        "currency": record.currency,
                    },
                }
                for line, qty, restock in lines
            ],
            "adjustments": adjustments,
            "transactions": [render_transaction(self.state, t, "object") for t in refund_txns],
            "report_values": {
                "currency": record.currency,
                "total_refund_amount": money(total),
                "total_return_excl_tax": money(lines_total),
                "total_return_incl_tax": money(lines_total),
            },
        }
        record.refunds.append(refund)
        return refund

    def shrink_fulfillment(self, record: OrderRecord, line: Line, qty: int) -> None:
        for fo in self.state.fulfillment_orders_of(record.number):
            if fo.status in ("closed", "canceled"):
                continue
            for entry in fo.line_items:
                if entry["order_line_id"] == line.id and qty > 0:
                    take = min(qty, entry["quantity"])
                    entry["quantity"] -= take
                    qty -= take
            fo.line_items = [e for e in fo.line_items if e["quantity"] > 0]
            if not fo.line_items:
                fo.status = "closed"
