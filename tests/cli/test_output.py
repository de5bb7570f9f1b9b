"""What the command line prints: literal text, no wrapping in pipes, bars only on a terminal."""

from __future__ import annotations

import errno
import os
import pty
import subprocess
from pathlib import Path

import pytest
import typer

import storebridge
from storebridge.cli import app
from tests.cli.support import COMMAND, cli_env, profile_for, run_storebridge, served

LONG_URL = "https://" + "very-long-shop-name-" * 8 + "example.com"


def test_version() -> None:
    proc = run_storebridge(["--version"], Path.cwd())
    assert proc.returncode == 0
    assert proc.stdout == f"storebridge {storebridge.__version__}\n"


def test_markup_like_text_prints_literally(tmp_path: Path) -> None:
    (tmp_path / "storebridge.toml").write_text(
        f'[stores."[bold]shop[/bold]"]\nplatform = "29next"\nstore = "[red]acme[/red]"\n'
        f'base_url = "{LONG_URL}"\naccess_token = "${{T}}"\n'
    )
    proc = run_storebridge(["stores"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("[bold]shop[/bold]\t29next\t")
    assert "store=[red]acme[/red]" in proc.stdout
    # One record, one line, however long: nothing wraps in a pipe.
    assert len(proc.stdout.splitlines()) == 1 and len(proc.stdout) > 200
    assert f"base_url={LONG_URL}," in proc.stdout


def test_bracketed_names_in_messages_print_literally(tmp_path: Path) -> None:
    (tmp_path / "storebridge.toml").write_text("[stores.bad2]\nstore = 'x'\n")
    proc = run_storebridge(["stores"], tmp_path)
    assert '[stores.bad2] needs a platform = "..." entry' in proc.stderr


def test_stores_piped_to_cut(tmp_path: Path) -> None:
    (tmp_path / "storebridge.toml").write_text(
        f'[stores.one]\nplatform = "29next"\nbase_url = "{LONG_URL}"\naccess_token = "${{T}}"\n'
        '[stores.two]\nplatform = "shopline"\nhandle = "two"\naccess_token = "${T}"\n'
    )
    proc = subprocess.run(
        ["bash", "-c", "storebridge stores | cut -f1"],  # noqa: S607 - bash from PATH on purpose
        cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "one\ntwo\n"


def test_export_to_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    with served("24nettbutikk", orders=40) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        proc = subprocess.run(
            ["bash", "-c", "storebridge export orders --store shop | head -1"],  # noqa: S607
            cwd=tmp_path, env=cli_env(env), capture_output=True, text=True, timeout=60,
            check=False,
        )  # fmt: skip
    assert proc.returncode == 0
    assert proc.stdout.startswith('{"platform": "24nettbutikk"')
    assert "Traceback" not in proc.stderr and "Exception" not in proc.stderr


def _run_with_terminal_stderr(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (stdout to a pipe); (exit code, what it showed)."""
    main, child = pty.openpty()
    proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
        [*COMMAND, *args], cwd=cwd, env=cli_env({**env, "TERM": "xterm-256color"}),
        stdout=subprocess.DEVNULL, stderr=child,
    )  # fmt: skip
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError as exc:  # EIO: the child's side closed
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_progress_only_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    # A shop that allows more: the bars are drawn at any speed (their last state on exit).
    with served("24nettbutikk", orders=30, rate_limit=200.0) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        args = ["export", "orders", "--store", "shop", "-o", "o.jsonl"]
        code, shown = _run_with_terminal_stderr(args, tmp_path, env)
        assert code == 0, shown
        assert "orders (24nettbutikk)" in shown and "━" in shown and "/s" in shown
        assert "exported 30 orders to o.jsonl" in shown

        piped = run_storebridge(args, tmp_path, env)
        assert piped.returncode == 0, piped.stderr
        assert piped.stderr.startswith("exported 30 orders to o.jsonl")
        assert "━" not in piped.stderr and "\x1b" not in piped.stderr
        assert len(piped.stderr.splitlines()) == 1

        quiet, _ = _run_with_terminal_stderr([*args, "--quiet"], tmp_path, env)
        assert quiet == 0


def _commands() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    root = typer.main.get_command(app)

    def walk(prefix: str, command: object) -> None:
        subcommands = getattr(command, "commands", {})
        if not subcommands:
            found.append((prefix, command))
        for name, sub in subcommands.items():
            walk(f"{prefix} {name}".strip(), sub)

    walk("", root)
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda v: str(v)[:30])
def test_every_option_has_help(name: str, command: object) -> None:
    params = getattr(command, "params", [])
    assert params, name
    for param in params:
        if getattr(param, "param_type_name", "") == "option":
            assert getattr(param, "help", None), f"{name} {param.opts} has no help"
    assert "Exit codes:" in (getattr(command, "epilog", "") or "")


def test_help_shows_choices_output_option_and_exit_codes() -> None:
    proc = run_storebridge(["export", "--help"], Path.cwd())
    assert proc.returncode == 0
    assert "<orders|customers|products>" in proc.stdout
    assert "-o, --output" in proc.stdout and "instead of stdout" in proc.stdout
    assert "--detail / --no-detail" in proc.stdout
    assert "130  interrupted (Ctrl-C)" in proc.stdout
    root = run_storebridge(["--help"], Path.cwd())
    assert "[stores.NAME]" in root.stdout and "Exit codes:" in root.stdout
    assert run_storebridge([], Path.cwd()).stdout == root.stdout


def test_a_stdout_the_shell_closed_is_a_failed_write_not_a_bug(tmp_path: Path) -> None:
    # `storebridge platforms >&-`: Python leaves sys.stdout None, and the command reported
    # "unexpected AttributeError ... a bug in storebridge" (an export the same).
    proc = subprocess.run(  # noqa: S603 - our own CLI
        [*COMMAND, "platforms"], cwd=tmp_path, env=cli_env(None), capture_output=False,
        stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        preexec_fn=lambda: os.close(1),  # the child starts with its stdout closed
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: writing to stdout failed (stdout is closed)")
    assert "bug" not in proc.stderr
