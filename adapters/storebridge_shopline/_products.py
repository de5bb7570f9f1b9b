"""Products: list, get, create. Products carry no currency: prices are in the store's
settlement currency, fetched once (``merchants/shop.json``)."""

from __future__ import annotations

from storebridge import validation
from storebridge.errors import ValidationError
from storebridge.http import Response
from storebridge.kit import (
    Flow,
    ListFlow,
    ListQuery,
    check_query_value,
    product_matches,
    reconciled_write,
    segment,
)
from storebridge.model import Product, ProductDraft
from storebridge_shopline import _converter as wire
from storebridge_shopline._api import Api
from storebridge_shopline._orders import check_tags
from storebridge_shopline._paging import (
    PRODUCTS,
    holds_rows,
    list_records,
    one_record,
    query_params,
)
from storebridge_shopline._shop import shop_currency

PRODUCT_STATUSES = ("active", "draft", "archived")
"""The products listing's ``status`` filter: any other value matches no product."""


def list_products(adapter: Api, query: ListQuery) -> ListFlow[Product]:
    if "status" in query.extra:
        validation.choice(query.extra["status"], "status", PRODUCT_STATUSES, what="SHOPLINE's")
    currency = yield from shop_currency(adapter)
    params = query_params("products", query)
    yield from list_records(adapter, PRODUCTS, params, query, Product, currency)


def get_product(adapter: Api, ref: str) -> Flow[Product]:
    path = f"products/{segment(ref)}.json"
    currency = yield from shop_currency(adapter)
    response = yield adapter.get(path, "products.get", check=one_record("product", ref))
    payload = wire.payload_of(response).obj("product")
    return adapter.converter(currency).structure(payload, Product)


def check_draft(draft: ProductDraft, currency: str) -> None:
    """What SHOPLINE would refuse (or misfile), refused before anything is sent."""
    check_tags(draft.tags)
    skus: set[str] = set()
    for index, item in enumerate(draft.variants):
        field = f"variants[{index}]"
        validation.money(item.price, f"{field}.price", currency=currency)
        if item.stock is not None:
            validation.stock(item.stock, f"{field}.stock")
        if item.sku in skus:
            raise ValidationError(
                f"{field}.sku {item.sku!r} is given twice; SKUs are unique in a store",
                field=f"{field}.sku",
            )
        skus.add(item.sku)


def create_product(adapter: Api, draft: ProductDraft) -> Flow[Product]:
    """``POST products/products.json``; a lost answer is settled by finding the product by
    title and SKUs (SKUs are unique in a store)."""
    currency = yield from shop_currency(adapter)
    check_draft(draft, currency)
    body = {"product": wire.product_body(draft)}
    request = adapter.write("POST", "products/products.json", "products.create", body)
    converter = adapter.converter(currency)
    params = {"title": check_query_value(draft.title, "title"), "limit": 250}

    def existing() -> Flow[Product | None]:
        response = yield adapter.get("products/products.json", "products.find", params,
                                     check=holds_rows("products"))  # fmt: skip
        for row in wire.payload_of(response).objects("products"):
            found = converter.structure(row, Product)
            if product_matches(found, draft):
                return found
        return None

    def parse(response: Response) -> Product:
        return converter.structure(wire.payload_of(response).obj("product"), Product)

    return (yield from reconciled_write(request, parse, existing))


__all__ = ["check_draft", "create_product", "get_product", "list_products"]
