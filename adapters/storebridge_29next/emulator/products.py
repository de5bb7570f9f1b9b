"""Products (catalogue): list, get, create, and how they render on each API version.

2023-02-10 lists a product's variants under ``children`` (in answers and create bodies),
and its stock records carry the variant's SKU and price; 2024-04-01 and ``unstable`` list
them under ``variants``. The store keeps them under ``variants`` either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem, Span, json_response
from storebridge_29next.emulator.state import StoreState
from storebridge_29next.emulator.wire import (
    LEGACY,
    NEWEST_ID_FIRST,
    Handler,
    Response,
    decimal_value,
    iso,
    list_param,
    money,
    not_found,
    object_body,
    page_answer,
    refuse_unemulated,
    required,
)

__all__ = ["Products", "render_product", "variants_field"]

_DETAIL_ONLY = ("description", "meta_title", "meta_description", "template")


def variants_field(version: str) -> str:
    """Where ``version`` lists a product's variants (answers and create bodies)."""
    return "children" if version == LEGACY else "variants"


def _stockrecord(stock: dict[str, Any], item: dict[str, Any], version: str) -> dict[str, Any]:
    if version != LEGACY:
        return dict(stock)
    price = (item["prices"] or [{}])[0]
    return {
        **stock,
        "sku": item.get("sku") or "",
        "price": price.get("price"),
        "price_currency": price.get("currency"),
        "price_retail": price.get("retail"),
    }


def render_product(record: dict[str, Any], origin: str, version: str) -> dict[str, Any]:
    variants = []
    for item in record["variants"]:
        variants.append(
            {
                **item,
                "metadata": item.get("metadata") or {},
                "images": "",
                "inventory_availability": "in_stock",
                "purchase_availability": "available",
                "stockrecords": [_stockrecord(s, item, version) for s in item["stockrecords"]],
            }
        )
    body = {k: v for k, v in record.items() if k != "variants"}
    return {
        **body,
        "metadata": record.get("metadata") or {},
        variants_field(version): variants,
        "categories": [],
        "images": [],
        "rating": None,
        "url": f"{origin}/catalogue/{record['slug']}/",
    }


class Products:
    """``/products/``: newest first, filtered by SKU or title; create with unique SKUs."""

    def __init__(self, state: StoreState, page_size: int, now: Callable[[], datetime]) -> None:
        self.state = state
        self.page_size = page_size
        self.now = now

    def endpoints(self) -> list[Endpoint[Handler]]:
        return [
            Endpoint("GET", "/products/", self.list_products, "catalogue:read"),
            Endpoint("POST", "/products/", self.create_product, "catalogue:write"),
            Endpoint("GET", r"/products/(?P<id>\d+)/", self.get_product, "catalogue:read"),
        ]

    def list_products(self, req: EmulatorRequest, version: str) -> Response:
        refuse_unemulated(req, "products")
        skus = frozenset(list_param(req, "sku"))
        needle = req.query.get("title", "").lower()
        newest_first = self.state.products_by_id.span(descending=True)
        rows: Span[dict[str, Any]] = newest_first
        if skus or needle:

            def keep(product: dict[str, Any]) -> bool:
                if skus and not {v["sku"] for v in product["variants"]} & skus:
                    return False
                return not needle or needle in product["title"].lower()

            rows = self.state.listings.get(
                ("products", skus, needle), self.state.revision(), lambda: newest_first.where(keep)
            )

        def listed(product: dict[str, Any]) -> dict[str, Any]:
            item = render_product(product, req.origin, version)
            for key in _DETAIL_ONLY:
                item.pop(key, None)
            return item

        return page_answer(req, rows, self.page_size, listed, NEWEST_ID_FIRST)

    def get_product(self, req: EmulatorRequest, version: str) -> Response:
        found = self.state.products.get(int(req.params["id"]))
        if found is None:
            raise not_found()
        return json_response(200, render_product(found, req.origin, version))

    def create_product(self, req: EmulatorRequest, version: str) -> Response:
        fields = object_body(req)
        title = fields.get("title")
        if not isinstance(title, str) or not title.strip():
            raise HTTPProblem(400, {"title": required()})
        known: set[Any] = set(self.state.skus)
        now = iso(self.now())
        pid = self.state.next_id("product", 10)
        variants = []
        errors: list[dict[str, Any]] = []
        field = variants_field(version)
        # Another version's list is not this version's field: ignored, as DRF ignores it.
        for item in fields.get(field) or [{}]:
            problems: dict[str, list[str]] = {}
            sku = item.get("sku") if isinstance(item, dict) else None
            if sku and sku in known:
                problems["sku"] = ["product variant with this sku already exists."]
            prices = item.get("prices") or [] if isinstance(item, dict) else []
            for price in prices:
                decimal_value(price.get("price"), "price")
                if price.get("retail") is not None:
                    decimal_value(price.get("retail"), "retail")
            stockrecords = []
            for entry in item.get("stockrecords") or () if isinstance(item, dict) else ():
                loc = entry.get("location_id")
                if loc not in self.state.locations:
                    problems["stockrecords"] = [f'Invalid pk "{loc}" - object does not exist.']
                    continue
                stockrecords.append(
                    {
                        "id": self.state.next_id("stockrecord", 700),
                        "location_id": loc,
                        "num_in_stock": entry.get("num_in_stock"),
                        "num_allocated": 0,
                        "low_stock_threshold": entry.get("low_stock_threshold", 0),
                    }
                )
            errors.append(problems)
            if problems or not isinstance(item, dict):
                continue
            known.add(sku)
            variants.append(
                {
                    "id": self.state.next_id("variant", 200),
                    "product_id": pid,
                    "sku": sku,
                    "title": title,
                    "upc": item.get("upc"),
                    "prices": [
                        {
                            "currency": p.get("currency", "USD"),
                            "price": money(Decimal(str(p["price"]))),
                            "retail": None
                            if p.get("retail") is None
                            else money(Decimal(str(p["retail"]))),
                        }
                        for p in prices
                    ],
                    "stockrecords": stockrecords,
                    "track_stock": bool(item.get("track_stock", True)),
                    "allow_backorders": bool(item.get("allow_backorders", False)),
                    "requires_shipping": bool(item.get("requires_shipping", True)),
                    "unit_cost": "0.00",
                    "metadata": item.get("metadata"),
                    "date_created": now,
                    "date_updated": now,
                }
            )
        if any(errors):
            raise HTTPProblem(400, {field: errors})
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
        record = {
            "id": pid,
            "title": title,
            "slug": f"{slug}-{pid}",
            "description": fields.get("description", ""),
            "structure": "parent" if len(variants) > 1 else "standalone",
            "is_public": bool(fields.get("is_public", True)),
            "metadata": fields.get("metadata"),
            "variants": variants,
            "date_created": now,
            "date_updated": now,
        }
        self.state.add_product(record)
        return json_response(201, render_product(record, req.origin, version))
