"""29 Next's wire conventions: paths, versions, DRF-style errors, money, cursors and pages.

Lists answer ``{"next", "previous", "results"}`` with absolute links whose opaque ``cursor``
encodes an offset; errors follow Django REST Framework (``{"field": ["message"]}``, or
``{"detail": ...}``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from storebridge import http
from storebridge.sandbox import (
    BodyRefusals,
    EmulatorRequest,
    HTTPProblem,
    json_response,
    offset_page,
    read_object,
)

__all__ = [
    "CENT",
    "DEFAULT_TOKEN",
    "LEGACY",
    "ROOT",
    "VERSIONS",
    "VERSION_HEADER",
    "ZERO",
    "Handler",
    "Response",
    "date_param",
    "decimal_value",
    "integer_value",
    "invalid",
    "iso",
    "list_param",
    "money",
    "not_found",
    "object_body",
    "page_answer",
    "required",
]

ROOT = "/api/admin"
VERSIONS = ("2024-04-01", "2023-02-10", "unstable")
LEGACY = "2023-02-10"
VERSION_HEADER = "x-29next-api-version"
DEFAULT_TOKEN = "sandbox-29next-access-token"
CENT = Decimal("0.01")
ZERO = "0.00"

Response = http.Response
Handler = Callable[[EmulatorRequest, str], Response]
"""29 Next handlers also get the API version the guard settled on."""


# Values ----------------------------------------------------------------------------------
def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def iso(value: datetime) -> str:
    return value.isoformat()


# Errors and input ------------------------------------------------------------------------
def required() -> list[str]:
    return ["This field is required."]


def invalid(field: str, message: str) -> HTTPProblem:
    return HTTPProblem(400, {field: [message]})


def not_found() -> HTTPProblem:
    return HTTPProblem(404, {"detail": "Not found."})


def decimal_value(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(field, "A valid number is required.")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise invalid(field, "A valid number is required.") from None
    if not result.is_finite():
        raise invalid(field, "A valid number is required.")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise invalid(field, "Ensure that there are no more than 2 decimal places.")
    return result


def integer_value(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(field, "A valid integer is required.")
    try:
        return int(value)
    except ValueError:
        raise invalid(field, "A valid integer is required.") from None


def date_param(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field, "Enter a valid date.") from None


def list_param(req: EmulatorRequest, name: str) -> list[str]:
    """A repeatable query parameter's non-empty values (``status=a&status=b``)."""
    return [v for v in req.url.params.get_list(name) if v != ""]


REFUSALS = BodyRefusals(
    empty=lambda: HTTPProblem(400, {"detail": "request body is empty; JSON expected"}),
    invalid=lambda: HTTPProblem(400, {"detail": "request body is not valid JSON"}),
    not_object=lambda: HTTPProblem(
        400, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    ),
)


def object_body(req: EmulatorRequest) -> dict[str, Any]:
    """The request's JSON object, refused the way DRF refuses it."""
    return read_object(req, REFUSALS)


# Pages -----------------------------------------------------------------------------------
def page_answer(
    req: EmulatorRequest,
    rows: Sequence[Any],
    page_size: int,
    render: Callable[[Any], Any],
) -> Response:
    """One page of ``rows`` at the request's ``cursor``, rendered, with absolute links."""
    cursor = req.query.get("cursor")
    offset = 0
    if cursor:
        try:
            decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
            offset = int(decoded.removeprefix("o="))
        except ValueError:
            raise HTTPProblem(404, {"detail": "Invalid cursor"}) from None
    page = offset_page(rows, offset, page_size)

    def link(position: int) -> str:
        token = base64.urlsafe_b64encode(f"o={position}".encode()).decode()
        params = [(k, v) for k, v in req.url.params.multi_items() if k != "cursor"]
        url = req.url.copy_with(query=None).copy_merge_params([*params, ("cursor", token)])
        return f"{req.origin}{url.raw_path.decode()}"

    nxt = link(offset + page_size) if page.has_next else None
    prev = link(max(0, offset - page_size)) if offset > 0 else None
    results = [render(row) for row in page.items]
    return json_response(200, {"next": nxt, "previous": prev, "results": results})
