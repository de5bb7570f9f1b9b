"""``storebridge platforms`` and ``storebridge stores``: what is installed and configured.

Plain output is one record per line with tab-separated fields, for ``cut`` and friends;
``--json`` gives the same as a JSON list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storebridge.cli.options import (
    ConfigOption,
    DebugOption,
    JsonOption,
    VerboseOption,
    apply_verbosity,
)
from storebridge.cli.output import CliError, note, result, result_json
from storebridge.cli.profile_toml import secret_settings, toml_value
from storebridge.errors import ConfigurationError
from storebridge.profiles import config_path, load_profiles

# The registry (and with it the HTTP client and the model) is imported inside the functions
# that use it: every command line defines these commands.


def _describe(name: str) -> dict[str, Any]:
    from storebridge.adapter import Adapter
    from storebridge.registry import adapter_class

    try:
        cls = adapter_class(name)
    except (ConfigurationError, ImportError, AttributeError) as exc:
        # A broken plug-in must not hide the others.
        return {"name": name, "error": f"cannot be loaded: {exc}"}
    has_sandbox = any("build_sandbox" in vars(k) for k in cls.__mro__ if k is not Adapter)
    return {"name": name, "display_name": cls.display_name, "sandbox": has_sandbox}


def platforms_command(
    as_json: JsonOption = False, verbose: VerboseOption = False, debug: DebugOption = False
) -> None:
    """List the installed platform adapters.

    One per line: name, display name, whether it ships a sandbox (tab-separated).
    """
    apply_verbosity(verbose, debug)
    from storebridge.registry import platforms

    described = [_describe(name) for name in platforms()]
    if as_json:
        result_json(described)
        return
    for item in described:
        if "error" in item:
            result(f"{item['name']}\t{item['error']}")
        else:
            sandbox = "sandbox" if item["sandbox"] else "no sandbox"
            result(f"{item['name']}\t{item['display_name']}\t{sandbox}")


def stores_command(
    as_json: JsonOption = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """List the store profiles.

    One per line: name, platform, settings (tab-separated); secrets show as the ${ENV}
    references they are, never their values.
    """
    apply_verbosity(verbose, debug)
    try:
        profiles = load_profiles(config)
    except ConfigurationError as exc:
        raise CliError(str(exc)) from None
    from storebridge.registry import platforms

    installed = set(platforms())
    listed: list[dict[str, Any]] = [
        {
            "name": p.name,
            "platform": p.platform,
            "installed": p.platform in installed,
            "settings": p.shown(_secrets(p.platform) if p.platform in installed else None),
            "environment": p.references(),
        }
        for p in profiles.values()
    ]
    if as_json:
        result_json(listed)
        return
    if not listed:
        note(f"{_file(config)} has no profiles yet; add a [stores.NAME] table per store")
    for item in listed:
        settings = ", ".join(f"{k}={_shown(v)}" for k, v in item["settings"].items())
        platform = item["platform"] if item["installed"] else f"{item['platform']} (not installed)"
        result(f"{item['name']}\t{platform}\t{settings}")


def _shown(value: Any) -> Any:
    """A table (``rate_limit``) as written in the file; anything else as it is."""
    return (toml_value(value) or value) if isinstance(value, dict) else value


def _secrets(platform: str) -> set[str] | None:
    from storebridge.registry import adapter_class

    try:
        return secret_settings(adapter_class(platform))
    except (ConfigurationError, ImportError, AttributeError):
        return None


def _file(config: Path | None) -> Path:
    return config_path(config)


__all__ = ["platforms_command", "stores_command"]
