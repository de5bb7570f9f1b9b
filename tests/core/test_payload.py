"""Reading payloads: every error names a JSON path."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge import (
    Address,
    Customer,
    Money,
    Order,
    OrderStatus,
    PayloadError,
    RefundLine,
)
from storebridge.model import OrderLine
from storebridge.payload import Payload
from storebridge.serialization import make_wire_converter, read_payload
from tests.support.mutations import deeply_nested, json_paths, mutated


def _line(p: Payload) -> OrderLine:
    return OrderLine(
        platform="x", ref=p.string("id"), sku=p.opt_string("sku"), title=p.string("title"),
        quantity=p.integer("quantity"), unit_price=p.money("price", "EUR"),
    )  # fmt: skip


def test_bad_nested_value_reports_its_path() -> None:
    body = {"line_items": [{"id": 1, "title": "a", "quantity": 1, "price": "1.00"}] * 2}
    body["line_items"] = [*body["line_items"], {"id": 3, "title": "c", "quantity": 1, "price": "x"}]
    payload = Payload(body, platform="toy")
    with pytest.raises(PayloadError) as info:
        [_line(p) for p in payload.objects("line_items")]
    assert info.value.path == "$.line_items[2].price"
    assert "toy" in str(info.value) and "'x'" in str(info.value)


def test_missing_required_field() -> None:
    with pytest.raises(PayloadError) as info:
        Payload({"a": {}}).obj("a").string("id")
    assert info.value.path == "$.a.id"


def test_scalars_arrive_as_strings_or_numbers() -> None:
    p = Payload({"n": "2", "m": 2.0, "price": 199, "flag": "1", "off": 0, "blank": ""})
    assert p.integer("n") == 2 and p.integer("m") == 2
    assert p.decimal("price") == Decimal(199)
    assert p.opt_bool("flag") is True and p.opt_bool("off") is False
    assert p.opt_string("blank") is None and p.opt_integer("blank") is None


def test_wire_converter_wraps_hook_errors_as_payload_errors() -> None:
    conv = make_wire_converter("toy", {OrderLine: _line})
    line = conv.structure({"id": 5, "title": "t", "quantity": "2", "price": "3.5"}, OrderLine)
    assert line.unit_price == Money("3.50", "EUR") and line.quantity == 2
    with pytest.raises(PayloadError) as info:
        conv.structure({"id": 5, "title": "t", "quantity": "2.5", "price": "3"}, OrderLine)
    assert info.value.path == "$.quantity"


def _outcome(read: Callable[[], Any]) -> tuple[Any, PayloadError | None]:
    """What ``read`` returned, or the PayloadError it raised; anything else propagates."""
    try:
        return read(), None
    except PayloadError as exc:
        return None, exc


HOSTILE_NUMBERS = [
    "1e999999", "-1E+999999", "0e999999", "1e-999999", "9" * 41, "9" * 5000, "1" * 100_000,
    10**4000, -(10**41), 1e308, float("inf"), float("nan"), "NaN", "Infinity", "0x1F", "",
    " ", "1_0", "²", "١٢", True, [], {}, "1.5.5",
]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=[repr(v)[:20] for v in HOSTILE_NUMBERS])
@pytest.mark.parametrize("accessor", ["integer", "opt_integer", "decimal", "opt_decimal",
                                      "money", "opt_money"])  # fmt: skip
def test_hostile_numbers_give_a_number_or_a_payload_error_at_the_field(
    accessor: str, value: object
) -> None:
    payload = Payload({"order": {"lines": [{"n": value}]}}, platform="toy")
    item = payload.obj("order").objects("lines")[0]
    read = getattr(item, accessor)
    result, error = _outcome(lambda: read("n", "USD") if "money" in accessor else read("n"))
    if error is not None:
        assert error.path == "$.order.lines[0].n"
        assert len(str(error)) < 300  # a bad value is described, never repeated in full
    elif result is not None:  # what is accepted is an ordinary, bounded value
        number = result.amount if isinstance(result, Money) else result
        assert abs(number) < 10**40


def test_numbers_stay_exact_and_bounded() -> None:
    p = Payload({"a": "59.99", "b": 0.1, "c": " 7 ", "d": "2.00", "e": "-3", "f": 12})
    assert p.decimal("a") == Decimal("59.99") and p.decimal("b") == Decimal("0.1")
    assert p.integer("c") == 7 and p.integer("d") == 2 and p.integer("e") == -3
    assert p.money("f", "usd") == Money("12", "USD")
    with pytest.raises(PayloadError, match="whole"):
        p.integer("a")


def test_bad_currency_is_a_payload_error_at_the_field() -> None:
    p = Payload({"currency": "US", "price": "1.00", "good": " usd "}, platform="toy")
    with pytest.raises(PayloadError) as info:
        p.money("price", p.opt_string("currency") or "")
    assert info.value.path == "$.price" and "ISO 4217" in str(info.value)
    with pytest.raises(PayloadError) as info:
        p.currency("currency")
    assert info.value.path == "$.currency"
    assert p.currency("good") == "USD" and p.opt_currency("missing") is None


def test_text_must_be_real_text() -> None:
    p = Payload({"s": "ok\ud800", "b": b"\xff\xfe", "n": 1001, "big": 10**50, "f": float("nan"),
                 "ctl": "a\x00b", "list": ["a"]})  # fmt: skip
    for key in ("s", "b", "big", "f", "list"):
        with pytest.raises(PayloadError) as info:
            p.opt_string(key)
        assert info.value.path == f"$.{key}"
    assert p.string("n") == "1001"
    assert p.opt_string("ctl") == "a\x00b"  # platform text is kept as sent


def test_refs_from_payloads() -> None:
    p = Payload({"id": 1001, "sid": "SL-1", "blank": " ", "long": "9" * 300, "nl": "1\n2"})
    assert p.ref("id") == "1001" and p.ref("sid") == "SL-1" and p.opt_ref("none") is None
    for key in ("blank", "long", "nl"):
        with pytest.raises(PayloadError) as info:
            p.ref(key)
        assert info.value.path == f"$.{key}"


def test_wrong_container_types_name_the_path() -> None:
    p = Payload({"obj": [1], "lines": [{"a": 1}, "oops"], "map": {"0": {}}, "s": "x"})
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: p.obj("obj"), "$.obj"),
        (lambda: p.opt_obj("s"), "$.s"),
        (lambda: p.objects("lines"), "$.lines[1]"),
        (lambda: list(p.iter("map")), "$.map"),
        (lambda: p.each("s", lambda item: item), "$.s"),
        (lambda: Payload("nope", "$.data[3]"), "$.data[3]"),
    ]
    for read, path in cases:
        with pytest.raises(PayloadError) as info:
            read()
        assert info.value.path == path
    assert p.opt_obj("missing") is None and Payload({"e": []}).opt_obj("e") is None


def test_paths_are_json_paths_whatever_the_keys() -> None:
    p = Payload({"a b": {"x": [{"y": {}}]}}, "$.results[3]")
    inner = p.obj("a b").objects("x")[0].obj("y")
    assert inner.path == "$.results[3]['a b'].x[0].y"
    with pytest.raises(PayloadError) as info:
        inner.string("id")
    assert info.value.path == "$.results[3]['a b'].x[0].y.id"


def test_paths_of_deeply_nested_objects() -> None:
    body: dict[str, Any] = {}
    node = body
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    p = Payload(body, "$", "toy")
    for _ in range(5000):
        p = p.obj("x")
    with pytest.raises(PayloadError) as info:
        p.string("id")
    assert info.value.path == "$" + ".x" * 5000 + ".id"


def test_timestamps_never_raise_anything_else() -> None:
    def epoch_ms(text: str) -> datetime:
        return datetime.fromtimestamp(int(text) / 1000, UTC)

    p = Payload({"t": "9" * 30, "ok": "1673404700862", "naive": "2026-01-01T10:00:00",
                 "z": "2026-01-01T10:00:00z", "big": "9" * 70})  # fmt: skip
    with pytest.raises(PayloadError) as info:
        p.timestamp("t", epoch_ms)
    assert info.value.path == "$.t"
    assert p.timestamp("ok", epoch_ms).year == 2023
    assert p.opt_timestamp("z") == datetime(2026, 1, 1, 10, tzinfo=UTC)
    for key in ("naive", "big"):
        with pytest.raises(PayloadError):
            p.opt_timestamp(key)
    with pytest.raises(PayloadError, match="UTC offset"):
        p.timestamp("naive", datetime.fromisoformat)


def test_wire_converter_turns_any_bad_data_error_into_a_payload_error() -> None:
    def hook(p: Payload) -> Customer:
        tags = p.raw("tags")
        return Customer(platform="toy", ref=p.string("id"), tags=tuple(tags.split(",")),
                        addresses=(Address(line1=p.opt_string("line1")),))  # fmt: skip

    conv = make_wire_converter("toy", {Customer: hook})
    # A tab in an address line is what platforms send: kept, not refused.
    found = conv.structure({"id": "1", "tags": "a,b", "line1": "Gate\t1"}, Customer)
    assert found.addresses[0].line1 == "Gate\t1"
    with pytest.raises(PayloadError) as info:
        conv.structure(Payload({"id": "1", "tags": 5}, "$.customers[4]", "toy"), Customer)
    assert info.value.path == "$.customers[4]" and "AttributeError" in str(info.value)


def test_read_payload_runs_a_converter_function_like_a_wire_hook() -> None:
    def refund_line(p: Payload, currency: str) -> RefundLine:
        return RefundLine(line_ref=p.string("id"), quantity=p.integer("quantity"),
                          amount=Money(p.decimal("subtotal"), currency))  # fmt: skip

    body = Payload({"data": {"id": "9", "quantity": 0, "subtotal": "-1.005"}}, "$", "toy")
    line = read_payload(body.obj("data"), refund_line, "USD")
    assert line.quantity == 0 and line.amount == Money("-1.005", "USD")  # as the platform sent
    with pytest.raises(PayloadError) as info:
        read_payload(body.obj("data"), refund_line, "US$", what="refund line")
    assert info.value.path == "$.data" and "refund line" in str(info.value)
    assert info.value.platform == "toy"


# -- mutation: whatever a platform sends, a model object or a PayloadError ---------------


def _order(p: Payload) -> Order:
    """A converter that uses every accessor, the way the platform converters do."""
    currency = p.currency("currency")
    buyer = p.opt_obj("customer")
    lines = p.each("lines", lambda line: OrderLine(
        platform="toy", ref=p.ref("id") and line.ref("id"), sku=line.opt_string("sku"),
        title=line.string("title"), quantity=line.integer("quantity"),
        unit_price=line.money("price", currency), total=line.opt_money("total", currency),
        requires_shipping=line.opt_bool("ship"),
    ))  # fmt: skip
    refunded = [item.opt_decimal("amount") for item in p.iter("refunds")]
    return Order(
        platform="toy", ref=p.ref("id"), number=p.string("number"),
        status=OrderStatus.parse(p.opt_string("status")), currency=currency,
        total=p.money("total", currency), tax_total=p.opt_money("tax", currency),
        email=buyer.opt_string("email") if buyer else None,
        customer=Customer(platform="toy", ref=buyer.ref("id"), email=buyer.opt_string("email"))
        if buyer is not None else None,
        lines=lines, tags=tuple(str(n) for n in (p.opt_integer("count"), *refunded) if n),
        note=p.opt_string("note"), created_at=p.timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at", lambda t: datetime.fromtimestamp(int(t), UTC)),
        taxes_included=p.opt_bool("paid"),
    )  # fmt: skip


BASE: dict[str, Any] = {
    "id": 1001, "number": "100123", "currency": "USD", "status": "open", "total": "59.99",
    "tax": 5.5, "count": "2", "paid": "1", "note": "Ring twice", "created_at":
    "2026-03-01T12:00:00Z", "updated_at": "1772366400",
    "customer": {"id": "7", "email": "ola@example.com"},
    "lines": [
        {"id": 1, "sku": "A", "title": "Tee", "quantity": 2, "price": "29.99", "ship": True},
        {"id": "2", "sku": None, "title": "Cap", "quantity": "1", "price": 0, "total": "0.00"},
    ],
    "refunds": [{"amount": "5.00"}],
}  # fmt: skip


HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**5000), st.floats(),
    st.sampled_from([s for s in HOSTILE_NUMBERS if isinstance(s, str)]),
    st.text(st.characters(codec=None), max_size=20),  # controls, surrogates, anything
    st.text(st.characters(categories=["Cs", "Cc", "Zl"]), min_size=1, max_size=5),
    st.binary(max_size=8), st.decimals(), st.just(deeply_nested(20_000)),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.none(), max_size=2),
    st.just("2026-13-45T99:99:99Z"), st.just("0000-00-00 00:00:00"), st.just("x" * 100_000),
)  # fmt: skip
MUTABLE_PATHS = [p for p in json_paths(BASE) if p]


def _order_of(body: Any) -> Order:
    return _order(Payload(body, "$.o", "toy"))


def _mutated(changes: list[tuple[tuple[Any, ...], Any, bool]]) -> Any:
    return mutated(BASE, changes)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MUTABLE_PATHS), HOSTILE, st.booleans()), min_size=1,
                max_size=4))  # fmt: skip
def test_mutated_payloads_give_a_model_object_or_a_payload_error(
    changes: list[tuple[tuple[Any, ...], Any, bool]],
) -> None:
    body = _mutated(changes)
    order, error = _outcome(lambda: _order(Payload(body, "$.orders[0]", "toy")))
    if error is not None:
        assert error.path.startswith("$.orders[0]") and len(str(error)) < 500
    else:
        # A currency mutated into another code that reads as one ("NaN" is "NAN") is the
        # order's currency; left alone, it is the body's USD.
        currency = order.currency if any(p == ("currency",) for p, _, _ in changes) else "USD"
        assert isinstance(order, Order) and order.total.currency == currency
        json.loads(order.to_json().encode("utf-8"))  # what was accepted also serialises


HOSTILE_VALUES: list[Any] = [
    *HOSTILE_NUMBERS, None, 10**20, -(10**20), 2**63, 1.5, -0.0, "2", "ok\ud800", "\x00",
    "a\r\nb", "\u2028", b"\xff\xfe", Decimal("NaN"), Decimal("1e999999"), deeply_nested(20_000),
    {"id": 1}, [{"id": 1}], "2026-13-45T99:99:99Z", "0000-00-00 00:00:00", "x" * 100_000,
]  # fmt: skip


def test_every_field_with_every_hostile_value() -> None:
    """Exhaustive single changes (value swapped or key removed) at every path of the body."""
    outcomes = {"object": 0, "PayloadError": 0}
    for where in MUTABLE_PATHS:
        for value in HOSTILE_VALUES:
            for delete in (False, True) if value is None else (False,):
                body = _mutated([(where, value, delete)])
                order, error = _outcome(partial(_order_of, body))
                if error is not None:
                    assert error.path.startswith("$.o"), (where, value)
                    outcomes["PayloadError"] += 1
                else:
                    assert isinstance(order, Order)
                    order.to_json().encode("utf-8")  # accepted text is real text
                    outcomes["object"] += 1
    assert outcomes["object"] and outcomes["PayloadError"]  # both kinds were exercised


def test_unmutated_payload_reads_completely() -> None:
    order = _order(Payload(BASE, "$", "toy"))
    assert order.total == Money("59.99", "USD") and len(order.lines) == 2
    assert order.lines[1].unit_price == Money("0", "USD") and order.tags == ("2", "5.00")
    assert order.updated_at == datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_line_total_beyond_any_amount_is_refused_at_the_quantity() -> None:
    line = Payload({"quantity": 10**17}, "$.lines[0]", "test")
    assert line.line_total(Money("15.00", "USD"), 3) == Money("45.00", "USD")
    with pytest.raises(PayloadError) as refused:
        line.line_total(Money("15.00", "USD"), 10**17)
    assert refused.value.path == "$.lines[0].quantity"
    assert "beyond any amount" in str(refused.value)
