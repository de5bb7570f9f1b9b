"""The emulator's customer (v2) and product endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storebridge import _http
from storebridge.sandbox import (
    EmulatorRequest,
    HTTPProblem,
    json_response,
)
from storebridge_shopline.emulator.querying import (
    matches_common_filters,
    parse_amount,
)
from storebridge_shopline.emulator.seed import money_str
from storebridge_shopline.emulator.state import StoreState


class CatalogEndpoints(StoreState):
    """Customers (v2 list, search, get, create, update) and products."""

    def _customer_rows(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        return [c for c in self.customers.values() if matches_common_filters(c, filters)]

    def list_customers(self, req: EmulatorRequest) -> _http.Response:
        return self._paged(req, "customers", "customers", self._customer_rows, dict)

    def count_customers(self, req: EmulatorRequest) -> _http.Response:
        return json_response(200, {"count": len(self._customer_rows(req.query))})

    def search_customers(self, req: EmulatorRequest) -> _http.Response:
        terms = {}
        for part in (req.query.get("query") or "").split(";"):
            key, _, value = part.partition(":")
            if key.strip():
                terms[key.strip()] = value.strip().lower()

        def select(filters: Mapping[str, str]) -> list[dict[str, Any]]:
            return [
                c
                for c in self.customers.values()
                if all(str(c.get(k) or "").lower() == v for k, v in terms.items())
            ]

        return self._paged(req, "customers", "customers", select, dict)

    def get_customer(self, req: EmulatorRequest) -> _http.Response:
        found = self.customers.get(req.params["id"])
        if found is None:
            raise HTTPProblem(404, {"errors": "The customer does not exist."})
        return json_response(200, {"customer": found})

    def _customer_fields(self, body: Mapping[str, Any], target: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        email = body.get("email")
        if email is not None and (
            not isinstance(email, str) or "@" not in email or len(email) > 50
        ):
            errors["email"] = ["is invalid"]
        elif email is not None and any(
            (c.get("email") or "").lower() == email.lower() and c["id"] != target.get("id")
            for c in self.customers.values()
        ):
            errors["email"] = ["has already been taken"]
        tags = body.get("tags")
        if tags is not None and (len(str(tags)) > 1000 or len(str(tags).split(",")) > 100):
            errors["tags"] = ["too many tags (at most 100, 1000 characters)"]
        if errors:
            raise HTTPProblem(422, {"errors": errors})
        for key in (
            "email",
            "phone",
            "first_name",
            "last_name",
            "tags",
            "note",
            "email_marketing_consent",
        ):
            if key in body:
                target[key] = body[key]

    def create_customer(self, req: EmulatorRequest) -> _http.Response:
        body = req.json().get("customer")
        if not isinstance(body, dict):
            raise HTTPProblem(400, {"errors": "customer is required"})
        if not body.get("email") and not body.get("phone"):
            raise HTTPProblem(422, {"errors": {"email": ["email or phone is required"]}})
        cid = self._ids.new("customer")
        customer: dict[str, Any] = {
            "id": cid,
            "state": 1,
            "orders_count": 0,
            "total_spent": "0.00",
            "tags": "",
            "created_at": self._stamp(),
            "updated_at": self._stamp(),
        }
        self._customer_fields(body, customer)
        addresses = []
        for index, addr in enumerate(body.get("addresses") or []):
            addresses.append(
                {**addr, "id": f"{cid}{index + 1:02d}", "customer_id": cid, "default": index == 0}
            )
        customer["addresses"] = addresses
        customer["default_address"] = addresses[0] if addresses else None
        self.customers[cid] = customer
        return json_response(200, {"customer": customer})

    def update_customer(self, req: EmulatorRequest) -> _http.Response:
        customer = self.customers.get(req.params["id"])
        if customer is None:
            raise HTTPProblem(404, {"errors": "The customer does not exist."})
        body = req.json().get("customer")
        if not isinstance(body, dict):
            raise HTTPProblem(400, {"errors": "customer is required"})
        self._customer_fields(body, customer)
        customer["updated_at"] = self._stamp()
        return json_response(200, {"customer": customer})

    # Products --------------------------------------------------------------------------
    def _product_rows(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        rows = []
        for product in self.products.values():
            if any(
                filters.get(k) and product.get(k) != filters[k]
                for k in ("title", "handle", "vendor", "status")
            ):
                continue
            if matches_common_filters(product, filters):
                rows.append(product)
        return rows

    def list_products(self, req: EmulatorRequest) -> _http.Response:
        return self._paged(req, "products", "products", self._product_rows, dict)

    def count_products(self, req: EmulatorRequest) -> _http.Response:
        return json_response(200, {"count": len(self._product_rows(req.query))})

    def get_product(self, req: EmulatorRequest) -> _http.Response:
        found = self.products.get(req.params["id"])
        if found is None:
            raise HTTPProblem(404, {"errors": "The product does not exist."})
        return json_response(200, {"product": found})

    def create_product(self, req: EmulatorRequest) -> _http.Response:
        body = req.json().get("product")
        if not isinstance(body, dict) or not body.get("title"):
            raise HTTPProblem(422, {"errors": {"title": ["can't be blank"]}})
        pid = self._ids.new("product")
        now = self._stamp()
        known = {v["sku"] for p in self.products.values() for v in p["variants"] if v.get("sku")}
        variants = []
        for index, item in enumerate(body.get("variants") or [{}]):
            sku = item.get("sku")
            if sku and sku in known:
                raise HTTPProblem(
                    422, {"errors": {f"variants[{index}].sku": ["has already been taken"]}}
                )
            variants.append(
                {
                    "id": self._ids.new("variant"),
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
                    "inventory_item_id": self._ids.new("inventory"),
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
        product = {
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
                {"id": self._ids.new("option"), "product_id": pid, **o}
                for o in body.get("options") or []
            ],
            "variants": variants,
        }
        self.products[pid] = product
        return json_response(200, {"product": product})
