"""A write answered with another record's body raises, never returns that record.

A proxy that stores a write's answer (or answers crossed between connections) answers the
second write of a kind with the first one's body. ``customers.create`` returned the
customer an earlier create made, ``orders.cancel`` another order, and on SHOPLINE a refund
of another order was recorded as the quote's own. Each is OutcomeUnknown now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import storebridge
from storebridge import (
    CustomerDraft,
    CustomerUpdate,
    Money,
    OutcomeUnknown,
    ProductDraft,
    RefundLine,
    VariantDraft,
    _http,
)
from tests.migrate.support import connect, sandbox


class ReplayFirstAnswer(_http.BaseTransport):
    """``inner``, with every write ``method`` after the first answered with the first's
    answer (the writes themselves reach the platform)."""

    def __init__(self, inner: Any, method: str, path_end: str = "") -> None:
        self.inner = inner
        self.method = method
        self.path_end = path_end
        self.first: tuple[int, bytes, str] | None = None
        self.on = False

    def handle_request(self, request: _http.Request) -> _http.Response:
        response: _http.Response = self.inner.handle_request(request)
        if not self.on or request.method != self.method:
            return response
        if not request.url.path.endswith(self.path_end):
            return response
        body = response.read()
        if self.first is None:
            self.first = (response.status_code, body, response.headers.get("content-type", ""))
            return response
        status, content, kind = self.first
        return _http.Response(status, headers={"Content-Type": kind}, content=content,
                              request=request)  # fmt: skip


def _open_orders(store: storebridge.Store) -> list[str]:
    return [o.ref for o in store.orders.list() if o.status.value == "open"][:2]


def _cancel(store: storebridge.Store, liar: ReplayFirstAnswer) -> None:
    first, second = _open_orders(store)
    liar.on = True
    store.orders.cancel(first, reason="test")
    store.orders.cancel(second, reason="test")


def _create_customers(store: storebridge.Store, liar: ReplayFirstAnswer) -> None:
    liar.on = True
    store.customers.create(CustomerDraft(email="ann@example.com", first_name="Ann"))
    store.customers.create(CustomerDraft(email="bob@example.com", first_name="Bob"))


def _update_customers(store: storebridge.Store, liar: ReplayFirstAnswer) -> None:
    first, second = [c.ref for c in store.customers.list()][:2]
    liar.on = True
    store.customers.update(first, CustomerUpdate(first_name="Alpha"))
    store.customers.update(second, CustomerUpdate(first_name="Beta"))


def _create_products(store: storebridge.Store, liar: ReplayFirstAnswer) -> None:
    liar.on = True
    for title, sku in (("Alpha", "A-1"), ("Beta", "B-1")):
        variant = VariantDraft(sku=sku, price=Money("10", "USD"))
        store.products.create(ProductDraft(title=title, variants=(variant,)))


WRITES: dict[str, tuple[Callable[..., None], dict[str, str]]] = {
    "orders.cancel": (_cancel, {"29next": "POST", "shopline": "POST"}),
    "customers.create": (_create_customers, {"29next": "POST", "shopline": "POST"}),
    "customers.update": (_update_customers, {"29next": "PATCH", "shopline": "PUT"}),
    "products.create": (_create_products, {"29next": "POST", "shopline": "POST"}),
}


@pytest.mark.parametrize("platform", ["29next", "shopline"])
@pytest.mark.parametrize("operation", sorted(WRITES))
def test_a_write_answered_with_an_earlier_writes_body_raises(platform: str, operation: str) -> None:
    write, methods = WRITES[operation]
    options: dict[str, Any] = {"currency": "USD"} if platform == "shopline" else {}
    kit = sandbox(platform, orders=8, **options)
    liar = ReplayFirstAnswer(kit.emulator.transport(), methods[platform])
    with connect(kit, "shop", transport=liar) as store:
        with pytest.raises(OutcomeUnknown, match="another record"):
            write(store, liar)
    assert liar.first is not None


def test_a_refund_of_another_order_is_not_recorded_as_the_quotes() -> None:
    kit = sandbox("shopline", orders=20)
    liar = ReplayFirstAnswer(kit.emulator.transport(), "POST", path_end="/refund.json")
    with connect(kit, "shop", transport=liar) as store:
        paid = [
            o for o in store.orders.list(detail=True)
            if o.lines and not o.refunds and o.financial_status.value == "paid"
        ][:2]  # fmt: skip
        quotes = [
            store.refunds.calculate(o.ref, lines=[RefundLine(line_ref=o.lines[0].ref, quantity=1)])
            for o in paid
        ]
        liar.on = True
        first = store.refunds.create(quotes[0])
        with pytest.raises(OutcomeUnknown, match="another record"):
            store.refunds.create(quotes[1])  # answered with the first refund
        liar.on = False
        # Not recorded as the quote's: asked again, it looks its own refund up.
        again = store.refunds.create(quotes[1])
    assert again.order_ref == paid[1].ref
    assert again.ref != first.ref


def test_a_shopline_order_update_answered_with_another_order_returns_its_own() -> None:
    """``extra.update_order`` and ``extra.set_order_tags`` (platform operations, past the
    facade's checks) returned the other order; the order written is returned now."""
    kit = sandbox("shopline", orders=8, currency="USD")
    liar = ReplayFirstAnswer(kit.emulator.transport(), "PUT")
    with connect(kit, "shop", transport=liar) as store:
        first, second = _open_orders(store)
        liar.on = True
        store.extra.update_order(first, note="first")
        # Taken for an unreadable answer: the order is read back, and it is this one.
        assert store.extra.update_order(second, note="second").ref == second
        assert store.extra.set_order_tags(second, ["vip"]).ref == second
