"""Cheap change detection: ``HEAD /{resource}`` and its ``Last-Modified``.

A HEAD that says "nothing changed" ends a listing (and a change feed's pass) at once, so it
must be the shop's own, current answer: it is sent with ``Cache-Control: no-cache`` (a
cache in front of the shop must ask the shop), and an answer a cache served anyway
(``Age`` above 0) proves nothing: the listing is read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from storebridge import validation
from storebridge.errors import APIError, ValidationError
from storebridge.kit import Flow, build_request

if TYPE_CHECKING:
    from storebridge_24nettbutikk._adapter import NettbutikkAdapter

RESOURCES = ("orders", "products", "customers")
_NO_HEAD = frozenset({400, 404, 405, 501})


def last_modified(adapter: NettbutikkAdapter, resource: str) -> Flow[datetime | None]:
    """When the shop last changed ``resource``, or None when it does not say."""
    if resource not in RESOURCES:
        raise ValidationError(
            f"resource must be one of {', '.join(RESOURCES)}, got {resource!r}", field="resource"
        )
    request = build_request(
        "HEAD", f"{adapter.api_root}/{resource}", operation=f"{resource}.head",
        headers={"Cache-Control": "no-cache"},
    )  # fmt: skip
    try:
        response = yield request
    except APIError as exc:
        if exc.status in _NO_HEAD:
            return None
        raise
    if _from_cache(response.headers.get("age")):
        return None
    return http_date(response.headers.get("last-modified"))


def changed_since(adapter: NettbutikkAdapter, resource: str, since: datetime) -> Flow[bool]:
    """False only when ``Last-Modified`` proves nothing in ``resource`` changed after ``since``.

    A second of slack: the header and the rows' ``modified_on`` are both whole seconds, and
    a server that cuts one and rounds the other shows the header a second behind a row.
    """
    since = validation.aware(since, "since")
    modified = yield from last_modified(adapter, resource)
    return modified is None or modified >= since.replace(microsecond=0) - _SLACK


_SLACK = timedelta(seconds=1)


def _from_cache(age: str | None) -> bool:
    """Whether an ``Age`` header says a cache served the answer (one it cannot read: yes)."""
    if age is None:
        return False
    text = age.strip()
    return not (text.isascii() and text.isdigit()) or int(text) > 0


def http_date(value: str | None) -> datetime | None:
    if not value or len(value) > 64:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


__all__ = ["RESOURCES", "changed_since", "http_date", "last_modified"]
