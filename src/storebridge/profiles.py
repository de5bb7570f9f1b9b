"""Store profiles: named connections kept in ``storebridge.toml``.

A profile is a ``[stores.NAME]`` table with the platform and the settings
:func:`storebridge.connect` takes for it::

    [stores.acme]
    platform = "29next"
    store = "acme"
    access_token = "${ACME_TOKEN}"      # secrets are references to environment variables

The same file serves the command line (``storebridge export orders --store acme``) and
Python (``storebridge.connect(profile="acme")``). The rules, all of them:

* **Which file**: the ``config=`` argument (``--config`` on the command line), else the
  file named by ``$STOREBRIDGE_CONFIG``, else ``storebridge.toml`` in the current folder.
* **Which profile**: the one named (``profile=`` / ``--store``), else ``$STOREBRIDGE_PROFILE``
  when :func:`storebridge.connect` is given neither a platform nor a profile.
* **Secrets**: ``${NAME}`` anywhere in a string value is replaced by the environment
  variable ``NAME`` when the store is opened; an unset or empty variable is a
  :class:`~storebridge.errors.ConfigurationError` naming it and the setting. Write ``$${``
  for a literal ``${``. Values are never written back, printed or put in error messages.
* **Keyword settings win**: ``connect(profile="acme", timeout=...)``-style keyword settings
  given next to a profile replace the profile's values of the same name.
* **Tags**: ``tags = ["eu", "client-x"]`` in a profile groups stores for
  ``storebridge.fleet(tag="eu")``; tags are not settings and never reach the adapter.
* **Rate limit**: ``rate_limit = { per_second = 40, burst = 8 }`` replaces the limit the
  store would otherwise keep to: the platform's documented default, or a platform's own
  settings for it (24Nettbutikk's ``requests_per_second`` / ``burst``), which are then
  unused. ``burst`` may be left out: the store keeps the burst it would otherwise have.
  It is read by the core, for every platform, and never reaches the adapter. In Python,
  ``options=StoreOptions(rate_limit=...)`` wins over it; options that set no rate limit
  keep the profile's.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Collection, Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from storebridge.errors import ConfigurationError

if TYPE_CHECKING:
    # Loaded where a limit is made (over()): the adapter module brings the HTTP client and
    # the model, which reading profiles (every command line) does not need.
    from storebridge.adapter import RateLimit

DEFAULT_FILE = "storebridge.toml"
CONFIG_ENV = "STOREBRIDGE_CONFIG"
"""Environment variable naming the profile file when none is given."""
PROFILE_ENV = "STOREBRIDGE_PROFILE"
"""Environment variable naming the profile ``connect()`` opens when given no platform."""

_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)\}")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_WORDS = ("token", "secret", "password", "key")


RATE_LIMIT_KEY = "rate_limit"
"""The profile key the core reads as the store's rate limit, whatever the platform."""
_RATE_LIMIT_EXAMPLE = "rate_limit = { per_second = 40, burst = 8 }"


@attrs.frozen
class ProfileRateLimit:
    """A profile's ``rate_limit`` table: requests per second, and the burst if given."""

    per_second: float
    burst: int | None = None
    """None: the burst the store would keep to without the profile's limit."""

    def over(self, declared: RateLimit) -> RateLimit:
        """The limit to keep to, for a store that would otherwise keep to ``declared``."""
        from storebridge.adapter import RateLimit

        return RateLimit(self.per_second, declared.burst if self.burst is None else self.burst)

    def shown(self) -> dict[str, float | int]:
        """As written in the file (for listings)."""
        shown: dict[str, float | int] = {"per_second": self.per_second}
        if self.burst is not None:
            shown["burst"] = self.burst
        return shown


@attrs.frozen
class Profile:
    """One ``[stores.NAME]`` table: a platform, its settings as written in the file, and the
    core's own entries (``tags``, ``rate_limit``), kept apart from the settings."""

    name: str
    platform: str
    settings: Mapping[str, Any]
    source: Path
    tags: tuple[str, ...] = ()
    rate_limit: ProfileRateLimit | None = None

    def resolved(self, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The settings with every ``${VAR}`` replaced from ``environ`` (default: os.environ)."""
        env = os.environ if environ is None else environ
        return {key: self._resolve(key, value, env) for key, value in self.settings.items()}

    def references(self) -> list[str]:
        """Names of the environment variables this profile reads, in order of appearance."""
        found: list[str] = []
        for value in self.settings.values():
            for text in _strings(value):
                for match in _REFERENCE.finditer(text):
                    if not match.group(1) and match.group(2) not in found:
                        found.append(match.group(2))
        return found

    def shown(self, secrets: Collection[str] | None = None) -> dict[str, Any]:
        """Settings safe to print (and the ``rate_limit`` table, if any): references as
        written, literal secrets masked.

        ``secrets`` names the secret settings (from the adapter); without it, settings whose
        names mention a token, secret, password or key are treated as secrets.
        """
        masked = (lambda key: key in secrets) if secrets is not None else _looks_secret
        shown = {
            key: "***" if masked(key) and not _is_reference(value) else value
            for key, value in self.settings.items()
        }
        if self.rate_limit is not None:
            shown[RATE_LIMIT_KEY] = self.rate_limit.shown()
        return shown

    def _resolve(self, key: str, value: Any, env: Mapping[str, str]) -> Any:
        if isinstance(value, str):
            return _REFERENCE.sub(lambda m: self._substitute(key, m, env), value)
        if isinstance(value, list):
            return [self._resolve(key, item, env) for item in value]
        if isinstance(value, dict):
            return {k: self._resolve(key, item, env) for k, item in value.items()}
        return value

    def _substitute(self, key: str, match: re.Match[str], env: Mapping[str, str]) -> str:
        escaped, variable = match.group(1), match.group(2)
        if escaped:
            return "${" + variable + "}"
        where = f"profile {self.name!r} in {self.source}: setting {key!r}"
        if not _VARIABLE.match(variable):
            raise ConfigurationError(
                f"{where} refers to ${{{variable}}}, which is not an environment variable "
                "name (letters, digits and _; not starting with a digit)",
                setting=key,
            )
        value = env.get(variable)
        if value is None:
            raise ConfigurationError(
                f"{where} refers to ${{{variable}}}, which is not set in the environment; "
                f"set it (export {variable}=...) before opening the store",
                setting=key,
            )
        if not value:
            raise ConfigurationError(
                f"{where} refers to ${{{variable}}}, which is set but empty", setting=key
            )
        return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and _REFERENCE.fullmatch(value) is not None


def _looks_secret(key: str) -> bool:
    return any(word in key.lower() for word in _SECRET_WORDS)


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The profile file that applies: ``path``, else ``$STOREBRIDGE_CONFIG``, else the default."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_FILE)


def env_name(profile: str, setting: str) -> str:
    """The environment variable a generated profile uses for ``setting``.

    ``shop`` + ``access_token`` -> ``SHOP_ACCESS_TOKEN``; a name that would start with a
    digit gets an ``SB_`` prefix, since shells refuse such variable names.
    """
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{profile}_{setting}").strip("_").upper()
    return f"SB_{name}" if name[:1].isdigit() else name


def load_profiles(path: str | os.PathLike[str] | None = None) -> dict[str, Profile]:
    """Every profile in the profile file (see the module docstring for which file)."""
    file = config_path(path)
    data = _read(file)
    unknown = sorted(set(data) - {"stores"})
    if unknown:
        raise ConfigurationError(_unknown_table(file, unknown[0], data), setting="config")
    stores = data.get("stores", {})
    if not isinstance(stores, dict):
        raise ConfigurationError(
            f"{file}: stores must be tables, one [stores.NAME] per store", setting="config"
        )
    profiles: dict[str, Profile] = {}
    for name, table in stores.items():
        if not isinstance(table, dict):
            raise ConfigurationError(
                f"{file}: stores.{name} must be a table: write it as [stores.{name}] "
                "followed by its settings",
                setting="config",
            )
        platform = table.get("platform")
        if not isinstance(platform, str) or not platform.strip():
            near = get_close_matches("platform", [str(k) for k in table], n=1, cutoff=0.7)
            typo = f" ({near[0]!r} looks like a misspelling of it)" if near else ""
            raise ConfigurationError(
                f'{file}: [stores.{name}] needs a platform = "..." entry naming its platform{typo}',
                setting="platform",
            )
        tags = table.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise ConfigurationError(
                f'{file}: [stores.{name}] tags must be a list of words, e.g. tags = ["eu"]',
                setting="tags",
            )
        limit = table.get(RATE_LIMIT_KEY)
        settings = {k: v for k, v in table.items() if k not in ("platform", "tags", RATE_LIMIT_KEY)}
        profiles[name] = Profile(
            name=name,
            platform=platform,
            settings=settings,
            source=file,
            tags=tuple(tags),
            rate_limit=None if limit is None else _rate_limit(file, name, limit),
        )
    return profiles


def _rate_limit(file: Path, name: str, value: Any) -> ProfileRateLimit:
    where = f"{file}: [stores.{name}] {RATE_LIMIT_KEY}"
    if not isinstance(value, dict):
        raise ConfigurationError(
            f"{where} must be a table of per_second and burst, e.g. {_RATE_LIMIT_EXAMPLE}",
            setting=RATE_LIMIT_KEY,
        )
    unknown = sorted(set(value) - {"per_second", "burst"})
    if unknown:
        raise ConfigurationError(
            f"{where} has no entry {unknown[0]!r}; it takes per_second and burst, "
            f"e.g. {_RATE_LIMIT_EXAMPLE}",
            setting=f"{RATE_LIMIT_KEY}.{unknown[0]}",
        )
    if "per_second" not in value:
        raise ConfigurationError(
            f"{where} needs per_second, the requests per second to keep to, "
            f"e.g. {_RATE_LIMIT_EXAMPLE}",
            setting=f"{RATE_LIMIT_KEY}.per_second",
        )
    per_second = value["per_second"]
    # bool is an int to Python, but `per_second = true` is no rate.
    if (
        isinstance(per_second, bool)
        or not isinstance(per_second, int | float)
        or not math.isfinite(per_second)
        or per_second <= 0
    ):
        raise ConfigurationError(
            f"{where}: per_second must be a number of requests per second above 0 "
            f"(e.g. 40 or 0.5), got {per_second!r}",
            setting=f"{RATE_LIMIT_KEY}.per_second",
        )
    burst = value.get("burst")
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
        raise ConfigurationError(
            f"{where}: burst must be a whole number of requests of 1 or more (e.g. 8), "
            f"got {burst!r}; leave it out to keep the platform's",
            setting=f"{RATE_LIMIT_KEY}.burst",
        )
    return ProfileRateLimit(per_second=float(per_second), burst=burst)


def load_profile(name: str, path: str | os.PathLike[str] | None = None) -> Profile:
    """The profile called ``name``; ConfigurationError listing the known ones if absent."""
    profiles = load_profiles(path)
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigurationError(
            f"no profile {name!r} in {config_path(path)}; profiles there: {known}",
            setting="profile",
        )
    return profiles[name]


def default_profile() -> str | None:
    """The profile named by ``$STOREBRIDGE_PROFILE``, if set."""
    return os.environ.get(PROFILE_ENV) or None


def _read(file: Path) -> dict[str, Any]:
    if not file.exists():
        raise ConfigurationError(
            f"no profile file at {file}; create one with `storebridge init`, or name one "
            f"with --config / config= / ${CONFIG_ENV}",
            setting="config",
        )
    try:
        text = file.read_text("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"{file} is not UTF-8 text", setting="config") from None
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read {file}: {exc.strerror or exc}", setting="config"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        again = _DECLARED_TWICE.search(str(exc))
        if again is not None and again.group(1) == "stores":
            # The usual cause: a sandbox's profile appended again under the same --name.
            raise ConfigurationError(
                f"{file} has two [stores.{again.group(2)}] tables ({exc}); keep the newer "
                "one (a sandbox started again appends a new profile with its new port and "
                "secrets) and delete the other",
                setting="config",
            ) from None
        raise ConfigurationError(f"{file} is not valid TOML: {exc}", setting="config") from None


_DECLARED_TWICE = re.compile(r"Cannot declare \('([^']*)', '([^']*)'\) twice")


def _unknown_table(file: Path, key: str, data: Mapping[str, Any]) -> str:
    value = data[key]
    if key.lower() in ("store", "stores", "profile", "profiles") and isinstance(value, dict):
        example = next(iter(value), "NAME")
        return (
            f"{file}: found [{key}.{example}], but profiles are [stores.NAME] tables; "
            f"rename it to [stores.{example}]"
        )
    return (
        f"{file}: unknown top-level entry {key!r}; a profile file holds only [stores.NAME] tables"
    )


__all__ = [
    "CONFIG_ENV",
    "DEFAULT_FILE",
    "PROFILE_ENV",
    "RATE_LIMIT_KEY",
    "Profile",
    "ProfileRateLimit",
    "config_path",
    "default_profile",
    "env_name",
    "load_profile",
    "load_profiles",
]
