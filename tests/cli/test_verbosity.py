"""``-v`` and ``--debug``: log lines on stderr from the storebridge.* loggers, secrets masked."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import storebridge
from storebridge.cli import logs
from storebridge.registry import adapter_class
from storebridge.sandbox import Fault
from tests.cli.conftest import Cli
from tests.cli.support import profile_for, run_storebridge, served
from tests.support.limits import PACE, raise_declared_limits


def test_debug_shows_the_429_the_retry_and_no_token(tmp_path: Path) -> None:
    with served("29next", orders=3) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        kit.emulator.inject(
            Fault(status=429, method="GET", path="/orders/$", headers={"Retry-After": "0"})
        )
        proc = run_storebridge(
            ["export", "orders", "--store", "shop", "--no-detail", "--debug"], tmp_path, env
        )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "/api/admin/orders/ " in line]
    assert lines[0].startswith("debug: storebridge.http: GET http://127.0.0.1:")
    assert lines[0].endswith(")") and "-> 429 (" in lines[0]
    assert lines[1].startswith("info: storebridge.http: GET ") and "-> 429, retrying" in lines[1]
    assert "-> 200 (" in lines[2]
    token = next(iter(env.values()))
    assert token not in proc.stderr + proc.stdout


def test_verbose_shows_the_retry_without_the_debug_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    with served("29next", orders=1) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        monkeypatch.chdir(tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        kit.emulator.inject(
            Fault(status=429, method="GET", path="/orders/$", headers={"Retry-After": "0"})
        )
        code, _, err = cli("export", "orders", "--store", "shop", "--no-detail", "-v")
    assert code == 0, err
    assert err.splitlines()[0].startswith("info: storebridge.http: GET http://127.0.0.1:")
    assert err.splitlines()[0].endswith("/api/admin/orders/ -> 429, retrying")
    assert "debug:" not in err


def test_debug_after_the_command_name_or_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    raise_declared_limits(monkeypatch)  # the debug lines are the subject, not the pacing
    with served("29next", orders=1, rate_limit=4.0 * PACE) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        monkeypatch.chdir(tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        plain = cli("export", "customers", "--store", "shop")
        before = cli("--debug", "export", "customers", "--store", "shop")
        after = cli("export", "customers", "--store", "shop", "--debug")
    assert plain[0] == 0 and "debug:" not in plain[2]
    for code, _, err in (before, after):
        assert code == 0, err
        assert "debug: storebridge.http: GET http://127.0.0.1:" in err


def test_verbose_logs_finished_phases_when_no_bars_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    raise_declared_limits(monkeypatch)  # the log lines are the subject, not the pacing
    with (
        served("24nettbutikk", seed=2, orders=2, rate_limit=20.0 * PACE)
        as (source, source_url),
        served("shopline", seed=2, orders=0, currency="NOK", rate_limit=4.0 * PACE)
        as (target, target_url),
    ):  # fmt: skip
        old, old_env = profile_for("old", source, source_url)
        new, new_env = profile_for("new", target, target_url)
        (tmp_path / "storebridge.toml").write_text(old + new)
        monkeypatch.chdir(tmp_path)
        for name, value in {**old_env, **new_env}.items():
            monkeypatch.setenv(name, value)
        code, _, err = cli("-v", "migrate", "--from", "old", "--to", "new", "--ledger", "l.sqlite")
    assert code == 0, err
    assert "info: storebridge.cli: orders: 2 done" in err.splitlines()
    assert "debug:" not in err


def test_log_lines_of_any_storebridge_logger_are_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "tok-9f8e7d6c5b4a-secret"
    kit = adapter_class("29next").sandbox(orders=0, token=secret)
    with (
        storebridge.connect("29next", **kit.settings("https://x.example")) as store,
        logs.verbosity(),
    ):
        logs.set_level(verbose=False, debug=True)
        # A child logger the core does not list: only the handler's filter can clean it.
        logging.getLogger("storebridge.some.plugin").debug("sent %s to %s", secret, store)
        logging.getLogger("storebridge.other").info("hidden below DEBUG? no: %s", secret)
    err = capsys.readouterr().err
    assert "debug: storebridge.some.plugin: sent *** to" in err
    assert "info: storebridge.other: hidden below DEBUG? no: ***" in err
    assert secret not in err


@pytest.mark.parametrize(
    "command", ["platforms", "stores", "init", "export", "load", "migrate", "demo", "listen"]
)
@pytest.mark.parametrize("flag", ["-v", "--debug"])
def test_every_command_takes_the_verbosity_flags_after_its_name(
    command: str, flag: str, cli: Cli
) -> None:
    # The top-level help says they work before or after a command's name.
    code, out, err = cli(command, flag, "--help")
    assert code == 0, err
    assert "--debug" in out and "--verbose" in out


@pytest.mark.parametrize("flag", ["-v", "--debug"])
def test_the_sandbox_group_takes_them_too(flag: str, cli: Cli) -> None:
    code, out, err = cli("sandbox", flag, "serve", "--help")
    assert "--port" in out, out
    assert code == 0, err
