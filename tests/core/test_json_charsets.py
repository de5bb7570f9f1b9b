"""Response bodies are decoded with the charset their Content-Type declares, however many
answers share that Content-Type (its parameters are read once per spelling)."""

from __future__ import annotations

import pytest

import storebridge._json
from storebridge import _http
from storebridge._json import read_json

TEXT = '{"name": "Blåbærsyltetøy"}'


def answer(content: bytes, content_type: str | None) -> _http.Response:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return _http.Response(200, content=content, headers=headers)


def test_each_answer_is_decoded_with_its_declared_charset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storebridge._json, "_CHARSETS", {})  # as in a fresh process
    latin = "application/json; charset=ISO-8859-1"
    for _ in range(3):  # the first read parses the parameters, the others reuse them
        assert read_json(answer(TEXT.encode("latin-1"), latin)) == {"name": "Blåbærsyltetøy"}
        assert read_json(answer(TEXT.encode(), "application/json; charset=utf-8"))["name"] == (
            "Blåbærsyltetøy"
        )
        assert read_json(answer(TEXT.encode(), None))["name"] == "Blåbærsyltetøy"
        assert read_json(answer(TEXT.encode(), "application/json"))["name"] == "Blåbærsyltetøy"
    assert storebridge._json._CHARSETS[latin] == "iso-8859-1"
    # UTF-8 bytes declared as Latin-1 are read as Latin-1: the declaration decides.
    assert read_json(answer(TEXT.encode(), latin))["name"] == "Blåbærsyltetøy".encode().decode(
        "latin-1"
    )


def test_the_charset_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storebridge._json, "_CHARSETS", {})
    for index in range(200):
        kind = f"application/json; charset=latin-1; v={index}"
        assert read_json(answer(TEXT.encode("latin-1"), kind))["name"] == "Blåbærsyltetøy"
    assert len(storebridge._json._CHARSETS) == storebridge._json._CHARSETS_KEPT
