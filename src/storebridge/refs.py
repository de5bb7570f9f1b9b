"""Refs and user values that go into URLs: checked, then escaped as exactly one segment.

A ref is a platform's own key (an order number, an id). It reaches a URL path, so a ref
such as ``"A/../B"`` or ``"?x=1"`` would otherwise address another record. The facade checks
every ref before any request (:func:`check_ref`), and adapters build paths with
:func:`segment`, which escapes everything outside RFC 3986's unreserved characters.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard
from urllib.parse import quote

from storebridge.errors import ValidationError

MAX_REF_LENGTH = 256
MAX_QUERY_VALUE_LENGTH = 2048
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def is_usual_ref(value: object) -> TypeGuard[str]:
    """Whether ``value`` is the usual platform key: printable, non-blank ASCII text of at
    most :data:`MAX_REF_LENGTH` characters, which needs no further check."""
    return (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and len(value) <= MAX_REF_LENGTH
        and bool(value.strip())
    )


def check_ref(value: Any, field: str = "ref") -> str:
    """``value`` as a ref string, or ValidationError naming ``field`` and the fix.

    Accepted: a non-empty ``str`` (or an ``int``, turned into its digits) of at most 256
    characters, without ``/`` or control characters, and not ``.`` or ``..``.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError(
            f"{field} must be the platform's key as a string, got {type(value).__name__}",
            field=field,
        )
    text = str(value)
    if not text or not text.strip():
        raise ValidationError(f"{field} is empty; pass the platform's key", field=field)
    if len(text) > MAX_REF_LENGTH:
        raise ValidationError(
            f"{field} is {len(text)} characters long; a platform key has at most {MAX_REF_LENGTH}",
            field=field,
        )
    if _CONTROL.search(text):
        raise ValidationError(
            f"{field} contains a control character (CR, LF, NUL...); pass the key alone",
            field=field,
        )
    if "/" in text or text in (".", ".."):
        raise ValidationError(
            f"{field} {text!r} cannot be a platform key: it would change the URL's path",
            field=field,
        )
    return text


def segment(value: Any, field: str = "ref") -> str:
    """``value`` checked with :func:`check_ref` and percent-escaped as one path segment."""
    return quote(check_ref(value, field), safe="")


def check_query_value(value: Any, field: str) -> str:
    """A user value for a query string: text without control characters, bounded length.

    The HTTP library escapes query values; this refuses what no platform filter accepts
    and what would otherwise fail deep in the transport (CR/LF, NUL).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be text or a number, got {type(value).__name__}", field=field
        )
    if len(value) > MAX_QUERY_VALUE_LENGTH:
        raise ValidationError(
            f"{field} is {len(value)} characters long; at most {MAX_QUERY_VALUE_LENGTH}",
            field=field,
        )
    if _CONTROL.search(value):
        raise ValidationError(f"{field} contains a control character (CR, LF, NUL...)", field=field)
    return value


__all__ = ["MAX_REF_LENGTH", "check_query_value", "check_ref", "is_usual_ref", "segment"]
