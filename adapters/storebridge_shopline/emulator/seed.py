"""Deterministic seeded store data in SHOPLINE's wire shapes, linear in the store's size."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from storebridge.sandbox import SandboxSize
from storebridge.sandbox.draws import Draws
from storebridge_shopline.emulator.orders import build_order
from storebridge_shopline.emulator.state import Ids, StoreState
from storebridge_shopline.emulator.wire import STORE_TZ, iso, money_str

__all__ = ["SEED_START", "seed_customers", "seed_products", "seed_store"]

SEED_START = datetime(2025, 1, 1, 9, 0, tzinfo=STORE_TZ)

_ADJECTIVES = ("Classic", "Organic", "Everyday", "Premium", "Travel", "Vintage", "Cosy", "Urban")
_NOUNS = ("Mug", "Tote", "Hoodie", "Notebook", "Candle", "Scarf", "Bottle", "Cap", "Lamp", "Sock")
_FIRST = ("Mei", "Ola", "Ana", "Jon", "Li", "Sara", "Tom", "Ingrid", "Wei", "Kari", "Ravi", "Emma")
_LAST = ("Chen", "Hansen", "Tan", "Berg", "Lim", "Olsen", "Wong", "Dahl", "Ng", "Lee")
_CITIES = (
    ("Singapore", "SG", "", "018956"),
    ("Oslo", "NO", "Oslo", "0150"),
    ("Kuala Lumpur", "MY", "Kuala Lumpur", "50088"),
    ("Taipei", "TW", "Taipei", "100"),
    ("Austin", "US", "Texas", "73301"),
)


def address(rng: Draws, first: str, last: str) -> dict[str, Any]:
    city, country, province, zip_code = rng.choice(_CITIES)
    return {
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "company": None,
        "phone": f"+65{rng.randint(80000000, 99999999)}",
        "address1": f"{rng.randint(1, 250)} Market Street",
        "address2": "",
        "city": city,
        "province": province,
        "country": country,
        "country_code": country,
        "zip": zip_code,
    }


def seed_products(rng: Draws, ids: Ids, count: int, currency: str) -> list[dict[str, Any]]:
    products = []
    for number in range(1, count + 1):
        pid = ids.new("product")
        when = iso(SEED_START - timedelta(days=30) + timedelta(hours=number))
        variants = []
        for index in range(1, rng.randint(1, 3) + 1):
            price = Decimal(rng.randint(5, 120)) + Decimal(rng.choice(("0.00", "0.50", "0.99")))
            variants.append(
                {
                    "id": ids.new("variant"),
                    "product_id": pid,
                    "title": f"Size {index}",
                    "sku": f"SL-{number:04d}-{index}",
                    "barcode": f"T{number:05d}{index}",
                    "position": index,
                    "price": money_str(price),
                    "compare_at_price": None,
                    "weight": "0.2",
                    "weight_unit": "kg",
                    "inventory_item_id": ids.new("inventory"),
                    "inventory_quantity": rng.randint(0, 100),
                    "inventory_policy": "deny",
                    "inventory_tracker": True,
                    "taxable": True,
                    "required_shipping": True,
                    "option1": f"Size {index}",
                    "option2": None,
                    "option3": None,
                }
            )
        title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {number}"
        products.append(
            {
                "id": pid,
                "title": title,
                "subtitle": "",
                "handle": title.lower().replace(" ", "-"),
                "body_html": f"<p>{title}</p>",
                "vendor": "Acme",
                "tags": rng.choice(("", "new", "sale,summer")),
                "status": "active",
                "published_scope": "web",
                "product_type": "NORMAL",
                "created_at": when,
                "updated_at": when,
                "published_at": when,
                "options": [
                    {
                        "id": ids.new("option"),
                        "product_id": pid,
                        "name": "Size",
                        "values": [v["option1"] for v in variants],
                    }
                ],
                "variants": variants,
            }
        )
    return products


def seed_customers(rng: Draws, ids: Ids, count: int) -> list[dict[str, Any]]:
    customers = []
    for number in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        cid = ids.new("customer")
        when = iso(SEED_START - timedelta(days=20) + timedelta(hours=number * 3))
        addr = {**address(rng, first, last), "id": f"{cid}01", "customer_id": cid, "default": True}
        customers.append(
            {
                "id": cid,
                "email": f"{first.lower()}.{last.lower()}.{number}@example.com",
                "phone": addr["phone"],
                "first_name": first,
                "last_name": last,
                "tags": rng.choice(("", "vip", "wholesale")),
                "note": None,
                "state": 3,
                "verified_email": True,
                "currency": None,
                "orders_count": 0,
                "total_spent": "0.00",
                "email_marketing_consent": {"state": rng.choice((1, 2)), "opt_in_level": 1},
                "addresses": [addr],
                "default_address": addr,
                "created_at": when,
                "updated_at": when,
            }
        )
    return customers


def seed_store(state: StoreState, size: SandboxSize) -> None:
    """Products, customers and orders for ``size`` (same seed, same store)."""
    rng = Draws(random.Random(size.seed))
    orders = size.orders
    currency = state.options.currency
    proportional = max(5, orders // 2)  # for a size of None
    products = proportional if size.products is None else size.products
    customers = proportional if size.customers is None else size.customers
    state.add_products(seed_products(rng, state.ids, products, currency))
    for customer in seed_customers(rng, state.ids, customers):
        state.customers.add(customer)
    # What every order of a customer or with a variant copies, made once: draws pick by
    # position, so these lists stand in for the customers and variants they follow.
    buyers = [(c, _order_address(c)) for c in state.customers.rows.values()]
    lines = [_line_template(p, v) for p in state.products.rows.values() for v in p["variants"]]
    if not (buyers and lines):
        return  # an order needs a customer and something to buy
    for number in range(1, orders + 1):
        _seed_order(state, rng, number, buyers, lines)


_NOT_ORDER_ADDRESS = ("id", "customer_id", "default")
_SHIPPING = (Decimal("0.00"), Decimal("5.00"), Decimal("9.90"))
_TAX_RATES = (Decimal("0"), Decimal("0.1"))
_FULFILLMENT = (None, None, "fulfilled", "fulfilled", "partial")


def _order_address(customer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in customer["default_address"].items() if k not in _NOT_ORDER_ADDRESS}


def _line_template(product: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    """An order line of ``variant`` (quantity still to set), its keys in wire order."""
    return {
        "product_id": product["id"],
        "variant_id": variant["id"],
        "sku": variant["sku"],
        "title": product["title"],
        "name": f"{product['title']} - {variant['title']}",
        "variant_title": variant["title"],
        "vendor": product["vendor"],
        "quantity": 0,
        "price": variant["price"],
        "grams": 200,
        "requires_shipping": True,
        "taxable": True,
        "fulfillable_quantity": 0,
    }


def _seed_order(
    state: StoreState,
    rng: Draws,
    number: int,
    buyers: list[tuple[dict[str, Any], dict[str, Any]]],
    templates: list[dict[str, Any]],
) -> None:
    customer, address = rng.choice(buyers)
    lines = []
    for template in rng.sample(templates, min(len(templates), rng.randint(1, 3))):
        line = template.copy()
        line["quantity"] = line["fulfillable_quantity"] = rng.randint(1, 3)
        lines.append(line)
    fulfillment = rng.choice(_FULFILLMENT)
    status = "fulfilled" if fulfillment == "fulfilled" else None
    for line in lines:
        line["fulfillment_status"] = status
    created = SEED_START + timedelta(hours=number * 7, minutes=rng.randint(0, 59))
    build_order(
        state,
        lines=lines,
        customer=customer,
        email=customer["email"],
        created=iso(created),
        name=f"#{1000 + number}",
        currency=state.options.currency,
        shipping=rng.choice(_SHIPPING),
        tax_rate=rng.choice(_TAX_RATES),
        financial_status="paid" if rng.random() < 0.9 else "unpaid",
        fulfillment_status=fulfillment,
        shipping_address=dict(address),
        billing_address=dict(address),
    )
