"""Store profiles from ``storebridge.toml``.

    [stores.acme]
    platform = "29next"
    store = "acme"
    access_token = "${ACME_TOKEN}"      # secrets are references to environment variables

Values of the form ``${NAME}`` are read from the environment when a store is opened and are
never written anywhere; listing profiles shows the reference, not the value.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import attrs

from storebridge.errors import ConfigurationError

_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
DEFAULT_FILE = "storebridge.toml"


@attrs.frozen
class Profile:
    name: str
    platform: str
    settings: dict[str, Any]

    def resolved(self) -> dict[str, Any]:
        """Settings with ``${VAR}`` references replaced by environment values."""
        out: dict[str, Any] = {}
        for key, value in self.settings.items():
            match = _REF.match(value) if isinstance(value, str) else None
            if match:
                var = match.group(1)
                if var not in os.environ:
                    raise ConfigurationError(
                        f"store {self.name!r}: setting {key!r} refers to ${{{var}}}, "
                        f"which is not set in the environment",
                        setting=key,
                    )
                out[key] = os.environ[var]
            else:
                out[key] = value
        return out

    def shown(self) -> dict[str, Any]:
        """Settings safe to print: references as written, literal secrets masked."""
        return {
            k: v if not _looks_secret(k) or (isinstance(v, str) and _REF.match(v)) else "***"
            for k, v in self.settings.items()
        }


def _looks_secret(key: str) -> bool:
    return any(word in key.lower() for word in ("token", "secret", "password", "key"))


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    file = Path(path or os.environ.get("STOREBRIDGE_CONFIG", DEFAULT_FILE))
    if not file.exists():
        raise ConfigurationError(
            f"no profile file at {file}; create one with a [stores.NAME] table per store",
            setting="config",
        )
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{file} is not valid TOML: {exc}", setting="config") from None
    stores = data.get("stores", {})
    profiles = {}
    for name, table in stores.items():
        if not isinstance(table, dict) or "platform" not in table:
            raise ConfigurationError(
                f'{file}: [stores.{name}] needs a platform = "..." entry', setting=name
            )
        settings = {k: v for k, v in table.items() if k != "platform"}
        profiles[name] = Profile(name=name, platform=str(table["platform"]), settings=settings)
    return profiles
