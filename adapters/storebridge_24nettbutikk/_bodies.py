"""Reading 24Nettbutikk answers: charset, JSONP, and the ``data``/``paging`` envelope.

Bodies are parsed once per answer (the facade's check and the flow share the result). The
fast path is the core's orjson reader; a body it refuses is read again tolerantly, the way
shops really answer: ISO-8859-1 without saying so, a byte-order mark, or JSONP.
"""

from __future__ import annotations

import re
from typing import Any

from storebridge.errors import PayloadError
from storebridge.http import Response
from storebridge.kit import Payload, parse_json, read_json

PLATFORM = "24nettbutikk"
_JSONP = re.compile(rb"^\s*[A-Za-z_$][\w$.]*\s*\((?P<body>.*)\)\s*;?\s*$", re.DOTALL)
_PARSED = "storebridge.24nettbutikk.body"


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
    """The JSON body (parsed once), unwrapping ``callback(...)`` when the shop sent JSONP."""
    extensions = response.extensions
    if _PARSED in extensions:
        return extensions[_PARSED]
    try:
        value = read_json(response, platform=PLATFORM)
    except PayloadError:
        content = response.content
        match = _JSONP.match(content)
        if match is not None and not content.lstrip().startswith((b"{", b"[")):
            content = match.group("body")
        value = parse_json(decode_text(content), platform=PLATFORM)
    extensions[_PARSED] = value
    return value


def data_rows(body: Any) -> list[Any]:
    """The ``data`` array of an envelope (an object where a one-item answer skipped the array).

    A body without ``data`` is refused: reading it as "no rows" would end a listing early.
    """
    if type(body) is not dict:
        raise PayloadError("expected an object with a data array", path="$", platform=PLATFORM)
    data = body.get("data", _MISSING)
    if type(data) is list:
        return data
    if data is _MISSING or data is None:
        raise PayloadError("the data array is missing", path="$.data", platform=PLATFORM)
    if isinstance(data, dict):
        return [data] if data else []
    raise PayloadError(
        f"expected a list, got {type(data).__name__}", path="$.data", platform=PLATFORM
    )


def data_payloads(body: Any) -> list[Payload]:
    """The rows of ``data`` as payloads rooted where they sit (``$.data[3]``)."""
    rows = data_rows(body)
    if isinstance(body.get("data"), dict):
        return [Payload(rows[0], "$.data", PLATFORM)] if rows else []
    return [Payload(row, f"$.data[{index}]", PLATFORM) for index, row in enumerate(rows)]


def paging_link(body: Any, rel: str) -> str | None:
    """``paging.<rel>``; None when paging is missing, ``[]`` (PHP's empty array) or lacks it."""
    paging = body.get("paging") if type(body) is dict else None
    if type(paging) is not dict:
        return None
    link = paging.get(rel)
    if link is None or link == "":
        return None
    if type(link) is not str:
        raise PayloadError(
            f"expected a URL string, got {type(link).__name__}",
            path=f"$.paging.{rel}",
            platform=PLATFORM,
        )
    return link


_MISSING: Any = object()

__all__ = [
    "PLATFORM",
    "body_json",
    "data_payloads",
    "data_rows",
    "decode_text",
    "paging_link",
]
