"""Lists the documentation blocks the examples test ran, and those it did not run, and why."""

from __future__ import annotations

import pytest

from tests.docs import record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not record.RAN and not record.NOT_RUN:
        return
    write = terminalreporter.write_line
    terminalreporter.section("documentation examples")
    for label, ok in record.RAN.items():
        write(f"ran      {label}{'' if ok else '  FAILED'}")
    for label, reason in record.NOT_RUN.items():
        write(f"not run  {label}: {reason}")
