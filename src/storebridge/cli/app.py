"""``storebridge`` commands (typer + rich).

Exit codes: 0 success; 1 a command failed (error message on stderr); 2 usage error;
3 a migration or demo finished but verification found mismatches or records failed.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

import storebridge
from storebridge.cli.export import write_records
from storebridge.cli.profiles import load_profiles
from storebridge.cli.progress import ProgressBars
from storebridge.errors import StorebridgeError
from storebridge.registry import adapter_class

app = typer.Typer(
    name="storebridge",
    help="One facade over many commerce platforms: inspect, export and migrate stores.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(help="Run platform emulators on a loopback port.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
console = Console()
errors = Console(stderr=True)

EXIT_MISMATCH = 3

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Profile file (default storebridge.toml).")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _since(value: str | None) -> datetime | str | None:
    if value is None or value == "last-run":
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--since {value!r} is not an ISO date/time or 'last-run'", 2) from None
    if parsed.tzinfo is None:
        raise _fail("--since needs a UTC offset, e.g. 2026-01-01T00:00:00+00:00", 2)
    return parsed


def _open(name: str, config: Path | None) -> storebridge.Store:
    profiles = load_profiles(config)
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise _fail(f"no store profile {name!r}; profiles: {known}", 2)
    profile = profiles[name]
    return storebridge.connect(profile.platform, **profile.resolved())


@app.callback()
def _root() -> None:
    """storebridge command line."""


@app.command()
def platforms() -> None:
    """List the installed platform adapters."""
    for name in storebridge.platforms():
        console.print(name, highlight=False)


@app.command()
def stores(config: ConfigOption = None) -> None:
    """List store profiles (secrets are shown as the ${ENV_VAR} references they are)."""
    try:
        profiles = load_profiles(config)
    except StorebridgeError as exc:
        raise _fail(str(exc)) from None
    for profile in profiles.values():
        settings = ", ".join(f"{k}={v}" for k, v in profile.shown().items())
        console.print(f"{profile.name}\t{profile.platform}\t{settings}", highlight=False)


@app.command()
def export(
    resource: Annotated[str, typer.Argument(help="orders, customers or products")],
    store: Annotated[str, typer.Option("--store", help="Profile name.")],
    since: Annotated[str | None, typer.Option(help="Only records updated since (ISO).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    config: ConfigOption = None,
) -> None:
    """Stream a store's records to stdout or a file."""
    if resource not in ("orders", "customers", "products"):
        raise _fail("resource must be orders, customers or products", 2)
    if fmt not in ("jsonl", "csv"):
        raise _fail("--format must be jsonl or csv", 2)
    updated_since = _since(since)
    if isinstance(updated_since, str):
        raise _fail("--since last-run only applies to migrations", 2)
    try:
        with ExitStack() as stack:
            opened = stack.enter_context(_open(store, config))
            out = stack.enter_context(output.open("w", encoding="utf-8", newline="")) if output \
                else sys.stdout  # fmt: skip
            listing: Any = getattr(opened, resource).list(updated_since=updated_since)
            count = write_records(listing, out, fmt)
    except StorebridgeError as exc:
        raise _fail(str(exc)) from None
    errors.print(f"exported {count} {resource}", highlight=False)


@app.command("migrate")
def migrate_command(
    source: Annotated[str, typer.Option("--from", help="Source store profile.")],
    target: Annotated[str, typer.Option("--to", help="Target store profile.")],
    ledger: Annotated[Path, typer.Option(help="SQLite ledger file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only; write nothing.")] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a run from the ledger.")
    ] = False,
    since: Annotated[str | None, typer.Option(help="ISO date/time or 'last-run'.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    config: ConfigOption = None,
) -> None:
    """Copy customers, products and orders from one store to another (resumable)."""
    if resume and not ledger.exists():
        raise _fail(f"--resume given but {ledger} does not exist", 2)
    if not resume and not dry_run and ledger.exists():
        raise _fail(f"{ledger} exists: pass --resume to continue that migration", 2)
    try:
        with (
            _open(source, config) as src,
            _open(target, config) as dst,
            ProgressBars(errors, enabled=not (quiet or as_json)) as bars,
        ):
            report = storebridge.migrate(
                src, dst, ledger=ledger, dry_run=dry_run, since=_since(since),
                progress=bars.update,
            )  # fmt: skip
    except StorebridgeError as exc:
        raise _fail(str(exc)) from None
    _print_report(report, as_json=as_json)
    if report.blockers:
        raise typer.Exit(1)
    if not report.ok:
        raise typer.Exit(EXIT_MISMATCH)


def _print_report(report: storebridge.MigrationReport, *, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(report.to_dict(), default=str))
    else:
        console.print(report.summary(), highlight=False)


@sandbox_app.command("serve")
def sandbox_serve(
    platform: Annotated[str, typer.Argument(help="Platform name, e.g. 29next.")],
    port: Annotated[int, typer.Option(help="Loopback port (0: any free port).")] = 8029,
    orders: Annotated[int, typer.Option(help="Seeded orders.")] = 25,
    seed: Annotated[int, typer.Option(help="Seed for the generated data.")] = 1,
    latency: Annotated[float, typer.Option(help="Seconds added to every answer.")] = 0.0,
) -> None:
    """Serve a seeded emulator on 127.0.0.1 until interrupted."""
    from storebridge.sandbox import LoopbackServer

    try:
        kit = adapter_class(platform).sandbox(seed=seed, orders=orders, latency=latency)
    except (StorebridgeError, NotImplementedError) as exc:
        raise _fail(str(exc)) from None
    server = LoopbackServer(kit.emulator, port)
    lines = [
        f"{platform} sandbox on {server.url}",
        "storebridge.toml profile:",
        f"[stores.{platform}-sandbox]",
        f'platform = "{platform}"',
        *_toml_settings(kit.settings(server.url)),
        "",
    ]
    # Plain output: a terminal-width wrap would break the TOML lines.
    typer.echo("\n".join(lines))
    # Scripts read the URL from a pipe while the server runs: do not leave it buffered.
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped", highlight=False)


def _toml_settings(settings: dict[str, Any]) -> list[str]:
    """Settings as TOML lines; values that only make sense in-process are left out."""
    lines = []
    for key, value in settings.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, bool | int | float | str):
            lines.append(f"{key} = {json.dumps(value)}")
        else:
            lines.append(f"# {key}: in-process only, not needed over the network")
    return lines


@app.command()
def demo(
    orders: Annotated[int, typer.Option(help="Orders seeded in each source sandbox.")] = 15,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
) -> None:
    """Migrate two sandbox stores into a third and refund an order, then verify."""
    from storebridge.cli.demo import run_demo

    try:
        ok = run_demo(console, errors, orders=orders, as_json=as_json, quiet=quiet)
    except StorebridgeError as exc:
        raise _fail(str(exc)) from None
    if not ok:
        raise typer.Exit(EXIT_MISMATCH)


def main() -> None:
    app()
