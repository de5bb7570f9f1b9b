"""ConfigurationError never echoes a secret: not a value given for a secret setting, nor a
token pasted into an ordinary setting. Planted tokens are searched for in every attribute
of the errors (``vars()``, args, message, repr and chained exceptions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import storebridge
from storebridge import ConfigurationError
from storebridge.settings import looks_like_token, mask, token_like_parts

TOKEN = "Tk_9fQ2xLm7Zp4Wv8Rb1Yc6Nd3Hs5Jg0"
OTHER = "sk_live_51HqLyjWDarjtT1zdp7dc"
SECRET_WORD = "hunter2-banana"
"""A short, ordinary-looking secret: masked because it was given for a secret setting."""


def texts(value: Any, seen: set[int] | None = None) -> Iterator[str]:
    """Every string reachable from an exception: message, repr, args, attributes, chain."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("latin-1")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts(key, seen)
            yield from texts(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from texts(item, seen)
    elif isinstance(value, BaseException):
        yield str(value)
        yield repr(value)
        yield from texts(value.args, seen)
        yield from texts(vars(value), seen)
        yield from texts(value.__cause__, seen)
        yield from texts(value.__context__, seen)
    elif value is not None:
        yield repr(value)


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("29next", {"store": TOKEN, "access_token": OTHER}, "store"),
    ("29next", {"store": TOKEN.encode(), "access_token": OTHER}, "store"),
    ("29next", {"store": [TOKEN], "access_token": OTHER}, "store"),
    ("29next", {"store": f"{TOKEN}.29next.store", "access_token": OTHER}, "store"),
    ("29next", {"store": "acme", "access_token": OTHER, "api_version": TOKEN}, "api_version"),
    ("29next", {"base_url": f"ftp://shop.example/{TOKEN}", "access_token": OTHER}, "base_url"),
    ("29next", {"base_url": f"shop.example?token={TOKEN}", "access_token": OTHER}, "base_url"),
    ("29next", {"store": "acme", "access_token": OTHER, TOKEN: "x"}, None),
    ("29next", {"store": f"{SECRET_WORD}!", "access_token": SECRET_WORD}, "store"),
    ("29next", {"store": "acme", "access_token": 12345}, "access_token"),
    # A line break inside (one at the end is trimmed, as a copied value often has it).
    ("29next", {"store": "acme", "access_token": f"{OTHER}\r\nX"}, "access_token"),
    ("shopline", {"handle": TOKEN, "access_token": OTHER, "private_app": True}, "handle"),
    ("shopline", {"handle": "acme", "access_token": f"{OTHER}é", "private_app": True}, None),
    ("shopline", {"handle": "acme", "access_token": OTHER, "api_version": TOKEN}, None),
    (
        "shopline",
        {"handle": "acme", "access_token": OTHER, "private_app": True, "token_expires_at": TOKEN},
        "token_expires_at",
    ),
    (
        "shopline",
        {"handle": "acme", "access_token": OTHER, "private_app": True, "refresh_leeway": TOKEN},
        "refresh_leeway",
    ),
    (
        "shopline",
        {"handle": "acme", "access_token": OTHER, "private_app": True, "token_store": TOKEN},
        "token_store",
    ),
    (
        "shopline",
        {"handle": "acme", "access_token": OTHER, "app_key": "key", "app_secret": "\x00"},
        "app_secret",
    ),
    (
        "shopline",
        {
            "handle": f"{SECRET_WORD}!",
            "access_token": OTHER,
            "app_key": "k",
            "app_secret": SECRET_WORD,
        },
        "handle",
    ),
    ("24nettbutikk", {"base_url": f"ftp://{TOKEN}.example", "token": OTHER}, "base_url"),
    (
        "24nettbutikk",
        {"base_url": "https://shop.example", "token": OTHER, "time_zone": TOKEN},
        "time_zone",
    ),
    (
        "24nettbutikk",
        {"base_url": "https://shop.example", "token": OTHER, "auth_style": TOKEN},
        "auth_style",
    ),
    (
        "24nettbutikk",
        {"base_url": "https://shop.example", "token": SECRET_WORD, "time_zone": SECRET_WORD},
        "time_zone",
    ),
]


@pytest.mark.parametrize(("platform", "settings", "setting"), CASES)
def test_configuration_error_shows_no_planted_secret(
    platform: str, settings: dict[str, Any], setting: str | None
) -> None:
    with pytest.raises(ConfigurationError) as err:
        storebridge.connect(platform, **settings)
    if setting is not None:
        assert err.value.setting == setting
    found = "\n".join(texts(err.value)).lower()
    for planted in (TOKEN, OTHER, SECRET_WORD):
        assert planted.lower() not in found, (platform, settings)
    assert err.value.__context__ is None and err.value.__cause__ is None
    assert str(err.value).strip()  # still a message, naming what to fix


def test_huge_token_expiry_is_a_configuration_error() -> None:
    settings: dict[str, Any] = {"handle": "acme", "access_token": OTHER, "private_app": True}
    for value in (10**30, float("inf"), float("nan"), -(10**30)):
        with pytest.raises(ConfigurationError) as err:
            storebridge.connect("shopline", token_expires_at=value, **settings)
        assert err.value.setting == "token_expires_at"


def test_messages_stay_readable_where_nothing_is_secret() -> None:
    with pytest.raises(ConfigurationError) as err:
        storebridge.connect("29next", store="Not A Store!", access_token=OTHER)
    assert "'Not A Store!'" in str(err.value)
    with pytest.raises(ConfigurationError) as err:
        storebridge.connect("29next", base_url="ftp://shop.example/api/admin", access_token=OTHER)
    assert "ftp://shop.example/api/admin" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TOKEN, True),
        ("3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e", True),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", True),
        ("acme.myshopline.com", False),
        ("requests_per_second", False),
        ("v20260301", False),
        ("my-long-store-name", False),
    ],
)
def test_what_looks_like_a_token(text: str, expected: bool) -> None:
    assert looks_like_token(text) is expected


def test_url_parts_are_judged_one_by_one() -> None:
    url = f"https://acme.29next.store/api/admin/{TOKEN}?q=1"
    assert token_like_parts(url) == [TOKEN]
    assert mask(f"got {url!r}", token_like_parts(url)) == (
        "got 'https://acme.29next.store/api/admin/***?q=1'"
    )
