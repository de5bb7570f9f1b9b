"""Deterministic seeding, linear in the store's size.

Seeded orders follow a fixed pattern so tests can rely on it:

* order index ``i % 5 == 3``: payment only authorized (uncaptured), ``payment_status``
  ``authorized``;
* otherwise paid by one ``debit`` transaction for the order total;
* order index ``i % 4 == 1``: fulfilled (fulfillment order ``closed``, nothing left to
  fulfil), else unfulfilled with an ``open`` fulfillment order at location 1;
* every third variant is digital (``requires_shipping`` false).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from storebridge.sandbox import SandboxSize
from storebridge.sandbox.draws import Draws
from storebridge_29next.emulator.state import (
    Line,
    OrderRecord,
    StoreState,
    TransactionRecord,
    add_fulfillment_order,
)
from storebridge_29next.emulator.wire import iso, money

__all__ = ["SEED_EPOCH", "seed_store"]

SEED_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

FIRST_NAMES = ("Ada", "Bo", "Chen", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Juno", "Kai")
LAST_NAMES = ("Ng", "Silva", "Berg", "Okafor", "Rossi", "Tan", "Moreau", "Haas", "Lind")
PRODUCT_WORDS = ("Trail", "Canvas", "Merino", "Cedar", "Ember", "Harbor", "Summit", "Linen")
PRODUCT_KINDS = ("Backpack", "Beanie", "Mug", "Tee", "Journal", "Lantern", "Scarf", "E-Guide")
CITIES = (("Austin", "TX", "73301"), ("Denver", "CO", "80202"), ("Portland", "OR", "97201"))


def _address(rng: Draws, first: str, last: str) -> dict[str, Any]:
    city, state, postcode = rng.choice(CITIES)
    return {
        "first_name": first,
        "last_name": last,
        "line1": f"{rng.randint(1, 999)} {rng.choice(PRODUCT_WORDS)} St",
        "line4": city,
        "state": state,
        "postcode": postcode,
        "country": "US",
        "phone_number": f"+1512555{rng.randint(1000, 9999)}",
    }


def seed_store(size: SandboxSize) -> StoreState:
    """Locations, users, products and orders for ``size`` (same seed, same store)."""
    seed, orders, customers, products = size.seed, size.orders, size.customers, size.products
    rng = Draws(random.Random(seed))
    state = StoreState()
    n_customers = customers if customers is not None else max(3, orders // 2)
    n_products = products if products is not None else max(3, min(50, orders // 3 + 2))
    for index, name in enumerate(("Main Warehouse", "East Coast 3PL", "Retail Backroom"), 1):
        state.locations[index] = {
            "id": index,
            "name": name,
            "accept_return": True,
            "callback_url": None,
            "address": {
                "line1": f"{index}00 Depot Rd",
                "line4": CITIES[index - 1][0],
                "state": CITIES[index - 1][1],
                "postcode": CITIES[index - 1][2],
                "country": "US",
            },
        }
    state.counters["location"] = len(state.locations) + 1
    for _ in range(n_customers):
        uid = state.next_id("user", 100)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        joined = SEED_EPOCH - timedelta(days=rng.randint(30, 400))
        address = _address(rng, first, last)
        user = {
            "id": uid,
            "email": f"{first.lower()}.{last.lower()}.{uid}@example.com",
            "first_name": first,
            "last_name": last,
            "phone_number": address["phone_number"],
            "language": "en",
            "accepts_marketing": rng.random() < 0.5,
            "is_blocked": False,
            "ip": None,
            "user_agent": None,
            "tags": [],
            "metadata": None,
            "addresses": [
                {
                    **address,
                    "id": state.next_id("address", 500),
                    "is_default_for_billing": True,
                    "is_default_for_shipping": True,
                }
            ],
            "date_joined": iso(joined),
            "user_type": "customer",
        }
        state.add_user(user)
    variant_counter = 0
    for index in range(n_products):
        pid = state.next_id("product", 10)
        word = PRODUCT_WORDS[index % len(PRODUCT_WORDS)]
        title = f"{word} {PRODUCT_KINDS[index % len(PRODUCT_KINDS)]}"
        sizes = ("S", "M") if index % 2 else ("",)
        created = SEED_EPOCH - timedelta(days=200 - index)
        variants = []
        for label in sizes:
            variant_counter += 1
            vid = state.next_id("variant", 200)
            digital = variant_counter % 3 == 0
            price = Decimal(rng.randint(5, 150)) + Decimal("0.99")
            stockrecords = [
                {
                    "id": state.next_id("stockrecord", 700),
                    "location_id": loc,
                    "num_in_stock": rng.randint(5, 60),
                    "num_allocated": 0,
                    "low_stock_threshold": 3,
                }
                for loc in ((1, 2) if vid % 2 else (1,))
            ]
            variants.append(
                {
                    "id": vid,
                    "product_id": pid,
                    "sku": f"SKU-{pid}{('-' + label) if label else ''}",
                    "title": f"{title} {label}".strip(),
                    "upc": None,
                    "prices": [{"currency": "USD", "price": money(price), "retail": None}],
                    "stockrecords": stockrecords,
                    "track_stock": True,
                    "allow_backorders": False,
                    "requires_shipping": not digital,
                    "unit_cost": money(price * Decimal("0.4")),
                    "metadata": None,
                    "date_created": iso(created),
                    "date_updated": iso(created + timedelta(days=index % 7)),
                }
            )
        state.add_product(
            {
                "id": pid,
                "title": title,
                "slug": f"{title.lower().replace(' ', '-')}-{pid}",
                "description": f"<p>{title}, made to last.</p>",
                "structure": "parent" if len(variants) > 1 else "standalone",
                "is_public": True,
                "metadata": None,
                "variants": variants,
                "date_created": iso(created),
                "date_updated": iso(created + timedelta(days=index % 7)),
            }
        )
    # What every order with a variant or of a user copies, made once: draws pick by
    # position, so these lists stand in for the variants and users they follow.
    wares = [_ware(p, v) for p in state.products.values() for v in p["variants"]]
    buyers = [(uid, _order_address(state.users[uid])) for uid in sorted(state.users)]
    for index in range(orders):
        add_seed_order(state, rng, index, wares, buyers)
    return state


Ware = tuple[int, int, str, str, str, Decimal, bool, int]
"""What an order line takes from a variant: product id, variant id, sku, product title,
variant title, price, whether it ships, its first stock record."""


def _ware(product: dict[str, Any], item: dict[str, Any]) -> Ware:
    return (
        product["id"],
        item["id"],
        item["sku"],
        product["title"],
        item["title"],
        Decimal(item["prices"][0]["price"]),
        item["requires_shipping"],
        item["stockrecords"][0]["id"],
    )


def _order_address(user: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in user["addresses"][0].items() if not k.startswith("is_default")}


def add_seed_order(
    state: StoreState,
    rng: Draws,
    index: int,
    wares: list[Ware],
    buyers: list[tuple[int, dict[str, Any]]],
) -> None:
    number = str(100001 + index)
    user_id, base_address = rng.choice(buyers)
    placed = SEED_EPOCH + timedelta(0, 25_200 * index + 60 * rng.randint(0, 59))
    fulfilled = index % 4 == 1
    authorized = index % 5 == 3
    lines = []
    for ware in rng.sample(wares, min(len(wares), rng.randint(1, 3))):
        product_id, variant_id, sku, product_title, variant_title, price, ships, stock = ware
        quantity = rng.randint(1, 3)
        lines.append(
            Line(
                id=state.next_id("line", 1000),
                product_id=product_id,
                variant_id=variant_id,
                sku=sku,
                product_title=product_title,
                variant_title=variant_title,
                price=price,
                quantity=quantity,
                current_quantity=quantity,
                fulfillable_quantity=0 if fulfilled else quantity,
                requires_shipping=ships,
                stockrecord_id=stock,
            )
        )
    address = base_address.copy()
    address["id"] = state.next_id("order_address", 3000)
    record = OrderRecord(
        number=number,
        user_id=user_id,
        currency="USD",
        lines=lines,
        shipping=_SHIPPING if any(line.requires_shipping for line in lines) else _FREE,
        shipping_address=address,
        billing_address={**address, "id": state.next_id("order_address", 3000)},
        date_placed=placed,
        created_at=placed,
        updated_at=placed + timedelta(hours=rng.randint(0, 30)),
        payment_status="authorized" if authorized else "paid",
        fulfillment_status="fulfilled" if fulfilled else "unfulfilled",
        tags=["vip"] if index % 7 == 0 else [],
    )
    state.add_order(record)
    total = record.total
    txn = TransactionRecord(
        id=state.next_id("transaction", 5000),
        order=number,
        user_id=user_id,
        type="authorize" if authorized else "debit",
        amount=total,
        currency=record.currency,
        date_created=placed,
        available_for_refund=_FREE if authorized else total,
    )
    state.add_transaction(txn)
    record.transaction_ids.append(txn.id)
    add_fulfillment_order(state, record, fulfilled)


_SHIPPING = Decimal("4.99")
_FREE = Decimal(0)
