"""The redactor masks credentials shaped like an HTTP header, and leaves prose alone.

Its credential pattern once took any word after "token", "basic" or "bearer", which garbled
storebridge's own messages ("the access token *** not be renewed").
"""

from __future__ import annotations

import base64

import pytest

from storebridge._redact import Redactor

PROSE = [
    "the access token could not be renewed",
    "the private app's access token expired at 2026-01-01T00:00:00+00:00",
    "refreshed the access token; new expiry 2026-01-01",
    "token refresh failed; basic plan limits apply",
    "send a bearer credential with Basic authentication enabled",
    "the token endpoint gave no answer; Token exchange was not attempted",
]


@pytest.mark.parametrize("text", PROSE)
def test_prose_about_tokens_is_left_alone(text: str) -> None:
    assert Redactor()(text) == text


BASIC = base64.b64encode(b"shop-token-1234:x-oauth-basic").decode()
BASIC_LETTERS = base64.b64encode(b"aWWrpr:ZN").decode()  # all letters: only its ':' tells

HEADER_SHAPES = {
    "Authorization: Bearer abcdefgh": "Authorization: Bearer ***",
    "authorization: rawtoken123 was refused": "authorization: *** was refused",
    f"{{'authorization': 'Basic {BASIC}'}}": "{'authorization': 'Basic ***'}",
    "Authorization: Token abc123def": "Authorization: Token ***",
    "Proxy-Authorization: Bearer abcdefgh": "Proxy-Authorization: Bearer ***",
    "got Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln back": "got Bearer *** back",
    "got Bearer abcdefghijklmnopqrstuvwxyz back": "got Bearer *** back",
    "got Bearer tok-123456 back": "got Bearer *** back",
    f"echoed Basic {BASIC} back": "echoed Basic *** back",
    f"echoed Basic {BASIC_LETTERS} back": "echoed Basic *** back",
}


@pytest.mark.parametrize("text", sorted(HEADER_SHAPES))
def test_header_shaped_credentials_are_masked(text: str) -> None:
    assert Redactor()(text) == HEADER_SHAPES[text]


def test_masking_is_idempotent() -> None:
    redact = Redactor(["registered-secret-1234"])
    once = redact("Authorization: Bearer registered-secret-1234 and Bearer other-4567")
    assert once == "Authorization: Bearer *** and Bearer ***"
    assert redact(once) == once
