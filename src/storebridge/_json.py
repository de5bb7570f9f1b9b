"""Reading JSON bodies once, fast, and never with a bare exception.

Every response body is parsed by :func:`read_json` with orjson: the facade parses it while
deciding whether an answer is usable (an unreadable answer to a read is retried like a 5xx),
and the adapter's flow gets the same parsed value from the cache instead of parsing again.

orjson refuses what the standard library would turn into surprises later: nesting deeper
than 1,024 levels, ``NaN``/``Infinity``, numbers that overflow a double, invalid UTF-8 and
lone surrogates. Each becomes a :class:`~storebridge.errors.PayloadError` at ``$``. An
integer past 64 bits is parsed as a double and loses its last digits: :class:`Payload`
refuses it wherever an id, a text or an integer is read from it, naming the field.

A large body is parsed with Python's cyclic garbage collector paused (see
:func:`parse_json`): a document being parsed holds no cycles and none of it can be garbage
yet, so collections during the parse could free nothing. They cost a lot, though: a page
of a hundred SHOPLINE orders (400 kB, some 10,000 dicts and lists) set off a dozen of
them, each walking the half-built page, and pushed the page into the older generations,
whose collections walk it again. Paused, the page counts as one collection's worth of new
objects: a 5,000-order SHOPLINE export then ran about 80 collections instead of about 300,
and spent 0.6 s in them instead of 0.9 s.
"""

from __future__ import annotations

import gc
from typing import Any

import orjson

from storebridge._http import Response
from storebridge.errors import PayloadError

_CACHE_KEY = "storebridge.json"
_UTF8 = frozenset({None, "utf-8", "utf8", "ascii", "us-ascii"})
_CHARSETS: dict[str, str | None] = {}
_CHARSETS_KEPT = 64
PAUSE_FROM = 16_384
"""Bodies from this many bytes (or characters) on are parsed with the collector paused;
smaller ones make too few objects for a collection to matter."""


def parse_json(content: bytes | str, *, platform: str | None = None) -> Any:
    """``content`` parsed as JSON; PayloadError at ``$`` when it is not JSON.

    The collector is paused while a large body is parsed (the module docstring says why)
    and enabled again right after, unless the application had disabled it. orjson holds
    the GIL for the whole parse, so no other thread runs Python code during the pause.
    """
    try:
        if len(content) < PAUSE_FROM or not gc.isenabled():
            return orjson.loads(content)
        try:  # disabled inside the try: an interrupt between the two still re-enables it
            gc.disable()
            return orjson.loads(content)
        finally:
            gc.enable()
    except orjson.JSONDecodeError as exc:
        raise PayloadError(_describe(content, exc), path="$", platform=platform) from None


def read_json(response: Response, *, platform: str | None = None) -> Any:
    """The response body as JSON, parsed once per response and then served from a cache.

    A body in a declared non-UTF-8 charset (some shops answer ISO-8859-1) is decoded with
    that charset first. Raises PayloadError at ``$`` for anything that is not JSON: an empty
    or truncated body, an HTML error page, invalid UTF-8.
    """
    extensions = response.extensions
    if _CACHE_KEY in extensions:
        return extensions[_CACHE_KEY]
    charset = _charset(response)
    try:
        content: bytes | str = response.content if charset in _UTF8 else response.text
    except (LookupError, UnicodeDecodeError) as exc:
        raise PayloadError(f"body could not be decoded ({exc})", platform=platform) from None
    value = parse_json(content, platform=platform)
    extensions[_CACHE_KEY] = value
    return value


def _charset(response: Response) -> str | None:
    """The declared charset, lower-cased. A shop sends the same Content-Type on every
    answer, and reading its parameters goes through the email parser, so each spelling
    is read once."""
    content_type = response.headers.get("content-type")
    if content_type is None:
        return None
    if content_type in _CHARSETS:
        return _CHARSETS[content_type]
    found = (response.charset_encoding or "").lower() or None
    if len(_CHARSETS) < _CHARSETS_KEPT:
        _CHARSETS[content_type] = found
    return found


def _describe(content: bytes | str, exc: Exception) -> str:
    if not content:
        return "response body is empty; JSON expected"
    head = content[:1] if isinstance(content, str) else content[:1].decode("latin-1")
    if head == "<":
        return "response is an HTML page, not JSON"
    return f"response is not valid JSON ({exc})"


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (non-string keys and Decimal-free data only)."""
    return orjson.dumps(value)


__all__ = ["dumps", "parse_json", "read_json"]
