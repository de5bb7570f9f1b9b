"""24Nettbutikk writes (the three PATCHes): reconciled after a lost answer, refused before
any request when the input is bad; refs that could address another record never leave."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import APIError, NotFound, OutcomeUnknown, ValidationError
from storebridge.testing import LOST_ANSWER_FAULTS, FaultTransport
from storebridge_24nettbutikk import NettbutikkEmulator
from tests.adapters.nettbutikk.shop import emulator, store_on

Write = Callable[[storebridge.Store, NettbutikkEmulator], Any]
Effect = Callable[[NettbutikkEmulator], bool]


def _order(shop: NettbutikkEmulator) -> dict[str, Any]:
    return shop.orders[4]


def _with_variants(shop: NettbutikkEmulator) -> dict[str, Any]:
    return next(p for p in shop.products if p["variants"])


def _plain(shop: NettbutikkEmulator) -> dict[str, Any]:
    return next(p for p in shop.products if not p["variants"])


def set_status(store: storebridge.Store, shop: NettbutikkEmulator) -> Any:
    order = store.extra.update_order_status(str(_order(shop)["order_no"]), "4")
    assert order.status_raw == "4" and order.ref == str(_order(shop)["order_no"])
    return order


def set_line(store: storebridge.Store, shop: NettbutikkEmulator) -> Any:
    order = _order(shop)
    line = store.extra.update_order_line(
        str(order["order_no"]), str(order["lines"][0]["id"]), sent=True,
        sent_date=date(2026, 6, 1), extra_field="Pakket av Åse",
    )  # fmt: skip
    assert line.ref == str(order["lines"][0]["id"]) and line.fulfillment_status == "fulfilled"
    assert line.raw["extra_field"] == "Pakket av Åse"
    return line


def set_variant_stock(store: storebridge.Store, shop: NettbutikkEmulator) -> Any:
    product = _with_variants(shop)
    uid = product["variants"][0]["uid"]
    found = store.extra.update_stock(str(product["id"]), 17, variant_ref=uid)
    assert {v.ref: v.stock for v in found.variants}[uid] == 17
    return found


def set_plain_stock(store: storebridge.Store, shop: NettbutikkEmulator) -> Any:
    found = store.extra.update_stock(str(_plain(shop)["id"]), 0)
    assert [v.stock for v in found.variants] == [0]
    return found


WRITES: dict[str, tuple[Write, Effect]] = {
    "update_order_status": (set_status, lambda shop: _order(shop)["status"] == "4"),
    "update_order_line": (
        set_line,
        lambda shop: _order(shop)["lines"][0]["extra_field"] == "Pakket av Åse",
    ),
    "update_stock variant": (
        set_variant_stock,
        lambda shop: _with_variants(shop)["variants"][0]["stock"] == 17,
    ),
    "update_stock": (set_plain_stock, lambda shop: _plain(shop)["stock"] == 0),
}


def patches(shop: NettbutikkEmulator) -> int:
    return sum(1 for request in shop.requests if request.method == "PATCH")


def first_patch(kind: str) -> Callable[[int, _http.Request], str | None]:
    done: list[bool] = []

    def script(_n: int, request: _http.Request) -> str | None:
        if request.method == "PATCH" and not done:
            done.append(True)
            return kind
        return None

    return script


@pytest.mark.parametrize("kind", [*LOST_ANSWER_FAULTS, "reset_before", "server_error"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_whose_answer_is_lost_has_one_effect_and_returns_its_result(
    write: str, kind: str
) -> None:
    act, effect = WRITES[write]
    shop = emulator()
    faulty = FaultTransport(shop.transport(), script=first_patch(kind))
    with store_on(shop, faulty) as store:
        act(store, shop)  # the write's result, read back (asserted inside)
    assert faulty.injected[kind] == 1
    assert effect(shop)
    # Processed once: a lost answer is settled by reading back, never by sending again;
    # a write that never reached the shop is sent once more.
    assert patches(shop) == 1


@pytest.mark.parametrize("kind", ["server_error", "wrong_shape", "reset_after", "truncated"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_answered_2xx_whose_read_back_fails_is_reported_as_applied(
    write: str, kind: str
) -> None:
    """The PATCH is answered 2xx and every read after it fails: the write happened, so the
    caller gets OutcomeUnknown with ``processed=True``, never an error that reads as failed."""
    act, effect = WRITES[write]
    shop = emulator()
    patched: list[bool] = []

    def script(_n: int, request: _http.Request) -> str | None:
        if request.method == "PATCH":
            patched.append(True)
            return None
        return kind if patched else None

    with store_on(shop, FaultTransport(shop.transport(), script=script)) as store:
        with pytest.raises(OutcomeUnknown) as info:
            act(store, shop)
    assert info.value.processed is True
    assert "applied" in str(info.value)
    assert effect(shop) and patches(shop) == 1


# Bad input: refused before any request -------------------------------------------------
BAD_INPUT: list[tuple[str, Callable[[storebridge.Store], Any], str]] = [
    ("stock -5", lambda s: s.extra.update_stock("1", -5), "stock"),
    ("stock 10**30", lambda s: s.extra.update_stock("1", 10**30), "stock"),
    ("stock 2**31", lambda s: s.extra.update_stock("1", 2**31), "stock"),
    ("stock as text", lambda s: s.extra.update_stock("1", "5"), "stock"),
    ("stock as bool", lambda s: s.extra.update_stock("1", True), "stock"),
    ("stock as float", lambda s: s.extra.update_stock("1", 1.5), "stock"),
    ("stock product ref", lambda s: s.extra.update_stock("1/../2", 5), "product_ref"),
    ("stock variant ref", lambda s: s.extra.update_stock("1", 5, variant_ref=".."), "variant_ref"),
    ("blank status", lambda s: s.extra.update_order_status("10001", " "), "status"),
    ("status with CRLF", lambda s: s.extra.update_order_status("10001", "3\r\nX: y"), "status"),
    ("long status", lambda s: s.extra.update_order_status("10001", "9" * 33), "status"),
    ("status as int", lambda s: s.extra.update_order_status("10001", 3), "status"),
    ("status order ref", lambda s: s.extra.update_order_status("", "3"), "order_ref"),
    ("line without fields", lambda s: s.extra.update_order_line("10001", "5"), "sent"),
    ("sent as text", lambda s: s.extra.update_order_line("10001", "5", sent="yes"), "sent"),
    (
        "sent_date as datetime",
        lambda s: s.extra.update_order_line("10001", "5", sent_date=datetime(2026, 1, 1)),
        "sent_date",
    ),
    (
        "sent_date as text",
        lambda s: s.extra.update_order_line("10001", "5", sent_date="2026-01-01"),
        "sent_date",
    ),
    (
        "extra_field with NUL",
        lambda s: s.extra.update_order_line("10001", "5", extra_field="a\x00b"),
        "extra_field",
    ),
    (
        "extra_field too long",
        lambda s: s.extra.update_order_line("10001", "5", extra_field="x" * 256),
        "extra_field",
    ),
    ("line ref", lambda s: s.extra.update_order_line("10001", "a/b", sent=True), "line_ref"),
    ("order ref with LF", lambda s: s.extra.update_order_line("1\n", "5", sent=True), "order_ref"),
    ("get order ..", lambda s: s.orders.get(".."), "ref"),
    ("get order slash", lambda s: s.orders.get("A/../B"), "ref"),
    ("get order NUL", lambda s: s.orders.get("10001\x00"), "ref"),
    ("get order 70k digits", lambda s: s.orders.get("9" * 70_000), "ref"),
    ("get customer empty", lambda s: s.customers.get(""), "ref"),
    ("get product CR", lambda s: s.products.get("1\r"), "ref"),
    ("last_modified resource", lambda s: s.extra.last_modified("refunds"), "resource"),
    ("changed_since naive", lambda s: s.extra.changed_since("orders", datetime(2026, 1, 1)),
     "since"),
    ("list naive since", lambda s: list(s.orders.list(updated_since=datetime(2026, 1, 1))),
     "updated_since"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "call", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_before_any_request(
    case: str, call: Callable[[storebridge.Store], Any], field: str
) -> None:
    shop = emulator()
    with store_on(shop) as store, pytest.raises(ValidationError) as caught:
        call(store)
    assert caught.value.field == field, case
    assert field in str(caught.value)
    assert shop.requests == []


def test_a_ref_is_one_path_segment_and_the_answer_must_be_that_record() -> None:
    shop = emulator()
    with store_on(shop) as store:
        with pytest.raises(NotFound):
            store.orders.get("?x=1")
        with pytest.raises(NotFound):
            store.customers.get("1001 ")
    paths = {r.url.raw_path.decode() for r in shop.requests}
    assert "/api/v1/orders/%3Fx%3D1" in paths
    assert "/api/v1/customers/1001%20" in paths


def test_a_stale_answer_with_another_record_is_asked_again() -> None:
    shop = emulator()
    served: list[str] = []

    def script(_n: int, request: _http.Request) -> str | None:
        served.append(request.url.path)
        # The second single-order read is answered with the first one's (cached) answer.
        return (
            "stale_page"
            if request.url.path.endswith("/orders/10003") and len(served) == 2
            else None
        )

    faulty = FaultTransport(shop.transport(), script=script)
    with store_on(shop, faulty, join_customers=False, resolve_skus=False) as store:
        assert store.orders.get("10001").ref == "10001"
        assert store.orders.get("10003").ref == "10003"
    assert faulty.injected["stale_page"] == 1
    assert served.count("/api/v1/orders/10003") == 2


def test_stock_of_a_product_with_variants_needs_the_variant() -> None:
    shop = emulator()
    with store_on(shop) as store, pytest.raises(APIError) as caught:
        store.extra.update_stock(str(_with_variants(shop)["id"]), 5)
    assert caught.value.status == 400 and "variant_ref=" in str(caught.value)
    assert patches(shop) == 1  # refused by the shop, not re-sent


class FirstPatchLost(_http.BaseTransport):
    """The first PATCH gets no answer (a reset), and ``meanwhile()`` -- another client
    writing -- runs before the reset; ``processed``: whether the shop saw that PATCH."""

    def __init__(
        self, inner: _http.BaseTransport, meanwhile: Callable[[], object], *, processed: bool
    ) -> None:
        self.inner, self.meanwhile, self.processed = inner, meanwhile, processed
        self.patches = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        if request.method != "PATCH":
            return self.inner.handle_request(request)
        self.patches += 1
        if self.patches > 1:
            return self.inner.handle_request(request)
        if self.processed:
            self.inner.handle_request(request).read()
        self.meanwhile()
        raise _http.ReadError("connection reset", request=request)


def test_a_lost_stock_write_does_not_undo_a_later_write_of_someone_else() -> None:
    """A's stock write is applied, its answer lost; B sets another level before A reads
    back. A used to send its PATCH again and silently undo B's later write."""
    from storebridge import OutcomeUnknown
    from tests.migrate.support import connect, sandbox

    kit = sandbox("24nettbutikk")
    other = connect(kit, "b")
    product = next(p for p in other.products.list() if len(p.variants) > 1)
    variant = product.variants[1].ref
    theirs = (product.variants[1].stock or 0) + 10  # both differ from the level there
    ours = theirs + 10

    losing = FirstPatchLost(
        kit.emulator.transport(),
        lambda: other.extra.update_stock(product.ref, theirs, variant_ref=variant),
        processed=True,
    )
    with other, connect(kit, "a", transport=losing) as store:
        with pytest.raises(OutcomeUnknown, match="someone else"):
            store.extra.update_stock(product.ref, ours, variant_ref=variant)
        now = {v.ref: v.stock for v in other.products.get(product.ref).variants}
    assert losing.patches == 1  # not sent again
    assert now[variant] == theirs  # B's write stands


def test_a_lost_stock_write_is_sent_again_when_only_other_fields_changed() -> None:
    """The record is compared on the fields written: another variant sold meanwhile is not
    someone else's write of this one (the PATCH that did not happen is sent again)."""
    from tests.migrate.support import connect, sandbox

    kit = sandbox("24nettbutikk")
    other = connect(kit, "b")
    product = next(p for p in other.products.list() if len(p.variants) > 1)
    first, second = product.variants[0], product.variants[1]
    ours = (second.stock or 0) + 20

    dropping = FirstPatchLost(  # lost on the way; meanwhile the other variant sells
        kit.emulator.transport(),
        lambda: other.extra.update_stock(
            product.ref, (first.stock or 0) + 1, variant_ref=first.ref
        ),
        processed=False,
    )
    with other, connect(kit, "a", transport=dropping) as store:
        done = store.extra.update_stock(product.ref, ours, variant_ref=second.ref)
    assert {v.ref: v.stock for v in done.variants}[second.ref] == ours
    assert dropping.patches == 2


def test_a_lost_line_write_does_not_undo_a_later_write_of_its_raw_only_fields() -> None:
    """``extra_field`` lives in the raw row only (left out of the model's equality): a
    later write of it by someone else once compared as "unchanged" and was undone."""
    from storebridge import OutcomeUnknown
    from tests.migrate.support import connect, sandbox

    kit = sandbox("24nettbutikk")
    other = connect(kit, "b")
    order = next(o for o in other.orders.list() if o.lines)
    line = order.lines[0].ref

    losing = FirstPatchLost(
        kit.emulator.transport(),
        lambda: other.extra.update_order_line(order.ref, line, extra_field="B wrote this"),
        processed=True,
    )
    with other, connect(kit, "a", transport=losing) as store:
        with pytest.raises(OutcomeUnknown, match="someone else"):
            store.extra.update_order_line(order.ref, line, extra_field="A wrote this")
        now = next(ln for ln in other.orders.get(order.ref).lines if ln.ref == line)
    assert losing.patches == 1
    assert now.raw["extra_field"] == "B wrote this"
