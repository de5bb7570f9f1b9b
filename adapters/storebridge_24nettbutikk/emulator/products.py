"""Products: grouped or flat (one row per variant) wire rows, and stock PATCHes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem
from storebridge_24nettbutikk.emulator.state import Record, ShopState
from storebridge_24nettbutikk.emulator.wire import Response, Wire, bad_request, patch_body

__all__ = ["TRUTHY", "Products", "is_flat"]

Handler = Callable[[EmulatorRequest], Response]
TRUTHY = {"1", "true", "yes", "on"}


def is_flat(req: EmulatorRequest) -> bool:
    """``?flat=1`` (and its loose spellings) asks for one row per variant."""
    return req.query.get("flat", "0").strip().lower() in TRUTHY


class Products:
    """``/products``: a row per product (variants under ``attributes``), or with ``flat``
    a row per variant; ``PATCH /products/{id}`` sets stock (a variant's by its flat id)."""

    name = "products"

    def __init__(self, state: ShopState, wire: Wire, now: Callable[[], float]) -> None:
        self.state = state
        self.wire = wire
        self.now = now
        self._variants: dict[str, tuple[Record, Record]] = {
            variant["uid"]: (product, variant)
            for product in state.table("products").records
            for variant in product["variants"]
        }

    def endpoints(self) -> list[Endpoint[Handler]]:
        return [Endpoint("PATCH", r"products/(?P<id>[^/]+)/?", self.patch_product)]

    def row_count(self, product: Record, flat: bool) -> int:
        """How many rows :meth:`rows` gives, without rendering them."""
        return max(1, len(product["variants"])) if flat else 1

    def rows(self, product: Record, flat: bool) -> list[dict[str, Any]]:
        skip = {"variants", "attributes", "modified"}
        base = self.wire.row({k: v for k, v in product.items() if k not in skip})
        base.update(
            image=f"https://cdn.example/produkt/{product['id']}.jpg",
            link=f"/produkt/{product['id']}",
            additional_text=None,
            length=None,
            height=None,
            width=None,
            volume=None,
            modified_on=self.state.local(product["modified"]),
        )
        variants = product["variants"]
        if not flat:
            base.update(
                unique_product_id=None,
                variant=None,
                # PHP's json_encode turns an empty map into [].
                attributes=dict(product["attributes"]) if product["attributes"] else [],
            )
            if variants:
                base["stock"] = self.wire.scalar(sum(v["stock"] for v in variants))
            return [base]
        if not variants:
            return [{**base, "unique_product_id": str(product["id"]), "variant": None}]
        return [
            {
                **base,
                "unique_product_id": v["uid"],
                "variant": v["label"],
                "article_no": v["article_no"],
                "price": self.wire.scalar(v["price"]),
                "stock": self.wire.scalar(v["stock"]),
            }
            for v in variants
        ]

    def patch_product(self, req: EmulatorRequest) -> Response:
        flat = is_flat(req)
        body = patch_body(req, {"stock"})
        stock = body["stock"]
        if (
            isinstance(stock, bool)
            or not isinstance(stock, int | str)
            or not str(stock).lstrip("-").isdigit()
        ):
            raise bad_request()
        product, variant = self._stock_target(req.params["id"], flat)
        (variant or product)["stock"] = int(stock)
        self.state.modify("products", product, self.now())
        return self.wire.encode(req, {"data": self.rows(product, flat)})

    def _stock_target(self, key: str, flat: bool) -> tuple[Record, Record | None]:
        product = self.state.find("products", key)
        if product is not None:
            if product["variants"]:
                raise bad_request()  # which variant? (inferred: ask for flat=1 ids)
            return product, None
        found = self._variants.get(key) if flat else None
        if found is None and flat:
            # Variants edited in place since seeding: look them up the long way.
            found = next(
                (
                    (candidate, variant)
                    for candidate in self.state.table("products").records
                    for variant in candidate["variants"]
                    if variant["uid"] == key
                ),
                None,
            )
        if found is None:
            raise HTTPProblem(404, None)
        return found
