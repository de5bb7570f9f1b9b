"""A refused customer update is sent again by the next run.

A target refusing an update once (a 422) marked the record failed, which cleared its
copy's ref: the next run found the copy by its e-mail and took it for the target's own
customer ("reused"), so no update was ever sent to it again and every later change of
the customer was dropped while runs passed. The ledger now keeps the copy as it was, and
the next run (a catch-up too) sends the update.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import CustomerUpdate, _http
from storebridge.testing import FaultTransport
from tests.migrate.support import connect, ledger_rows, sandbox


class RefuseWrites(_http.BaseTransport):
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def handle_request(self, request: _http.Request) -> _http.Response:
        if request.method in ("PUT", "PATCH"):
            body = b'{"errors": "temporarily locked"}'
            headers = {"Content-Type": "application/json"}
            return _http.Response(422, headers=headers, content=body, request=request)
        response: _http.Response = self.inner.handle_request(request)
        return response


@pytest.mark.parametrize("since", [None, "last-run"])
def test_a_refused_update_is_sent_again_by_the_next_run(tmp_path: Path, since: Any) -> None:
    source_kit = sandbox("shopline", seed=2, orders=3, currency="USD")
    target_kit = sandbox("shopline", empty=True, currency="USD")
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
    with connect(source_kit, "src") as shop:
        moved = next(iter(shop.customers.list()))
        shop.customers.update(moved.ref, CustomerUpdate(first_name="Renamed"))
    refusing = RefuseWrites(target_kit.emulator.transport())
    with connect(source_kit, "src") as source, \
            connect(target_kit, "dst", transport=refusing) as target:  # fmt: skip
        refused = storebridge.migrate(source, target, ledger=ledger)
    assert [f.source_ref for f in refused.results["customers"].failed] == [moved.ref]
    rows = ledger_rows(
        ledger, "SELECT state, how FROM items WHERE resource='customers' AND source_ref=?",
        moved.ref,
    )  # fmt: skip
    assert rows == [("pending", "created")]  # its copy kept, its update owed
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        again = storebridge.migrate(source, target, ledger=ledger, since=since)
        assert again.status == "PASS", again.summary()
        assert again.results["customers"].updated == 1
        copy = next(c for c in target.customers.list() if c.email == moved.email)
    assert copy.first_name == "Renamed"


def test_a_change_made_while_an_update_is_owed_is_still_told(tmp_path: Path) -> None:
    """The owed update's entry kept no print, so a tags change made meanwhile (which no
    update carries) went unreported when the update was finally sent."""
    source_kit = sandbox("shopline", seed=2, orders=3, currency="USD")
    target_kit = sandbox("shopline", empty=True, currency="USD")
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
    with connect(source_kit, "src") as shop:
        moved = next(iter(shop.customers.list()))
        shop.customers.update(moved.ref, CustomerUpdate(first_name="Renamed"))
    refusing = RefuseWrites(target_kit.emulator.transport())
    with connect(source_kit, "src") as source, \
            connect(target_kit, "dst", transport=refusing) as target:  # fmt: skip
        assert storebridge.migrate(source, target, ledger=ledger).status != "PASS"
    with connect(source_kit, "src") as shop:
        shop.customers.update(moved.ref, CustomerUpdate(tags=("vip",)))
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        again = storebridge.migrate(source, target, ledger=ledger)
    assert again.results["customers"].updated == 1
    listed = [line for line in again.changed_not_updated if f"customers {moved.ref}" in line]
    assert listed and "no update carries them" in listed[0]


def test_an_owed_update_that_landed_is_no_mismatch(tmp_path: Path) -> None:
    """An update whose answer was lost (and its read-back failed) may have landed: the copy
    then holds the new values, and verification must not call that a mismatch."""
    source_kit = sandbox("shopline", seed=2, orders=3, currency="USD")
    target_kit = sandbox("shopline", empty=True, currency="USD")
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        copy = next(iter(target.customers.list()))
    with connect(source_kit, "src") as shop:
        moved = next(c for c in shop.customers.list() if c.email == copy.email)
        shop.customers.update(moved.ref, CustomerUpdate(first_name="Renamed"))
    wrote: list[bool] = []

    def lose(_n: int, request: Any) -> str | None:
        if request.method == "PUT" and not wrote:
            wrote.append(True)
            return "timeout_after"  # it landed; the answer did not
        # ... and reading that customer back fails; the verification's listing does not
        if wrote and request.method == "GET" and request.url.path.endswith(f"/{copy.ref}.json"):
            return "server_error"
        return None

    faulty = FaultTransport(target_kit.emulator.transport(), script=lose)
    with connect(source_kit, "src") as source, \
            connect(target_kit, "dst", transport=faulty) as target:  # fmt: skip
        owed = storebridge.migrate(source, target, ledger=ledger)
    assert [f.source_ref for f in owed.results["customers"].failed] == [moved.ref]
    assert owed.verification is not None
    assert not [m for m in owed.verification.mismatches if m.source_ref == moved.ref]
    with connect(target_kit, "dst") as target:
        assert target.customers.get(copy.ref).first_name == "Renamed"
