"""29 Next through the public facade, against the emulator (in-process), sync and async."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import storebridge
from storebridge import (
    Address,
    AuthenticationError,
    ConfigurationError,
    CustomerDraft,
    CustomerUpdate,
    Money,
    NotFound,
    OrderStatus,
    RefundLine,
    RestockType,
    UnsupportedOperation,
    ValidationError,
)
from tests.adapters.twentyninenext.support import fixtures

Harness = fixtures.Harness
harness = fixtures.harness
store = fixtures.store
astore = fixtures.astore
anyio_backend = fixtures.anyio_backend


def _unfulfilled_paid(store: storebridge.Store) -> storebridge.Order:
    for row in store.orders.list(financial_status="paid"):
        order = store.orders.get(row.ref)
        if order.lines and all(
            line.fulfillment_status.value == "unfulfilled" and line.requires_shipping
            for line in order.lines
        ):
            return order
    raise AssertionError("seed has no unfulfilled paid order")


def _fulfilled_paid(store: storebridge.Store) -> storebridge.Order:
    for row in store.orders.list(financial_status="paid"):
        order = store.orders.get(row.ref)
        if (
            order.lines
            and order.shipping_total is not None
            and order.shipping_total.amount > 0
            and all(line.fulfillment_status.value == "fulfilled" for line in order.lines)
        ):
            return order
    raise AssertionError("seed has no fulfilled paid order")


def test_lists_every_order_across_cursor_pages(harness: Harness, store: storebridge.Store) -> None:
    orders = list(store.orders.list())
    assert len(orders) == 25  # page size 20: two pages
    assert len({o.number for o in orders}) == 25
    assert all(o.partial and o.lines == () for o in orders)
    pages = [r for r in harness.emulator.requests if r.path == "/api/admin/orders/"]
    assert len(pages) == 2 and "cursor" in pages[1].query


def test_detail_lists_fill_lines_with_one_request_per_order(
    harness: Harness, store: storebridge.Store
) -> None:
    orders = list(store.orders.list(detail=True))
    assert len(orders) == 25
    assert all(not o.partial and o.lines for o in orders)
    first = orders[0]
    assert first.lines[0].sku and first.lines[0].quantity >= 1
    assert first.total.currency == "USD" and first.email and first.customer is not None
    assert first.created_at is not None and first.created_at.tzinfo is not None
    gets = [r for r in harness.emulator.requests if r.path.count("/") == 5 and r.method == "GET"]
    assert len(gets) == 25


def test_get_order_with_lines_and_address(store: storebridge.Store) -> None:
    order = store.orders.get("100001")
    assert order.number == "100001" and order.ref == "100001"
    assert order.status is OrderStatus.OPEN
    line_total = sum((line.unit_price.amount * line.quantity for line in order.lines), Decimal(0))
    assert order.total.amount == line_total + (order.shipping_total or Money(0, "USD")).amount
    assert order.shipping_address is not None and order.shipping_address.city
    assert order.transactions and order.transactions[0].amount == order.total


def test_updated_since_filters_exactly(store: storebridge.Store) -> None:
    everything = list(store.orders.list())
    cut = sorted(o.updated_at for o in everything if o.updated_at)[10]
    recent = list(store.orders.list(updated_since=cut))
    assert {o.number for o in recent} == {
        o.number for o in everything if o.updated_at and o.updated_at >= cut
    }


def test_created_window_uses_day_filters_then_exact_times(
    harness: Harness, store: storebridge.Store
) -> None:
    everything = list(store.orders.list())
    times = sorted(o.created_at for o in everything if o.created_at)
    since, until = times[5], times[12]
    window = list(store.orders.list(created_since=since, created_until=until))
    assert len(window) == 8
    last = harness.emulator.requests[-1]
    assert last.query["date_placed_from"] == (since - timedelta(days=1)).date().isoformat()


def test_missing_order_is_not_found(store: storebridge.Store) -> None:
    with pytest.raises(NotFound) as caught:
        store.orders.get("999999")
    assert caught.value.message == "Not found."


def test_customer_create_update_and_tags(store: storebridge.Store) -> None:
    created = store.customers.create(
        CustomerDraft(
            email="new.person@example.com",
            first_name="New",
            last_name="Person",
            tags=("sb:shopline:acme:42",),
            addresses=(Address(line1="1 Main St", city="Austin", country="US"),),
        )
    )
    assert created.tags == ("sb:shopline:acme:42",)
    assert created.addresses[0].city == "Austin"
    updated = store.customers.update(created.ref, CustomerUpdate(first_name="Renamed"))
    assert updated.first_name == "Renamed"
    assert store.customers.get(created.ref).first_name == "Renamed"
    emails = [c.email for c in store.customers.list()]
    assert "new.person@example.com" in emails


def test_duplicate_customer_email_gives_field_error(store: storebridge.Store) -> None:
    existing = next(iter(store.customers.list()))
    assert existing.email is not None
    with pytest.raises(storebridge.APIError) as caught:
        store.customers.create(CustomerDraft(email=existing.email))
    assert caught.value.status == 400
    assert "email" in caught.value.field_errors


def test_products_with_stock_and_transactions(store: storebridge.Store) -> None:
    products = list(store.products.list())
    assert products and all(p.variants for p in products)
    variant = products[0].variants[0]
    assert variant.sku and variant.price is not None and variant.stock is not None
    assert store.products.get(products[0].ref).title == products[0].title
    transactions = list(store.transactions.list())
    assert len(transactions) == 25
    assert [t.ref for t in store.transactions.list(order_ref="100001")]


def test_partial_refund_calculate_then_create(harness: Harness, store: storebridge.Store) -> None:
    order = _fulfilled_paid(store)
    line = order.lines[0]
    quote = store.refunds.calculate(
        order.ref,
        lines=[RefundLine(line_ref=line.ref, quantity=1, restock=RestockType.NO_RESTOCK)],
        shipping=Money("1.00", "USD"),
    )
    assert quote.total == line.unit_price + Money("1.00", "USD")
    assert quote.allocations and quote.allocations[0].amount == quote.total
    refund = store.refunds.create(quote, note="damaged", notify=False)
    assert refund.amount == quote.total and refund.note == "damaged"
    after = store.orders.get(order.ref)
    assert after.financial_status_raw == "partially_refunded"
    assert [r.ref for r in after.refunds] == [refund.ref]


def test_refund_restock_rules_are_checked_before_any_write(
    harness: Harness, store: storebridge.Store
) -> None:
    order = _unfulfilled_paid(store)
    before = len(harness.emulator.requests)
    with pytest.raises(ValidationError) as caught:
        store.refunds.calculate(
            order.ref,
            lines=[RefundLine(line_ref=order.lines[0].ref, quantity=1, restock=RestockType.RETURN)],
        )
    assert caught.value.field == "lines[0].restock" and "cancel" in str(caught.value)
    sent = harness.emulator.requests[before:]
    assert [r.method for r in sent] == ["GET"]  # only the order was read


def test_uncaptured_payment_cannot_be_partially_refunded(store: storebridge.Store) -> None:
    order = store.orders.get("100004")  # seed: every 5th order from index 3 is authorized only
    assert order.financial_status_raw == "authorized"
    with pytest.raises(ValidationError, match="not captured"):
        store.refunds.calculate(
            order.ref,
            lines=[RefundLine(line_ref=order.lines[0].ref, quantity=1, restock=RestockType.CANCEL)],
        )


def test_quotes_above_refundable_are_refused_before_any_write(harness: Harness) -> None:
    with harness.connect() as store:
        order = _fulfilled_paid(store)
        quote = store.refunds.calculate(
            order.ref,
            lines=[
                RefundLine(line_ref=order.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK)
            ],
        )
        inflated = storebridge.RefundQuote(
            platform="29next",
            order_ref=order.ref,
            lines=quote.lines,
            total=order.total + Money("50.00", "USD"),
            allocations=(
                storebridge.TransactionAllocation(
                    transaction_ref=quote.allocations[0].transaction_ref,
                    amount=order.total + Money("50.00", "USD"),
                ),
            ),
        )
        before = len(harness.emulator.requests)
        with pytest.raises(ValidationError) as caught:
            store.refunds.create(inflated)
        assert caught.value.field == "quote.allocations[0].amount"
        assert [r.method for r in harness.emulator.requests[before:]] == ["GET"]


def test_emulator_refuses_refunds_above_refundable(harness: Harness) -> None:
    with harness.connect() as store:
        order = _fulfilled_paid(store)
    txn = order.transactions[0]
    body = {
        "transactions": [{"id": int(txn.ref), "amount": str(txn.amount.amount + 50)}],
        "refund_lines": [],
    }
    transport = harness.emulator.transport()
    response = transport.handle_request(
        storebridge.http.Request(
            "POST",
            f"https://acme.29next.store/api/admin/orders/{order.ref}/refund/",
            json=body,
            headers={"Authorization": f"Bearer {harness.emulator.token}"},
        )
    )
    response.read()
    assert response.status_code == 400
    assert "transactions" in response.json()


def test_cancel_with_full_refund(store: storebridge.Store) -> None:
    order = _unfulfilled_paid(store)
    with pytest.raises(ValidationError):
        store.orders.cancel(order.ref)  # 29 Next requires a reason
    cancelled = store.orders.cancel(order.ref, reason="Customer asked", refund=True)
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.financial_status_raw == "refunded"
    assert any(t.kind.value == "refund" for t in cancelled.transactions)


def test_update_shipping_address(store: storebridge.Store) -> None:
    address = Address(
        first_name="Ada", last_name="Ng", line1="4765 Test Lane West", city="Mountain Pass",
        region="CA", postal_code="92366", country="US",
    )  # fmt: skip
    order = store.orders.update_shipping_address("100001", address)
    assert order.shipping_address is not None
    assert order.shipping_address.line1 == "4765 Test Lane West"
    assert store.orders.get("100001").shipping_address == order.shipping_address


def test_move_fulfillment_order(store: storebridge.Store) -> None:
    order = _unfulfilled_paid(store)
    fos = store.extra.fulfillment_orders(order.ref)
    open_fo = next(fo for fo in fos if fo.status_raw == "open")
    locations = store.extra.available_locations(open_fo.ref)
    target = next(
        (loc for loc in locations if set(loc.line_refs) == {line.ref for line in open_fo.lines}),
        None,
    )
    target_ref = target.ref if target else "3"
    moved = store.extra.move_fulfillment_order(open_fo.ref, target_ref)
    assert moved.moved.location_ref == target_ref and moved.moved.status_raw == "open"
    assert moved.original.status_raw == "closed"


def test_move_requires_open_fulfillment_order(store: storebridge.Store) -> None:
    order = _unfulfilled_paid(store)
    fo = store.extra.fulfillment_orders(order.ref)[0]
    requested = store.extra.request_fulfillment(fo.ref, message="ship fast")
    assert requested.requested.status_raw == "processing" and requested.unrequested is None
    with pytest.raises(ValidationError, match="request_fulfillment_cancellation"):
        store.extra.move_fulfillment_order(fo.ref, "2")
    reopened = store.extra.request_fulfillment_cancellation(fo.ref, message="moving")
    assert reopened.status_raw == "open"
    held = store.extra.hold_fulfillment_order(fo.ref, reason="address_incorrect", message="check")
    assert held.status_raw == "on_hold"


def test_split_fulfillment_request(store: storebridge.Store) -> None:
    for row in store.orders.list():
        fos = store.extra.fulfillment_orders(row.ref)
        fo = next(
            (f for f in fos if f.status_raw == "open" and f.lines and f.lines[0].quantity > 1), None
        )
        if fo is not None:
            break
    else:
        raise AssertionError("no splittable fulfillment order in the seed")
    result = store.extra.request_fulfillment(fo.ref, lines={fo.lines[0].ref: 1})
    assert result.requested.lines[0].quantity == 1
    assert result.unrequested is not None


def test_auth_errors_and_version_setting(harness: Harness) -> None:
    with storebridge.connect(
        "29next", transport=harness.transport(), options=harness.options,
        base_url="https://acme.29next.store/api/admin", access_token="wrong-token-123",
    ) as bad:  # fmt: skip
        with pytest.raises(AuthenticationError) as caught:
            bad.orders.get("100001")
        assert caught.value.message.startswith("Invalid token. (check the setting access_token=")
    with pytest.raises(ConfigurationError) as config:
        storebridge.connect("29next", store="acme", access_token="t", api_version="2022-01-01")
    assert config.value.setting == "api_version" and "2024-04-01" in str(config.value)
    with pytest.raises(ConfigurationError) as neither:
        storebridge.connect("29next", access_token="t")
    assert neither.value.setting == "store"
    with storebridge.connect("29next", store="acme", access_token="t") as real:
        assert real.adapter.base_url == "https://acme.29next.store/api/admin"


def test_throttled_requests_are_retried_after_retry_after(harness: Harness) -> None:
    options = storebridge.StoreOptions(
        clock=harness.clock, sleep=harness.clock.advance,
        rate_limit=storebridge.RateLimit(per_second=100, burst=100),
    )  # fmt: skip
    with storebridge.connect(
        "29next", transport=harness.transport(), options=options, **harness.settings()
    ) as fast:
        for _ in range(6):
            fast.orders.get("100001")
    statuses = [r.path for r in harness.emulator.requests]
    assert len(statuses) >= 7  # the fifth request was throttled (429) and sent again


def test_legacy_version_refunds(harness: Harness) -> None:
    with harness.connect(api_version="2023-02-10") as legacy:
        with pytest.raises(UnsupportedOperation, match="2024-04-01"):
            legacy.refunds.calculate("100001", lines=[RefundLine(line_ref="1", quantity=1)])
        order = legacy.orders.get("100002")
        assert order.lines and order.lines[0].sku
        quote = storebridge.RefundQuote(
            platform="29next", order_ref=order.ref, lines=(), total=Money("5.00", "USD")
        )
        refund = legacy.refunds.create(quote)
        assert refund.amount == Money("5.00", "USD")


@pytest.mark.anyio
async def test_async_facade(harness: Harness, astore: storebridge.AsyncStore) -> None:
    orders = [o async for o in astore.orders.list(detail=True)]
    assert len(orders) == 25 and all(o.lines for o in orders)
    created = await astore.customers.create(CustomerDraft(email="async@example.com"))
    updated = await astore.customers.update(created.ref, CustomerUpdate(last_name="Async"))
    assert updated.last_name == "Async"
    target = next(
        o for o in orders
        if o.financial_status_raw == "paid"
        and all(line.fulfillment_status.value == "fulfilled" for line in o.lines)
    )  # fmt: skip
    quote = await astore.refunds.calculate(
        target.ref,
        lines=[
            RefundLine(line_ref=target.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK)
        ],
    )
    refund = await astore.refunds.create(quote)
    assert refund.amount == quote.total
    open_order = next(
        o
        for o in orders
        if o.financial_status_raw == "paid" and o.fulfillment_status_raw == "unfulfilled"
    )
    cancelled = await astore.orders.cancel(open_order.ref, reason="async", refund=True)
    assert cancelled.status is OrderStatus.CANCELLED
    fos = await astore.extra.fulfillment_orders(orders[0].ref)
    assert isinstance(fos, list)
    assert orders[0].created_at is not None and datetime.now(UTC) > orders[0].created_at


def test_migration_target_creates_keep_identity_tags(store: storebridge.Store) -> None:
    product = store.products.create(
        storebridge.ProductDraft(
            title="Imported Lamp",
            variants=(
                storebridge.VariantDraft(sku="IMP-LAMP", price=Money("19.50", "USD"), stock=7),
            ),
            tags=("sb:shopline:acme:p1",),
        )
    )
    assert product.tags == ("sb:shopline:acme:p1",)
    assert product.variants[0].stock == 7 and product.variants[0].price == Money("19.50", "USD")
    placed = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    order = store.orders.create(
        storebridge.OrderDraft(
            currency="USD",
            lines=(
                storebridge.OrderLineDraft(
                    title="Imported Lamp",
                    quantity=2,
                    unit_price=Money("19.50", "USD"),
                    sku="IMP-LAMP",
                ),
            ),
            total=Money("39.00", "USD"),
            email="migrated@example.com",
            created_at=placed,
            tags=("sb:shopline:acme:o1",),
            shipping_address=Address(
                first_name="Mi", last_name="Grant", line1="1 Road", city="Austin", country="US"
            ),
        )
    )
    assert order.tags == ("sb:shopline:acme:o1",)
    assert order.created_at == placed and order.total == Money("39.00", "USD")
    assert order.financial_status_raw == "paid" and order.lines[0].sku == "IMP-LAMP"
    assert store.orders.get(order.ref).email == "migrated@example.com"


def test_orders_read_in_parallel_time_slices_match_one_walk() -> None:
    import storebridge as sb
    from storebridge.registry import adapter_class

    # The server's bucket as deep as the client's: parallel slices, not 429s, are the subject.
    kit = adapter_class("29next").sandbox(
        seed=4, orders=40, page_size=5, rate_limit=1000.0, burst=1000
    )
    fast = sb.StoreOptions(rate_limit=sb.RateLimit(1000, 1000))
    with sb.connect(
        "29next", transport=kit.emulator.transport(), options=fast,
        **kit.settings("https://acme.29next.store"),
    ) as store:  # fmt: skip
        everything = list(store.orders.list())
        stamps = [o.created_at for o in everything if o.created_at is not None]
        start, end = min(stamps), max(stamps)
        one_walk = {o.ref for o in store.orders.list(created_since=start, created_until=end)}
        before = len(kit.emulator.requests)
        sliced = [
            o.ref for o in store.orders.list(created_since=start, created_until=end, slices=4)
        ]
        sliced_requests = len(kit.emulator.requests) - before
        with pytest.raises(sb.ValidationError, match="created_since and created_until"):
            list(store.orders.list(slices=4))
    assert len(sliced) == len(set(sliced))  # overlapping windows do not repeat orders
    assert set(sliced) == one_walk == {o.ref for o in everything}
    assert sliced_requests >= 4  # four cursors, not one
