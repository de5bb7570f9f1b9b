"""The command line in-process: profiles, export, migrate, exit codes; secrets never printed."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import storebridge
from storebridge.cli.output import EXIT_CLOSED_PIPE
from storebridge.sandbox import Fault
from tests.cli.conftest import Cli
from tests.support.toyshop import ToyShopAdapter, ToyShopEmulator

TOKEN = "shop-token-000111"


@pytest.fixture
def shops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, ToyShopEmulator]]:
    storebridge.register_adapter(ToyShopAdapter)
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=4, products=4, orders=6)
    monkeypatch.setenv("SHOP_TOKEN", TOKEN)
    monkeypatch.delenv("STOREBRIDGE_PROFILE", raising=False)
    with source.serve() as src, target.serve() as dst:
        config = tmp_path / "storebridge.toml"
        config.write_text(
            f'[stores.src]\nplatform = "toyshop"\nbase_url = "{src}"\ntoken = "${{SHOP_TOKEN}}"\n'
            f'[stores.dst]\nplatform = "toyshop"\nbase_url = "{dst}"\ntoken = "${{SHOP_TOKEN}}"\n'
        )
        yield config, target
    storebridge.unregister_adapter("toyshop")


def test_platforms_lists_builtins(cli: Cli) -> None:
    code, out, _ = cli("platforms")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert {"24nettbutikk", "29next", "shopline"} <= {row[0] for row in rows}
    assert ["29next", "29 Next", "sandbox"] in rows


def test_platforms_and_stores_as_json(cli: Cli, shops: tuple[Path, ToyShopEmulator]) -> None:
    config, _ = shops
    code, out, _ = cli("platforms", "--json")
    assert code == 0
    described = {p["name"]: p for p in json.loads(out)}
    assert described["shopline"] == {
        "name": "shopline", "display_name": "SHOPLINE", "sandbox": True,
    }  # fmt: skip
    code, out, _ = cli("stores", "--json", "--config", str(config))
    assert code == 0
    listed = json.loads(out)
    assert [p["name"] for p in listed] == ["src", "dst"]
    assert listed[0]["settings"]["token"] == "${SHOP_TOKEN}"
    assert listed[0]["environment"] == ["SHOP_TOKEN"] and TOKEN not in out


def test_stores_shows_references_not_secrets(cli: Cli, shops: tuple[Path, ToyShopEmulator]) -> None:
    config, _ = shops
    code, out, _ = cli("stores", "--config", str(config))
    assert code == 0
    assert out.splitlines()[0].split("\t")[:2] == ["src", "toyshop"]
    assert "${SHOP_TOKEN}" in out and TOKEN not in out
    assert config.read_text().count("${SHOP_TOKEN}") == 2  # never written back


def test_literal_secrets_are_masked_in_listings(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "s.toml"
    config.write_text(
        '[stores.a]\nplatform = "29next"\nstore = "acme"\naccess_token = "literal-tok-123456"\n'
        '[stores.b]\nplatform = "shopline"\nhandle = "b"\naccess_token = "${B}"\n'
        'token_expires_at = "2026-05-01T00:00:00+00:00"\napp_key = "public-app-key"\n'
    )
    code, out, _ = cli("stores", "--config", str(config))
    assert code == 0
    assert "literal-tok-123456" not in out and "access_token=***" in out
    # Only the adapter's secret settings are masked, whatever their names look like.
    assert "token_expires_at=2026-05-01T00:00:00+00:00" in out and "public-app-key" in out


def test_export_jsonl_and_csv(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], tmp_path: Path
) -> None:
    config, _ = shops
    code, out, err = cli("export", "orders", "--store", "src", "--config", str(config))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 6 and rows[0]["total"]["currency"] in ("EUR", "NOK")
    assert "exported 6 orders to stdout" in err
    target = tmp_path / "c.csv"
    code, out, err = cli("export", "customers", "--store", "src", "--format", "csv",
                         "-o", str(target), "--config", str(config))  # fmt: skip
    assert code == 0, err
    lines = target.read_text().splitlines()
    assert lines[0].startswith("platform,ref,email") and len(lines) == 5
    assert not target.with_name("c.csv.part").exists()
    assert TOKEN not in out + err


def test_store_defaults_to_storebridge_profile(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = shops
    code, _, err = cli("export", "orders", "--config", str(config))
    assert code == 2 and "--store is required" in err and "STOREBRIDGE_PROFILE" in err
    monkeypatch.setenv("STOREBRIDGE_PROFILE", "src")
    monkeypatch.setenv("STOREBRIDGE_CONFIG", str(config))
    code, out, err = cli("export", "customers")
    assert code == 0, err
    assert len(out.splitlines()) == 4


def test_missing_env_var_names_the_setting(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = shops
    monkeypatch.delenv("SHOP_TOKEN")
    code, _, err = cli("export", "orders", "--store", "src", "--config", str(config))
    assert code == 1
    assert err.startswith("error: ") and "SHOP_TOKEN" in err and "'token'" in err


def test_failed_export_leaves_no_file(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], tmp_path: Path
) -> None:
    config, _ = shops
    refusing = ToyShopEmulator()
    refusing.seed(customers=1, products=1, orders=6)
    refusing.inject(Fault(status=403, method="GET", path="/orders"))
    with refusing.serve() as url:
        with config.open("a") as handle:
            handle.write(f'[stores.refusing]\nplatform = "toyshop"\nbase_url = "{url}"\n'
                         'token = "${SHOP_TOKEN}"\n')  # fmt: skip
        target = tmp_path / "o.jsonl"
        code, _, err = cli("export", "orders", "--store", "refusing", "-o", str(target),
                           "--config", str(config))  # fmt: skip
    assert code == 1 and err.startswith("error: ") and "403" in err
    assert not target.exists() and not target.with_name("o.jsonl.part").exists()


def test_migrate_dry_run_then_real_then_resume(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], tmp_path: Path
) -> None:
    config, target = shops
    ledger = tmp_path / "m.sqlite"
    base = ["migrate", "--from", "src", "--to", "dst", "--ledger", str(ledger), "--config",
            str(config), "--quiet"]  # fmt: skip
    code, out, err = cli(*base, "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "DRY RUN"
    assert not ledger.exists() and not target.tables["orders"]

    code, out, err = cli(*base)
    assert code == 0, err
    assert "PASS" in out and TOKEN not in out + err
    assert len(target.tables["orders"]) == 6

    code, _, err = cli(*base)
    assert code == 2 and "--resume" in err
    code, out, err = cli(*base, "--resume", "--json")
    assert code == 0, err
    assert json.loads(out)["results"]["orders"]["already"] == 6


def test_migrate_exit_code_on_verification_mismatch(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], tmp_path: Path
) -> None:
    config, target = shops
    ledger = tmp_path / "m.sqlite"
    base = ["migrate", "--from", "src", "--to", "dst", "--ledger", str(ledger), "--config",
            str(config), "--quiet"]  # fmt: skip
    assert cli(*base)[0] == 0
    target.tables["orders"]["1"]["total"] = "0.01"
    code, out, _ = cli(*base, "--resume")
    assert code == 3
    assert "MISMATCH" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--from", "src", "--to", "src"], "same profile"),
        (["--from", "src", "--to", "nope"], "--to nope: no such profile"),
        (["--from", "src", "--to", "dst", "--since", "yesterday"], "--since 'yesterday'"),
    ],
)
def test_migrate_usage_errors(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], tmp_path: Path, args: list[str], fragment: str
) -> None:
    config, _ = shops
    code, _, err = cli("migrate", *args, "--ledger", str(tmp_path / "l.sqlite"),
                       "--config", str(config))  # fmt: skip
    assert code == 2 and err.startswith("error: ") and fragment in err


def test_a_file_that_is_not_a_ledger(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], tmp_path: Path
) -> None:
    config, _ = shops
    ledger = tmp_path / "notes.sqlite"
    ledger.write_text("these are my notes, not a database\n" * 20)
    code, _, err = cli("migrate", "--from", "src", "--to", "dst", "--ledger", str(ledger),
                       "--resume", "--config", str(config), "--quiet")  # fmt: skip
    assert code == 1 and err.startswith(f"error: --ledger {ledger}")


class _ClosedPipe(io.StringIO):
    """stdout whose reader has left: every write fails as a closed pipe's does."""

    def write(self, text: str) -> int:
        if not text:  # the parser probes the stream with empty writes
            return 0
        raise BrokenPipeError(32, "Broken pipe")


def test_migrate_json_to_a_closed_pipe_ends_quietly_with_141(
    cli: Cli, shops: tuple[Path, ToyShopEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = shops
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    code, _, err = cli("migrate", "--from", "src", "--to", "dst", "--ledger",
                       str(tmp_path / "m.sqlite"), "--config", str(config), "--quiet",
                       "--dry-run", "--json")  # fmt: skip
    assert (code, err) == (EXIT_CLOSED_PIPE, "")
