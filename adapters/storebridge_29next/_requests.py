"""Building Admin API requests: paths of escaped segments, query values, answers to read.

Every path ends with a slash (the API's convention); every ref becomes exactly one escaped
segment (``kit.segment``), so no ref can reach another record. A single-record read checks
that the answer is the record asked for: a stale cache answering with another record is an
unusable answer, asked again like a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from storebridge.errors import PayloadError, ValidationError
from storebridge.http import Request, Response, read_json
from storebridge.kit import Flow, Payload, build_request, check_query_value, segment
from storebridge.validation import describe
from storebridge_29next._converter import structure

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

T = TypeVar("T")

PLATFORM = "29next"


def url(adapter: TwentyNineNextAdapter, *parts: str | int) -> str:
    """``{api root}/{part}/.../`` with each part escaped as one segment."""
    path = "/".join(segment(str(part), "ref") for part in parts)
    return f"{adapter.base_url}/{path}/"


def get(
    adapter: TwentyNineNextAdapter,
    operation: str,
    *parts: str | int,
    params: Any = None,
    check: Callable[[Response], None] | None = None,
) -> Request:
    return build_request("GET", url(adapter, *parts), operation=operation, params=params,
                         check=check)  # fmt: skip


def post(
    adapter: TwentyNineNextAdapter, operation: str, parts: Sequence[str | int], body: Any
) -> Request:
    return build_request("POST", url(adapter, *parts), operation=operation, json=body)


def patch(
    adapter: TwentyNineNextAdapter, operation: str, parts: Sequence[str | int], body: Any
) -> Request:
    # The same PATCH twice leaves the same record, but a lost answer is still reconciled by
    # reading back, so it is declared like any other write.
    return build_request("PATCH", url(adapter, *parts), operation=operation, json=body)


def query(base: Mapping[str, Any], extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters; list values repeat the key (``status=a&status=b``), as the spec
    says. Each value is checked (no control characters, bounded length)."""
    out: list[tuple[str, str]] = []
    for key, value in {**base, **extra}.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        for item in values:
            out.append((key, check_query_value(item, key)))
    return out


def body_object(response: Response) -> Payload:
    """The answer's JSON object, read through a Payload rooted at ``$``."""
    return Payload(read_json(response), "$", PLATFORM)


def is_record(key: str, expected: str, lists: Sequence[str] = ()) -> Callable[[Response], None]:
    """An answer check: the object's ``key`` is ``expected`` and it holds each of ``lists``
    as a list of objects (else the answer is unusable)."""

    def check(response: Response) -> None:
        body = body_object(response)
        found = body.raw(key)
        if type(found) is int and found.bit_length() < 64:
            found = str(found)
        if found != expected:
            raise PayloadError(
                f"asked for {expected!r}, the answer is {describe(found)}",
                path=f"$.{key}",
                platform=PLATFORM,
            )
        for name in lists:
            body.objects(name)

    return check


def read_one(
    adapter: TwentyNineNextAdapter, operation: str, path: str, ref: str, key: str, cls: type[T]
) -> Flow[T]:
    """The record ``ref`` at ``{path}/{ref}/`` as a ``cls``, checked to be that record."""
    response = yield get(adapter, operation, path, ref, check=is_record(key, ref))
    return structure(body_object(response), cls, adapter.api_version)


def answer_as(cls: type[T], api_version: str | None = None) -> Callable[[Response], T]:
    """Reads a write's answer as a ``cls`` as ``api_version`` renders it (None: the default
    version; what ``kit.reconciled_write`` calls ``parse``)."""

    def parse(response: Response) -> T:
        return structure(body_object(response), cls, api_version)

    return parse


def int_ref(value: Any, field: str) -> int:
    """A 29 Next id given as a ref (digits), or ValidationError naming ``field``."""
    text = value if isinstance(value, str) else str(value) if type(value) is int else ""
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18):
        raise ValidationError(
            f"{field} must be a 29 Next id (digits, such as '1001'), got {str(value)[:40]!r}",
            field=field,
        )
    return int(text)


def has_results(response: Response) -> None:
    """An answer check for a lookup in a list: the body holds its ``results`` list. A
    wrong-shaped answer (``{"ok": true}``, ``null``) is then asked again like any unreadable
    one, instead of reading as "nothing found" (no such SKU, no location)."""
    body_object(response).objects("results")


def results_holding(*lists: str) -> Callable[[Response], None]:
    """``has_results``, and every row holds each of ``lists`` as a list of objects: a
    product row without its variants (``variants``; 2023-02-10: ``children``) would
    otherwise read as "no such SKU"."""

    def check(response: Response) -> None:
        for row in body_object(response).objects("results"):
            for name in lists:
                row.objects(name)

    return check


__all__ = [
    "answer_as",
    "body_object",
    "get",
    "has_results",
    "int_ref",
    "is_record",
    "patch",
    "post",
    "query",
    "read_one",
    "results_holding",
    "url",
]
