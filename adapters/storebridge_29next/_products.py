"""Products: list (one cursor: the spec offers no date filter for products), get, create.

Stock levels of a new product go to the store's first location. A create whose answer is
lost is settled by looking the product up by its first variant's SKU and checking title,
SKUs and identity tags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storebridge.errors import ValidationError
from storebridge.kit import (
    Flow,
    ListFlow,
    ListQuery,
    Payload,
    product_matches,
    reconciled_write,
)
from storebridge.model import Product, ProductDraft
from storebridge_29next._converter import product_body, structure
from storebridge_29next._listings import read_listing
from storebridge_29next._paging import Listing
from storebridge_29next._requests import (
    answer_as,
    body_object,
    get,
    has_results,
    post,
    query,
    read_one,
)

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter


def list_products(adapter: TwentyNineNextAdapter, query_: ListQuery) -> ListFlow[Product]:
    listing = Listing(
        resource="products", path="products", key="id", params=tuple(query({}, query_.extra))
    )

    def expand(rows: list[Payload]) -> Flow[list[Product]]:
        found = (structure(row, Product) for row in rows)
        return [p for p in found if query_.covers(created_at=p.created_at, updated_at=p.updated_at)]
        yield  # pragma: no cover - makes this a generator

    return read_listing(adapter, listing, expand)


def get_product(adapter: TwentyNineNextAdapter, ref: str) -> Flow[Product]:
    return read_one(adapter, "products.get", "products", ref, "id", Product)


def _first_location(adapter: TwentyNineNextAdapter) -> Flow[int]:
    response = yield get(adapter, "locations.list", "locations", check=has_results)
    first = next(iter(body_object(response).iter("results", required=True)), None)
    if first is None:
        raise ValidationError(
            "variants have stock but the store has no location to hold it; create a location "
            "in the dashboard, or leave stock None",
            field="variants",
        )
    return first.integer("id")


def create_product(adapter: TwentyNineNextAdapter, draft: ProductDraft) -> Flow[Product]:
    product_body(draft, None)  # every check before the first request
    location_id = None
    if any(v.stock is not None for v in draft.variants):
        location_id = yield from _first_location(adapter)
    request = post(adapter, "products.create", ("products",), product_body(draft, location_id))

    def find() -> Flow[Product | None]:
        params = query({"sku": draft.variants[0].sku}, {})
        response = yield get(adapter, "products.find", "products", params=params,
                             check=has_results)  # fmt: skip
        for row in body_object(response).iter("results", required=True):
            found = structure(row, Product)
            if product_matches(found, draft):
                return found
        return None

    return (yield from reconciled_write(request, answer_as(Product), find))


__all__ = ["create_product", "get_product", "list_products"]
