"""Running the real ``storebridge`` entry point, and sandboxes for it to talk to."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storebridge.cli.profile_toml import profile_lines, secret_settings, toml_value
from storebridge.registry import adapter_class
from storebridge.sandbox import Sandbox

_SCRIPT = Path(sys.executable).with_name("storebridge")
# The console script pip installed next to this interpreter; `python -m storebridge.cli`
# runs the same main() where no script was installed.
COMMAND: list[str] = (
    [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "storebridge.cli"]
)
BIN = str(Path(sys.executable).parent)

# Variables that would change what the CLI prints (colour, width, profile defaults).
_CLEARED = ("FORCE_COLOR", "PY_COLORS", "COLUMNS", "TERMINAL_WIDTH", "TTY_COMPATIBLE", "NO_COLOR")


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _CLEARED and not k.startswith("STOREBRIDGE_")
    }
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def run_storebridge(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``storebridge ARGS`` to completion, output captured through pipes."""
    return subprocess.run(  # noqa: S603 - our own CLI with arguments from the test
        [*COMMAND, *args], cwd=cwd, env=cli_env(env), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def assert_clean_failure(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The run failed with ``code``, one ``error:`` line first, and no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith("error: "), proc.stderr
    return first


@contextmanager
def served(platform: str, **options: Any) -> Iterator[tuple[Sandbox, str]]:
    """A sandbox of ``platform`` on a loopback port for the duration."""
    kit = adapter_class(platform).sandbox(**options)
    with kit.emulator.serve() as url:
        yield kit, url


def profile_for(
    name: str, kit: Sandbox, url: str, rate_limit: Mapping[str, float] | None = None
) -> tuple[str, dict[str, str]]:
    """(TOML of a profile reaching ``kit`` at ``url``, the environment its secrets need).

    ``rate_limit`` is the profile's ``rate_limit`` table, when the test wants one.
    """
    secrets = secret_settings(adapter_class(kit.platform))
    lines, env = profile_lines(name, kit.platform, kit.settings(url), secrets)
    if rate_limit is not None:
        lines.append(f"rate_limit = {toml_value(rate_limit)}")
    return "\n".join(lines) + "\n", env


def profile_file(
    folder: Path,
    setenv: Callable[[str, str], None],
    name: str,
    kit: Sandbox,
    url: str,
    rate_limit: Mapping[str, float] | None = None,
) -> Path:
    """``folder/storebridge.toml`` holding :func:`profile_for`'s profile, its secrets set in
    the environment with ``setenv`` (``monkeypatch.setenv``, so they go with the test)."""
    profile, env = profile_for(name, kit, url, rate_limit)
    config = folder / "storebridge.toml"
    config.write_text(profile)
    for key, value in env.items():
        setenv(key, value)
    return config
