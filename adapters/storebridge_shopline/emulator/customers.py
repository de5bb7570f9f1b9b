"""Customers (v2): list, search, count, get, create, update."""

from __future__ import annotations

from collections.abc import Mapping
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
from storebridge_shopline.emulator.wire import Handler, Record, page_answer

__all__ = ["Customers"]

_WRITABLE = ("email", "phone", "first_name", "last_name", "tags", "note", "email_marketing_consent")


def _missing() -> HTTPProblem:
    return HTTPProblem(400, {"errors": "customer is required"})


class Customers:
    """``customers/v2/...`` reads and ``customers.json`` writes."""

    def __init__(self, state: StoreState) -> None:
        self.state = state
        self._emails: dict[str, set[str]] = {}
        """Lower-cased email -> ids of the customers with it (uniqueness, email search)."""
        for customer in state.customers.rows.values():
            self._index_email(customer, None)

    def endpoints(self) -> list[Endpoint[Handler]]:
        read, write = "read_customers", "write_customers"
        one = r"(?P<id>\d+)"
        return [
            Endpoint("GET", r"v2/customers\.json", self.list_customers, read),
            Endpoint("GET", r"customers/v2/search\.json", self.search_customers, read),
            Endpoint("GET", r"customers/v2/count\.json", self.count_customers, read),
            Endpoint("GET", rf"customers/v2/{one}\.json", self.get_customer, read),
            Endpoint("POST", r"customers\.json", self.create_customer, write),
            Endpoint("PUT", rf"customers/{one}\.json", self.update_customer, write),
        ]

    def _index_email(self, customer: Record, previous: Any) -> None:
        if isinstance(previous, str):
            self._emails.get(previous.lower(), set()).discard(customer["id"])
        email = customer.get("email")
        if isinstance(email, str) and email:
            self._emails.setdefault(email.lower(), set()).add(customer["id"])

    def _rows(self, filters: Mapping[str, str]) -> Span[Record]:
        return self.state.select(self.state.customers, filters)

    def list_customers(self, req: EmulatorRequest) -> Response:
        return page_answer(req, "customers", "customers", self._rows, dict)

    def count_customers(self, req: EmulatorRequest) -> Response:
        return json_response(200, {"count": self.state.count(self.state.customers, req.query)})

    def search_customers(self, req: EmulatorRequest) -> Response:
        terms: dict[str, str] = {}
        for part in (req.query.get("query") or "").split(";"):
            key, _, value = part.partition(":")
            if key.strip():
                terms[key.strip()] = value.strip().lower()
        frozen = tuple(sorted(terms.items()))

        def keep(customer: Record) -> bool:
            return all(str(customer.get(k) or "").lower() == v for k, v in terms.items())

        def select(filters: Mapping[str, str]) -> Span[Record]:
            # The search terms decide, not the list filters (as SHOPLINE answers it).
            if set(terms) == {"email"} and terms["email"]:
                rows = self.state.customers.rows
                found = (rows[i] for i in self._emails.get(terms["email"], ()) if i in rows)
                return Span.of((int(c["id"]), c) for c in found if keep(c))
            return self.state.select(self.state.customers, {}, keep if terms else None, frozen)

        return page_answer(req, "customers", "customers", select, dict)

    def get_customer(self, req: EmulatorRequest) -> Response:
        found = self.state.customers.rows.get(req.params["id"])
        if found is None:
            raise HTTPProblem(404, {"errors": "The customer does not exist."})
        return json_response(200, {"customer": found})

    def _apply(self, body: Mapping[str, Any], target: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        email = body.get("email")
        if email is not None and (
            not isinstance(email, str) or "@" not in email or len(email) > 50
        ):
            errors["email"] = ["is invalid"]
        elif email is not None and self._emails.get(email.lower(), set()) - {target.get("id")}:
            errors["email"] = ["has already been taken"]
        tags = body.get("tags")
        if tags is not None and (len(str(tags)) > 1000 or len(str(tags).split(",")) > 100):
            errors["tags"] = ["too many tags (at most 100, 1000 characters)"]
        if errors:
            raise HTTPProblem(422, {"errors": errors})
        previous = target.get("email")
        for key in _WRITABLE:
            if key in body:
                target[key] = body[key]
        self._index_email(target, previous)

    def create_customer(self, req: EmulatorRequest) -> Response:
        body = read_member(req, "customer", _missing)
        if not body.get("email") and not body.get("phone"):
            raise HTTPProblem(422, {"errors": {"email": ["email or phone is required"]}})
        cid = self.state.ids.new("customer")
        customer: dict[str, Any] = {
            "id": cid,
            "state": 1,
            "orders_count": 0,
            "total_spent": "0.00",
            "tags": "",
            "created_at": self.state.stamp(),
            "updated_at": self.state.stamp(),
        }
        self._apply(body, customer)
        addresses = []
        for index, addr in enumerate(body.get("addresses") or []):
            addresses.append(
                {**addr, "id": f"{cid}{index + 1:02d}", "customer_id": cid, "default": index == 0}
            )
        customer["addresses"] = addresses
        customer["default_address"] = addresses[0] if addresses else None
        self.state.customers.add(customer)
        return json_response(200, {"customer": customer})

    def update_customer(self, req: EmulatorRequest) -> Response:
        customer = self.state.customers.rows.get(req.params["id"])
        if customer is None:
            raise HTTPProblem(404, {"errors": "The customer does not exist."})
        body = read_member(req, "customer", _missing)
        self._apply(body, customer)
        customer["updated_at"] = self.state.stamp()
        self.state.customers.touched(customer)
        return json_response(200, {"customer": customer})
