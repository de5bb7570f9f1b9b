"""Reading a write back: the whole listing it may be in, and telling the record a lost
create made from records that only look like it.

A platform without idempotency keys settles a lost write by reading the records back. A
read-back that stops short reads as "not there", and the write is sent again (a second
record, or a refusal that leaves its outcome unknown): :func:`read_back_rows` reads a
listing to its end or raises. A platform settles a lost create by looking the order up (by
its tags, number or e-mail) and taking a match as the write's result. Tags such as
``wholesale`` are shared by many orders: a match on them alone once handed back an older
order as the one just created (and the new one was never sent again). A match must agree
with everything the draft fixes that the platform keeps as given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, TypeVar

from storebridge._http import Request
from storebridge.errors import OutcomeUnknown, PaginationError
from storebridge.flow import Batch, Done, Emit, Flow, FlowStepper, ListFlow, ask, in_turn
from storebridge.model import (
    Customer,
    CustomerDraft,
    Order,
    OrderDraft,
    OrderLine,
    OrderLineDraft,
    Product,
    ProductDraft,
    Refund,
)

T = TypeVar("T")

READ_BACK_PAGES = 100
"""Pages a read-back follows at most. A write's read-back runs while the write waits; a
listing longer than this is a cursor that never ends (a platform fault), not records."""


def read_back_rows(
    listing: ListFlow[T], *, resource: str, platform: str, max_pages: int = READ_BACK_PAGES
) -> Flow[list[T]]:
    """Every row of ``listing`` (a :func:`~storebridge.pagination.walk`), to settle a write.

    The walk refuses a page that does not move on (a next link already followed, a stale
    page): asked again, then PaginationError. A listing that would need more than
    ``max_pages`` requests raises PaginationError before sending the one too many.
    """
    stepper: FlowStepper[None] = FlowStepper(in_turn(listing))
    rows: list[T] = []
    sent = 0
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            if isinstance(step, Emit):
                rows.extend(step.items)
                step = stepper.advance()
                continue
            pages: tuple[Request, ...] = ()
            if isinstance(step, Request):
                pages = (step,)
            elif isinstance(step, Batch):
                pages = step.requests
            sent += len(pages)
            if sent > max_pages:
                raise PaginationError(
                    f"{resource}: the listing goes on past {max_pages} pages, so it could "
                    "not all be read back; the write's outcome is not settled by it",
                    resource=resource,
                    page=f"{pages[-1].method} {pages[-1].url}",
                    platform=platform,
                )
            step = stepper.advance(*(yield from ask(step)))
        return rows
    finally:
        stepper.close()


def order_matches(
    found: Order, draft: OrderDraft, *, prices: bool, numbers: bool, emails: bool = True
) -> bool:
    """Whether ``found`` can be the order ``draft`` created.

    Same currency, the draft's e-mail (where it has one), all its tags, as many units in
    all, and as many of each SKU the draft names; with ``prices`` (for platforms that keep
    line prices as sent), at the same unit prices, and with ``numbers`` (for platforms
    that keep the number they are given), the draft's number. ``emails=False`` where the
    platform takes the e-mail from elsewhere (the customer). Totals are not compared: a
    platform may work its own out (tax it adds or leaves out).
    """
    if found.currency != draft.currency:
        return False
    if numbers and draft.number and found.number != draft.number:
        return False
    if emails and draft.email and (found.email or "").lower() != draft.email.lower():
        return False
    if not set(draft.tags) <= set(found.tags):
        return False
    if sum(ln.quantity for ln in draft.lines) != sum(ln.quantity for ln in found.lines):
        return False
    wanted, got = _named(draft.lines, prices), _named(found.lines, prices)
    return all(got[key] == units for key, units in wanted.items())


def _named(lines: Sequence[OrderLine | OrderLineDraft], prices: bool) -> Counter[Any]:
    """Units by SKU (and, with ``prices``, unit price), summed: a platform may merge two
    lines of one variant (a line split to keep its charged total exact, say). A draft line
    without a SKU (given by variant) is counted in the total only: the platform names it."""
    units: Counter[Any] = Counter()
    for line in lines:
        if line.sku:
            units[(line.sku, line.unit_price if prices else None)] += line.quantity
    return units


def product_matches(found: Product, draft: ProductDraft) -> bool:
    """Whether ``found`` can be the product ``draft`` created: its title, all its tags, and
    each of its SKUs at the draft's price. A product that already had the SKUs at other
    prices is not it (the platform refuses a second product with a SKU it has)."""
    if found.title != draft.title or not set(draft.tags) <= set(found.tags):
        return False
    prices = {v.sku: v.price for v in found.variants if v.sku}
    return all(v.sku in prices and prices[v.sku] == v.price for v in draft.variants)


def stored_form(value: object) -> object:
    """``value`` as a store gives it back, for telling whether a write landed: text
    stripped, blank text as None (``""`` clears a field), e-mails without case, and a
    tuple of words (tags) stripped and without blanks; anything else as it is."""
    if isinstance(value, str):
        text = value.strip()
        return (text.lower() if "@" in text else text) or None
    if isinstance(value, tuple):
        return tuple(word for word in (str(item).strip() for item in value) if word)
    return value


def customer_matches(found: Customer, draft: CustomerDraft) -> Customer:
    """``found`` (the store's customer with the draft's e-mail) as what a lost create made,
    when it holds the draft's names; OutcomeUnknown naming it when it does not.

    E-mails are unique in a store, so the customer is there whatever happened to the
    create; names are kept as given. A customer with other names had the e-mail before the
    create: it is not this create's (which the store refused, or never got), and returning
    it would report the draft as created with none of its fields.
    """
    for name in ("first_name", "last_name"):
        wanted = stored_form(getattr(draft, name))
        if wanted is not None and stored_form(getattr(found, name)) != wanted:
            raise OutcomeUnknown(
                f"customers.create may not have created anything: its answer was lost, and "
                f"the customer with e-mail {draft.email!r} ({found.ref}) has another "
                f"{name} than the draft, so it was there before (the e-mail is taken, and "
                "the store refuses a second customer with it); check it before creating again",
                operation="customers.create",
            )
    return found


def the_new_refund(
    candidates: Sequence[Refund], order_ref: str, *, processed: bool | None = None
) -> Refund | None:
    """The one refund a lost refund POST made, from the order's refunds that are new since
    the POST and match its amount and lines; None when there is none.

    Two or more such refunds mean another call refunded the same amount and lines of the
    order meanwhile: which one this call made cannot be told, and taking the other's would
    report it as this call's (and leave this call's refund unreported). That is
    OutcomeUnknown, never a guess. ``processed`` is passed on to it (True when the POST was
    answered 2xx).
    """
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    refs = ", ".join(refund.ref for refund in candidates)
    raise OutcomeUnknown(
        f"refunds.create may have refunded order {order_ref}: it has {len(candidates)} new "
        f"refunds of {candidates[0].amount} with these lines ({refs}), so another call "
        "refunded the same meanwhile, and which one is this call's cannot be told; check "
        "the order's refunds before refunding again",
        operation="refunds.create",
        processed=processed,
    )


__all__ = [
    "READ_BACK_PAGES",
    "customer_matches",
    "order_matches",
    "product_matches",
    "read_back_rows",
    "stored_form",
    "the_new_refund",
]
