"""The command line: profiles, export, migrate, exit codes; secrets never printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storebridge
from storebridge.cli import app
from tests.support.toyshop import ToyShopAdapter, ToyShopEmulator

TOKEN = "shop-token-000111"
runner = CliRunner()


@pytest.fixture
def shops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, ToyShopEmulator]]:
    storebridge.register_adapter(ToyShopAdapter)
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=4, products=4, orders=6)
    monkeypatch.setenv("SHOP_TOKEN", TOKEN)
    with source.serve() as src, target.serve() as dst:
        config = tmp_path / "storebridge.toml"
        config.write_text(
            f'[stores.src]\nplatform = "toyshop"\nbase_url = "{src}"\ntoken = "${{SHOP_TOKEN}}"\n'
            f'[stores.dst]\nplatform = "toyshop"\nbase_url = "{dst}"\ntoken = "${{SHOP_TOKEN}}"\n'
        )
        yield config, target
    storebridge.unregister_adapter("toyshop")


def test_platforms_lists_builtins() -> None:
    result = runner.invoke(app, ["platforms"])
    assert result.exit_code == 0
    assert {"24nettbutikk", "29next", "shopline"} <= set(result.stdout.split())


def test_stores_shows_references_not_secrets(shops: tuple[Path, ToyShopEmulator]) -> None:
    config, _ = shops
    result = runner.invoke(app, ["stores", "--config", str(config)])
    assert result.exit_code == 0
    assert "${SHOP_TOKEN}" in result.stdout and TOKEN not in result.stdout
    assert config.read_text().count("${SHOP_TOKEN}") == 2  # never written back


def test_export_jsonl_and_csv(shops: tuple[Path, ToyShopEmulator], tmp_path: Path) -> None:
    config, _ = shops
    result = runner.invoke(app, ["export", "orders", "--store", "src", "--config", str(config)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 6 and rows[0]["total"]["currency"] in ("EUR", "NOK")
    out = tmp_path / "c.csv"
    result = runner.invoke(app, ["export", "customers", "--store", "src", "--format", "csv",
                                 "-o", str(out), "--config", str(config)])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("platform,ref,email") and len(lines) == 5
    assert TOKEN not in result.output


def test_missing_env_var_names_the_setting(
    shops: tuple[Path, ToyShopEmulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = shops
    monkeypatch.delenv("SHOP_TOKEN")
    result = runner.invoke(app, ["export", "orders", "--store", "src", "--config", str(config)])
    assert result.exit_code == 1
    assert "SHOP_TOKEN" in result.output and "'token'" in result.output


def test_migrate_dry_run_then_real_then_resume(
    shops: tuple[Path, ToyShopEmulator], tmp_path: Path
) -> None:
    config, target = shops
    ledger = tmp_path / "m.sqlite"
    base = ["migrate", "--from", "src", "--to", "dst", "--ledger", str(ledger), "--config",
            str(config), "--quiet"]  # fmt: skip
    dry = runner.invoke(app, [*base, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["status"] == "DRY RUN"
    assert not ledger.exists() and not target.tables["orders"]

    real = runner.invoke(app, base)
    assert real.exit_code == 0, real.output
    assert "PASS" in real.stdout and TOKEN not in real.output
    assert len(target.tables["orders"]) == 6

    again = runner.invoke(app, base)
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, [*base, "--resume", "--json"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["results"]["orders"]["already"] == 6


def test_migrate_exit_code_on_verification_mismatch(
    shops: tuple[Path, ToyShopEmulator], tmp_path: Path
) -> None:
    config, target = shops
    ledger = tmp_path / "m.sqlite"
    base = ["migrate", "--from", "src", "--to", "dst", "--ledger", str(ledger), "--config",
            str(config), "--quiet"]  # fmt: skip
    assert runner.invoke(app, base).exit_code == 0
    target.tables["orders"]["1"]["total"] = "0.01"
    result = runner.invoke(app, [*base, "--resume"])
    assert result.exit_code == 3
    assert "MISMATCH" in result.stdout
