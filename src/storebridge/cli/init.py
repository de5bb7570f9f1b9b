"""``storebridge init``: a starter ``storebridge.toml`` with ``${ENV}`` references.

Each profile is derived from the adapter's settings class: required settings are written
out (secrets as references, others as ``"..."`` to fill in), optional ones without a
default are left commented out, and settings with a default are left to it.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import attrs
import typer

from storebridge.cli.options import (
    ConfigOption,
    DebugOption,
    VerboseOption,
    apply_verbosity,
    writable_file,
)
from storebridge.cli.output import note, usage_error
from storebridge.cli.profile_toml import secret_settings, table_name
from storebridge.profiles import config_path, env_name
from storebridge.settings import Secret

if TYPE_CHECKING:
    from storebridge.adapter import Adapter

HEADER = """\
# storebridge store profiles: one [stores.NAME] table per store.
# Secrets are ${ENV_VAR} references, read from the environment when a store is
# opened: keep their values out of this file. Fill in the "..." values, uncomment
# the optional settings you need and delete the profiles you do not use. A store
# whose plan allows more requests than its platform documents can say so in its
# profile: rate_limit = { per_second = 40, burst = 8 }
#
#   storebridge stores                         lists the profiles
#   storebridge export orders --store NAME     uses one
#   storebridge.connect(profile="NAME")        uses one from Python
"""

_WRITABLE = (str, Secret, int, float, bool, dt.datetime)


def _writable(hint: Any) -> bool:
    kinds = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    return all(isinstance(k, type) and issubclass(k, _WRITABLE) for k in kinds)


def starter_profile(profile: str, adapter: type[Adapter]) -> tuple[list[str], list[str]]:
    """(TOML lines of a starter profile for ``adapter``, environment variables it uses)."""
    lines = [f"[{table_name(profile)}]", f"platform = {json.dumps(adapter.name)}"]
    variables: list[str] = []
    settings_class = getattr(adapter, "Settings", None)
    if settings_class is None or not attrs.has(settings_class):
        return lines, variables
    secrets = secret_settings(adapter)
    hints = typing.get_type_hints(settings_class)
    for field in attrs.fields(settings_class):
        required = field.default is attrs.NOTHING
        if not field.init or not (required or field.default is None):
            continue
        if not _writable(hints.get(field.name, str)):
            continue
        if field.name in secrets:
            variable = env_name(profile, field.name)
            variables.append(variable)
            value = f'"${{{variable}}}"'
        else:
            value = '"..."'
        lines.append(f"{'' if required else '# '}{field.name} = {value}")
    return lines, variables


def init_command(
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            "-p",
            help="Write a profile for this platform (repeat for more) [default: every "
            "installed one].",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Write a starter storebridge.toml.

    One profile per platform, secrets as ${ENV} references; refuses to overwrite an
    existing file without --force.
    """
    apply_verbosity(verbose, debug)
    file: Path = config_path(config)
    if file.exists() and not force:
        raise usage_error(
            f"{file} exists; nothing was written",
            hint="pass --force to overwrite it, or --config PATH to write another file",
        )
    writable_file("--config", file)
    # Loaded here, not with every command line: the registry brings the HTTP client.
    from storebridge.registry import adapter_class, platforms

    installed = platforms()
    chosen = platform or installed
    for name in chosen:
        if name not in installed:
            raise usage_error(
                f"--platform {name}: not installed; installed: {', '.join(installed)}"
            )
    blocks: list[str] = []
    variables: list[str] = []
    for name in chosen:
        lines, used = starter_profile(f"my-{name}", adapter_class(name))
        blocks.append("\n".join(lines))
        variables += used
    file.write_text(HEADER + "\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")
    names = ", ".join(f"my-{name}" for name in chosen)
    note(f"wrote {file} with profiles {names}")
    if variables:
        note(f"set these environment variables before using them: {', '.join(variables)}")


__all__ = ["init_command", "starter_profile"]
