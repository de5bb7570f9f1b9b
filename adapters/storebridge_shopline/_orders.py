"""Orders: list, get, create (historical), update, re-address, cancel.

There is no single-order GET: ``orders.json?ids=<id>`` is the way, and an answer holding any
other order is refused (asked again). Every write goes through
:func:`storebridge.kit.reconciled_write`: a lost, late or unreadable answer is settled by
reading the order back instead of sending again.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

import attrs

from storebridge import validation
from storebridge.errors import NotFound, PayloadError, ValidationError
from storebridge.http import Response
from storebridge.kit import (
    Emit,
    Flow,
    ListFlow,
    OrderQuery,
    Payload,
    check_query_value,
    check_ref,
    order_matches,
    read_json,
    reconciled_update,
    reconciled_write,
    relay,
    segment,
)
from storebridge.model import Address, FinancialStatus, Order, OrderDraft
from storebridge_shopline import _converter as wire
from storebridge_shopline._api import Api
from storebridge_shopline._paging import ORDERS, PAGE_CAPS, holds_rows, list_records, query_params
from storebridge_shopline._windows import iso

ORDER_STATUSES = ("open", "cancelled", "any")
FINANCIAL_STATUSES = (
    "unpaid",
    "authorized",
    "pending",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
)
FULFILLMENT_QUERY = {
    "unshipped": "unshipped",
    "unfulfilled": "unshipped",
    "partial": "partial",
    "partially_fulfilled": "partial",
    "shipped": "shipped",
    "fulfilled": "shipped",
}
UPDATABLE = ("email", "phone", "area_code", "customer_id", "tags", "note", "note_attributes",
             "shipping_address")  # fmt: skip
"""Fields ``PUT orders/{id}.json`` takes (``update_order``)."""


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    return validation.choice(value, name, allowed, what="SHOPLINE's")


def order_params(query: OrderQuery) -> dict[str, Any]:
    params = query_params("orders", query)
    params["status"] = _choice(query.status or "any", ORDER_STATUSES, "status")
    if query.financial_status:
        params["financial_status"] = _choice(
            query.financial_status, FINANCIAL_STATUSES, "financial_status"
        )
    if query.fulfillment_status:
        params["fulfillment_status"] = FULFILLMENT_QUERY.get(query.fulfillment_status) or (
            _choice(query.fulfillment_status, sorted(FULFILLMENT_QUERY), "fulfillment_status")
        )
    return params


def list_orders(adapter: Api, query: OrderQuery) -> ListFlow[Order]:
    """Every order of the query, archived ones included.

    SHOPLINE's ``hidden_order`` filter defaults to false, and whether a listing without it
    holds archived orders is not documented. So when the caller did not choose, the
    listing is read as is, and unless it held an archived order (rows say
    ``hidden_order``), the archived ones are read after it (``hidden_order=true``), each
    kept only if it says it is archived: exactly once whichever the platform does.

    After, not beside: read side by side, each row would have to be kept from one of the
    two by its flag, and an order unarchived meanwhile on a platform whose plain listing
    holds archived orders would be dropped by both.
    """
    if "hidden_order" in query.extra:
        return (yield from list_records(adapter, ORDERS, order_params(query), query, Order))
    held_archived = False

    def note(page: Emit[Order]) -> Generator[Any, Any, Emit[Order]]:
        nonlocal held_archived
        held_archived = held_archived or any(_archived(o) for o in page.items)
        return page
        yield  # pragma: no cover - makes this a generator

    yield from relay(list_records(adapter, ORDERS, order_params(query), query, Order), note)
    if held_archived:
        return None
    # Not counted: whether the count takes ``hidden_order`` is not documented either.
    archived = attrs.evolve(query, extra={**query.extra, "hidden_order": "true"})

    def only_archived(page: Emit[Order]) -> Generator[Any, Any, Emit[Order]]:
        return Emit([o for o in page.items if _archived(o)])
        yield  # pragma: no cover - makes this a generator

    yield from relay(list_records(adapter, ORDERS, order_params(archived), archived, Order),
                     only_archived)  # fmt: skip
    return None


def _archived(order: Order) -> bool:
    return isinstance(order.raw, Mapping) and order.raw.get("hidden_order") is True


def _only(ref: str, lists: Sequence[str]) -> Any:
    def check(response: Response) -> None:
        for row in Payload(read_json(response), "$", wire.PLATFORM).objects("orders"):
            if row.ref("id") != ref:
                row.fail(f"asked for order {ref}, the answer holds another order", "id")
            for key in lists:
                row.objects(key)

    return check


def find_order(adapter: Api, ref: str, lists: Sequence[str] = ()) -> Flow[Order | None]:
    """The order ``ref`` (``orders.json?ids=``), or None when SHOPLINE has none; an answer
    whose order lacks one of ``lists`` (``refunds``...) is asked again."""
    check_ref(ref)
    if "," in ref:
        raise ValidationError(f"ref {ref!r} is not a SHOPLINE id: ids have no commas", field="ref")
    rows: list[Any] = []
    # An archived order is listed only when asked for (``hidden_order`` defaults to false).
    for archived in ({}, {"hidden_order": "true"}):
        params = {"ids": ref, "status": "any", **archived}
        response = yield adapter.get("orders.json", "orders.get", params, check=_only(ref, lists))
        rows = wire.payload_of(response).objects("orders")
        if rows:
            break
    converter = adapter.converter()
    return converter.structure(rows[0], Order) if rows else None


def get_order(adapter: Api, ref: str, lists: Sequence[str] = ()) -> Flow[Order]:
    found = yield from find_order(adapter, ref, lists)
    if found is None:
        raise NotFound(f"order {ref} does not exist", status=404, platform=adapter.display_name)
    return found


def _parse_order(adapter: Api) -> Callable[[Response], Order]:
    converter = adapter.converter()

    def parse(response: Response) -> Order:
        return converter.structure(wire.payload_of(response).obj("order"), Order)

    return parse


def _update_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``update_order`` 's fields checked before anything is sent."""
    unknown = sorted(set(fields) - set(UPDATABLE))
    if unknown:
        raise ValidationError(
            f"update_order cannot change {unknown[0]!r}; it changes {', '.join(UPDATABLE)}",
            field=unknown[0],
        )
    body = dict(fields)
    if fields.get("email") is not None:
        validation.email(fields["email"], "email")
    for key in ("phone", "area_code", "customer_id"):
        if fields.get(key) is not None:
            validation.text(fields[key], key)
    if fields.get("note") is not None:
        validation.text(fields["note"], "note", multiline=True)
    if "tags" in fields:
        validation.text(fields["tags"], "tags")
    address = fields.get("shipping_address")
    if isinstance(address, Address):
        body["shipping_address"] = _replacement(validation.address(address, "address"))
    elif address is not None:
        if not isinstance(address, Mapping):
            raise ValidationError("shipping_address must be an Address", field="shipping_address")
        for key, value in address.items():
            if value is not None:
                validation.text(value, f"shipping_address.{key}")
    return body


SHIPPING_CLEARED = ("province_code", "country")
"""Other spellings of an order address's region and country that its update takes: sent
blank beside the name and the code written, as the old address's would still be read."""


def _replacement(address: Address) -> dict[str, Any]:
    """``address`` replacing an order's: SHOPLINE updates only the address fields it is
    sent, so every field goes, a None one as "" (SHOPLINE types them strings and documents
    no other way to clear one). ``name`` is not an input: SHOPLINE shows the first and last
    name joined."""
    return wire.ADDRESS.replacement(address, clear=SHIPPING_CLEARED)


def _holds(found: Any, sent: Any) -> bool:
    """True when what was read back carries every value that was sent."""
    if isinstance(sent, Mapping):
        return isinstance(found, Mapping) and all(_holds(found.get(k), v) for k, v in sent.items())
    return bool(found == sent)


def _applied(found: Order, body: Mapping[str, Any], replaced: bool) -> bool:
    """True when ``found`` carries ``body``; a replaced address is compared whole, so one
    still holding a field of the old address is not taken for the one sent."""
    return all(
        wire.ADDRESS.holds(found.raw.get(k), v)
        if k == "shipping_address" and replaced
        else _holds(found.raw.get(k), v)
        for k, v in body.items()
    )


def update_order(adapter: Api, ref: str, fields: Mapping[str, Any]) -> Flow[Order]:
    """``PUT orders/{id}.json``; a lost answer is settled by reading the order back (read
    first too: see :func:`kit.reconciled_update`)."""
    path = f"orders/{segment(ref)}.json"
    body = _update_fields(fields)
    replaced = isinstance(fields.get("shipping_address"), Address)
    request = adapter.write("PUT", path, "orders.update", {"order": {"id": ref, **body}})

    def read() -> Flow[Order]:
        return (yield from get_order(adapter, ref))

    # Absolute values: sent again after a lost answer unless someone else wrote them.
    parse = _parse_order(adapter)

    def answered(response: Response) -> Order:
        order = parse(response)
        if order.ref != ref:  # another order's answer (a proxy's, crossed): not this write's
            raise PayloadError(
                f"the answer is order {order.ref}, not {ref}", platform=wire.PLATFORM
            )
        if replaced:
            wire.ADDRESS.check_answer(
                order.raw.get("shipping_address"), body["shipping_address"], platform=wire.PLATFORM
            )
        return order

    return (
        yield from reconciled_update(
            request, answered, read,
            applied=lambda found: _applied(found, body, replaced),
            shown=lambda found: [found.raw.get(k) for k in body],
            result=lambda found: found,
        )
    )  # fmt: skip


def set_order_tags(adapter: Api, ref: str, tags: Sequence[str]) -> Flow[Order]:
    return (yield from update_order(adapter, ref, {"tags": wire.join_tags(check_tags(tags))}))


def check_tags(tags: Any, field: str = "tags") -> tuple[str, ...]:
    """Tags SHOPLINE can hold: it keeps them as one comma-separated string."""
    items = validation.items(tags, field, str)
    for index, tag in enumerate(items):
        validation.text(tag, f"{field}[{index}]", required=True)
        if "," in tag:
            raise ValidationError(
                f"{field}[{index}] {tag!r} has a comma; SHOPLINE would split it in two",
                field=f"{field}[{index}]",
            )
    return items


def update_shipping_address(adapter: Api, ref: str, address: Address) -> Flow[Order]:
    return (yield from update_order(adapter, ref, {"shipping_address": address}))


_PAID = (FinancialStatus.PAID, FinancialStatus.PARTIALLY_PAID, FinancialStatus.PARTIALLY_REFUNDED)
"""What an order that has money to return shows."""
_RETURNED = (FinancialStatus.REFUNDED, FinancialStatus.VOIDED)
"""What an order cancelled with its refund shows."""


def cancel_order(
    adapter: Api,
    ref: str,
    *,
    reason: str | None,
    refund: bool,
    notify: bool,
    restock: bool | None = None,
) -> Flow[Order]:
    """``POST orders/{id}/cancel.json``; settled by reading back ``cancelled_at``. Units go
    back in stock unless ``restock=False`` (an order created without taking stock)."""
    path = f"orders/{segment(ref)}/cancel.json"
    if reason is not None:
        validation.text(reason, "reason")
    body: dict[str, Any] = {"email": notify, "restock": restock is not False}
    if reason:
        body["cancel_reason"] = reason
    earlier: str | None = None
    returns_money = False
    if refund:
        current = yield from get_order(adapter, ref)
        earlier = current.raw.get("cancelled_at") or None
        # Only money that was paid goes back: asked to refund an unpaid order's total,
        # SHOPLINE refuses the whole cancel (the amount exceeds what it can refund).
        returns_money = current.total.amount > 0 and current.financial_status in _PAID
        if returns_money:
            body.update(
                amount=wire.money_text(current.total, "total"),
                currency=current.currency,
                refund_type="OriginalPayment Refund",
            )
    request = adapter.write("POST", path, "orders.cancel", body)

    def cancelled() -> Flow[Order | None]:
        found = yield from find_order(adapter, ref)
        if found is None or not found.raw.get("cancelled_at"):
            return None
        if refund and found.raw.get("cancelled_at") == earlier:
            return None  # cancelled before this call: not this write's doing
        if returns_money and found.financial_status not in _RETURNED:
            # Cancelled without the refund asked for: sent again, SHOPLINE says why.
            return None
        return found

    return (yield from reconciled_write(request, _parse_order(adapter), cancelled))


def create_order(adapter: Api, draft: OrderDraft) -> Flow[Order]:
    """``POST orders.json`` for a historical order, recorded as paid outside SHOPLINE.

    A lost answer is settled by looking the order up by its number (or e-mail and time) and
    tags; when that finds nothing, the order is not sent again (OutcomeUnknown instead: a
    search can lag behind the write).
    """
    if draft.customer_ref is not None:
        check_ref(draft.customer_ref, "customer_ref")
    check_tags(draft.tags)
    if draft.financial_status.value not in FINANCIAL_STATUSES:
        # Sent as it is, SHOPLINE would record a payment state nobody chose (an order read
        # with its payment state unknown, say, copied as if it were one).
        raise ValidationError(
            f"SHOPLINE records an order's financial_status as one of "
            f"{', '.join(FINANCIAL_STATUSES)}, not {draft.financial_status.value!r}: set the "
            "draft's financial_status to the order's payment state",
            field="financial_status",
        )
    request = adapter.write(
        "POST", "orders.json", "orders.create", {"order": wire.order_body(draft)}
    )
    params: dict[str, Any] = {"status": "any", "limit": PAGE_CAPS["orders"]}
    if draft.number:
        params["name"] = check_query_value(draft.number, "number")
    if draft.email:
        params["email"] = check_query_value(draft.email, "email")
    if draft.created_at is not None:
        params["created_at_min"] = params["created_at_max"] = iso(draft.created_at)
    converter = adapter.converter()

    def existing() -> Flow[Order | None]:
        response = yield adapter.get("orders.json", "orders.find", params,
                                     check=holds_rows("orders"))  # fmt: skip
        for row in wire.payload_of(response).objects("orders"):
            found = converter.structure(row, Order)
            if _same_order(found, draft):
                return found
        return None

    return (yield from reconciled_write(request, _parse_order(adapter), existing))


def _same_order(found: Order, draft: OrderDraft) -> bool:
    # SHOPLINE keeps line prices and order numbers (``name``) as sent.
    return order_matches(found, draft, prices=True, numbers=True)


__all__ = [
    "cancel_order",
    "check_tags",
    "create_order",
    "find_order",
    "get_order",
    "list_orders",
    "order_params",
    "set_order_tags",
    "update_order",
    "update_shipping_address",
]
