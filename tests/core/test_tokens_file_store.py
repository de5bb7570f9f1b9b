"""FileTokenStore: the documented path works from a fresh home, files are private and
replaced atomically, and processes sharing the file refresh once (a file lock)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storebridge import ConfigurationError, StorebridgeError
from storebridge._http import Client
from storebridge.auth import FileTokenStore, RefreshingTokenAuth, Token
from storebridge.sandbox import FakeClock
from tests.core.test_auth import LIFETIME, Refresher, TokenEmulator, get

DOCUMENTED = "~/.config/acme/shopline-tokens.json"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="file modes and flock are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def token(value: str = "tok-saved-1234", expires: float = 1_900_000_000) -> Token:
    return Token(value, datetime.fromtimestamp(expires, UTC), scope="read_orders")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty home directory."""
    fresh = tmp_path / "home"
    fresh.mkdir()
    monkeypatch.setenv("HOME", str(fresh))
    return fresh


@POSIX
def test_documented_example_works_from_a_fresh_home(home: Path) -> None:
    store = FileTokenStore(DOCUMENTED)
    assert store.path == home / ".config" / "acme" / "shopline-tokens.json"
    # Folders exist (private) before the first refresh, not hours later.
    assert mode(home / ".config") == 0o700 and mode(home / ".config" / "acme") == 0o700
    clock = FakeClock()
    emu = TokenEmulator(clock)
    first = Token("tok-0", datetime.fromtimestamp(clock.now() + LIFETIME, UTC))
    auth = RefreshingTokenAuth(first, Refresher(), store=store, leeway=10, clock=clock.now)
    clock.advance(LIFETIME - 5)
    with Client(transport=emu.transport(), auth=auth) as client:
        assert get(client) == "tok-1"
    assert emu.refreshes == 1
    assert mode(store.path) == 0o600
    saved = store.load("default")
    assert saved is not None and saved.access_token.reveal() == "tok-1"
    # Only the token file and its lock file: no temporary file left behind.
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "shopline-tokens.json",
        "shopline-tokens.json.lock",
    ]


@POSIX
def test_existing_folders_keep_their_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)  # noqa: S103 - a user's ordinary folder, which must stay so
    store = FileTokenStore(shared / "app" / "tokens.json")
    store.save("k", token())
    assert mode(shared) == 0o755 and mode(shared / "app") == 0o700
    assert mode(store.path) == 0o600


def test_round_trip_keeps_other_keys_and_hides_the_token(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save("a", token("tok-aaaa-1111"))
    store.save("b", token("tok-bbbb-2222", 1_950_000_000))
    again = FileTokenStore(tmp_path / "tokens.json")
    assert again.load("a") == token("tok-aaaa-1111")
    assert again.load("b") == token("tok-bbbb-2222", 1_950_000_000)
    assert again.load("c") is None
    assert "tok-aaaa" not in repr(again.load("a")) and "tok-aaaa" not in repr(again)


def test_bad_paths_fail_at_construction_naming_the_setting(tmp_path: Path) -> None:
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    with pytest.raises(ConfigurationError) as err:
        FileTokenStore(a_file / "tokens.json")
    assert err.value.setting == "token_store" and "cannot be created" in str(err.value)
    with pytest.raises(ConfigurationError) as err:
        FileTokenStore(tmp_path)
    assert err.value.setting == "token_store" and "is a folder" in str(err.value)


def test_unreadable_file_is_a_storebridge_error_that_shows_no_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"k": {"access_token": "tok-planted-secret-99", "expires_at": ')
    store = FileTokenStore(path)
    with pytest.raises(StorebridgeError) as err:
        store.load("k")
    assert "delete it" in str(err.value) and "tok-planted" not in str(err.value)
    entry = {"access_token": "tok-planted-secret-99", "expires_at": 1e30}
    path.write_text(json.dumps({"k": entry}))
    with pytest.raises(StorebridgeError) as err:
        store.load("k")
    assert "out of range" in str(err.value) and "tok-planted" not in str(err.value)


def test_failed_write_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save("k", token("tok-first-1111"))
    before = store.path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        store.save("k", token("tok-second-2222"))
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]


def test_concurrent_saves_of_different_keys_lose_none(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        store = FileTokenStore(path)  # one instance each, as separate stores would have
        start.wait()
        for i in range(15):
            store.save(f"key-{n}", token(f"tok-{n}-{i:04d}"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    data = json.loads(path.read_text())
    assert sorted(data) == [f"key-{n}" for n in range(8)]
    assert {data[f"key-{n}"]["access_token"] for n in range(8)} == {
        f"tok-{n}-0014" for n in range(8)
    }


HOLDER = """
import sys, time
from datetime import UTC, datetime
from storebridge.auth import FileTokenStore, Token

store = FileTokenStore(sys.argv[1])
while not store.try_lock("any"):
    time.sleep(0.01)
print("locked", flush=True)
sys.stdin.readline()
if len(sys.argv) > 2:
    key, value, expires = sys.argv[2], sys.argv[3], float(sys.argv[4])
    store.save(key, Token(value, datetime.fromtimestamp(expires, UTC)))
store.unlock("any")
print("released", flush=True)
"""


@pytest.fixture
def holder_process(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def hold_lock(
    started: list[subprocess.Popen[str]], path: Path, *save: str
) -> subprocess.Popen[str]:
    """Another process that takes the file lock (and, told to, saves a token and unlocks)."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter running the script above
        [sys.executable, "-c", HOLDER, str(path), *save],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "locked"
    return process


def release(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "released"
    assert process.wait(timeout=30) == 0


@POSIX
def test_the_lock_excludes_another_process(
    tmp_path: Path, holder_process: list[subprocess.Popen[str]]
) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    other = hold_lock(holder_process, store.path)
    assert store.try_lock("k") is False
    release(other)
    assert store.try_lock("k") is True
    store.unlock("k")


@POSIX
def test_refresh_waits_for_another_process_and_uses_its_token(
    tmp_path: Path, holder_process: list[subprocess.Popen[str]]
) -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    store = FileTokenStore(tmp_path / "tokens.json")
    first = Token("tok-0", datetime.fromtimestamp(clock.now() + LIFETIME, UTC))
    auth = RefreshingTokenAuth(first, Refresher(), store=store, leeway=10, clock=clock.now)
    clock.advance(LIFETIME - 5)  # due
    theirs = clock.now() + LIFETIME
    emu.valid["tok-from-other-process"] = theirs
    other = hold_lock(holder_process, store.path, "default", "tok-from-other-process", str(theirs))
    seen: list[str] = []
    with Client(transport=emu.transport(), auth=auth) as client:
        caller = threading.Thread(target=lambda: seen.append(get(client)))
        caller.start()
        time.sleep(0.3)
        assert caller.is_alive()  # waiting for the other process's refresh
        release(other)
        caller.join()
    assert seen == ["tok-from-other-process"]
    assert emu.refreshes == 0 and auth.refresh_count == 0
