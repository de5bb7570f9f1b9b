"""What a page of a listing is, and the page strategies of the usual paging styles.

Page strategies answer ``read(request, response) -> Page``: the rows and the next request.
Next-page links must stay on the request's origin (:func:`same_origin`): credentials ride
along with every follow-up request. :mod:`storebridge.pagination` walks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from storebridge._http import URL, InvalidURL, Request, Response
from storebridge._json import read_json
from storebridge.errors import PayloadError
from storebridge.flow import derive_request

R = TypeVar("R")


@attrs.frozen
class Page(Generic[R]):
    """One page of a listing: its rows and the request for the next page (None: the end)."""

    rows: Sequence[R]
    next: Request | None
    offset: int | None = None
    """Where the first row stands in the listing, for offset paging (checks the overlap
    more closely: see ``walk(overlap=...)``); None when the platform does not say."""


class PageReader(Protocol[R]):
    def __call__(self, request: Request, response: Response, /) -> Page[R]: ...


class PageStrategy(Protocol):
    """How a platform pages: read one answer into its rows and the next request."""

    def read(self, request: Request, response: Response) -> Page[Any]: ...

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


def _joined(request: Request, link: str, where: str) -> URL:
    """``link`` resolved against the request's URL; PayloadError at ``where`` when it is no
    URL at all (a port that is not a number, a bracket left open): the answer is unreadable,
    not the listing's code broken."""
    try:
        return request.url.join(link)
    except (InvalidURL, ValueError, TypeError) as exc:
        raise PayloadError(f"next-page link is not a URL ({exc})", path=where) from None


def rows_at(body: Any, path: Sequence[str | int], *, platform: str | None = None) -> list[Any]:
    """The list at ``path`` in ``body`` (``()`` for a top-level list), else PayloadError."""
    node = body
    where = "$"
    for key in path:
        where += f"[{key}]" if isinstance(key, int) else f".{key}"
        if isinstance(key, int):
            ok = isinstance(node, list) and -len(node) <= key < len(node)
            node = node[key] if ok else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            raise PayloadError("expected a list of rows here, found nothing", path=where,
                               platform=platform)  # fmt: skip
    if not isinstance(node, list):
        raise PayloadError(
            f"expected a list of rows, got {type(node).__name__}", path=where, platform=platform
        )
    return node


@attrs.frozen
class BodyNextUrl:
    """Rows at ``rows`` and the next page URL at ``next`` in the JSON body."""

    rows: tuple[str | int, ...] = ("results",)
    next: tuple[str, ...] = ("next",)

    def next_url(self, body: Any) -> str | None:
        node = body
        for key in self.next:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        if node is None or node == "" or node == []:
            return None
        if not isinstance(node, str):
            raise PayloadError(
                f"next-page link must be a URL string, got {type(node).__name__}",
                path="$." + ".".join(self.next),
            )
        return node

    def next_request(self, request: Request, response: Response) -> Request | None:
        url = self.next_url(read_json(response))
        if url is None:
            return None
        where = "$." + ".".join(self.next)
        target = same_origin(request, _joined(request, url, where), where)
        return derive_request(request, str(target))

    def read(self, request: Request, response: Response) -> Page[Any]:
        return Page(rows_at(read_json(response), self.rows), self.next_request(request, response))


@attrs.frozen
class LinkHeader:
    """Rows at ``rows`` in the body; follow ``rel="next"`` in the Link header.

    Only ``keep_params`` of the next link's query are kept (None keeps them all). Header
    names are case-insensitive, so ``link`` and ``Link`` both work.
    """

    rows: tuple[str | int, ...] = ()
    keep_params: tuple[str, ...] | None = None

    def next_request(self, request: Request, response: Response) -> Request | None:
        url = response.links.get("next", {}).get("url")
        if not url:
            return None
        target = same_origin(request, _joined(request, url, "Link header"), "Link header")
        if self.keep_params is not None:
            params: list[tuple[str, str | int | float | bool | None]] = [
                (k, v) for k, v in target.params.multi_items() if k in self.keep_params
            ]
            target = target.copy_with(query=None).copy_merge_params(params)
        return derive_request(request, str(target))

    def read(self, request: Request, response: Response) -> Page[Any]:
        return Page(rows_at(read_json(response), self.rows), self.next_request(request, response))


def parse_link_header(value: str) -> dict[str, str]:
    """``rel -> url`` from an RFC 8288 Link header value (see ``Response.links``)."""
    response = Response(200, headers={"link": value})
    return {str(rel): link["url"] for rel, link in response.links.items() if rel and "url" in link}
