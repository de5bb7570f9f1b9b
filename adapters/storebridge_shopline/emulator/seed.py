"""Deterministic seeded store data in SHOPLINE's wire shapes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

STORE_TZ = timezone(timedelta(hours=8))
"""Stores answer in their own offset; +08:00 matches the docs' examples."""
SEED_START = datetime(2025, 1, 1, 9, 0, tzinfo=STORE_TZ)
CENT = Decimal("0.01")

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


def iso(when: datetime) -> str:
    return when.astimezone(STORE_TZ).isoformat(timespec="seconds")


def money_str(value: Decimal) -> str:
    return str(value.quantize(CENT))


def money_set(value: Decimal, currency: str, numeric: bool = False) -> dict[str, Any]:
    amount: Any = float(value.quantize(CENT)) if numeric else money_str(value)
    entry = {"amount": amount, "currency_code": currency}
    return {"shop_money": entry, "presentment_money": dict(entry)}


class Ids:
    """Long numeric string ids with SHOPLINE's prefixes, issued in increasing order."""

    PREFIXES: ClassVar[dict[str, str]] = {
        "order": "21050",
        "product": "16057",
        "variant": "18057",
        "line": "30057",
        "inventory": "57850",
        "option": "16158",
        "transaction": "230",
        "refund_line": "40057",
    }

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def new(self, kind: str) -> str:
        number = self._next.get(kind, 1)
        self._next[kind] = number + 1
        if kind == "customer":
            return str(4201000000 + number)
        if kind == "refund":
            return f"SL201AS{number:019d}"
        prefix = self.PREFIXES[kind]
        return f"{prefix}{number:0{26 - len(prefix)}d}"


def address(rng: random.Random, first: str, last: str) -> dict[str, Any]:
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


def seed_products(rng: random.Random, ids: Ids, count: int, currency: str) -> list[dict[str, Any]]:
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


def seed_customers(rng: random.Random, ids: Ids, count: int) -> list[dict[str, Any]]:
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


__all__ = ["SEED_START", "STORE_TZ", "Ids", "iso", "money_set", "money_str"]
