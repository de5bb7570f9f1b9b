"""Mutated SHOPLINE answers: a model object or a PayloadError with its path, nothing else.

The bases are real answers of the emulator (orders with and without refunds, customers,
products, a refund trial, a created refund, an order's refunds) and a token answer. Random
values replace or remove fields anywhere in them; the fast way of reading orders must give
exactly what the careful way gives whenever it takes a row.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge import PayloadError, StorebridgeError, TokenRefreshError
from storebridge.http import Response
from storebridge.kit import Payload, platform_data, read_payload
from storebridge.model import Customer, Order, Product, Refund, RefundQuote
from storebridge_shopline import parse_token_response
from storebridge_shopline._converter import make_converter, order, refund, refund_quote
from storebridge_shopline._fast_orders import fast_order
from tests.adapters.shopline.support import START, paid_order, wire, world
from tests.support.mutations import deeply_nested, json_paths, mutated


@cache
def bases() -> dict[str, Any]:
    w = world(orders=4, rate_limit=False)
    ref = paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    wanted = [{"line_item_id": line["id"], "quantity": 1, "type": "Returned"}]
    calc = wire(w, "POST", f"orders/{ref}/refunds/calculate.json",
                {"refund_line_items": wanted, "currency": "USD"})  # fmt: skip
    sale = calc["refund"]["transactons"][0]
    made = wire(w, "POST", "order/refund.json", {
        "order_id": ref, "currency": "USD",
        "refund_line_items": [{**wanted[0], "restock_type": "return"}],
        "transactions": [{"id": sale["parent_id"], "gateway": sale["gateway"], "kind": "refund",
                          "amount": sale["amount"], "currency": "USD", "type": True}],
    })  # fmt: skip
    other = next(k for k in w.emulator.orders if k != ref)
    orders = [wire(w, "GET", "orders.json", ids=i, status="any")["orders"][0] for i in (ref, other)]
    return {
        "orders": {"orders": orders},
        "customers": {"customers": wire(w, "GET", "v2/customers.json", limit="2")["customers"]},
        "products": {"products": wire(w, "GET", "products/products.json", limit="2")["products"]},
        "quote": calc,
        "refund": made,
        "refunds": wire(w, "GET", f"orders/{ref}/refunds.json"),
        "token": {
            "code": 200, "i18nCode": "SUCCESS", "message": "ok",
            "data": {"accessToken": "tok-abc", "expireTime": "2026-01-01T10:00:00.000+00:00",
                     "scope": "read_orders,write_orders"},
        },
    }  # fmt: skip


CONVERTER = make_converter("USD")


def _orders(body: Any) -> list[Any]:
    found = []
    for row in Payload(body, "$", "shopline").objects("orders"):
        careful: Any
        try:
            with platform_data():
                careful = order(row)
        except PayloadError as exc:
            careful = exc
        fast = fast_order(row.data)
        if fast is not None:  # the fast way takes only what the careful way reads the same
            assert fast == careful, (fast, careful)
        found.append(CONVERTER.structure(row, Order))
    return found


def _rows(key: str, cls: type) -> Callable[[Any], list[Any]]:
    return lambda body: [CONVERTER.structure(row, cls)
                         for row in Payload(body, "$", "shopline").objects(key)]  # fmt: skip


def _token(body: Any) -> Any:
    try:
        response = Response(200, json=body)
    except (ValueError, TypeError, RecursionError):
        return None  # not JSON at all: nothing a server could send
    try:
        return parse_token_response(response, now=START)
    except TokenRefreshError:
        return None


def _quote(body: Any) -> Any:
    return read_payload(Payload(body, "$", "shopline").obj("refund"), refund_quote, "1", "USD")


def _refund(body: Any) -> Any:
    return read_payload(Payload(body, "$", "shopline").obj("data"), refund, "USD")


def _refunds(body: Any) -> Any:
    rows = Payload(body, "$", "shopline").objects("refunds")
    return [read_payload(row, refund, "USD") for row in rows]


READERS: dict[str, Callable[[Any], Any]] = {
    "orders": _orders,
    "customers": _rows("customers", Customer),
    "products": _rows("products", Product),
    "quote": _quote,
    "refund": _refund,
    "refunds": _refunds,
    "token": _token,
}


HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**60), st.floats(),
    st.sampled_from(["1e999999", "-1e999999", "NaN", "Infinity", "1" * 60, "0x10", "", " 2 ",
                     "2", "2.5", "-3", "2026-13-45T99:99:99Z", "0000-00-00 00:00:00", "usd",
                     "US", "XXXX", "EU€", "x" * 5000]),
    st.text(st.characters(codec=None), max_size=12),  # controls, surrogates, anything
    st.decimals(), st.just(deeply_nested(3000)), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.none(), max_size=2),
)  # fmt: skip


def _outcome(kind: str, body: Any) -> str:
    error: PayloadError | None = None
    try:
        READERS[kind](body)
    except PayloadError as exc:
        error = exc
    if error is None:
        return "object"
    assert error.path.startswith("$"), error
    assert len(str(error)) < 1000  # a bad value is described, not repeated
    return "PayloadError"


@pytest.mark.parametrize("kind", sorted(READERS))
def test_unmutated_answers_read_completely(kind: str) -> None:
    assert _outcome(kind, bases()[kind]) == "object"
    if kind == "orders":  # both orders take the fast way as they are
        assert all(fast_order(row) is not None for row in bases()["orders"]["orders"][1:])


def _check_mutations(kind: str, data: st.DataObject) -> None:
    base = bases()[kind]
    paths = [p for p in json_paths(base) if p]
    changes = data.draw(st.lists(st.tuples(st.sampled_from(paths), HOSTILE, st.booleans()),
                                 min_size=1, max_size=4))  # fmt: skip
    try:
        _outcome(kind, mutated(base, changes))
    except StorebridgeError as exc:  # pragma: no cover - shown with the failing example
        pytest.fail(f"{type(exc).__name__} instead of a PayloadError: {exc}")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_orders_read_alike_both_ways_or_fail_with_a_path(data: st.DataObject) -> None:
    _check_mutations("orders", data)


@pytest.mark.parametrize("kind", sorted(set(READERS) - {"orders"}))
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_mutated_answers_give_objects_or_payload_errors(kind: str, data: st.DataObject) -> None:
    _check_mutations(kind, data)


def _numbers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return [p for p in json_paths(value) if p and _is_number(_at(value, p))]


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        return isinstance(value, str) and Decimal(value).is_finite() and value.strip() != ""
    except ArithmeticError:
        return False


@pytest.mark.parametrize("kind", sorted(set(READERS) - {"token"}))
def test_huge_exponents_in_numbers_are_refused(kind: str) -> None:
    base = bases()[kind]
    refused = 0
    for where in _numbers(base):
        outcome = _outcome(kind, mutated(base, [(where, "1e999999", False)]))
        refused += outcome == "PayloadError"
    assert refused  # money and quantities are read, and each refuses the exponent


def test_a_bad_currency_in_a_refund_is_a_payload_error_with_its_path() -> None:
    body = mutated(bases()["refund"], [(("data", "transactions", 0, "currency"), "EU", False)])
    with pytest.raises(PayloadError) as err:
        READERS["refund"](body)
    assert err.value.path == "$.data.transactions[0].currency"
    quote = mutated(bases()["quote"], [(("refund", "transactons", 0, "currency"), "??", False)])
    with pytest.raises(PayloadError) as err:
        READERS["quote"](quote)
    assert err.value.path == "$.refund.transactons[0].currency"


def test_refund_quote_keeps_the_order_refunds_it_was_calculated_after() -> None:
    body = bases()["quote"]
    quote = read_payload(Payload(body, "$", "shopline").obj("refund"), refund_quote, "1", "USD",
                         (), ["r2", "r1"])  # fmt: skip
    assert isinstance(quote, RefundQuote)
    assert quote.raw["storebridge_refunds_before"] == ["r1", "r2"]
    assert isinstance(READERS["refund"](bases()["refund"]), Refund)


@pytest.mark.parametrize("units", [10**17, 10**18, "1000000000000000076"])
def test_a_line_whose_total_is_beyond_any_amount_is_refused_at_its_quantity(units: Any) -> None:
    body = mutated(bases()["orders"], [(("orders", 0, "line_items", 0, "quantity"), units, False)])
    with pytest.raises(PayloadError) as refused:
        READERS["orders"](body)
    assert refused.value.path.endswith("line_items[0].quantity"), refused.value.path
