"""Reusable page strategies: how to get from one page's response to the next request.

Each strategy answers ``next_request(request, response) -> Request | None``; :func:`paginate`
walks pages with any of them and emits each page's items:

* :class:`BodyNextUrl`   - the next page's URL sits in the body (DRF cursor ``next``, or a
  nested ``paging.next``); ``None``, a missing key or an empty value ends the walk.
* :class:`LinkHeader`    - RFC 8288 ``Link`` header with ``rel="next"`` (Shopify-style
  ``page_info`` cursors); follow-ups keep only the query parameters the platform honours.
* :class:`PathOffsetLimit` - ``.../{limit}/{offset}[/{since}[/{until}]]`` path segments.
* :func:`time_windows`   - split a time range into slices so a cursor API can be read in
  parallel (combine with :func:`storebridge.flow.merge_parallel`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import attrs

from storebridge._http import URL, Request, Response
from storebridge.errors import NotFound, PayloadError
from storebridge.flow import Emit, ListFlow, derive_request

T = TypeVar("T")


class PageStrategy(Protocol):
    def next_request(self, request: Request, response: Response) -> Request | None: ...


def same_origin(request: Request, url: URL, where: str) -> URL:
    """``url`` if it has the request's scheme, host and port; else PayloadError.

    Auth rides along with every follow-up request, so a next-page link pointing at another
    host (or downgrading to plain http) is refused rather than followed.
    """
    origin = (request.url.scheme, request.url.host, request.url.port)
    if (url.scheme, url.host, url.port) != origin:
        raise PayloadError(
            f"next-page link {url.scheme}://{url.host} leaves the store's origin "
            f"{request.url.scheme}://{request.url.host}; refusing to send credentials there",
            path=where,
        )
    return url


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PayloadError(f"response is not JSON ({exc})", path="$") from exc


@attrs.frozen
class BodyNextUrl:
    """Next page URL in the JSON body at ``path`` (e.g. ``("next",)`` or ``("paging", "next")``)."""

    path: tuple[str, ...] = ("next",)

    def next_url(self, body: Any) -> str | None:
        node = body
        for key in self.path:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        if node is None or node == "" or node == []:
            return None
        if not isinstance(node, str):
            raise PayloadError(
                f"next-page link must be a URL string, got {type(node).__name__}",
                path="$." + ".".join(self.path),
            )
        return node

    def next_request(self, request: Request, response: Response) -> Request | None:
        url = self.next_url(_json(response))
        if url is None:
            return None
        target = same_origin(request, request.url.join(url), "$." + ".".join(self.path))
        return derive_request(request, str(target))


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def parse_link_header(value: str) -> dict[str, str]:
    """``rel -> url`` from an RFC 8288 Link header value."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(value):
        url, params = match.group(1), match.group(2)
        for param in params.split(";"):
            key, _, val = param.strip().partition("=")
            if key.strip().lower() == "rel":
                for rel in val.strip().strip('"').split():
                    links[rel.lower()] = url
    return links


@attrs.frozen
class LinkHeader:
    """Follow ``rel="next"`` in the Link header; keep only ``keep_params`` from its URL.

    Header names are case-insensitive, so ``link`` and ``Link`` both work.
    """

    keep_params: tuple[str, ...] | None = None

    def next_request(self, request: Request, response: Response) -> Request | None:
        header = response.headers.get("link")
        if not header:
            return None
        url = parse_link_header(header).get("next")
        if not url:
            return None
        target = same_origin(request, request.url.join(url), "Link header")
        if self.keep_params is not None:
            params: list[tuple[str, str | int | float | bool | None]] = [
                (k, v) for k, v in target.params.multi_items() if k in self.keep_params
            ]
            target = target.copy_with(query=None).copy_merge_params(params)
        return derive_request(request, str(target))


@attrs.frozen
class PathOffsetLimit:
    """``{root}/{limit}/{offset}[/{since}[/{until}]]`` paths, next page from the body.

    The platform's own next link (at ``next_path``) wins when present; when the platform
    gives none and a page came back full, the offset is advanced by ``limit``, when
    ``advance_on_full_page`` is set.
    """

    root: str
    limit: int
    next_path: tuple[str, ...] = ("paging", "next")
    advance_on_full_page: bool = False

    def url(self, offset: int, since: int | None = None, until: int | None = None) -> str:
        parts = [self.root.rstrip("/"), str(self.limit), str(offset)]
        if since is not None or until is not None:
            parts.append(str(since if since is not None else 0))
        if until is not None:
            parts.append(str(until))
        return "/".join(parts)

    def next_request(self, request: Request, response: Response) -> Request | None:
        body = _json(response)
        url = BodyNextUrl(self.next_path).next_url(body)
        if url is not None:
            target = same_origin(request, request.url.join(url), "$." + ".".join(self.next_path))
            return derive_request(request, str(target))
        return None


def paginate(
    first: Request,
    strategy: PageStrategy,
    items: Callable[[Response], Sequence[T]],
    *,
    empty_on_404: bool = False,
    max_pages: int | None = None,
) -> ListFlow[T]:
    """Walk every page from ``first``, emitting ``items(response)`` for each.

    ``empty_on_404`` treats a 404 as "no (more) rows", for platforms that answer an empty
    list that way. A page whose next request repeats the current URL stops the walk rather
    than looping forever.
    """
    request: Request | None = first
    seen: set[URL] = set()
    pages = 0
    while request is not None:
        seen.add(request.url)
        try:
            response: Response = yield request
        except NotFound:
            if empty_on_404:
                return
            raise
        page = items(response)
        if page:
            yield Emit(page)
        pages += 1
        if max_pages is not None and pages >= max_pages:
            return
        request = strategy.next_request(request, response)
        if request is not None and request.url in seen:
            return


def time_windows(start: datetime, end: datetime, slices: int) -> list[tuple[datetime, datetime]]:
    """Split ``[start, end)`` into ``slices`` contiguous windows of equal length."""
    if slices < 1:
        raise ValueError("slices must be at least 1")
    if end <= start:
        return [(start, end)]
    step = (end - start) / slices
    bounds = [start + step * i for i in range(slices)] + [end]
    return [(bounds[i], bounds[i + 1]) for i in range(slices)]


def day_windows(
    start: datetime, end: datetime, days: int = 1
) -> Iterable[tuple[datetime, datetime]]:
    """Windows of ``days`` days covering ``[start, end)``."""
    cursor = start
    while cursor < end:
        nxt = min(cursor + timedelta(days=days), end)
        yield cursor, nxt
        cursor = nxt


__all__ = [
    "BodyNextUrl",
    "LinkHeader",
    "PageStrategy",
    "PathOffsetLimit",
    "day_windows",
    "paginate",
    "parse_link_header",
    "time_windows",
]
