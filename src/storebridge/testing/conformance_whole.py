"""Conformance: a listing returns its whole sandbox, and a row it cannot read is an error.

:func:`~storebridge.testing.conformance.check_listings_under_faults` compares faulty reads
with the adapter's own fault-free read, so a listing wrong the same way every time agrees
with itself. These checks hold each listing to what its sandbox was seeded with instead:

* every listing returns exactly as many records as the sandbox was asked for, without
  repeats, at several page sizes: a walk that stops after its first page, drops its last
  one, or ends at a short page is caught wherever its pages happen to end;
* with a row that is not a record on every page (the ``bad_row`` fault on every answer
  holding records), the listing raises a PayloadError: it can never come back whole, and
  coming back shorter is what a converter that skips what it cannot read does;
* with every link to the store pointed at another origin (``foreign_next``), the listing
  sends nothing there (its credentials would go along) and comes back whole (an adapter
  building its own page URLs) or raises: never shorter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from storebridge import _http
from storebridge.adapter import Adapter
from storebridge.errors import PayloadError, StorebridgeError
from storebridge.testing.conformance_support import SANDBOX_URL, SIZES, sandbox_store
from storebridge.testing.faults import ELSEWHERE, FaultTransport

PAGE_SIZES: tuple[int | None, ...] = (None, 1, 3, 10)
"""The default, and sizes that make several pages of every listing."""


def _read(
    adapter_cls: type[Adapter],
    resource: str,
    page_size: int | None,
    wrap: Callable[[Any], Any] | None = None,
) -> list[str]:
    """The refs ``resource``'s listing returns from a freshly seeded sandbox, its requests
    going through ``wrap(the sandbox's transport)`` when given."""
    connected, _, _ = sandbox_store(adapter_cls, SIZES, wrap)
    with connected as store:
        listing = getattr(store, resource).list
        items = list(listing() if page_size is None else listing(page_size=page_size))
    return [str(item.ref) for item in items]


def _every_get(_n: int, request: _http.Request) -> str | None:
    return "bad_row" if request.method == "GET" else None


def check_listings_whole(adapter_cls: type[Adapter]) -> dict[str, int]:
    """Every listing returns all its sandbox's records at every page size, and a bad row is
    an error; returns how many records each listing returned."""
    settings = adapter_cls.sandbox(orders=0).settings(SANDBOX_URL)
    capabilities = adapter_cls.from_settings(**settings).capabilities
    counts: dict[str, int] = {}
    for resource, seeded in SIZES.items():
        if f"{resource}.list" not in capabilities:
            continue
        for page_size in PAGE_SIZES:
            refs = _read(adapter_cls, resource, page_size)
            pages = "the default page size" if page_size is None else f"page_size={page_size}"
            doubled = sorted(ref for ref, n in Counter(refs).items() if n > 1)
            if len(set(refs)) != seeded or doubled:
                raise AssertionError(
                    f"{resource}.list with {pages} returned {len(set(refs))} different "
                    f"{resource} (repeated: {doubled}) of the {seeded} its sandbox was seeded "
                    "with: is every page read, the next link followed to the last page, and "
                    "that page kept? (a sandbox must seed exactly the sizes it is asked for)"
                )
        whole = set(refs)
        _check_bad_rows(adapter_cls, resource, whole)
        _check_foreign_links(adapter_cls, resource, whole)
        counts[resource] = seeded
    return counts


def _check_bad_rows(adapter_cls: type[Adapter], resource: str, whole: set[str]) -> None:
    faults: list[FaultTransport] = []

    def bad_rows(inner: Any) -> FaultTransport:
        faults.append(FaultTransport(inner, script=_every_get))
        return faults[0]

    try:
        got: list[str] | None = _read(adapter_cls, resource, 3, bad_rows)
    except PayloadError:
        got = None  # the rows were refused: the outcome wanted
    if faults[0].bad_rows == 0:
        raise AssertionError(
            f"{resource}.list: no answer held a list of records the kit could make "
            "unreadable (a JSON array of objects, at most three levels down)"
        )
    if got is not None:
        raise AssertionError(
            f"{resource}.list came back with {len(set(got))} of its {len(whole)} {resource} "
            f"when every page held a row that is not a record (lost "
            f"{sorted(whole - set(got))}): a row that cannot be read must raise a "
            "PayloadError, never be skipped"
        )


class _Origins(_http.BaseTransport):
    """``inner``, noting every origin a request goes to."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.origins: set[str] = set()

    def handle_request(self, request: _http.Request) -> _http.Response:
        self.origins.add(f"{request.url.scheme}://{request.url.netloc.decode('ascii')}")
        response: _http.Response = self.inner.handle_request(request)
        return response


def _check_foreign_links(adapter_cls: type[Adapter], resource: str, whole: set[str]) -> None:
    seen: list[_Origins] = []

    def foreign_links(inner: Any) -> FaultTransport:
        seen.append(_Origins(inner))
        return FaultTransport(seen[0], script=_every_get_foreign)

    try:
        got: list[str] | None = _read(adapter_cls, resource, 3, foreign_links)
    except StorebridgeError:
        got = None  # refused: fine, as long as nothing went elsewhere
    if ELSEWHERE in seen[0].origins:
        raise AssertionError(
            f"{resource}.list followed a next link to {ELSEWHERE}, another origin than the "
            "store's, with its credentials: check every link stays on the store's origin "
            "(kit.same_origin, or walk() with a PageReader, does)"
        )
    if got is not None and set(got) != whole:
        raise AssertionError(
            f"{resource}.list came back with {len(set(got))} of its {len(whole)} {resource} "
            "when its next links pointed at another origin: a link it cannot follow must "
            "raise, never end the listing"
        )


def _every_get_foreign(_n: int, request: _http.Request) -> str | None:
    return "foreign_next" if request.method == "GET" else None


__all__ = ["PAGE_SIZES", "SIZES", "check_listings_whole"]
