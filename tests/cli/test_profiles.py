"""Profiles from Python: connect(profile=...), ${ENV} references, the env-var defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from storebridge.errors import ConfigurationError
from storebridge.http import MockTransport
from storebridge.profiles import env_name, load_profiles
from storebridge.registry import adapter_class

TOKEN = "prof-token-5f3a9c1e77"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, MockTransport]:
    """A 29 Next sandbox (in-process) and a profile file pointing at it."""
    kit = adapter_class("29next").sandbox(orders=3)
    monkeypatch.setenv("SHOP_TOKEN", kit.settings("https://x")["access_token"])
    monkeypatch.delenv("STOREBRIDGE_CONFIG", raising=False)
    monkeypatch.delenv("STOREBRIDGE_PROFILE", raising=False)
    config = tmp_path / "shops.toml"
    config.write_text(
        '[stores.shop]\nplatform = "29next"\nstore = "acme"\naccess_token = "${SHOP_TOKEN}"\n'
        '[stores.other]\nplatform = "24nettbutikk"\nbase_url = "https://o.example"\n'
        'token = "${OTHER_TOKEN}"\n'
    )
    return config, kit.emulator.transport()


def test_connect_profile_reads_file_and_environment(shop: tuple[Path, MockTransport]) -> None:
    config, transport = shop
    with storebridge.connect(profile="shop", config=config, transport=transport) as store:
        assert store.platform == "29next"
        assert len(list(store.orders.list())) == 3


def test_connect_profile_from_storebridge_config_env(
    shop: tuple[Path, MockTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, transport = shop
    monkeypatch.setenv("STOREBRIDGE_CONFIG", str(config))
    with storebridge.connect(profile="shop", transport=transport) as store:
        assert len(list(store.orders.list())) == 3


def test_storebridge_profile_is_the_default_without_a_platform(
    shop: tuple[Path, MockTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, transport = shop
    monkeypatch.setenv("STOREBRIDGE_CONFIG", str(config))
    monkeypatch.setenv("STOREBRIDGE_PROFILE", "shop")
    with storebridge.connect(transport=transport) as store:
        assert store.platform == "29next"
    # A platform given explicitly never picks up the default profile.
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect("29next")
    assert info.value.setting == "access_token"


def test_default_file_is_storebridge_toml_in_the_current_folder(
    shop: tuple[Path, MockTransport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, transport = shop
    folder = tmp_path / "here"
    folder.mkdir()
    (folder / "storebridge.toml").write_text(config.read_text())
    monkeypatch.chdir(folder)
    with storebridge.connect(profile="shop", transport=transport) as store:
        assert store.platform == "29next"


def test_keyword_settings_replace_the_profiles(shop: tuple[Path, MockTransport]) -> None:
    config, transport = shop
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect(profile="shop", config=config, transport=transport, api_version="x")
    assert info.value.setting == "api_version"


def test_no_platform_no_profile_names_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STOREBRIDGE_PROFILE", raising=False)
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect()
    assert "profile=" in str(info.value) and "STOREBRIDGE_PROFILE" in str(info.value)


def test_missing_variable_is_named_and_no_secret_is_echoed(
    shop: tuple[Path, MockTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = shop
    monkeypatch.setenv("OTHER_TOKEN", "")
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect(profile="other", config=config)
    assert "OTHER_TOKEN" in str(info.value) and "empty" in str(info.value)
    monkeypatch.delenv("OTHER_TOKEN")
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect(profile="other", config=config)
    assert info.value.setting == "token"
    assert "${OTHER_TOKEN}" in str(info.value) and "not set" in str(info.value)


def test_a_resolved_secret_never_reaches_the_error_of_another_setting(tmp_path: Path) -> None:
    config = tmp_path / "s.toml"
    config.write_text(
        '[stores.a]\nplatform = "24nettbutikk"\ntoken = "${A_TOKEN}"\n'
        'base_url = "https://${A_HOST}"\n'
    )
    with pytest.raises(ConfigurationError) as info:
        load_profiles(config)["a"].resolved({"A_TOKEN": TOKEN})
    assert info.value.setting == "base_url" and "A_HOST" in str(info.value)
    assert all(TOKEN not in str(value) for value in (*vars(info.value).values(), info.value))


def test_connect_async_with_a_profile(shop: tuple[Path, MockTransport]) -> None:
    config, _ = shop
    store = storebridge.connect_async(profile="shop", config=config)
    assert isinstance(store, storebridge.AsyncStore) and store.platform == "29next"


def test_platform_and_profile_must_agree(shop: tuple[Path, MockTransport]) -> None:
    config, _ = shop
    with pytest.raises(ConfigurationError, match="is for 29next, not shopline"):
        storebridge.connect("shopline", profile="shop", config=config)
    with pytest.raises(ConfigurationError, match="needs profile="):
        storebridge.connect("29next", config=config, access_token=TOKEN)


def test_unknown_profile_lists_the_known_ones(shop: tuple[Path, MockTransport]) -> None:
    config, _ = shop
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect(profile="nope", config=config)
    assert "other, shop" in str(info.value) and info.value.setting == "profile"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[store.a]\nplatform = "29next"\n', "rename it to [stores.a]"),
        ("[stores.a]\nstore = 'x'\n", 'needs a platform = "..." entry'),
        ("stores = 3\n", "[stores.NAME]"),
        ("[stores]\na = 1\n", "[stores.a]"),
        ("[other]\nx = 1\n", "unknown top-level entry 'other'"),
        ("[stores.a\n", "not valid TOML"),
        ('[stores.a]\nplatform = "x"\n[stores.a]\nplatform = "y"\n', "two [stores.a] tables"),
        ("[other]\n[other]\n", "not valid TOML"),
        ('[stores.a]\nplatform = "29next"\ntoken = "${1BAD}"\n', "not an environment variable"),
    ],
)
def test_bad_files_are_configuration_errors(tmp_path: Path, text: str, fragment: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)

    def open_all() -> None:
        for profile in load_profiles(config).values():
            profile.resolved({})

    with pytest.raises(ConfigurationError) as info:
        open_all()
    assert fragment in str(info.value)


def test_missing_file_and_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="storebridge init"):
        load_profiles(tmp_path / "none.toml")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_profiles(tmp_path)


def test_references_inside_values_escapes_and_nesting(tmp_path: Path) -> None:
    config = tmp_path / "s.toml"
    config.write_text(
        '[stores.a]\nplatform = "p"\nbase_url = "https://${HOST}/api"\n'
        'note = "$${NOT_A_REF}"\nlist = ["${HOST}", 2]\nsecret_key = "literal-secret"\n'
    )
    profile = load_profiles(config)["a"]
    resolved = profile.resolved({"HOST": "shop.example"})
    assert resolved["base_url"] == "https://shop.example/api"
    assert resolved["note"] == "${NOT_A_REF}"
    assert resolved["list"] == ["shop.example", 2]
    assert profile.references() == ["HOST"]
    assert profile.shown()["secret_key"] == "***"
    assert profile.shown(secrets=set())["secret_key"] == "literal-secret"


@pytest.mark.parametrize(
    ("profile", "setting", "expected"),
    [
        ("shop", "access_token", "SHOP_ACCESS_TOKEN"),
        ("sandbox-29next", "token", "SANDBOX_29NEXT_TOKEN"),
        ("29shop", "token", "SB_29SHOP_TOKEN"),
        ("new shop.eu", "app_secret", "NEW_SHOP_EU_APP_SECRET"),
    ],
)
def test_env_names_are_shell_variable_names(profile: str, setting: str, expected: str) -> None:
    assert env_name(profile, setting) == expected


def test_a_profile_error_names_the_profile_and_comes_before_its_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "storebridge.toml"
    config.write_text(
        '[stores.a]\nplatform = "shopify"\ntoken = "x"\n'
        '[stores.b]\nplatform = "29next"\nstore = "acme"\naccess_tokn = "${UNSET_FOR_B}"\n'
    )
    monkeypatch.delenv("UNSET_FOR_B", raising=False)
    with pytest.raises(ConfigurationError) as platform:
        storebridge.connect(profile="a", config=config)
    assert platform.value.setting == "platform"
    assert str(platform.value).startswith(f"profile 'a' in {config}: no adapter named 'shopify'")
    # The misspelled setting is what to fix, not the variable it names (not set either).
    with pytest.raises(ConfigurationError) as misspelled:
        storebridge.connect(profile="b", config=config)
    assert misspelled.value.setting == "access_tokn"
    assert "profile 'b'" in str(misspelled.value) and "access_token" in str(misspelled.value)


@pytest.mark.parametrize(
    ("table", "says", "setting"),
    [
        ('platform = "24nettbutikk"\nbase_url = "https://x.example"\ntoken = "t"\n'
         'requests_per_second = "ten"\n', "requests_per_second", "requests_per_second"),
        ('platform = "29next"\nstore = "x"\nbase_url = "https://x.example/api/admin"\n'
         'access_token = "t"\n', "either 'store' or 'base_url'", None),
    ],
)  # fmt: skip
def test_a_bad_setting_value_names_the_profile_and_its_file(
    tmp_path: Path, table: str, says: str, setting: str | None
) -> None:
    config = tmp_path / "storebridge.toml"
    config.write_text("[stores.a]\n" + table)
    with pytest.raises(ConfigurationError, match=says) as caught:
        storebridge.connect(profile="a", config=config)
    assert str(caught.value).startswith(f"profile 'a' in {config}: ")
    if setting is not None:
        assert caught.value.setting == setting


def test_a_misspelt_platform_key_is_pointed_at(tmp_path: Path) -> None:
    config = tmp_path / "storebridge.toml"
    config.write_text('[stores.a]\nplatfrom = "29next"\n')
    with pytest.raises(ConfigurationError, match="'platfrom' looks like a misspelling of it"):
        load_profiles(config)
