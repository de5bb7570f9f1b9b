"""SHOPLINE customer and product fields whose documented shape takes more than one accessor
call to read: where a customer's addresses are, what a marketing consent state means, where
a product lists its variants and when a variant's stock is known. The careful converter
(:mod:`._converter`) reads them here; the fast path (:mod:`._fast_orders`) reads the same
shapes or leaves the row to the careful way.
"""

from __future__ import annotations

from collections.abc import Mapping

from storebridge.kit import AddressFields, Payload
from storebridge.model import Address, Product, Variant
from storebridge_shopline._money import money
from storebridge_shopline._wire import PLATFORM, split_tags

CONSENT_STATES: Mapping[int, bool] = {0: False, 1: True, 2: False, 3: False}
"""``email_marketing_consent.state`` as ``accepts_marketing``: 0 unsubscribed, 1 subscribed,
2 not subscribed, 3 awaiting confirmation (not subscribed yet)."""


def customer_addresses(p: Payload, fields: AddressFields) -> tuple[Address, ...]:
    """A customer's addresses: a customer record lists them under ``addresses``, while the
    ``customer`` of an order (and of its webhooks) holds its one address object under the
    same key; else the record's ``default_address``."""
    if isinstance(p.raw("addresses"), Mapping):
        one = fields.read_optional(p, "addresses")
        found: tuple[Address, ...] = () if one is None else (one,)
    else:
        found = p.each("addresses", fields.read)
    if not found and p.opt_obj("default_address") is not None:
        found = (fields.read(p.obj("default_address")),)
    return found


def accepts_marketing(p: Payload) -> bool | None:
    """The customer's e-mail consent (None when it gives no state); a state SHOPLINE does
    not document is a PayloadError, not a customer read as unsubscribed."""
    consent = p.opt_obj("email_marketing_consent")
    if consent is None:
        # API versions before v20250601 also answer the older flag alone.
        return p.opt_bool("accepts_marketing")
    state = consent.opt_integer("state")
    if state is None:
        return None
    if state not in CONSENT_STATES:
        consent.fail(
            f"{state} is not an e-mail consent state SHOPLINE documents (0 unsubscribed, "
            "1 subscribed, 2 not subscribed, 3 awaiting confirmation)",
            "state",
        )
    return CONSENT_STATES[state]


def variant_rows(p: Payload) -> list[Payload]:
    """A product's ``variants``. A row without the list (an answer cut down by ``fields``,
    another version's shape) is a PayloadError: read as none, the product would lose every
    variant, its prices and its stock without a sign."""
    if p.raw("variants") is None:
        p.fail(
            "a product row must list its variants: SHOPLINE products carry them under "
            "variants (ask without a fields filter that leaves them out)",
            "variants",
        )
    return p.objects("variants")


def variant_stock(p: Payload) -> int | None:
    """``inventory_quantity``; None only when ``inventory_tracker`` is false (stock not
    tracked). A variant that does not say so must give its quantity: read as None, a tracked
    variant would pass for an untracked one."""
    if p.opt_bool("inventory_tracker") is False:
        return None
    quantity = p.opt_integer("inventory_quantity")
    if quantity is None:
        p.fail(
            "required field is missing (the stock of a variant whose inventory_tracker is "
            "not false); without it the variant would read as not tracking stock",
            "inventory_quantity",
        )
    return quantity


def variant(p: Payload, currency: str) -> Variant:
    return Variant(
        platform=PLATFORM,
        ref=p.ref("id"),
        sku=p.opt_string("sku"),
        title=p.opt_string("title"),
        price=money(p, "price", currency),
        compare_at_price=money(p, "compare_at_price", currency),
        stock=variant_stock(p),
        product_ref=p.opt_string("product_id"),
        raw=p.data,
    )


def product(p: Payload, currency: str) -> Product:
    status = p.opt_string("status")
    return Product(
        platform=PLATFORM,
        ref=p.ref("id"),
        title=p.string("title"),
        description=p.opt_string("body_html"),
        variants=tuple([variant(row, currency) for row in variant_rows(p)]),
        tags=split_tags(p.opt_string("tags")),
        created_at=p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        # Only ``active`` is sold: ``draft`` and ``archived`` (and a status SHOPLINE may add)
        # keep the product from buyers.
        active=None if status is None else status == "active",
        raw=p.data,
    )


__all__ = [
    "CONSENT_STATES",
    "accepts_marketing",
    "customer_addresses",
    "product",
    "variant",
    "variant_rows",
    "variant_stock",
]
