"""Transactions: listed per order (``GET orders/{id}/transactions.json``)."""

from __future__ import annotations

from storebridge.errors import ValidationError
from storebridge.kit import Emit, ListFlow, read_payload, segment
from storebridge.model import Transaction
from storebridge_shopline import _converter as wire
from storebridge_shopline._api import Api
from storebridge_shopline._orders import get_order
from storebridge_shopline._paging import holds_rows


def list_transactions(adapter: Api, order_ref: str | None) -> ListFlow[Transaction]:
    if order_ref is None:
        raise ValidationError(
            "SHOPLINE lists transactions per order: pass order_ref", field="order_ref"
        )
    path = f"orders/{segment(order_ref, 'order_ref')}/transactions.json"
    order = yield from get_order(adapter, order_ref)
    response = yield adapter.get(path, "transactions.list", check=holds_rows("transactions"))
    rows = tuple(
        read_payload(row, wire.transaction, order.currency, order_ref, what="transaction")
        for row in wire.payload_of(response).objects("transactions")
    )
    if rows:
        yield Emit(rows)


__all__ = ["list_transactions"]
