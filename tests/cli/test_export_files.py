"""The file an export replaces: its permissions, a write that fails, and what is on disk
when it takes the final name.

An export replaced a private file (mode 0600, customer e-mails) with one every local user
could read (the umask's 0644), and the part file was just as readable while it was being
written; ``fleet.ExportJob`` did the same. A full disk ended the export with "unexpected
OSError ... this is a bug in storebridge", not naming -o nor saying that the file was
left as it was. And the part file was renamed over the old file without being synced, so
a crash soon after could leave an empty file under the final name.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

import storebridge
import storebridge.cli.export as export_module
from storebridge._files import open_part
from storebridge.cli.export import _destination
from storebridge.fleet import ExportJob, StoreSpec
from storebridge.registry import adapter_class
from tests.cli.conftest import Cli
from tests.cli.support import profile_file, served

OLD = "old export\n"


_UNPACED = {"per_second": 1000, "burst": 100}
"""The profile's rate limit: the documented pace (a few requests a second) only slows the
tests down."""


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 29 Next sandbox of 40 orders on loopback; its profile file (store ``shop``)."""
    with served("29next", seed=6, orders=40, rate_limit=None) as (kit, url):
        yield profile_file(tmp_path, monkeypatch.setenv, "shop", kit, url, _UNPACED)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _other_group() -> int | None:
    """A group other than ours that a new file may be given (root may give any)."""
    if os.geteuid() == 0:
        return os.getegid() + 4242
    others = [g for g in os.getgroups() if g != os.getegid()]
    return others[0] if others else None


def test_a_replaced_export_keeps_its_permissions_and_group(
    cli: Cli, shop: Path, tmp_path: Path
) -> None:
    target = tmp_path / "customers.jsonl"
    target.write_text(OLD)
    target.chmod(0o600)
    group = _other_group()
    if group is not None:
        os.chown(target, -1, group)
    code, _, err = cli("export", "customers", "-s", "shop", "--config", str(shop),
                       "-o", str(target))  # fmt: skip
    assert code == 0, err
    assert target.read_text() != OLD
    assert _mode(target) == 0o600
    if group is not None:
        assert target.stat().st_gid == group


def test_the_part_file_is_as_private_as_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "orders.jsonl"
    target.write_text(OLD)
    target.chmod(0o640)
    handle, part = open_part(target)
    with handle:
        assert _mode(part) == 0o640  # before a byte of data is in it
    fresh, fresh_part = open_part(tmp_path / "new.jsonl")  # nothing to keep: the umask's
    with fresh:
        umask = os.umask(0)
        os.umask(umask)
        assert _mode(fresh_part) == 0o666 & ~umask


def test_export_job_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    kit = adapter_class("shopline").sandbox(seed=3, orders=6, rate_limit=False)
    spec = StoreSpec("shop", platform="shopline", settings=kit.settings("https://s.example"),
                     transport=kit.emulator.transport())  # fmt: skip
    job = ExportJob("customers", tmp_path)
    target = job.target("shop")
    target.write_text(OLD)
    target.chmod(0o600)
    report = storebridge.fleet([spec]).run(job)
    assert report.ok, report.summary()
    assert target.read_text() != OLD and _mode(target) == 0o600


class _FullDisk(io.FileIO):
    """A file on a disk with no room left: every write fails as it would there."""

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _full_disk_text(path: Path) -> TextIO:
    return io.TextIOWrapper(io.BufferedWriter(_FullDisk(path, "w")), encoding="utf-8",
                            newline="")  # fmt: skip


@pytest.mark.parametrize(
    ("resource", "fmt"),
    [("customers", "jsonl"), ("orders", "jsonl"), ("orders", "csv")],
    ids=["fails-at-the-end", "fails-while-writing", "csv"],
)
def test_a_full_disk_names_the_output_and_keeps_the_file(
    cli: Cli,
    shop: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    resource: str,
    fmt: str,
) -> None:
    """A few customers fit in the write buffer (the disk refuses them when the export
    flushes it at the end); 40 complete orders do not (refused while they are written)."""

    def on_full_disk(path: Path, *, newline: str | None = None) -> tuple[TextIO, Path]:
        handle, part = open_part(path, newline=newline)
        handle.close()
        return _full_disk_text(part), part

    monkeypatch.setattr(export_module, "open_part", on_full_disk)
    _assert_failed_and_kept(cli, shop, tmp_path, "No space left on device", resource, fmt)


def test_a_file_that_cannot_be_synced_is_not_put_in_place(
    cli: Cli, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", fsync)
    _assert_failed_and_kept(cli, shop, tmp_path, os.strerror(errno.EIO), "customers", "jsonl")


def _assert_failed_and_kept(
    cli: Cli, config: Path, tmp_path: Path, reason: str, resource: str, fmt: str
) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text(OLD)
    code, _, err = cli("export", resource, "-s", "shop", "--config", str(config), "-f", fmt,
                       "-o", str(target))  # fmt: skip
    assert code == 1, err
    first, hint = err.splitlines()[:2]
    assert first == (
        f"error: -o {target}: writing it failed ({reason}); nothing was written to {target}"
    )
    assert "bug" not in err and hint.startswith("hint: ")
    assert target.read_text() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "storebridge.toml"]


def test_a_full_disk_under_stdout_is_a_clear_error(
    cli: Cli, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = _full_disk_text(tmp_path / "stdout")
    captured = sys.stdout
    monkeypatch.setattr(sys, "stdout", full)
    try:
        code, _, err = cli("export", "orders", "-s", "shop", "--config", str(shop))
    finally:
        monkeypatch.setattr(sys, "stdout", captured)
        with contextlib.suppress(OSError):  # its buffered bytes cannot be written either
            full.close()
    assert code == 1, err
    assert err.splitlines()[0] == "error: writing to stdout failed (No space left on device)"
    assert "bug" not in err


def test_the_export_is_on_disk_before_it_takes_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "orders.jsonl"
    target.write_text(OLD)
    synced: list[tuple[str, str]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        part = Path(os.readlink(f"/proc/self/fd/{fd}")) if Path("/proc/self/fd").is_dir() else None
        synced.append((part.name if part else "?", target.read_text()))

    monkeypatch.setattr(os, "fsync", fsync)
    with _destination(target) as stream:
        stream.write(json.dumps({"ref": "1"}) + "\n")
        assert not synced
    assert len(synced) == 1
    name, final_then = synced[0]
    assert final_then == OLD  # synced while the old file still had the name
    assert name == "?" or (name.startswith("orders.jsonl.") and name.endswith(".part"))
    assert target.read_text() == '{"ref": "1"}\n'
