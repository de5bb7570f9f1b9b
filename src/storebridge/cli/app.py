"""``storebridge`` commands (typer + rich)."""

from __future__ import annotations

import typer
from rich.console import Console

import storebridge

app = typer.Typer(
    name="storebridge",
    help="One facade over many commerce platforms: inspect, export and migrate stores.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@app.command()
def platforms() -> None:
    """List the installed platform adapters."""
    for name in storebridge.platforms():
        console.print(name)


@app.callback()
def _root() -> None:
    """storebridge command line."""


def main() -> None:
    app()
