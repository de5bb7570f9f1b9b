"""What a migration refuses, and what it leaves behind when it cannot start or stops early."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import storebridge
from storebridge.errors import AuthenticationError, ConfigurationError, ValidationError
from tests.migrate.support import Interrupted, shop, stop_after
from tests.support.toyshop import ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")


@pytest.fixture
def pair() -> tuple[ToyShopEmulator, ToyShopEmulator]:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=4, products=4, orders=6)
    return source, target


def test_a_store_cannot_be_migrated_into_itself(tmp_path: Path) -> None:
    emu = ToyShopEmulator()
    emu.seed()
    # Two connections to the same store are still the same store.
    with shop(emu, "same") as one, shop(emu, "same") as other:
        with pytest.raises(ConfigurationError, match="cannot be migrated into itself") as caught:
            storebridge.migrate(one, other, ledger=tmp_path / "l.sqlite")
    assert caught.value.setting == "target"
    assert emu.requests == []  # refused before any request
    assert not (tmp_path / "l.sqlite").exists()


def test_a_blocked_run_leaves_no_ledger(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst", can_write=False) as t:
        report = storebridge.migrate(s, t, ledger=ledger)
    assert report.status == "BLOCKED"
    assert list(tmp_path.iterdir()) == []
    assert source.requests == [] and target.requests == []


def test_a_run_that_fails_before_writing_leaves_no_ledger(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    source.token = "another-token-999"  # every source read is refused
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        with pytest.raises(AuthenticationError):
            storebridge.migrate(s, t, ledger=ledger)
    assert [r for r in target.requests if r.method != "GET"] == []
    assert list(tmp_path.iterdir()) == []


def test_a_run_stopped_after_writing_keeps_its_ledger_to_continue(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        with pytest.raises(Interrupted):
            storebridge.migrate(s, t, ledger=ledger, on_decision=stop_after(3))
        assert ledger.exists()
        report = storebridge.migrate(s, t, ledger=ledger)
    assert report.status == "PASS", report.summary()
    assert report.resumed == ["customers"]


def test_a_catch_up_needs_nothing_but_the_ledger(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        source.add_order(40, customer=2)
        report = storebridge.migrate(s, t, ledger=ledger, since="last-run")
    assert report.resumed == []
    assert report.results["orders"].created == 1
    assert report.status == "PASS", report.summary()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": datetime(2026, 1, 1)}, "since"),  # naive on purpose
        ({"resources": ["orders", "invoices"]}, "resources"),
        ({"concurrency": 0}, "concurrency"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    pair: tuple[ToyShopEmulator, ToyShopEmulator],
    tmp_path: Path,
    arguments: dict[str, object],
    field: str,
) -> None:
    source, target = pair
    with shop(source, "src") as s, shop(target, "dst") as t:
        with pytest.raises(ValidationError) as caught:
            storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite", **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert source.requests == [] and target.requests == []
