"""Customers (``/users/``): list (day windows by ``date_joined``), get, create, update.

Users carry no updated timestamp, so ``updated_since`` cannot narrow a listing: every
customer is returned (a superset, never a miss). A create whose answer is lost is settled
by looking the e-mail up (the platform keeps e-mails unique); an update by reading the
customer back and comparing the fields sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storebridge.kit import (
    Flow,
    ListFlow,
    ListQuery,
    Payload,
    customer_matches,
    reconciled_update,
    reconciled_write,
    within,
)
from storebridge.model import Customer, CustomerDraft, CustomerUpdate
from storebridge_29next._converter import customer_body, customer_update_body, structure
from storebridge_29next._list_filters import check_filters
from storebridge_29next._listings import read_listing
from storebridge_29next._paging import (
    USERS_BY_JOINED,
    Days,
    Listing,
    store_days,
)
from storebridge_29next._requests import (
    answer_as,
    body_object,
    get,
    has_results,
    is_record,
    patch,
    post,
    query,
    read_one,
)

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter


def list_customers(adapter: TwentyNineNextAdapter, query_: ListQuery) -> ListFlow[Customer]:
    since, until = query_.created_since, query_.created_until
    extra = dict(query_.extra)
    check_filters("customers", extra)
    dates = USERS_BY_JOINED
    own_dates = {dates.since, dates.until, "cursor"} & set(extra)
    days = store_days(since, until)
    listing = Listing(
        resource="customers",
        path="users",
        key="id",
        params=tuple(query({}, extra)),
        days=days if not own_dates else Days(),
        dates=None if own_dates else dates,
    )

    def expand(rows: list[Payload]) -> Flow[list[Customer]]:
        found = (structure(row, Customer) for row in rows)
        return [c for c in found if within(c.created_at, since, until)]
        yield  # pragma: no cover - makes this a generator

    return read_listing(adapter, listing, expand)


def get_customer(adapter: TwentyNineNextAdapter, ref: str) -> Flow[Customer]:
    return read_one(adapter, "customers.get", "users", ref, "id", Customer)


def find_by_email(adapter: TwentyNineNextAdapter, email: str) -> Flow[Customer | None]:
    response = yield get(adapter, "customers.find", "users", params=query({"email": email}, {}),
                         check=has_results)  # fmt: skip
    for row in body_object(response).iter("results", required=True):
        if (row.opt_string("email") or "").lower() == email.lower():
            return structure(row, Customer)
    return None


def create_customer(adapter: TwentyNineNextAdapter, draft: CustomerDraft) -> Flow[Customer]:
    request = post(adapter, "customers.create", ("users",), customer_body(draft))

    def existing() -> Flow[Customer | None]:
        found = yield from find_by_email(adapter, draft.email)
        return None if found is None else customer_matches(found, draft)

    return (yield from reconciled_write(request, answer_as(Customer), existing))


def update_customer(
    adapter: TwentyNineNextAdapter, ref: str, update: CustomerUpdate
) -> Flow[Customer]:
    sent = customer_update_body(update)
    request = patch(adapter, "customers.update", ("users", ref), sent)

    def read() -> Flow[Payload]:
        response = yield get(adapter, "customers.get", "users", ref, check=is_record("id", ref))
        return body_object(response)

    # Absolute values: sent again after a lost answer unless someone else wrote them.
    return (
        yield from reconciled_update(
            request, answer_as(Customer), read,
            applied=lambda now: all(_same(now.raw(key), value) for key, value in sent.items()),
            shown=lambda now: [now.raw(key) for key in sent],
            result=lambda now: structure(now, Customer),
        )
    )  # fmt: skip


def _same(stored: object, sent: object) -> bool:
    if isinstance(stored, str) and isinstance(sent, str) and "@" in sent:
        return stored.lower() == sent.lower()  # e-mails compare without case
    return stored == sent


__all__ = ["create_customer", "find_by_email", "get_customer", "list_customers", "update_customer"]
