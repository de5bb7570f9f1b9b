"""``storebridge migrate``: copy a store into another, resumably."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import storebridge
from storebridge.cli.interrupts import stop_at_once_on_interrupt
from storebridge.cli.options import (
    ConfigOption,
    DebugOption,
    JsonOption,
    QuietOption,
    VerboseOption,
    apply_verbosity,
    open_store,
    profile_name,
    since_option,
    writable_file,
)
from storebridge.cli.output import EXIT_FAILED, EXIT_MISMATCH, CliError, result, usage_error

if TYPE_CHECKING:
    import sqlite3
from storebridge.cli.progress import ProgressDisplay, terminal_wants_progress


def migrate_command(
    source: Annotated[str, typer.Option("--from", help="Source store profile.")],
    target: Annotated[str, typer.Option("--to", help="Target store profile.")],
    ledger: Annotated[
        Path,
        typer.Option(
            help="SQLite ledger file: what was copied where. Keep it to resume or catch up.",
            dir_okay=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan only; write nothing (not even the ledger).")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the migration recorded in --ledger.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only records updated since this ISO date/time, or 'last-run'."),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
    config: ConfigOption = None,
) -> None:
    """Copy a store into another, resumably, then verify.

    Copies customers, products and orders, then reads both stores afresh to verify. The
    ledger records every copied record, so a run that was stopped (Ctrl-C, a crash, a
    lost connection) continues with --resume and writes nothing twice.
    """
    apply_verbosity(verbose, debug)
    when = since_option(since, allow_last_run=True)
    _check_ledger(ledger, resume=resume, dry_run=dry_run)
    source = profile_name("--from", source, config)
    target = profile_name("--to", target, config)
    if source == target:
        raise usage_error("--from and --to name the same profile; a store cannot copy into itself")
    show_progress = not (quiet or as_json) and terminal_wants_progress()

    def interrupted() -> str:
        if dry_run:
            return "interrupted: dry run, nothing was written"
        return (
            f"interrupted: the ledger {ledger} keeps what was copied; run the same command "
            "with --resume to continue"
        )

    import sqlite3  # loaded with the ledger, not by every command line

    bars = ProgressDisplay(enabled=show_progress)
    try:
        with (
            open_store(source, config) as src,
            open_store(target, config) as dst,
            bars,
            stop_at_once_on_interrupt(interrupted, cleanup=bars.stop),
        ):
            report = storebridge.migrate(
                src, dst, ledger=ledger, dry_run=dry_run, since=when, progress=bars.phase
            )
    except sqlite3.Error as exc:
        raise CliError(f"--ledger {ledger}: {exc}", hint=_ledger_hint(exc)) from None
    if as_json:
        result(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        result(report.summary())
    if report.blockers:
        raise typer.Exit(EXIT_FAILED)
    if not report.ok:
        raise typer.Exit(EXIT_MISMATCH)


def _check_ledger(ledger: Path, *, resume: bool, dry_run: bool) -> None:
    if resume and not ledger.exists():
        raise usage_error(
            f"--resume given but the ledger {ledger} does not exist",
            hint="leave out --resume to start a new migration",
        )
    if not resume and not dry_run and ledger.exists():
        raise usage_error(
            f"the ledger {ledger} exists",
            hint="pass --resume to continue that migration, or pick a new --ledger path",
        )
    writable_file("--ledger", ledger)


def _ledger_hint(exc: sqlite3.Error) -> str:
    """What to do about a ledger SQLite could not use: a file that is no ledger wants
    another path, but a full or failing disk wants space and a resume (a new ledger would
    have to be rebuilt from what the target holds)."""
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text:
        return "is it a ledger written by storebridge migrate? pick another path for a new one"
    if "full" in text or "i/o" in text or "readonly" in text or "read-only" in text:
        return (
            "the disk holding the ledger is full or failing (or the file is read-only): make "
            "room or fix it, then run the same command again with --resume; the ledger keeps "
            "every write committed before the error"
        )
    return "run the same command again with --resume once the cause is fixed"


__all__ = ["migrate_command"]
