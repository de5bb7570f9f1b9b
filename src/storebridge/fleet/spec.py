"""How a fleet names its stores: :class:`StoreSpec`, and choosing profiles by name or tag.

A spec says how to open one store, not an open store: every operation of a fleet opens its
stores where it runs (a thread, an event loop, a Dask worker) and closes them when done.
Profile specs carry only the profile's name and file, so the secrets are read from the
environment of whichever process opens the store, and a spec can travel to a worker
without carrying a credential.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

import storebridge
from storebridge import profiles
from storebridge._engine import StoreOptions
from storebridge.errors import ConfigurationError
from storebridge.store import AsyncStore, Store

__all__ = ["StoreSpec", "select_profiles"]


@attrs.frozen
class StoreSpec:
    """One store of a fleet: a profile (``profile=``, read from ``config``) or a platform with
    its settings (``platform=`` and ``settings=``).

    ``name`` tags the store's records and results. ``transport`` (tests, in-process
    sandboxes) and ``options`` apply when the store is opened. Settings and transport are
    left out of the repr, so a spec never prints a secret.
    """

    name: str
    profile: str | None = None
    config: Path | None = None
    platform: str | None = None
    settings: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    transport: Any = attrs.field(default=None, repr=False, eq=False)
    options: StoreOptions | None = attrs.field(default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if (self.profile is None) == (self.platform is None):
            raise ConfigurationError(
                f"store {self.name!r}: give either profile= or platform= (with settings=)",
                setting="profile",
            )

    @classmethod
    def from_profile(
        cls, name: str, config: str | os.PathLike[str] | None = None, **changes: Any
    ) -> StoreSpec:
        """The spec of profile ``name``; the profile file is pinned to an absolute path."""
        path = profiles.config_path(config).resolve()
        return cls(name=name, profile=name, config=path, **changes)

    def platform_name(self) -> str:
        """The store's platform (read from its profile when it has one)."""
        if self.platform is not None:
            return self.platform
        return profiles.load_profile(str(self.profile), self.config).platform

    def platform_label(self) -> str:
        """The platform for reports: as :meth:`platform_name`, or "" when the profile itself
        cannot be read (that failure is what the report shows)."""
        try:
            return self.platform_name()
        except Exception:
            return ""

    def with_options(self, options: StoreOptions | None) -> StoreSpec:
        """This spec with ``options`` applied when it has none of its own."""
        if options is None or self.options is not None:
            return self
        return attrs.evolve(self, options=options)

    def _arguments(self) -> tuple[str | None, dict[str, Any]]:
        extra: dict[str, Any] = {"options": self.options}
        if self.transport is not None:
            extra["transport"] = self.transport
        if self.profile is not None:
            return None, {"profile": self.profile, "config": self.config, **extra}
        return self.platform, {**self.settings, **extra}

    def connect(self) -> Store:
        """Open this store with :func:`storebridge.connect`."""
        platform, kwargs = self._arguments()
        # Looked up at call time, so whatever wraps storebridge.connect sees fleet stores too.
        return storebridge.connect(platform, **kwargs)

    def connect_async(self) -> AsyncStore:
        """Open this store with :func:`storebridge.connect_async`."""
        platform, kwargs = self._arguments()
        return storebridge.connect_async(platform, **kwargs)

    def portable(self) -> StoreSpec:
        """This spec, checked fit to travel to another process (a Dask worker).

        A transport cannot travel; settings can, but they would carry their secrets in the
        task, so prefer profiles, whose secrets each worker reads from its environment.
        """
        if self.transport is not None:
            raise ConfigurationError(
                f"store {self.name!r} has a transport=, which only works in this process; "
                "run it in-process, or open it from a profile on the workers",
                setting="transport",
            )
        return self


def select_profiles(
    names: Iterable[str] | None,
    *,
    tag: str | None,
    all_profiles: bool,
    config: str | os.PathLike[str] | None,
) -> list[StoreSpec]:
    """Specs for the named profiles, the profiles tagged ``tag``, or every profile.

    A name that is not a profile is a ConfigurationError before any store is opened: a
    typo should not become one failed store among many.
    """
    chosen = sum((names is not None, tag is not None, all_profiles))
    if chosen != 1:
        raise ConfigurationError(
            "name the fleet's stores one way: a list of profiles, tag=..., or all_profiles=True",
            setting="stores",
        )
    known = profiles.load_profiles(config)
    path = profiles.config_path(config)
    if names is not None:
        wanted = list(dict.fromkeys(names))
        missing = [name for name in wanted if name not in known]
        if missing:
            raise ConfigurationError(
                f"no profile {', '.join(map(repr, missing))} in {path}; "
                f"profiles there: {', '.join(sorted(known)) or 'none'}",
                setting="profile",
            )
    elif tag is not None:
        wanted = [name for name, profile in known.items() if tag in profile.tags]
        if not wanted:
            tags = sorted({t for profile in known.values() for t in profile.tags})
            raise ConfigurationError(
                f"no profile in {path} has the tag {tag!r}; tags there: "
                f"{', '.join(tags) or 'none'} (add tags = [{tag!r}] to a [stores.NAME] table)",
                setting="tag",
            )
    else:
        wanted = list(known)
        if not wanted:
            raise ConfigurationError(f"{path} has no profiles", setting="config")
    return [StoreSpec.from_profile(name, path) for name in wanted]
