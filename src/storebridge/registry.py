"""Finding adapters: the ``storebridge.adapters`` entry-point group, plus runtime registration."""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from typing import Any

from storebridge import _http
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


def connect(
    platform: str,
    *,
    options: StoreOptions | None = None,
    transport: _http.BaseTransport | None = None,
    **settings: Any,
) -> Store:
    """Open a :class:`Store` on ``platform``; ``settings`` are the adapter's own.

    Raises ConfigurationError naming the setting when one is missing or malformed.
    """
    adapter = adapter_class(platform).from_settings(**settings)
    return Store(adapter, options=options, transport=transport)


def connect_async(
    platform: str,
    *,
    options: StoreOptions | None = None,
    transport: _http.AsyncBaseTransport | None = None,
    **settings: Any,
) -> AsyncStore:
    """Open an :class:`AsyncStore` on ``platform``; use it with ``async with``."""
    adapter = adapter_class(platform).from_settings(**settings)
    return AsyncStore(adapter, options=options, transport=transport)
