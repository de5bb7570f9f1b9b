"""Whatever 29 Next sends, a model object or a PayloadError with a path: never a bare
exception. Bodies are real answers of the sandbox (orders on both API versions, list rows,
users, products, transactions, refunds, refund calculations, fulfillment orders), mutated
field by field; the fast path for list rows agrees with the careful converter."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge import (
    Customer,
    FulfillmentOrder,
    Money,
    Order,
    PayloadError,
    Product,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
    Transaction,
    ValidationError,
)
from storebridge.http import Request
from storebridge.kit import Payload
from storebridge_29next._converter import structure
from storebridge_29next._fast_orders import order_row
from storebridge_29next._refund_rules import check_refund
from storebridge_29next._refunds import refundable
from tests.adapters.twentyninenext.support.sandbox import BASE, Sandbox
from tests.support.mutations import deeply_nested, json_paths


def _answers() -> dict[str, tuple[type[Any], Any, str]]:
    """Real answers of the sandbox: name -> (model class, body, where it sits)."""
    sandbox = Sandbox(orders=25)
    transport = sandbox.emulator.transport()
    token = sandbox.settings["access_token"]

    def call(method: str, path: str, version: str = "2024-04-01", body: Any = None) -> Any:
        request = Request(method, f"{BASE}/api/admin/{path}", json=body, headers={
            "Authorization": f"Bearer {token}", "X-29next-API-Version": version})  # fmt: skip
        response = transport.handle_request(request)
        response.read()
        assert response.status_code < 300, response.content
        return response.json()

    row = call("GET", "orders/")["results"][0]
    quote = call("POST", "orders/100002/refund/calculate/", body={
        "refund_lines": [{"line_id": 1002, "quantity": 1}]})  # fmt: skip
    made = call("POST", "orders/100002/refund/", body={
        "transactions": [{"id": t["id"], "amount": t["amount"]} for t in quote["transactions"]],
        "refund_lines": [{"line_id": 1002, "quantity": 1, "restock_type": "return"}],
        "note": "x"})  # fmt: skip
    fo = call("GET", "orders/100001/fulfillment-orders/")[0]
    return {
        "list row": (Order, row, "$.results[0]"),
        "order": (Order, call("GET", "orders/100002/"), "$"),
        "order 2023-02-10": (Order, call("GET", "orders/100002/", "2023-02-10"), "$"),
        "user": (Customer, call("GET", "users/100/"), "$"),
        "product": (Product, call("GET", "products/11/"), "$"),
        "transaction": (Transaction, call("GET", "transactions/5001/"), "$"),
        "refund": (Refund, made, "$"),
        "refund calculation": (RefundQuote, {**quote, "order_number": "100002"}, "$"),
        "fulfillment order": (FulfillmentOrder, fo, "$[0]"),
    }


ANSWERS = _answers()


HOSTILE_VALUES: list[Any] = [
    None, "", " ", True, 0, -1, 10**20, 10**5000, 1.5, float("nan"), float("inf"),
    "1e999999", "-1E+999999", "9" * 50, "NaN", "0x1F", "12.345", "-0.00", "ok\ud800", "\x00",
    "a\r\nb", "x" * 100_000, "2026-13-45T99:99:99Z", "0000-00-00 00:00:00", "usd", "EURO",
    [], {}, [{"id": 1}], {"id": "x"}, deeply_nested(3000), Decimal("1e999999"),
]  # fmt: skip
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_VALUES), st.integers(), st.floats(), st.text(max_size=12),
    st.text(st.characters(categories=["Cs", "Cc", "Zl"]), min_size=1, max_size=4),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.none(),
                                                         max_size=2),
)  # fmt: skip


def _mutated(body: Any, changes: list[tuple[tuple[Any, ...], Any, bool]]) -> Any:
    """``body`` with ``changes`` (value swapped, or key removed); only the containers on a
    changed path are copied, the rest is shared (nothing here writes to it)."""
    for where, value, delete in changes:
        if where:
            body = _changed(body, where, value, delete)
    return body


def _changed(node: Any, where: tuple[Any, ...], value: Any, delete: bool) -> Any:
    key, rest = where[0], where[1:]
    if isinstance(node, dict):
        copy_: Any = dict(node)
        if key not in copy_:
            return node  # an earlier change replaced this branch
    elif isinstance(node, list) and isinstance(key, int) and key < len(node):
        copy_ = list(node)
    else:
        return node
    if rest:
        copy_[key] = _changed(copy_[key], rest, value, delete)
    elif delete and isinstance(copy_, dict):
        del copy_[key]
    else:
        copy_[key] = value
    return copy_


def _read(cls: type[Any], body: Any, where: str) -> Any:
    """The model object, or the PayloadError (asserted to name a path under ``where``)."""
    try:
        return structure(Payload(body, where, "29next"), cls)
    except PayloadError as exc:
        error = exc
    assert error.path is not None and error.path.startswith(where), error
    assert len(str(error)) < 600
    return error


def _check_list_row(body: Any) -> None:
    careful = _read(Order, body, "$.results[0]")
    fast = order_row(body) if isinstance(body, dict) else None
    if fast is not None:
        # The fast path never accepts what the careful converter refuses, nor differs.
        assert careful == fast, (careful, fast)
        assert careful.raw is fast.raw


def _check_rules(body: Any) -> None:
    """Refund rules and refundable amounts on a mutated order: a rule broken, or a
    PayloadError at the bad value, never an AttributeError or TypeError."""
    lines = [RefundLine(line_ref="1002", quantity=1, restock=RestockType.RETURN),
             RefundLine(line_ref="x", quantity=2, restock=RestockType.UNKNOWN)]  # fmt: skip
    for checked in (
        lambda: check_refund(Payload(body), lines[:1], Money("1.00", "USD"), require_restock=True),
        lambda: check_refund(Payload(body), lines[1:], None, require_restock=False),
        lambda: refundable(Payload(body)),
    ):
        with contextlib.suppress(ValidationError, PayloadError):
            checked()


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_unmutated_answers_read_completely(name: str) -> None:
    cls, body, where = ANSWERS[name]
    result = _read(cls, body, where)
    assert isinstance(result, cls)
    if name == "list row":
        assert order_row(body) == result


@pytest.mark.parametrize("name", ["list row", "order", "refund calculation"])
def test_every_field_with_every_hostile_value(name: str) -> None:
    """Exhaustive single changes (value swapped or key removed) at every path."""
    cls, body, where = ANSWERS[name]
    outcomes = {"object": 0, "error": 0}
    for path in json_paths(body)[1:]:
        for value in HOSTILE_VALUES:
            for delete in (False, True) if value is None else (False,):
                mutated = _mutated(body, [(path, value, delete)])
                result = _read(cls, mutated, where)
                outcomes["error" if isinstance(result, PayloadError) else "object"] += 1
                if name == "list row":
                    _check_list_row(mutated)
                if name == "order":
                    _check_rules(mutated)
    assert outcomes["object"] and outcomes["error"]


def _mutations(name: str) -> Callable[..., None]:
    cls, body, where = ANSWERS[name]
    paths = json_paths(body)[1:]

    @settings(max_examples=60, deadline=None, database=None)
    @given(st.lists(st.tuples(st.sampled_from(paths), HOSTILE, st.booleans()), min_size=1,
                    max_size=4))  # fmt: skip
    def check(changes: list[tuple[tuple[Any, ...], Any, bool]]) -> None:
        mutated = _mutated(body, changes)
        result: Any = _read(cls, mutated, where)
        if not isinstance(result, PayloadError):
            assert isinstance(result, cls)
            result.to_json().encode("utf-8")  # what was accepted also serialises
        if name == "list row":
            _check_list_row(mutated)
        if name.startswith("order"):
            _check_rules(mutated)

    return check


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_mutated_answers_give_a_model_object_or_a_payload_error(name: str) -> None:
    _mutations(name)()


def test_huge_exponents_in_numbers_are_refused_at_their_field() -> None:
    cls, body, where = ANSWERS["order"]
    for key in ("total_incl_tax", "shipping_excl_tax", "total_tax"):
        error = _read(cls, {**body, key: "1e999999"}, where)
        assert isinstance(error, PayloadError) and error.path == f"$.{key}"
    line = {**body["lines"][0], "current_quantity": "1e999999"}
    error = _read(cls, {**body, "lines": [line]}, where)
    assert isinstance(error, PayloadError) and error.path == "$.lines[0].current_quantity"


@pytest.mark.parametrize("flag", [0.0, 1.0, 0, 1, "0", "yes", True, None])
def test_a_list_rows_marketing_flag_reads_alike_both_ways(flag: Any) -> None:
    """``0.0 in (True, False, None)`` holds in Python: the fast path once took 0.0 as a
    flag (and kept the float) where the careful way refuses it."""
    _, row, _ = ANSWERS["list row"]
    body = {**row, "user": {**row["user"], "accepts_marketing": flag}}
    _check_list_row(body)
