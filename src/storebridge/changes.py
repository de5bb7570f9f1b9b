"""The change feed: what changed in a store, exactly once per version, resumable.

``store.changes(("orders", "customers"), since=checkpoint)`` reads each resource's listing
filtered by ``updated_since`` and yields a :class:`~storebridge.model.Change` for every
record *version* it has not delivered before: a version is a record's (ref, updated_at)
and, where a later edit could carry the same updated_at, its content. Each change carries
a :class:`Checkpoint`; save it anywhere (``checkpoint.to_json()``) and pass it back as
``since=`` to continue right after that change -- after a crash, nothing is missed and no
version already delivered comes again.

How it stays exact without trusting listing order:

* a pass over a resource lists everything updated since the resource's *watermark* and
  remembers which versions it delivered;
* when the pass ends, the watermark moves to when the pass *started*, less ``overlap`` (the
  allowance for the platform's clock differing from ours and for replicas lagging), and the
  remembered versions shrink to those at or after it;
* a record changed while a pass runs is listed again by the next pass as its new version;
* platforms stamp whole seconds, so two edits in one second carry one updated_at: a
  version listed again with a remembered (ref, updated_at) is compared by the digest of
  its content (:func:`storebridge._digest.digest`), and comes again if that differs. Only
  versions a later edit could share a time with are digested (:meth:`_Pass.needs_digest`):
  most of a first pass over old records is not.

So a record modified during a read may appear again with a newer version (that is a new
change, not a repeat), and a record whose content changed under one updated_at comes again
(joined data, such as a 24Nettbutikk order's customer, counts as content when the record is
listed again; an edit to the joined record alone comes as that record's change, not as a
new version of every record that shows it: docs/sync.md). The cost per
pass is one listing per resource; platforms whose listings cannot filter by update time
(29 Next filters on the day an order was placed) read more, as their platform page
explains.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from storebridge._digest import digest
from storebridge._fresh import fresh_answers
from storebridge.adapter import Adapter, ListQuery, OrderQuery
from storebridge.errors import ValidationError
from storebridge.flow import Emit, ListFlow, Wait, in_turn, relay
from storebridge.model.changes import Change, ChangeKind

FEED_RESOURCES: tuple[str, ...] = ("orders", "customers", "products")
DEFAULT_OVERLAP = timedelta(minutes=10)
_VERSION = 2
"""Format 2 adds the content digests; format 1 (versions without digests) is still read."""
_ONE_SECOND = timedelta(seconds=1)


@attrs.frozen
class Position:
    """How far the feed has got in one resource.

    Every version updated before ``watermark`` has been delivered (or predates the feed);
    ``delivered`` maps each ref whose last delivered version is at or after it to that
    version's (updated_at, digest of its content), the digest None where no later edit can
    share that updated_at (see :meth:`_Pass.needs_digest`). Only the last version of a ref
    counts: a record listed as any other version (an edit back to an earlier content and
    time, on a platform whose clocks differ by a second) is a change. While a pass is under
    way, ``pass_started`` is when it started.
    """

    watermark: datetime | None
    delivered: Mapping[str, tuple[str, str | None]] = attrs.field(factory=dict, hash=False)
    pass_started: datetime | None = None


class Checkpoint:
    """Where a change feed stopped: serialisable, and valid to resume from at any change."""

    def __init__(
        self,
        platform: str,
        store: str,
        positions: Mapping[str, Position] | Callable[[], Mapping[str, Position]],
    ) -> None:
        self.platform = platform
        self.store = store
        self._positions = positions if not callable(positions) else None
        self._build = positions if callable(positions) else None

    @property
    def positions(self) -> Mapping[str, Position]:
        if self._positions is None and self._build is not None:
            self._positions = dict(self._build())
            self._build = None
        return self._positions or {}

    def to_json(self) -> str:
        """The checkpoint as JSON text (store it anywhere; :meth:`from_json` reads it)."""
        return json.dumps(
            {
                "version": _VERSION,
                "platform": self.platform,
                "store": self.store,
                "positions": {
                    resource: {
                        "watermark": _iso(p.watermark),
                        "pass_started": _iso(p.pass_started),
                        "delivered": sorted(
                            [ref, stamp] if content is None else [ref, stamp, content]
                            for ref, (stamp, content) in p.delivered.items()
                        ),
                    }
                    for resource, p in self.positions.items()
                },
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Read a checkpoint written by :meth:`to_json`; ValidationError if it is not one."""
        try:
            data = json.loads(text)
            version = data.get("version")
            if version not in (1, _VERSION):
                raise ValueError(f"unknown checkpoint version {version!r}")
            positions = {
                str(resource): Position(
                    watermark=_parse(p["watermark"]),
                    pass_started=_parse(p["pass_started"]),
                    delivered=_delivered(p["delivered"]) if version == _VERSION else {},
                )
                for resource, p in data["positions"].items()
            }
            return cls(str(data["platform"]), str(data["store"]), positions)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ValidationError(
                f"not a storebridge change-feed checkpoint ({exc})", field="since"
            ) from None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Checkpoint)
            and (self.platform, self.store) == (other.platform, other.store)
            and dict(self.positions) == dict(other.positions)
        )

    def __repr__(self) -> str:
        marks = {r: _iso(p.watermark) for r, p in self.positions.items()}
        return f"Checkpoint({self.platform!r}, {self.store!r}, watermarks={marks})"


def _delivered(entries: Any) -> dict[str, tuple[str, str | None]]:
    """Format 2's versions: [ref, updated_at] (no later edit can share it) or with a digest.

    Format 1 listed versions without their content, so one of them listed again cannot be
    told from a second edit in its second: its checkpoints are read without them, and what
    the next pass lists again comes again (never a version lost, at worst one repeated).
    """
    delivered: dict[str, tuple[str, str | None]] = {}
    for entry in entries:
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise ValueError(f"a delivered version is {entry!r}, not [ref, time(, digest)]")
        ref, stamp, *content = entry
        if stamp:  # "" is a record without a time; anything else must be one, with an offset
            _parse(stamp)
        known = delivered.get(str(ref))
        if known is None or _instant(str(stamp)) >= _instant(known[0]):  # the last one
            delivered[str(ref)] = (str(stamp), str(content[0]) if content else None)
    return delivered


def _instant(stamp: str) -> datetime:
    """A delivered version's time ("" for a record without one: before any other)."""
    return datetime.fromisoformat(stamp) if stamp else datetime.min.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _parse(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"checkpoint time {value!r} has no UTC offset")
    if not _EARLIEST <= parsed <= _LATEST:  # a feed subtracts its overlap, adds a day...
        raise ValueError(f"checkpoint time {value!r} is outside 1970..9000")
    return parsed


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def start_positions(
    adapter: Adapter,
    resources: Sequence[str],
    since: Checkpoint | datetime | None,
    now: datetime,
) -> dict[str, Position]:
    """Each resource's starting position for ``since`` (see :meth:`Store.changes`).

    "From now" (``since=None``, or a resource a checkpoint does not cover yet) is the
    caller's ``now``, which the caller passes less the overlap: the platform's clock may be
    behind ours, and a change it stamps before our now would otherwise be out of reach.
    """
    if isinstance(since, Checkpoint):
        if (since.platform, since.store) != (adapter.name, adapter.store_id):
            raise ValidationError(
                f"this checkpoint belongs to {since.platform} store {since.store}, not "
                f"{adapter.name} store {adapter.store_id}",
                field="since",
            )
        fresh = Position(watermark=_whole_second(now))
        return {r: since.positions.get(r, fresh) for r in resources}
    if isinstance(since, datetime):
        if since.tzinfo is None or since.utcoffset() is None:
            raise ValidationError(
                "since must be timezone-aware (e.g. datetime(..., tzinfo=UTC))", field="since"
            )
        return {r: Position(watermark=_whole_second(since)) for r in resources}
    if since is None:
        return {r: Position(watermark=_whole_second(now)) for r in resources}
    raise ValidationError(
        f"since must be a Checkpoint, a datetime or None, got {type(since).__name__}",
        field="since",
    )


def check_overlap(overlap: object, now: datetime | None = None) -> timedelta:
    """``overlap`` if it is a usable allowance: a ``timedelta`` of zero or more (that ``now``
    can reach back by). A negative one would put each watermark *after* its pass started,
    so a change made just after a pass would be out of every later pass's reach."""
    if not isinstance(overlap, timedelta):
        raise ValidationError(
            f"overlap must be a datetime.timedelta, got {type(overlap).__name__} {overlap!r}: "
            "write e.g. overlap=timedelta(minutes=10)",
            field="overlap",
        )
    if overlap < timedelta(0):
        raise ValidationError(
            f"overlap must not be negative, got {overlap.total_seconds():g} s: it is how far "
            "each pass reaches back in time, so give a positive timedelta (e.g. "
            "timedelta(minutes=10); timedelta(0) only if the platform's clock agrees with yours)",
            field="overlap",
        )
    if now is not None:
        try:
            now - overlap
        except OverflowError:
            raise ValidationError(
                f"overlap {overlap} reaches back before the year 1: give a timedelta of minutes "
                "or hours, e.g. timedelta(minutes=10)",
                field="overlap",
            ) from None
    return overlap


def check_interval(interval: object) -> float:
    """``interval`` as seconds, if it is a positive, finite number."""
    if (
        isinstance(interval, bool)
        or not isinstance(interval, int | float)
        or not math.isfinite(interval)
        or interval <= 0
    ):
        raise ValidationError(
            f"interval must be a positive number of seconds, got {interval!r}", field="interval"
        )
    return float(interval)


def _whole_second(moment: datetime) -> datetime:
    """``moment`` rounded down to its second: platforms that stamp whole seconds would
    otherwise put a change made in the same second before the watermark, out of reach."""
    return moment.replace(microsecond=0)


def check_resources(adapter: Adapter, resources: Sequence[str] | str) -> tuple[str, ...]:
    """``resources`` as a tuple, each one a feed resource the adapter can list."""
    chosen = (resources,) if isinstance(resources, str) else tuple(resources)
    if not chosen:
        raise ValidationError("name at least one resource", field="resources")
    for resource in chosen:
        if resource not in FEED_RESOURCES:
            raise ValidationError(
                f"the change feed covers {', '.join(FEED_RESOURCES)}; not {resource!r}",
                field="resources",
            )
        adapter.require(f"{resource}.list")
    return chosen


def _listing(
    adapter: Adapter, resource: str, since: datetime | None, detail: bool
) -> ListFlow[Any]:
    if resource == "orders":
        return adapter.list_orders(OrderQuery(updated_since=since, detail=detail))
    if resource == "customers":
        return adapter.list_customers(ListQuery(updated_since=since))
    return adapter.list_products(ListQuery(updated_since=since))


@attrs.define
class _Pass:
    """One pass over one resource, under way."""

    resource: str
    start: Position
    started: datetime
    overlap: timedelta
    fresh: list[tuple[str, tuple[str, str | None]]] = attrs.field(factory=list)
    """(ref, (updated_at, digest)) of each change delivered, in order."""

    def needs_digest(self, stamp: datetime | None) -> bool:
        """Whether a later edit could carry ``stamp`` too, so a digest must tell them apart.

        Such an edit comes after the read, which came after the pass started; the platform
        stamps it within a second of its own clock (whole seconds), and its clock is within
        ``overlap`` of ours. A version stamped before that is final: its time tells it apart.
        """
        return stamp is None or stamp >= self.started - self.overlap - _ONE_SECOND

    def position_after(self, count: int) -> Position:
        """The position right after the ``count``-th change this pass delivered."""
        delivered = dict(self.start.delivered)
        delivered.update(self.fresh[:count])
        return Position(
            watermark=self.start.watermark, delivered=delivered, pass_started=self.started
        )

    def finished(self) -> Position:
        mark = _whole_second(self.started - self.overlap)
        if self.start.watermark is not None:
            mark = max(mark, self.start.watermark)
        seen = dict(self.start.delivered)
        seen.update(self.fresh)
        # Versions before the new watermark can never be listed again: forget them.
        kept = {
            ref: version
            for ref, version in seen.items()
            if version[0] and datetime.fromisoformat(version[0]) >= mark
        }
        return Position(watermark=mark, delivered=kept)


class ChangeFeed:
    """The changes of ``store.changes(...)``: iterate it; :attr:`checkpoint` says where it is.

    ``checkpoint`` is the position right after the last change handed out -- or, once the
    iteration has ended, after the whole pass (so the next run starts from a fresh
    watermark). Save it and pass it back as ``since=``.
    """

    def __init__(self, changes: Any, tracker: Tracker) -> None:
        self._changes = changes
        self._tracker = tracker
        self._last: Checkpoint | None = None

    @property
    def checkpoint(self) -> Checkpoint:
        return self._last or self._tracker.checkpoint()

    def __iter__(self) -> ChangeFeed:
        return self

    def __next__(self) -> Change:
        try:
            change: Change = next(self._changes)
        except StopIteration:
            self._last = self._tracker.checkpoint()
            raise
        self._last = change.checkpoint
        return change

    def __aiter__(self) -> ChangeFeed:
        return self

    async def __anext__(self) -> Change:
        try:
            change: Change = await self._changes.__anext__()
        except StopAsyncIteration:
            self._last = self._tracker.checkpoint()
            raise
        self._last = change.checkpoint
        return change


@attrs.define
class Tracker:
    """Positions as of the last finished pass (what :class:`ChangeFeed` ends on)."""

    platform: str
    store: str
    positions: dict[str, Position]

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.platform, self.store, dict(self.positions))


def change_feed(
    adapter: Adapter,
    resources: Sequence[str],
    tracker: Tracker,
    *,
    overlap: timedelta,
    now: Callable[[], datetime],
    detail: bool = False,
    follow: bool = False,
    interval: float = 60.0,
) -> ListFlow[Change]:
    """The feed as a list flow: passes over ``resources``; with ``follow``, forever."""
    check_overlap(overlap)
    state = tracker.positions
    while True:
        for resource in resources:
            start = state[resource]
            current = _Pass(resource, start, start.pass_started or now(), overlap)
            # The other resources' positions stay as they are while this pass runs.
            yield from _one_pass(adapter, current, dict(state), detail)
            state[resource] = current.finished()
        if not follow:
            return
        yield Wait(interval)


def _one_pass(
    adapter: Adapter, current: _Pass, before: dict[str, Position], detail: bool
) -> ListFlow[Change]:
    """Every version of ``current.resource`` updated since its watermark, not yet delivered."""
    floor = current.start.watermark
    seen = dict(current.start.delivered)

    def on_emit(page: Emit[Any]) -> Generator[Any, Any, Emit[Any] | None]:
        changes = []
        for record in page.items:
            # The latest instant the version may mean (a local time in a repeated DST hour
            # names two): compared with the watermark, the earlier one could drop it.
            stamp = adapter.change_time(record)
            if floor is not None and stamp is not None and stamp < floor:
                continue  # the listing widened its window: delivered by an earlier pass
            when = _iso(stamp) or ""
            content: str | None = None
            known = seen.get(record.ref)
            if known is not None and known[0] == when:
                if known[1] is None:
                    continue  # final: no later edit shares its time
                content = digest(record)
                if content == known[1]:
                    continue  # the same content listed again (the overlap, a page shift)
            elif current.needs_digest(stamp):
                content = digest(record)
            # Any version but the ref's last delivered one is a change, an earlier time
            # included (an edit back to an earlier content, stamped by a clock behind): a
            # replica lagging within the overlap may then bring an older reading once
            # more, and a later reading the newer one again; nothing is skipped.
            seen[record.ref] = (when, content)
            current.fresh.append((record.ref, (when, content)))
            mark = _lazy(before, current, len(current.fresh))
            changes.append(
                Change(
                    platform=adapter.name,
                    store=adapter.store_id,
                    resource=current.resource,
                    kind=_kind(record),
                    ref=record.ref,
                    object=record,
                    occurred_at=record.updated_at or record.created_at,
                    source="feed",
                    checkpoint=Checkpoint(adapter.name, adapter.store_id, mark),
                )
            )
        return Emit(changes)
        yield  # pragma: no cover - makes this a generator

    # In turn: each change's checkpoint counts the changes handed out before it, so pages
    # must reach ``on_emit`` in the order the caller gets them (one thread, no windows).
    # Fresh: an answer made before the pass (a cache, a replica far behind) would hide what
    # changed since, and the watermark moved past it would hide it for good.
    listing = in_turn(_listing(adapter, current.resource, floor, detail))
    not_before = current.started - current.overlap - _ONE_SECOND
    yield from relay(fresh_answers(listing, not_before, what=current.resource), on_emit)


def _lazy(
    before: Mapping[str, Position], current: _Pass, count: int
) -> Callable[[], Mapping[str, Position]]:
    """Positions right after a change, computed only if someone asks (most are never saved)."""

    def build() -> Mapping[str, Position]:
        positions = dict(before)
        positions[current.resource] = current.position_after(count)
        return positions

    return build


def _kind(record: Any) -> ChangeKind:
    created, updated = getattr(record, "created_at", None), getattr(record, "updated_at", None)
    if created is not None and (updated is None or abs((updated - created).total_seconds()) < 1):
        return ChangeKind.CREATED
    return ChangeKind.UPDATED


def utc_now() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "DEFAULT_OVERLAP",
    "FEED_RESOURCES",
    "ChangeFeed",
    "Checkpoint",
    "Position",
    "Tracker",
    "change_feed",
    "check_interval",
    "check_overlap",
    "check_resources",
    "start_positions",
    "utc_now",
]
