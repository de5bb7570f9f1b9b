"""Users (customers): list, get, create, update, and how users render (whole or inline)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem, Span, json_response
from storebridge_29next._converter import too_long_fields
from storebridge_29next.emulator.state import StoreState
from storebridge_29next.emulator.wire import (
    NEWEST_ID_FIRST,
    Handler,
    Response,
    date_param,
    invalid,
    iso,
    money,
    not_found,
    object_body,
    page_answer,
    refuse_unemulated,
    required,
)

__all__ = ["EMAIL", "Users", "render_user", "user_inline"]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WRITABLE = (
    "email", "first_name", "last_name", "phone_number", "language",
    "accepts_marketing", "is_blocked", "ip", "user_agent", "tags", "metadata",
)  # fmt: skip


def user_inline(state: StoreState, user_id: int) -> dict[str, Any]:
    """The user as orders and transactions embed it."""
    user = state.users.get(user_id, {"id": user_id})
    return {
        "id": user_id,
        "email": user.get("email"),
        "first_name": user.get("first_name", ""),
        "last_name": user.get("last_name", ""),
        "phone_number": user.get("phone_number"),
        "accepts_marketing": bool(user.get("accepts_marketing", False)),
        "ip": None,
        "language": user.get("language"),
        "user_agent": None,
    }


def render_user(state: StoreState, record: dict[str, Any]) -> dict[str, Any]:
    orders = state.orders_of(record["id"])
    spent = sum((o.total for o in orders if o.status != "canceled"), Decimal(0))
    return {
        **record,
        # The spec's oneOf [{}, null] rejects null (it matches both), so send an empty object.
        "metadata": record.get("metadata") or {},
        "orders_count": len(orders),
        "subscriptions_count": 0,
        "total_spent": money(spent),
    }


class Users:
    """``/users/``: newest first, filtered by email or joining date."""

    def __init__(self, state: StoreState, page_size: int, now: Callable[[], datetime]) -> None:
        self.state = state
        self.page_size = page_size
        self.now = now

    def endpoints(self) -> list[Endpoint[Handler]]:
        one = r"/users/(?P<id>\d+)/"
        return [
            Endpoint("GET", "/users/", self.list_users, "users:read"),
            Endpoint("POST", "/users/", self.create_user, "users:write"),
            Endpoint("GET", one, self.get_user, "users:read"),
            Endpoint("PATCH", one, self.patch_user, "users:write"),
        ]

    def list_users(self, req: EmulatorRequest, version: str) -> Response:
        refuse_unemulated(req, "users")
        email = req.query.get("email", "").lower()
        low = req.query.get("date_joined_from")
        high = req.query.get("date_joined_to")
        low_day = date_param(low, "date_joined_from").isoformat() if low else None
        high_day = date_param(high, "date_joined_to").isoformat() if high else None
        newest_first = self.state.users_by_id.span(descending=True)
        rows: Span[dict[str, Any]] = newest_first
        if email or low_day or high_day:

            def keep(user: dict[str, Any]) -> bool:
                joined = str(user["date_joined"])[:10]
                return (
                    (not email or str(user["email"]).lower() == email)
                    and (low_day is None or joined >= low_day)
                    and (high_day is None or joined <= high_day)
                )

            rows = self.state.listings.get(
                ("users", email, low_day, high_day),
                self.state.revision(),
                lambda: newest_first.where(keep),
            )
        return page_answer(
            req, rows, self.page_size, lambda u: render_user(self.state, u), NEWEST_ID_FIRST
        )

    def _user(self, ref: str) -> dict[str, Any]:
        found = self.state.users.get(int(ref))
        if found is None:
            raise not_found()
        return found

    def get_user(self, req: EmulatorRequest, version: str) -> Response:
        return json_response(200, render_user(self.state, self._user(req.params["id"])))

    def check_fields(self, fields: dict[str, Any], own_id: int | None) -> None:
        if "email" in fields:
            email = fields["email"]
            if not isinstance(email, str) or not EMAIL.match(email):
                raise invalid("email", "Enter a valid email address.")
            if self.state.user_with_email(email, other_than=own_id) is not None:
                raise invalid("email", "user with this email already exists.")
        for key in ("first_name", "last_name"):
            if key in fields and (not isinstance(fields[key], str) or len(fields[key]) > 255):
                raise invalid(key, "Ensure this field has no more than 255 characters.")
        if "tags" in fields and not isinstance(fields["tags"], list):
            raise invalid("tags", 'Expected a list of items but got type "str".')

    def new_user(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a user from validated fields (also used when an order names a new email)."""
        uid = self.state.next_id("user", 100)
        addresses = []
        for index, item in enumerate(fields.get("addresses") or ()):
            if not isinstance(item, dict):
                raise HTTPProblem(400, {"addresses": [{"non_field_errors": ["Invalid data."]}]})
            missing = [k for k in ("line1", "line4", "country") if not item.get(k)]
            problems = {k: required() for k in missing} or too_long_fields(item)
            if problems:
                errors: list[dict[str, Any]] = [{} for _ in range(index)]
                errors.append(problems)
                raise HTTPProblem(400, {"addresses": errors})
            addresses.append(
                {
                    **item,
                    "id": self.state.next_id("address", 500),
                    "is_default_for_billing": index == 0,
                    "is_default_for_shipping": index == 0,
                }
            )
        record = {
            "id": uid,
            "email": fields["email"],
            "first_name": fields.get("first_name", ""),
            "last_name": fields.get("last_name", ""),
            "phone_number": fields.get("phone_number"),
            "language": fields.get("language", "en"),
            "accepts_marketing": bool(fields.get("accepts_marketing", False)),
            "is_blocked": bool(fields.get("is_blocked", False)),
            "ip": fields.get("ip"),
            "user_agent": fields.get("user_agent"),
            "tags": [str(t) for t in fields.get("tags") or () if t],
            "metadata": fields.get("metadata"),
            "addresses": addresses,
            "date_joined": iso(self.now()),
            "user_type": "customer",
        }
        self.state.add_user(record)
        return record

    def create_user(self, req: EmulatorRequest, version: str) -> Response:
        fields = object_body(req)
        if not fields.get("email"):
            raise HTTPProblem(400, {"email": required()})
        self.check_fields(fields, None)
        record = self.new_user(fields)
        return json_response(201, render_user(self.state, record))

    def patch_user(self, req: EmulatorRequest, version: str) -> Response:
        record = self._user(req.params["id"])
        fields = object_body(req)
        self.check_fields(fields, record["id"])
        previous = record.get("email")
        for key in _WRITABLE:
            if key in fields:
                record[key] = fields[key]
        self.state.index_email(record, previous)
        return json_response(200, render_user(self.state, record))
