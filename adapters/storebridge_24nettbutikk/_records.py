"""Single records by key: ``GET /{resource}/{ref}`` and the check that the answer is it.

The ref goes into the path as exactly one escaped segment (``kit.segment``), so ``"?x=1"``
or ``"A/../B"`` can never address another record. The answer is checked before it is used:
every row must carry the key asked for. A stale cache answering with another record's row
is then an unreadable answer, asked again like a 5xx, instead of a wrong record returned.
"""

from __future__ import annotations

from collections.abc import Mapping

from storebridge.errors import NotFound, PayloadError
from storebridge.http import Request, Response
from storebridge.kit import Adapter, Payload, build_request, error_from_response, segment
from storebridge_24nettbutikk._bodies import PLATFORM, body_json, data_payloads
from storebridge_24nettbutikk._paging import KEYS


def record_request(
    api_root: str,
    resource: str,
    ref: str,
    *,
    operation: str,
    field: str = "ref",
    params: Mapping[str, str] | None = None,
) -> Request:
    """``GET /{resource}/{ref}``, answered only by rows whose key is ``ref``."""
    key = KEYS[resource]
    path = segment(ref, field)

    def check(response: Response) -> None:
        record_rows(response, key, ref)

    # The query is written out here (its values are this module's own, plain ASCII): the
    # URL is then parsed once, not again to merge parameters.
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return build_request(
        "GET",
        f"{api_root}/{resource}/{path}{query}",
        operation=operation,
        expect_json=False,
        check=check,
    )


def record_rows(response: Response, key: str, ref: str) -> list[Payload]:
    """The rows of a single-record answer; PayloadError when one is not the record ``ref``."""
    rows = data_payloads(body_json(response))
    for row in rows:
        found = row.ref(key)
        if found != ref:
            raise PayloadError(
                f"the answer is another record ({key} {found!r}), not the one asked for",
                path=f"{row.path}.{key}",
                platform=PLATFORM,
            )
    return rows


def require_rows(
    adapter: Adapter, rows: list[Payload], response: Response, what: str
) -> list[Payload]:
    """``rows``, or NotFound when the shop answered 200 with none."""
    if not rows:
        raise error_from_response(adapter, response, message=f"{what} not found", cls=NotFound)
    return rows


def join_ref(row: Payload, key: str) -> str | None:
    """A ref a row points at (``customer_id``...), None when blank or ``0``.

    A value that could not be a path segment (``/``, ``..``, 70,000 digits) is a bad
    payload, reported at its path, never sent.
    """
    value = row.data.get(key)
    if value is None or value == "" or value == "0" or value == 0:
        return None
    ref = row.ref(key).strip()
    return None if ref in ("", "0") else path_ref(row, key, ref)


def path_ref(row: Payload, key: str, ref: str | None = None) -> str:
    """A row's key that is about to go into a URL path; PayloadError at its path when it
    could not be one path segment (``/``, ``..``)."""
    ref = row.ref(key) if ref is None else ref  # not blank, not too long, printable
    if "/" in ref or ref in (".", ".."):
        row.fail(f"expected a record key, got {ref[:40]!r}", key)
    return ref


__all__ = ["join_ref", "path_ref", "record_request", "record_rows", "require_rows"]
