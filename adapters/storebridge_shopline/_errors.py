"""SHOPLINE error answers as storebridge exceptions.

Error bodies are ``{"errors": <string | list of strings | object of field -> message(s)>}``;
some answers carry ``code``/``message`` (or ``message``/``error``) instead. Every response
has a ``traceId`` header, kept as ``request_id`` on the exception. Beyond the usual codes,
SHOPLINE answers 402 (store frozen), 412 (risky content), 423 (store locked) and 433-436
(security blocks); none of these is retried::

    PermissionDenied
    ├── StoreFrozen          402
    ├── StoreLocked          423
    └── RequestBlocked       433, 434, 435, 436
    Conflict
    └── RiskyContent         412
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from storebridge.errors import APIError, Conflict, PayloadError, PermissionDenied
from storebridge.http import Response
from storebridge.kit import Adapter, error_from_response, read_json


class StoreFrozen(PermissionDenied):
    """402: the store is frozen (usually an unpaid SHOPLINE balance)."""


class StoreLocked(PermissionDenied):
    """423: SHOPLINE locked the store (repeated rate-limit abuse or fraud risk)."""


class RequestBlocked(PermissionDenied):
    """433-436: SHOPLINE's security layer blocked the request."""


class RiskyContent(Conflict):
    """412: the request body holds content SHOPLINE treats as high-risk (e.g. a script)."""


_SPECIAL: Mapping[int, tuple[type[APIError], str]] = {
    402: (StoreFrozen, "the store is frozen (unpaid balance); the merchant must settle it"),
    412: (RiskyContent, "the request holds high-risk content (e.g. a script tag); remove it"),
    423: (StoreLocked, "the store is locked by SHOPLINE; contact SHOPLINE support"),
    433: (RequestBlocked, "blocked as an attack or blacklisted IP; wait before retrying"),
    434: (RequestBlocked, "blocked by SHOPLINE's security rate limit; slow down and wait"),
    435: (RequestBlocked, "blocked by SHOPLINE's CC protection policy; wait before retrying"),
    436: (RequestBlocked, "blocked by SHOPLINE's security policy; wait before retrying"),
}

PRIVATE_APP_RENEWAL = (
    "A private app's token is renewed in the store admin (Apps > Develop apps > your app > "
    "API credentials); connect again with the new access_token."
)
OAUTH_RENEWAL = (
    "The token was refreshed once and still refused: the app may have been uninstalled or "
    "its authorization cancelled; authorize the app again."
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return [str(value)]


def read_error_body(body: Any) -> tuple[str | None, dict[str, list[str]]]:
    """(message, field errors) from an error body of any documented shape."""
    if not isinstance(body, Mapping):
        return (body.strip()[:300] or None) if isinstance(body, str) else None, {}
    errors = body.get("errors")
    if isinstance(errors, str):
        return errors, {}
    if isinstance(errors, list):
        return "; ".join(str(e) for e in errors) or None, {}
    if isinstance(errors, Mapping):
        fields = {str(k): _strings(v) for k, v in errors.items()}
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()), fields
    for key in ("message", "error", "msg"):
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key]), {}
    return None, {}


def trace_id(response: Response) -> str | None:
    """The ``traceId`` header; duplicated values arrive comma-joined, keep the first."""
    value = response.headers.get("traceid")
    return value.split(",")[0].strip() or None if value else None


def shopline_error(adapter: Adapter, response: Response, *, private_app: bool) -> APIError:
    try:
        body: Any = read_json(response)
    except PayloadError:
        body = response.content[:2000].decode("utf-8", "replace")
    message, fields = read_error_body(body)
    status = response.status_code
    cls: type[APIError] | None = None
    text = message or response.reason_phrase or "error"
    if status in _SPECIAL:
        cls, advice = _SPECIAL[status]
        text = f"{text} ({advice})" if message else advice
    elif status == 401:
        text = f"{text} ({PRIVATE_APP_RENEWAL if private_app else OAUTH_RENEWAL})"
    elif status == 403:
        text = f"{text} (the app may lack the scope this call needs, e.g. write_orders)"
    return error_from_response(
        adapter,
        response,
        message=text,
        field_errors=fields or None,
        request_id=trace_id(response),
        cls=cls,
    )


__all__ = [
    "RequestBlocked",
    "RiskyContent",
    "StoreFrozen",
    "StoreLocked",
    "read_error_body",
    "shopline_error",
    "trace_id",
]
