"""Products: list (one cursor: the spec offers no date filter for products), get, create,
and reading a product with its variants.

2024-04-01 lists a product's variants under ``variants``; 2023-02-10 lists the same
ProductVariant items under ``children``, in answers and in create bodies alike
(``_settings.variants_key``). Both specs require the list in every Product and ProductList
row. A product's own row has no SKU, price or stock on either version: those are its
variants'. So a row without its list is a PayloadError, and a product listing no variants
is read as such only when its ``structure`` is ``parent`` (one whose variants are still to
be made): a standalone or child product listing none would otherwise read as a product
without its SKU and price, and a migration or an export would lose them.

Stock levels of a new product go to the store's first location. A create whose answer is
lost is settled by looking the product up by its first variant's SKU and checking title,
SKUs and identity tags.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from storebridge.errors import PayloadError, ValidationError
from storebridge.kit import (
    Batch,
    Flow,
    ListFlow,
    ListQuery,
    Payload,
    parse_json,
    product_matches,
    reconciled_write,
)
from storebridge.model import Product, ProductDraft, Variant
from storebridge.validation import describe
from storebridge_29next._converter import PLATFORM, TAGS_METADATA_KEY, structure, wire_amount
from storebridge_29next._list_filters import check_filters
from storebridge_29next._listings import read_listing
from storebridge_29next._paging import Listing
from storebridge_29next._requests import (
    answer_as,
    body_object,
    get,
    has_results,
    is_record,
    post,
    query,
    read_one,
)
from storebridge_29next._settings import variants_key

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter


def list_products(adapter: TwentyNineNextAdapter, query_: ListQuery) -> ListFlow[Product]:
    check_filters("products", query_.extra)
    listing = Listing(
        resource="products", path="products", key="id", params=tuple(query({}, query_.extra))
    )

    def expand(rows: list[Payload]) -> Flow[list[Product]]:
        found = (structure(row, Product, adapter.api_version) for row in rows)
        kept = [p for p in found if query_.covers(created_at=p.created_at, updated_at=p.updated_at)]
        if not kept:
            return kept
        if not query_.detail:
            # List rows leave out the description (ProductList): not the whole product.
            return [attrs.evolve(p, partial=True) for p in kept]
        responses = yield Batch(tuple(_get(adapter, p.ref) for p in kept))
        return [structure(body_object(r), Product, adapter.api_version) for r in responses]

    return read_listing(adapter, listing, expand)


def get_product(adapter: TwentyNineNextAdapter, ref: str) -> Flow[Product]:
    return read_one(adapter, "products.get", "products", ref, "id", Product)


def _get(adapter: TwentyNineNextAdapter, ref: str) -> Any:
    """``GET /products/{id}/``, checked to be that product."""
    return get(adapter, "products.get", "products", ref, check=is_record("id", ref))


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
    version = adapter.api_version
    product_body(draft, None, version)  # every check before the first request
    location_id = None
    if any(v.stock is not None for v in draft.variants):
        location_id = yield from _first_location(adapter)
    body = product_body(draft, location_id, version)
    request = post(adapter, "products.create", ("products",), body)

    def find() -> Flow[Product | None]:
        params = query({"sku": draft.variants[0].sku}, {})
        response = yield get(adapter, "products.find", "products", params=params,
                             check=has_results)  # fmt: skip
        for row in body_object(response).iter("results", required=True):
            found = structure(row, Product, version)
            if product_matches(found, draft):
                return found
        return None

    return (yield from reconciled_write(request, answer_as(Product, version), find))


def product_body(
    draft: ProductDraft, location_id: int | None, api_version: str | None
) -> dict[str, Any]:
    """``POST /products/`` body on ``api_version``, the variants under that version's list
    (:func:`variants_key`); stock goes to ``location_id`` (the store's first location).
    ``is_public`` is the draft's ``active``; a variant's ``compare_at_price`` is its
    ``retail`` price."""
    if not draft.variants:
        raise ValidationError(
            "variants is empty: a 29 Next product needs at least one variant", field="variants"
        )
    variants = []
    for index, item in enumerate(draft.variants):
        price: dict[str, Any] = {
            "currency": item.price.currency,
            "price": wire_amount(item.price, f"variants[{index}].price"),
        }
        if item.compare_at_price is not None:
            field = f"variants[{index}].compare_at_price"
            price["retail"] = wire_amount(item.compare_at_price, field)
        entry: dict[str, Any] = {
            "sku": item.sku,
            "prices": [price],
            "track_stock": item.stock is not None,
        }
        if item.title is not None:
            entry["title"] = item.title
        if item.stock is not None and location_id is not None:
            entry["stockrecords"] = [{"location_id": location_id, "num_in_stock": item.stock}]
        variants.append(entry)
    body: dict[str, Any] = {
        "title": draft.title,
        # Said outright either way: a product the store made public by default would sell
        # a hidden one.
        "is_public": draft.active,
        variants_key(api_version): variants,
    }
    if draft.description is not None:
        body["description"] = draft.description
    if draft.tags:
        body["metadata"] = {TAGS_METADATA_KEY: json.dumps(list(draft.tags), separators=(",", ":"))}
    return body


# Reading ---------------------------------------------------------------------------------
def variant(p: Payload) -> Variant:
    price = retail = None
    for entry in p.iter("prices"):
        # The first price is the variant's; one that names no currency cannot be read (the
        # spec lets ``currency`` out, and a later price in another currency is not it).
        code = entry.opt_currency("currency")
        if code is None:
            entry.fail("the variant's price names no currency", "currency")
        price = entry.money("price", code)
        retail = entry.opt_money("retail", code)
        break
    stock = None
    if p.opt_bool("track_stock") is not False:
        levels = [
            (r.opt_integer("num_in_stock") or 0) - (r.opt_integer("num_allocated") or 0)
            for r in p.iter("stockrecords")
        ]
        stock = sum(levels) if levels else None
    return Variant(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        sku=p.opt_string("sku"),
        title=p.opt_string("title"),
        price=price,
        compare_at_price=retail,
        stock=stock,
        product_ref=str(p.integer("product_id")) if p.has("product_id") else None,
        raw=p.data,
    )


def product_tags(metadata: Any) -> tuple[str, ...]:
    """Identity tags kept in product metadata (a JSON list in a string); () when absent."""
    if not isinstance(metadata, Mapping):
        return ()
    value = metadata.get(TAGS_METADATA_KEY)
    if isinstance(value, str):
        try:
            value = parse_json(value)
        except PayloadError:
            return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str) and v)
    return ()


def variant_rows(p: Payload, key: str) -> list[Payload]:
    """The product's variants, listed under ``key`` (``_settings.variants_key``), or a
    PayloadError naming ``key`` when the row does not list them or a product that is not
    a parent lists none."""
    if p.raw(key) is None:
        other = "children" if key == "variants" else "variants"
        if p.raw(other) is not None:
            # The answer is another version's: reading it as this one's would be guessing.
            p.fail(
                f"the product lists its variants under {other!r}, as another API version "
                f"than the connected one does (which lists them under {key!r}); connect "
                "with the api_version the store answers in",
                key,
            )
        p.fail(f"the product does not list its variants ({key!r}, required by 29 Next)", key)
    rows = p.objects(key)
    kind = p.raw("structure")
    if not rows and kind != "parent":
        fix = (
            "connect with api_version='2024-04-01', whose products list their variants "
            "under 'variants'"
            if key == "children"
            else "check the product in the 29 Next dashboard: only a parent product may "
            "have no variants yet"
        )
        p.fail(
            f"the product (structure {describe(kind)}) lists no {key}: a 29 Next "
            f"product's SKU, price and stock are only in its {key}, so it cannot be read "
            f"without them; {fix}",
            key,
        )
    return rows


def product_reader(key: str) -> Callable[[Payload], Product]:
    """Reads a product whose variants are listed under ``key``."""

    def product(p: Payload) -> Product:
        return Product(
            platform=PLATFORM,
            ref=str(p.integer("id")),
            title=p.string("title"),
            description=p.opt_string("description"),
            variants=tuple(variant(item) for item in variant_rows(p, key)),
            tags=product_tags(p.raw("metadata")),
            created_at=p.opt_timestamp("date_created"),
            updated_at=p.opt_timestamp("date_updated"),
            active=p.opt_bool("is_public"),
            raw=p.data,
        )

    return product


__all__ = [
    "create_product",
    "get_product",
    "list_products",
    "product_body",
    "product_reader",
    "product_tags",
    "variant",
    "variant_rows",
]
