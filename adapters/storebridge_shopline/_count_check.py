"""The check that ends every counted SHOPLINE listing: no fewer records than the count.

Pages lost on the way (a cursor that skipped, a window answered short) show as fewer
records than ``count.json`` gave at the start. Records deleted meanwhile lower the
count, so a short listing is counted again, and the lower of the two counts stands.
A record created meanwhile raises the recount, though: with one record deleted before it
was read and one created after the cursor passed, the recount equals the first count and
an exact listing read as short (a busy store's export failed for it).

So before raising, the listing counts the records created since it began (a minute's
margin for a clock that runs ahead of SHOPLINE's), and only the records created before
are held to the count: every one of those still on the store must have been handed on.
A lost record created before then still raises; one created during the listing may or
may not be listed, as with any listing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from storebridge.errors import PaginationError
from storebridge.kit import Emit, Flow
from storebridge_shopline._windows import iso

if TYPE_CHECKING:
    from storebridge.http import Response
    from storebridge_shopline._paging import Answers, Listing

MARGIN = timedelta(minutes=1)
"""How long before the listing began a record counts as created during it."""


class Tally:
    """The records a listing handed on, and how many of them were created before ``since``
    (a record without a creation time counts as created before: it is held to the count)."""

    def __init__(self, since: datetime) -> None:
        self.since = since
        self.handed_on = 0
        self.older = 0
        self._lock = threading.Lock()  # windows hand pages on from several threads

    def note(self, page: Emit[Any]) -> Generator[Any, Any, Emit[Any]]:
        older = sum(1 for item in page.items if not _created_since(item, self.since))
        with self._lock:
            self.handed_on += len(page.items)
            self.older += older
        return page
        yield  # pragma: no cover - makes this a generator


def check_count(
    listing: Listing,
    answers: Answers,
    tally: Tally,
    total: int,
    *,
    read_count: Callable[[Response], int],
    lower: datetime | None,
    display: str,
) -> Flow[None]:
    """PaginationError when the listing handed on fewer records than the store holds (see
    the module docstring). ``read_count`` is the paging module's (passed in: that module
    imports this one); ``lower`` is the listing's own ``created_at_min``, if any."""
    if tally.handed_on >= total:
        return
    recount = read_count((yield listing.count_request(answers)))
    if tally.handed_on >= min(total, recount):
        return
    since = tally.since if lower is None else max(lower, tally.since)
    created = read_count((yield listing.count_request(answers, created_at_min=iso(since))))
    if tally.older >= recount - created:
        return
    name = listing.resource.name
    raise PaginationError(
        f"{name}: {tally.handed_on} records came back but SHOPLINE counts "
        f"{min(total, recount)}, and {recount - created} of them were created before the "
        f"listing began, of which {tally.older} came back; pages were lost on the way "
        "(read the listing again)",
        resource=name,
        platform=display,
    )


def _created_since(item: Any, since: datetime) -> bool:
    created = getattr(item, "created_at", None)
    if not isinstance(created, datetime) or created.tzinfo is None:
        return False
    return created.astimezone(UTC) >= since
