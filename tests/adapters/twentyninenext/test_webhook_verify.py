"""29 Next webhook verification: a malformed signature is False, never an exception."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from storebridge_29next import sign_webhook, verify_webhook_signature, webhook_signature

SECRET = "whsec-example-0123"
BODY, SIGNATURE = sign_webhook({"event_type": "order.created", "data": {"id": 7}}, SECRET)

MALFORMED: dict[str, Any] = {
    "None": None,
    "empty": "",
    "blank": "   ",
    "non-ASCII": "é" * 64,
    "non-ASCII at the end": SIGNATURE[:-1] + "é",
    "full-width digits": "\uff10" * 64,
    "NUL inside": SIGNATURE[:30] + "\x00" + SIGNATURE[31:],
    "one digit short": SIGNATURE[:-1],
    "one digit long": SIGNATURE + "0",
    "doubled": SIGNATURE * 2,
    "not hex": "g" * 64,
    "spaces between bytes": " ".join(SIGNATURE[i : i + 2] for i in range(0, 64, 2)),
    "base64 of the right digest": base64.b64encode(bytes.fromhex(SIGNATURE)).decode(),
    "prefixed": "sha256=" + SIGNATURE,
    "bytes, not ASCII": b"\xff" * 64,
    "a number": 12345,
    "a list": [SIGNATURE],
    "surrogate": "\udcff" * 64,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_signature_is_false(case: str) -> None:
    assert verify_webhook_signature(BODY, MALFORMED[case], SECRET) is False


def test_valid_signature_in_every_accepted_form_is_true() -> None:
    assert verify_webhook_signature(BODY, SIGNATURE, SECRET) is True
    assert verify_webhook_signature(BODY, SIGNATURE.upper(), SECRET) is True
    assert verify_webhook_signature(BODY, f" {SIGNATURE}\n", SECRET) is True
    assert verify_webhook_signature(BODY, SIGNATURE.encode("ascii"), SECRET) is True
    assert verify_webhook_signature(BODY.decode(), SIGNATURE, SECRET) is True
    # The vendor's receiver signs json.dumps of the parsed body; that form is accepted too.
    compact = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert verify_webhook_signature(compact, SIGNATURE, SECRET) is True


def test_wrong_secret_or_tampered_body_is_false() -> None:
    assert verify_webhook_signature(BODY, SIGNATURE, "another-secret") is False
    assert verify_webhook_signature(BODY + b" ", webhook_signature(BODY, "x"), SECRET) is False
    assert verify_webhook_signature(BODY.replace(b"7", b"8"), SIGNATURE, SECRET) is False


@pytest.mark.parametrize(
    "body",
    [
        "\udcff not encodable",
        b"\xff\xfe not UTF-8",
        b"[" * 100_000 + b"]" * 100_000,  # nested too deeply to parse
        b"",
        None,
    ],
)
def test_odd_bodies_are_false_without_raising(body: Any) -> None:
    assert verify_webhook_signature(body, SIGNATURE, SECRET) is False


@pytest.mark.parametrize("secret", ["", None, "\udcff"])
def test_odd_secrets_are_false_without_raising(secret: Any) -> None:
    assert verify_webhook_signature(BODY, SIGNATURE, secret) is False
