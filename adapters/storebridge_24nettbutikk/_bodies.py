"""Reading 24Nettbutikk response bodies: charset, JSONP and the ``data``/``paging`` envelope."""

from __future__ import annotations

import json
import re
from typing import Any

from storebridge.errors import PayloadError
from storebridge.http import Response

PLATFORM = "24nettbutikk"
_JSONP = re.compile(rb"^\s*[A-Za-z_$][\w$.]*\s*\((?P<body>.*)\)\s*;?\s*$", re.DOTALL)


def decode_text(content: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8, else ISO-8859-1.

    The only client that says (NettbutikkSharp) reads bodies as ISO-8859-1, while other
    shops answer UTF-8, and a charset header cannot be trusted either way. Latin-1 text with
    Norwegian letters is practically never valid UTF-8 (``ø`` is a lone ``0xF8``), so trying
    UTF-8 first reads both correctly.
    """
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def body_json(response: Response) -> Any:
    """The JSON body, unwrapping ``callback(...)`` when the shop answered JSONP."""
    content = response.content
    match = _JSONP.match(content)
    if match is not None and not content.lstrip().startswith((b"{", b"[")):
        content = match.group("body")
    try:
        return json.loads(decode_text(content))
    except ValueError as exc:
        raise PayloadError(f"response is not JSON ({exc})", path="$", platform=PLATFORM) from None


def rows(body: Any) -> list[Any]:
    """The ``data`` array of an envelope (an object where a one-item answer skipped the array)."""
    if not isinstance(body, dict):
        raise PayloadError("expected an object with a data array", path="$", platform=PLATFORM)
    data = body.get("data")
    if data is None or data == {}:
        return []
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise PayloadError(
            f"expected a list, got {type(data).__name__}", path="$.data", platform=PLATFORM
        )
    return data


def next_link(body: Any) -> str | None:
    """``paging.next``; None when paging is missing, ``[]`` (PHP's empty array) or has no next."""
    if not isinstance(body, dict):
        return None
    paging = body.get("paging")
    if not isinstance(paging, dict):
        return None
    link = paging.get("next")
    if link is None or link == "":
        return None
    if not isinstance(link, str):
        raise PayloadError(
            f"expected a URL string, got {type(link).__name__}",
            path="$.paging.next",
            platform=PLATFORM,
        )
    return link
