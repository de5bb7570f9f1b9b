"""Deterministic shop data with Norwegian names, addresses and products, at any size.

Records hold typed Python values (Decimal, int, bool, str, None) and ``modified``, the true
instant of their last change in epoch seconds; the emulator renders them to wire rows.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from storebridge.sandbox import SandboxSize
from storebridge.sandbox.draws import Draws

__all__ = ["ANCHOR", "Seeded", "make_customers", "make_orders", "make_products", "seed_shop"]

ANCHOR = datetime(2025, 12, 31, tzinfo=UTC)
"""Seeded records are created and modified in the 400 days before this instant."""

FIRST_NAMES = (
    "Åse", "Bjørn", "Øystein", "Kåre", "Ingrid", "Sølvi", "Håkon", "Mari", "Jørgen", "Tove",
    "Ståle", "Ærling", "Gro", "Pål", "Åsmund", "Siri", "Trond", "Bodil", "Frøydis", "Nils",
)  # fmt: skip
LAST_NAMES = (
    "Løvås", "Sæther", "Bråten", "Strøm", "Haugen", "Ødegård", "Aas", "Kvåle", "Mørk",
    "Sørensen", "Dæhlie", "Hågensen", "Bakken", "Nærbø", "Fjær", "Røed", "Ås", "Lie",
)  # fmt: skip
STREETS = (
    "Storgata", "Kirkeveien", "Bjørnstjerne Bjørnsons gate", "Sjøgata", "Åsveien",
    "Fjordveien", "Kongens gate", "Møllergata", "Tårnveien", "Bryggen", "Løkkeveien",
)  # fmt: skip
CITIES = (
    ("0150", "Oslo"), ("5003", "Bergen"), ("7011", "Trondheim"), ("9008", "Tromsø"),
    ("8006", "Bodø"), ("6002", "Ålesund"), ("2000", "Lillestrøm"), ("6800", "Førde"),
    ("4306", "Sandnes"), ("3510", "Hønefoss"), ("1767", "Halden"), ("2609", "Lillehammer"),
)  # fmt: skip
PRODUCTS = (
    ("Ullgenser", "Klær"), ("Strikkelue", "Klær"), ("Votter med selburose", "Klær"),
    ("Kaffekopp i stentøy", "Kjøkken"), ("Brødfjøl", "Kjøkken"), ("Ostehøvel", "Kjøkken"),
    ("Skjærebrett av bjørk", "Kjøkken"), ("Lefsetakke", "Kjøkken"), ("Tøfler i filt", "Sko"),
    ("Sølvskje", "Gaver"), ("Kjøkkenhåndkle", "Tekstil"), ("Grøtgryte", "Kjøkken"),
    ("Saueskinnsfell", "Interiør"), ("Tursekk 30 l", "Friluft"), ("Fiskestang", "Friluft"),
)  # fmt: skip
ATTRIBUTES = (
    ("Størrelse", ("S", "M", "L", "XL")),
    ("Farge", ("Rød", "Blå", "Grønn", "Hvit")),
)
ORDER_STATUSES = ("1", "2", "3", "4")
PAYMENT_METHODS = (("1", "Kort"), ("3", "Faktura"), ("5", "Vipps"))
SHIPPING = (("2", "Servicepakke", Decimal("99.00")), ("4", "Hentes i butikk", Decimal("0.00")))


_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "aa"})
_END = ANCHOR.timestamp()
"""ANCHOR in epoch seconds: a whole number, so whole seconds back from it are exact floats."""
_ZERO = Decimal("0.00")
_TEN = Decimal("10.00")
_VAT = Decimal("25.00")
_VAT_SHARE = Decimal("0.2")
_CENT = Decimal("0.01")
_ONE = Decimal("1.00")


def _when(rng: Draws, start_days: int = 400) -> float:
    return _END - rng.randrange(86_400, start_days * 86_400)


def _price(rng: Draws) -> Decimal:
    return Decimal(rng.randrange(49, 1999)) + Decimal(rng.choice(("0.00", "0.50", "0.90")))


def make_products(rng: Draws, count: int) -> list[dict[str, Any]]:
    products = []
    for index in range(count):
        pid = index + 1
        name, category = PRODUCTS[index % len(PRODUCTS)]
        if index >= len(PRODUCTS):
            name = f"{name} {index // len(PRODUCTS) + 1}"
        price = _price(rng)
        variants: list[dict[str, Any]] = []
        attributes: dict[str, list[str]] = {}
        if rng.random() < 0.5:
            attr, values = ATTRIBUTES[rng.below(len(ATTRIBUTES))]
            chosen = values[: rng.randrange(2, len(values) + 1)]
            attributes[attr] = list(chosen)
            for n, value in enumerate(chosen, start=1):
                variants.append(
                    {
                        "uid": f"{pid}-{n}",
                        "label": f"{attr}: {value}",
                        "options": {attr: value},
                        "article_no": f"NB-{pid:04d}-{n}",
                        "price": price + Decimal(10 * (n - 1)),
                        "stock": rng.randrange(0, 40),
                    }
                )
        modified = _when(rng)
        products.append(
            {
                "id": pid,
                "name": name,
                "category": category,
                "article_no": f"NB-{pid:04d}",
                "ean_code": f"70{rng.randrange(10**10, 10**11)}",
                "summary": f"{name} fra Norge",
                "description": f"<p>{name}: håndlaget kvalitet, levert fra vårt lager.</p>",
                "buying_price": (price * Decimal("0.4")).quantize(Decimal("0.01")),
                "price": price,
                "sales_price": None,
                "weight": Decimal(rng.randrange(100, 3000)) / 1000,
                "active": True,
                "stock": rng.randrange(0, 100),
                "vat": Decimal("25.00"),
                "attributes": attributes,
                "variants": variants,
                "modified": modified,
            }
        )
    return products


def make_customers(rng: Draws, count: int) -> list[dict[str, Any]]:
    customers = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        postcode, city = rng.choice(CITIES)
        company = rng.random() < 0.15
        delivery = rng.random() < 0.3
        d_postcode, d_city = rng.choice(CITIES)
        registered = _when(rng)
        mail_name = f"{first}.{last}".lower().translate(_ASCII).replace(" ", "")
        customers.append(
            {
                "id": 1000 + index,
                "customer_type": "2" if company else "1",
                "first_name": first,
                "last_name": last,
                "company_name": f"{last} Handel AS" if company else None,
                "contact_person": f"{first} {last}" if company else None,
                "address_1": f"{rng.choice(STREETS)} {rng.randrange(1, 120)}",
                "address_2": None,
                "postcode": postcode,
                "city": city,
                "country": "Norge",
                "phone": f"9{rng.randrange(1000000, 9999999)}",
                "organisation_no": str(rng.randrange(900_000_000, 999_999_999))
                if company
                else None,
                "e_mail": f"{mail_name}{index}@eksempel.no",
                "use_delivery_address": delivery,
                "delivery_name": f"{rng.choice(FIRST_NAMES)} {last}" if delivery else None,
                "delivery_address_1": f"{rng.choice(STREETS)} {rng.randrange(1, 80)}"
                if delivery
                else None,
                "delivery_address_2": None,
                "delivery_postcode": d_postcode if delivery else None,
                "delivery_city": d_city if delivery else None,
                "registration": registered,
                "active": True,
                "modified": min(_END, registered + rng.randrange(0, 90 * 86_400)),
            }
        )
    return customers


def make_orders(
    rng: Draws,
    count: int,
    customers: list[dict[str, Any]],
    products: list[dict[str, Any]],
    currency: str = "NOK",
) -> list[dict[str, Any]]:
    orders = []
    line_id = 50_000
    # Draws pick by position, so these lists stand in for the products and variants.
    wares = [(p, [(v, f"{p['name']} ({v['label']})") for v in p["variants"]]) for p in products]
    for index in range(count):
        customer = customers[index % len(customers)] if customers else None
        placed = _when(rng, 380)
        lines = []
        for _ in range(rng.randrange(1, 4)):
            product, variants = rng.choice(wares)
            variant, name = rng.choice(variants) if variants else (None, product["name"])
            quantity = rng.randrange(1, 4)
            unit_price = variant["price"] if variant else product["price"]
            discount = _TEN if rng.random() < 0.2 else _ZERO
            gross = unit_price * quantity - discount
            line_id += 1
            lines.append(
                {
                    "id": line_id,
                    "product_id": product["id"],
                    "unique_product_id": variant["uid"] if variant else None,
                    "product_name": name,
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "sent": False,
                    "quantity_sent": 0,
                    "sent_date": None,
                    "tracking_number": None,
                    "vat": _VAT,
                    "blocked": False,
                    "extra_field": None,
                    "extra_price": _ZERO,
                    "discount": discount,
                    "total_amount_gross": gross,
                    "total_vat": (gross * _VAT_SHARE).quantize(_CENT),
                    "attributes": dict(variant["options"]) if variant else None,
                }
            )
        ship_id, ship_text, ship_cost = rng.choice(SHIPPING)
        pay_id, pay_text = rng.choice(PAYMENT_METHODS)
        gross = sum((ln["total_amount_gross"] for ln in lines), Decimal(0)) + ship_cost
        paid = rng.random() < 0.8
        orders.append(
            {
                "order_no": 10_000 + index,
                "customer_id": customer["id"] if customer else None,
                "customer_comment": "Ring på døra, takk!" if rng.random() < 0.1 else None,
                "status": rng.choice(ORDER_STATUSES),
                "fraud_status": "0",
                "placed": placed,
                "payment_method_id": pay_id,
                "payment_method": pay_text,
                "payment_addition": _ZERO,
                "shipping_method": ship_id,
                "shipping_method_text": ship_text,
                "shipping_costs": ship_cost,
                "shipping_svalbard": _ZERO,
                "vat": _VAT,
                "addition_vat": _VAT,
                "effected": paid,
                "transaction_no": f"T{rng.randrange(10**8, 10**9)}" if paid else None,
                "invoice_no": None,
                "paid": paid,
                "deleted": rng.random() < 0.05,
                "gift_card": False,
                "shop_comment": None,
                "blocked": False,
                "tripletex_sent": False,
                "rest": False,
                "currency": currency,
                "exchange_rate": _ONE,
                "total_amount_gross": gross,
                "total_vat": (gross * _VAT_SHARE).quantize(_CENT),
                "pickuppoint": None,
                "lines": lines,
                "modified": min(_END, placed + rng.randrange(0, 20 * 86_400)),
            }
        )
    return orders


Seeded = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def seed_shop(size: SandboxSize, currency: str) -> Seeded:
    """Products, customers and orders for ``size`` (same seed, same shop)."""
    rng = Draws(random.Random(size.seed))
    n_products = size.products if size.products is not None else max(3, size.orders // 3)
    n_customers = size.customers if size.customers is not None else max(1, (size.orders + 1) // 2)
    products = make_products(rng, n_products)
    customers = make_customers(rng, n_customers)
    orders = make_orders(rng, size.orders, customers, products, currency) if products else []
    return products, customers, orders
