"""29 Next's wire conventions: paths, versions, DRF-style errors, money, cursors and pages.

Lists answer ``{"next", "previous", "results"}`` with absolute links whose opaque ``cursor``
encodes a position in the list, as DRF's CursorPagination does; errors follow Django REST
Framework (``{"field": ["message"]}``, or ``{"detail": ...}``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlencode

import attrs

from storebridge import http
from storebridge.sandbox import (
    BodyRefusals,
    EmulatorRequest,
    HTTPProblem,
    json_response,
    read_object,
    unemulated,
)

__all__ = [
    "CENT",
    "DEFAULT_TOKEN",
    "LEGACY",
    "NEWEST_ID_FIRST",
    "OLDEST_ID_FIRST",
    "ROOT",
    "VERSIONS",
    "VERSION_HEADER",
    "ZERO",
    "Handler",
    "Ordering",
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
    "refuse_unemulated",
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


NOT_EMULATED = {
    "orders": frozenset({
        "search_text", "address", "name", "product", "location_id", "payment_method",
        "delivery_status", "subscription_lifecycle", "coupon_code", "offers", "countries",
        "funnels", "agents", "utm_source", "utm_campaign", "utm_term", "utm_content",
        "affiliate", "subaffiliate1", "subaffiliate2", "subaffiliate3", "subaffiliate4",
        "subaffiliate5", "is_disputed", "has_outstanding_balance", "has_split_fulfillment",
    }),
    "users": frozenset({
        "name", "phone_number", "language", "user_type", "is_blocked", "accepts_marketing",
    }),
    "products": frozenset({"category", "range", "is_public", "is_gift_card"}),
}  # fmt: skip
"""Filters the platform applies and this emulator does not. Ignored, they would answer
every record as if it matched: a test on the sandbox would pass with a filter that is
wrong, so the emulator refuses them instead."""


def refuse_unemulated(req: EmulatorRequest, listing: str) -> None:
    """A 400 naming the filters of ``req`` the emulator cannot apply, if any."""
    message = unemulated(req.url.params.keys(), NOT_EMULATED[listing])
    if message is not None:
        raise HTTPProblem(400, {"detail": message})


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
@attrs.frozen
class Ordering:
    """The order a list's rows come in, by each row's position value.

    A cursor names its place by the position of a row, not by a count of rows, as DRF's
    CursorPagination does: ``key`` must therefore follow the rows' order and be unique in
    the list, so that deleting or adding another row never moves a later row across a
    cursor. ``dump`` and ``load`` turn a position into cursor text and back (``load``
    raises ValueError on text it cannot read).
    """

    key: Callable[[Any], Any]
    dump: Callable[[Any], str] = str
    load: Callable[[str], Any] = int
    descending: bool = False


def _record_id(row: Any) -> int:
    return int(row["id"])


OLDEST_ID_FIRST = Ordering(_record_id)
NEWEST_ID_FIRST = Ordering(_record_id, descending=True)


@attrs.frozen
class _Cursor:
    offset: int = 0
    """Rows to skip past ``position``: rows that share one position cannot be told apart."""
    reverse: bool = False
    position: Any = None
    """A position value (``Ordering.key``); None: the start of the list (or its end)."""


def _read_cursor(text: str, ordering: Ordering) -> _Cursor:
    """The cursor DRF encodes (base64 of ``o=&r=1&p=``, any of them left out), or the 404
    DRF answers. URL-safe base64 is read as well: the emulator's own earlier cursors."""
    try:
        query = base64.b64decode(text.encode("ascii"), altchars=b"-_").decode("ascii")
        tokens = parse_qs(query, keep_blank_values=True, strict_parsing=True)
        offset = int(tokens.get("o", ["0"])[0])
        if offset < 0:
            raise ValueError("a negative offset")
        reverse = bool(int(tokens.get("r", ["0"])[0]))
        found = tokens.get("p")
        position = ordering.load(found[0]) if found else None
    except (TypeError, ValueError):
        raise HTTPProblem(404, {"detail": "Invalid cursor"}) from None
    return _Cursor(offset, reverse, position)


def _write_cursor(cursor: _Cursor, ordering: Ordering) -> str:
    tokens: dict[str, str] = {}
    if cursor.offset:
        tokens["o"] = str(cursor.offset)
    if cursor.reverse:
        tokens["r"] = "1"
    if cursor.position is not None:
        tokens["p"] = ordering.dump(cursor.position)
    return base64.b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


def _leading(rows: Sequence[Any], ordering: Ordering, position: Any, *, through: bool) -> int:
    """How many rows come before ``position`` in the list (``through``: or at it).

    A bisect over the rows in their listed order, so a page costs its own size, not the
    store's.
    """
    low, high = 0, len(rows)
    while low < high:
        middle = (low + high) // 2
        key = ordering.key(rows[middle])
        if ordering.descending:
            ahead = key >= position if through else key > position
        else:
            ahead = key <= position if through else key < position
        if ahead:
            low = middle + 1
        else:
            high = middle
    return low


@attrs.frozen
class _Window:
    """One page cut out of a list, with what DRF knows about its two sides."""

    items: list[Any]
    has_next: bool
    has_previous: bool
    next_position: Any
    previous_position: Any


def _cut(rows: Sequence[Any], cursor: _Cursor | None, size: int, ordering: Ordering) -> _Window:
    """The page at ``cursor`` (None: the first), as DRF's ``paginate_queryset`` cuts it."""
    at = cursor or _Cursor()
    if not at.reverse:
        start = at.offset
        if at.position is not None:
            start += _leading(rows, ordering, at.position, through=True)
        stop = start + size
        following = stop < len(rows)
        return _Window(
            items=list(rows[start:stop]),
            has_next=following,
            has_previous=at.position is not None or at.offset > 0,
            next_position=ordering.key(rows[stop]) if following else None,
            previous_position=at.position,
        )
    stop = len(rows)
    if at.position is not None:
        stop = _leading(rows, ordering, at.position, through=False)
    stop = max(0, stop - at.offset)
    start = max(0, stop - size)
    following = start > 0
    return _Window(
        items=list(rows[start:stop]),
        has_next=at.position is not None or at.offset > 0,
        has_previous=following,
        next_position=at.position,
        previous_position=ordering.key(rows[start - 1]) if following else None,
    )


def _marker(keys: Iterable[Any], compare: Any) -> tuple[int, Any] | None:
    """How many of ``keys`` equal ``compare`` before the first that does not, and that one
    (None: all of them do). Rows sharing a position cannot mark a place by it alone."""
    for offset, key in enumerate(keys):
        if key != compare:
            return offset, key
    return None


def _next_cursor(
    window: _Window, cursor: _Cursor | None, size: int, ordering: Ordering
) -> _Cursor | None:
    """DRF's ``get_next_link``: the position of the last row served that differs from the
    next page's first, and an offset past the rows of the page that share that one's."""
    if not window.has_next:
        return None
    page = window.items
    if page and cursor and cursor.reverse and cursor.offset:
        compare = ordering.key(page[-1])
    else:
        compare = window.next_position
    found = _marker((ordering.key(row) for row in reversed(page)), compare)
    if found is not None:
        offset, position = found
    elif not page:
        offset, position = 0, window.next_position
    elif not window.has_previous:
        offset, position = size, None
    elif cursor and cursor.reverse:
        # Turning back around a page of one position skips ahead, as DRF does.
        offset, position = 0, window.previous_position
    else:
        offset, position = (cursor.offset if cursor else 0) + size, window.previous_position
    return _Cursor(offset, False, position)


def _previous_cursor(
    window: _Window, cursor: _Cursor | None, size: int, ordering: Ordering
) -> _Cursor | None:
    """DRF's ``get_previous_link``: a reverse cursor from the first row served that differs
    from the previous page's last."""
    if not window.has_previous:
        return None
    page = window.items
    if page and cursor and not cursor.reverse and cursor.offset:
        compare = ordering.key(page[0])
    else:
        compare = window.previous_position
    found = _marker((ordering.key(row) for row in page), compare)
    if found is not None:
        offset, position = found
    elif not page:
        offset, position = 0, window.previous_position
    elif not window.has_next:
        offset, position = size, None
    elif cursor and cursor.reverse:
        offset, position = cursor.offset + size, window.next_position
    else:
        # Turning back around a page of one position skips back, as DRF does.
        offset, position = 0, window.next_position
    return _Cursor(offset, True, position)


def page_answer(
    req: EmulatorRequest,
    rows: Sequence[Any],
    page_size: int,
    render: Callable[[Any], Any],
    ordering: Ordering,
) -> Response:
    """One page of ``rows`` (listed in ``ordering``) at the request's ``cursor``, rendered,
    with absolute links."""
    text = req.query.get("cursor")
    cursor = _read_cursor(text, ordering) if text else None
    window = _cut(rows, cursor, page_size, ordering)

    def link(to: _Cursor | None) -> str | None:
        if to is None:
            return None
        token = _write_cursor(to, ordering)
        params = [(k, v) for k, v in req.url.params.multi_items() if k != "cursor"]
        url = req.url.copy_with(query=None).copy_merge_params([*params, ("cursor", token)])
        return f"{req.origin}{url.raw_path.decode()}"

    nxt = link(_next_cursor(window, cursor, page_size, ordering))
    prev = link(_previous_cursor(window, cursor, page_size, ordering))
    results = [render(row) for row in window.items]
    return json_response(200, {"next": nxt, "previous": prev, "results": results})
