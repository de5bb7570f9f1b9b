"""Customers: the listing and one customer (the API has no customer writes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from storebridge.kit import (
    Flow,
    ListFlow,
    ListQuery,
    Payload,
    expand_pages,
    just,
    read_payload,
)
from storebridge.model import Customer
from storebridge_24nettbutikk._local_time import created_within
from storebridge_24nettbutikk._paging import listing
from storebridge_24nettbutikk._records import record_request, record_rows, require_rows

if TYPE_CHECKING:
    from storebridge_24nettbutikk._adapter import NettbutikkAdapter


def list_customers(adapter: NettbutikkAdapter, query: ListQuery) -> ListFlow[Customer]:
    """Every customer in the window, in the shop's order."""
    reader = adapter.reader
    since, until = query.created_since, query.created_until
    zone = adapter.settings.zone

    def convert(rows: Sequence[Payload]) -> Flow[Sequence[Customer]]:
        found = (read_payload(row, reader.customer, what="Customer") for row in rows)
        # The API cannot filter by registration date: the window is applied here.
        return just([
            c for c in found
            if created_within(c.raw.get("registration_date"), c.created_at, since, until, zone)
        ])  # fmt: skip

    return expand_pages(listing(adapter, "customers", query), convert)


def get_customer(adapter: NettbutikkAdapter, ref: str) -> Flow[Customer]:
    """One customer by id."""
    response = yield record_request(adapter.api_root, "customers", ref, operation="customers.get")
    rows = require_rows(adapter, record_rows(response, "id", ref), response, f"customer {ref}")
    return read_payload(rows[0], adapter.reader.customer, what="Customer")


__all__ = ["get_customer", "list_customers"]
