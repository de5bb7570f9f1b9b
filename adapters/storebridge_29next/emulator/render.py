"""Rendering emulator records as Admin API JSON, per API version (2024-04-01 / 2023-02-10).

Every shape here carries the fields the vendor's OpenAPI spec marks as required for the
operation and version that returns it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storebridge_29next.emulator.state import (
    FulfillmentOrderRecord,
    Line,
    OrderRecord,
    StoreState,
    TransactionRecord,
    iso,
    money,
)

LEGACY = "2023-02-10"
ZERO = "0.00"


def _agent() -> dict[str, Any]:
    return {"id": 1, "email": "api@sandbox.example", "first_name": "API", "last_name": "Agent"}


def _attribution() -> dict[str, Any]:
    return {"agent": _agent(), "funnel": None, "affiliate": None, "utm_source": None}


def user_inline(state: StoreState, user_id: int) -> dict[str, Any]:
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


def user(state: StoreState, record: dict[str, Any]) -> dict[str, Any]:
    orders = [o for o in state.orders.values() if o.user_id == record["id"]]
    spent = sum((o.total for o in orders if o.status != "canceled"), Decimal(0))
    return {
        **record,
        # The spec's oneOf [{}, null] rejects null (it matches both), so send an empty object.
        "metadata": record.get("metadata") or {},
        "orders_count": len(orders),
        "subscriptions_count": 0,
        "total_spent": money(spent),
    }


def _payment_details(txn: TransactionRecord) -> dict[str, Any]:
    return {
        "bankcard_first_six": "424242",
        "bankcard_last_four": "4242",
        "card_token": f"tok_{txn.id}",
        "gateway": {"id": txn.gateway_id, "name": txn.gateway_name, "type": "test"},
        "is_3ds": False,
        "optimized_3ds": False,
        "paypal_vault_id": "",
        "sca_flow": "",
    }


def transaction(state: StoreState, txn: TransactionRecord, shape: str) -> dict[str, Any]:
    """``shape``: ``object`` (embedded in orders/refunds), ``list`` or ``detail``."""
    body: dict[str, Any] = {
        "id": txn.id,
        "type": txn.type,
        "status": txn.status,
        "amount": money(txn.amount),
        "currency": txn.currency,
        "date_created": iso(txn.date_created),
        "parent_id": txn.parent_id,
        "response_code": 100,
        "auth_code": None,
        "external_id": None,
        "is_external": txn.is_external,
        "is_disputed": False,
        "payment_method": "card_token",
        "payment_details": _payment_details(txn),
    }
    if shape == "object":
        body["report_values"] = {"amount": money(txn.amount), "currency": txn.currency}
        return body
    body.update(
        {
            "amount_available_for_refund": money(txn.available_for_refund),
            "order": txn.order,
            "attribution": _attribution(),
            "initiator": _agent(),
            "subscription": {"id": 0, "billing_cycle": None},
            "user": user_inline(state, txn.user_id),
        }
    )
    if shape == "detail":
        body["report_values"] = {"amount": money(txn.amount), "currency": txn.currency}
        body["is_test"] = True
        body["statement_descriptor"] = None
    return body


def _money_fields(record: OrderRecord, version: str) -> dict[str, Any]:
    total = money(record.total)
    shipping = money(record.shipping)
    fields = {
        "total_incl_tax": total,
        "total_excl_tax": total,
        "total_tax": ZERO,
        "total_cost": ZERO,
        "shipping_incl_tax": shipping,
        "shipping_excl_tax": shipping,
        "shipping_tax": ZERO,
        "original_total_incl_tax": total,
        "original_total_excl_tax": total,
        "original_shipping_incl_tax": shipping,
        "original_shipping_excl_tax": shipping,
    }
    if version != LEGACY:
        fields.update(
            {
                "total_discount": ZERO,
                "original_total_discount": ZERO,
                "total_outstanding": ZERO
                if record.payment_status != "authorized"
                else money(record.total),
            }
        )
    return fields


def _common_order(
    state: StoreState, record: OrderRecord, version: str, origin: str
) -> dict[str, Any]:
    return {
        "number": record.number,
        "status": record.status,
        "payment_status": record.payment_status,
        "fulfillment_status": record.fulfillment_status,
        "currency": record.currency,
        "display_taxes": "excl",
        "is_test": True,
        "source": record.source,
        "metadata": record.metadata or {},
        "order_status_url": f"{origin}/checkout/order/{record.number}/",
        "shipping_code": "standard" if record.shipping else "free",
        "shipping_method": "Standard Shipping" if record.shipping else "Free Shipping",
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "date_placed": iso(record.date_placed),
        "user": user_inline(state, record.user_id),
        **_money_fields(record, version),
    }


def order_row(state: StoreState, record: OrderRecord, version: str, origin: str) -> dict[str, Any]:
    """An ``OrderList`` row. On 2023-02-10 list rows still embed lines, addresses and tags."""
    body = _common_order(state, record, version, origin)
    if version == LEGACY:
        body.update(_legacy_extras(state, record, version, origin))
    return body


def _legacy_extras(
    state: StoreState, record: OrderRecord, version: str, origin: str
) -> dict[str, Any]:
    return {
        "attribution": _attribution(),
        "billing_address": record.billing_address,
        "shipping_address": record.shipping_address,
        "lines": [_line(line, record, version, origin) for line in record.lines],
        "offer_discounts": [],
        "voucher_discounts": [],
        "subscription_lifecycle": "non-recurring",
        "subscriptions": [],
        "tags": list(record.tags),
    }


def _line(line: Line, record: OrderRecord, version: str, origin: str) -> dict[str, Any]:
    price = money(line.price)
    common = {
        "id": line.id,
        "price_incl_tax": price,
        "price_excl_tax": price,
        "unit_cost": ZERO,
        "total_cost": ZERO,
        "tax_lines": [],
        "is_upsell": False,
        "is_gift_card": False,
        "metadata": {},
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }
    if version == LEGACY:
        return {
            **common,
            "quantity": line.current_quantity,
            "price_currency": record.currency,
            "price_incl_tax_excl_discounts": price,
            "price_excl_tax_excl_discounts": price,
            "product": {
                "id": line.product_id,
                "title": line.product_title,
                "url": f"{origin}/catalogue/{line.product_id}/",
                "images": [],
                "categories": [],
                "upc": None,
            },
            "stockrecord": {
                "id": line.stockrecord_id,
                "partner_sku": line.sku,
                "price": price,
                "price_currency": record.currency,
                "num_in_stock": None,
                "num_allocated": None,
            },
        }
    return {
        **common,
        "product_id": line.product_id,
        "variant_id": line.variant_id,
        "sku": line.sku,
        "product_title": line.product_title,
        "variant_title": line.variant_title,
        "product_image": f"{origin}/media/products/{line.product_id}.png",
        "product_url": f"{origin}/catalogue/{line.product_id}/",
        "currency": record.currency,
        "quantity": line.quantity,
        "current_quantity": line.current_quantity,
        "fulfillable_quantity": line.fulfillable_quantity,
        "editable_quantity": line.fulfillable_quantity,
        "requires_shipping": line.requires_shipping,
        "original_price_incl_tax": price,
        "original_price_excl_tax": price,
        "total_discount": ZERO,
        "original_total_discount": ZERO,
        "report_values": {
            "currency": record.currency,
            "price_incl_tax": price,
            "price_excl_tax": price,
            "original_price_incl_tax": price,
            "original_price_excl_tax": price,
            "total_discount": ZERO,
            "original_total_discount": ZERO,
            "unit_cost": ZERO,
            "total_cost": ZERO,
        },
    }


def order(state: StoreState, record: OrderRecord, version: str, origin: str) -> dict[str, Any]:
    """A full ``Order``."""
    body = _common_order(state, record, version, origin)
    body.update(_legacy_extras(state, record, version, origin))
    body["voucher_discounts"] = []
    body["tax_lines"] = []
    body["shipping_tax_lines"] = []
    body["supports_post_purchase_upsells"] = False
    body["transactions"] = [
        transaction(state, state.transactions[tid], "object") for tid in record.transaction_ids
    ]
    body["refunds"] = list(record.refunds)
    body["fulfillments"] = []
    report = {k: v for k, v in _money_fields(record, version).items() if k != "total_tax"}
    report.pop("shipping_tax", None)
    report.pop("total_outstanding", None)
    report.setdefault("total_discount", ZERO)
    report.setdefault("original_total_discount", ZERO)
    body["report_values"] = {"currency": record.currency, **report}
    return body


def product(record: dict[str, Any], origin: str) -> dict[str, Any]:
    variants = []
    for item in record["variants"]:
        variants.append(
            {
                **item,
                "metadata": item.get("metadata") or {},
                "images": "",
                "inventory_availability": "in_stock",
                "purchase_availability": "available",
                "stockrecords": [dict(s) for s in item["stockrecords"]],
            }
        )
    return {
        **record,
        "metadata": record.get("metadata") or {},
        "variants": variants,
        "categories": [],
        "images": [],
        "rating": None,
        "url": f"{origin}/catalogue/{record['slug']}/",
    }


def location(record: dict[str, Any]) -> dict[str, Any]:
    return dict(record)


def fulfillment_order(state: StoreState, fo: FulfillmentOrderRecord, origin: str) -> dict[str, Any]:
    record = state.orders[fo.order_number]
    lines = {line.id: line for line in record.lines}
    items = []
    for entry in fo.line_items:
        line = lines[entry["order_line_id"]]
        open_units = 0 if fo.status in ("closed", "canceled") else entry["quantity"]
        items.append(
            {
                "id": entry["id"],
                "order_line_id": line.id,
                "fulfillment_order_id": fo.id,
                "product_id": str(line.product_id),
                "sku": line.sku,
                "product_title": line.product_title,
                "product_image": f"{origin}/media/products/{line.product_id}.png",
                "quantity": entry["quantity"],
                "fulfillable_quantity": str(open_units),
                "stockrecord_id": line.stockrecord_id,
                "price_incl_tax": money(line.price),
                "price_excl_tax": money(line.price),
                "total_discount": ZERO,
                "currency": record.currency,
                "tax_lines": [],
            }
        )
    actions = ["move", "hold", "request_fulfillment"] if fo.status == "open" else []
    if fo.status == "processing":
        actions = ["cancel_fulfillment_order", "request_cancellation"]
    if fo.status == "on_hold":
        actions = ["release_hold"]
    shipping = record.shipping_address
    return {
        "id": fo.id,
        "order_number": fo.order_number,
        "status": fo.status,
        "request_status": fo.request_status,
        "assigned_location": location(state.locations[fo.location_id]),
        "shipping_method": {"code": "standard", "name": "Standard Shipping"},
        "shipping_address": dict(shipping) if shipping else None,
        "line_items": items,
        "fulfillment_holds": list(fo.holds),
        "merchant_requests": list(fo.merchant_requests),
        "supported_actions": actions,
        "created_at": iso(fo.created_at),
        "updated_at": iso(fo.updated_at),
    }
