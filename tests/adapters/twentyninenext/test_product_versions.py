"""Products read and write their variants in the connected API version's own list:
``variants`` on 2024-04-01, ``children`` on 2023-02-10 (both specs require the list in every
product row, and 2023-02-10's create body takes ``children`` too).

On 2023-02-10 every product once read with no variants: listings, exports and migrations
lost every SKU, price and stock level, and an order by SKU ended in a PayloadError naming
``variants``. A row without its list, or a product other than a parent listing none (its
SKU and price are in no other field), is a PayloadError naming the list, never a product
without its SKUs.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from storebridge import (
    Money,
    OrderDraft,
    OrderLineDraft,
    PayloadError,
    Product,
    ProductDraft,
    VariantDraft,
    http,
)
from storebridge.model import ChangeKind
from storebridge.testing import FaultTransport
from storebridge.webhooks import receive
from storebridge_29next import TwentyNineNextAdapter, sign_webhook
from storebridge_29next.emulator.products import render_product
from tests.adapters.twentyninenext.support import fixtures, spec
from tests.adapters.twentyninenext.support.sandbox import BASE, Rewriting, Sandbox
from tests.support.faults import FailNextPost

VERSIONS = ["2024-04-01", "2023-02-10"]
LIST = {"2024-04-01": "variants", "2023-02-10": "children"}
"""Where each version lists a product's variants."""
OTHER = {"variants": "children", "children": "variants"}


def _expected(state: Any) -> dict[str, list[tuple[str, str, Decimal, int]]]:
    """Product id -> (variant id, SKU, price, stock) as the emulator's store holds them."""
    return {
        str(p["id"]): [
            (str(v["id"]), v["sku"], Decimal(v["prices"][0]["price"]),
             sum(s["num_in_stock"] - s["num_allocated"] for s in v["stockrecords"]))
            for v in p["variants"]
        ]
        for p in state.products.values()
    }  # fmt: skip


def _held(product: Product) -> list[tuple[str, str | None, Decimal | None, int | None]]:
    return [(v.ref, v.sku, v.price.amount if v.price else None, v.stock) for v in product.variants]


@pytest.mark.parametrize("version", VERSIONS)
def test_products_listed_read_and_created_hold_their_variants(version: str) -> None:
    harness = fixtures.Harness(orders=3)  # every exchange checked against the version's spec
    expected = _expected(harness.emulator.state)
    assert sum(len(v) for v in expected.values()) > len(expected)  # a parent among them
    with harness.connect(api_version=version) as store:
        listed = list(store.products.list())
        assert {p.ref: _held(p) for p in listed} == expected
        assert all(LIST[version] in p.raw for p in listed)  # the version's own shape
        first = store.products.get(listed[0].ref)
        assert _held(first) == expected[first.ref]
        lamp = VariantDraft(sku="V-LAMP-1", price=Money("9.50", "USD"), stock=4)
        shade = VariantDraft(sku="V-LAMP-2", price=Money("12.00", "USD"))
        made = store.products.create(ProductDraft(title="Lamp", variants=(lamp, shade)))
    assert [(v.sku, v.price, v.stock) for v in made.variants] == [
        ("V-LAMP-1", Money("9.50", "USD"), 4), ("V-LAMP-2", Money("12.00", "USD"), None)
    ]  # fmt: skip
    sent = next(json.loads(r.body) for r in harness.emulator.requests
                if r.method == "POST" and r.path.endswith("/products/"))  # fmt: skip
    assert [v["sku"] for v in sent[LIST[version]]] == ["V-LAMP-1", "V-LAMP-2"]
    assert OTHER[LIST[version]] not in sent
    harness.assert_spec_clean()


def _child(vid: int, sku: str, price: str, stock: int) -> dict[str, Any]:
    """A 2023-02-10 ProductVariant as that version's spec has it."""
    return {
        "id": vid, "product_id": 7, "sku": sku, "title": f"Desk Lamp {sku}", "images": "",
        "unit_cost": "1.00", "track_stock": True, "structure": "child",
        "prices": [{"currency": "USD", "price": price, "retail": None}],
        "stockrecords": [{"id": vid + 500, "location_id": 1, "num_in_stock": stock,
                          "num_allocated": 1, "low_stock_threshold": 0, "sku": sku,
                          "price": price, "price_currency": "USD", "price_retail": None}],
        "date_created": "2025-03-01T10:00:00Z", "date_updated": "2025-03-02T10:00:00Z",
    }  # fmt: skip


ROW_2023: dict[str, Any] = {
    "id": 7, "title": "Desk Lamp", "slug": "desk-lamp", "structure": "parent",
    "categories": [], "images": [], "rating": None, "metadata": {},
    "url": f"{BASE}/catalogue/desk-lamp/",
    "date_created": "2025-03-01T10:00:00Z", "date_updated": "2025-03-02T10:00:00Z",
    "children": [_child(71, "DL-S", "19.00", 5), _child(72, "DL-L", "24.50", 3)],
}  # fmt: skip
"""A 2023-02-10 ProductList row, written from that version's spec (not the emulator)."""


def _answering(row: dict[str, Any]) -> http.MockTransport:
    """A transport answering every product list with ``row``, and every product read."""

    def handle(request: http.Request) -> http.Response:
        page = {"next": None, "previous": None, "results": [row]}
        listed = request.url.path.endswith("/products/")
        return http.Response(200, json=page if listed else row, request=request)

    return http.MockTransport(handle)


def test_a_2023_row_as_its_spec_has_it_reads_its_children() -> None:
    transport: Any = _answering(ROW_2023)
    checker = spec.SpecChecker() if spec.spec_dir() is not None else None
    if checker is not None:  # the row is what the spec says a 2023-02-10 answer holds
        transport = spec.SpecCheckingTransport(transport, checker)
    with Sandbox(orders=0).connect(transport, api_version="2023-02-10") as store:
        listed = list(store.products.list())
        read = store.products.get("7")
    for product in (*listed, read):
        assert _held(product) == [("71", "DL-S", Decimal("19.00"), 4),
                                  ("72", "DL-L", Decimal("24.50"), 2)]  # fmt: skip
    if checker is not None:
        assert len(checker.checked) == 2 and checker.violations == []


_GONE = object()
"""A field left out of the row."""


def _row(version: str, **changes: Any) -> dict[str, Any]:
    """``ROW_2023`` in ``version``'s shape, with ``changes``."""
    row = {k: v for k, v in ROW_2023.items() if k != "children"}
    row[LIST[version]] = ROW_2023["children"]
    return {k: v for k, v in {**row, **changes}.items() if v is not _GONE}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        # A standalone product's SKU and price are only in its one variant.
        ({"structure": "standalone", "@list": []}, "standalone.*lists no"),
        ({"structure": "child", "@list": []}, "lists no"),
        ({"structure": _GONE, "@list": []}, "lists no"),
        ({"@list": _GONE}, "does not list its variants"),
        ({"@list": None}, "does not list its variants"),
        ({"@list": {"id": 71}}, "expected a list"),
        ({"@list": _GONE, "@other": ROW_2023["children"]}, "another API version"),
    ],
    ids=["standalone", "child", "no-structure", "no-list", "null-list", "object", "other"],
)
def test_a_product_without_its_variants_is_a_payload_error_naming_the_list(
    version: str, changes: dict[str, Any], refused: str
) -> None:
    key = LIST[version]
    named = {key if k == "@list" else OTHER[key] if k == "@other" else k: v
             for k, v in changes.items()}  # fmt: skip
    transport = _answering(_row(version, **named))
    with Sandbox(orders=0).connect(transport, api_version=version) as store:
        with pytest.raises(PayloadError, match=refused) as listed:
            list(store.products.list())
        with pytest.raises(PayloadError, match=refused) as read:
            store.products.get("7")
    assert listed.value.path == f"$.results[0].{key}" and read.value.path == f"$.{key}"
    if version == "2023-02-10" and "lists no" in refused:
        assert "api_version='2024-04-01'" in str(listed.value)  # the fix is named


@pytest.mark.parametrize("version", VERSIONS)
def test_a_parent_whose_variants_are_still_to_be_made_reads_with_none(version: str) -> None:
    transport = _answering(_row(version, **{LIST[version]: []}))
    with Sandbox(orders=0).connect(transport, api_version=version) as store:
        assert [p.variants for p in store.products.list()] == [()]


# Orders by SKU -------------------------------------------------------------------------------
class LookupFaults:
    """A fault script: the SKU lookups meet a 5xx, then a wrong-shaped answer; the order's
    create is made but its answer lost."""

    def __init__(self) -> None:
        self.lookups = ["server_error", "wrong_shape"]
        self.creates = ["reset_after"]

    def __call__(self, _n: int, request: http.Request) -> str | None:
        path = request.url.path
        if request.method == "GET" and path.endswith("/products/") and self.lookups:
            return self.lookups.pop(0)
        if request.method == "POST" and path.endswith("/orders/") and self.creates:
            return self.creates.pop(0)
        return None


def _second_variant(sb: Sandbox) -> dict[str, Any]:
    parent = next(p for p in sb.emulator.state.products.values() if len(p["variants"]) > 1)
    variant: dict[str, Any] = parent["variants"][1]
    return variant


def _draft(sku: str, tag: str = "sb:sku") -> OrderDraft:
    line = OrderLineDraft(title="x", quantity=2, unit_price=Money("3.00", "USD"), sku=sku)
    return OrderDraft(currency="USD", lines=(line,), total=Money("6.00", "USD"),
                      email="sku.buyer@example.com", tags=(tag,))  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS)
def test_an_order_by_sku_takes_its_variant_through_faults(version: str) -> None:
    sb = Sandbox(orders=3)
    wanted = _second_variant(sb)  # not its product's first: the SKU picks the variant
    faults = LookupFaults()
    with sb.connect(FaultTransport(sb.emulator.transport(), script=faults),
                    api_version=version) as store:  # fmt: skip
        made = store.orders.create(_draft(wanted["sku"]))
    assert faults.lookups == faults.creates == []  # every fault was met
    tagged = [o for o in sb.emulator.state.orders.values() if "sb:sku" in o.tags]
    assert [o.number for o in tagged] == [made.ref]  # made once
    assert [(ln.variant_id, ln.sku) for ln in tagged[0].lines] == [(wanted["id"], wanted["sku"])]


def _products_found(request: http.Request) -> bool:
    return request.method == "GET" and request.url.path.endswith("/products/")


def _without_children(_request: http.Request, answer: Any, n: int) -> Any:
    rows = [{k: v for k, v in row.items() if k != "children"} for row in answer["results"]]
    return {**answer, "results": rows} if n == 1 else answer


def _never_children(request: http.Request, answer: Any, _n: int) -> Any:
    return _without_children(request, answer, 1)


def _standalone_without_children(_request: http.Request, answer: Any, _n: int) -> Any:
    rows = [{**row, "structure": "standalone", "children": []} for row in answer["results"]]
    return {**answer, "results": rows}


def test_a_2023_row_without_its_children_is_asked_again_not_read_as_no_such_sku() -> None:
    sb = Sandbox(orders=3)
    wanted = _second_variant(sb)
    rewrite = Rewriting(sb.emulator.transport(), _products_found, _without_children)
    with sb.connect(rewrite, api_version="2023-02-10") as store:
        made = store.orders.create(_draft(wanted["sku"]))
    assert rewrite.seen == 2  # the lookup was asked again
    assert [ln.variant_id for ln in sb.emulator.state.orders[made.ref].lines] == [wanted["id"]]


@pytest.mark.parametrize(
    ("rewrite", "path", "says"),
    [
        (_never_children, r"results\[0\]\.children", "required"),
        (_standalone_without_children, r"results\[0\]\.children", "api_version='2024-04-01'"),
    ],
    ids=["never-children", "standalone-without-children"],
)
def test_a_2023_lookup_without_the_variants_is_a_payload_error_and_nothing_is_made(
    rewrite: Any, path: str, says: str
) -> None:
    sb = Sandbox(orders=3)
    transport = Rewriting(sb.emulator.transport(), _products_found, rewrite)
    with sb.connect(transport, api_version="2023-02-10") as store:
        with pytest.raises(PayloadError, match=path) as caught:
            store.orders.create(_draft(_second_variant(sb)["sku"]))
    assert says in str(caught.value)
    assert sb.writes() == []  # nothing was sent


def test_a_lost_2023_product_create_is_found_by_its_children() -> None:
    sb = Sandbox(orders=3)
    fail = FailNextPost("/products/")
    with sb.connect(FaultTransport(sb.emulator.transport(), script=fail),
                    api_version="2023-02-10") as store:  # fmt: skip
        fail.kind = "reset_after"
        lamp = VariantDraft(sku="LOST-2023", price=Money("9.00", "USD"))
        made = store.products.create(ProductDraft(title="Lost Lamp", variants=(lamp,)))
    assert fail.kind is None  # the answer was lost
    assert [(v.sku, v.price) for v in made.variants] == [("LOST-2023", Money("9.00", "USD"))]
    skus = [v["sku"] for p in sb.emulator.state.products.values() for v in p["variants"]]
    assert skus.count("LOST-2023") == 1


# Webhooks ------------------------------------------------------------------------------------
SECRET = "whsec-29next-product-versions"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_product_delivery_is_read_as_its_own_version_renders_it(version: str) -> None:
    sb = Sandbox(orders=0)
    record = next(p for p in sb.emulator.state.products.values() if len(p["variants"]) > 1)
    payload = {
        "api_version": version,  # the subscription's version, not the connected one
        "data": render_product(record, BASE, version),
        "event_id": "8f0f5a54-0000-4000-8000-0000000000aa",
        "event_type": "product.updated",
        "object": "product",
        "webhook": {"events": ["product.updated"], "id": 1, "store": "acme", "target": BASE},
    }
    body, signature = sign_webhook(payload, SECRET)
    adapter = TwentyNineNextAdapter.from_settings(
        store="acme", access_token="token-29next-abcdef", webhook_secret=SECRET
    )
    change = receive(adapter, {"X-29Next-Signature": signature}, body)
    assert change is not None and change.kind is ChangeKind.UPDATED
    assert isinstance(change.object, Product)
    assert _held(change.object) == _expected(sb.emulator.state)[str(record["id"])]
