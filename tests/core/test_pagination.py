"""The paging walk: every record exactly once, or an error; never a short listing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storebridge import NotFound, PayloadError, Store
from storebridge.errors import PaginationError
from storebridge.flow import (
    Emit,
    ListFlow,
    build_request,
    drive,
    expand_pages,
    just,
    merge_parallel,
    unique_items,
)
from storebridge.http import Request, Response
from storebridge.pagination import (
    BodyNextUrl,
    LinkHeader,
    Page,
    paginate,
    parse_link_header,
    time_windows,
    walk,
)
from storebridge.testing import FakeTime, FaultTransport
from tests.support.toy import ToyAdapter, ToyEmulator


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


def _pages(total: int = 7, size: int = 3) -> Callable[[Request], Response]:
    def respond(request: Request) -> Response:
        offset = int(request.url.params.get("offset", "0"))
        rows = [{"id": i} for i in range(offset, min(offset + size, total))]
        nxt = f"https://x.example/r?offset={offset + size}" if offset + size < total else None
        return Response(200, json={"results": rows, "next": nxt}, request=request)

    return respond


def _first(url: str = "https://x.example/r") -> Request:
    return build_request("GET", url, operation="r.list")


def _row_id(row: dict[str, Any]) -> object:
    return row["id"]


def _ids(items: list[Any]) -> list[int]:
    return [row["id"] for row in items]


def test_walk_body_next_until_null() -> None:
    rows = walk(_first(), BodyNextUrl(), resource="r", platform="x", key=_row_id)
    _, items = drive(rows, _pages())
    assert _ids(items) == list(range(7))


def test_paginate_keeps_working_with_an_items_function() -> None:
    flow: ListFlow[int] = paginate(
        _first(), BodyNextUrl(), lambda r: [row["id"] for row in r.json()["results"]]
    )
    _, items = drive(flow, _pages())
    assert items == list(range(7))


def test_nested_next_empty_list_ends() -> None:
    assert BodyNextUrl(next=("paging", "next")).next_url({"paging": []}) is None
    assert BodyNextUrl(next=("paging", "next")).next_url({"data": []}) is None
    assert BodyNextUrl(next=("paging", "next")).next_url({"paging": {"next": "u"}}) == "u"


def test_a_record_that_moves_between_pages_is_yielded_once() -> None:
    def respond(request: Request) -> Response:
        offset = int(request.url.params.get("offset", "0"))
        # Record 2 was modified while we read and moved from page 1 to page 2.
        rows = [[1, 2, 3], [2, 4, 5], [6]][offset // 3]
        nxt = f"https://x.example/r?offset={offset + 3}" if offset < 6 else None
        return Response(200, json={"results": [{"id": i} for i in rows], "next": nxt})

    _, items = drive(walk(_first(), BodyNextUrl(), resource="r", platform="x",
                          key=_row_id), respond)  # fmt: skip
    assert _ids(items) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    "stale",
    [
        pytest.param(lambda offset: offset, id="next-link-points-at-itself"),
        pytest.param(lambda offset: offset - 3, id="next-link-points-back"),
    ],
)
def test_a_page_that_does_not_move_forward_raises_instead_of_ending(
    stale: Callable[[int], int],
) -> None:
    def respond(request: Request) -> Response:
        offset = int(request.url.params.get("offset", "0"))
        nxt = offset + 3 if offset < 3 else stale(offset)
        rows = [{"id": offset + i} for i in range(3)]
        return Response(200, json={"results": rows, "next": f"https://x.example/r?offset={nxt}"})

    first = _first("https://x.example/r?offset=0")
    rows = walk(first, BodyNextUrl(), resource="orders", platform="X", key=_row_id)
    with pytest.raises(PaginationError, match=r"X: orders: page 2 .* does not move") as caught:
        drive(rows, respond)
    assert caught.value.resource == "orders"
    assert caught.value.page is not None and "offset=3" in caught.value.page


def test_a_page_repeating_only_seen_rows_raises_when_it_points_onward() -> None:
    def respond(request: Request) -> Response:
        offset = int(request.url.params.get("offset", "0"))
        rows = [{"id": i} for i in range(3)]  # every page answers page 1's rows
        nxt = f"https://x.example/r?offset={offset + 3}"
        return Response(200, json={"results": rows, "next": nxt})

    rows = walk(_first(), BodyNextUrl(), resource="r", platform="x", key=_row_id)
    with pytest.raises(PaginationError, match="repeats rows already read"):
        drive(rows, respond)


def test_count_shortfall_raises_and_a_full_listing_passes() -> None:
    def counting(n: int) -> Callable[[], Any]:
        def count() -> Any:
            return n
            yield  # pragma: no cover

        return count

    full = walk(_first(), BodyNextUrl(), resource="r", platform="x", key=_row_id,
                count=counting(7))  # fmt: skip
    assert len(drive(full, _pages())[1]) == 7
    short = walk(_first(), BodyNextUrl(), resource="orders", platform="x", key=_row_id,
                 count=counting(9))  # fmt: skip
    with pytest.raises(PaginationError, match="ended after 7 records but the platform counts 9"):
        drive(short, _pages())


def test_read_ahead_fetches_offsets_in_batches_and_trusts_the_next_link() -> None:
    sent: list[str] = []

    def respond(request: Request) -> Response:
        sent.append(str(request.url))
        offset = int(request.url.params["offset"])
        # The platform caps pages at 2 rows although 3 were asked for: its next link says so.
        rows = [{"id": i} for i in range(offset, min(offset + 2, 9))]
        nxt = f"https://x.example/r?offset={offset + 2}" if offset + 2 < 9 else None
        return Response(200, json={"results": rows, "next": nxt})

    def ahead(request: Request, k: int) -> Request:
        offset = int(request.url.params["offset"])
        return build_request("GET", f"https://x.example/r?offset={offset + 3 * k}",
                             operation="r.list")  # fmt: skip

    rows = walk(_first("https://x.example/r?offset=0"), BodyNextUrl(), resource="r",
                platform="x", key=_row_id, ahead=ahead)  # fmt: skip
    _, items = drive(rows, respond, concurrency=4)
    assert _ids(items) == list(range(9))
    assert len(sent) > 5  # read ahead happened; wrong guesses were dropped, not trusted


def test_read_ahead_asks_again_for_a_stale_page_inside_a_batch() -> None:
    answered: dict[int, int] = {}

    def respond(request: Request) -> Response:
        offset = int(request.url.params["offset"])
        answered[offset] = answered.get(offset, 0) + 1
        shown = offset - 3 if offset == 6 and answered[offset] == 1 else offset  # stale once
        rows = [{"id": i} for i in range(shown, min(shown + 3, 12))]
        nxt = f"https://x.example/r?offset={shown + 3}" if shown + 3 < 12 else None
        return Response(200, json={"results": rows, "next": nxt})

    def ahead(request: Request, k: int) -> Request:
        offset = int(request.url.params["offset"])
        return build_request("GET", f"https://x.example/r?offset={offset + 3 * k}",
                             operation="r.list")  # fmt: skip

    rows = walk(_first("https://x.example/r?offset=0"), BodyNextUrl(), resource="r",
                platform="x", key=_row_id, ahead=ahead)  # fmt: skip
    _, items = drive(rows, respond, concurrency=4)
    assert _ids(items) == list(range(12))
    assert answered[6] == 2


def test_404_means_empty_only_when_asked() -> None:
    def respond(request: Request) -> Response:
        return Response(404, json={"detail": "no rows"})

    assert drive(walk(_first(), BodyNextUrl(), resource="r", platform="x", empty_on_404=True),
                 respond)[1] == []  # fmt: skip
    with pytest.raises(NotFound):
        drive(walk(_first(), BodyNextUrl(), resource="r", platform="x"), respond)


def _overlapping(
    rows: int, gone_from: int
) -> tuple[Callable[[Request, Response], Page[Any]], Callable[[Request], Response]]:
    """Offset pages of 3 that start a row before the page before them ended (overlap 1) over
    ``rows`` rows, and a server that answers 404 from offset ``gone_from`` on."""

    def read(request: Request, response: Response) -> Page[Any]:
        offset = int(request.url.params["offset"])
        found = response.json()["rows"]
        following = offset + len(found) - 1
        more = offset + 3 < rows and len(found) == 3
        nxt = _first(f"https://x.example/r?offset={following}") if more else None
        return Page(found, nxt, offset)

    def respond(request: Request) -> Response:
        offset = int(request.url.params["offset"])
        if offset >= gone_from:
            return Response(404, json={})
        return Response(
            200, json={"rows": [{"id": i} for i in range(offset, min(offset + 3, rows))]}
        )

    return read, respond


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_404_where_a_page_had_to_repeat_rows_is_an_error_not_the_end(concurrency: int) -> None:
    """With overlap, a page starts inside the page before it, so it can only be past the end
    when the list shrank meanwhile, and rows behind may have slid onto pages read."""
    read, respond = _overlapping(rows=12, gone_from=4)

    def ahead(request: Request, k: int) -> Request:
        return _first(f"https://x.example/r?offset={int(request.url.params['offset']) + 2 * k}")

    rows = walk(_first("https://x.example/r?offset=0"), read, resource="r", platform="x",
                key=_row_id, empty_on_404=True, overlap=1,
                ahead=ahead if concurrency > 1 else None)  # fmt: skip
    with pytest.raises(PaginationError, match="answered 404 where it had to repeat"):
        drive(rows, respond, concurrency=concurrency)
    # A 404 at once is still an empty list.
    read, respond = _overlapping(rows=12, gone_from=0)
    first = walk(_first("https://x.example/r?offset=0"), read, resource="r", platform="x",
                 key=_row_id, empty_on_404=True, overlap=1)  # fmt: skip
    assert drive(first, respond)[1] == []


def _not_found_is_empty(inner: ListFlow[Any]) -> ListFlow[Any]:
    try:
        yield from inner
    except NotFound:
        yield Emit(["handled"])


def _gone(request: Request) -> Response:
    return Response(404, json={})


@pytest.mark.parametrize(
    "combine",
    [
        pytest.param(lambda f: unique_items(f, key=str), id="unique_items"),
        pytest.param(lambda f: expand_pages(f, lambda page: just(list(page))), id="expand_pages"),
        pytest.param(lambda f: merge_parallel([f], key=str), id="merge_parallel-key"),
        pytest.param(lambda f: merge_parallel([f]), id="merge_parallel"),
    ],
)
def test_every_combinator_forwards_thrown_errors_to_the_inner_flow(
    combine: Callable[[ListFlow[Any]], ListFlow[Any]],
) -> None:
    inner = _not_found_is_empty(walk(_first(), BodyNextUrl(), resource="r", platform="x"))
    _, items = drive(combine(inner), _gone)
    assert items == ["handled"]


def test_time_windows_cover_range_and_merge_parallel_reads_all() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    windows = time_windows(start, start + timedelta(days=10), 4)
    assert windows[0][0] == start and windows[-1][1] == start + timedelta(days=10)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))

    def flow(n: int) -> ListFlow[Any]:
        first = _first(f"https://x.example/r?slice={n}")
        rows = walk(first, BodyNextUrl(), resource="r", platform="x", key=_row_id)
        return expand_pages(rows, lambda page: just([(n, r["id"]) for r in page]))

    _, items = drive(merge_parallel([flow(n) for n in range(3)]), _pages())
    assert sorted(items) == sorted((n, i) for n in range(3) for i in range(7))


def test_next_links_to_another_origin_are_refused() -> None:
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


def test_a_page_reader_of_the_wrong_shape_is_a_payload_error_with_a_path() -> None:
    def respond(request: Request) -> Response:
        return Response(200, json={"results": {"id": 1}})

    with pytest.raises(PayloadError, match=r"at \$\.results"):
        drive(walk(_first(), BodyNextUrl(), resource="r", platform="x"), respond)


def test_page_reader_functions_are_accepted() -> None:
    def read(request: Request, response: Response) -> Page[int]:
        return Page([1, 2], None)

    assert drive(walk(_first(), read, resource="r", platform="x"), _pages())[1] == [1, 2]


# Through the facade: the same guarantees with retries, under the fault layer -------------


def _toy_store(emulator: ToyEmulator, transport: Any, time: FakeTime) -> Store:
    adapter = ToyAdapter.from_settings(base_url="https://toy.example", token=emulator.token)
    return Store(adapter, options=time.options(), transport=transport)


@pytest.mark.parametrize("kind", ["stale_page", "truncated", "malformed", "html_200",
                                  "wrong_shape", "server_error", "reset_before"])  # fmt: skip
def test_one_bad_answer_per_page_is_asked_again_and_the_listing_is_exact(kind: str) -> None:
    emulator = ToyEmulator(orders=11)
    # A fault on every second request: each page meets it at most once before it is read.
    faulty = FaultTransport(emulator.transport(), script=lambda n, r: kind if n % 2 == 0 else None)
    with _toy_store(emulator, faulty, FakeTime()) as store:
        refs = [o.ref for o in store.orders.list()]
    assert refs == [str(i) for i in range(1, 12)]
    assert faulty.injected[kind] >= 1


def test_a_persistently_stale_page_raises_pagination_error_not_a_short_listing() -> None:
    emulator = ToyEmulator(orders=9)
    faulty = FaultTransport(emulator.transport(), seed=1, rate=1.0, kinds=("stale_page",))
    with _toy_store(emulator, faulty, FakeTime()) as store:
        seen: list[str] = []
        with pytest.raises(PaginationError, match="does not move the listing forward"):
            seen.extend(o.ref for o in store.orders.list())
    # Pages 1 and 2 were fine (page 2 is the first with an earlier page to be confused
    # with); nothing past them was accepted, and the error said so.
    assert seen == ["1", "2", "3", "4"]


def test_a_persistently_unreadable_page_raises_payload_error_after_the_retry_budget() -> None:
    emulator = ToyEmulator(orders=3)
    faulty = FaultTransport(emulator.transport(), seed=1, rate=1.0, kinds=("truncated",))
    time = FakeTime()
    with _toy_store(emulator, faulty, time) as store, pytest.raises(PayloadError, match=r"\$"):
        list(store.orders.list())
    assert faulty.requests == 4  # the first try and three retries
    assert len(time.sleeps) == 3
