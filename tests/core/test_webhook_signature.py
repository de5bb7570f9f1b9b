"""Signature headers: hex (and base64 where a platform sends it) read into digest bytes;
anything malformed reads as None, never an exception."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storebridge.kit import signature_digest

DIGEST = hmac.new(b"secret", b"{}", hashlib.sha256).digest()


def test_hex_reads_in_either_case_and_with_spaces_around() -> None:
    assert signature_digest(DIGEST.hex()) == DIGEST
    assert signature_digest(f"  {DIGEST.hex().upper()}\n") == DIGEST
    assert signature_digest(DIGEST.hex().encode()) == DIGEST


def test_base64_only_where_the_platform_sends_it() -> None:
    text = base64.b64encode(DIGEST).decode()
    assert signature_digest(text, base64_too=True) == DIGEST
    assert signature_digest(text) is None


MALFORMED = [None, "", "zz" * 32, DIGEST.hex()[:-1], DIGEST.hex() + "0", "é" * 64,
             b"\xff" * 64, 42, base64.b64encode(DIGEST[:31])]  # fmt: skip


@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_values_read_as_none(value: object) -> None:
    assert signature_digest(value, base64_too=True) is None


@given(st.one_of(st.text(), st.binary()))
def test_any_value_is_32_bytes_or_none(value: str | bytes) -> None:
    found = signature_digest(value, base64_too=True)
    assert found is None or len(found) == 32
