"""``storebridge export`` to stdout: always UTF-8, CSV tags that read back as they were, and
a store failing part way said to have cut the output short.

stdout took the locale's encoding: with ``PYTHONIOENCODING=latin-1`` (or a Latin-1
terminal, or Windows' code page when redirected) an export wrote Latin-1 bytes and exit 0,
and text the encoding lacks ended it with "unexpected UnicodeEncodeError ... a bug in
storebridge". CSV joined tags with ``", "``, so ``("wholesale, EU", "vip")`` and
``("wholesale", "EU", "vip")`` gave the same cell. A single-store export that failed after
40 records said only the store's error, as if nothing had gone out.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storebridge.profiles import CONFIG_ENV
from storebridge.sandbox import Fault
from tests.cli.conftest import Cli
from tests.cli.support import COMMAND, cli_env, profile_file, profile_for, served

NAME = "Zoë 😀 עברית"  # neither Latin-1 nor ASCII holds all of it
PACE = {"per_second": 1000.0, "burst": 10}


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("latin-1", "Zoë Ærø"),  # it holds all of it: Latin-1 bytes, exit 0
        ("latin-1", NAME),  # it does not: UnicodeEncodeError
        ("ascii", NAME),
    ],
)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_stdout_is_utf8_whatever_the_locale_says(
    tmp_path: Path, encoding: str, name: str, fmt: str
) -> None:
    with served("shopline", seed=1, orders=3, rate_limit=False) as (kit, url):
        emulator: Any = kit.emulator
        customers = list(emulator.customers.values())
        customers[1]["first_name"] = name
        profile, env = profile_for("shop", kit, url, PACE)
        (tmp_path / "storebridge.toml").write_text(profile)
        proc = subprocess.run(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "export", "customers", "-s", "shop", "-f", fmt], cwd=tmp_path,
            env=cli_env({**env, "PYTHONIOENCODING": encoding}), capture_output=True,
            timeout=120, check=False,
        )  # fmt: skip
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, err
    assert "unexpected" not in err
    text = proc.stdout.decode("utf-8")  # strict: every byte is UTF-8
    assert name in text
    if fmt == "csv":  # rows end as an -o file's do (and as the csv module writes them)
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert len(rows) == len(customers)
        assert text.count("\r\n") == len(customers) + 1 and "\r\r\n" not in text
    else:
        records = [json.loads(line) for line in text.split("\n") if line]
        assert len(records) == len(customers) and "\r" not in text
        assert name in {record["first_name"] for record in records}


# --- CSV tags -----------------------------------------------------------------------------


def _words(words: tuple[str, ...]) -> str:
    # Imported here: the module's other tests run against a records.py without it.
    from storebridge.cli.records import _words as cell

    return cell(words)


def _read_words(cell: str) -> list[str]:
    """The rule docs/cli.md gives readers: a cell starting with ``[`` is a JSON array,
    any other is the words joined with ``", "`` (an empty cell: none)."""
    if cell.startswith("["):
        words: list[str] = json.loads(cell)
        return words
    return cell.split(", ") if cell else []


@pytest.mark.parametrize(
    "words",
    [
        (),
        ("vip",),
        ("wholesale", "EU", "vip"),
        ("wholesale, EU", "vip"),
        ("a,b",),
        ("",),
        ("x", ""),
        ("[draft]",),
        ("[", "]"),
        ("Zoë", "[x]"),
    ],
)
def test_a_csv_cell_of_words_reads_back_as_the_same_words(words: tuple[str, ...]) -> None:
    assert _read_words(_words(words)) == list(words)


def test_usual_tags_stay_joined_with_a_comma() -> None:
    assert _words(("wholesale", "EU", "vip")) == "wholesale, EU, vip"


@pytest.fixture
def next_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A 29 Next sandbox on loopback, profile ``shop`` in ``tmp_path`` (the working folder)."""
    with served("29next", seed=1, orders=60, rate_limit=None) as (kit, url):
        profile_file(tmp_path, monkeypatch.setenv, "shop", kit, url, PACE)
        monkeypatch.delenv(CONFIG_ENV, raising=False)
        monkeypatch.chdir(tmp_path)
        yield kit


def test_csv_tags_with_a_comma_are_not_mistaken_for_more_tags(cli: Cli, next_shop: Any) -> None:
    users = list(next_shop.emulator.state.users.values())
    users[0]["tags"] = ["wholesale, EU", "vip"]
    users[1]["tags"] = ["wholesale", "EU", "vip"]
    code, out, err = cli("export", "customers", "-s", "shop", "-f", "csv")
    assert code == 0, err
    cells = {row["ref"]: row["tags"] for row in csv.DictReader(io.StringIO(out))}
    two, three = cells[str(users[0]["id"])], cells[str(users[1]["id"])]
    assert two != three
    assert three == "wholesale, EU, vip"
    assert _read_words(two) == ["wholesale, EU", "vip"]
    assert _read_words(three) == ["wholesale", "EU", "vip"]


# --- a store failing part way -------------------------------------------------------------


def _fail_after_some(cli: Cli, kit: Any) -> None:
    """Orders fail from the 46th on (its detail request answers 500, every time)."""
    code, out, err = cli("export", "orders", "-s", "shop")
    assert code == 0, err
    refs = [json.loads(line)["ref"] for line in out.splitlines()]
    kit.emulator.inject(Fault(kind="status", status=500, path=rf"/orders/{refs[45]}/$",
                              times=1000))  # fmt: skip


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_single_store_failing_part_way_says_the_output_is_incomplete(
    cli: Cli, next_shop: Any, fmt: str
) -> None:
    _fail_after_some(cli, next_shop)
    code, out, err = cli("export", "orders", "-s", "shop", "-f", fmt)
    assert code == 1, err
    written = len(out.splitlines()) - (1 if fmt == "csv" else 0)
    assert written > 0
    first = err.splitlines()[0]
    assert first.startswith("error: 29 Next answered 500"), err
    assert f"the output is incomplete: {written} orders were written to stdout" in first
    assert "hint: discard that output" in err


def test_a_single_store_failing_part_way_with_o_leaves_no_file(
    cli: Cli, next_shop: Any, tmp_path: Path
) -> None:
    _fail_after_some(cli, next_shop)
    target = tmp_path / "orders.jsonl"
    code, out, err = cli("export", "orders", "-s", "shop", "-o", str(target))
    assert code == 1, err
    assert err.startswith("error: 29 Next answered 500"), err
    assert "incomplete" not in err  # nothing went out: the file is as it was (absent)
    assert not target.exists()
    assert not list(tmp_path.glob("orders.jsonl*"))
    assert out == ""
