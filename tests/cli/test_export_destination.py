"""Where ``export -o`` writes: a regular file is replaced whole when the export completes;
anything else at that path is kept for what it is.

Renaming the finished ``.part`` file over the path once replaced a device (``-o
/dev/full`` as root turned the device into a file), a FIFO (its reader got nothing) and a
symlink (the link became a file and its target was left as it was).
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from storebridge.cli.export import _destination
from storebridge.cli.output import EXIT_USAGE, CliError


def test_a_new_or_regular_file_is_replaced_only_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "orders.jsonl"
    out.write_text("old\n")
    with _destination(out) as stream:
        stream.write("new\n")
        assert out.read_text() == "old\n"  # still the old file until the export ends
    assert out.read_text() == "new\n"
    assert not (tmp_path / "orders.jsonl.part").exists()


def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    with _destination(fifo) as stream:
        stream.write("one\ntwo\n")
    reader.join(10)
    assert received == ["one\ntwo\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not (tmp_path / "pipe.part").exists()
    # A device (``-o /dev/null``) takes the same path: anything but a regular file is
    # written into. It is not tested on a real device: a regression would replace it.


def test_a_symlink_keeps_pointing_at_the_file_it_names(tmp_path: Path) -> None:
    target = tmp_path / "data" / "orders.jsonl"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    with _destination(link) as stream:
        stream.write("new\n")
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text() == "new\n"


def test_a_folder_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(CliError) as caught, _destination(tmp_path) as stream:
        stream.write("x")
    assert caught.value.code == EXIT_USAGE
    assert "is a folder" in caught.value.message and caught.value.hint


def test_a_path_that_cannot_be_written_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("x")
    out = tmp_path / "not-a-folder" / "orders.jsonl"  # no part file can be created beside it
    with pytest.raises(CliError) as caught, _destination(out) as stream:
        stream.write("x")
    assert caught.value.code == EXIT_USAGE
    assert caught.value.message.startswith(f"-o {out}: cannot write to it")
    assert not out.exists()


def test_each_export_writes_a_part_file_of_its_own(tmp_path: Path) -> None:
    """Two exports to one path (overlapping scheduled runs) once shared `NAME.part`: the
    first to finish renamed it while the other still wrote into it. And a link planted
    under that name was followed, overwriting the file it pointed at."""
    out = tmp_path / "orders.jsonl"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "orders.jsonl.part").symlink_to(victim)
    with _destination(out) as first, _destination(out) as second:
        first.write("first\n")
        second.write("second\n")
        parts = sorted(p.name for p in tmp_path.glob("orders.jsonl.*.part"))
        assert len(parts) == 2
    assert out.read_text() in ("first\n", "second\n")  # one whole export, not a mix
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "orders.jsonl",
        "orders.jsonl.part",
        "victim.txt",
    ]


def test_a_json_line_stays_one_line_whatever_the_text_holds() -> None:
    """JSON keeps U+2028, U+2029 and U+0085 as they are; `str.splitlines()` (and readers
    built on it) broke one exported record into several lines at them."""
    import io
    import json

    from storebridge.cli.records import RecordWriter
    from storebridge.model import Customer

    note = "line\u2028separator\u2029paragraph\u0085next\nnewline \u00e6\u00f8\u00e5"
    customer = Customer(platform="p", ref="1", email="a@example.com", note=note)
    out = io.StringIO()
    RecordWriter(out, "jsonl", "customers").write(customer, "shop")
    text = out.getvalue()
    assert len(text.splitlines()) == 1 and text.endswith("\n")
    assert json.loads(text)["note"] == note and "\u00e6\u00f8\u00e5" in text
