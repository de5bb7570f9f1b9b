"""Finding adapters: the ``storebridge.adapters`` entry-point group, plus runtime registration."""

from __future__ import annotations

import os
import threading
from importlib.metadata import entry_points
from typing import Any

from storebridge import _http, profiles
from storebridge._engine import StoreOptions
from storebridge.adapter import Adapter
from storebridge.errors import ConfigurationError
from storebridge.store import AsyncStore, Store

ENTRY_POINT_GROUP = "storebridge.adapters"

_registered: dict[str, type[Adapter]] = {}
_lock = threading.Lock()


def register_adapter(adapter: type[Adapter]) -> None:
    """Make an adapter class available without an entry point (scripts, tests)."""
    if not (isinstance(adapter, type) and issubclass(adapter, Adapter)):
        raise TypeError("register_adapter() takes an Adapter subclass")
    with _lock:
        _registered[adapter.name] = adapter


def unregister_adapter(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def platforms() -> list[str]:
    """Names of every installed adapter, sorted."""
    with _lock:
        names = set(_registered)
    return sorted(names | set(_entry_points()))


def adapter_class(name: str) -> type[Adapter]:
    """The adapter class registered as ``name``."""
    with _lock:
        if name in _registered:
            return _registered[name]
    found = _entry_points().get(name)
    if found is None:
        raise ConfigurationError(
            f"no adapter named {name!r} is installed; installed: {', '.join(platforms())}",
            setting="platform",
        )
    cls = found.load()
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigurationError(
            f"entry point {name!r} ({found.value}) is not a storebridge Adapter subclass",
            setting="platform",
        )
    return cls


def _platform_and_settings(
    platform: str | None,
    profile: str | None,
    config: str | os.PathLike[str] | None,
    settings: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    """The platform and settings to connect with, from the arguments or a profile."""
    if profile is None and platform is not None:
        if config is not None:
            raise ConfigurationError(
                "config= names a profile file, so it needs profile= too", setting="config"
            )
        return platform, settings
    if profile is None:
        profile = profiles.default_profile()
    if profile is None:
        raise ConfigurationError(
            "connect() needs a platform name, or profile= naming a profile in "
            f"{profiles.DEFAULT_FILE}, or ${profiles.PROFILE_ENV} set to one",
            setting="platform",
        )
    found = profiles.load_profile(profile, config)
    if platform is not None and platform != found.platform:
        raise ConfigurationError(
            f"profile {profile!r} is for {found.platform}, not {platform}; "
            "leave the platform out or pick another profile",
            setting="platform",
        )
    return found.platform, {**found.resolved(), **settings}


def connect(
    platform: str | None = None,
    *,
    profile: str | None = None,
    config: str | os.PathLike[str] | None = None,
    options: StoreOptions | None = None,
    transport: _http.BaseTransport | None = None,
    **settings: Any,
) -> Store:
    """Open a :class:`Store` on ``platform``; ``settings`` are the adapter's own.

    ``profile="shop"`` reads the platform and settings from the ``[stores.shop]`` table of
    ``storebridge.toml`` (or ``config=`` / ``$STOREBRIDGE_CONFIG``), with ``${VAR}``
    references read from the environment; keyword ``settings`` given as well replace the
    profile's. With neither a platform nor a profile, ``$STOREBRIDGE_PROFILE`` names the
    profile. See :mod:`storebridge.profiles` for the rules.

    Raises ConfigurationError naming the setting when one is missing or malformed.
    """
    name, given = _platform_and_settings(platform, profile, config, settings)
    adapter = adapter_class(name).from_settings(**given)
    return Store(adapter, options=options, transport=transport)


def connect_async(
    platform: str | None = None,
    *,
    profile: str | None = None,
    config: str | os.PathLike[str] | None = None,
    options: StoreOptions | None = None,
    transport: _http.AsyncBaseTransport | None = None,
    **settings: Any,
) -> AsyncStore:
    """Open an :class:`AsyncStore` on ``platform``; use it with ``async with``.

    Takes the same ``profile=`` / ``config=`` arguments as :func:`connect`.
    """
    name, given = _platform_and_settings(platform, profile, config, settings)
    adapter = adapter_class(name).from_settings(**given)
    return AsyncStore(adapter, options=options, transport=transport)
