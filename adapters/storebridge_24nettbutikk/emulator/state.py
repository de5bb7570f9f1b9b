"""The emulated shop's records, looked up by key and kept sorted the way lists are read.

Each resource is a :class:`Table`: the records in seeding order (what tests inspect), a
dict by key, and a :class:`~storebridge.sandbox.SortedIndex` by what the shop sorts and
filters lists on: the local ``modified_on`` reading. A list request bisects that index for
``since``/``until`` and slices its page; nothing is scanned or re-sorted per request.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from storebridge.sandbox import SandboxSize, SortedIndex, Span
from storebridge_24nettbutikk.emulator.options import EmulatorOptions
from storebridge_24nettbutikk.emulator.seed import seed_shop

__all__ = ["KEYS", "LOCAL_FORMAT", "RESOURCES", "Record", "ShopState", "Table"]

RESOURCES = ("orders", "products", "customers")
KEYS = {"orders": "order_no", "products": "id", "customers": "id"}
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"

Record = dict[str, Any]


class Table:
    """One resource's records: in seeding order, by key, and sorted by ``modified_on``.

    The sort key is ``(server reading, local reading, key)``. The server compares
    ``since``/``until`` with its reading of the local wall time, which never decreases as
    the wall time grows (a repeated DST hour reads as its first pass), so one index answers
    both the order of a list and its time window.
    """

    def __init__(self, name: str, records: list[Record], state: ShopState) -> None:
        self.name = name
        self.field = KEYS[name]
        self.records = records
        self.by_key = {str(r[self.field]): r for r in records}
        self._state = state
        field = self.field
        self.by_modified: SortedIndex[Record] = SortedIndex(
            key=lambda r: (*state.reading(r["modified"]), int(r[field])),
            ident=lambda r: int(r[field]),
            records=records,
        )
        self._by_key: SortedIndex[Record] | None = None
        self._newest: float | None = max((r["modified"] for r in records), default=None)

    def by_key_order(self) -> SortedIndex[Record]:
        """The records by key ascending (built on first use: only ``sort="key"`` needs it)."""
        if self._by_key is None:
            field = self.field
            self._by_key = SortedIndex(
                key=lambda r: int(r[field]), ident=lambda r: int(r[field]), records=self.records
            )
        return self._by_key

    def find(self, key: str) -> Record | None:
        return self.by_key.get(key) if key.isdigit() else None

    def changed(self, record: Record, before: float) -> None:
        """``record``'s ``modified`` moved from ``before``: re-sort it, track the newest."""
        self.by_modified.refresh(record)
        now = record["modified"]
        if self._newest is None or now >= self._newest:
            self._newest = now
        elif before >= self._newest:
            self._newest = None  # the newest went back in time: find it again on demand

    def remove(self, record: Record) -> None:
        """Delete ``record`` from the shop (every list closes up behind it)."""
        self.records.remove(record)
        del self.by_key[str(record[self.field])]
        self.by_modified.discard(record)
        if self._by_key is not None:
            self._by_key.discard(record)
        if record["modified"] == self._newest:
            self._newest = None

    def newest(self) -> float | None:
        if self._newest is None and self.records:
            self._newest = max(r["modified"] for r in self.records)
        return self._newest


class ShopState:
    """Everything the shop holds, and how its clock reads instants."""

    def __init__(self, size: SandboxSize, options: EmulatorOptions) -> None:
        self.zone = ZoneInfo(options.time_zone)
        self.options = options
        self._offsets: dict[int, tuple[int, int] | None] = {}
        """Quarter hour -> the zone's (offset, repeated-hour shift) then, None if it changes."""
        products, customers, orders = seed_shop(size, options.currency)
        self.tables = {
            "orders": Table("orders", orders, self),
            "products": Table("products", products, self),
            "customers": Table("customers", customers, self),
        }

    # Time ------------------------------------------------------------------------------
    def local(self, instant: float) -> str:
        return self.reading(instant)[1]

    def reading(self, instant: float) -> tuple[int, str]:
        """What the server compares with since/until (its local wall time read back, the
        first reading in a repeated DST hour, as a database would), and that wall time."""
        seconds = _whole_seconds(instant)
        bucket = seconds // _QUARTER
        if bucket not in self._offsets:
            self._offsets[bucket] = self._steady(bucket * _QUARTER)
        known = self._offsets[bucket]
        if known is None:
            return _exact_reading(seconds, self.zone)
        offset, shift = known
        return seconds - shift, time.strftime(LOCAL_FORMAT, time.gmtime(seconds + offset))

    def _steady(self, start: int) -> tuple[int, int] | None:
        """The zone's (UTC offset, repeated-hour shift) over a quarter hour, or None when
        a transition falls inside it."""
        first = _offset_and_shift(start, self.zone)
        return first if first == _offset_and_shift(start + _QUARTER - 1, self.zone) else None

    def server_unix(self, instant: float) -> int:
        return self.reading(instant)[0]

    # Records ---------------------------------------------------------------------------
    def table(self, resource: str) -> Table:
        return self.tables[resource]

    def find(self, resource: str, key: str) -> Record | None:
        return self.tables[resource].find(key)

    def modify(self, resource: str, record: Record, instant: float) -> None:
        """Set ``record``'s ``modified`` to ``instant`` and keep the indexes right."""
        before = record["modified"]
        record["modified"] = instant
        self.tables[resource].changed(record, before)

    def last_modified(self, resource: str) -> str | None:
        newest = self.tables[resource].newest()
        if newest is None:
            return None
        # The same second the rows' modified_on show: flooring the raw instant put the
        # header a second behind a row changed 0.3 us before a whole second.
        return format_datetime(datetime.fromtimestamp(_whole_seconds(newest), UTC), usegmt=True)

    def listing(self, resource: str, since: int | None, until: int | None) -> Span[Record]:
        """The records a list shows, in the configured order, within since/until.

        With ``sort="key"`` the window is not a run of the key order: the caller keeps the
        filtered span per query (:class:`~storebridge.sandbox.Listings`).
        """
        table = self.tables[resource]
        inclusive = self.options.bounds == "inclusive"
        if self.options.sort == "key":
            if since is None and until is None:
                return table.by_key_order().span()

            def inside(record: Record) -> bool:
                moment = self.server_unix(record["modified"])
                if since is not None and (moment < since if inclusive else moment <= since):
                    return False
                return not (
                    until is not None and (moment > until if inclusive else moment >= until)
                )

            return table.by_key_order().span().where(inside)
        return table.by_modified.span(
            since,
            until,
            by=_server_reading,
            include_low=inclusive,
            include_high=inclusive,
            descending=self.options.sort == "newest",
        )


def _server_reading(key: tuple[int, str, int]) -> int:
    return key[0]


_QUARTER = 900
"""Zones change offset on quarter hours, so one lookup serves a quarter hour of instants."""


def _offset_and_shift(seconds: int, zone: ZoneInfo) -> tuple[int, int]:
    wall = datetime.fromtimestamp(seconds, zone)
    offset = wall.utcoffset() or timedelta(0)
    first_pass = wall.replace(fold=0)
    return int(offset.total_seconds()), int(wall.timestamp()) - int(first_pass.timestamp())


def _exact_reading(seconds: int, zone: ZoneInfo) -> tuple[int, str]:
    wall = datetime.fromtimestamp(seconds, zone)
    # The second pass through a repeated hour reads back as the first.
    first_pass = wall.replace(fold=0)
    return int(first_pass.timestamp()), wall.strftime(LOCAL_FORMAT)


def _whole_seconds(instant: float) -> int:
    """The second the server's wall clock shows for ``instant``: microseconds rounded, then
    cut to seconds (so 0.9999998 past a second reads as the next one)."""
    seconds = math.floor(instant)
    if round((instant - seconds) * 1e6) >= 1_000_000:
        seconds += 1
    return seconds
