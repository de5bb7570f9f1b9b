"""When a ledger is trusted, and when the target's identity tags are read instead.

A ledger file that exists is not evidence of anything about this migration: it may be a
rebuild that was cut short, an empty file, or the ledger of another migration. Trusting it
wrote every order again on the target (orders cannot be deleted on 29 Next). The ledger
records per route whether its state is complete; until it is, each run rebuilds the mapping
from the identity tags on the target and adopts what is there.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.migrate.ledger import remove_ledger_files
from tests.migrate.support import TOKEN, connect, ledger_rows, sandbox, shop, tag_counts
from tests.support.paths import REPO_ROOT
from tests.support.toyshop import ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")

KILLED = 9

KILL_ON_RECONCILE = textwrap.dedent(
    """
    import json, os, sys, storebridge
    from tests.support.toyshop import ToyShopAdapter
    storebridge.register_adapter(ToyShopAdapter)
    source, target, ledger, extra = (json.loads(a) for a in sys.argv[1:5])

    def die(decision):
        if decision.action == "reconcile":
            os._exit(9)  # as kill -9: no cleanup, no commit beyond what was committed

    fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000))
    with storebridge.connect(options=fast, **source) as s, \\
         storebridge.connect(options=fast, **target) as t:
        storebridge.migrate(s, t, ledger=ledger, concurrency=1, on_decision=die, **extra)
    """
)


def _killed_at_first_reconcile(src_url: str, dst_url: str, ledger: Path, **extra: Any) -> int:
    """Run a migration in a child process that dies after its first reconciled record."""
    source = {"platform": "toyshop", "base_url": src_url, "token": TOKEN}
    target = {"platform": "toyshop", "base_url": dst_url, "token": TOKEN}
    args = [json.dumps(a) for a in (source, target, str(ledger), extra)]
    paths = [p for p in (os.environ.get("PYTHONPATH"), str(REPO_ROOT)) if p]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", KILL_ON_RECONCILE, *args],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)}, cwd=REPO_ROOT,
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode


def _seeded() -> tuple[ToyShopEmulator, ToyShopEmulator]:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=6, products=4, orders=10)
    return source, target


def _served_migrate(src_url: str, dst_url: str, ledger: Path) -> storebridge.MigrationReport:
    with (
        storebridge.connect("toyshop", base_url=src_url, token=TOKEN) as s,
        storebridge.connect("toyshop", base_url=dst_url, token=TOKEN) as t,
    ):
        return storebridge.migrate(s, t, ledger=ledger)


def _assert_adopted(report: storebridge.MigrationReport, target: ToyShopEmulator) -> None:
    assert report.status == "PASS", report.summary()
    assert report.results["orders"].created == 0
    assert len(target.tables["orders"]) == 10
    assert set(tag_counts(target).values()) == {1}, tag_counts(target).most_common(3)


# (A) A rebuild cut short resumes as a rebuild --------------------------------------------
def test_a_killed_rebuild_of_a_lost_ledger_resumes_without_writing_orders_again(
    tmp_path: Path,
) -> None:
    source, target = _seeded()
    lost, new = tmp_path / "lost.sqlite", tmp_path / "new.sqlite"
    with source.serve() as src_url, target.serve() as dst_url:
        assert _served_migrate(src_url, dst_url, lost).status == "PASS"
        remove_ledger_files(lost)
        assert _killed_at_first_reconcile(src_url, dst_url, new) == KILLED
        assert new.exists()
        # The documented resume: the same command, the same (new) ledger.
        report = _served_migrate(src_url, dst_url, new)
    _assert_adopted(report, target)
    assert report.results["orders"].reconciled == 10
    assert ledger_rows(new, "SELECT resource, done FROM rebuilds ORDER BY resource") == [
        ("customers", 1), ("orders", 1), ("products", 1),
    ]  # fmt: skip


def test_a_killed_rebuild_asked_for_is_continued_by_the_next_run(tmp_path: Path) -> None:
    """``rebuild_ledger=True`` on a ledger that forgot what it copied, killed before the
    orders: the next run, without the flag, still looks them up by tag instead of trusting
    the ledger."""
    source, target = _seeded()
    ledger = tmp_path / "l.sqlite"
    with source.serve() as src_url, target.serve() as dst_url:
        assert _served_migrate(src_url, dst_url, ledger).status == "PASS"
        with sqlite3.connect(ledger) as db:
            db.execute("DELETE FROM items")
        killed = _killed_at_first_reconcile(src_url, dst_url, ledger, rebuild_ledger=True)
        assert killed == KILLED
        report = _served_migrate(src_url, dst_url, ledger)
    _assert_adopted(report, target)
    assert report.results["orders"].reconciled == 10


# (B) A file that holds nothing of this migration -------------------------------------------
@pytest.mark.parametrize("holds", ["another migration", "nothing"])
def test_an_existing_ledger_without_this_route_adopts_what_the_target_has(
    holds: str, tmp_path: Path
) -> None:
    source, target = _seeded()
    first, other = tmp_path / "first.sqlite", tmp_path / "other.sqlite"
    with shop(source, "a") as s, shop(target, "b") as t:
        assert storebridge.migrate(s, t, ledger=first).status == "PASS"
    if holds == "nothing":
        other.touch()
    else:
        c, d = _seeded()
        with shop(c, "c") as s, shop(d, "d") as t:
            assert storebridge.migrate(s, t, ledger=other).status == "PASS"
    with shop(source, "a") as s, shop(target, "b") as t:
        report = storebridge.migrate(s, t, ledger=other)
    _assert_adopted(report, target)
    assert report.results["orders"].reconciled == 10


def test_the_ledger_of_another_29next_to_shopline_migration_writes_no_order_again(
    tmp_path: Path,
) -> None:
    a, b = sandbox("29next", seed=3, orders=6), sandbox("shopline", empty=True, seed=4)
    c, d = sandbox("29next", seed=11, orders=3), sandbox("shopline", empty=True, seed=12)
    first, other = tmp_path / "first.sqlite", tmp_path / "other.sqlite"
    with connect(a, "a") as s, connect(b, "b") as t:
        assert storebridge.migrate(s, t, ledger=first).status == "PASS"
    with connect(c, "c") as s, connect(d, "d") as t:
        assert storebridge.migrate(s, t, ledger=other).status == "PASS"
    with connect(a, "a") as s, connect(b, "b") as t:
        report = storebridge.migrate(s, t, ledger=other)
        tags = Counter(tg for o in t.orders.list() for tg in o.tags if tg.startswith("sb:"))
    assert report.status == "PASS", report.summary()
    assert report.results["orders"].created == 0
    assert report.results["orders"].reconciled == 6
    assert len(tags) == 6 and set(tags.values()) == {1}, tags


def test_a_dry_run_on_another_migrations_ledger_plans_adoption_and_writes_nothing(
    tmp_path: Path,
) -> None:
    source, target = _seeded()
    other = tmp_path / "other.sqlite"
    with shop(source, "a") as s, shop(target, "b") as t:
        assert storebridge.migrate(s, t, ledger=tmp_path / "first.sqlite").status == "PASS"
    c, d = _seeded()
    with shop(c, "c") as s, shop(d, "d") as t:
        assert storebridge.migrate(s, t, ledger=other).status == "PASS"
    before = other.read_bytes()
    with shop(source, "a") as s, shop(target, "b") as t:
        plan = storebridge.migrate(s, t, ledger=other, dry_run=True)
    assert plan.results["orders"].created == 0
    assert plan.results["orders"].reconciled == 10
    assert other.read_bytes() == before
    assert ledger_rows(other, "SELECT count(*) FROM routes") == [(1,)]


# Ledgers of the release before the marks -------------------------------------------------
def _as_the_previous_release_left_it(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE IF EXISTS rebuilds")


def test_a_previous_release_ledger_with_records_is_trusted(tmp_path: Path) -> None:
    source, target = _seeded()
    ledger = tmp_path / "l.sqlite"
    with shop(source, "a") as s, shop(target, "b") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        _as_the_previous_release_left_it(ledger)
        reads = len(target.requests)
        report = storebridge.migrate(s, t, ledger=ledger, verify=False)
    assert report.status == "PASS", report.summary()
    assert report.results["orders"].already == 10
    # Trusted: the target's orders are not listed for their tags.
    assert not [r for r in target.requests[reads:] if r.path.startswith("/orders")]
    assert ledger_rows(ledger, "SELECT DISTINCT done FROM rebuilds") == [(1,)]


def test_a_route_a_previous_release_added_without_records_is_rebuilt(tmp_path: Path) -> None:
    """The previous release inserted the route into any file it was given, with nothing
    else: such a route holds nothing to trust."""
    source, target = _seeded()
    other = tmp_path / "other.sqlite"
    with shop(source, "a") as s, shop(target, "b") as t:
        assert storebridge.migrate(s, t, ledger=tmp_path / "first.sqlite").status == "PASS"
    c, d = _seeded()
    with shop(c, "c") as s, shop(d, "d") as t:
        assert storebridge.migrate(s, t, ledger=other).status == "PASS"
    (route,) = ledger_rows(other, "SELECT source_platform, source_store, target_platform, "
                           "target_store FROM routes")  # fmt: skip
    _as_the_previous_release_left_it(other)
    with sqlite3.connect(other) as db:
        db.execute(
            "INSERT INTO routes (source_platform, source_store, target_platform, target_store)"
            " VALUES (?,?,?,?)",
            (route[0], route[1].replace("c.", "a."), route[2], route[3].replace("d.", "b.")),
        )
    with shop(source, "a") as s, shop(target, "b") as t:
        report = storebridge.migrate(s, t, ledger=other)
    assert ledger_rows(other, "SELECT count(*) FROM routes") == [(2,)]  # the row above
    _assert_adopted(report, target)
    assert report.results["orders"].reconciled == 10
