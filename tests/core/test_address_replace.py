"""``orders.update_shipping_address`` replaces the order's address, on SHOPLINE and 29 Next.

Fields of the new address left None were once not sent, so the platform kept the old
address's values: an order moved to Oslo kept its Texan region and its US phone, and the
read-back after a lost answer, comparing only the fields sent, took that mixture for the
write. Every field is now sent (blank when None), and the read-back compares the whole
address.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

import storebridge
from storebridge import Address, OutcomeUnknown, _http
from storebridge.http import BaseTransport, Request, Response
from storebridge.sandbox import Sandbox
from storebridge.testing import FaultTransport
from storebridge_shopline.emulator import orders as shopline_orders
from tests.migrate.support import connect, sandbox

PLATFORMS = ["shopline", "29next"]
WRITE = {"shopline": "PUT", "29next": "PATCH"}
FULL = Address(first_name="Ola", last_name="Hansen", company="Acme AS", line1="5 Old Road",
               line2="Suite 200", city="Austin", region="TX", postal_code="73301",
               country="US", phone="+15125550100")  # fmt: skip
"""The address the order has first: every field set."""
NEW = Address(first_name="Kari", last_name="Nordmann", line1="Storgata 1", city="Oslo",
              postal_code="0155", country="NO")  # fmt: skip
"""The address it gets: region, phone, line2 and company left None."""
NAMELESS = Address(line1="Storgata 1", city="Oslo", postal_code="0155", country="NO")
"""The getting-started example's address."""


def kept(platform: str, address: Address) -> Address:
    """``address`` as ``platform`` keeps it (29 Next addresses have no company, and it
    refuses one)."""
    return attrs.evolve(address, company=None) if platform == "29next" else address


def open_order(store: storebridge.Store) -> str:
    return next(o.ref for o in store.orders.list() if o.status.value == "open")


def readdressed(platform: str, kit: Sandbox) -> str:
    """An open order of ``kit`` whose shipping address is ``FULL``."""
    with connect(kit, "shop") as store:
        ref = open_order(store)
        done = store.orders.update_shipping_address(ref, kept(platform, FULL))
        assert done.shipping_address == kept(platform, FULL)
    return ref


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_address_update_replaces_the_old_address(platform: str) -> None:
    kit = sandbox(platform, orders=5)
    ref = readdressed(platform, kit)
    with connect(kit, "shop") as store:
        answered = store.orders.update_shipping_address(ref, NEW)
        read = store.orders.get(ref).shipping_address
    assert answered.shipping_address == NEW
    assert read == NEW  # region, phone, line2 and company blank, not the old ones


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_address_without_names_clears_the_old_names(platform: str) -> None:
    kit = sandbox(platform, orders=5)
    ref = readdressed(platform, kit)
    with connect(kit, "shop") as store:
        store.orders.update_shipping_address(ref, NAMELESS)
        assert store.orders.get(ref).shipping_address == NAMELESS


class Writes:
    """A fault script: the first address write meets ``kind``; every write is counted."""

    def __init__(self, platform: str, kind: str) -> None:
        self.method = WRITE[platform]
        self.kind = kind
        self.seen = 0

    def __call__(self, _number: int, request: Any) -> str | None:
        if request.method != self.method:
            return None
        self.seen += 1
        return self.kind if self.seen == 1 else None


@pytest.mark.parametrize("kind", ["reset_after", "reset_before"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lost_answer_is_settled_on_the_whole_address(platform: str, kind: str) -> None:
    """Processed and lost: read back, the replaced address is the result, not sent again.
    Never processed: the address is as it was, and the write is sent once more."""
    kit = sandbox(platform, orders=5)
    ref = readdressed(platform, kit)
    script = Writes(platform, kind)
    faulty = FaultTransport(kit.emulator.transport(), script=script)
    with connect(kit, "shop", transport=faulty) as store:
        order = store.orders.update_shipping_address(ref, NEW)
    assert order.shipping_address == NEW
    assert script.seen == (1 if kind == "reset_after" else 2)
    with connect(kit, "shop") as store:
        assert store.orders.get(ref).shipping_address == NEW


class Merging(BaseTransport):
    """A platform that keeps the old value of every address field sent blank, and whose
    answer to the write is lost (unless ``answer``)."""

    def __init__(self, inner: Any, method: str, *, answer: bool = False) -> None:
        self.inner = inner
        self.method = method
        self.answer = answer
        self.lost = False

    def handle_request(self, request: Request) -> Response:
        if request.method != self.method:
            response: Response = self.inner.handle_request(request)
            return response
        body = json.loads(request.read())
        holder = body.get("order", body)
        holder["shipping_address"] = {
            k: v for k, v in holder["shipping_address"].items() if v not in ("", None)
        }
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        merged = Request(request.method, request.url, headers=headers, json=body)
        answered: Response = self.inner.handle_request(merged)
        if self.answer:
            return answered
        self.lost = True
        raise _http.ReadError("connection reset", request=request)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_merged_address_is_never_taken_for_the_one_sent(platform: str) -> None:
    kit = sandbox(platform, orders=5)
    ref = readdressed(platform, kit)
    merging = Merging(kit.emulator.transport(), WRITE[platform])
    with connect(kit, "shop", transport=merging) as store:
        with pytest.raises(OutcomeUnknown, match="not to what was sent"):
            store.orders.update_shipping_address(ref, NEW)
    assert merging.lost


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_merged_address_in_a_2xx_answer_is_an_error_naming_the_fields(platform: str) -> None:
    kit = sandbox(platform, orders=5)
    ref = readdressed(platform, kit)
    merging = Merging(kit.emulator.transport(), WRITE[platform], answer=True)
    with connect(kit, "shop", transport=merging) as store:
        with pytest.raises(OutcomeUnknown, match="kept part of the old address") as caught:
            store.orders.update_shipping_address(ref, NEW)
    assert caught.value.processed is True
    assert "phone" in str(caught.value)


def test_a_shopline_country_filled_in_from_its_code_is_the_address_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SHOPLINE's records carry ``country`` beside ``country_code``: a platform filling the
    one sent blank from the code holds the address sent, not a mixture."""
    original = shopline_orders._readdressed

    def filled(current: dict[str, Any] | None, given: dict[str, Any]) -> dict[str, Any]:
        address = original(current, given)
        if address.get("country_code") and not address.get("country"):
            address["country"] = address["country_code"]
        return address

    monkeypatch.setattr(shopline_orders, "_readdressed", filled)
    kit = sandbox("shopline", orders=5)
    ref = readdressed("shopline", kit)
    with connect(kit, "shop") as store:
        assert store.orders.update_shipping_address(ref, NEW).shipping_address == NEW
        assert store.orders.get(ref).raw["shipping_address"]["country"] == "NO"
