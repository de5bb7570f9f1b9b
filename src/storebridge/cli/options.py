"""Options several commands share, and checks of values the parser cannot judge alone."""

from __future__ import annotations

import math
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

import storebridge
from storebridge.cli import logs
from storebridge.cli.output import CliError, usage_error
from storebridge.errors import ConfigurationError
from storebridge.profiles import CONFIG_ENV, DEFAULT_FILE, PROFILE_ENV, load_profiles

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar=CONFIG_ENV,
        help=f"Profile file (default ./{DEFAULT_FILE}).",
        dir_okay=False,
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Also log INFO lines (retries, token refreshes, phases)."),
]
DebugOption = Annotated[
    bool,
    typer.Option(
        "--debug", help="Also log DEBUG lines: every HTTP answer with its status and time."
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bars or notes (warnings still show).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]

STORE_HELP = f"Profile name in the profile file (default ${PROFILE_ENV})."


def apply_verbosity(verbose: bool, debug: bool) -> None:
    logs.set_level(verbose=verbose, debug=debug)


def since_option(value: str | None, *, allow_last_run: bool) -> datetime | str | None:
    """``--since``: an ISO date/time with a UTC offset (or ``last-run`` for migrations)."""
    if value is None:
        return None
    if value == "last-run":
        if allow_last_run:
            return value
        raise usage_error("--since last-run only applies to migrations; give an ISO date/time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise usage_error(
            f"--since {value!r} is not an ISO date/time",
            hint="write it like 2026-01-01T00:00:00+00:00 (or 2026-01-01T00:00:00Z)",
        ) from None
    if parsed.tzinfo is None:
        raise usage_error(
            f"--since {value!r} has no UTC offset",
            hint="add one, e.g. 2026-01-01T00:00:00+00:00",
        )
    return parsed


def writable_file(option: str, path: Path) -> None:
    """Refuse, before any work, a file that cannot be created where it is asked for."""
    if path.is_dir():
        raise usage_error(f"{option} {path} is a folder", hint=f"give a file path for {option}")
    folder = path.parent
    if not folder.is_dir():
        raise usage_error(
            f"{option} {path}: the folder {folder} does not exist",
            hint=f"create it (mkdir -p {folder}) or pick another path for {option}",
        )
    if not os.access(folder, os.W_OK):
        raise usage_error(
            f"{option} {path}: the folder {folder} is not writable",
            hint=f"pick another path for {option}",
        )


def finite(option: str, value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise usage_error(f"{option} must be a number of seconds >= 0, got {value}")
    return value


def profile_name(option: str, name: str | None, config: Path | None) -> str:
    """A profile that exists in the profile file (exit 2 naming the option if not)."""
    if not name:
        raise usage_error(
            f"{option} is required",
            hint=f"name a profile with {option} NAME, or set ${PROFILE_ENV}",
        )
    try:
        known = load_profiles(config)
    except ConfigurationError as exc:
        raise CliError(str(exc)) from None
    if name not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise usage_error(
            f"{option} {name}: no such profile; profiles: {listed}",
            hint="`storebridge stores` lists them",
        )
    return name


def open_store(name: str, config: Path | None) -> storebridge.Store:
    """The store of profile ``name`` (already checked to exist)."""
    return storebridge.connect(profile=name, config=config)


__all__ = [
    "STORE_HELP",
    "ConfigOption",
    "DebugOption",
    "JsonOption",
    "QuietOption",
    "VerboseOption",
    "apply_verbosity",
    "finite",
    "open_store",
    "profile_name",
    "since_option",
    "writable_file",
]
