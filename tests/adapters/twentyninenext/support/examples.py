"""Payloads restated by hand from the vendor's order-management guide and spec examples.

Values are the documented ones (line 1000, transaction 1000, 63.98 USD...); fields the guide
abbreviates away are filled with neutral values so the payloads are complete objects.
"""

from __future__ import annotations

from typing import Any

ORDER_RETRIEVE: dict[str, Any] = {
    "number": "100123",
    "status": "open",
    "payment_status": "paid",
    "fulfillment_status": "fulfilled",
    "currency": "USD",
    "total_incl_tax": "184.96",
    "total_excl_tax": "184.96",
    "total_tax": "0.00",
    "shipping_incl_tax": "4.99",
    "shipping_excl_tax": "4.99",
    "created_at": "2025-01-02T10:00:00+07:00",
    "updated_at": "2025-01-02T10:05:00+07:00",
    "date_placed": "2025-01-02T10:00:00+07:00",
    "user": {"id": 42, "email": "a@example.com", "first_name": "A", "last_name": "B"},
    "lines": [
        {
            "id": 1000,
            "product_id": 184,
            "variant_id": 184,
            "sku": "SKU-1",
            "product_title": "Example",
            "quantity": 3,
            "current_quantity": 3,
            "fulfillable_quantity": 0,
            "requires_shipping": True,
            "price_incl_tax": "59.99",
            "currency": "USD",
        }
    ],
    "transactions": [
        {"id": 1000, "type": "debit", "status": "succeeded", "amount": "184.96", "currency": "USD"}
    ],
    "refunds": [],
}

CALCULATE_REQUEST: dict[str, Any] = {
    "refund_lines": [{"line_id": 1000, "quantity": 1}],
    "refund_shipping": {"full_refund": False, "amount_excl_tax": "3.99"},
}

CALCULATE_RESPONSE: dict[str, Any] = {
    "refund_lines": [
        {
            "line_id": 1000,
            "quantity": 1,
            "restock_type": "no_restock",
            "refundable_quantity": 1,
            "amount_excl_tax": "59.99",
            "amount_incl_tax": "59.99",
            "total_tax": "0.00",
        }
    ],
    "refund_shipping": {
        "amount_incl_tax": "3.99",
        "amount_excl_tax": "3.99",
        "total_tax": "0.00",
        "refundable_amount": "4.99",
    },
    "transactions": [{"id": 1000, "amount": "63.98", "refundable_amount": "184.96"}],
    "amount_excl_tax": "63.98",
    "amount_incl_tax": "63.98",
    "total_tax": "0.00",
    "currency": "USD",
}

CREATE_REQUEST: dict[str, Any] = {
    "note": "Example reason for the refund",
    "refund_lines": [{"line_id": 1000, "quantity": 1, "restock_type": "no_restock"}],
    "refund_shipping": {"amount_excl_tax": "3.99", "full_refund": False},
    "send_refund_notification": True,
    "transactions": [{"id": 1000, "amount": "63.98"}],
}

SHIPPING_ADDRESS_PATCH: dict[str, Any] = {
    "shipping_address": {
        "line1": "4765 Test Lane West",
        "line4": "Mountain Pass",
        "state": "CA",
        "postcode": "92366",
        "country": "US",
    }
}

CANCEL_REQUEST: dict[str, Any] = {
    "cancel_reason": "Customer wants to cancel",
    "full_refund": True,
    "send_cancel_notification": True,
}

HOLD_REQUEST: dict[str, Any] = {
    "reason": "address_incorrect",
    "reason_message": "Additional relevant detail.",
}

CANCELLATION_REQUEST: dict[str, Any] = {"message": "Reason why canceling fulfillment"}

FULFILLMENT_REQUEST: dict[str, Any] = {
    "fulfillment_order_line_items": [{"id": 0, "quantity": 1}],
    "message": "Special message to warehouse",
    "notify": True,
}

AVAILABLE_LOCATIONS: dict[str, Any] = {
    "available_locations": [
        {
            "id": 123,
            "name": "Example Warehouse Location",
            "fulfillment_order_line_ids": [7731, 7730],
        },
        {"id": 456, "name": "Another Warehouse Location", "fulfillment_order_line_ids": [7731]},
    ]
}

MOVE_REQUEST: dict[str, Any] = {
    "new_location_id": 123,
    "fulfillment_order_line_items": [{"id": 7711}],
}
