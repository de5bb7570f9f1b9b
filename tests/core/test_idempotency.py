"""Single-use refund quotes: one quote, one refund, in one process or across processes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from storebridge import (
    Money,
    OutcomeUnknown,
    Refund,
    RefundLine,
    RefundQuote,
    Store,
    StoreOptions,
)
from storebridge.flow import Flow, build_request, reconciled_write
from storebridge.http import Request, Response, read_json
from storebridge.idempotency import MemoryIdempotencyStore, SQLiteIdempotencyStore
from storebridge.payload import Payload
from storebridge.sandbox import EmulatorRequest, json_response
from storebridge.serialization import from_dict, to_dict
from storebridge.testing import FakeTime, FaultTransport
from tests.support.paths import REPO_ROOT
from tests.support.toy import ToyAdapter, ToyEmulator


class RefundingEmulator(ToyEmulator):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.refunds: list[dict[str, Any]] = []
        self.route("POST", r"/orders/(?P<id>[^/]+)/refunds", self.create_refund)
        self.route("GET", r"/orders/(?P<id>[^/]+)/refunds", self.list_refunds)

    def create_refund(self, req: EmulatorRequest) -> Response:
        self._auth(req)
        body = req.json()
        row = {"id": str(len(self.refunds) + 1), "order": req.params["id"],
               "amount": body["amount"], "key": body.get("key")}  # fmt: skip
        self.refunds.append(row)
        return json_response(201, row)

    def list_refunds(self, req: EmulatorRequest) -> Response:
        self._auth(req)
        rows = [r for r in self.refunds if r["order"] == req.params["id"]]
        return json_response(200, {"results": rows, "next": None})


def _refund(row: Any) -> Refund:
    p = Payload(row, platform="toy")
    return Refund(platform="toy", ref=p.string("id"), order_ref=p.string("order"),
                  amount=p.money("amount", "EUR"))  # fmt: skip


class RefundingAdapter(ToyAdapter):
    def calculate_refund(
        self, order_ref: str, *, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        return RefundQuote(platform="toy", order_ref=order_ref, lines=tuple(lines),
                           total=Money("5.00", "EUR"))  # fmt: skip
        yield  # pragma: no cover

    def _post(self, quote: RefundQuote) -> Any:
        return build_request(
            "POST", f"{self.base_url}/orders/{quote.order_ref}/refunds",
            operation="refunds.create",
            json={"amount": str(quote.total.amount), "key": quote.idempotency_key},
        )  # fmt: skip

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        return (
            yield from reconciled_write(
                self._post(quote), lambda r: _refund(read_json(r)), lambda: self.find_refund(quote)
            )
        )

    def find_refund(self, quote: RefundQuote) -> Flow[Refund | None]:
        response = yield build_request(
            "GET", f"{self.base_url}/orders/{quote.order_ref}/refunds", operation="refunds.find"
        )
        rows = [r for r in read_json(response)["results"] if r["key"] == quote.idempotency_key]
        return _refund(rows[0]) if rows else None


class BlindAdapter(RefundingAdapter):
    """Cannot read refunds back."""

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        response = yield self._post(quote)
        return _refund(read_json(response))

    find_refund = ToyAdapter.find_refund


def _store(emulator: ToyEmulator, cls: type[ToyAdapter] = RefundingAdapter, **kw: Any) -> Store:
    adapter = cls.from_settings(base_url="https://toy.example", token=emulator.token)
    transport = kw.pop("transport", emulator.transport())
    return Store(adapter, options=FakeTime().options(**kw), transport=transport)


LINE = [RefundLine(line_ref="1", quantity=1)]


def test_the_same_quote_twice_makes_one_refund() -> None:
    emulator = RefundingEmulator()
    with _store(emulator, idempotency_store=MemoryIdempotencyStore()) as store:
        quote = store.refunds.calculate("1", lines=LINE)
        first = store.refunds.create(quote)
        again = store.refunds.create(quote)
        other = store.refunds.create(store.refunds.calculate("1", lines=LINE))
    assert again == first and other.ref != first.ref
    assert len(emulator.refunds) == 2


@pytest.mark.parametrize("lost", ["reset_after", "timeout_after", "lost_502", "truncated",
                                  "malformed", "html_200", "wrong_shape"])  # fmt: skip
def test_a_lost_answer_then_a_second_create_makes_one_refund(lost: str) -> None:
    emulator = RefundingEmulator()
    faulty = FaultTransport(emulator.transport(),
                            script=lambda n, r: lost if r.method == "POST" else None)  # fmt: skip
    with _store(emulator, transport=faulty, idempotency_store=MemoryIdempotencyStore()) as store:
        quote = store.refunds.calculate("1", lines=LINE)
        first = store.refunds.create(quote)  # read back after the lost answer
        again = store.refunds.create(quote)
    assert first == again
    assert len(emulator.refunds) == 1


def test_an_unsettled_quote_is_looked_up_before_it_is_sent_again() -> None:
    emulator = RefundingEmulator()
    keys = MemoryIdempotencyStore()
    with _store(emulator, idempotency_store=keys) as store:
        quote = store.refunds.calculate("1", lines=LINE)
        created = store.refunds.create(quote)
        # As if the process had died after sending, before recording the refund:
        keys.unsettle(f"toy:toy.example:{quote.idempotency_key}")
        assert store.refunds.create(quote) == created
    assert len(emulator.refunds) == 1


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_quote_held_by_a_killed_call_says_when_it_will_be_looked_up(
    kind: str, tmp_path: Path
) -> None:
    # A call killed after claiming the quote never settles it: until its lease runs out the
    # next call cannot tell it from one still running, and says when it will look it up.
    emulator = RefundingEmulator()
    keys = (
        MemoryIdempotencyStore()
        if kind == "memory"
        else SQLiteIdempotencyStore(tmp_path / "keys.sqlite")
    )
    with _store(emulator, idempotency_store=keys) as store:
        quote = store.refunds.calculate("1", lines=LINE)
        assert keys.claim(f"toy:toy.example:{quote.idempotency_key}").state == "new"
        with pytest.raises(OutcomeUnknown, match=r"killed or crashed\), calling again in \d+ s"):
            store.refunds.create(quote)
    assert emulator.refunds == []


def test_an_unsettled_quote_is_never_resent_by_an_adapter_that_cannot_look_refunds_up() -> None:
    emulator = RefundingEmulator()
    keys = MemoryIdempotencyStore()
    lose_answers = lambda n, r: "reset_after" if r.method == "POST" else None  # noqa: E731
    faulty = FaultTransport(emulator.transport(), script=lose_answers)
    with _store(emulator, BlindAdapter, transport=faulty, idempotency_store=keys) as store:
        quote = store.refunds.calculate("1", lines=LINE)
        with pytest.raises(OutcomeUnknown):
            store.refunds.create(quote)
        with pytest.raises(OutcomeUnknown, match="cannot look refunds up"):
            store.refunds.create(quote)
    assert len(emulator.refunds) == 1


def test_a_quote_whose_read_back_failed_is_not_freed() -> None:
    emulator = RefundingEmulator()
    keys = MemoryIdempotencyStore()

    # The refund is made but its answer lost, and the read-back that follows fails too.
    def lose(n: int, r: Request) -> str | None:
        return "reset_after" if r.method == "POST" else ("server_error" if n == 2 else None)

    faulty = FaultTransport(emulator.transport(), script=lose)
    options = {"retry": __import__("storebridge").RetryPolicy(max_attempts=1)}
    with _store(emulator, transport=faulty, idempotency_store=keys, **options) as store:
        quote = store.refunds.calculate("1", lines=LINE)
        with pytest.raises(OutcomeUnknown, match="reading the store back"):
            store.refunds.create(quote)
        assert len(emulator.refunds) == 1
        assert store.refunds.create(quote).ref == emulator.refunds[0]["id"]  # found, not re-sent
    assert len(emulator.refunds) == 1


def test_a_refused_refund_frees_the_quote() -> None:
    emulator = RefundingEmulator()
    faulty = FaultTransport(emulator.transport(),
                            script=lambda n, r: "rate_limited" if n == 1 else None)  # fmt: skip
    with _store(emulator, transport=faulty, idempotency_store=MemoryIdempotencyStore(),
                retry=__import__("storebridge").RetryPolicy(max_attempts=1)) as store:  # fmt: skip
        quote = store.refunds.calculate("1", lines=LINE)
        with pytest.raises(Exception, match="429"):
            store.refunds.create(quote)
        assert store.refunds.create(quote).ref == "1"
    assert len(emulator.refunds) == 1


_SECOND_PROCESS = """
import json, sys
from storebridge import RefundQuote, Store, StoreOptions
from storebridge.payload import Payload
from storebridge.idempotency import SQLiteIdempotencyStore
from storebridge.serialization import from_dict
from tests.core.test_idempotency import RefundingAdapter

base_url, token, keys, quote = sys.argv[1:5]
adapter = RefundingAdapter.from_settings(base_url=base_url, token=token)
options = StoreOptions(idempotency_store=SQLiteIdempotencyStore(keys))
with Store(adapter, options=options) as store:
    refund = store.refunds.create(from_dict(json.loads(quote), RefundQuote))
print(refund.ref)
"""


def test_two_processes_sharing_a_persistent_store_make_one_refund(tmp_path: Path) -> None:
    emulator = RefundingEmulator()
    keys = tmp_path / "keys" / "refunds.sqlite"
    with emulator.serve() as url:
        adapter = RefundingAdapter.from_settings(base_url=url, token=emulator.token)
        options = StoreOptions(idempotency_store=SQLiteIdempotencyStore(keys))
        with Store(adapter, options=options) as store:
            quote = store.refunds.calculate("1", lines=LINE)
            first = store.refunds.create(quote)
        text = json.dumps(to_dict(quote))
        assert from_dict(json.loads(text), RefundQuote).idempotency_key == quote.idempotency_key
        result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-c", _SECOND_PROCESS, url, emulator.token, str(keys), text],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == first.ref
    assert len(emulator.refunds) == 1


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_owner_of_a_refund_is_looked_up_within_its_store_only(
    kind: str, tmp_path: Path
) -> None:
    keys: Any = (
        MemoryIdempotencyStore() if kind == "memory" else SQLiteIdempotencyStore(tmp_path / "k")
    )
    made = Refund(platform="toy", ref="7", order_ref="1", amount=Money("5.00", "EUR"))
    for key in ("toy:Shop:a", "toy:shop_x:b", "toy:shop:c"):
        assert keys.claim(key).state == "new"
    keys.complete("toy:Shop:a", made)  # another store, spelled with a capital
    keys.complete("toy:shop_x:b", made)  # another store whose id starts the same
    assert keys.owner("toy:shop:", "7") is None
    keys.complete("toy:shop:c", made)
    assert keys.owner("toy:shop:", "7") == "toy:shop:c"
    assert keys.owner("toy:shop:", "8") is None
    if kind == "sqlite":
        keys.close()


def test_a_write_sent_in_a_batch_or_started_is_a_write_for_the_read_back_check() -> None:
    """What is sent after a refund's write means its result was read back, whatever step
    sent the write: a plain request, a batch, or requests started in the background. A
    write in a batch once went unnoticed, and its read-back skipped the check for other
    calls of the store running meanwhile."""
    from storebridge.flow import Batch, Start, build_request
    from storebridge.idempotency import _noting_read_backs

    post = build_request("POST", "https://shop.example/refunds", operation="refunds.create")
    get = build_request("GET", "https://shop.example/refunds", operation="refunds.list")

    def flow(first: object, then: object | None) -> Any:
        yield first
        if then is not None:
            yield then
        return "refund"

    cases = [
        (post, get, True), (Batch((post,)), get, True), (Start((post,)), Batch((get,)), True),
        (post, None, False), (get, get, False),
    ]  # fmt: skip
    for first, then, expected in cases:
        noted = [False]
        steps = _noting_read_backs(flow(first, then), noted)
        sent: list[object] = []
        result: object = None
        try:
            while True:
                sent.append(steps.send(None))
        except StopIteration as done:
            result = done.value
        assert result == "refund"
        assert sent == [s for s in (first, then) if s is not None]
        assert noted[0] is expected, (first, then)


def test_waiting_for_the_first_of_no_requests_returns_at_once() -> None:
    from storebridge._inflight import wait_first

    assert wait_first([]) == set()
