"""Mutated 24Nettbutikk answers: every outcome is model objects or a PayloadError with a path.

The shapes are the shop's own (captured from the emulator): a page of orders, one order,
one customer, a product's ``flat=1`` rows and a page of products. Hypothesis swaps values
at any depth for hostile ones (huge and malformed numbers, control characters, wrong
containers, deep nesting) or removes keys; each body then goes through the adapter's real
flow. A bare Python exception fails the test.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storebridge import _http
from storebridge.errors import NotFound, PayloadError
from storebridge.kit import OrderQuery, drive
from storebridge.model import Customer, Order, Product
from storebridge_24nettbutikk import NettbutikkAdapter
from tests.adapters.nettbutikk.shop import adapter, emulator, responder
from tests.support.mutations import json_paths, mutated

SHOP = emulator(orders=3, customers=2, products=4, seed=2)
ADAPTER = adapter(page_size=50)
REAL = responder(SHOP, ADAPTER)
VARIANT_PRODUCT = str(next(p for p in SHOP.products if p["variants"])["id"])
ORDER = str(SHOP.orders[0]["order_no"])
CUSTOMER = str(SHOP.customers[0]["id"])
API = "/api/v1"

# What is mutated: the answer at this path (and query), and the flow that reads it.
Flow = Callable[[NettbutikkAdapter], Any]
SHAPES: dict[str, tuple[str, str, Flow, type]] = {
    "orders page": (f"{API}/orders/50/0", "", lambda a: a.list_orders(OrderQuery()), Order),
    "one order": (f"{API}/orders/{ORDER}", "", lambda a: a.get_order(ORDER), Order),
    "customer": (f"{API}/customers/{CUSTOMER}", "", lambda a: a.get_customer(CUSTOMER), Customer),
    "product rows": (
        f"{API}/products/{VARIANT_PRODUCT}", "flat=1",
        lambda a: a.get_product(VARIANT_PRODUCT), Product,
    ),
    "products page": (f"{API}/products/50/0", "flat=0",
                      lambda a: a.list_products(OrderQuery()), Product),
}  # fmt: skip


_ANSWERS: dict[str, tuple[int, bytes]] = {}


def real(request: _http.Request) -> _http.Response:
    """The shop's own answer (kept: the shop does not change while the tests run)."""
    key = str(request.url)
    if key not in _ANSWERS:
        answer = REAL(request)
        _ANSWERS[key] = (answer.status_code, answer.content)
    status, content = _ANSWERS[key]
    return _http.Response(status, content=content, request=request)


def captured(path: str, query: str) -> Any:
    request = _http.Request("GET", f"https://shop.test{path}" + (f"?{query}" if query else ""))
    body = json.loads(real(request).content)
    del body["data"][2:]  # two rows show every field and a row's place in the page
    return body


BODIES = {name: captured(path, query) for name, (path, query, _, _) in SHAPES.items()}
DEEP = "\x00deep\x00"


def dumped(body: Any) -> bytes:
    text = json.dumps(body, ensure_ascii=False)
    return text.replace(json.dumps(DEEP), "[" * 2000 + "1" + "]" * 2000).encode("utf-8", "replace")


def outcome(name: str, body: Any) -> tuple[list[Any], BaseException | None]:
    path, query, flow, _ = SHAPES[name]
    content = dumped(body)

    def respond(request: _http.Request) -> _http.Response:
        if request.url.path == path and request.url.query.decode() == query:
            return _http.Response(200, content=content, request=request)
        return real(request)

    try:
        result, items = drive(flow(ADAPTER), respond)
    except (PayloadError, NotFound) as exc:
        return [], exc
    return ([result] if result is not None else []) + items, None


def mutated_body(name: str, changes: list[tuple[int, Any, bool]]) -> Any:
    """``BODIES[name]`` with each change at the path its index picks."""
    where_all = [p for p in json_paths(BODIES[name]) if p]
    return mutated(
        BODIES[name], [(where_all[pick % len(where_all)], v, d) for pick, v, d in changes]
    )


HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**30), st.floats(allow_nan=False),
    st.sampled_from(["1e999999", "-1E+999999", "9" * 41, "NaN", "", " ", "0x1F", "1_0",
                     "١٢", "0000-00-00 00:00:00", "2026-13-45 99:99:99", "x" * 100_000,
                     "../1", "a/b", ".", "9" * 70_000, "10000?x=1"]),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.text(st.characters(categories=["Cc", "Zl"]), min_size=1, max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.none(), max_size=2),
    st.just(DEEP),
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(SHAPES)),
    st.lists(st.tuples(st.integers(0, 10_000), HOSTILE, st.booleans()), min_size=1, max_size=4),
)
def test_mutated_answers_give_model_objects_or_a_payload_error(
    name: str, changes: list[tuple[int, Any, bool]]
) -> None:
    items, error = outcome(name, mutated_body(name, changes))
    if error is None:
        kind = SHAPES[name][3]
        assert all(isinstance(item, kind) for item in items)  # none: the data emptied
        for item in items:
            item.to_json()  # what was accepted is real text and real numbers
    elif isinstance(error, PayloadError):
        assert error.path.startswith("$") and len(str(error)) < 1000, error


def test_unmutated_answers_read_completely() -> None:
    for name in SHAPES:
        items, error = outcome(name, BODIES[name])
        assert error is None and items, name


NUMBERS = [
    ("orders page", ("data", 0, "total_amount_gross")),
    ("orders page", ("data", 0, "order_lines", 0, "unit_price")),
    ("orders page", ("data", 0, "order_lines", 0, "quantity")),
    ("one order", ("data", 0, "shipping_costs")),
    ("one order", ("data", 0, "total_vat")),
    ("product rows", ("data", 0, "stock")),
    ("product rows", ("data", 1, "price")),
    ("products page", ("data", 0, "price")),
]


@pytest.mark.parametrize(("name", "where"), NUMBERS)
@pytest.mark.parametrize("value", ["1e999999", "-1E+999999", "9" * 41])
def test_huge_numbers_are_refused_with_their_path(
    name: str, where: tuple[Any, ...], value: str
) -> None:
    body = copy.deepcopy(BODIES[name])
    holder: Any = body
    for key in where[:-1]:
        holder = holder[key]
    holder[where[-1]] = value
    _, error = outcome(name, body)
    assert isinstance(error, PayloadError)
    assert error.path == "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in where)


EVERY_VALUE: list[Any] = [
    None, True, -1, 10**30, 1.5, "1e999999", "", "x" * 5000, "a/b", "a\r\nb", [], {"id": 1},
    "0000-00-00 00:00:00", DEEP,
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_field_with_every_hostile_value(name: str) -> None:
    """Exhaustive single changes (a value swapped, or the key removed) at every path."""
    seen: set[str] = set()
    for pick in range(len(json_paths(BODIES[name])) - 1):
        if json_paths(BODIES[name])[pick + 1][:2] == ("data", 1):
            continue  # the second row is read like the first
        for value in EVERY_VALUE:
            for delete in (False, True) if value is None else (False,):
                items, error = outcome(name, mutated_body(name, [(pick, value, delete)]))
                if error is None:
                    assert all(isinstance(item, SHAPES[name][3]) for item in items)
                    seen.add("objects")
                elif isinstance(error, PayloadError):
                    assert error.path.startswith("$"), (pick, value)
                    seen.add("PayloadError")
    assert seen == {"objects", "PayloadError"}  # both outcomes were exercised
