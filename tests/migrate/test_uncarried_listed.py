"""A customer change an update cannot carry is listed by the run that reads it.

A change of tags or an address (which an update does not carry) is listed in
``changed_not_updated`` by the run that reads it, and an update is sent only when it has
something to carry: a run with nothing new sends nothing and lists nothing again. A change
of the e-mail (which migrations never send: it matches customers) is listed, and its
verification mismatch says to change it on the target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import storebridge
from storebridge import CustomerUpdate, _http
from tests.migrate.support import connect, sandbox


class Writes(_http.BaseTransport):
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.writes = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        if request.method not in ("GET", "HEAD"):
            self.writes += 1
        response: _http.Response = self.inner.handle_request(request)
        return response


def test_a_tags_change_is_listed_by_the_run_that_reads_it(tmp_path: Path) -> None:
    source_kit = sandbox("shopline", seed=2, orders=3, currency="USD")
    target_kit = sandbox("shopline", empty=True, currency="USD")
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
    with connect(source_kit, "src") as shop:
        moved = next(iter(shop.customers.list()))
        shop.customers.update(moved.ref, CustomerUpdate(first_name="Moved", tags=("vip",)))
    counted = Writes(target_kit.emulator.transport())
    runs, writes = [], []
    for _ in range(3):
        with connect(source_kit, "src") as source, \
                connect(target_kit, "dst", transport=counted) as target:  # fmt: skip
            runs.append(storebridge.migrate(source, target, ledger=ledger))
        writes.append(counted.writes)
        counted.writes = 0
    listed = [
        [line for line in report.changed_not_updated if f"customers {moved.ref}" in line]
        for report in runs
    ]
    assert listed[0] and "no update carries them" in listed[0][0]
    assert listed[1:] == [[], []]
    assert runs[0].results["customers"].updated == 1  # the name went
    assert writes[1:] == [0, 0]


def test_an_email_change_is_listed_with_what_to_do(tmp_path: Path) -> None:
    source_kit = sandbox("shopline", seed=2, orders=3, currency="USD")
    target_kit = sandbox("shopline", empty=True, currency="USD")
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
    with connect(source_kit, "src") as shop:
        moved = next(iter(shop.customers.list()))
        shop.customers.update(moved.ref, CustomerUpdate(email="moved@example.com"))
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=ledger)
    listed = [line for line in report.changed_not_updated if f"customers {moved.ref}" in line]
    assert listed and "do not change a copy's e-mail" in listed[0]
    assert report.verification is not None
    problems = [m.problem for m in report.verification.mismatches if m.source_ref == moved.ref]
    assert problems and "change it on the target" in problems[0]
