"""check_round_trip: what an adapter writes must read back as written, by get and by the
listing, and no listed record may be updated before it was created.

Each broken adapter below is a shipped adapter whose records come out of one converter
bent the way a first draft often is; the bend is the same on every read, so comparing reads
with reads (as the listing checks do) cannot see it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from storebridge.adapter import Adapter
from storebridge.flow import Emit, relay
from storebridge.model import Money
from storebridge.registry import adapter_class
from storebridge.testing.conformance_round_trip import check_round_trip

Bend = Callable[[Any], Any]


def _bent(platform: str, resource: str, bend: Bend) -> type[Adapter]:
    """``platform``'s adapter with every ``resource`` record it reads passed through ``bend``."""
    base = adapter_class(platform)
    one = resource[:-1]

    def on_emit(page: Emit[Any]) -> Generator[Any, Any, Emit[Any] | None]:
        return Emit([bend(item) for item in page.items])
        yield  # pragma: no cover - makes this a generator

    def listed(self: Any, query: Any) -> Any:
        return relay(getattr(base, f"list_{resource}")(self, query), on_emit)

    def got(self: Any, ref: str) -> Any:
        return bend((yield from getattr(base, f"get_{one}")(self, ref)))

    def made(self: Any, draft: Any) -> Any:
        return bend((yield from getattr(base, f"create_{one}")(self, draft)))

    methods = {f"list_{resource}": listed, f"get_{one}": got, f"create_{one}": made}
    return type(f"Bent{base.__name__}", (base,), methods)


def _cents_through_float(money: Money | None) -> Money | None:
    # int(float("19.99") * 100) is 1998: the classic.
    if money is None:
        return None
    return Money(Decimal(int(float(money.amount) * 100)) / 100, money.currency)


def _first_line_only(order: Any) -> Any:
    return attrs.evolve(order, lines=order.lines[:1])


def _prices_through_float(product: Any) -> Any:
    variants = tuple(attrs.evolve(v, price=_cents_through_float(v.price)) for v in product.variants)
    return attrs.evolve(product, variants=variants)


def _names_swapped(customer: Any) -> Any:
    return attrs.evolve(customer, first_name=customer.last_name, last_name=customer.first_name)


def _times_swapped(order: Any) -> Any:
    return attrs.evolve(order, created_at=order.updated_at, updated_at=order.created_at)


def _currency_ignored(order: Any) -> Any:
    return attrs.evolve(order, currency="EUR" if order.currency != "EUR" else "USD")


@pytest.mark.parametrize(
    ("platform", "resource", "bend", "message"),
    [
        ("29next", "orders", _first_line_only, r"has lines \(sku, quantity, unit price\)"),
        ("shopline", "orders", _first_line_only, r"has lines \(sku, quantity, unit price\)"),
        ("29next", "products", _prices_through_float, r"has variants \(sku: price\)"),
        ("shopline", "products", _prices_through_float, r"has variants \(sku: price\)"),
        ("29next", "customers", _names_swapped, r"\(email, first_name, last_name\)"),
        ("shopline", "customers", _names_swapped, r"\(email, first_name, last_name\)"),
        ("29next", "orders", _times_swapped, r"are the two fields swapped"),
        ("24nettbutikk", "customers", _times_swapped, r"are the two fields swapped"),
        ("29next", "orders", _currency_ignored, r"not created as.*in USD, not EUR"),
    ],
)
def test_a_converter_bent_the_same_way_on_every_read_is_caught(
    platform: str, resource: str, bend: Bend, message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        check_round_trip(_bent(platform, resource, bend))


@pytest.mark.parametrize("platform", ["29next", "shopline", "24nettbutikk"])
def test_the_shipped_adapters_pass(platform: str) -> None:
    result = check_round_trip(adapter_class(platform))
    assert result["times_checked"] > 0
    writes = {"29next": 3, "shopline": 3, "24nettbutikk": 0}[platform]  # 24N is read-only
    assert len(set(result) - {"times_checked"}) == writes
