"""Conformance: what the adapter writes reads back as written, by ``get`` and by the listing.

A converter can be wrong the same way on every read: a record's second line dropped, an
amount passed through a float (``1234.05`` read as ``1234.0499999999999545...``), first and
last name swapped, creation and update times swapped. Reads compared with reads cannot
see it; a record the check writes itself, with values it chose, can. The check creates
what the adapter can create (a customer, a product with two variants, an order of two
lines of that product), reads each back with ``get`` and finds it in the listing (the two
often take different paths through a converter), and compares the values it wrote. It
also requires every record the sandbox lists to be updated no earlier than it was
created (which finds swapped times only when the sandbox seeds records changed after
they were made, as it should).

Only values every platform keeps as given are compared: e-mail (case aside), names,
titles, SKUs, variant prices, order lines' SKUs, quantities and unit prices, and the
order's currency. Totals, taxes and addresses are left to each adapter's own tests, since
a platform may add tax or reformat an address.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from storebridge.adapter import Adapter
from storebridge.errors import OutcomeUnknown
from storebridge.model import (
    Customer,
    CustomerDraft,
    Money,
    Order,
    OrderDraft,
    OrderLineDraft,
    Product,
    ProductDraft,
    VariantDraft,
)
from storebridge.store import Store
from storebridge.testing.conformance_support import sandbox_store

SIZES = {"orders": 4, "customers": 3, "products": 3}
_SECOND = timedelta(seconds=1)
PRICES = ("19.99", "1234.05")
"""Variant prices: the second is not a float's exact value, so a float on the way shows."""


def _fail(message: str) -> None:
    raise AssertionError(message)


def _listed(records: Iterable[Any], ref: str, what: str) -> Any:
    for record in records:
        if str(record.ref) == ref:
            return record
    raise AssertionError(f"the {what} created as {ref} is not in the listing")


def _read_back(store: Store, resource: str, ref: str, **listing: Any) -> list[tuple[str, Any]]:
    """The record ``ref`` of ``resource`` as ``get`` and as the listing (``listing``: its
    arguments) read it, each where the adapter can."""
    api = getattr(store, resource)
    found: list[tuple[str, Any]] = []
    if f"{resource}.get" in store.capabilities:
        found.append(("get", api.get(ref)))
    if f"{resource}.list" in store.capabilities:
        found.append(("the listing", _listed(api.list(**listing), ref, resource[:-1])))
    return found


def _times_in_order(records: Iterable[Any], what: str) -> int:
    seen = 0
    for record in records:
        created, updated = getattr(record, "created_at", None), getattr(record, "updated_at", None)
        seen += 1
        # A second's slack: a platform may keep one time to the second, the other finer.
        if created is not None and updated is not None and updated < created - _SECOND:
            _fail(
                f"{what} {record.ref} reads updated_at {updated.isoformat()} before its "
                f"created_at {created.isoformat()}: are the two fields swapped?"
            )
    return seen


def _currency(store: Store) -> str:
    """The currency the sandbox's own records are in (what a created record should use)."""
    for order in store.orders.list() if "orders.list" in store.capabilities else ():
        return order.currency
    for product in store.products.list() if "products.list" in store.capabilities else ():
        for variant in product.variants:
            if variant.price is not None:
                return variant.price.currency
    return "USD"


def _customer(store: Store) -> str:
    draft = CustomerDraft(
        email="kit.round-trip@example.com", first_name="Åse Marie", last_name="Ødegård-Lie"
    )
    created = store.customers.create(draft)
    ref = str(created.ref)
    shown: list[tuple[str, Customer]] = [("create", created), *_read_back(store, "customers", ref)]
    for how, customer in shown:
        got = ((customer.email or "").casefold(), customer.first_name, customer.last_name)
        wanted = (draft.email.casefold(), draft.first_name, draft.last_name)
        if got != wanted:
            _fail(
                f"customer {ref} read by {how} is (email, first_name, last_name) = {got}; "
                f"it was created as {wanted}"
            )
    return ref


def _prices(product: Product) -> dict[str | None, Money | None]:
    return {variant.sku: variant.price for variant in product.variants}


def _product(store: Store, currency: str) -> Product:
    variants = tuple(
        VariantDraft(sku=f"KIT-RT-{n}", price=Money(price, currency), title=f"Size {n}")
        for n, price in enumerate(PRICES, 1)
    )
    draft = ProductDraft(title="Kit round-trip mug", variants=variants)
    created = store.products.create(draft)
    ref = str(created.ref)
    shown: list[tuple[str, Product]] = [("create", created), *_read_back(store, "products", ref)]
    wanted = {v.sku: v.price for v in variants}
    for how, product in shown:
        if product.title != draft.title:
            _fail(f"product {ref} read by {how} is titled {product.title!r}, not {draft.title!r}")
        if _prices(product) != wanted:
            _fail(
                f"product {ref} read by {how} has variants (sku: price) {_prices(product)}; "
                f"it was created with {wanted}"
            )
    return shown[-1][1]


def _order(store: Store, product: Product) -> str:
    currency = next(v.price.currency for v in product.variants if v.price is not None)
    lines = tuple(
        OrderLineDraft(
            title=product.title,
            quantity=quantity,
            unit_price=variant.price,
            sku=variant.sku,
            variant_ref=variant.ref,
            product_ref=str(product.ref),
        )
        for quantity, variant in zip((2, 3), product.variants, strict=False)
        if variant.price is not None
    )
    total = Money.sum((line.unit_price * line.quantity for line in lines), currency)
    draft = OrderDraft(currency=currency, lines=lines, total=total, email="kit.buyer@example.com")
    try:
        created = store.orders.create(draft)
    except OutcomeUnknown as exc:  # the facade found another order in the answer
        _fail(f"orders.create answered with an order it was not created as: {exc}")
    ref = str(created.ref)
    shown: list[tuple[str, Order]] = _read_back(store, "orders", ref, detail=True)
    wanted = Counter((line.sku, line.quantity, line.unit_price) for line in lines)
    for how, order in shown:
        got = Counter((line.sku, line.quantity, line.unit_price) for line in order.lines)
        if order.currency != currency:
            _fail(f"order {ref} read by {how} is in {order.currency}; it was created in {currency}")
        if got != wanted:
            _fail(
                f"order {ref} read by {how} has lines (sku, quantity, unit price) "
                f"{sorted(got.elements(), key=str)}; it was created with "
                f"{sorted(wanted.elements(), key=str)}"
            )
    return ref


def check_round_trip(adapter_cls: type[Adapter]) -> dict[str, Any]:
    """The refs of what was created and read back, and how many listed records had their
    times checked; a kind the adapter cannot create is left out."""
    connected, _, _ = sandbox_store(adapter_cls, SIZES)
    result: dict[str, Any] = {}
    with connected as store:
        can = store.capabilities
        checked = 0
        for resource in ("orders", "customers", "products"):
            if f"{resource}.list" in can:
                checked += _times_in_order(getattr(store, resource).list(), resource[:-1])
        result["times_checked"] = checked
        if "customers.create" in can:
            result["customer"] = _customer(store)
        if "products.create" in can:
            product = _product(store, _currency(store))
            result["product"] = str(product.ref)
            if "orders.create" in can:
                result["order"] = _order(store, product)
    return result


__all__ = ["check_round_trip"]
