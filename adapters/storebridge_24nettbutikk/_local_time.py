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

from storebridge.kit import within

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


def shown_span(text: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a local time the shop shows may stand for: from the earlier reading of
    its wall time up to (not including) the end of what it shows, after the later reading
    in a repeated hour. The shop shows whole seconds, minutes or a date alone, so ``12:00:00``
    stands for any instant of that second and ``2025-10-26`` for any of that day.
    ValueError for a text that is not a local time."""
    value = text.strip()
    if not value or value in _BLANK:
        raise ValueError("blank date")
    naive = datetime.fromisoformat(value)
    if naive.tzinfo is not None:
        return naive, naive + timedelta(seconds=1)
    clock = value[10:].strip()
    if not clock:
        start = naive.replace(tzinfo=zone)
        end = (naive + timedelta(days=1)).replace(tzinfo=zone, fold=1)
        return start.astimezone(UTC), end.astimezone(UTC)
    step = timedelta(minutes=1) if clock.count(":") < 2 else timedelta(seconds=1)
    earliest, latest = readings(value, zone)
    return earliest, latest + step


def span_within(span: tuple[datetime, datetime], since: datetime | None,
                until: datetime | None) -> bool:  # fmt: skip
    """Whether an instant of ``span`` may lie from ``since`` to ``until`` (both included):
    a record the shop shows only to the second (or the day) is kept when any instant it can
    stand for is in the window, so a filter never leaves out one that is."""
    start, end = span
    return not ((since is not None and end <= since) or (until is not None and start > until))


def created_within(
    shown: object, moment: datetime | None, since: datetime | None, until: datetime | None,
    zone: ZoneInfo,
) -> bool:  # fmt: skip
    """The ``created_*`` filter on a record the shop dates with the local time ``shown``
    (read into the model as ``moment``): by every instant the text may stand for, as the
    ``updated_*`` window does, so an order of the repeated hour or of a bound's second is
    never left out. A text that is not a local time is judged by ``moment``."""
    if since is None and until is None:
        return True
    if isinstance(shown, str):
        try:
            return span_within(shown_span(shown, zone), since, until)
        except (ValueError, OverflowError):
            pass
    return within(moment, since, until)


def format_local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime(LOCAL_FORMAT)


def unix_floor(instant: datetime) -> int:
    return math.floor(instant.timestamp())


def unix_ceil(instant: datetime) -> int:
    return math.ceil(instant.timestamp())
