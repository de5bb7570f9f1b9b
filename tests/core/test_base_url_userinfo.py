"""A base_url with user info (https://user:password@host) is refused, password unshown.

Accepted, it was kept and shown in every repr and message that names the store's URL, and
the HTTP client would send it as Basic auth besides the platform's own credentials.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest

import storebridge
from storebridge.errors import ConfigurationError
from storebridge.settings import check_base_url

PASSWORD = "pw-5e4d3c2b1a"


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{PASSWORD}@shop.example",
        f"https://{PASSWORD}@shop.example/api",
        f"https://user:{PASSWORD}@127.0.0.1:8080",
        "https://user@shop.example",
        f"ftp://user:{PASSWORD}@shop.example",
    ],
)
def test_user_info_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        check_base_url(url)
    assert err.value.setting == "base_url"
    assert "base_url" in str(err.value) and "user name or password" in str(err.value)
    assert PASSWORD not in "".join(traceback.format_exception(err.value))
    assert "***@" in str(err.value)  # the URL is shown with its user info masked


def test_the_setting_named_is_the_one_checked() -> None:
    with pytest.raises(ConfigurationError) as err:
        check_base_url(f"https://u:{PASSWORD}@shop.example", setting="url")
    assert err.value.setting == "url" and str(err.value).startswith("url ")


def test_urls_without_user_info_still_pass() -> None:
    assert check_base_url("https://shop.example/api/") == "https://shop.example/api"
    assert check_base_url("https://shop.example/p@th") == "https://shop.example/p@th"


CONNECTS: dict[str, dict[str, Any]] = {
    "24nettbutikk": {"token": "tok-1234567890"},
    "29next": {"access_token": "tok-1234567890"},
    "shopline": {"access_token": "tok-1234567890", "private_app": True},
}


@pytest.mark.parametrize("platform", sorted(CONNECTS))
def test_connect_refuses_a_base_url_with_a_password(platform: str) -> None:
    url = f"https://user:{PASSWORD}@shop.example"
    with pytest.raises(ConfigurationError) as err:
        storebridge.connect(platform, base_url=url, **CONNECTS[platform])
    assert err.value.setting == "base_url" and "user name or password" in str(err.value)
    shown = "".join(traceback.format_exception(err.value)) + repr(err.value)
    assert PASSWORD not in shown


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("HTTPS://ACME.myshopline.com:443/", "https://acme.myshopline.com"),
        ("https://Shop.Example:8443/Api/V1/", "https://shop.example:8443/Api/V1"),
        ("http://LOCALHOST:80/api", "http://localhost/api"),
        ("https://BÜCHER.example/x", "https://xn--bcher-kva.example/x"),
        ("https://shop.example./", "https://shop.example"),
    ],
)
def test_a_base_url_is_one_spelling_of_its_store(given: str, canonical: str) -> None:
    # The rate limit is shared by credential and address: two spellings of one store (a
    # host in capitals, the default port written out) each got the whole limit.
    assert check_base_url(given) == canonical
