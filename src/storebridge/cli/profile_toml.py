"""Writing profiles as TOML, with every secret as a ``${ENV}`` reference.

Used by ``storebridge init`` (a starter file) and ``storebridge sandbox serve`` (a profile
for a running sandbox). Which settings are secrets is read from the adapter's settings
class (fields holding a :class:`~storebridge.settings.Secret`), so a third-party adapter's
secrets are handled the same way as the built-in ones'.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from storebridge.profiles import env_name
from storebridge.settings import Secret

if TYPE_CHECKING:
    from storebridge.adapter import Adapter

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SECRET_WORDS = ("token", "secret", "password")


def table_name(profile: str) -> str:
    """``stores.NAME`` with NAME quoted when TOML needs it."""
    return f"stores.{profile}" if _BARE_KEY.match(profile) else f"stores.{json.dumps(profile)}"


def secret_settings(adapter: type[Adapter]) -> set[str]:
    """Names of the adapter's settings that hold secrets."""
    settings_class = getattr(adapter, "Settings", None)
    if settings_class is None or not attrs.has(settings_class):
        return set()
    try:
        hints = typing.get_type_hints(settings_class)
    except (NameError, TypeError, AttributeError):
        # Unresolvable annotations in a third-party class: fall back on the names.
        hints = {}
    names = set()
    for field in attrs.fields(settings_class):
        hint = hints.get(field.name)
        if hint is None:
            if any(word in field.name.lower() for word in _SECRET_WORDS):
                names.add(field.name)
        elif hint is Secret or Secret in typing.get_args(hint):
            names.add(field.name)
    return names


def toml_value(value: Any) -> str | None:
    """``value`` as a TOML literal, or None when it cannot be written as one.

    Scalars, and tables of scalars (written inline: ``{ per_second = 40, burst = 8 }``).
    """
    if isinstance(value, datetime):
        value = value.isoformat()
    if isinstance(value, bool | int | float | str):
        # A JSON string or number is valid TOML for these scalars.
        return json.dumps(value)
    if isinstance(value, Mapping) and all(
        isinstance(key, str) and _BARE_KEY.match(key) for key in value
    ):
        entries = [(key, toml_value(item)) for key, item in value.items()]
        if not entries:
            return "{}"
        if all(literal is not None and not literal.startswith("{") for _, literal in entries):
            return "{ " + ", ".join(f"{key} = {literal}" for key, literal in entries) + " }"
    return None


def profile_lines(
    profile: str,
    platform: str,
    settings: Mapping[str, Any],
    secrets: set[str],
) -> tuple[list[str], dict[str, str]]:
    """(TOML lines of the profile, {environment variable: value} its references need)."""
    lines = [f"[{table_name(profile)}]", f"platform = {json.dumps(platform)}"]
    env: dict[str, str] = {}
    for key, value in settings.items():
        if value is None:
            continue
        if key in secrets:
            variable = env_name(profile, key)
            env[variable] = value.reveal() if isinstance(value, Secret) else str(value)
            lines.append(f'{key} = "${{{variable}}}"')
            continue
        literal = toml_value(value)
        if literal is not None:  # else an in-process object (a sandbox's clock): not needed
            lines.append(f"{key} = {literal}")
    return lines, env


__all__ = ["profile_lines", "secret_settings", "table_name", "toml_value"]
