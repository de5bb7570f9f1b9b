"""A profile's ``rate_limit``: parsing, its errors, who wins, and reads at a raised limit."""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import RateLimit, StoreOptions
from storebridge.cli.profile_toml import toml_value
from storebridge.errors import ConfigurationError
from storebridge.profiles import load_profiles
from storebridge.sandbox import EmulatorRequest, Guard, RateLimiter, Sandbox
from tests.cli.conftest import Cli
from tests.cli.support import profile_for, served

SHOP = """\
[stores.shop]
platform = "29next"
store = "acme"
access_token = "${SHOP_TOKEN}"
"""
NETTBUTIKK = """\
[stores.oslo]
platform = "24nettbutikk"
base_url = "https://oslo.example"
token = "${OSLO_TOKEN}"
requests_per_second = 3.0
burst = 5
"""


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_TOKEN", "shop-token-0a1b2c3d4e")
    monkeypatch.setenv("OSLO_TOKEN", "oslo-token-5f6a7b8c9d")


def _config(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "storebridge.toml"
    config.write_text(text, "utf-8")
    return config


# Parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "rate_limit = { per_second = 40, burst = 8 }\n",
        "\n[stores.shop.rate_limit]\nper_second = 40.0\nburst = 8\n",
    ],
)
def test_the_profiles_limit_reaches_the_store(tmp_path: Path, written: str) -> None:
    config = _config(tmp_path, SHOP + written)
    with storebridge.connect(profile="shop", config=config) as store:
        assert store.options.rate_limit == RateLimit(per_second=40, burst=8)
    assert "rate_limit" not in load_profiles(config)["shop"].settings


def test_without_a_burst_the_store_keeps_the_one_it_would_have(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        SHOP + "rate_limit = { per_second = 12.5 }\n" + NETTBUTIKK + "rate_limit.per_second = 9\n",
    )
    with storebridge.connect(profile="shop", config=config) as store:
        declared = store.adapter.default_rate_limit
        assert store.options.rate_limit == RateLimit(12.5, declared.burst)
    with storebridge.connect(profile="oslo", config=config) as store:
        assert store.options.rate_limit == RateLimit(9, 5)  # the profile's own burst setting


def test_it_replaces_a_platforms_own_rate_settings(tmp_path: Path) -> None:
    config = _config(tmp_path, NETTBUTIKK + "rate_limit = { per_second = 30, burst = 2 }\n")
    with storebridge.connect(profile="oslo", config=config) as store:
        assert store.adapter.rate_limit == RateLimit(3.0, 5)  # written, and unused:
        assert store.options.rate_limit == RateLimit(30, 2)


def test_a_profile_without_one_leaves_the_options_alone(tmp_path: Path) -> None:
    config = _config(tmp_path, SHOP)
    with storebridge.connect(profile="shop", config=config) as store:
        assert store.options.rate_limit is None
    assert load_profiles(config)["shop"].rate_limit is None


def test_stores_lists_it(tmp_path: Path, cli: Cli) -> None:
    config = _config(tmp_path, SHOP + "rate_limit = { per_second = 40, burst = 8 }\n")
    code, out, _ = cli("stores", "--json", "--config", str(config))
    assert code == 0
    [shop] = json.loads(out)
    assert shop["settings"]["rate_limit"] == {"per_second": 40.0, "burst": 8}
    code, out, _ = cli("stores", "--config", str(config))
    assert code == 0 and out.rstrip().endswith("rate_limit={ per_second = 40.0, burst = 8 }")


# Who wins ----------------------------------------------------------------------------


def test_options_with_their_own_limit_win_and_options_without_keep_the_profiles(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, SHOP + "rate_limit = { per_second = 40, burst = 8 }\n")
    own = StoreOptions(rate_limit=RateLimit(2, 1))
    with storebridge.connect(profile="shop", config=config, options=own) as store:
        assert store.options.rate_limit == RateLimit(2, 1)
    with storebridge.connect(profile="shop", config=config, options=StoreOptions(timeout=3)) as s:
        assert s.options.rate_limit == RateLimit(40, 8) and s.options.timeout == 3


def test_connect_async_follows_the_same_rules(tmp_path: Path) -> None:
    config = _config(tmp_path, SHOP + "rate_limit = { per_second = 40, burst = 8 }\n")

    async def limits() -> list[RateLimit | None]:
        found = []
        for options in (None, StoreOptions(rate_limit=RateLimit(2, 1))):
            async with storebridge.connect_async(
                profile="shop", config=config, options=options
            ) as store:
                found.append(store.options.rate_limit)
        return found

    assert asyncio.run(limits()) == [RateLimit(40, 8), RateLimit(2, 1)]


def test_a_fleet_opens_each_store_at_its_profiles_limit(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        SHOP + "rate_limit = { per_second = 40, burst = 8 }\n" + NETTBUTIKK,
    )
    fleet = storebridge.fleet(["shop", "oslo"], config=config)
    opened = {spec.name: spec.connect() for spec in fleet.specs}
    assert opened["shop"].options.rate_limit == RateLimit(40, 8)
    assert opened["oslo"].options.rate_limit is None  # its own settings rule
    own = StoreOptions(rate_limit=RateLimit(2, 1))
    for spec in storebridge.fleet(["shop"], config=config, options=own).specs:
        assert spec.connect().options.rate_limit == RateLimit(2, 1)
    for store in opened.values():
        store.close()


def test_a_rate_limit_keyword_says_where_a_limit_goes(tmp_path: Path) -> None:
    config = _config(tmp_path, SHOP)
    given: list[dict[str, Any]] = [
        {"profile": "shop", "config": config},
        {"platform": "29next", "store": "acme", "access_token": "t" * 12},
    ]
    for arguments in given:
        with pytest.raises(ConfigurationError) as info:
            storebridge.connect(**arguments, rate_limit=40)
        assert info.value.setting == "rate_limit"
        assert "options=StoreOptions(rate_limit=RateLimit(" in str(info.value)


# Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key", "fragment"),
    [
        ("rate_limit = 40", "rate_limit", "must be a table of per_second and burst"),
        ('rate_limit = "fast"', "rate_limit", "e.g. rate_limit = { per_second = 40"),
        ("rate_limit = { per_second = 0 }", "rate_limit.per_second", "above 0"),
        ("rate_limit = { per_second = -4 }", "rate_limit.per_second", "got -4"),
        ("rate_limit = { per_second = nan }", "rate_limit.per_second", "above 0"),
        ("rate_limit = { per_second = inf }", "rate_limit.per_second", "above 0"),
        ('rate_limit = { per_second = "40" }', "rate_limit.per_second", "must be a number"),
        ("rate_limit = { per_second = true }", "rate_limit.per_second", "must be a number"),
        ("rate_limit = { burst = 8 }", "rate_limit.per_second", "needs per_second"),
        ("rate_limit = { per_second = 4, burst = 0 }", "rate_limit.burst", "1 or more"),
        ("rate_limit = { per_second = 4, burst = 2.5 }", "rate_limit.burst", "whole number"),
        ("rate_limit = { per_second = 4, burts = 2 }", "rate_limit.burts", "no entry 'burts'"),
    ],
)
def test_bad_values_name_the_profile_the_key_and_the_fix(
    tmp_path: Path, cli: Cli, written: str, key: str, fragment: str
) -> None:
    config = _config(tmp_path, SHOP + written + "\n")
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect(profile="shop", config=config)
    message = str(info.value)
    assert info.value.setting == key
    assert "[stores.shop] rate_limit" in message and fragment in message
    # The command line says the same in one line, without a traceback.
    code, out, err = cli("export", "orders", "--store", "shop", "--config", str(config))
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and fragment in err and "Traceback" not in err


def test_tables_of_scalars_are_written_inline() -> None:
    written = toml_value({"per_second": 40.0, "burst": 4})
    assert written == "{ per_second = 40.0, burst = 4 }"
    assert tomllib.loads(f"rate_limit = {written}") == {
        "rate_limit": {"per_second": 40.0, "burst": 4}
    }
    assert toml_value({"nested": {"a": 1}}) is None and toml_value({"a key": 1}) is None


# End to end: reads at the raised limit -------------------------------------------------

DOCUMENTED = RateLimit(per_second=4, burst=8)
"""29 Next's documented rate, with twice its sandbox's burst: requests arriving bunched on a
loaded machine are not taken for a client going faster."""
RAISED = 200.0


@contextmanager
def counted(kit: Sandbox, limit: RateLimit) -> Iterator[list[int]]:
    """Count, in ``[refused]``, the requests a server keeping to ``limit`` would have refused.

    The sandbox itself keeps to its own (raised) limit; this one only watches the same
    requests pass its guard, so no test waits or measures time to see the client's pace.
    """
    guard = kit.emulator.guard  # type: ignore[attr-defined]
    assert isinstance(guard, Guard)
    shadow = RateLimiter(limit, kit.emulator.clock)
    refused = [0]
    check = guard.check

    def watched(request: EmulatorRequest, need: str = "") -> str:
        key = check(request, need)
        if shadow.admit(key) is not None:
            refused[0] += 1
        return key

    guard.check = watched  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        guard.check = check  # type: ignore[method-assign]


@pytest.mark.parametrize("which", [["--store", "shop"], ["--all"]])
def test_an_export_reads_at_the_profiles_raised_limit(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, which: list[str]
) -> None:
    with served("29next", orders=40, rate_limit=RAISED) as (kit, url):
        profile, env = profile_for("shop", kit, url, rate_limit={"per_second": RAISED})
        config = _config(tmp_path, profile)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with counted(kit, DOCUMENTED) as refused:
            code, out, err = cli("export", "orders", *which, "--config", str(config))
        assert code == 0, err
        exported = [json.loads(line) for line in out.splitlines()]
        assert len(exported) == 40
        # Faster than the documented limit allows: a client keeping to it is never refused
        # (see the next test). Whether the sandbox itself refused any is left to the
        # benchmarks: on a loaded machine requests can arrive bunched.
        assert refused[0] > 0, (refused[0], len(kit.emulator.requests))


def test_at_the_documented_limit_nothing_would_be_refused(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counter above can tell: the same export without the profile's limit."""
    with served("29next", orders=10, rate_limit=RAISED) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        config = _config(tmp_path, profile)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with counted(kit, DOCUMENTED) as refused:
            code, out, err = cli("export", "orders", "--store", "shop", "--config", str(config))
        assert code == 0, err
        assert len(out.splitlines()) == 10 and len(kit.emulator.requests) > DOCUMENTED.burst
        assert refused[0] == 0
