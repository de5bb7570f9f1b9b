"""Every command on docs/cli.md runs as written, in order, in one folder.

Shell lines run through bash (so their pipes and redirects are real); a line ending in
``# exit N`` must exit N with one ``error:`` line. ``sandbox serve`` lines keep running in
the background, and their ``export`` lines are applied as the page tells the reader to.
Python blocks run with the same environment, and TOML blocks must load as profiles.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

from storebridge.profiles import load_profiles
from tests.cli.support import COMMAND, cli_env
from tests.support.paths import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "cli.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def _shim(folder: Path) -> str:
    """A folder whose ``storebridge`` is the one under test."""
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "storebridge"
    shim.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(c) for c in COMMAND) + ' "$@"\n')
    shim.chmod(0o755)
    return str(bin_dir)


def _start_sandbox(line: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(  # noqa: S603 - a command line from our own docs
        ["bash", "-c", "exec " + line], cwd=cwd, env=env,  # noqa: S607
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    for note in iter(proc.stderr.readline, "Ctrl-C stops it\n"):
        assert note, f"{line!r} ended before serving"
        if note.startswith("export "):
            name, _, value = note.removeprefix("export ").strip().partition("=")
            env[name] = shlex.split(value)[0]
    return proc


def _run_shell(line: str, cwd: Path, env: dict[str, str]) -> None:
    command, _, expected = line.partition("# exit ")
    proc = subprocess.run(  # noqa: S603 - a command line from our own docs
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,  # noqa: S607
        timeout=300, check=False,
    )  # fmt: skip
    code = int(expected or 0)
    assert proc.returncode == code, (line, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, (line, proc.stderr)
    if code:
        assert proc.stderr.startswith("error: "), (line, proc.stderr)


def test_every_command_on_the_cli_page_runs(tmp_path: Path) -> None:
    env = cli_env()
    env["PATH"] = _shim(tmp_path) + os.pathsep + env["PATH"]
    servers: list[subprocess.Popen[str]] = []

    def kill_servers() -> None:
        for server in servers:
            server.kill()

    watchdog = threading.Timer(600, kill_servers)
    watchdog.start()
    ran: list[str] = []
    try:
        for language, body in _blocks():
            if language == "sh":
                for line in body.splitlines():
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    assert line.startswith("storebridge "), line
                    if " sandbox serve " in f" {line}":
                        servers.append(_start_sandbox(line, tmp_path, env))
                    else:
                        _run_shell(line, tmp_path, env)
                    ran.append(line)
            elif language == "python":
                proc = subprocess.run(  # noqa: S603 - our interpreter, our docs
                    [sys.executable, "-c", body], cwd=tmp_path, env=env, capture_output=True,
                    text=True, timeout=120, check=False,
                )  # fmt: skip
                assert proc.returncode == 0, (body, proc.stderr)
                ran.append("python block")
            elif language == "toml":
                sample = tmp_path / "sample.toml"
                sample.write_text(body)
                assert load_profiles(sample)
                ran.append("toml block")
            else:
                raise AssertionError(f"docs/cli.md has a {language} block this test cannot run")
    finally:
        watchdog.cancel()
        for server in servers:
            server.terminate()
            server.communicate(timeout=10)
    # The walkthrough really happened: the migration wrote its ledger, the exports their files.
    assert (tmp_path / "migration.sqlite").exists() and (tmp_path / "orders.jsonl").exists()
    assert "python block" in ran and "toml block" in ran
