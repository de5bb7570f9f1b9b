"""The facade over a small adapter: pagination, retries, writes, rate limits, errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import storebridge
from storebridge import CustomerDraft, OutcomeUnknown, RefundLine
from storebridge._ratelimit import CLIENT_SHARE
from storebridge.http import MockTransport, Request, Response
from storebridge.registry import adapter_class
from storebridge.sandbox import Fault
from tests.support.fakes import FakeTime
from tests.support.toy import ToyEmulator

TOKEN = "toy-secret-token-123"
pytestmark = pytest.mark.usefixtures("toy_registered")


def connect(emulator: ToyEmulator, fake: FakeTime | None = None, **kw: Any) -> storebridge.Store:
    fake = fake or FakeTime()
    return storebridge.connect(
        "toy",
        base_url="https://toy.example",
        token=TOKEN,
        transport=emulator.transport(),
        options=fake.options(),
        **kw,
    )


def test_list_walks_every_page_lazily() -> None:
    emu = ToyEmulator(orders=7)
    with connect(emu) as store:
        orders = store.orders.list()
        assert emu.requests == []  # nothing is fetched before iteration
        first = next(orders)
        assert first.ref == "1"
        assert len(emu.requests) == 1
        rest = list(orders)
    assert [o.ref for o in [first, *rest]] == [str(i) for i in range(1, 8)]
    assert len(emu.requests) == 4  # pages of 2: 2+2+2+1


def test_get_returns_model_with_decimal_money() -> None:
    emu = ToyEmulator(orders=3)
    with connect(emu) as store:
        order = store.orders.get("3")
    assert order.total == storebridge.Money("3.50", "EUR")
    assert order.raw["id"] == "3"
    assert order.platform == "toy"


def test_idempotent_get_retries_5xx_with_backoff() -> None:
    emu = ToyEmulator(orders=3)
    emu.inject(Fault(status=503, method="GET", path="/orders/2", times=2))
    fake = FakeTime()
    with connect(emu, fake) as store:
        assert store.orders.get("2").ref == "2"
    assert [r.path for r in emu.requests] == ["/orders/2"]  # faults answer before the handler
    assert len(fake.sleeps) == 2
    assert 0.25 <= fake.sleeps[0] <= 0.5 and 0.5 <= fake.sleeps[1] <= 1.0


def test_retry_after_wins_over_backoff() -> None:
    emu = ToyEmulator(orders=3)
    emu.inject(Fault(status=429, path="/orders/1", headers={"Retry-After": "7"}))
    fake = FakeTime()
    with connect(emu, fake) as store:
        store.orders.get("1")
    assert fake.sleeps == [7.0]


def test_retries_stop_after_max_attempts() -> None:
    emu = ToyEmulator(orders=3)
    emu.inject(Fault(status=502, path="/orders/1", times=10))
    fake = FakeTime()
    with connect(emu, fake) as store, pytest.raises(storebridge.ServerError) as info:
        store.orders.get("1")
    assert info.value.status == 502
    assert len(fake.sleeps) == 3  # 4 attempts


def test_write_is_not_resent_after_5xx() -> None:
    emu = ToyEmulator()
    emu.inject(Fault(status=500, method="POST", path="/customers"))
    with connect(emu) as store, pytest.raises(OutcomeUnknown, match="not sent again"):
        store.customers.create(CustomerDraft(email="a@example.com"))
    # The 500 left the outcome unknown: the adapter read back, found nothing, and did not
    # send the create again (the read could lag behind the write).
    assert [r.method for r in emu.requests if r.method == "POST"] == []
    assert [r.method for r in emu.requests] == ["GET"]


def test_lost_write_answer_is_reconciled_not_duplicated() -> None:
    emu = ToyEmulator()
    emu.inject(Fault(kind="drop_after", method="POST", path="/customers"))
    with connect(emu) as store:
        created = store.customers.create(CustomerDraft(email="b@example.com"))
    assert len(emu.customers) == 1  # processed once, never sent again
    assert created.ref == "1"


def test_write_without_reconciliation_raises_outcome_unknown() -> None:
    calls: list[Request] = []

    def failing(request: Request) -> Response:
        calls.append(request)
        from storebridge._http import ReadTimeout

        raise ReadTimeout("read timed out", request=request)

    with storebridge.connect(
        "toy", base_url="https://toy.example", token=TOKEN,
        transport=MockTransport(failing), options=FakeTime().options(),
    ) as store:  # fmt: skip
        with pytest.raises(storebridge.OutcomeUnknown):
            store.request("POST", "/anything", json={"x": 1})
    assert len(calls) == 1


def test_connect_errors_retry_even_writes() -> None:
    attempts: list[str] = []

    def flaky(request: Request) -> Response:
        attempts.append(request.method)
        if len(attempts) < 3:
            from storebridge._http import ConnectError

            raise ConnectError("refused", request=request)
        return Response(201, json={"id": "9", "email": "c@example.com"})

    with storebridge.connect(
        "toy", base_url="https://toy.example", token=TOKEN,
        transport=MockTransport(flaky), options=FakeTime().options(),
    ) as store:  # fmt: skip
        customer = store.customers.create(CustomerDraft(email="c@example.com"))
    assert customer.ref == "9"
    assert attempts == ["POST", "POST", "POST"]


def test_rate_limit_spaces_requests_with_injected_clock() -> None:
    # A token of its own, so the bucket is not shared with other tests' stores.
    emu = ToyEmulator(orders=10, token="other-token-abcdef")
    fake = FakeTime()
    limit = storebridge.RateLimit(per_second=4, burst=1)
    with storebridge.connect(
        "toy", base_url="https://toy.example", token="other-token-abcdef",
        transport=emu.transport(), options=fake.options(rate_limit=limit),
    ) as store:  # fmt: skip
        for ref in ["1", "2", "3", "4", "5"]:
            store.orders.get(ref)
    # Clients keep a little inside the declared limit (CLIENT_SHARE), never above it.
    assert fake.sleeps == pytest.approx([1 / (4 * CLIENT_SHARE)] * 4)


def test_unsupported_operation_raises_before_any_request() -> None:
    emu = ToyEmulator()
    with connect(emu) as store:
        assert "refunds.calculate" not in store.capabilities
        with pytest.raises(storebridge.UnsupportedOperation, match="Toy does not support refunds"):
            store.refunds.calculate("1", lines=[RefundLine(line_ref="1", quantity=1)])
    assert emu.requests == []


def test_validation_error_before_any_request() -> None:
    emu = ToyEmulator()
    with connect(emu) as store:
        with pytest.raises(storebridge.ValidationError) as info:
            store.customers.create(CustomerDraft(email="not-an-email"))
        assert info.value.field == "email"
        with pytest.raises(storebridge.ValidationError):
            store.orders.get("")
    assert emu.requests == []


def test_api_errors_map_to_the_tree() -> None:
    emu = ToyEmulator()
    with connect(emu) as store:
        with pytest.raises(storebridge.NotFound) as info:
            store.orders.get("404")
    err = info.value
    assert isinstance(err, storebridge.APIError)
    assert err.status == 404 and err.platform == "Toy" and err.message == "Not found."


def test_raw_request_helper_uses_auth_and_maps_errors() -> None:
    emu = ToyEmulator(orders=2)
    with connect(emu) as store:
        response = store.request("GET", "orders/1")
        assert response.json()["id"] == "1"
        with pytest.raises(storebridge.ValidationError, match="base URL"):
            store.request("GET", "https://elsewhere.example/x")


def test_unknown_platform_lists_installed() -> None:
    with pytest.raises(storebridge.ConfigurationError) as info:
        storebridge.connect("nope")
    assert "toy" in str(info.value) and info.value.setting == "platform"


def test_missing_and_malformed_settings_are_named() -> None:
    with pytest.raises(storebridge.ConfigurationError) as info:
        storebridge.connect("toy", base_url="https://toy.example")
    assert info.value.setting == "token"
    with pytest.raises(storebridge.ConfigurationError) as info:
        storebridge.connect("toy", base_url="http://shop.example", token=TOKEN)
    assert info.value.setting == "base_url" and "https" in str(info.value)
    with pytest.raises(storebridge.ConfigurationError) as info:
        storebridge.connect("toy", base_url="https://toy.example", token=TOKEN, colour="red")
    assert info.value.setting == "colour"


def test_plain_http_is_fine_on_loopback() -> None:
    emu = ToyEmulator(orders=3)
    with emu.serve() as url, storebridge.connect("toy", base_url=url, token=TOKEN) as store:
        assert url.startswith("http://127.0.0.1:")
        assert [o.ref for o in store.orders.list()] == ["1", "2", "3"]


def test_extra_lists_platform_operations() -> None:
    emu = ToyEmulator()
    with connect(emu) as store, pytest.raises(AttributeError, match="no platform operation"):
        store.extra.frobnicate()


@pytest.mark.anyio
async def test_async_store_pages_and_gets() -> None:
    emu = ToyEmulator(orders=5)
    fake = FakeTime()
    async with storebridge.connect_async(
        "toy", base_url="https://toy.example", token=TOKEN,
        transport=emu.transport(), options=fake.options(),
    ) as store:  # fmt: skip
        refs = [o.ref async for o in store.orders.list()]
        order = await store.orders.get("4")
    assert refs == ["1", "2", "3", "4", "5"]
    assert order.total.amount == storebridge.Money("4.5", "EUR").amount


@pytest.mark.anyio
async def test_async_retries_and_reconciles() -> None:
    emu = ToyEmulator(orders=2)
    emu.inject(Fault(status=503, path="/orders/1", times=1))
    emu.inject(Fault(kind="drop_after", method="POST", path="/customers"))
    fake = FakeTime()
    async with storebridge.connect_async(
        "toy", base_url="https://toy.example", token=TOKEN,
        transport=emu.transport(), options=fake.options(),
    ) as store:  # fmt: skip
        assert (await store.orders.get("1")).ref == "1"
        customer = await store.customers.create(CustomerDraft(email="d@example.com"))
    assert len(fake.sleeps) == 1
    assert len(emu.customers) == 1 and customer.email == "d@example.com"


def test_with_options_overrides_per_call_and_shares_the_connection() -> None:
    emu = ToyEmulator(orders=3)
    emu.inject(Fault(status=503, path="/orders/1", times=5))
    fake = FakeTime()
    with connect(emu, fake) as store:
        patient = store.with_options(retry=storebridge.RetryPolicy(max_attempts=8))
        with patient:
            assert patient.orders.get("1").ref == "1"  # 5 failures, 6th try succeeds
        assert patient.options.retry.max_attempts == 8
        assert store.options.retry.max_attempts == 4  # the original is unchanged
        assert store.orders.get("2").ref == "2"  # still open after the derived one closed


def test_timeout_reaches_every_request() -> None:
    seen: list[object] = []

    def handler(request: Request) -> Response:
        seen.append(request.extensions.get("timeout"))
        return Response(200, json={"id": "1", "currency": "EUR", "total": "1"})

    with storebridge.connect(
        "toy", base_url="https://toy.example", token=TOKEN, transport=MockTransport(handler),
        options=FakeTime().options(timeout=7.5),
    ) as store:  # fmt: skip
        store.orders.get("1")
        store.with_options(timeout=99).orders.get("1")
    assert seen == [
        {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5},
        {"connect": 99, "read": 99, "write": 99, "pool": 99},
    ]


def test_an_async_store_in_a_plain_with_says_how_to_open_it() -> None:
    kit = adapter_class("29next").sandbox(orders=0)
    store = storebridge.connect_async("29next", **kit.settings("https://acme.29next.store"))
    with pytest.raises(TypeError, match=r"async with storebridge\.connect_async"), store:
        pass  # pragma: no cover - never entered
    asyncio.run(store.aclose())


def test_retry_after_dates_without_a_zone_are_read_as_gmt() -> None:
    """``-0000`` and no zone at all gave a naive datetime, and every call failed with a
    TypeError comparing it with the time now."""
    from storebridge.adapter import parse_retry_after

    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00") == 0.0
    later = parse_retry_after("Fri, 01 Jan 2100 00:00:00")
    assert later is not None and later > 0
    assert parse_retry_after("not a date") is None


def test_a_29next_token_that_is_not_visible_ascii_is_a_configuration_error() -> None:
    """A look-alike character in the token once reached the HTTP layer, which raised a
    UnicodeEncodeError holding the whole token."""
    with pytest.raises(storebridge.ConfigurationError) as caught:
        storebridge.connect("29next", store="acme", access_token="SeCrEt-tøken-4242")
    assert caught.value.setting == "access_token"
    assert "tøken" not in str(caught.value)
