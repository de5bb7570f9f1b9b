"""``storebridge listen`` when a poller fails: reported, healed where it can be, and the
command stopped with a clear error (exit 1) where it cannot -- never a poller thread that
dies while the command runs on printing nothing for its store."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import storebridge
import storebridge.changes
from storebridge.changes import Checkpoint
from storebridge.cli import listen, run
from storebridge.registry import adapter_class
from tests.cli.listener import Listener, code_env
from tests.cli.support import COMMAND, assert_clean_failure, profile_for, served

SIZES = {"orders": 4, "customers": 2, "products": 2}
TOTAL = sum(SIZES.values())
SINCE = "2000-01-01T00:00:00+00:00"


def _profile(tmp_path: Path, kit: Any, url: str) -> dict[str, str]:
    profile, env = profile_for("shop", kit, url)
    (tmp_path / "storebridge.toml").write_text(profile)
    return env


def test_a_state_folder_gone_for_a_while_is_reported_and_nothing_is_lost(tmp_path: Path) -> None:
    args = ["--store", "shop", "--poll", "0.2", "--since", SINCE, "--state", "state"]
    folder = tmp_path / "state"
    with served("24nettbutikk", seed=4, **SIZES) as (kit, url):
        env = _profile(tmp_path, kit, url)
        listener = Listener(args, tmp_path, env)
        try:
            orders = [line["ref"] for line in listener.take(TOTAL) if line["resource"] == "orders"]
            while folder.exists():  # (it is written to as we remove it)
                shutil.rmtree(folder, ignore_errors=True)
            # The next pass cannot save its checkpoint.
            said = listener.stderr_line("cannot save its checkpoint")
            kit.emulator.touch("orders", orders[0])  # type: ignore[attr-defined]
            # Two more passes fail (each says so once it ended): the second began after the
            # change, and neither printed anything a restart could not resume. (Waiting for
            # them, not a fixed time: the passes back off, 0.2 s, 0.4 s, 0.8 s and on.)
            failed = len(listener.stderr_lines("cannot save its checkpoint", 1))
            listener.stderr_lines("cannot save its checkpoint", failed + 2)
            assert listener.quiet_for(0.5)  # (time for a line printed before the warning)
            folder.mkdir()
            (first,) = listener.take(1)
            kit.emulator.touch("orders", orders[1])  # type: ignore[attr-defined]
            (second,) = listener.take(1)
            code, err = listener.interrupt()
        finally:
            listener.kill()
        assert code == 130 and "Traceback" not in err, err
        assert said.startswith("warning: shop (24nettbutikk) change feed: cannot save")
        assert str(Path("state") / "shop.checkpoint.json") in said and "--state" in said
        assert "working again" in err
        assert [first["ref"], second["ref"]] == orders[:2]
        assert listener.lines.empty()  # each once

        # The checkpoint saved once the folder was back resumes right after the last change.
        kit.emulator.touch("orders", orders[2])  # type: ignore[attr-defined]
        again = Listener(args, tmp_path, env)
        try:
            (third,) = again.take(1)
            assert again.quiet_for(1.0)
            code, err = again.interrupt()
        finally:
            again.kill()
        assert code == 130 and "Traceback" not in err, err
        assert third["ref"] == orders[2]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "not a storebridge change-feed checkpoint"),
        ('{"version": 99, "positions": {}}', "unknown checkpoint version 99"),
        (Checkpoint("29next", "elsewhere.example", {}).to_json(), "belongs to 29next store"),
    ],
    ids=["garbage", "other-version", "other-store"],
)
def test_a_state_file_that_is_not_this_stores_checkpoint_stops_listen(
    tmp_path: Path, text: str, says: str
) -> None:
    file = tmp_path / "state" / "shop.checkpoint.json"
    file.parent.mkdir()
    file.write_text(text)
    with served("24nettbutikk", seed=4, **SIZES) as (kit, url):
        env = _profile(tmp_path, kit, url)
        proc = subprocess.run(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "listen", "--store", "shop", "--poll", "0.2", "--state", "state"],
            cwd=tmp_path, env=code_env(env), capture_output=True, text=True, timeout=30,
            check=False,
        )  # fmt: skip
    first = assert_clean_failure(proc, 1)
    assert first.startswith("error: shop (24nettbutikk): cannot resume from"), proc.stderr
    assert str(Path("state") / "shop.checkpoint.json") in first and says in first, first
    assert "hint: point --state at the folder" in proc.stderr and "move " in proc.stderr
    assert proc.stdout == ""
    assert file.read_text() == text  # left as it was, for the user to look at


def test_listen_whose_reader_went_away_stops_with_an_error(tmp_path: Path) -> None:
    with served("24nettbutikk", seed=4, **SIZES) as (kit, url):
        env = _profile(tmp_path, kit, url)
        proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "listen", "--store", "shop", "--poll", "0.2", "--since", SINCE],
            cwd=tmp_path, env=code_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline()  # `storebridge listen | head -n 1`
            proc.stdout.close()
            with storebridge.connect("24nettbutikk", **kit.settings(url)) as store:
                order = next(iter(store.orders.list()))
            kit.emulator.touch("orders", order.ref)  # type: ignore[attr-defined]
            code = proc.wait(timeout=30)
            err = proc.stderr.read() if proc.stderr else ""
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            if proc.stderr is not None:
                proc.stderr.close()
    assert code == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "error: shop (24nettbutikk): cannot print changes: stdout is closed" in err, err


def _boom(record: Any) -> Any:
    raise KeyError("boom")


def _returns_at_once(*args: Any, **kwargs: Any) -> None:
    return None


@pytest.mark.parametrize(
    ("target", "replacement", "says"),
    [
        (storebridge.changes, ("_kind", _boom), "change feed: unexpected KeyError: 'boom'"),
        (listen, ("_poll", _returns_at_once), "its change feed stopped"),
    ],
    ids=["a-bug-in-a-pass", "a-poller-that-ends"],
)
def test_listen_does_not_run_on_without_a_poller(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: Any,
    replacement: tuple[str, Any],
    says: str,
) -> None:
    with served("24nettbutikk", seed=4, **SIZES) as (kit, url):
        for name, value in _profile(tmp_path, kit, url).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(target, *replacement)
        config = str(tmp_path / "storebridge.toml")
        codes: list[int] = []
        argv = ["listen", "--store", "shop", "--config", config, "--poll", "0.2", "--since", SINCE]
        runner = threading.Thread(target=lambda: codes.append(run(argv)), daemon=True)
        runner.start()
        runner.join(30)
        assert not runner.is_alive(), "listen ran on after its poller had ended"
    _, err = capsys.readouterr()
    assert codes == [1], err
    assert "Traceback" not in err
    assert err.startswith("error: shop"), err
    assert says in err.splitlines()[0], err
    assert "hint: this is a bug in storebridge" in err


@pytest.mark.parametrize("poll", ["nan", "inf", "0", "-1"])
def test_a_poll_that_is_not_a_positive_number_of_seconds_is_a_usage_error(
    tmp_path: Path, poll: str
) -> None:
    with served("24nettbutikk", seed=4, **SIZES) as (kit, url):
        env = _profile(tmp_path, kit, url)
        proc = subprocess.run(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "listen", "--store", "shop", f"--poll={poll}"],
            cwd=tmp_path, env=code_env(env), capture_output=True, text=True, timeout=30,
            check=False,
        )  # fmt: skip
    first = assert_clean_failure(proc, 2)
    assert "--poll must be a positive number of seconds" in first


class _Stop:
    """``stop`` for :func:`listen._poll` run in the test's thread: ``on_wait`` decides."""

    def __init__(self, on_wait: Callable[[list[float]], bool]) -> None:
        self.waits: list[float] = []
        self.stopped = False
        self.on_wait = on_wait

    def is_set(self) -> bool:
        return self.stopped

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.stopped = self.on_wait(self.waits)
        return self.stopped


def test_a_change_whose_checkpoint_cannot_be_saved_is_printed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit = adapter_class("shopline").sandbox(seed=3, orders=4, customers=2, products=2)
    folder = tmp_path / "state"
    folder.mkdir()
    state = folder / "shop.checkpoint.json"
    printed: list[tuple[str, str]] = []

    def emit(change: Any) -> None:
        printed.append((change.resource, change.ref))
        if len(printed) == 1:
            shutil.rmtree(folder)  # so saving this change's checkpoint fails

    def on_wait(waits: list[float]) -> bool:
        if len(waits) == 3:
            folder.mkdir()
        return len(waits) == 4  # the pass after the folder came back ended

    stop = _Stop(on_wait)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    settings = kit.settings("https://sandbox.example")
    with storebridge.connect("shopline", transport=kit.emulator.transport(), **settings) as store:
        listen._poll(store, state, 0.5, stop, since, emit)  # type: ignore[arg-type]
        saved = Checkpoint.from_json(state.read_text())
        assert list(store.changes(since=saved)) == []  # the saved checkpoint is after them all
    assert len(printed) == len(set(printed)) == TOTAL  # every record, each once
    assert stop.waits == [0.5, 1.0, 2.0, 0.5]  # backing off while failing, then as before
    err = capsys.readouterr().err
    assert err.count("cannot save its checkpoint") == 3, err
    assert "working again" in err
