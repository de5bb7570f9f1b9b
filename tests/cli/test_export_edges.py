"""``storebridge export`` at its edges: a reader that leaves (``| head``), an interrupt
while records go to stdout, ``-o`` naming a symlink, and ``-o`` naming the profile file.

A closed pipe ended the export with exit 1, the status of a failed store, or, where the
command-line parser let the ``BrokenPipeError`` through, with "unexpected ... this is a
bug". An export to stdout stopped by Ctrl-C said one record fewer than the reader got,
when the record being written was already whole in the stream's buffer. And ``-o
storebridge.toml`` read the profiles from that file, then replaced them with records.
"""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from storebridge._files import open_part, replacing, written_path
from storebridge.cli.output import EXIT_CLOSED_PIPE, EXIT_INTERRUPTED, EXIT_USAGE
from storebridge.profiles import CONFIG_ENV
from tests.cli.conftest import Cli
from tests.cli.support import COMMAND, cli_env, profile_file, profile_for, served

OLD = "old export\n"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 24Nettbutikk sandbox on loopback; its profile file (store ``shop``), the client
    paced at 100 requests a second rather than the documented 2: an export of orders joins
    customers and SKUs (a dozen requests) before its first row."""
    with served("24nettbutikk", seed=5, orders=12, customers=30, rate_limit=None) as (kit, url):
        pace = {"per_second": 100.0, "burst": 10}
        config = profile_file(tmp_path, monkeypatch.setenv, "shop", kit, url, pace)
        monkeypatch.delenv(CONFIG_ENV, raising=False)
        yield config


# --- a reader that leaves -------------------------------------------------------------


class _ClosedPipe(io.StringIO):
    """stdout whose reader left after ``keep`` writes: later writes fail as a pipe's do."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep

    def write(self, text: str) -> int:
        if not text:  # the parser probes the stream with empty writes
            return super().write(text)
        if self.keep <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.keep -= 1
        return super().write(text)

    def flush(self) -> None:
        if self.keep <= 0:
            raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(
    "args",
    [
        ["export", "customers", "-s", "shop"],
        ["export", "orders", "-s", "shop", "-f", "csv"],
        ["export", "customers", "--all"],  # several stores: the fleet export
        ["stores"],
        ["stores", "--json"],
    ],
    ids=["jsonl", "csv", "fleet", "stores", "stores-json"],
)
def test_a_closed_pipe_ends_quietly_with_141(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(shop.parent)
    pipe = _ClosedPipe(keep=1)
    monkeypatch.setattr(sys, "stdout", pipe)
    code, _, err = cli(*args)
    assert code == EXIT_CLOSED_PIPE, err
    assert err == ""  # no error, no summary: the reader asked for no more
    assert pipe.getvalue()  # what went out before the reader left


def test_a_fleet_export_whose_reader_leaves_closes_every_connection(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader leaves while the store's reader is closing the store (waiting for the
    read-ahead requests it let go): the fleet cancels it there, and the store's client used
    to stay open, its connections left to the process's exit (ResourceWarning)."""
    monkeypatch.chdir(shop.parent)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe(keep=1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        code, _, err = cli("export", "customers", "--all")
        gc.collect()  # what was left unclosed says so when it is collected
    assert code == EXIT_CLOSED_PIPE, err
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


def test_export_piped_to_head_exits_141_without_a_word(tmp_path: Path) -> None:
    """The real process: stdout is a pipe whose reader closes it after one line (with more
    records than the pipe holds, so some are written after it closed)."""
    with served("24nettbutikk", seed=3, orders=5, customers=400, rate_limit=200.0) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "export", "customers", "-s", "shop"], cwd=tmp_path, env=cli_env(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # `| head -n 1`
        err = proc.stderr.read()
        proc.stderr.close()
        code = proc.wait(timeout=60)
    assert code == EXIT_CLOSED_PIPE, err
    assert json.loads(first)["platform"] == "24nettbutikk"
    assert err == ""


# --- an interrupt while records go to stdout --------------------------------------------


class _InterruptedStdout(io.StringIO):
    """stdout that receives ``signals`` while the ``at``-th write is under way, after its
    text is in: an interrupt coming while a record is being written."""

    def __init__(self, at: int, signals: tuple[int, ...]) -> None:
        super().__init__()
        self.at = at
        self.signals = signals
        self.writes = 0

    def write(self, text: str) -> int:
        written = super().write(text)
        if not text:
            return written
        self.writes += 1
        if self.writes == self.at:
            for signum in self.signals:
                signal.raise_signal(signum)
        return written


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("args", [["-s", "shop"], ["--all"]], ids=["one-store", "fleet"])
def test_an_interrupt_during_a_write_counts_what_stdout_got(
    cli: Cli,
    shop: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    signum: int,
    args: list[str],
) -> None:
    header = 1 if fmt == "csv" else 0  # the CSV header is one write of its own
    out = _InterruptedStdout(at=5 + header, signals=(signum,))
    monkeypatch.setattr(sys, "stdout", out)
    code, _, err = cli("export", "customers", *args, "--config", str(shop), "-f", fmt)
    assert code == EXIT_INTERRUPTED, err
    records = len(out.getvalue().splitlines()) - header
    assert records == 5 and out.getvalue().endswith("\n")
    assert err.splitlines() == [f"error: interrupted after {records} customers"]


def test_a_second_interrupt_in_the_same_write_stops_it_and_says_so(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader may have stopped reading: a second Ctrl-C must stop the command then."""
    out = _InterruptedStdout(at=3, signals=(signal.SIGINT, signal.SIGINT))
    monkeypatch.setattr(sys, "stdout", out)
    code, _, err = cli("export", "customers", "-s", "shop", "--config", str(shop))
    assert code == EXIT_INTERRUPTED, err
    assert err.splitlines() == [
        "error: interrupted after 2 customers; the one being written when Ctrl-C came again "
        "may be cut off"
    ]


def test_ctrl_c_with_stdout_blocked_counts_every_line_the_reader_gets(tmp_path: Path) -> None:
    """The real process, its stdout a pipe nobody reads: it fills, the export blocks in a
    write, Ctrl-C comes; then the reader reads everything. It said one record fewer."""
    with served("24nettbutikk", seed=3, orders=5, customers=400, rate_limit=200.0) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "export", "customers", "-s", "shop"], cwd=tmp_path, env=cli_env(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        # 400 customers are several times what a pipe holds: the requests stop when the
        # export blocks in a write, long before it could have read them all.
        deadline = time.monotonic() + 60
        seen, still_since = -1, time.monotonic()
        # Still for a second once it has started (a loaded machine may take longer than
        # that to start the process at all).
        while seen < 1 or time.monotonic() - still_since < 1.0:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            if len(kit.emulator.requests) != seen:
                seen, still_since = len(kit.emulator.requests), time.monotonic()
            time.sleep(0.05)
        assert seen > 0
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, err
    lines = out.decode().splitlines(keepends=True)
    assert lines and all(line.endswith("\n") for line in lines)  # no record cut off
    assert 0 < len(lines) < 400
    assert (
        err.decode().strip().splitlines()[-1] == f"error: interrupted after {len(lines)} customers"
    )


# --- -o naming a symlink ----------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("args", [["-s", "shop"], ["--all"]], ids=["one-store", "fleet"])
def test_export_through_a_symlink_replaces_the_file_it_names(
    cli: Cli, shop: Path, tmp_path: Path, args: list[str]
) -> None:
    target = tmp_path / "data" / "customers.jsonl"
    target.parent.mkdir()
    target.write_text(OLD)
    target.chmod(0o600)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(Path("data") / "customers.jsonl")  # relative, as `ln -s` makes them
    code, _, err = cli("export", "customers", *args, "--config", str(shop), "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(Path("data") / "customers.jsonl")
    assert target.read_text() != OLD and len(target.read_text().splitlines()) == 30
    assert _mode(target) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["customers.jsonl"]


def test_export_through_a_dangling_symlink_creates_the_file_it_names(
    cli: Cli, shop: Path, tmp_path: Path
) -> None:
    link = tmp_path / "latest.jsonl"
    link.symlink_to(tmp_path / "new.jsonl")
    code, _, err = cli("export", "customers", "-s", "shop", "--config", str(shop),
                       "-o", str(link))  # fmt: skip
    assert code == 0, err
    assert link.is_symlink() and len((tmp_path / "new.jsonl").read_text().splitlines()) == 30


def test_a_loop_of_symlinks_is_refused_naming_the_option(
    cli: Cli, shop: Path, tmp_path: Path
) -> None:
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    code, _, err = cli("export", "customers", "-s", "shop", "--config", str(shop),
                       "-o", str(loop))  # fmt: skip
    assert code == EXIT_USAGE, err
    assert err.startswith(f"error: -o {loop}: cannot write to it ("), err
    assert "bug" not in err and loop.is_symlink()


def test_the_part_file_is_made_beside_the_file_a_link_names(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    target = tmp_path / "b" / "file.txt"
    target.write_text(OLD)
    link = tmp_path / "a" / "file.txt"
    link.symlink_to(target)
    assert written_path(link) == target.resolve() and written_path(target) == target
    handle, part = open_part(link)
    assert part.parent == target.parent.resolve()  # one folder: the rename stays atomic
    with replacing(link, handle, part) as out:
        out.write("new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    assert os.listdir(tmp_path / "a") == ["file.txt"] and os.listdir(tmp_path / "b") == ["file.txt"]


# --- -o naming the profile file ---------------------------------------------------------


@pytest.mark.parametrize(
    "how", ["--config", "default", "environment", "symlink", "report", "fleet"]
)
def test_the_profile_file_is_never_the_output(
    cli: Cli, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    profiles = shop.read_text()
    monkeypatch.chdir(tmp_path)
    option, path = "-o", str(shop)
    args = ["export", "customers", "-s", "shop"]
    if how == "--config":
        args += ["--config", str(shop)]
    elif how == "default":
        path = "storebridge.toml"  # the file read when none is named
    elif how == "environment":
        moved = tmp_path / "profiles.toml"
        shop.rename(moved)
        monkeypatch.setenv(CONFIG_ENV, str(moved))
        path = str(moved)
    elif how == "symlink":
        (tmp_path / "out.jsonl").symlink_to(shop)
        path = "out.jsonl"
    elif how == "report":
        args = ["export", "customers", "--all", "-o", "out.jsonl"]
        option, path = "--report", "storebridge.toml"
    else:
        args = ["export", "customers", "--all", "--config", str(shop)]
    code, out, err = cli(*args, option, path)
    assert code == EXIT_USAGE, err
    first = err.splitlines()[0]
    read = Path(os.environ.get(CONFIG_ENV) or shop)
    assert first.startswith(f"error: {option} {path} is ") and first.endswith(
        ", the profile file this command reads (--config); writing it would replace the profiles"
    )
    assert Path(first.split(" is ", 1)[1].split(",")[0]).resolve() == read.resolve()
    assert read.read_text() == profiles and out == ""
    assert not (tmp_path / "out.jsonl").exists() or (tmp_path / "out.jsonl").is_symlink()
