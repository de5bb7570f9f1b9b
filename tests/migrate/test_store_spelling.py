"""One store, one name: a store's identity (ledger route, identity tags) does not depend
on how its URL is spelled. Run again with the host in capitals or its default port
written out, a migration once created every order a second time and still said PASS."""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from storebridge import Store
from storebridge.settings import canonical_host
from tests.migrate.test_migrate import TOKEN, tag_counts
from tests.support.toyshop import ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://acme.29next.store", "acme.29next.store"),
        ("https://ACME.29next.Store/api/admin", "acme.29next.store"),
        ("https://acme.29next.store:443", "acme.29next.store"),
        ("http://shop.example:80/", "shop.example"),
        ("https://shop.example:8443", "shop.example:8443"),
        ("http://127.0.0.1:8080/api/v1", "127.0.0.1:8080"),
        ("https://user:secret@Shop.Example/", "shop.example"),
        ("https://shop.example./", "shop.example"),
        ("https://[::1]:443/", "[::1]"),
        ("https://Bücher.example", "xn--bcher-kva.example"),
        ("https://xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_a_store_is_named_by_its_host_spelled_one_way(url: str, name: str) -> None:
    assert canonical_host(url) == name


def _shop(emu: ToyShopEmulator, base_url: str) -> Store:
    return storebridge.connect("toyshop", base_url=base_url, token=TOKEN, transport=emu.transport())


@pytest.mark.parametrize("again", ["https://SRC.example", "https://src.example:443"])
def test_a_migration_run_again_with_the_host_spelled_otherwise_writes_nothing_twice(
    again: str, tmp_path: Path
) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=6, products=4, orders=10)
    ledger = tmp_path / "l.sqlite"
    with _shop(source, "https://src.example") as s, _shop(target, "https://dst.example") as t:
        first = storebridge.migrate(s, t, ledger=ledger)
    assert first.status == "PASS", first.summary()
    with _shop(source, again) as s, _shop(target, "https://DST.example:443") as t:
        second = storebridge.migrate(s, t, ledger=ledger)
    assert second.status == "PASS", second.summary()
    assert second.results["orders"].created == 0
    assert len(target.tables["orders"]) == 10
    assert all(n == 1 for n in tag_counts(target).values())
