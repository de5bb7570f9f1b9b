"""Products: the listing (variant rows joined), one product, and the stock PATCH.

A ``flat=0`` row is one product; its variants are the rows of ``GET /products/{id}?flat=1``,
asked for only when the row says it has some (``attributes``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from storebridge.errors import ValidationError
from storebridge.http import Request, Response
from storebridge.kit import Flow, ListFlow, ListQuery, Payload, read_payload, segment
from storebridge.model import Product
from storebridge_24nettbutikk._converter import has_variants, stock_body
from storebridge_24nettbutikk._joins import JoinPlan, Lookup, joined
from storebridge_24nettbutikk._paging import listing
from storebridge_24nettbutikk._records import (
    path_ref,
    record_request,
    record_rows,
    require_rows,
)
from storebridge_24nettbutikk._writes import patch

if TYPE_CHECKING:
    from storebridge_24nettbutikk._adapter import NettbutikkAdapter

VARIANTS = "variants"
FLAT = {"flat": "1"}


def list_products(adapter: NettbutikkAdapter, query: ListQuery) -> ListFlow[Product]:
    """Every product in the window, in the shop's order, with its variants."""
    if query.filters_created:
        field = "created_since" if query.created_since is not None else "created_until"
        raise ValidationError(
            "24Nettbutikk products have no creation time to filter by; use updated_since "
            "and updated_until (the last change) instead",
            field=field,
        )
    return joined(listing(adapter, "products", query, {"flat": "0"}), _plan(adapter))


def get_product(adapter: NettbutikkAdapter, ref: str) -> Flow[Product]:
    """One product with every variant (its ``flat=1`` rows)."""
    response = yield _variant_rows(adapter, ref)
    rows = require_rows(adapter, record_rows(response, "id", ref), response, f"product {ref}")
    return read_payload(rows[0], adapter.reader.product, rows, what="Product")


def update_stock(
    adapter: NettbutikkAdapter, product_ref: str, stock: int, *, variant_ref: str | None
) -> Flow[Product]:
    """``PATCH /products/{id}`` ``{"stock": n}`` for a product, or one variant by its
    ``unique_product_id`` (``flat=1``); the product as re-read."""
    segment(product_ref, "product_ref")
    target = product_ref if variant_ref is None else variant_ref
    path = f"products/{segment(target, 'product_ref' if variant_ref is None else 'variant_ref')}"
    body = stock_body(stock)
    return (
        yield from patch(
            adapter,
            path,
            body,
            operation="products.update_stock",
            params={"flat": "0" if variant_ref is None else "1"},
            reread=lambda: get_product(adapter, product_ref),
            applied=lambda product: any(
                v.ref == target and v.stock == body["stock"] for v in product.variants
            ),
            shown=lambda product: [v.stock for v in product.variants if v.ref == target],
        )
    )


def _variant_rows(adapter: NettbutikkAdapter, ref: str) -> Request:
    return record_request(adapter.api_root, "products", ref, operation="products.get", params=FLAT)


def _plan(adapter: NettbutikkAdapter) -> JoinPlan[Product]:
    reader = adapter.reader

    def needs(row: Payload) -> Iterator[Lookup]:
        if has_variants(row):
            yield VARIANTS, path_ref(row, "id")

    def read(lookup: Lookup, response: Response) -> Any:
        return record_rows(response, "id", lookup[1])

    def build(row: Payload, values: Mapping[Lookup, Any]) -> Product | None:
        if not has_variants(row):
            return read_payload(row, reader.product, None, what="Product")
        found = values.get((VARIANTS, row.ref("id")))
        if found is None:
            # Its variant rows answered 404: deleted since it was listed. Read from its row
            # alone it would be one variant with the product's SKU and price, which the
            # shop never sold.
            return None
        return read_payload(row, reader.product, found or None, what="Product")

    # Each product is listed once, so its variant rows need not be remembered.
    return JoinPlan(
        needs=needs,
        fetch=lambda lookup: _variant_rows(adapter, lookup[1]),
        read=read,
        build=build,
        remembered=0,
    )


__all__ = ["get_product", "list_products", "update_stock"]
