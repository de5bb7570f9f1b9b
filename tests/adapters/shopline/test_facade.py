"""SHOPLINE through the public facade against the emulator, sync and async."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import storebridge
from storebridge import (
    Address,
    Conflict,
    CustomerDraft,
    CustomerUpdate,
    FinancialStatus,
    Money,
    NotFound,
    OrderDraft,
    OrderLineDraft,
    OrderStatus,
    ProductDraft,
    RefundLine,
    RestockType,
    ValidationError,
    VariantDraft,
)
from storebridge.flow import Flow, build_request
from storebridge.http import Request, Response
from storebridge.sandbox import Fault
from tests.adapters.shopline.support import World, api_requests, world


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_list_follows_link_header_with_only_page_info_limit_fields() -> None:
    w = world(orders=23, rate_limit=False)
    with w.connect(options=w.options(max_concurrency=1)) as store:  # page by page
        orders = list(store.orders.list(page_size=5, financial_status="paid"))
    expected = [o for o in w.emulator.orders.values() if o["financial_status"] == "paid"]
    assert [o.ref for o in orders] == [o["id"] for o in expected]
    first, *follow_ups = [
        r
        for r in w.emulator.requests
        if r.path.endswith("/orders.json") and "hidden_order" not in r.query
    ]
    assert first.query["financial_status"] == "paid" and first.query["status"] == "any"
    assert len(follow_ups) == (len(expected) - 1) // 5
    for request in follow_ups:
        assert set(request.query) == {"limit", "page_info"}


def test_page_size_is_capped_per_endpoint() -> None:
    w = world(orders=3, rate_limit=False)
    with w.connect() as store:
        list(store.orders.list(page_size=1000))
        list(store.customers.list(page_size=1000))
        list(store.products.list())
    limits = {r.path.rsplit("/", 1)[-1]: r.query.get("limit") for r in w.emulator.requests}
    assert limits["orders.json"] == "100"
    assert limits["customers.json"] == "250"
    assert limits["products.json"] == "250"


def test_updated_since_filters_orders() -> None:
    w = world(orders=10, rate_limit=False)
    rows = sorted(w.emulator.orders.values(), key=lambda o: o["updated_at"])
    cut = datetime.fromisoformat(rows[6]["updated_at"])
    with w.connect() as store:
        recent = list(store.orders.list(updated_since=cut))
        assert {o.ref for o in recent} == {o["id"] for o in rows[6:]}
        with pytest.raises(ValidationError):
            list(store.orders.list(fulfillment_status="lost"))


def test_get_uses_ids_filter_and_reports_missing() -> None:
    w = world(orders=4, rate_limit=False)
    ref = list(w.emulator.orders)[2]
    with w.connect() as store:
        order = store.orders.get(ref)
        assert order.ref == ref and order.lines and order.lines[0].sku
        assert order.total.amount == Decimal(
            w.emulator.render_order(w.emulator.orders[ref])["current_total_price"]
        )
        with pytest.raises(NotFound):
            store.orders.get("999")
    assert w.emulator.requests[0].query["ids"] == ref


def test_orders_have_what_migrations_read() -> None:
    w = world(orders=6, rate_limit=False)
    with w.connect() as store:
        for order in store.orders.list():
            assert order.currency == "USD" and order.total.currency == "USD"
            assert order.email and order.customer is not None
            assert order.shipping_address is not None and order.created_at is not None
            for line in order.lines:
                assert line.sku and line.quantity >= 1 and line.unit_price.currency == "USD"


def test_update_shipping_address_and_tags() -> None:
    w = world(orders=3, rate_limit=False)
    ref = next(iter(w.emulator.orders))
    with w.connect() as store:
        order = store.orders.update_shipping_address(
            ref, Address(first_name="Kari", line1="Storgata 1", city="Oslo", country="NO")
        )
        assert order.shipping_address is not None
        assert (order.shipping_address.line1, order.shipping_address.country) == (
            "Storgata 1",
            "NO",
        )
        tagged = store.extra.set_order_tags(ref, ["x", "y"])
        assert tagged.tags == ("x", "y")
    put = next(r for r in w.emulator.requests if r.method == "PUT")
    assert put.json()["order"]["shipping_address"]["address1"] == "Storgata 1"


def test_cancel_and_cancel_again_is_refused() -> None:
    w = world(orders=3, rate_limit=False)
    ref = list(w.emulator.orders)[1]
    with w.connect() as store:
        cancelled = store.orders.cancel(ref, reason="customer")
        assert cancelled.status is OrderStatus.CANCELLED
        with pytest.raises(Conflict):
            store.orders.cancel(ref)


def _paid_order(w: World) -> str:
    return next(k for k, o in w.emulator.orders.items() if o["financial_status"] == "paid")


def test_refund_calculate_then_create_and_never_above_refundable() -> None:
    w = world(orders=5, rate_limit=False)
    ref = _paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    with w.connect() as store:
        lines = [
            RefundLine(line_ref=line["id"], quantity=line["quantity"], restock=RestockType.RETURN)
        ]
        quote = store.refunds.calculate(ref, lines=lines)
        assert quote.total.amount >= Decimal(line["price"]) * line["quantity"]
        assert quote.allocations[0].transaction_ref.startswith("230")
        refund = store.refunds.create(quote, note="damaged")
        assert refund.amount == quote.total and refund.order_ref == ref
        assert refund.created_at is not None and refund.created_at.tzinfo is not None
        again = store.orders.get(ref)
        assert again.financial_status in (
            FinancialStatus.PARTIALLY_REFUNDED,
            FinancialStatus.REFUNDED,
        )
        assert [r.ref for r in again.refunds] == [refund.ref]
        with pytest.raises(ValidationError) as refused:  # nothing left to refund on the line
            store.refunds.calculate(ref, lines=lines)
        assert refused.value.field == "lines[0].quantity"
        # A quote is single-use: creating it again hands back the same refund, sends nothing.
        posts = len([r for r in w.emulator.requests if r.method == "POST"])
        assert store.refunds.create(quote) == refund
        assert len([r for r in w.emulator.requests if r.method == "POST"]) == posts
    calc = next(r for r in w.emulator.requests if r.path.endswith("calculate.json"))
    assert calc.json()["refund_line_items"][0]["type"] == "Returned"


def test_refund_with_lost_answer_is_read_back_not_resent() -> None:
    w = world(orders=5, rate_limit=False)
    ref = _paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    w.emulator.inject(Fault(kind="drop_after", method="POST", path=r"/order/refund\.json$"))
    with w.connect() as store:
        quote = store.refunds.calculate(ref, lines=[RefundLine(line_ref=line["id"], quantity=1)])
        refund = store.refunds.create(quote)
    assert len(w.emulator.orders[ref]["refunds"]) == 1
    assert refund.ref == w.emulator.orders[ref]["refunds"][0]["id"]
    assert sum(1 for r in w.emulator.requests if r.path.endswith("/order/refund.json")) == 1


def test_customer_create_and_update_keep_tags() -> None:
    w = world(orders=2, rate_limit=False)
    with w.connect() as store:
        created = store.customers.create(
            CustomerDraft(email="kari@example.com", first_name="Kari", tags=("sb:24n:shop:7",))
        )
        assert created.tags == ("sb:24n:shop:7",)
        updated = store.customers.update(created.ref, CustomerUpdate(last_name="Nordmann"))
        assert (updated.first_name, updated.last_name) == ("Kari", "Nordmann")
        assert store.customers.get(created.ref).tags == ("sb:24n:shop:7",)
        found = [c for c in store.customers.list() if c.ref == created.ref]
        assert found and found[0].tags == ("sb:24n:shop:7",)
        with pytest.raises(Conflict) as err:
            store.customers.create(CustomerDraft(email="kari@example.com"))
        assert "email" in err.value.field_errors


def test_product_create_and_historical_order_create() -> None:
    w = world(orders=2, rate_limit=False)
    with w.connect() as store:
        product = store.products.create(
            ProductDraft(
                title="Wool Sock",
                variants=(VariantDraft(sku="WS-1", price=Money("12.50", "USD"), stock=7),),
                tags=("sb:29next:acme:p1",),
            )
        )
        assert product.tags == ("sb:29next:acme:p1",)
        assert (product.variants[0].sku, product.variants[0].stock) == ("WS-1", 7)
        assert store.products.get(product.ref).variants[0].price == Money("12.50", "USD")
        customer = store.customers.create(CustomerDraft(email="ola@example.com"))
        when = datetime(2024, 5, 1, 12, tzinfo=UTC)
        order = store.orders.create(
            OrderDraft(
                currency="USD",
                number="NB-1042",
                lines=(
                    OrderLineDraft(
                        title="Wool Sock", quantity=2, unit_price=Money("12.50", "USD"),
                        sku="WS-1", variant_ref=product.variants[0].ref,
                    ),
                ),
                total=Money("30.00", "USD"),
                shipping_total=Money("5.00", "USD"),
                email="ola@example.com",
                customer_ref=customer.ref,
                created_at=when,
                tags=("sb:24n:shop:o1",),
            )
        )  # fmt: skip
        assert order.number == "NB-1042" and order.total == Money("30.00", "USD")
        assert order.financial_status is FinancialStatus.PAID
        assert order.created_at == when and order.tags == ("sb:24n:shop:o1",)
        assert order.customer is not None and order.customer.ref == customer.ref
        assert order.lines[0].sku == "WS-1"
        currencies = store.run(store.adapter.store_currencies())
        assert currencies is not None and {"USD", "NOK"} <= currencies
        with pytest.raises(ValidationError):
            store.products.create(
                ProductDraft(title="x", variants=(VariantDraft(sku="Z", price=Money(1, "EUR")),))
            )


def test_rate_limited_answers_are_retried() -> None:
    # A client allowed far more than SHOPLINE's 4/s meets the emulator's leaky bucket.
    w = world(orders=60, bucket_size=3, retry_after_header=True)
    fast = w.options(rate_limit=storebridge.RateLimit(per_second=1000, burst=1000))
    with w.connect(options=fast) as store:
        orders = list(store.orders.list(page_size=5))
    assert len(orders) == 60
    assert w.emulator.throttled > 0
    assert w.sleeps and all(s >= 1 for s in w.sleeps)  # Retry-After (whole seconds) was used


def test_declared_rate_limit_keeps_within_the_bucket() -> None:
    w = world(orders=300)
    with w.connect() as store:
        orders = list(store.orders.list(page_size=2))
    assert sorted(o.ref for o in orders) == sorted(w.emulator.orders)
    assert w.emulator.throttled == 0
    # 150 pages, read in windows: a count, the probes and one partial page per window more.
    assert 150 < len(api_requests(w.emulator)) <= 150 * 1.3


def _send(request: Request) -> Flow[Response]:
    response: Response = yield request
    return response


def test_unknown_version_on_the_wire_is_404() -> None:
    w = world(orders=1, rate_limit=False)
    with w.connect() as store:
        url = f"{w.settings['base_url']}/admin/openapi/v20240901/orders.json"
        with pytest.raises(NotFound):
            store.run(_send(build_request("GET", url, operation="test")))
        response = store.request("GET", "orders/count.json")
    assert response.json() == {"count": 1}
    assert all(
        r.headers.get("authorization", "").startswith("Bearer ") for r in w.emulator.requests
    )


@pytest.mark.anyio
async def test_async_operations() -> None:
    w = world(orders=9, rate_limit=False)
    async with w.connect_async() as store:
        orders = [o async for o in store.orders.list(page_size=4)]
        assert len(orders) == 9
        ref = _paid_order(w)
        line = w.emulator.orders[ref]["line_items"][0]
        quote = await store.refunds.calculate(
            ref, lines=[RefundLine(line_ref=line["id"], quantity=1)]
        )
        refund = await store.refunds.create(quote)
        assert refund.amount == quote.total
        customer = await store.customers.create(
            CustomerDraft(email="async@example.com", tags=("t",))
        )
        updated = await store.customers.update(customer.ref, CustomerUpdate(tags=("t", "u")))
        assert updated.tags == ("t", "u")
        other = next(k for k in w.emulator.orders if k != ref)
        assert (await store.orders.cancel(other)).status is OrderStatus.CANCELLED
        since = datetime.now(UTC) - timedelta(days=1)
        assert [c async for c in store.customers.list(updated_since=since)] == []


def test_historical_order_keeps_a_discounted_total() -> None:
    w = world(orders=2, rate_limit=False)
    variant = next(iter(w.emulator.products.values()))["variants"][0]
    price = Money(variant["price"], "USD")
    with w.connect() as store:
        order = store.orders.create(
            OrderDraft(
                currency="USD",
                lines=(
                    OrderLineDraft(title="x", quantity=2, unit_price=price, sku=variant["sku"]),
                ),
                total=Money(price.amount * 2 - Decimal("3.00"), "USD"),
                tax_total=Money("0", "USD"),
            )
        )
    assert order.total == Money(price.amount * 2 - Decimal("3.00"), "USD")
    assert order.discount_total == Money("3.00", "USD")


def test_orders_in_enabled_currencies_only() -> None:
    w = world(orders=1, rate_limit=False, enabled_currencies=("NOK",))
    line = OrderLineDraft(title="x", quantity=1, unit_price=Money("100", "NOK"))
    with w.connect() as store:
        assert store.run(store.adapter.store_currencies()) == frozenset({"USD", "NOK"})
        order = store.orders.create(
            OrderDraft(currency="NOK", lines=(line,), total=Money("100", "NOK"))
        )
        assert order.total == Money("100", "NOK")
        yen = OrderLineDraft(title="x", quantity=1, unit_price=Money("100", "JPY"))
        with pytest.raises(Conflict) as err:
            store.orders.create(OrderDraft(currency="JPY", lines=(yen,), total=Money("100", "JPY")))
        assert "currency" in err.value.field_errors
