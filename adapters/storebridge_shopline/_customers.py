"""Customers: list (v2), get, search by e-mail, create, update.

Inputs are checked against SHOPLINE's own field limits before anything is sent; writes are
settled by reading back (the e-mail after a create, the fields after an update).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from storebridge import validation
from storebridge.errors import ValidationError
from storebridge.http import Response
from storebridge.kit import (
    Flow,
    ListFlow,
    ListQuery,
    check_query_value,
    customer_matches,
    reconciled_update,
    reconciled_write,
    segment,
    stored_form,
)
from storebridge.model import Customer, CustomerDraft, CustomerUpdate
from storebridge_shopline import _converter as wire
from storebridge_shopline._api import Api
from storebridge_shopline._orders import check_tags
from storebridge_shopline._paging import (
    CUSTOMERS,
    holds_rows,
    list_records,
    one_record,
    query_params,
)

LIMITS: Mapping[str, int] = {"email": 50, "first_name": 128, "last_name": 128, "phone": 20,
                             "note": 1000}  # fmt: skip
"""SHOPLINE's longest customer fields (characters)."""
MAX_TAGS, MAX_TAG, MAX_TAGS_TEXT, MAX_ADDRESSES = 100, 128, 1000, 50


def list_customers(adapter: Api, query: ListQuery) -> ListFlow[Customer]:
    return list_records(adapter, CUSTOMERS, query_params("customers", query), query, Customer)


def get_customer(adapter: Api, ref: str) -> Flow[Customer]:
    path = f"customers/v2/{segment(ref)}.json"
    response = yield adapter.get(path, "customers.get", check=one_record("customer", ref))
    return adapter.converter().structure(wire.payload_of(response).obj("customer"), Customer)


def find_customer_by_email(adapter: Api, email: str) -> Flow[Customer | None]:
    """``customers/v2/search.json?query=email:...``: the customer with that e-mail, if any."""
    validation.email(email, "email")
    query = check_query_value(f"email:{email}", "email")
    response = yield adapter.get("customers/v2/search.json", "customers.search", {"query": query},
                                 check=holds_rows("customers"))  # fmt: skip
    converter = adapter.converter()
    wanted = email.strip().lower()
    for row in wire.payload_of(response).objects("customers"):
        found = converter.structure(row, Customer)
        if (found.email or "").lower() == wanted:
            return found
    return None


def check_fields(values: Mapping[str, Any]) -> None:
    """SHOPLINE's limits on what a customer create or update sends."""
    for name, limit in LIMITS.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            raise ValidationError(
                f"{name} is {len(value)} characters long; SHOPLINE takes at most {limit}",
                field=name,
            )
    if values.get("email") is not None:
        validation.email(values["email"], "email")
    tags = values.get("tags")
    if tags is not None:
        check_tags(tags)
        if len(tags) > MAX_TAGS:
            raise ValidationError(f"at most {MAX_TAGS} tags, got {len(tags)}", field="tags")
        for index, tag in enumerate(tags):
            if len(tag) > MAX_TAG:
                raise ValidationError(
                    f"tags[{index}] is longer than {MAX_TAG} characters", field=f"tags[{index}]"
                )
        if len(wire.join_tags(tags)) > MAX_TAGS_TEXT:
            raise ValidationError(
                f"the tags are longer than {MAX_TAGS_TEXT} characters together", field="tags"
            )
    if len(values.get("addresses") or ()) > MAX_ADDRESSES:
        raise ValidationError(f"at most {MAX_ADDRESSES} addresses", field="addresses")


def _fields(item: CustomerDraft | CustomerUpdate) -> dict[str, Any]:
    return {name: getattr(item, name, None) for name in (*LIMITS, "tags", "addresses")}


def _parse(adapter: Api) -> Callable[[Response], Customer]:
    converter = adapter.converter()

    def parse(response: Response) -> Customer:
        return converter.structure(wire.payload_of(response).obj("customer"), Customer)

    return parse


def create_customer(adapter: Api, draft: CustomerDraft) -> Flow[Customer]:
    """``POST customers.json``; a lost answer is settled by searching the e-mail (unique in
    a store)."""
    check_fields(_fields(draft))
    body = {"customer": wire.customer_body(draft)}
    request = adapter.write("POST", "customers.json", "customers.create", body)

    def existing() -> Flow[Customer | None]:
        found = yield from find_customer_by_email(adapter, draft.email)
        return None if found is None else customer_matches(found, draft)

    return (yield from reconciled_write(request, _parse(adapter), existing))


def update_customer(adapter: Api, ref: str, update: CustomerUpdate) -> Flow[Customer]:
    """``PUT customers/{id}.json``; a lost answer is settled by reading the customer back
    (read first too: see :func:`kit.reconciled_update`)."""
    path = f"customers/{segment(ref)}.json"
    check_fields(_fields(update))
    body = wire.customer_body(update, ref)
    request = adapter.write("PUT", path, "customers.update", {"customer": body})

    written = [name for name in _UPDATABLE if getattr(update, name) is not None]

    def read() -> Flow[Customer]:
        return (yield from get_customer(adapter, ref))

    # Absolute values: sent again after a lost answer unless someone else wrote them.
    return (
        yield from reconciled_update(
            request, _parse(adapter), read,
            applied=lambda found: all(
                stored_form(getattr(found, n)) == stored_form(getattr(update, n)) for n in written
            ),
            shown=lambda found: [getattr(found, n) for n in written],
            result=lambda found: found,
        )
    )  # fmt: skip


_UPDATABLE = ("email", "first_name", "last_name", "phone", "note", "tags", "accepts_marketing")


__all__ = [
    "LIMITS",
    "check_fields",
    "create_customer",
    "find_customer_by_email",
    "get_customer",
    "list_customers",
    "update_customer",
]
