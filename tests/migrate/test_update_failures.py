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
from tests.migrate.support import Migrated, connect, ledger_rows


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


def _renamed_and_refused(stores: Migrated) -> storebridge.Customer:
    """A source customer renamed, and a run whose target refuses the update."""
    moved = stores.change(CustomerUpdate(first_name="Renamed"))
    refused = stores.run(RefuseWrites(stores.target.emulator.transport()))
    assert [f.source_ref for f in refused.results["customers"].failed] == [moved.ref]
    return moved


@pytest.mark.parametrize("since", [None, "last-run"])
def test_a_refused_update_is_sent_again_by_the_next_run(tmp_path: Path, since: Any) -> None:
    stores = Migrated(tmp_path)
    moved = _renamed_and_refused(stores)
    rows = ledger_rows(
        stores.ledger, "SELECT state, how FROM items WHERE resource='customers' AND source_ref=?",
        moved.ref,
    )  # fmt: skip
    assert rows == [("pending", "created")]  # its copy kept, its update owed
    again = stores.run(since=since)
    assert again.status == "PASS", again.summary()
    assert again.results["customers"].updated == 1
    with connect(stores.target, "dst") as target:
        copy = next(c for c in target.customers.list() if c.email == moved.email)
    assert copy.first_name == "Renamed"


def test_a_change_made_while_an_update_is_owed_is_still_told(tmp_path: Path) -> None:
    """The owed update's entry kept no print, so a tags change made meanwhile (which no
    update carries) went unreported when the update was finally sent."""
    stores = Migrated(tmp_path)
    moved = _renamed_and_refused(stores)
    with connect(stores.source, "src") as shop:
        shop.customers.update(moved.ref, CustomerUpdate(tags=("vip",)))
    again = stores.run()
    assert again.results["customers"].updated == 1
    listed = [line for line in again.changed_not_updated if f"customers {moved.ref}" in line]
    assert listed and "no update carries them" in listed[0]


def test_an_owed_update_that_landed_is_no_mismatch(tmp_path: Path) -> None:
    """An update whose answer was lost (and its read-back failed) may have landed: the copy
    then holds the new values, and verification must not call that a mismatch."""
    stores = Migrated(tmp_path)
    moved = stores.change(CustomerUpdate(first_name="Renamed"))
    with connect(stores.target, "dst") as target:
        copy = next(c for c in target.customers.list() if c.email == moved.email)
    wrote: list[bool] = []

    def lose(_n: int, request: Any) -> str | None:
        if request.method == "PUT" and not wrote:
            wrote.append(True)
            return "timeout_after"  # it landed; the answer did not
        # ... and reading that customer back fails; the verification's listing does not
        if wrote and request.method == "GET" and request.url.path.endswith(f"/{copy.ref}.json"):
            return "server_error"
        return None

    owed = stores.run(FaultTransport(stores.target.emulator.transport(), script=lose))
    assert [f.source_ref for f in owed.results["customers"].failed] == [moved.ref]
    assert owed.verification is not None
    assert not [m for m in owed.verification.mismatches if m.source_ref == moved.ref]
    with connect(stores.target, "dst") as target:
        assert target.customers.get(copy.ref).first_name == "Renamed"
