"""Transactions: the store's listing (day windows by ``date_created``), or one order's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storebridge.kit import Emit, Flow, ListFlow, Payload
from storebridge.model import Transaction
from storebridge_29next._converter import structure
from storebridge_29next._listings import read_listing
from storebridge_29next._orders import get_order
from storebridge_29next._paging import TRANSACTIONS_BY_CREATED, Listing

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter


def list_transactions(
    adapter: TwentyNineNextAdapter, order_ref: str | None
) -> ListFlow[Transaction]:
    if order_ref is not None:
        # The transactions listing has no order filter; the order embeds its own.
        found = yield from get_order(adapter, order_ref)
        if found.transactions:
            yield Emit(found.transactions)
        return
    listing = Listing(
        resource="transactions", path="transactions", key="id", dates=TRANSACTIONS_BY_CREATED
    )

    def expand(rows: list[Payload]) -> Flow[list[Transaction]]:
        return [structure(row, Transaction) for row in rows]
        yield  # pragma: no cover - makes this a generator

    yield from read_listing(adapter, listing, expand)


__all__ = ["list_transactions"]
