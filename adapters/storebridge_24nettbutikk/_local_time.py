"""The shop server's local wall-clock times (``modified_on``) and the unix times of the API.

``modified_on`` is ``YYYY-MM-DD HH:MM:SS`` with no offset, in the server's zone. In the hour
a DST change repeats, such a value names two instants an hour apart and nothing on the wire
says which. Model timestamps take the earlier one (``fold=0``); window checks accept a row
when *either* reading falls inside the window, so nothing modified in that hour is missed
(at worst a row from the repeated hour shows up in two consecutive incremental reads).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
_BLANK = ("", "0000-00-00", "0000-00-00 00:00:00")
_FIXED: dict[timedelta, timezone] = {}


def parse_local(text: str, zone: ZoneInfo, *, fold: int = 0) -> datetime:
    """``YYYY-MM-DD[ HH:MM[:SS]]`` in ``zone`` as an aware datetime."""
    value = text.strip()
    if not value or value in _BLANK:
        raise ValueError("blank date")
    naive = datetime.fromisoformat(value)
    if naive.tzinfo is not None:
        return naive
    return fixed_offset(naive.replace(tzinfo=zone, fold=fold))


def wall_time(text: str, zone: ZoneInfo) -> datetime | None:
    """The common case of :func:`parse_local` in a few C calls: ``text`` an ISO 8601 date
    and time without an offset, read in ``zone``. None for anything else (a blank, a zero
    date, an offset, a date alone): the caller then reads it the careful way."""
    try:
        naive = datetime.fromisoformat(text)
        offset = zone.utcoffset(naive)
    except (ValueError, OverflowError):
        return None
    if naive.tzinfo is not None or offset is None:
        return None
    return naive.replace(tzinfo=fixed_zone(offset))


def fixed_offset(moment: datetime) -> datetime:
    """The same instant and wall time with a fixed UTC offset instead of the zone.

    A zone-aware datetime in a repeated hour never compares equal to one in another zone
    (PEP 495), which would surprise anyone comparing model timestamps; a fixed offset
    names the instant unambiguously.
    """
    offset = moment.utcoffset()
    if offset is None:
        return moment
    return moment.replace(tzinfo=fixed_zone(offset), fold=0)


def fixed_zone(offset: timedelta) -> timezone:
    """The fixed-offset zone for ``offset`` (one object per offset)."""
    fixed = _FIXED.get(offset)
    if fixed is None:
        fixed = _FIXED.setdefault(offset, timezone(offset))
    return fixed


def readings(text: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The earliest and latest instant a local time can mean (equal outside DST changes)."""
    a = parse_local(text, zone, fold=0).astimezone(UTC)
    b = parse_local(text, zone, fold=1).astimezone(UTC)
    return (a, b) if a <= b else (b, a)


def order_placed(day: str, clock: str | None, zone: ZoneInfo) -> datetime:
    """An order's ``order_date`` + ``order_time`` as an aware datetime."""
    placed_on = date.fromisoformat(day.strip())
    at = time.fromisoformat(clock.strip()) if clock and clock.strip() else time(0, 0)
    return fixed_offset(datetime.combine(placed_on, at, tzinfo=zone))


def format_local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime(LOCAL_FORMAT)


def unix_floor(instant: datetime) -> int:
    return math.floor(instant.timestamp())


def unix_ceil(instant: datetime) -> int:
    return math.ceil(instant.timestamp())
