"""Finding adapters: the ``storebridge.adapters`` entry-point group, plus runtime registration."""

from __future__ import annotations

import os
import threading
from importlib.metadata import entry_points
from typing import Any

import attrs

from storebridge import _http, profiles
from storebridge._engine import StoreOptions
from storebridge.adapter import Adapter
from storebridge.errors import ConfigurationError
from storebridge.store import AsyncStore, Store

ENTRY_POINT_GROUP = "storebridge.adapters"

_registered: dict[str, type[Adapter]] = {}
_installed: dict[str, type[Adapter]] = {}
"""Adapters already loaded from their entry points: scanning every installed distribution's
entry points costs milliseconds, which every ``connect()`` would otherwise pay. A name not
found here is looked up afresh, so an adapter installed while the process runs is found."""
_lock = threading.Lock()


def register_adapter(adapter: type[Adapter]) -> None:
    """Make an adapter class available without an entry point (scripts, tests)."""
    if not (isinstance(adapter, type) and issubclass(adapter, Adapter)):
        raise TypeError("register_adapter() takes an Adapter subclass")
    problem = _incomplete(adapter)
    if problem is not None:
        raise TypeError(f"register_adapter({adapter.__name__}): {problem}")
    with _lock:
        _registered[adapter.name] = adapter


def _incomplete(adapter: type[Adapter]) -> str | None:
    """What an adapter class lacks that every store opened with it would fail on."""
    name = getattr(adapter, "name", None)
    if not isinstance(name, str) or not name:
        return "its class attribute name must be the platform's name, a non-empty str"
    settings = getattr(adapter, "Settings", None)
    own_reading = adapter.from_settings.__func__ is not Adapter.from_settings.__func__  # type: ignore[attr-defined]
    # An adapter that reads its settings itself (its own from_settings) may keep them in
    # any class; the others are read by parse_settings, which needs attrs.
    if not own_reading and not (isinstance(settings, type) and attrs.has(settings)):
        return (
            f"{adapter.__name__}.Settings must be an @attrs.frozen class of the platform's "
            f"settings, got {settings!r}"
        )
    if adapter.base_url is Adapter.base_url:
        return f"{adapter.__name__} must define the base_url property (where its API is)"
    return None


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
        if name in _installed:
            return _installed[name]
    found = _entry_points().get(name)
    if found is None:
        raise ConfigurationError(
            f"no adapter named {name!r} is installed; installed: {', '.join(platforms())}",
            setting="platform",
        )
    try:
        cls = found.load()
    except Exception as exc:  # any error of a third-party module's import
        raise ConfigurationError(
            f"the adapter {name!r} ({found.value}) cannot be loaded: {type(exc).__name__}: {exc}",
            setting="platform",
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigurationError(
            f"entry point {name!r} ({found.value}) is not a storebridge Adapter subclass",
            setting="platform",
        )
    problem = _incomplete(cls)
    if problem is None and cls.name != name:
        problem = f"its name is {cls.name!r}, not the entry point's {name!r}"
    if problem is not None:
        raise ConfigurationError(
            f"the adapter {name!r} ({found.value}) is incomplete: {problem}", setting="platform"
        )
    with _lock:
        _installed[name] = cls
    return cls


@attrs.frozen
class _Opening:
    """What opening a store needs: the platform, the adapter's settings, and the profile's
    rate limit (None without a profile or without a ``rate_limit`` in it)."""

    platform: str
    settings: dict[str, Any]
    rate_limit: profiles.ProfileRateLimit | None = None
    where: str | None = None
    """``profile 'x' in FILE`` for a store opened from a profile: its errors say so."""

    def adapter(self) -> Adapter:
        try:
            return self._adapter()
        except ConfigurationError as exc:
            if self.where is None or str(exc).startswith(self.where):
                raise
            raise ConfigurationError(f"{self.where}: {exc}", setting=exc.setting) from None

    def _adapter(self) -> Adapter:
        cls = adapter_class(self.platform)
        if profiles.RATE_LIMIT_KEY in self.settings and not _has_setting(
            cls, profiles.RATE_LIMIT_KEY
        ):
            # The keyword reads naturally next to the others, but it is not the platform's.
            raise ConfigurationError(
                f"{self.platform} has no setting 'rate_limit': a store's rate limit is set "
                "with options=StoreOptions(rate_limit=RateLimit(per_second, burst)) in "
                "Python, or with rate_limit = { per_second = 40, burst = 8 } in a profile",
                setting=profiles.RATE_LIMIT_KEY,
            )
        return cls.from_settings(**self.settings)

    def options(self, given: StoreOptions | None, adapter: Adapter) -> StoreOptions | None:
        """``given``, with the profile's rate limit when ``given`` sets none of its own."""
        if self.rate_limit is None or (given is not None and given.rate_limit is not None):
            return given
        limit = self.rate_limit.over(adapter.rate_limit)
        return attrs.evolve(given or StoreOptions(), rate_limit=limit)


def _has_setting(adapter: type[Adapter], name: str) -> bool:
    """Whether ``adapter`` declares setting ``name`` (assumed so when its settings are not an
    attrs class: the adapter then judges its settings itself)."""
    declared = getattr(adapter, "Settings", None)
    if declared is None or not attrs.has(declared):
        return True
    return name in attrs.fields_dict(declared)


def _opening(
    platform: str | None,
    profile: str | None,
    config: str | os.PathLike[str] | None,
    settings: dict[str, Any],
) -> _Opening:
    """The platform and settings to connect with, from the arguments or a profile."""
    if profile is None and platform is not None:
        if config is not None:
            raise ConfigurationError(
                "config= names a profile file, so it needs profile= too", setting="config"
            )
        return _Opening(platform, settings)
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
    _check_profile(found)
    where = f"profile {found.name!r} in {found.source}"
    return _Opening(found.platform, {**found.resolved(), **settings}, found.rate_limit, where)


def _check_profile(found: profiles.Profile) -> None:
    """What can be told from the file alone, said with the profile's name, before its
    ``${VAR}`` references are read (a misspelled setting is the error to fix first, not
    the variable it refers to)."""
    where = f"profile {found.name!r} in {found.source}"
    try:
        cls = adapter_class(found.platform)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}", setting="platform") from None
    unknown = sorted(name for name in found.settings if not _has_setting(cls, name))
    if unknown:
        accepted = ", ".join(sorted(attrs.fields_dict(cls.Settings)))
        raise ConfigurationError(
            f"{where}: {found.platform} has no setting {unknown[0]!r}; accepted settings: "
            f"{accepted}",
            setting=unknown[0],
        )


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
    profile. A profile's ``rate_limit`` applies unless ``options`` sets a rate limit of its
    own. See :mod:`storebridge.profiles` for the rules.

    Raises ConfigurationError naming the setting when one is missing or malformed.
    """
    opening = _opening(platform, profile, config, settings)
    adapter = opening.adapter()
    return Store(adapter, options=opening.options(options, adapter), transport=transport)


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

    Takes the same ``profile=`` / ``config=`` arguments as :func:`connect`, with the same
    rules for a profile's ``rate_limit``.
    """
    opening = _opening(platform, profile, config, settings)
    adapter = opening.adapter()
    return AsyncStore(adapter, options=opening.options(options, adapter), transport=transport)


__all__ = [
    "ENTRY_POINT_GROUP",
    "adapter_class",
    "connect",
    "connect_async",
    "platforms",
    "register_adapter",
    "unregister_adapter",
]
