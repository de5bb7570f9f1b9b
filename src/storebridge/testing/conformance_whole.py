"""Conformance: a listing returns its whole sandbox, and a row it cannot read is an error.

:func:`~storebridge.testing.conformance.check_listings_under_faults` compares faulty reads
with the adapter's own fault-free read, so a listing wrong the same way every time agrees
with itself. These checks hold each listing to what its sandbox was seeded with instead:

* every listing returns exactly as many records as the sandbox was asked for, without
  repeats, at several page sizes: a walk that stops after its first page, drops its last
  one, or ends at a short page is caught wherever its pages happen to end;
* a page with one row that is not a record (the ``bad_row`` fault) makes the listing
  raise a storebridge error, or read the page again and come back whole: never shorter
  by that row, as a converter that skips what it cannot read would make it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from storebridge import _http
from storebridge.adapter import Adapter
from storebridge.errors import StorebridgeError
from storebridge.sandbox.clock import FakeClock
from storebridge.store import Store
from storebridge.testing.fake_time import FakeTime
from storebridge.testing.faults import FaultTransport

SIZES = {"orders": 23, "customers": 11, "products": 7}
"""What the sandbox is seeded with: odd sizes, so pages of most sizes end short."""
PAGE_SIZES: tuple[int | None, ...] = (None, 1, 3, 10)
"""The default, and sizes that make several pages of every listing."""
_BAD_PAGES = 3
"""The listing's first GETs answered with a bad row (a retry meets it again)."""


def _read(adapter_cls: type[Adapter], resource: str, page_size: int | None,
          bad_rows: bool = False) -> list[str]:  # fmt: skip
    """The refs ``resource``'s listing returns from a freshly seeded sandbox."""
    clock = FakeClock()
    sandbox = adapter_cls.sandbox(seed=3, clock=clock, **SIZES)
    transport: Any = sandbox.emulator.transport()
    if bad_rows:
        gets = Counter[str]()

        def first_gets(_n: int, request: _http.Request) -> str | None:
            if request.method != "GET":
                return None
            gets["seen"] += 1
            return "bad_row" if gets["seen"] <= _BAD_PAGES else None

        transport = FaultTransport(transport, script=first_gets)
    adapter = adapter_cls.from_settings(**sandbox.settings("https://sandbox.invalid"))
    options = FakeTime(emulator_clock=clock).options()
    with Store(adapter, options=options, transport=transport) as store:
        listing = getattr(store, resource).list
        items = list(listing() if page_size is None else listing(page_size=page_size))
    return [str(item.ref) for item in items]


def check_listings_whole(adapter_cls: type[Adapter]) -> dict[str, int]:
    """Every listing returns all its sandbox's records at every page size, and a bad row is
    an error; returns how many records each listing returned."""
    capabilities = adapter_cls.from_settings(
        **adapter_cls.sandbox(orders=0).settings("https://sandbox.invalid")
    ).capabilities
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
        try:
            got = _read(adapter_cls, resource, 3, bad_rows=True)
        except StorebridgeError:
            got = None  # the row was refused: the outcome wanted
        if got is not None and (set(got) != whole or len(got) != len(whole)):
            raise AssertionError(
                f"{resource}.list came back with {len(set(got))} of its {seeded} {resource} "
                f"when a page held a row that is not a record (lost {sorted(whole - set(got))}):"
                " a row that cannot be read must raise a PayloadError, never be skipped"
            )
        counts[resource] = seeded
    return counts


__all__ = ["PAGE_SIZES", "SIZES", "check_listings_whole"]
