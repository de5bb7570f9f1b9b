"""``storebridge listen`` run in the background for tests: stdout lines on a queue, stderr
kept, and the code under test imported (not whichever copy of storebridge is installed)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import storebridge
import storebridge_24nettbutikk
from tests.cli.support import COMMAND, cli_env


def code_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for the CLI, importing the code under test: the installed console script
    would otherwise import whichever copy of storebridge was installed."""
    roots = {Path(m.__file__ or "").resolve().parents[1] for m in (storebridge,
             storebridge_24nettbutikk)}  # fmt: skip
    return cli_env({**env, "PYTHONPATH": os.pathsep.join(sorted(map(str, roots)))})


class Listener:
    """``storebridge listen`` in the background: stdout lines on a queue, stderr kept."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "listen", *args], cwd=cwd, env=code_env(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        # Daemons: a test that fails with the command still running must not hang the run.
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.lines.put),
                             daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err.append),
                             daemon=True),
        ]  # fmt: skip
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, put: Callable[[str], None]) -> None:
        for line in stream:
            put(line)

    def take(self, n: int, timeout: float = 60) -> list[dict[str, Any]]:
        try:
            return [json.loads(self.lines.get(timeout=timeout)) for _ in range(n)]
        except queue.Empty:
            self.kill()
            raise AssertionError(f"no line in {timeout} s; stderr: {''.join(self.err)}") from None

    def quiet_for(self, seconds: float) -> bool:
        try:
            line = self.lines.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"printed {line!r}")

    def stderr_line(self, text: str, timeout: float = 30) -> str:
        """The first stderr line saying ``text``, once there is one."""
        return self.stderr_lines(text, 1, timeout)[0]

    def stderr_lines(self, text: str, count: int, timeout: float = 30) -> list[str]:
        """The stderr lines saying ``text``, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(self.err) if text in line]
            if len(found) >= count:
                return found
            assert self.proc.poll() is None, "".join(self.err)
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"stderr never said {text!r} {count} times: {''.join(self.err)}")

    def interrupt(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=30)
        self._close()
        return code, "".join(self.err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


__all__ = ["Listener", "code_env"]
