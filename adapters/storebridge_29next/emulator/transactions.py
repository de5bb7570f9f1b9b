"""Transactions (payments, refunds, voids): list (newest first; by ``type`` and
``date_created_from/to``), get, and how they render per shape."""

from __future__ import annotations

from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, Span, json_response
from storebridge_29next.emulator.state import StoreState, TransactionRecord
from storebridge_29next.emulator.users import user_inline
from storebridge_29next.emulator.wire import (
    Handler,
    Ordering,
    Response,
    date_param,
    iso,
    money,
    not_found,
    page_answer,
)

__all__ = ["Transactions", "agent", "attribution", "render_transaction"]


def agent() -> dict[str, Any]:
    return {"id": 1, "email": "api@sandbox.example", "first_name": "API", "last_name": "Agent"}


def attribution() -> dict[str, Any]:
    return {"agent": agent(), "funnel": None, "affiliate": None, "utm_source": None}


def _payment_details(txn: TransactionRecord) -> dict[str, Any]:
    return {
        "bankcard_first_six": "424242",
        "bankcard_last_four": "4242",
        "card_token": f"tok_{txn.id}",
        "gateway": {"id": txn.gateway_id, "name": txn.gateway_name, "type": "test"},
        "is_3ds": False,
        "optimized_3ds": False,
        "paypal_vault_id": "",
        "sca_flow": "",
    }


def render_transaction(state: StoreState, txn: TransactionRecord, shape: str) -> dict[str, Any]:
    """``shape``: ``object`` (embedded in orders/refunds), ``list`` or ``detail``."""
    rendered: dict[str, Any] = {
        "id": txn.id,
        "type": txn.type,
        "status": txn.status,
        "amount": money(txn.amount),
        "currency": txn.currency,
        "date_created": iso(txn.date_created),
        "parent_id": txn.parent_id,
        "response_code": 100,
        "auth_code": None,
        "external_id": None,
        "is_external": txn.is_external,
        "is_disputed": False,
        "payment_method": "card_token",
        "payment_details": _payment_details(txn),
    }
    if shape == "object":
        rendered["report_values"] = {"amount": money(txn.amount), "currency": txn.currency}
        return rendered
    rendered.update(
        {
            "amount_available_for_refund": money(txn.available_for_refund),
            "order": txn.order,
            "attribution": attribution(),
            "initiator": agent(),
            "subscription": {"id": 0, "billing_cycle": None},
            "user": user_inline(state, txn.user_id),
        }
    )
    if shape == "detail":
        rendered["report_values"] = {"amount": money(txn.amount), "currency": txn.currency}
        rendered["is_test"] = True
        rendered["statement_descriptor"] = None
    return rendered


NEWEST_TRANSACTION_FIRST = Ordering(lambda t: t.id, descending=True)


class Transactions:
    """``/transactions/``: newest first, filtered by ``type``."""

    def __init__(self, state: StoreState, page_size: int) -> None:
        self.state = state
        self.page_size = page_size

    def endpoints(self) -> list[Endpoint[Handler]]:
        return [
            Endpoint("GET", "/transactions/", self.list_transactions, "transactions:read"),
            Endpoint(
                "GET", r"/transactions/(?P<id>\d+)/", self.get_transaction, "transactions:read"
            ),
        ]

    def list_transactions(self, req: EmulatorRequest, version: str) -> Response:
        newest_first = self.state.transactions_by_id.span(descending=True)
        rows: Span[TransactionRecord] = newest_first
        kind = req.query.get("type")
        low, high = req.query.get("date_created_from"), req.query.get("date_created_to")
        low_day = date_param(low, "date_created_from") if low else None
        high_day = date_param(high, "date_created_to") if high else None
        if kind or low_day or high_day:

            def keep(txn: TransactionRecord) -> bool:
                day = txn.date_created.date()  # the day in its own offset, as listed
                return (
                    (not kind or txn.type == kind)
                    and (low_day is None or day >= low_day)
                    and (high_day is None or day <= high_day)
                )

            rows = self.state.listings.get(
                ("transactions", kind, low_day, high_day),
                self.state.revision(),
                lambda: newest_first.where(keep),
            )
        return page_answer(
            req,
            rows,
            self.page_size,
            lambda t: render_transaction(self.state, t, "list"),
            NEWEST_TRANSACTION_FIRST,
        )

    def get_transaction(self, req: EmulatorRequest, version: str) -> Response:
        txn = self.state.transactions.get(int(req.params["id"]))
        if txn is None:
            raise not_found()
        return json_response(200, render_transaction(self.state, txn, "detail"))
