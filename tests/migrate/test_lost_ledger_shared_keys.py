"""A lost ledger is rebuilt from the identity tags, also when two source records share a key
the target keeps unique (an e-mail, a SKU).

Rebuilt, the ledger knew the copy a run had made (by its tag) but not which source record
had claimed the e-mail or SKU: the other record was then created, the target refused it,
and every later run failed on it (its orders skipped), where the first ledger had made it
point at the copy (customers) or skipped it (products).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from storebridge import _http
from tests.migrate.support import connect, sandbox


class Posts(_http.BaseTransport):
    """The target's transport, counting the creates it is sent."""

    def __init__(self, inner: _http.BaseTransport, path: str) -> None:
        self.inner = inner
        self.path = path
        self.sent = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        if request.method == "POST" and self.path in request.url.path:
            self.sent += 1
        return self.inner.handle_request(request)


@pytest.mark.parametrize("target", ["29next", "shopline"])
@pytest.mark.parametrize("upper", [False, True], ids=["same e-mail", "e-mail in capitals"])
def test_two_customers_with_one_e_mail_after_the_ledger_is_lost(
    tmp_path: Path, target: str, upper: bool
) -> None:
    source = sandbox("24nettbutikk", seed=1, orders=25, customers=20)
    rows = source.emulator.table("customers")  # type: ignore[attr-defined]
    first, second = rows[3], rows[13]
    email = str(first["e_mail"])
    source.emulator.touch("customers", second["id"], e_mail=email.upper() if upper else email)  # type: ignore[attr-defined]
    extra = {"currency": "NOK"} if target == "shopline" else {}
    dest = sandbox(target, empty=True, seed=2, **extra)
    posts = Posts(dest.emulator.transport(), "user" if target == "29next" else "customer")
    with connect(source, "src") as src, connect(dest, "dst", transport=posts) as dst:
        first_run = storebridge.migrate(src, dst, ledger=tmp_path / "ledger.sqlite")
        assert first_run.status == "PASS", first_run.summary()
        made = posts.sent
        runs = []
        for _ in range(2):  # the ledger is lost; rebuilt, then run again on it
            again = storebridge.migrate(src, dst, ledger=tmp_path / "rebuilt.sqlite")
            assert again.status == "PASS", again.summary()
            assert not again.results["customers"].failed
            runs.append(again)
        assert posts.sent == made  # nothing created again, nothing refused
    assert runs[0].results["customers"].reused == 1  # the second points at the first's copy


def test_two_products_with_one_sku_after_the_ledger_is_lost(tmp_path: Path) -> None:
    source = sandbox("29next", seed=7, orders=10)
    products = source.emulator.state.products  # type: ignore[attr-defined]
    products[12]["variants"][0]["sku"] = products[10]["variants"][0]["sku"]
    dest = sandbox("shopline", empty=True, seed=8)
    posts = Posts(dest.emulator.transport(), "product")
    with connect(source, "src") as src, connect(dest, "dst", transport=posts) as dst:
        first_run = storebridge.migrate(src, dst, ledger=tmp_path / "ledger.sqlite")
        skipped = [s.source_ref for s in first_run.results["products"].skipped]
        made = posts.sent
        for _ in range(2):
            again = storebridge.migrate(src, dst, ledger=tmp_path / "rebuilt.sqlite")
            assert again.status == first_run.status == "INCOMPLETE", again.summary()
            assert [s.source_ref for s in again.results["products"].skipped] == skipped
            assert not again.results["products"].failed
    assert len(skipped) == 1 and posts.sent == made
