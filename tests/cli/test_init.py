"""``storebridge init``: a starter storebridge.toml with ${ENV} references, never overwritten."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import storebridge
from storebridge.cli import run
from storebridge.profiles import load_profiles
from storebridge.registry import adapter_class


def test_init_writes_profiles_with_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init"]) == 0
    err = capsys.readouterr().err
    text = (tmp_path / "storebridge.toml").read_text()
    profiles = load_profiles(tmp_path / "storebridge.toml")
    assert set(profiles) == {f"my-{name}" for name in storebridge.platforms()}
    assert profiles["my-29next"].settings == {"access_token": "${MY_29NEXT_ACCESS_TOKEN}"}
    assert profiles["my-24nettbutikk"].references() == ["MY_24NETTBUTIKK_TOKEN"]
    # Optional settings are there to uncomment; secrets among them are references too.
    assert '# app_secret = "${MY_SHOPLINE_APP_SECRET}"' in text
    assert '# store = "..."' in text and '# token_expires_at = "..."' in text
    assert "MY_29NEXT_ACCESS_TOKEN" in err and "MY_SHOPLINE_APP_SECRET" in err


def test_init_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "mine.toml"
    config.write_text("# my own profiles\n")
    assert run(["init", "--config", str(config)]) == 2
    assert "--force" in capsys.readouterr().err
    assert config.read_text() == "# my own profiles\n"
    assert run(["init", "--config", str(config), "--force", "--platform", "29next"]) == 0
    assert list(tomllib.loads(config.read_text())["stores"]) == ["my-29next"]


def test_a_filled_in_starter_profile_connects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "storebridge.toml"
    assert run(["init", "--config", str(config), "--platform", "29next"]) == 0
    config.write_text(config.read_text().replace('# store = "..."', 'store = "acme"'))
    kit = adapter_class("29next").sandbox(orders=2)
    monkeypatch.setenv("MY_29NEXT_ACCESS_TOKEN", kit.settings("https://x")["access_token"])
    transport = kit.emulator.transport()
    with storebridge.connect(profile="my-29next", config=config, transport=transport) as store:
        assert len(list(store.orders.list())) == 2
