"""Connect-time validation of SHOPLINE settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import storebridge
from storebridge import ConfigurationError
from storebridge_shopline import DEFAULT_VERSION, KNOWN_VERSIONS, ShoplineAdapter

OAUTH: dict[str, Any] = {"access_token": "tok-123456", "app_key": "key", "app_secret": "secret-123"}


def adapter(**given: object) -> ShoplineAdapter:
    return ShoplineAdapter.from_settings(**given)


def test_handle_gives_myshopline_url_and_default_version() -> None:
    a = adapter(handle="acme", **OAUTH)
    assert a.base_url == f"https://acme.myshopline.com/admin/openapi/{DEFAULT_VERSION}"
    assert DEFAULT_VERSION in KNOWN_VERSIONS


def test_unknown_version_lists_known_ones() -> None:
    with pytest.raises(ConfigurationError) as err:
        adapter(handle="acme", api_version="v20240901", **OAUTH)
    assert err.value.setting == "api_version"
    assert "v20240901" in str(err.value) and "v20260301" in str(err.value)


@pytest.mark.parametrize(
    ("given", "setting"),
    [
        ({"handle": "acme", "base_url": "https://x.example"}, "handle"),
        ({}, "handle"),
        ({"handle": "Not A Handle!"}, "handle"),
        ({"base_url": "http://shop.example"}, "base_url"),
    ],
)
def test_bad_location_names_the_setting(given: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        adapter(**given, **OAUTH)
    assert err.value.setting == setting


def test_oauth_app_needs_app_secret_but_private_app_does_not() -> None:
    with pytest.raises(ConfigurationError) as err:
        adapter(handle="acme", access_token="tok-123456", app_key="key")
    assert err.value.setting == "app_secret"
    assert "private_app=True" in str(err.value)
    private = adapter(handle="acme", access_token="tok-123456", private_app=True)
    assert private.token is None


def test_token_expiry_accepts_epoch_and_rejects_naive() -> None:
    a = adapter(handle="acme", token_expires_at=1_800_000_000, **OAUTH)
    assert a.settings.token_expires_at == datetime.fromtimestamp(1_800_000_000, UTC)
    ms = adapter(handle="acme", token_expires_at=1_800_000_000_000, **OAUTH)
    assert ms.settings.token_expires_at == a.settings.token_expires_at
    with pytest.raises(ConfigurationError) as err:
        adapter(handle="acme", token_expires_at=datetime(2030, 1, 1), **OAUTH)
    assert err.value.setting == "token_expires_at"


def test_secrets_never_in_repr() -> None:
    with storebridge.connect("shopline", handle="acme", **OAUTH) as store:
        assert "tok-123456" not in repr(store.adapter.settings)
        assert "secret-123" not in repr(store.adapter.settings)
        assert "tok-123456" not in repr(store.adapter.auth)
        assert set(store.adapter.secrets) == {"tok-123456", "secret-123"}


def test_declares_shopline_rate_limit_per_app_and_store() -> None:
    a = adapter(handle="acme", **OAUTH)
    # 4/s with a bucket of 40: bursts of 32 leave room for answers arriving bunched.
    assert (a.rate_limit.per_second, a.rate_limit.burst) == (4, 32)
    assert a.credential_key != adapter(handle="other", **OAUTH).credential_key
    assert "shopline" in storebridge.platforms()


def test_access_token_is_checked_without_being_shown() -> None:
    pasted = adapter(handle="acme", **{**OAUTH, "access_token": "  tok-123456\n".strip(" ")})
    assert pasted.settings.access_token.reveal() == "tok-123456"  # a pasted newline dropped
    for bad in ("tok-1234\r\nX: 1", "tök-123456", "tok 123456", 123456):
        with pytest.raises(ConfigurationError) as err:
            adapter(handle="acme", **{**OAUTH, "access_token": bad})
        assert err.value.setting == "access_token"
        assert "tok" not in str(err.value).replace("token", "")


def test_out_of_range_token_expiry_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as err:
        adapter(handle="acme", token_expires_at=10**30, **OAUTH)
    assert err.value.setting == "token_expires_at" and "out of range" in str(err.value)
