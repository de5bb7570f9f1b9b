"""Input checks: every draft and input refuses bad values with a ValidationError naming the
field, at construction, and never with a bare TypeError/ValueError."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from storebridge import (
    Address,
    CustomerDraft,
    CustomerUpdate,
    FinancialStatus,
    Money,
    OrderDraft,
    OrderLineDraft,
    ProductDraft,
    RefundLine,
    RestockType,
    ValidationError,
    VariantDraft,
    validation,
)
from storebridge.validation import platform_data

USD = Money("10.00", "USD")


def line(**changes: Any) -> OrderLineDraft:
    return OrderLineDraft(**{"title": "Tee", "quantity": 1, "unit_price": USD, **changes})


def order(**changes: Any) -> OrderDraft:
    fields: dict[str, Any] = {"currency": "USD", "lines": (line(),), "total": USD}
    return OrderDraft(**{**fields, **changes})


def variant(**changes: Any) -> VariantDraft:
    return VariantDraft(**{"sku": "TEE-1", "price": USD, **changes})


def product(**changes: Any) -> ProductDraft:
    return ProductDraft(**{"title": "Tee", "variants": (variant(),), **changes})


def customer(**changes: Any) -> CustomerDraft:
    return CustomerDraft(**{"email": "ola@example.com", **changes})


def refund_line(**changes: Any) -> RefundLine:
    return RefundLine(**{"line_ref": "1", "quantity": 1, **changes})


# (what to build, the field the error must name)
BAD: list[tuple[str, Callable[[], object], str]] = [
    ("quantity as text", lambda: refund_line(quantity="2"), "quantity"),
    ("quantity as bool", lambda: refund_line(quantity=True), "quantity"),
    ("quantity as float", lambda: refund_line(quantity=2.0), "quantity"),
    ("quantity zero", lambda: refund_line(quantity=0), "quantity"),
    ("quantity negative", lambda: refund_line(quantity=-1), "quantity"),
    ("quantity huge", lambda: refund_line(quantity=10**30), "quantity"),
    ("restock as text", lambda: refund_line(restock="return"), "restock"),
    ("refund amount negative", lambda: refund_line(amount=Money("-1", "USD")), "amount"),
    ("refund amount 3 decimals", lambda: refund_line(amount=Money("1.005", "USD")), "amount"),
    ("refund line ref blank", lambda: refund_line(line_ref=" "), "line_ref"),
    ("refund line ref with LF", lambda: refund_line(line_ref="1\n2"), "line_ref"),
    ("naive created_at", lambda: order(created_at=datetime(2026, 1, 1)), "created_at"),
    ("created_at as text", lambda: order(created_at="2026-01-01"), "created_at"),
    ("total in another currency", lambda: order(total=Money("10", "EUR")), "total"),
    ("line in another currency",
     lambda: order(lines=(line(unit_price=Money("1", "EUR")),)), "lines[0].unit_price"),
    ("negative total", lambda: order(total=Money("-1", "USD")), "total"),
    ("negative discount", lambda: order(discount_total=Money("-1", "USD")), "discount_total"),
    ("total as float", lambda: order(total=10.0), "total"),
    ("bad currency", lambda: order(currency="US"), "currency"),
    ("order email x@", lambda: order(email="x@"), "email"),
    ("lines not drafts", lambda: order(lines=({"title": "x"},)), "lines[0]"),
    ("financial status as text", lambda: order(financial_status="paid"), "financial_status"),
    ("tags as one string", lambda: order(tags="a,b"), "tags"),
    ("blank tag", lambda: order(tags=("a", "")), "tags[1]"),
    ("note with NUL", lambda: order(note="ok\x00"), "note"),
    ("address line with CRLF",
     lambda: order(shipping_address=Address(line1="Gate 1\r\nX-Injected: 1")), "line1"),
    ("line quantity zero", lambda: line(quantity=0), "quantity"),
    ("line price negative", lambda: line(unit_price=Money("-5", "USD")), "unit_price"),
    ("JPY with decimals", lambda: line(unit_price=Money("100.5", "JPY")), "unit_price"),
    ("KWD with 4 decimals", lambda: line(unit_price=Money("1.2345", "KWD")), "unit_price"),
    ("title with tab", lambda: line(title="a\tb"), "title"),
    ("price negative", lambda: variant(price=Money("-5", "USD")), "price"),
    ("stock negative", lambda: variant(stock=-3), "stock"),
    ("stock huge", lambda: variant(stock=10**30), "stock"),
    ("stock as text", lambda: variant(stock="5"), "stock"),
    ("sku blank", lambda: variant(sku=""), "sku"),
    ("sku with LF", lambda: variant(sku="A\nB"), "sku"),
    ("product title blank", lambda: product(title="  "), "title"),
    ("product title too long", lambda: product(title="x" * 1001), "title"),
    ("variants not drafts", lambda: product(variants=("TEE-1",)), "variants[0]"),
    ("description with NUL", lambda: product(description="<p>\x00</p>"), "description"),
    ("email x@", lambda: customer(email="x@"), "email"),
    ("email without domain dot", lambda: customer(email="x@localhost"), "email"),
    ("email without local part", lambda: customer(email="@example.com"), "email"),
    ("email with space", lambda: customer(email="ola nordmann@example.com"), "email"),
    ("email with CRLF", lambda: customer(email="x@example.com\r\nBcc: y@example.com"), "email"),
    ("email too long", lambda: customer(email="a" * 64 + "@" + "b" * 190 + ".com"), "email"),
    ("email local too long", lambda: customer(email="a" * 65 + "@example.com"), "email"),
    ("email double dot", lambda: customer(email="a..b@example.com"), "email"),
    ("email not text", lambda: customer(email=None), "email"),
    ("first name with NUL", lambda: customer(first_name="Ola\x00"), "first_name"),
    ("phone with LF", lambda: customer(phone="123\n456"), "phone"),
    ("marketing as text", lambda: customer(accepts_marketing="yes"), "accepts_marketing"),
    ("unpaired surrogate", lambda: customer(last_name="Nord\ud800"), "last_name"),
    ("addresses as dicts", lambda: customer(addresses=({"city": "Oslo"},)), "addresses[0]"),
    ("update email bad", lambda: CustomerUpdate(email="x@"), "email"),
    ("update note with ESC", lambda: CustomerUpdate(note="\x1b[31m"), "note"),
    ("address city with LF", lambda: Address(city="Oslo\n"), "city"),
    ("address line with U+2028", lambda: Address(line1="a\u2028b"), "line1"),
    ("money not a number", lambda: Money("abc", "USD"), "amount"),
    ("money 1e999999", lambda: Money("1e999999", "USD"), "amount"),
    ("money huge int", lambda: Money(10**30, "USD"), "amount"),
    ("money NaN", lambda: Money("NaN", "USD"), "amount"),
    ("money bad currency", lambda: Money("1", "EURO"), "currency"),
    ("missing keyword", lambda: CustomerDraft(), "email"),  # type: ignore[call-arg]
    ("unknown keyword", lambda: customer(emial="x@example.com"), "emial"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "build", "field"), BAD, ids=[case for case, _, _ in BAD])
def test_bad_input_names_the_field(case: str, build: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.field == field, str(info.value)
    assert field.split("[")[0].split(".")[-1] in str(info.value)


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="quantity"):
        refund_line(quantity="2")


def test_positional_arguments_are_a_validation_error_too() -> None:
    with pytest.raises(ValidationError, match="keyword arguments only"):
        RefundLine("1", 2)  # type: ignore[call-arg]


def test_good_input_is_accepted_as_given() -> None:
    draft = order(
        currency="usd",
        lines=[line(unit_price=Money("59.990", "USD"), quantity=2)],
        total=Money("119.98", "USD"),
        email="ola.nordmann+shop@bøker.no",
        created_at=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        note="Ring on the door.\r\nThanks!\tBye",
        shipping_address=Address(line1="Bjørnstjerne Bjørnsons gate 67", city="Hønefoss"),
        financial_status=FinancialStatus.PAID,
        tags=("vip",),
    )
    assert draft.currency == "USD"  # stored upper-cased
    assert line(unit_price=Money("100", "JPY")).unit_price.amount == 100
    assert line(unit_price=Money("1.234", "KWD")).quantity == 1
    assert variant(stock=0).stock == 0 and variant(stock=None).stock is None
    assert refund_line(restock=RestockType.RETURN, amount=Money("0", "USD")).quantity == 1
    assert customer(email="a@b.co").email == "a@b.co"
    assert CustomerUpdate().email is None
    assert product(description="<p>one</p>\n<p>two</p>").title == "Tee"


def test_evolve_checks_again() -> None:
    with pytest.raises(ValidationError, match="quantity"):
        attrs.evolve(line(), quantity=-1)


def test_platform_data_keeps_what_platforms_send() -> None:
    with platform_data():
        address = Address(line1="Gate 1\tB", city="Oslo\r\n")
        zero = RefundLine(line_ref="7", quantity=0)
    assert address.line1 == "Gate 1\tB" and zero.quantity == 0
    # Outside the block the same values are refused again...
    with pytest.raises(ValidationError):
        Address(line1="Gate 1\tB")
    # ...and a draft always checks what it is about to send, whoever built its parts.
    with pytest.raises(ValidationError) as info:
        customer(addresses=(address,))
    assert info.value.field == "addresses[0].line1"
    with platform_data(), pytest.raises(ValidationError):
        line(quantity=0)
    assert validation.checking_input()


def test_checks_adapters_call_with_their_own_limits() -> None:
    assert validation.quantity(3, "lines[0].quantity", maximum=3) == 3
    with pytest.raises(ValidationError, match="at most 2") as info:
        validation.quantity(3, "lines[0].quantity", maximum=2)
    assert info.value.field == "lines[0].quantity"
    assert validation.stock(-5, "stock", minimum=-10) == -5
    with pytest.raises(ValidationError, match="between 0 and 99999"):
        validation.stock(100_000, "stock", maximum=99_999)
    left = Money("5.00", "USD")
    assert validation.money(Money("5", "USD"), "amount", maximum=left) == Money("5", "USD")
    with pytest.raises(ValidationError, match=r"at most 5\.00 USD"):
        validation.money(Money("5.01", "USD"), "amount", maximum=left)
    with pytest.raises(ValidationError, match="must be in NOK"):
        validation.money(left, "amount", currency="NOK")
    assert validation.money(Money("-1", "USD"), "adjustment", allow_negative=True).amount == -1
    assert validation.currency(" nok ") == "NOK"
    assert validation.text("a\nb", "note", multiline=True) == "a\nb"
    with pytest.raises(ValidationError, match="limit is 10"):
        validation.text("x" * 11, "name", max_length=10)
    assert validation.aware(datetime(2026, 1, 1, tzinfo=UTC), "since").year == 2026
    assert validation.flag(None, "notify") is None


def test_minor_units_are_data() -> None:
    assert validation.minor_units("JPY") == 0
    assert validation.minor_units("KWD") == 3
    assert validation.minor_units("USD") == 2 and validation.minor_units("NOK") == 2
    assert all(places in (0, 3, 4) for places in validation.MINOR_UNITS.values())


def test_describe_never_repeats_a_huge_value() -> None:
    assert len(validation.describe("x" * 10**6)) < 80
    assert "digits" in validation.describe(10**5000)
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    assert validation.describe(nested) == "a list of 1 items"


ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
    st.decimals(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(), st.text()),
    st.datetimes(), st.just(USD), st.just(Money("1", "EUR")),
)  # fmt: skip


@given(title=ANYTHING, quantity=ANYTHING, price=ANYTHING, sku=ANYTHING)
def test_any_value_gives_an_object_or_a_validation_error(
    title: Any, quantity: Any, price: Any, sku: Any
) -> None:
    fields: list[str | None] = []
    for build in (
        lambda: OrderLineDraft(title=title, quantity=quantity, unit_price=price, sku=sku),
        lambda: RefundLine(line_ref=title, quantity=quantity, amount=price),
        lambda: VariantDraft(sku=sku, price=price, stock=quantity, title=title),
        lambda: CustomerDraft(email=title, first_name=sku, note=title),
        lambda: Money(price, sku),
        lambda: OrderDraft(currency=sku, lines=(), total=price, created_at=title),
    ):
        try:
            build()
        except ValidationError as exc:  # anything else fails the test
            fields.append(exc.field)
    assert None not in fields  # every refusal names its field


@pytest.mark.parametrize(
    ("lines", "field", "words"),
    [
        ([("99", 1)], "lines[0].line_ref", "is not a line of order #1001; its lines are 11, 12"),
        ([("11", 1), ("11", 1)], "lines[1].line_ref", "listed twice"),
        ([("12", 1)], "lines[0].quantity", "no units left to refund"),
        ([("11", 3)], "lines[0].quantity", "more than the 2 unit(s) of line 11"),
    ],
)
def test_refund_lines_name_the_line_and_the_fix(
    lines: list[tuple[str, int]], field: str, words: str
) -> None:
    wanted = [RefundLine(line_ref=ref, quantity=units) for ref, units in lines]
    with pytest.raises(ValidationError) as refused:
        validation.refund_lines(wanted, {"11": 2, "12": 0}, order="#1001")
    assert refused.value.field == field
    assert words in str(refused.value)
