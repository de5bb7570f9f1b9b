"""Bad input never shows a traceback: one ``error:`` line naming the option, the exit code.

Each case runs the real ``storebridge`` entry point in a subprocess.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from storebridge.registry import adapter_class
from tests.cli.conftest import Cli
from tests.cli.support import assert_clean_failure, run_storebridge

PROFILES = """\
[stores.a]
platform = "29next"
store = "acme"
access_token = "${A_TOKEN}"

[stores.b]
platform = "shopline"
handle = "b"
access_token = "${B_TOKEN}"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "storebridge.toml").write_text(PROFILES)
    return tmp_path


# (arguments, exit code, text the error line must contain)
ENTRY_POINT_CASES = [
    (
        ["migrate", "--from", "a", "--to", "b", "--ledger", "nodir/l.sqlite"],
        2,
        "--ledger nodir/l.sqlite: the folder nodir does not exist",
    ),
    (
        ["export", "orders", "--store", "a", "-o", "/nonexistent/x.jsonl"],
        2,
        "-o /nonexistent/x.jsonl: the folder /nonexistent does not exist",
    ),
    (["sandbox", "serve", "29next", "--port", "80000"], 2, "'--port'"),
    (["demo", "--orders", "0"], 2, "'--orders'"),
    (["export", "orders", "--store", "a"], 1, "refers to ${A_TOKEN}, which is not set"),
    (["frobnicate"], 2, "No such command"),
]
IN_PROCESS_CASES = [
    (["export", "orders", "--store", "a", "-o", "."], 2, "'--output'"),
    (["demo", "--orders", "many"], 2, "'--orders'"),
    (["demo", "--rate-limit", "0"], 2, "--rate-limit must be a number of requests per second"),
    (["export", "invoices", "--store", "a"], 2, "'resource'"),
    (["export", "orders", "--store", "a", "--format", "xml"], 2, "'--format'"),
    (["export", "orders", "--store", "nope"], 2, "--store nope: no such profile"),
    (["export", "orders", "--store", "a", "--since", "soon"], 2, "--since 'soon'"),
    (["export", "orders", "--store", "a", "--since", "2026-01-01T00:00:00"], 2,
     "has no UTC offset"),
    (["export", "customers", "--store", "a", "--no-detail"], 2,
     "applies to orders and products only"),
    (["export", "orders", "--store", "a", "--since", "last-run"], 2, "only applies to migrations"),
    (["migrate", "--from", "a", "--to", "b", "--ledger", "l.sqlite", "--resume"], 2,
     "--resume given but the ledger l.sqlite does not exist"),
    (["migrate", "--from", "a", "--to", "a", "--ledger", "l.sqlite"], 2, "same profile"),
    (["migrate", "--from", "a", "--ledger", "l.sqlite"], 2, "'--to'"),
    (["stores", "--config", "missing.toml"], 1, "no profile file at missing.toml"),
    (["init"], 2, "storebridge.toml exists"),
    (["init", "--platform", "magento", "--config", "new.toml"], 2, "--platform magento"),
    (["export", "orders", "--bogus"], 2, "--bogus"),
]  # fmt: skip


def _ids(cases: list[tuple[list[str], int, str]]) -> list[str]:
    return [" ".join(case[0]) for case in cases]


@pytest.mark.parametrize(
    ("args", "code", "fragment"), ENTRY_POINT_CASES, ids=_ids(ENTRY_POINT_CASES)
)
def test_no_traceback(folder: Path, args: list[str], code: int, fragment: str) -> None:
    proc = run_storebridge(args, folder)
    line = assert_clean_failure(proc, code)
    assert fragment in line, proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(("args", "code", "fragment"), IN_PROCESS_CASES, ids=_ids(IN_PROCESS_CASES))
def test_one_error_line(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
    args: list[str],
    code: int,
    fragment: str,
) -> None:
    monkeypatch.chdir(folder)
    exit_code, out, err = cli(*args)
    assert (exit_code, out) == (code, "")
    assert err.startswith("error: ") and fragment in err.splitlines()[0], err
    assert "Traceback" not in err


def test_usage_errors_point_at_help(folder: Path) -> None:
    proc = run_storebridge(["sandbox", "serve", "29next", "--port", "80000"], folder)
    assert (
        proc.stderr.splitlines()[1] == "hint: `storebridge sandbox serve --help` shows the options"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[store.a]\nplatform = "29next"\n', "found [store.a], but profiles are [stores.NAME]"),
        ("[stores.bad2]\nstore = 'x'\n", '[stores.bad2] needs a platform = "..." entry'),
        ("[stores.a\n", "is not valid TOML"),
        (b"\xff\xfe[stores]", "is not UTF-8"),
    ],
)
def test_profile_file_mistakes_print_literally(
    tmp_path: Path, text: str | bytes, fragment: str
) -> None:
    config = tmp_path / "storebridge.toml"
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text)
    proc = run_storebridge(["stores"], tmp_path)
    assert fragment in assert_clean_failure(proc, 1)


def test_empty_folder_names_the_table_to_write(tmp_path: Path) -> None:
    proc = run_storebridge(["export", "orders", "--store", "a"], tmp_path)
    line = assert_clean_failure(proc, 1)
    assert "no profile file at storebridge.toml" in line and "storebridge init" in line
    (tmp_path / "storebridge.toml").write_text("# nothing yet\n")
    proc = run_storebridge(["stores"], tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "add a [stores.NAME] table per store" in proc.stderr


def test_unreachable_store_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "storebridge.toml").write_text(
        '[stores.gone]\nplatform = "24nettbutikk"\nbase_url = "http://127.0.0.1:9"\n'
        'token = "${GONE_TOKEN}"\n'
    )
    proc = run_storebridge(["export", "orders", "--store", "gone", "--no-detail"], tmp_path,
                       env={"GONE_TOKEN": "gone-token-value-123"})  # fmt: skip
    line = assert_clean_failure(proc, 1)
    assert "127.0.0.1:9" in line and "gone-token-value-123" not in proc.stderr
    assert "hint: nothing answered at that address: check the profile's base_url" in proc.stderr


def test_a_bug_is_one_error_line_with_the_traceback_only_under_debug(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "tok-0a1b2c3d4e5f-bug"
    kit = adapter_class("29next").sandbox(orders=0, token=secret)

    def broken() -> list[str]:
        raise RuntimeError(f"something broke near {secret}")

    monkeypatch.setattr("storebridge.registry.platforms", broken)
    with storebridge.connect("29next", **kit.settings("https://x.example")):
        code, out, err = cli("platforms")
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            "error: unexpected RuntimeError: something broke near ***",
            "hint: this is a bug in storebridge; run again with --debug for the traceback",
        ]
        code, _, err = cli("--debug", "platforms")
    assert code == 1
    assert err.startswith("Traceback (most recent call last):") and secret not in err
    assert err.splitlines()[-2] == "error: unexpected RuntimeError: something broke near ***"
