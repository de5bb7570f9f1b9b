"""Products: list, count, get, create."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from storebridge.http import Response
from storebridge.sandbox import (
    EmulatorRequest,
    Endpoint,
    HTTPProblem,
    Span,
    json_response,
    read_member,
)
from storebridge_shopline.emulator.state import StoreState
from storebridge_shopline.emulator.wire import (
    Handler,
    Record,
    money_str,
    page_answer,
    parse_amount,
    refuse_unemulated,
)

__all__ = ["Products"]

_MATCHED = ("title", "handle", "vendor", "status")


def _keep(filters: Mapping[str, str]) -> Callable[[Record], bool] | None:
    """The exact-match filters (title, handle, vendor, status), or None when none is given."""
    wanted = {k: filters[k] for k in _MATCHED if filters.get(k)}
    if not wanted:
        return None
    return lambda product: all(product.get(k) == v for k, v in wanted.items())


def _no_title() -> HTTPProblem:
    return HTTPProblem(422, {"errors": {"title": ["can't be blank"]}})


class Products:
    """``products/...``: reads and create (SKUs unique across the store)."""

    def __init__(self, state: StoreState) -> None:
        self.state = state
        self._skus = {
            variant["sku"]
            for product in state.products.rows.values()
            for variant in product["variants"]
            if variant.get("sku")
        }

    def endpoints(self) -> list[Endpoint[Handler]]:
        read, write = "read_products", "write_products"
        return [
            Endpoint("GET", r"products/products\.json", self.list_products, read),
            Endpoint("POST", r"products/products\.json", self.create_product, write),
            Endpoint("GET", r"products/count\.json", self.count_products, read),
            Endpoint("GET", r"products/(?P<id>\d+)\.json", self.get_product, read),
        ]

    def _rows(self, filters: Mapping[str, str]) -> Span[Record]:
        return self.state.select(self.state.products, filters, _keep(filters))

    def list_products(self, req: EmulatorRequest) -> Response:
        refuse_unemulated(req, "products")
        return page_answer(req, "products", "products", self._rows, dict)

    def count_products(self, req: EmulatorRequest) -> Response:
        refuse_unemulated(req, "products")
        count = self.state.count(self.state.products, req.query, _keep(req.query))
        return json_response(200, {"count": count})

    def get_product(self, req: EmulatorRequest) -> Response:
        found = self.state.products.rows.get(req.params["id"])
        if found is None:
            raise HTTPProblem(404, {"errors": "The product does not exist."})
        return json_response(200, {"product": found})

    def create_product(self, req: EmulatorRequest) -> Response:
        body = read_member(req, "product", _no_title)
        if not body.get("title"):
            raise _no_title()
        ids = self.state.ids
        pid = ids.new("product")
        now = self.state.stamp()
        variants = []
        for index, item in enumerate(body.get("variants") or [{}]):
            sku = item.get("sku")
            if sku and sku in self._skus:
                raise HTTPProblem(
                    422, {"errors": {f"variants[{index}].sku": ["has already been taken"]}}
                )
            variants.append(
                {
                    "id": ids.new("variant"),
                    "product_id": pid,
                    "title": item.get("title") or "Default",
                    "sku": sku,
                    "barcode": item.get("barcode"),
                    "position": index + 1,
                    "price": money_str(
                        parse_amount(item.get("price", 0), f"variants[{index}].price")
                    ),
                    "compare_at_price": item.get("compare_at_price"),
                    "weight": item.get("weight", "0"),
                    "weight_unit": item.get("weight_unit", "kg"),
                    "inventory_item_id": ids.new("inventory"),
                    "inventory_quantity": int(item.get("inventory_quantity") or 0),
                    "inventory_policy": item.get("inventory_policy", "deny"),
                    "inventory_tracker": bool(item.get("inventory_tracker", True)),
                    "taxable": True,
                    "required_shipping": True,
                    "option1": item.get("option1"),
                    "option2": item.get("option2"),
                    "option3": item.get("option3"),
                }
            )
        title = str(body["title"])
        product: dict[str, Any] = {
            "id": pid,
            "title": title,
            "subtitle": body.get("subtitle", ""),
            "handle": body.get("handle") or title.lower().replace(" ", "-"),
            "body_html": body.get("body_html"),
            "vendor": body.get("vendor"),
            "tags": body.get("tags") or "",
            "status": body.get("status", "active"),
            "published_scope": "web",
            "product_type": "NORMAL",
            "created_at": now,
            "updated_at": now,
            "published_at": now,
            "options": [
                {"id": ids.new("option"), "product_id": pid, **o} for o in body.get("options") or []
            ],
            "variants": variants,
        }
        self.state.add_product(product)
        self._skus.update(v["sku"] for v in variants if v.get("sku"))
        return json_response(200, {"product": product})
