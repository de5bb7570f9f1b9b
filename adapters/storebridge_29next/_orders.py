"""Orders: list (day windows read in parallel), get, create, cancel, shipping address.

Every write goes through ``kit.reconciled_write``: when its answer is lost, late or
unreadable the order is read back, and the write is sent again only when the read shows
it did not happen (and the platform never answered 2xx).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storebridge import validation
from storebridge.errors import OutcomeUnknown, ValidationError
from storebridge.http import Response
from storebridge.kit import (
    Batch,
    Flow,
    ListFlow,
    OrderQuery,
    Payload,
    order_matches,
    reconciled_update,
    reconciled_write,
    within,
)
from storebridge.model import Address, Order, OrderDraft, Product
from storebridge.validation import describe
from storebridge_29next._converter import (
    ADDRESS,
    ORDER_LISTS,
    address_to_wire,
    order_body,
    structure,
)
from storebridge_29next._fast_orders import order_row
from storebridge_29next._list_filters import check_filters, status_params
from storebridge_29next._listings import read_listing
from storebridge_29next._paging import (
    ORDERS_BY_PLACED,
    Days,
    Listing,
    search_pages,
    store_days,
)
from storebridge_29next._refund_rules import refundable
from storebridge_29next._requests import (
    answer_as,
    body_object,
    get,
    int_ref,
    is_record,
    patch,
    post,
    query,
    results_holding,
)
from storebridge_29next._settings import variants_key

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter


def slices_of(
    extra: Mapping[str, Any], since: datetime | None, until: datetime | None
) -> int | None:
    """The ``slices`` override, checked: a whole number >= 1 with both ends of the range."""
    slices = extra.get("slices")
    if slices is None:
        return None
    if isinstance(slices, bool) or not isinstance(slices, int) or slices < 1:
        raise ValidationError(f"slices must be a whole number >= 1, got {slices!r}", field="slices")
    if slices > 1 and (since is None or until is None):
        raise ValidationError(
            "slices needs created_since and created_until: the windows split that range "
            "(without slices, listings already read day windows in parallel on their own)",
            field="slices",
        )
    return slices


def list_orders(adapter: TwentyNineNextAdapter, query_: OrderQuery) -> ListFlow[Order]:
    since, until = query_.created_since, query_.created_until
    slices = slices_of(query_.extra, since, until)
    extra = {k: v for k, v in query_.extra.items() if k != "slices"}
    check_filters("orders", extra)
    if query_.financial_status is not None and "payment_status" in extra:
        raise ValidationError(
            "give financial_status or payment_status, not both: payment_status is 29 Next's "
            "name for it, and one would replace the other",
            field="payment_status",
        )
    base: dict[str, Any] = dict(status_params(query_))
    # An order cannot be updated before it is placed, so updated_until bounds placement too.
    last = min((d for d in (until, query_.updated_until) if d is not None), default=None)
    days = store_days(since, last)
    dates = ORDERS_BY_PLACED
    # Date filters of the user's own (extra keywords) would fight the windows: one cursor.
    own_dates = {dates.since, dates.until, "cursor"} & set(extra)
    listing = Listing(
        resource="orders",
        path="orders",
        key="number",
        params=tuple(query(base, extra)),
        days=days if not own_dates else Days(),
        dates=None if own_dates else dates,
        slices=slices,
    )

    def keep(order: Order) -> bool:
        return within(order.created_at, since, until) and within(
            order.updated_at, query_.updated_since, query_.updated_until
        )

    def expand(rows: list[Payload]) -> Flow[list[Order]]:
        slim = [o for o in (order_row(r.data) or structure(r, Order) for r in rows) if keep(o)]
        if not query_.detail or not slim:
            return slim
        responses = yield Batch(tuple(_get(adapter, o.ref) for o in slim))
        return [structure(body_object(r), Order) for r in responses]

    return read_listing(adapter, listing, expand)


def _get(adapter: TwentyNineNextAdapter, ref: str) -> Any:
    """``GET /orders/{ref}/``, checked to be that order with its ``ORDER_LISTS``, else asked
    again: without its ``refunds`` it would read as an order never refunded (a refund
    already made looked for in vain and made again), without its ``transactions`` as one
    with nothing left to refund."""
    return get(adapter, "orders.get", "orders", ref, check=is_record("number", ref, ORDER_LISTS))


def get_order(adapter: TwentyNineNextAdapter, ref: str) -> Flow[Order]:
    return structure((yield from order_payload(adapter, ref)), Order, adapter.api_version)


def order_payload(adapter: TwentyNineNextAdapter, ref: str) -> Flow[Payload]:
    """The order as the platform sent it (for rules the model does not carry), with its
    ``ORDER_LISTS``: an answer without one is asked again."""
    return body_object((yield _get(adapter, ref)))


_order_of = answer_as(Order)


def cancel_order(
    adapter: TwentyNineNextAdapter,
    ref: str,
    *,
    reason: str | None,
    refund: bool,
    notify: bool,
    restock: bool | None = None,
) -> Flow[Order]:
    if restock is not None:
        raise ValidationError(
            "29 Next's cancel has no restock choice (the platform decides): leave restock out",
            field="restock",
        )
    if reason is None or not reason.strip():
        raise ValidationError(
            "29 Next requires a cancel reason: pass reason='...' (it is kept on the order)",
            field="reason",
        )
    validation.text(reason, "reason", multiline=True)
    body = {"cancel_reason": reason, "full_refund": refund, "send_cancel_notification": notify}
    request = post(adapter, "orders.cancel", ("orders", ref, "cancel"), body)

    def find() -> Flow[Order | None]:
        current = yield from order_payload(adapter, ref)
        order: Order = structure(current, Order)
        if order.status_raw != "canceled":
            return None
        if refund and any(left > 0 for left in refundable(current).values()):
            # Cancelled, but not by this call (an order cancelled earlier, without its
            # refund): sent again, the platform says why it refuses.
            return None
        return order

    return (yield from reconciled_write(request, _order_of, find))


def update_shipping_address(
    adapter: TwentyNineNextAdapter, ref: str, address: Address
) -> Flow[Order]:
    validation.address(address, "address")
    # The new address replaces the old one: a PATCH changes only the fields it names, so
    # every field is sent, a None one as "" (the spec types them strings, not nullable: ""
    # is how one is cleared). Names too: an order address has no other.
    sent = {**ADDRESS.replacement(address), **address_to_wire(address, "address")}
    request = patch(adapter, "orders.update_shipping_address", ("orders", ref),
                    {"shipping_address": sent})  # fmt: skip

    def stored(current: Payload) -> dict[str, Any]:
        found = current.raw("shipping_address")
        return found if isinstance(found, dict) else {}

    def answered(response: Response) -> Order:
        order: Order = _order_of(response)
        ADDRESS.check_answer(order.raw.get("shipping_address"), sent, platform=adapter.name)
        return order

    # Absolute values: sent again after a lost answer unless someone else wrote them. The
    # whole address is compared: one still holding an old field is not the one sent.
    return (
        yield from reconciled_update(
            request, answered, lambda: order_payload(adapter, ref),
            applied=lambda now: ADDRESS.holds(stored(now), sent),
            shown=lambda now: [stored(now).get(k) for k in sent],
            result=lambda now: structure(now, Order),
        )
    )  # fmt: skip


def create_order(adapter: TwentyNineNextAdapter, draft: OrderDraft) -> Flow[Order]:
    if not draft.lines:
        raise ValidationError("lines is empty: a 29 Next order needs a line", field="lines")
    variant_ids: list[int] = []
    for index, line in enumerate(draft.lines):
        field = f"lines[{index}]"
        if line.variant_ref is not None:
            variant_ids.append(int_ref(line.variant_ref, f"{field}.variant_ref"))
            continue
        if not line.sku:
            raise ValidationError(
                f"{field} needs a variant_ref or a sku to find the product", field=f"{field}.sku"
            )
        variant_ids.append((yield from _variant_for_sku(adapter, line.sku, f"{field}.sku")))
    body = order_body(draft, variant_ids, legacy=adapter.legacy)
    body.update(_buyer(draft))
    request = post(adapter, "orders.create", ("orders",), body)
    tags = [t for t in draft.tags if t]

    def find() -> Flow[Order | None]:
        if not tags:
            raise OutcomeUnknown(
                "orders.create: the answer was lost and an order without tags cannot be "
                "looked up; check the store's newest orders before creating it again (give "
                "drafts a tag so storebridge can settle this itself)",
                operation="orders.create",
            )
        # Every page of the tag: a store's orders of one tag (a migration's, say) fill
        # many, and the order made may be on any of them.
        first = get(adapter, "orders.find", "orders", params=[("tags", tags[0])],
                    check=_tagged(tags[0]))  # fmt: skip
        return (yield from search_pages(first, "orders", made))

    def made(rows: list[Payload]) -> Flow[Order | None]:
        for row in rows:
            found = yield from get_order(adapter, row.ref("number"))
            # An order of a customer (customer_ref) carries the customer's e-mail. The
            # draft's tags are compared too: a row the listing should not have held (2024
            # rows carry no tags to check) is never taken for the order made.
            own_email = draft.customer_ref is None
            if order_matches(found, draft, prices=False, numbers=False, emails=own_email):
                return found
        return None

    return (yield from reconciled_write(request, _order_of, find))


def _buyer(draft: OrderDraft) -> dict[str, Any]:
    user: dict[str, Any] = {}
    if draft.customer_ref is not None:
        user["id"] = int_ref(draft.customer_ref, "customer_ref")
    if draft.email:
        user["email"] = draft.email
    if draft.shipping_address is not None:
        user.setdefault("first_name", draft.shipping_address.first_name or "")
        user.setdefault("last_name", draft.shipping_address.last_name or "")
    return {"user": user} if user else {}


def _tagged(tag: str) -> Callable[[Response], None]:
    """An answer check for the orders of ``tag``: ``has_results``, and each row that carries
    its ``tags`` (2023-02-10 rows do) holds ``tag``. A page of another listing (a cache's) is
    asked again instead of hiding the order made."""

    def check(response: Response) -> None:
        for row in body_object(response).objects("results"):
            held = row.raw("tags")
            if held is not None and (not isinstance(held, list) or tag not in held):
                row.fail(
                    f"the orders asked for carry the tag {tag!r}, this one has "
                    f"{describe(held)}: the answer belongs to another listing",
                    "tags",
                )

    return check


def _variant_for_sku(adapter: TwentyNineNextAdapter, sku: str, field: str) -> Flow[int]:
    # Each product row must hold its variants, in the version's own list (2023-02-10:
    # children): one without is asked again, as it would read as "no such SKU" otherwise.
    version = adapter.api_version
    response = yield get(adapter, "products.find", "products", params=query({"sku": sku}, {}),
                         check=results_holding(variants_key(version)))  # fmt: skip
    for row in body_object(response).iter("results", required=True):
        # Read as a product: a standalone one listing none of its variants is a
        # PayloadError here too, not a SKU taken for missing.
        for item in structure(row, Product, version).variants:
            if item.sku == sku:
                return int(item.ref)  # read from an integer id
    raise ValidationError(f"{field}: no product variant on 29 Next has SKU {sku!r}", field=field)


__all__ = [
    "ORDER_LISTS",
    "cancel_order",
    "create_order",
    "get_order",
    "list_orders",
    "order_payload",
    "update_shipping_address",
]
