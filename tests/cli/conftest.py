"""Fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storebridge.cli import run

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``storebridge ARGS`` in this process: (exit code, stdout, stderr).

    The same code as the console script, less the process around it; tests where the
    process matters (exit status, pipes, terminals, signals) run the real entry point.
    """

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
