"""A customer change an update cannot carry is listed by the run that reads it.

A change of tags or an address (which an update does not carry) is listed in
``changed_not_updated`` by the run that reads it, and an update is sent only when it has
something to carry: a run with nothing new sends nothing and lists nothing again. A change
of the e-mail (which migrations never send: it matches customers) is listed, and its
verification mismatch says to change it on the target.
"""

from __future__ import annotations

from pathlib import Path

from storebridge import CustomerUpdate
from tests.migrate.support import Migrated
from tests.support.counting import Counting


def test_a_tags_change_is_listed_by_the_run_that_reads_it(tmp_path: Path) -> None:
    stores = Migrated(tmp_path)
    moved = stores.change(CustomerUpdate(first_name="Moved", tags=("vip",)))
    counted = Counting(stores.target.emulator.transport())
    runs, writes = [], []
    for _ in range(3):
        runs.append(stores.run(counted))
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
    stores = Migrated(tmp_path)
    moved = stores.change(CustomerUpdate(email="moved@example.com"))
    report = stores.run()
    listed = [line for line in report.changed_not_updated if f"customers {moved.ref}" in line]
    assert listed and "do not change a copy's e-mail" in listed[0]
    assert report.verification is not None
    problems = [m.problem for m in report.verification.mismatches if m.source_ref == moved.ref]
    assert problems and "change it on the target" in problems[0]
