"""How source records become target drafts, and what verification then expects to find.

Rules (each route's table in docs/migration.md follows from them):

* Identity: every created record carries an identity tag (``sb:<platform>:<store>:<kind><ref>``)
  as its first tag, followed by the source record's own tags.
* Orders are historical copies: same currency, number, dates, addresses, customer and lines.
  Line discounts and surcharges are folded into the lines' unit prices (not every target
  can record them per line); an order-level discount is what remains of ``discount_total``
  after the line discounts. Refunds are not carried (issuing them would move real money):
  the copy is created at the amount its lines were charged (:func:`original_total`).
* A cancelled order is copied, then cancelled on the target (no refund, no notice).
* A product hidden from buyers on the source (``Product.active`` False) is created hidden;
  one whose source does not say is created active. A variant on sale keeps its sale price
  as ``price`` and its regular price as ``compare_at_price``. An archived product arrives
  hidden, not archived, and the report says so.
* What verification checks per order: currency, total, tax, shipping, the order-level
  discount, the amount charged per SKU, whether it is cancelled and, when the source order
  has a customer, the target customer it is linked to; per product: its title, whether it
  is active (when the source says) and each variant's price and compare-at price; per
  customer: the e-mail and the first and last name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from storebridge.model import (
    Customer,
    CustomerDraft,
    CustomerUpdate,
    Money,
    Order,
    OrderDraft,
    OrderLine,
    OrderLineDraft,
    OrderStatus,
    Product,
    ProductDraft,
    VariantDraft,
)
from storebridge.serialization import to_dict
from storebridge.validation import minor_units

KINDS = {"customers": "c", "products": "p", "orders": "o"}
"""The letter that tells apart a customer, a product and an order in identity tags."""


def fingerprint(record: Any) -> str:
    """A hash of what a record says (not where it sits), to notice changes between runs."""
    data = to_dict(record)
    for key in ("ref", "updated_at", "platform", "partial"):
        data.pop(key, None)
    if isinstance(record, Product):
        # Left out at their defaults, a product's print is the one earlier releases took
        # (before these fields), so only a product hidden or on sale reads as changed.
        if data.get("active") in (True, None):
            data.pop("active", None)
        for variant in data.get("variants", ()):
            if variant.get("compare_at_price") is None:
                variant.pop("compare_at_price", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# Customers ---------------------------------------------------------------------------------
def customer_draft(c: Customer, tag: str) -> CustomerDraft:
    return CustomerDraft(
        email=c.email or "", first_name=c.first_name, last_name=c.last_name, phone=c.phone,
        addresses=c.addresses, tags=(tag, *c.tags), note=c.note,
        accepts_marketing=c.accepts_marketing,
    )  # fmt: skip


def customer_update(c: Customer) -> CustomerUpdate:
    """What a catch-up changes on a migrated customer (not the e-mail: it is the match key)."""
    return CustomerUpdate(
        first_name=c.first_name, last_name=c.last_name, phone=c.phone, note=c.note,
        accepts_marketing=c.accepts_marketing,
    )  # fmt: skip


CUSTOMER_UPDATE_CARRIES = ("first_name", "last_name", "phone", "note", "accepts_marketing")
"""What :func:`customer_update` sends; a field the source cleared is not among it (None
means "not sent"), and neither are tags and addresses."""


def customer_fingerprint(c: Customer) -> str:
    """:func:`fingerprint`, then ``:`` and a digest of what an update cannot carry (tags,
    addresses, fields cleared on the source), so a catch-up can tell when a change of the
    customer is partly left behind (:func:`uncarried_changed`)."""
    cleared = [name for name in CUSTOMER_UPDATE_CARRIES if getattr(c, name) in (None, "")]
    rest = {"tags": sorted(c.tags), "addresses": [to_dict(a) for a in c.addresses],
            "cleared": cleared}  # fmt: skip
    digest = hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()
    return f"{fingerprint(c)}:{digest[:16]}"


def same_fingerprint(stored: str | None, now: str) -> bool:
    """Whether a ledger's fingerprint and one taken now say the same; one stored before
    customers' carried a ``:digest`` part is compared with the first part only."""
    if stored is None:
        return False
    if ":" in now and ":" not in stored:
        return stored == now.partition(":")[0]
    return stored == now


def sets_anything(update: Any) -> bool:
    """Whether a customer update (or any draft) sets a field at all."""
    return update is not None and any(
        getattr(update, field.name) is not None for field in attrs.fields(type(update))
    )


def only_uncarried_changed(before: str | None, now: str) -> bool:
    """Whether two customer fingerprints differ only in what an update cannot carry."""
    if before is None or ":" not in before or ":" not in now:
        return False
    return before.partition(":")[0] == now.partition(":")[0] and uncarried_changed(before, now)


def left_behind(was: Any, c: Customer, now: str) -> str:
    """What a customer's copy keeps from before that no update of a migration changes
    (tags, addresses, a field cleared on the source, the e-mail), said for the report of
    the run that reads the change; "" when nothing. A target's own customer (reused) is
    not the migration's to change: only its e-mail is told."""
    if was.how not in ("created", "reused"):
        return ""
    parts = []
    if was.how == "created" and uncarried_changed(was.fingerprint, now):
        parts.append("tags, addresses, or a field cleared on the source: no update carries them")
    before = json.loads(was.expect).get("email") if was.expect else None
    if before and c.email and before != c.email.lower():
        parts.append(
            f"e-mail {before} -> {c.email}: migrations do not change a copy's e-mail (it is "
            "what matches customers), so change it on the target"
        )
    said = "; ".join(parts)
    return f"changed on the source in what the copy keeps as it was ({said})" if said else ""


def uncarried_changed(before: str | None, now: str) -> bool:
    """Whether what an update cannot carry changed between two customer fingerprints (False
    when the earlier one predates them: nothing to tell)."""
    if before is None or ":" not in before:
        return False
    return before.partition(":")[2] != now.partition(":")[2]


def customer_expectation(c: Customer) -> dict[str, Any]:
    return {"email": (c.email or "").lower(), "name": [c.first_name, c.last_name]}


def customer_observed(c: Customer) -> dict[str, Any]:
    return {"email": (c.email or "").lower(), "name": [c.first_name, c.last_name]}


# Products --------------------------------------------------------------------------------
def product_draft(p: Product, tag: str) -> ProductDraft:
    variants = tuple(
        VariantDraft(
            sku=v.sku,
            price=v.price,
            title=v.title,
            stock=None if v.stock is None else max(v.stock, 0),  # oversold: none left
            compare_at_price=v.compare_at_price,
        )
        for v in p.variants
        if v.sku and v.price is not None
    )
    return ProductDraft(
        title=p.title, variants=variants, description=p.description, tags=(tag, *p.tags),
        active=p.active is not False,
    )  # fmt: skip


def variants_left_out(p: Product) -> tuple[str, ...]:
    """Report lines for what :func:`product_draft` leaves out: variants without a SKU (no
    order could point at the copy) or a price (the target cannot sell it), and the
    archived state of an archived product (its copy is hidden, as a draft would be)."""
    lines = tuple(
        f"variant {v.title or v.ref} of product {p.ref} ({p.title}): "
        f"{'no SKU' if not v.sku else 'no price'}, so it is not copied"
        for v in p.variants
        if not v.sku or v.price is None
    )
    lines += tuple(
        f"variant {v.sku} of product {p.ref} ({p.title}): stock {v.stock} (sold beyond its "
        "stock) is written as 0, as no target keeps a negative stock"
        for v in p.variants
        if v.sku and v.price is not None and v.stock is not None and v.stock < 0
    )
    if p.active is False and p.raw.get("status") == "archived":
        lines += (
            f"product {p.ref} ({p.title}) is archived on the source: its copy is created "
            "hidden from buyers, not archived (archive it on the target by hand)",
        )
    return lines


def product_skus(p: Product) -> list[str]:
    return [v.sku for v in p.variants if v.sku]


def product_expectation(p: Product) -> dict[str, Any]:
    """``active`` is None when the source does not say (the copy is active, unchecked)."""
    return product_observed(p)


def product_observed(p: Product) -> dict[str, Any]:
    return {
        "title": p.title,
        "active": p.active,
        "prices": {v.sku: _money(v.price) for v in p.variants if v.sku and v.price},
        "compare_at": {v.sku: _money(v.compare_at_price) for v in p.variants if v.sku and v.price},
    }


# Orders ----------------------------------------------------------------------------------
def charged_parts(line: OrderLine) -> list[tuple[int, Money]]:
    """(quantity, unit price) parts that charge exactly what the source line charged.

    Line discounts and surcharges, which not every target can record per line, are folded
    into the unit price. When the line total does not divide into whole minor units (cents;
    yen; thousandths of a dinar) per unit, the line is split in two of the same SKU (e.g.
    3 for 553.70 -> 2 x 184.57 + 1 x 184.56), so the per-SKU total stays exact.
    """
    if line.total is None or line.quantity < 1:
        return [(line.quantity, line.unit_price)]
    currency = line.total.currency
    scale = Decimal(10) ** minor_units(currency)
    minor = int((line.total.amount * scale).to_integral_value())
    if Decimal(minor) != line.total.amount * scale:
        # Finer than the currency allows: kept as it is, and verification compares it.
        return [(line.quantity, line.unit_price)]
    base, remainder = divmod(minor, line.quantity)
    parts = [(line.quantity - remainder, Money(Decimal(base) / scale, currency))]
    if remainder:
        parts.append((remainder, Money(Decimal(base + 1) / scale, currency)))
    return [(q, price) for q, price in parts if q > 0]


def _emptied(line: OrderLine) -> bool:
    """A line with no units left (all cancelled, as 29 Next keeps them) and nothing charged."""
    return line.quantity < 1 and (line.total is None or not line.total.amount)


def lines_left_out(o: Order) -> tuple[str, ...]:
    """Report lines for the order lines :func:`order_draft` leaves out."""
    return tuple(
        f"line {line.sku or line.title} of order {o.number or o.ref}: no units left (all "
        "cancelled on the source), so it is not copied"
        for line in o.lines
        if _emptied(line)
    )


def line_totals(order: Order) -> dict[str, Money]:
    """Per-SKU amounts charged: the line total where the platform gives one."""
    totals: dict[str, Money] = {}
    for line in order.lines:
        if _emptied(line):
            continue
        key = line.sku or line.title
        amount = line.total if line.total is not None else line.unit_price * line.quantity
        totals[key] = totals[key] + amount if key in totals else amount
    return totals


def original_total(order: Order) -> Money:
    """What the copied order must come to: its lines' amount, before refunds of kept lines.

    ``Order.total`` is what the order amounts to now, after refunds. Refunds are not carried
    to the target (they are listed in the report), so the historical copy is created, and
    checked, at the amount its lines were charged.
    """
    refunded = [r.amount for r in order.refunds if r.amount.currency == order.currency]
    if not refunded:
        return order.total
    before_refunds = Money.sum([order.total, *refunded], order.currency)
    # A refund that cancelled units already shrank the lines along with the total; one that
    # returned money for kept lines did not. The lines tell which: they must add up.
    charged = Money.sum(
        (ln.total if ln.total is not None else ln.unit_price * ln.quantity for ln in order.lines),
        order.currency,
    )
    extras = [m for m in (order.shipping_total,) if m is not None]
    if order.taxes_included is not True and order.tax_total is not None:
        extras.append(order.tax_total)
    gross = Money.sum([charged, *extras], order.currency)
    if order.discount_total is not None:
        gross = gross - order.discount_total
    return before_refunds if gross == before_refunds else order.total


def order_level_discount(order: Order) -> Money | None:
    """The part of ``discount_total`` not already taken off the lines (None: unknown)."""
    if order.discount_total is None:
        return None
    # Line by line: a line charged above its unit prices (an extra cost) has no discount,
    # and must not cancel another line's discount out of the sum, which would send that
    # discount again at the order's level.
    on_lines = sum(
        (
            max(ln.unit_price.amount * ln.quantity - ln.total.amount, Decimal(0))
            for ln in order.lines
            if ln.total is not None
        ),
        Decimal(0),
    )
    rest = order.discount_total.amount - on_lines
    return Money(max(rest, Decimal(0)), order.currency)


def order_draft(
    o: Order,
    tag: str,
    customer_ref: str | None,
    variants: Mapping[str, tuple[str | None, str | None]],
) -> OrderDraft:
    """The historical copy of ``o``; ``variants`` maps SKU -> (product ref, variant ref)."""
    lines = []
    for line in o.lines:
        if _emptied(line):
            continue  # every unit cancelled: nothing of it is the order's (lines_left_out)
        product_ref, variant_ref = variants.get(line.sku or "", (None, None))
        for quantity, unit_price in charged_parts(line):
            lines.append(
                OrderLineDraft(
                    title=line.title,
                    quantity=quantity,
                    unit_price=unit_price,
                    sku=line.sku,
                    variant_ref=variant_ref,
                    product_ref=product_ref,
                )
            )
    discount = order_level_discount(o)
    return OrderDraft(
        currency=o.currency, lines=tuple(lines), total=original_total(o), number=o.number,
        email=o.email, customer_ref=customer_ref, subtotal=o.subtotal,
        shipping_total=o.shipping_total, tax_total=o.tax_total,
        discount_total=discount if discount is not None and discount.amount else None,
        taxes_included=o.taxes_included,
        shipping_address=o.shipping_address, billing_address=o.billing_address,
        financial_status=o.financial_status, created_at=o.created_at,
        tags=(tag, *o.tags), note=o.note,
    )  # fmt: skip


def order_expectation(o: Order, customer_ref: str | None = None) -> dict[str, Any]:
    """``customer_ref``: the target customer the copy is linked to (None: not checked)."""
    discount = order_level_discount(o)
    return {
        "customer": customer_ref,
        "currency": o.currency,
        "total": str(original_total(o).amount),
        "tax": _amount(o.tax_total),
        "shipping": _amount(o.shipping_total),
        "discount": _amount(discount),
        "lines": {key: _money(m) for key, m in sorted(line_totals(o).items())},
        "cancelled": o.status is OrderStatus.CANCELLED,
    }


def cancelled_on_source(expect: str | None) -> bool:
    """Whether a work's expectation says the source order is cancelled (its copy is then
    cancelled on the target too)."""
    return expect is not None and bool(json.loads(expect).get("cancelled"))


def order_observed(o: Order) -> dict[str, Any]:
    return {
        "customer": o.customer.ref if o.customer is not None else None,
        "currency": o.currency,
        "total": str(o.total.amount),
        "tax": _amount(o.tax_total),
        "shipping": _amount(o.shipping_total),
        "discount": _amount(o.discount_total),
        "lines": {key: _money(m) for key, m in sorted(line_totals(o).items())},
        "cancelled": o.status is OrderStatus.CANCELLED,
    }


# Comparing ----------------------------------------------------------------------------------
def differences(
    resource: str, expected: Mapping[str, Any], observed: Mapping[str, Any]
) -> list[str]:
    """What the target record gets wrong, in words; [] when it matches."""
    problems: list[str] = []
    if resource == "customers":
        if expected.get("email") != observed.get("email"):
            problems.append(
                f"e-mail {expected.get('email')} != {observed.get('email')} (migrations do not "
                "change a copy's e-mail: change it on the target)"
            )
        name = expected.get("name")  # absent from ledgers of earlier releases
        if name is not None and _blank_none(name) != _blank_none(observed.get("name")):
            problems.append(f"name {name} != {observed.get('name')}")
    elif resource == "products":
        title = expected.get("title")
        if title is not None and title != observed.get("title"):
            problems.append(f"title {title!r} != {observed.get('title')!r}")
        active = expected.get("active")  # absent from ledgers of earlier releases
        if active is not None and active != observed.get("active"):
            problems.append(
                "hidden on the source, active (buyable) on the target"
                if not active
                else f"active on the source, {_shown_active(observed.get('active'))} on the target"
            )
        got = observed.get("prices", {})
        for sku, price in sorted(expected.get("prices", {}).items()):
            if not _same_money(price, got.get(sku)):
                problems.append(f"variant {sku} price {price} != {got.get(sku)}")
        compare_at = expected.get("compare_at")  # absent from ledgers of earlier releases
        if compare_at is not None:
            got = observed.get("compare_at", {})
            for sku, price in sorted(compare_at.items()):
                if not _same_money(price, got.get(sku)):
                    problems.append(f"variant {sku} compare-at price {price} != {got.get(sku)}")
    elif resource == "orders":
        currency = expected["currency"]
        if currency != observed["currency"]:
            return [f"currency {currency} != {observed['currency']}"]
        customer = expected.get("customer")
        if customer is not None and customer != observed.get("customer"):
            have = observed.get("customer")
            problems.append(
                f"customer {customer} != {have}"
                if have is not None
                else f"no customer on the target (expected customer {customer})"
            )
        if Decimal(expected["total"]) != Decimal(observed["total"]):
            problems.append(f"total {expected['total']} {currency} != {observed['total']}")
        for name in ("tax", "shipping", "discount"):
            want = expected.get(name)
            if want is None:
                continue  # the source did not say: nothing to compare with
            have = observed.get(name) or "0"
            if Decimal(want) != Decimal(have):
                problems.append(f"{name} {want} {currency} != {have}")
        cancelled = expected.get("cancelled")  # absent from ledgers of earlier releases
        if cancelled is not None and cancelled != observed.get("cancelled"):
            problems.append(
                "cancelled on the source, not on the target (cancel the copy there)"
                if cancelled
                else "cancelled on the target, not on the source"
            )
        src, tgt = expected.get("lines", {}), observed.get("lines", {})
        for key in sorted(set(src) | set(tgt)):
            if not _same_money(src.get(key), tgt.get(key)):
                problems.append(f"line {key}: {src.get(key)} != {tgt.get(key)}")
    return problems


def _shown_active(active: Any) -> str:
    return "hidden" if active is False else "not said to be active"


def _blank_none(values: Any) -> list[Any]:
    """Names with "" read as None: a platform may answer a name it was not given either way."""
    return [value or None for value in values or ()]


def _money(m: Money | None) -> str | None:
    return None if m is None else f"{m.amount} {m.currency}"


def _amount(m: Money | None) -> str | None:
    return None if m is None else str(m.amount)


def _same_money(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    amount_a, _, currency_a = a.partition(" ")
    amount_b, _, currency_b = b.partition(" ")
    return currency_a == currency_b and Decimal(amount_a) == Decimal(amount_b)


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True)


__all__ = [
    "KINDS",
    "cancelled_on_source",
    "charged_parts",
    "customer_draft",
    "differences",
    "fingerprint",
    "line_totals",
    "order_draft",
    "order_expectation",
    "original_total",
    "product_draft",
]
