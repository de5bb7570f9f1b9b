"""Page strategies."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from storebridge.flow import Emit, build_request, drive, merge_parallel
from storebridge.http import Request, Response
from storebridge.pagination import (
    BodyNextUrl,
    LinkHeader,
    PathOffsetLimit,
    paginate,
    parse_link_header,
    time_windows,
)


def test_link_header_parsing_any_rel_order() -> None:
    value = (
        '<https://s.example/o.json?limit=2&page_info=abc>; rel="previous", '
        '<https://s.example/o.json?limit=2&page_info=def>; rel="next"'
    )
    links = parse_link_header(value)
    assert links["next"].endswith("page_info=def")
    assert links["previous"].endswith("page_info=abc")


def test_link_header_follow_up_keeps_only_allowed_params() -> None:
    first = build_request(
        "GET", "https://s.example/o.json", operation="orders.list",
        params={"status": "open", "limit": 2},
    )  # fmt: skip
    response = Response(
        200,
        headers={"LINK": '<https://s.example/o.json?limit=2&page_info=p2&status=open>; rel="next"'},
        request=first,
    )
    nxt = LinkHeader(keep_params=("page_info", "limit", "fields")).next_request(first, response)
    assert nxt is not None
    assert dict(nxt.url.params) == {"limit": "2", "page_info": "p2"}


def _pages(request: Request) -> Response:
    offset = int(request.url.params.get("offset", "0"))
    rows = list(range(offset, min(offset + 3, 7)))
    nxt = f"https://x.example/r?offset={offset + 3}" if offset + 3 < 7 else None
    return Response(200, json={"results": rows, "next": nxt}, request=request)


def test_paginate_body_next_until_null() -> None:
    first = build_request("GET", "https://x.example/r", operation="r.list")
    _, items = drive(paginate(first, BodyNextUrl(), lambda r: r.json()["results"]), _pages)
    assert items == list(range(7))


def test_nested_next_empty_list_ends() -> None:
    assert BodyNextUrl(("paging", "next")).next_url({"paging": []}) is None
    assert BodyNextUrl(("paging", "next")).next_url({"data": []}) is None
    assert BodyNextUrl(("paging", "next")).next_url({"paging": {"next": "u"}}) == "u"


def test_path_offset_limit_urls() -> None:
    s = PathOffsetLimit(root="https://shop.example/api/v1/orders", limit=100)
    assert s.url(0) == "https://shop.example/api/v1/orders/100/0"
    assert s.url(200, since=1415790957) == "https://shop.example/api/v1/orders/100/200/1415790957"
    assert s.url(0, since=5, until=9).endswith("/100/0/5/9")


def test_time_windows_cover_range_and_merge_parallel_reads_all() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    windows = time_windows(start, start + timedelta(days=10), 4)
    assert windows[0][0] == start and windows[-1][1] == start + timedelta(days=10)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))

    def flow(n: int) -> object:
        first = build_request("GET", f"https://x.example/r?slice={n}", operation="r.list")
        return paginate(first, BodyNextUrl(), lambda r: [(n, i) for i in r.json()["results"]])

    batches: list[int] = []

    def respond(request: Request) -> Response:
        batches.append(1)
        return _pages(request)

    merged = merge_parallel([flow(n) for n in range(3)])  # type: ignore[misc]
    _, items = drive(merged, respond)
    assert sorted(items) == sorted((n, i) for n in range(3) for i in range(7))
    assert isinstance(Emit(items), Emit)


def test_next_links_to_another_origin_are_refused() -> None:
    import pytest

    from storebridge import PayloadError

    first = build_request("GET", "https://shop.example/o.json", operation="orders.list")
    for header in (
        '<http://shop.example/o.json?page_info=x>; rel="next"',  # downgrade to http
        '<https://evil.example/o.json?page_info=x>; rel="next"',  # another host
        '<https://shop.example:8443/o.json?page_info=x>; rel="next"',  # another port
    ):
        response = Response(200, headers={"link": header}, request=first)
        with pytest.raises(PayloadError, match="refusing to send credentials"):
            LinkHeader().next_request(first, response)
    body = Response(200, json={"next": "https://evil.example/r?cursor=2"}, request=first)
    with pytest.raises(PayloadError, match="leaves the store's origin"):
        BodyNextUrl().next_request(first, body)
    relative = Response(200, json={"next": "/o.json?cursor=2"}, request=first)
    nxt = BodyNextUrl().next_request(first, relative)
    assert nxt is not None and str(nxt.url) == "https://shop.example/o.json?cursor=2"
