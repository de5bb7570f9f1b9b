"""The facade's engine: fan-out, unknown write outcomes, guarded error parsing, redaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from storebridge import (
    APIError,
    AsyncStore,
    CustomerDraft,
    OutcomeUnknown,
    PayloadError,
    RateLimit,
    ServerError,
    Store,
    StorebridgeError,
    ValidationError,
)
from storebridge._concurrency import Pacer
from storebridge._ratelimit import client_limit
from storebridge.flow import (
    Batch,
    Emit,
    Flow,
    ListFlow,
    build_request,
    expand_pages,
    in_turn,
    merge_parallel,
    reconciled_write,
    unique_items,
)
from storebridge.http import MockTransport, Request, Response, read_json
from storebridge.testing import FakeTime, FaultTransport
from tests.support.toy import ToyAdapter, ToyEmulator

TOKEN = "toy-secret-token-123"


def _adapter() -> ToyAdapter:
    return ToyAdapter.from_settings(base_url="https://toy.example", token=TOKEN)


def _store(handler: Callable[[Request], Response], time: FakeTime | None = None) -> Store:
    return Store(
        _adapter(), options=(time or FakeTime()).options(), transport=MockTransport(handler)
    )


def _rows(prefix: str, n: int) -> ListFlow[str]:
    for page in range(n):
        response = yield build_request("GET", f"https://toy.example/{prefix}/{page}",
                                       operation="rows")  # fmt: skip
        yield Emit([f"{prefix}{read_json(response)['n']}"])


def _echo(request: Request) -> Response:
    return Response(200, json={"n": request.url.path.rsplit("/", 1)[1]})


def test_parallel_flows_deliver_every_item_sync() -> None:
    with _store(_echo) as store:
        items = list(store.iterate(merge_parallel([_rows(p, 5) for p in "abcd"])))
    assert sorted(items) == sorted(f"{p}{i}" for p in "abcd" for i in range(5))


def test_parallel_flows_deliver_every_item_async() -> None:
    async def main() -> list[str]:
        adapter = _adapter()
        async with AsyncStore(adapter, options=FakeTime().options(),
                              transport=MockTransport(_echo)) as store:  # fmt: skip
            return [
                item async for item in store.iterate(merge_parallel([_rows(p, 5) for p in "abc"]))
            ]

    assert sorted(asyncio.run(main())) == sorted(f"{p}{i}" for p in "abc" for i in range(5))


def test_parallel_flows_hold_what_is_in_flight_however_many_flows_async() -> None:
    # Forty flows of ten pages and a reader slower than the shop: the pages read but not
    # yet taken follow the requests in flight (4 here), not the number of flows.
    made = [0]
    most = [0]

    def counted(prefix: str) -> ListFlow[str]:
        for page in range(10):
            yield build_request("GET", f"https://toy.example/{prefix}/{page}", operation="rows")
            made[0] += 1
            yield Emit([f"{prefix}{page}"])

    async def main() -> int:
        taken = 0
        options = FakeTime().options(max_concurrency=4)
        async with AsyncStore(_adapter(), options=options,
                              transport=MockTransport(_echo)) as store:  # fmt: skip
            flows = [counted(f"f{i}-") for i in range(40)]
            async for _ in store.iterate(merge_parallel(flows)):
                taken += 1
                most[0] = max(most[0], made[0] - taken)
                for _ in range(5):  # a reader that does some work of its own
                    await asyncio.sleep(0)
        return taken

    assert asyncio.run(main()) == 400
    assert most[0] <= 4 + 2 + 4 + 1, most  # held + one per blocked worker + the one read


def test_parallel_of_no_flows_is_an_empty_listing_sync_and_async() -> None:
    no_flows: list[ListFlow[str]] = []
    with _store(_echo) as store:
        assert list(store.iterate(merge_parallel(no_flows))) == []

    async def main() -> list[str]:
        async with AsyncStore(_adapter(), options=FakeTime().options(),
                              transport=MockTransport(_echo)) as store:  # fmt: skip
            return [item async for item in store.iterate(merge_parallel(no_flows))]

    assert asyncio.run(main()) == []


def test_page_combinators_reach_the_pages_of_parallel_flows() -> None:
    def upper(items: Sequence[str]) -> Flow[Sequence[str]]:
        return [item.upper() for item in items]
        yield  # pragma: no cover

    def doubled() -> ListFlow[str]:
        # The same five rows from two flows side by side: unique_items must see both.
        yield from merge_parallel([_rows("a", 5), _rows("a", 5)])

    with _store(_echo) as store:
        assert sorted(store.iterate(expand_pages(doubled(), upper))) == sorted(
            [f"A{i}" for i in range(5)] * 2
        )
        assert sorted(store.iterate(unique_items(doubled(), str))) == [f"a{i}" for i in range(5)]


def test_in_turn_runs_parallel_flows_one_after_the_other_in_order() -> None:
    with _store(_echo) as store:
        items = list(store.iterate(in_turn(merge_parallel([_rows(p, 3) for p in "abc"]))))
    assert items == [f"{p}{i}" for p in "abc" for i in range(3)]


def test_an_error_in_one_parallel_flow_raises_after_the_others_stop() -> None:
    def failing(request: Request) -> Response:
        if request.url.path == "/b/2":
            return Response(404, json={"detail": "gone"})
        return _echo(request)

    with _store(failing) as store, pytest.raises(APIError) as caught:
        list(store.iterate(merge_parallel([_rows(p, 5) for p in "abc"])))
    assert caught.value.status == 404


def test_stopping_early_closes_every_parallel_flow() -> None:
    started: list[str] = []
    closed: list[str] = []

    def flow(prefix: str) -> ListFlow[str]:
        started.append(prefix)
        try:
            yield from _rows(prefix, 50)
        finally:
            closed.append(prefix)

    with _store(_echo) as store:
        iterator = store.iterate(merge_parallel([flow(p) for p in "abc"]))
        first = next(iterator)
        iterator.close()  # type: ignore[attr-defined]
    # A flow not started when the reader stopped is never started (no request wasted).
    # Each started one is closed by its own thread, which the reader's close does not wait
    # for (tests/core/test_listing_let_go.py says why).
    assert first[0] in started
    deadline = time.monotonic() + 10
    while sorted(closed) != sorted(started) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert sorted(closed) == sorted(started)


def test_a_tolerant_batch_hands_back_each_failure_in_its_place() -> None:
    def handler(request: Request) -> Response:
        return Response(404, json={}) if request.url.path.endswith("/1") else _echo(request)

    def flow() -> Flow[list[Any]]:
        requests = tuple(build_request("GET", f"https://toy.example/x/{i}", operation="x")
                         for i in range(3))  # fmt: skip
        return (yield Batch(requests, tolerant=True))  # type: ignore[no-any-return]

    with _store(handler) as store:
        answers = store.run(flow())
    assert isinstance(answers[0], Response) and isinstance(answers[2], Response)
    assert isinstance(answers[1], APIError) and answers[1].status == 404


def _write(handler: Callable[[Request], Response], find: Callable[[], Any]) -> Any:
    def flow() -> Flow[Any]:
        request = build_request("POST", "https://toy.example/w", operation="things.create",
                                json={})  # fmt: skip

        def finder() -> Flow[Any]:
            return find()
            yield  # pragma: no cover

        return (yield from reconciled_write(request, lambda r: read_json(r)["id"], finder))

    with _store(handler) as store:
        return store.run(flow())


def test_a_5xx_to_a_write_is_an_unknown_outcome_settled_by_reading_back() -> None:
    sent: list[Request] = []

    def handler(request: Request) -> Response:
        sent.append(request)
        return Response(502, text="<html>bad gateway</html>")

    assert _write(handler, lambda: "found-by-read-back") == "found-by-read-back"
    assert len(sent) == 1


def test_an_unreadable_2xx_to_a_write_is_never_re_sent() -> None:
    sent: list[Request] = []

    def handler(request: Request) -> Response:
        sent.append(request)
        return Response(201, content=b'{"id": 1, "trunc')

    with pytest.raises(OutcomeUnknown, match=r"accepted .*HTTP 201") as caught:
        _write(handler, lambda: None)
    assert caught.value.processed is True and caught.value.operation == "things.create"
    assert len(sent) == 1  # the platform did the write: sending again would double it
    assert _write(handler, lambda: "read back") == "read back"


def test_a_failed_read_back_keeps_the_write_in_doubt() -> None:
    def handler(request: Request) -> Response:
        return Response(201, content=b'{"id": 1, "trunc')

    def broken_lookup() -> Any:
        raise ServerError("read-back failed", status=503, platform="toy")

    with pytest.raises(OutcomeUnknown, match="reading the store back") as caught:
        _write(handler, broken_lookup)
    assert caught.value.processed is True  # the 2xx stays known through the failed read-back
    assert isinstance(caught.value.__cause__, ServerError)


def _nothing() -> Flow[Any]:
    return None
    yield  # pragma: no cover


def _recording(answered: list[Request], *, status: int = 201) -> MockTransport:
    def handler(request: Request) -> Response:
        answered.append(request)
        if status >= 400:
            return Response(status, json={"detail": "already taken"})
        return Response(status, json={"id": "w1"})

    return MockTransport(handler)


def test_a_lost_answer_with_nothing_found_is_not_sent_again() -> None:
    # A read-back that finds nothing proves nothing (a search can lag behind the write): a
    # create is never sent a second time, the caller learns the outcome is unknown.
    answered: list[Request] = []
    faulty = FaultTransport(
        _recording(answered), script=lambda n, r: "reset_before" if n == 1 else None
    )

    def flow() -> Flow[Any]:
        request = build_request("POST", "https://toy.example/w", operation="w.create", json={})
        return (yield from reconciled_write(request, lambda r: read_json(r)["id"], _nothing))

    with Store(_adapter(), options=FakeTime().options(), transport=faulty) as store:
        with pytest.raises(OutcomeUnknown, match="not sent again") as caught:
            store.run(flow())
    assert faulty.requests == 1 and answered == []
    assert caught.value.operation == "w.create" and caught.value.processed is not True


def test_an_absolute_write_with_nothing_found_is_sent_again_once() -> None:
    answered: list[Request] = []
    faulty = FaultTransport(
        _recording(answered), script=lambda n, r: "reset_before" if n == 1 else None
    )

    def flow() -> Flow[Any]:
        request = build_request("PATCH", "https://toy.example/w", operation="w.set", json={})
        return (
            yield from reconciled_write(request, lambda r: read_json(r)["id"], _nothing, attempts=2)
        )

    with Store(_adapter(), options=FakeTime().options(), transport=faulty) as store:
        assert store.run(flow()) == "w1"
    assert faulty.requests == 2 and len(answered) == 1  # reset before: the first never arrived


def test_a_second_sending_refused_leaves_the_outcome_unknown() -> None:
    # The first sending may have happened: "already taken" on the second must not read as
    # an ordinary refusal the caller would act on.
    answered: list[Request] = []
    faulty = FaultTransport(
        _recording(answered, status=422), script=lambda n, r: "reset_before" if n == 1 else None
    )

    def flow() -> Flow[Any]:
        request = build_request("PATCH", "https://toy.example/w", operation="w.set", json={})
        return (
            yield from reconciled_write(request, lambda r: read_json(r)["id"], _nothing, attempts=2)
        )

    with Store(_adapter(), options=FakeTime().options(), transport=faulty) as store:
        with pytest.raises(OutcomeUnknown, match="sending it again was refused") as caught:
            store.run(flow())
    assert isinstance(caught.value.__cause__, APIError) and caught.value.status == 422
    assert faulty.requests == 2


class _BrokenErrors(ToyAdapter):
    def parse_error(self, response: Response) -> APIError:
        return APIError(str(response.json()["detail"]), status=response.status_code,
                        platform=self.name)  # fmt: skip


def test_an_adapter_whose_parse_error_fails_still_yields_the_status_error() -> None:
    adapter = _BrokenErrors.from_settings(base_url="https://toy.example", token=TOKEN)
    transport = MockTransport(lambda r: Response(502, text="<html>Bad gateway</html>"))
    with Store(adapter, options=FakeTime().options(), transport=transport) as store:
        with pytest.raises(ServerError) as caught:
            store.orders.get("1")
    assert caught.value.status == 502


def test_secrets_echoed_in_error_bodies_are_masked_in_every_attribute() -> None:
    import base64

    basic = base64.b64encode(f"{TOKEN}:".encode()).decode()

    def echo(request: Request) -> Response:
        body = {
            "detail": f"bad token {TOKEN}",
            "echo": {"headers": {"Authorization": request.headers["authorization"]},
                     "basic": basic, "list": [TOKEN, {"deep": [TOKEN]}]},
            "errors": {"token": [f"{TOKEN} is revoked"]},
        }  # fmt: skip
        return Response(400, json=body)

    with _store(echo) as store, pytest.raises(APIError) as caught:
        store.orders.get("1")
    _assert_clean(caught.value, TOKEN, basic)


def _assert_clean(error: BaseException, *secrets: str) -> None:
    seen: set[int] = set()

    def walk(value: Any) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, str):
            for secret in secrets:
                assert secret[:20] not in value, value
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list | tuple | set):
            for v in value:
                walk(v)
        elif isinstance(value, BaseException):
            walk(value.args)
            walk(vars(value))
            walk(str(value))
            walk(value.__cause__)
            walk(value.__context__)

    walk(error)


def test_a_payload_error_quoting_a_secret_is_masked() -> None:
    with _store(lambda r: Response(200, json={"id": TOKEN, "currency": TOKEN})) as store:
        with pytest.raises(PayloadError) as caught:
            store.orders.get("1")
    _assert_clean(caught.value, TOKEN)


def test_async_run_closes_the_flow_when_it_fails() -> None:
    closed: list[bool] = []

    def flow() -> Flow[Any]:
        try:
            yield build_request("GET", "https://toy.example/x", operation="x")
        finally:
            closed.append(True)

    async def main() -> None:
        transport = MockTransport(lambda r: Response(404, json={}))
        async with AsyncStore(_adapter(), options=FakeTime().options(),
                              transport=transport) as store:  # fmt: skip
            with pytest.raises(APIError):
                await store.run(flow())

    asyncio.run(main())
    assert closed == [True]


def test_pacer_keeps_rate_times_latency_in_flight_and_backs_off_on_429() -> None:
    pacer = Pacer(RateLimit(per_second=40, burst=1))
    for _ in range(30):
        pacer.observe(0.25)
    assert pacer.in_flight() >= 10  # 40/s x 0.25 s = 10 in flight at the bound
    wide = pacer.in_flight()
    pacer.throttled()
    assert pacer.in_flight() < wide
    assert Pacer(RateLimit(per_second=40), fixed=3).in_flight() == 3


def test_a_burst_counts_in_flight_only_as_far_as_the_client_may_spend_it() -> None:
    # At 4/s and 250 ms one request in flight reaches the limit; the burst the client keeps
    # (inside the platform's, see client_limit) is what may go out at once on top of that.
    slow = Pacer(RateLimit(per_second=4, burst=4))
    roomy = Pacer(RateLimit(per_second=4, burst=40))
    for pacer in (slow, roomy):
        for _ in range(30):
            pacer.observe(0.25)
    assert client_limit(RateLimit(per_second=4, burst=4)).burst < 4
    assert slow.in_flight() < 4
    assert roomy.in_flight() > slow.in_flight()


def test_pacer_halves_once_for_the_429s_of_one_burst() -> None:
    now = [0.0]
    pacer = Pacer(RateLimit(per_second=40, burst=1), clock=lambda: now[0])
    for _ in range(30):
        pacer.observe(0.25)
    wide = pacer.in_flight()
    for _ in range(5):  # five requests of one burst refused, within one latency
        pacer.throttled()
        now[0] += 0.01
    once = pacer.in_flight()
    assert wide // 2 <= once < wide
    now[0] += 0.3  # a latency later: a new refusal answers requests sent since
    pacer.throttled()
    assert pacer.in_flight() < once


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "   ",
        "a/b",
        "A/../B",
        ".",
        "..",
        "x\r\nHost: evil",
        "nul\x00",
        "nel\x85",
        "x" * 257,
        3.5,
    ],
)
def test_refs_that_cannot_be_platform_keys_never_reach_the_transport(ref: Any) -> None:
    sent: list[Request] = []
    with _store(lambda r: sent.append(r) or _echo(r)) as store:  # type: ignore[func-returns-value]
        with pytest.raises(ValidationError) as caught:
            store.orders.get(ref)
    assert caught.value.field == "ref"
    assert sent == []


def test_refs_with_url_syntax_are_escaped_as_one_segment() -> None:
    sent: list[str] = []

    def handler(request: Request) -> Response:
        sent.append(request.url.raw_path.decode())
        return Response(404, json={"detail": "no"})

    with _store(handler) as store:
        for ref in ("?x=1", "#top", "a b", "%2F"):
            with pytest.raises(APIError):
                store.orders.get(ref)
    assert sent == ["/orders/%3Fx%3D1", "/orders/%23top", "/orders/a%20b", "/orders/%252F"]


def test_non_datetime_filters_are_validation_errors() -> None:
    with _store(_echo) as store, pytest.raises(ValidationError, match="updated_since") as caught:
        store.orders.list(updated_since="2025-01-01")  # type: ignore[arg-type]
    assert caught.value.field == "updated_since"


def test_capabilities_follow_what_require_accepts() -> None:
    class Picky(ToyAdapter):
        def unsupported_reason(self, operation: str) -> str | None:
            return "not on this plan" if operation == "orders.get" else None

    adapter = Picky.from_settings(base_url="https://toy.example", token=TOKEN)
    assert "orders.get" not in adapter.capabilities
    assert "orders.list" in adapter.capabilities
    with pytest.raises(StorebridgeError, match="not on this plan"):
        adapter.require("orders.get")


def test_customer_create_reconciles_a_dropped_answer_through_the_toy_emulator() -> None:
    emulator = ToyEmulator()
    faulty = FaultTransport(emulator.transport(), seed=4, rate=1.0, kinds=("reset_after",),
                            only=lambda r: r.method == "POST")  # fmt: skip
    with Store(_adapter(), options=FakeTime().options(), transport=faulty) as store:
        created = store.customers.create(CustomerDraft(email="a@example.com"))
    assert created.email == "a@example.com"
    assert len(emulator.customers) == 1  # read back, not sent twice


def _batch_of(n: int) -> Flow[list[Any]]:
    requests = tuple(build_request("GET", f"https://toy.example/x/{i}", operation="x")
                     for i in range(n))  # fmt: skip
    return (yield Batch(requests))  # type: ignore[no-any-return]


def test_a_batch_raises_a_failure_that_came_before_the_rest_sync() -> None:
    """The failure of the first request to end is the batch's, however many end after it
    (answers missing from their places would read as a batch that went well)."""

    def handler(request: Request) -> Response:
        if request.url.path.endswith("/0"):
            return Response(404, json={})
        time.sleep(0.01)
        return _echo(request)

    with _store(handler) as store, pytest.raises(APIError) as caught:
        store.run(_batch_of(8))
    assert caught.value.status == 404


def test_a_batch_raises_a_failure_that_came_before_the_rest_async() -> None:
    async def handler(request: Request) -> Response:
        if request.url.path.endswith("/0"):
            return Response(404, json={})
        await asyncio.sleep(0.01 * int(request.url.path.rsplit("/", 1)[1]))
        return _echo(request)

    async def main() -> None:
        async with AsyncStore(_adapter(), options=FakeTime().options(),
                              transport=MockTransport(handler)) as store:  # fmt: skip
            await store.run(_batch_of(8))

    with pytest.raises(APIError) as caught:
        asyncio.run(main())
    assert caught.value.status == 404
