"""The kit's plain readers agree with the Payload accessors wherever they take a value, and
refuse (NotPlain, or an error ``read_plain`` turns into None) everything else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storebridge._fast
from storebridge.errors import PayloadError
from storebridge.kit import (
    Payload,
    PlainStatus,
    plain_amount,
    plain_flag,
    plain_model,
    plain_money,
    plain_ref,
    plain_text,
    plain_time,
    read_plain,
)
from storebridge.model import (
    Address,
    Customer,
    FulfillmentStatus,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    RefundQuote,
)
from storebridge.validation import platform_data

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**30), st.floats(),
    st.sampled_from(["1e999999", "-1E+999999", "9" * 41, "NaN", "", " ", "0x1F", "1_0",
                     "12.50", "-0.00", "0", "1", "true", "yes", "ok\ud800", "a\x00",
                     "2025-04-20T12:26:19+02:00", "2025-04-20T12:26:19Z",
                     "2025-04-20 12:26:19", "0000-00-00 00:00:00", "2026-13-45T99:99:99Z",
                     "x" * 300, "Trond Hågensen"]),
    st.text(max_size=12), st.lists(st.integers(), max_size=2),
)  # fmt: skip

PAIRS: dict[str, tuple[Callable[[Any], Any], Callable[[Payload], Any]]] = {
    "text": (plain_text, lambda p: p.opt_string("v")),
    "ref": (plain_ref, lambda p: p.ref("v")),
    "amount": (plain_amount, lambda p: p.opt_decimal("v")),
    "money": (lambda v: plain_money(v, "NOK"), lambda p: p.opt_money("v", "NOK")),
    "time": (plain_time, lambda p: p.opt_timestamp("v")),
    "flag": (plain_flag, lambda p: p.opt_bool("v")),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_a_plain_reader_gives_the_accessors_result_or_gives_up(name: str) -> None:
    plain, careful = PAIRS[name]

    @settings(max_examples=300, deadline=None, database=None)
    @given(VALUES)
    def check(value: Any) -> None:
        fast = read_plain(plain, value)
        try:
            expected = careful(Payload({"v": value}, "$", "test"))
        except PayloadError:
            assert fast is None  # what the careful way refuses, the fast way never takes
            return
        if fast is not None:
            assert fast == expected
            assert repr(fast) == repr(expected)  # the same digits, not only an equal value

    check()


def test_plain_values_are_taken_and_unusual_ones_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert plain_text("Hågensen") == "Hågensen" and plain_text("") is None
    assert str(plain_amount("3331.50")) == "3331.50" and plain_amount(None) is None
    # An empty cache, as in a fresh process (earlier tests in this one may have filled it).
    monkeypatch.setattr(storebridge._fast, "_MONEY", {})
    assert plain_money("99.00", "NOK") is plain_money("99.00", "NOK")  # read once, shared
    assert plain_flag("1") is True and plain_ref("10002") == "10002"
    for reader, value in ((plain_amount, "1e999999"), (plain_amount, "9" * 41),
                          (plain_text, 12), (plain_ref, " "), (plain_time, "2025-04-20 12:00:00"),
                          (plain_flag, "yes"), (plain_amount, "NaN")):  # fmt: skip
        assert read_plain(reader, value) is None, (reader, value)


def test_statuses_are_parsed_once_with_their_aliases() -> None:
    read = PlainStatus(FulfillmentStatus, {"partial": "partially_fulfilled"})
    assert read("partial") is FulfillmentStatus.PARTIALLY_FULFILLED
    assert read("nonsense") is FulfillmentStatus.UNKNOWN
    assert read(None) is FulfillmentStatus.parse(None)


def test_plain_models_equal_what_the_class_builds() -> None:
    usd = Money("59.99", "USD")
    when = datetime(2025, 4, 20, 12, 26, 19, tzinfo=UTC)
    cases: list[tuple[type, dict[str, Any]]] = [
        (Order, {"platform": "p", "ref": "1", "number": "#1", "status": OrderStatus.OPEN,
                 "currency": "USD", "total": usd, "created_at": when, "tags": ("a",),
                 "raw": {"id": 1}}),
        (OrderLine, {"platform": "p", "ref": "2", "sku": None, "title": "T", "quantity": 2,
                     "unit_price": usd}),
        (Customer, {"platform": "p", "ref": "3", "email": "a@b.test"}),
        (Address, {"line1": "Storgata 1\t", "country": "NO"}),  # a tab: platform data
        (RefundQuote, {"platform": "p", "order_ref": "1", "lines": (), "total": usd}),
    ]  # fmt: skip
    for cls, values in cases:
        build: Callable[..., Any] = plain_model(cls)
        built = build(**values)
        assert type(built) is cls
        for field in attrs.fields(cls):
            assert hasattr(built, field.name), (cls, field.name)
        with platform_data():  # as converters build them (an Address then takes a tab)
            expected = cls(**values)
        assert built == expected and repr(built) == repr(expected)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        plain_model(Order)(**cases[0][1]).ref = "2"  # type: ignore[misc]


def test_plain_models_call_default_factories_per_object() -> None:
    build = plain_model(Customer)
    first, second = build(platform="p", ref="1"), build(platform="p", ref="1")
    assert first.raw == {} and first.raw is not second.raw
    quotes = plain_model(RefundQuote)
    usd = Money("1.00", "USD")
    keys = {quotes(platform="p", order_ref="1", lines=(), total=usd).idempotency_key
            for _ in range(3)}  # fmt: skip
    assert len(keys) == 3


def test_a_plain_model_refuses_classes_it_cannot_build_plainly() -> None:
    @attrs.frozen
    class Converted:
        value: int = attrs.field(converter=int)

    @attrs.define(slots=False)
    class Unslotted:
        value: int

    with pytest.raises(TypeError, match="not plain"):
        plain_model(Converted)
    with pytest.raises(TypeError, match="slotted"):
        plain_model(Unslotted)
