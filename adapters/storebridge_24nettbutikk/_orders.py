"""Orders: the listing (with customers and SKUs joined), one order, and the order PATCHes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from storebridge import validation
from storebridge.errors import PayloadError
from storebridge.http import Request, Response
from storebridge.kit import Flow, ListFlow, OrderQuery, Payload, read_payload, segment
from storebridge.model import Customer, Order, OrderLine
from storebridge_24nettbutikk._bodies import PLATFORM
from storebridge_24nettbutikk._converter import SkuMap, line_body, sku_map, status_body
from storebridge_24nettbutikk._joins import JoinPlan, Lookup, joined, resolve
from storebridge_24nettbutikk._local_time import created_within
from storebridge_24nettbutikk._paging import listing
from storebridge_24nettbutikk._records import join_ref, record_request, record_rows, require_rows
from storebridge_24nettbutikk._writes import patch

if TYPE_CHECKING:
    from storebridge_24nettbutikk._adapter import NettbutikkAdapter

CUSTOMER = "customer"
SKUS = "skus"


def list_orders(adapter: NettbutikkAdapter, query: OrderQuery) -> ListFlow[Order]:
    """Every order in the window, in the shop's order, with its customer and SKUs."""
    check_status_filters(query)
    return joined(listing(adapter, "orders", query), order_plan(adapter, query))


def get_order(adapter: NettbutikkAdapter, ref: str) -> Flow[Order]:
    """One order by number, with its customer and SKUs."""
    response = yield record_request(adapter.api_root, "orders", ref, operation="orders.get")
    rows = record_rows(response, "order_no", ref)
    (row, *_) = require_rows(adapter, rows, response, f"order {ref}")
    order = yield from resolve(row, order_plan(adapter, None))
    if order is None:  # only a filter leaves a row out, and there is none here
        raise PayloadError("the order row could not be read", path=row.path, platform=PLATFORM)
    return order


def order_plan(adapter: NettbutikkAdapter, query: OrderQuery | None) -> JoinPlan[Order]:
    """Order rows as orders: each joined with its customer and its lines' SKUs."""
    settings = adapter.settings
    reader = adapter.reader
    api_root = adapter.api_root
    wanted = query if query is not None and _filters(query) else None
    left_out: set[int] = set()
    # Rows read to apply a filter and joined with nothing: ``build`` would read each again
    # and get the same order, so the first reading is kept for it (by the row's id).
    kept: dict[int, Order] = {}

    def needs(row: Payload) -> Iterator[Lookup]:
        order: Order | None = None
        if wanted is not None:
            order = read_payload(row, reader.order, what="Order")
            if not _matches(order, wanted, settings.zone):
                left_out.add(id(row))
                return
        customer = join_ref(row, "customer_id") if settings.join_customers else None
        if order is not None and not customer and not (settings.resolve_skus and _products(row)):
            kept[id(row)] = order
        if customer:
            yield CUSTOMER, customer
        if settings.resolve_skus:
            for line in row.iter("order_lines"):
                if line.opt_string("article_no") is None and (
                    product := join_ref(line, "product_id")
                ):
                    yield SKUS, product

    def fetch(lookup: Lookup) -> Request:
        what, ref = lookup
        if what == CUSTOMER:
            return record_request(api_root, "customers", ref, operation="customers.get")
        return record_request(
            api_root, "products", ref, operation="products.get", params={"flat": "1"}
        )

    def read(lookup: Lookup, response: Response) -> Any:
        what, ref = lookup
        rows = record_rows(response, "id", ref)
        if not rows:
            return None
        if what == CUSTOMER:
            return read_payload(rows[0], reader.customer, what="Customer")
        return sku_map(rows)

    def build(row: Payload, values: Mapping[Lookup, Any]) -> Order | None:
        if wanted is not None:
            if id(row) in left_out:
                left_out.discard(id(row))
                return None
            order = kept.pop(id(row), None)
            if order is not None:
                return order
        customer: Customer | None = None
        if settings.join_customers and (ref := join_ref(row, "customer_id")):
            customer = values.get((CUSTOMER, ref))
        skus: dict[str, SkuMap | None] = {}
        if settings.resolve_skus:
            for line in row.iter("order_lines"):
                if (product := join_ref(line, "product_id")) is not None:
                    skus[product] = values.get((SKUS, product))
        return read_payload(row, reader.order, customer, skus, what="Order")

    return JoinPlan(
        needs=needs, fetch=fetch, read=read, build=build,
        looks_up=settings.join_customers or settings.resolve_skus,
    )  # fmt: skip


def update_order_status(adapter: NettbutikkAdapter, order_ref: str, status: str) -> Flow[Order]:
    """``PATCH /orders/{no}`` ``{"status": ...}``; the order as re-read."""
    path = f"orders/{segment(order_ref, 'order_ref')}"
    body = status_body(status)
    return (
        yield from patch(
            adapter,
            path,
            body,
            operation="orders.update_status",
            reread=lambda: get_order(adapter, order_ref),
            applied=lambda order: order.status_raw == body["status"],
            shown=lambda order: order.status_raw,
        )
    )


def update_order_line(
    adapter: NettbutikkAdapter,
    order_ref: str,
    line_ref: str,
    *,
    sent: bool | None,
    sent_date: date | None,
    extra_field: str | None,
) -> Flow[OrderLine]:
    """``PATCH /orders/{no}/lines/{id}`` with the fields given; the line as re-read."""
    path = f"orders/{segment(order_ref, 'order_ref')}/lines/{segment(line_ref, 'line_ref')}"
    body = line_body(sent, sent_date, extra_field)

    def reread() -> Flow[OrderLine]:
        order = yield from get_order(adapter, order_ref)
        for line in order.lines:
            if line.ref == line_ref:
                return line
        raise PayloadError(
            f"order {order_ref} has no line {line_ref} after the change",
            path="$.data[0].order_lines",
            platform=PLATFORM,
        )

    def applied(line: OrderLine) -> bool:
        shown = Payload(line.raw, "$.data[0].order_lines", PLATFORM)
        return (
            ("sent" not in body or shown.opt_bool("sent") == bool(body["sent"]))
            and ("sent_date" not in body or shown.opt_string("sent_date") == body["sent_date"])
            and (
                "extra_field" not in body
                or shown.opt_string("extra_field") == (body["extra_field"] or None)
            )
        )

    def shown(line: OrderLine) -> object:
        # ``sent_date`` and ``extra_field`` live in the raw row only.
        raw = line.raw if isinstance(line.raw, dict) else {}
        return tuple(raw.get(key) for key in body)

    return (
        yield from patch(
            adapter,
            path,
            body,
            operation="orders.update_line",
            reread=reread,
            applied=applied,
            shown=shown,
        )
    )


def _products(row: Payload) -> bool:
    """Whether any line of the order row names a product (``build`` then joins SKUs)."""
    return any(join_ref(line, "product_id") is not None for line in row.iter("order_lines"))


def _filters(query: OrderQuery) -> bool:
    return any(
        value is not None
        for value in (
            query.created_since,
            query.created_until,
            query.status,
            query.financial_status,
            query.fulfillment_status,
        )
    )


_UNIFIED_FILTERS = {
    "status": ("cancelled", "unknown"),
    "financial_status": ("paid", "pending", "unknown"),
    "fulfillment_status": ("unfulfilled", "partially_fulfilled", "fulfilled"),
}
"""The unified values this adapter's orders can show, by filter: any other would match no
order. Order statuses are the shop's own numeric codes, which the library cannot map
(``status`` shows ``cancelled`` for a deleted order, else ``unknown``)."""

_RAW_FILTERS = {"status": "the shop's status code (status_raw)", "financial_status": "paid flag"}
"""Filters that also take the platform's value as sent, a number written as text."""


def check_status_filters(query: OrderQuery) -> None:
    """Refuse a status filter value no order can match (``status="opn"``, ``"open"``), before
    any request: the filters are applied here, so a value matching nothing would list
    nothing in silence."""
    for name, unified in _UNIFIED_FILTERS.items():
        value = getattr(query, name)
        if value is None or (isinstance(value, str) and value in unified):
            continue
        raw = _RAW_FILTERS.get(name)
        if raw is not None and isinstance(value, str) and value.isascii() and value.isdigit():
            continue
        also = f", or {raw} as text ('1')" if raw else ""
        validation.choice(value, name, unified, what="24Nettbutikk's", also=also)


def _matches(order: Order, query: OrderQuery, zone: ZoneInfo) -> bool:
    """Filters the API cannot apply server-side, checked on each order."""
    day, clock = order.raw.get("order_date"), order.raw.get("order_time")
    if isinstance(day, str) and isinstance(clock, str) and clock.strip():
        day = f"{day.strip()} {clock.strip()}"
    if not created_within(day, order.created_at, query.created_since, query.created_until, zone):
        return False
    for wanted, value, raw in (
        (query.status, order.status, order.status_raw),
        (query.financial_status, order.financial_status, order.financial_status_raw),
        (query.fulfillment_status, order.fulfillment_status, order.fulfillment_status_raw),
    ):
        if wanted is not None and wanted not in (str(value), raw):
            return False
    return True


__all__ = ["get_order", "list_orders", "order_plan", "update_order_line", "update_order_status"]
