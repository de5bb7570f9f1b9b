"""Reading the Admin API's error bodies (Django REST Framework shapes).

The vendor's spec documents no error responses. Evidence from the vendor's own clients shows
DRF bodies: ``{"detail": "..."}`` for auth, permission, not-found and throttling, and
``{"field": ["message", ...]}`` (possibly nested) for validation errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from storebridge.errors import APIError, PayloadError
from storebridge.http import Response, read_json
from storebridge.kit import error_from_response

if TYPE_CHECKING:
    from storebridge.kit import Adapter


def _flatten(value: Any, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        out.setdefault(prefix or "non_field_errors", []).append(value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            # A list of dicts is a nested list serializer: keep the index in the path.
            key = f"{prefix}[{index}]" if isinstance(item, Mapping) else prefix
            _flatten(item, key, out)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif value is not None:
        out.setdefault(prefix or "non_field_errors", []).append(str(value))


def field_errors(body: Any) -> dict[str, list[str]]:
    """``{"a": ["x"], "b": {"c": ["y"]}}`` -> ``{"a": ["x"], "b.c": ["y"]}`` (no ``detail``)."""
    out: dict[str, list[str]] = {}
    if isinstance(body, Mapping):
        for key, value in body.items():
            if key != "detail":
                _flatten(value, str(key), out)
    elif isinstance(body, list):
        _flatten(body, "", out)
    return out


def parse_error(adapter: Adapter, response: Response) -> APIError:
    """The APIError for an error answer: ``detail`` as the message, the rest as field errors."""
    try:
        body: Any = read_json(response)
    except PayloadError:
        body = None
    if body is None:
        # Wrong paths answer the storefront's HTML 404 page, not JSON.
        hint = " (an HTML page: is the URL the Admin API root, /api/admin/?)"
        text = response.reason_phrase or "error"
        return error_from_response(
            adapter, response, message=text + (hint if response.status_code == 404 else "")
        )
    try:
        fields = field_errors(body)
    except RecursionError:  # nested deeper than any validation error: keep the status only
        fields = {}
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if isinstance(detail, str) and detail:
        message = detail
    elif fields:
        first, messages = next(iter(fields.items()))
        message = f"{first}: {messages[0]}" if first != "non_field_errors" else messages[0]
    else:
        message = response.reason_phrase or "error"
    if response.status_code == 401:
        # Worded so no credential-looking "token <word>" pair appears for redaction to mask.
        message += (
            " (check the setting access_token=: an OAuth app access token of this store, "
            "from Settings > API Access, sent as a Bearer token)"
        )
    return error_from_response(adapter, response, message=message, field_errors=fields or None)


__all__ = ["field_errors", "parse_error"]
