"""Path pagination: ``/api/v1/{resource}/{limit}/{offset}[/{since}[/{until}]]``.

The shop's ``paging.next`` link is the authority on where the next page is, but only its
path segments are used: the request itself is rebuilt on the configured base URL. A link
pointing at another host, or at ``http://`` behind a TLS-terminating proxy, would otherwise
carry the token somewhere it must not go; links also repeat ``access_token`` and drop
``flat``, which the rebuilt request fixes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from storebridge.errors import PayloadError, StorebridgeError
from storebridge.flow import Emit, Flow, ListFlow
from storebridge.http import URL
from storebridge_24nettbutikk._local_time import readings
from storebridge_24nettbutikk._wire import PLATFORM

R = TypeVar("R")
T = TypeVar("T")

API_PATH = "/api/v1"


def page_url(
    api_root: str,
    resource: str,
    limit: int,
    offset: int,
    since: int | None = None,
    until: int | None = None,
    params: Mapping[str, str] | None = None,
) -> str:
    parts = [f"{api_root}/{resource}", str(limit), str(offset)]
    if since is not None or until is not None:
        # The path is positional: an until needs a since before it; 0 means "from the start".
        parts.append(str(max(0, since or 0)))
    if until is not None:
        parts.append(str(max(0, until)))
    url = URL("/".join(parts))
    return str(url.copy_merge_params(dict(params)) if params else url)


def link_segments(link: str, resource: str) -> tuple[int, ...]:
    """The numeric ``limit/offset[/since[/until]]`` segments of a paging link."""
    path = URL(link).path
    marker = f"/{resource}/"
    at = path.rfind(marker)
    segments = [s for s in path[at + len(marker) :].split("/") if s] if at >= 0 else []
    if not 2 <= len(segments) <= 4 or not all(s.isdigit() for s in segments):
        raise PayloadError(
            f"paging link {URL(link).copy_with(query=None)} is not .../{resource}/limit/offset",
            path="$.paging.next",
            platform=PLATFORM,
        )
    return tuple(int(s) for s in segments)


@attrs.frozen
class Window:
    """``updated_since`` / ``updated_until`` as the user asked, checked on ``modified_on``."""

    since: datetime | None = None
    until: datetime | None = None

    def contains(self, modified_on: str | None, zone: ZoneInfo) -> bool:
        if modified_on is None or (self.since is None and self.until is None):
            return True
        try:
            earliest, latest = readings(modified_on, zone)
        except ValueError:
            return True  # an unreadable time cannot prove the row is outside the window
        # modified_on has whole seconds, so a since with microseconds starts at its second.
        if self.since is not None and latest < self.since.replace(microsecond=0):
            return False
        return not (self.until is not None and earliest > self.until)


def expand_pages(
    source: ListFlow[R], expand: Callable[[Sequence[R]], Flow[Sequence[T]]]
) -> ListFlow[T]:
    """A list flow whose pages pass through ``expand``, a flow that may send requests itself.

    Used to join each page of orders with its customers in one batch before emitting it.
    Errors the facade throws in while ``source`` waits for a response are handed to it.
    """
    value: Any = None
    error: StorebridgeError | None = None
    try:
        while True:
            try:
                step = source.throw(error) if error is not None else source.send(value)
            except StopIteration:
                return
            value, error = None, None
            if isinstance(step, Emit):
                items = yield from expand(step.items)
                if items:
                    yield Emit(items)
                continue
            try:
                value = yield step
            except StorebridgeError as exc:
                error = exc
    finally:
        source.close()
