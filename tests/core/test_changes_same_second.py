"""Two edits of one record within one platform second (or, on 24Nettbutikk, one ``modified_on``
text in the hour a DST change repeats): the timestamps are the same, the content is not.

The feed once told versions apart by (ref, updated_at) alone, so when a pass delivered the
first edit the second one never came: the consumer kept the old content. A version is now
also its content's digest; the same content listed again (the overlap re-reading it) still
comes only once, and checkpoints saved before digests existed are still read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import storebridge
from storebridge import CustomerUpdate, RateLimit, ValidationError
from storebridge.changes import Checkpoint
from storebridge.model import Change
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime, FaultTransport
from tests.core.test_change_feed_edges import ADDRESS

PLATFORMS = ["shopline", "24nettbutikk"]
UNLIMITED: dict[str, Any] = {"shopline": False, "24nettbutikk": None}


class World:
    """A small sandbox store on fake time that neither side rate-limits: a feed run takes no
    time on the clock, so two edits can fall in one platform second around a pass."""

    def __init__(self, platform: str, start: datetime | None = None) -> None:
        self.clock = FakeClock(start=start) if start is not None else FakeClock()
        self.kit = adapter_class(platform).sandbox(
            seed=3, clock=self.clock, orders=3, customers=2, products=2,
            rate_limit=UNLIMITED[platform],
        )  # fmt: skip
        options = FakeTime(emulator_clock=self.clock).options(rate_limit=RateLimit(10_000, 10_000))
        self.store = storebridge.connect(
            platform, transport=self.kit.emulator.transport(), options=options,
            **self.kit.settings("https://sandbox.example"),
        )  # fmt: skip


class Editor:
    """Edits one record's content in place and reads back what the consumer should hold."""

    def __init__(self, w: World) -> None:
        self.w = w
        if w.kit.platform == "24nettbutikk":
            self.resource = "orders"
            self.ref = next(iter(w.store.orders.list())).ref
        else:
            self.resource = "customers"
            self.ref = next(iter(w.store.customers.list())).ref

    def edit(self, n: int) -> None:
        if self.resource == "orders":
            self.w.store.extra.update_order_status(self.ref, str(n))
        else:
            self.w.store.customers.update(self.ref, CustomerUpdate(first_name=f"Edit{n}"))

    @staticmethod
    def value(change: Change) -> Any:
        if change.resource == "orders":
            return change.object.status_raw
        return change.object.first_name

    def expected(self, n: int) -> str:
        return str(n) if self.resource == "orders" else f"Edit{n}"


def run(w: World, resource: str, since: Any) -> tuple[list[Change], Checkpoint]:
    """One feed run from ``since``, its checkpoint saved as text and read back, as a user would."""
    feed = w.store.changes(resource, since=since, now=w.clock.utcnow)
    changes = list(feed)
    return changes, Checkpoint.from_json(feed.checkpoint.to_json())


def settled(w: World, resource: str) -> Checkpoint:
    """The checkpoint after a first pass from now: nothing pending."""
    _, saved = run(w, resource, None)
    return saved


def edited_once(platform: str) -> tuple[World, Editor, Checkpoint]:
    """A settled feed, then one edit (content 3) half a minute later."""
    w = World(platform)
    ed = Editor(w)
    saved = settled(w, ed.resource)
    w.clock.advance(30)
    ed.edit(3)
    return w, ed, saved


@pytest.mark.parametrize("platform", PLATFORMS)
def test_two_edits_in_one_second_with_a_pass_between_both_come(platform: str) -> None:
    w, ed, saved = edited_once(platform)
    first, saved = run(w, ed.resource, saved)
    assert [(c.ref, ed.value(c)) for c in first] == [(ed.ref, ed.expected(3))]
    w.clock.advance(0.4)  # the same second: the platform stamps both edits alike
    ed.edit(4)
    second, saved = run(w, ed.resource, saved)
    assert [(c.ref, ed.value(c)) for c in second] == [(ed.ref, ed.expected(4))]
    assert second[0].occurred_at == first[0].occurred_at  # one timestamp, two contents
    for _ in range(3):  # later passes re-read the record inside the overlap: nothing new
        w.clock.advance(120)
        again, saved = run(w, ed.resource, saved)
        assert again == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_resuming_from_the_change_of_the_first_edit_gets_the_second(platform: str) -> None:
    # The checkpoint of the change itself (mid-pass), not the one after the pass.
    w, ed, saved = edited_once(platform)
    feed = w.store.changes(ed.resource, since=saved, now=w.clock.utcnow)
    change = next(iter(feed))
    w.clock.advance(0.4)
    ed.edit(4)
    at_change = Checkpoint.from_json(change.checkpoint.to_json())
    rest, _ = run(w, ed.resource, at_change)
    assert [(c.ref, ed.value(c)) for c in rest] == [(ed.ref, ed.expected(4))]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_passes_re_reading_unchanged_records_in_one_second_yield_nothing_new(
    platform: str,
) -> None:
    w = World(platform)
    resource = "orders"
    saved = settled(w, resource)
    w.clock.advance(30)
    refs = [o.ref for o in w.store.orders.list()]
    for ref in refs:  # every order, in one second
        if platform == "24nettbutikk":
            w.store.extra.update_order_status(ref, "3")
        else:
            w.store.orders.update_shipping_address(ref, ADDRESS)
    delivered: list[str] = []
    for _ in range(4):  # the overlap lists them all again, pass after pass
        got, saved = run(w, resource, saved)
        delivered += [c.ref for c in got]
        w.clock.advance(60)
    assert sorted(delivered) == sorted(refs)


def _old_format(checkpoint: Checkpoint) -> str:
    """``checkpoint`` as a checkpoint of format 1 writes it: versions as (ref, updated_at)."""
    data = json.loads(checkpoint.to_json())
    data["version"] = 1
    for position in data["positions"].values():
        position["delivered"] = [entry[:2] for entry in position["delivered"]]
    return json.dumps(data)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("where", ["after the pass", "at the change"])
def test_a_checkpoint_of_the_old_format_loses_no_same_second_edit(
    platform: str, where: str
) -> None:
    w, ed, saved = edited_once(platform)
    feed = w.store.changes(ed.resource, since=saved, now=w.clock.utcnow)
    changes = list(feed)
    old = _old_format(feed.checkpoint if where == "after the pass" else changes[-1].checkpoint)
    w.clock.advance(0.4)
    ed.edit(4)
    rest, saved = run(w, ed.resource, Checkpoint.from_json(old))
    assert [(c.ref, ed.value(c)) for c in rest] == [(ed.ref, ed.expected(4))]
    w.clock.advance(60)
    again, _ = run(w, ed.resource, saved)
    assert again == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_old_checkpoint_may_deliver_again_but_misses_nothing(platform: str) -> None:
    # Nothing changed since the old checkpoint: what comes again is what it had delivered.
    w, ed, saved = edited_once(platform)
    feed = w.store.changes(ed.resource, since=saved, now=w.clock.utcnow)
    list(feed)
    w.clock.advance(60)
    again, saved = run(w, ed.resource, Checkpoint.from_json(_old_format(feed.checkpoint)))
    assert [(c.ref, ed.value(c)) for c in again] in ([], [(ed.ref, ed.expected(3))])
    w.clock.advance(60)
    assert run(w, ed.resource, saved)[0] == []


def test_an_edit_an_hour_later_in_the_repeated_dst_hour_comes() -> None:
    # Oslo, 26 October 2025: 02:20 local is 00:20 UTC, and again 01:20 UTC. Both edits are
    # ``modified_on`` "2025-10-26 02:20:00": one timestamp, 3600 s apart.
    w = World("24nettbutikk", start=datetime(2025, 10, 26, 0, 20, tzinfo=UTC))
    ed = Editor(w)
    saved = settled(w, "orders")
    w.clock.advance(0.2)
    ed.edit(3)
    first, saved = run(w, "orders", saved)
    assert [ed.value(c) for c in first] == [ed.expected(3)]
    values: list[Any] = []
    for _ in range(4):  # follow every 15 minutes up to the second 02:20
        w.clock.advance(900)
        got, saved = run(w, "orders", saved)
        values += [ed.value(c) for c in got]
    assert values == []
    w.clock.set(datetime(2025, 10, 26, 1, 20, 0, 300_000, tzinfo=UTC))
    ed.edit(4)
    for _ in range(3):
        w.clock.advance(900)
        got, saved = run(w, "orders", saved)
        values += [ed.value(c) for c in got]
    assert values == [ed.expected(4)]


def test_only_versions_a_later_edit_could_share_a_time_with_carry_a_digest() -> None:
    # The sandbox's records were last edited long before now; one is edited now.
    w = World("shopline")
    ed = Editor(w)
    w.clock.advance(3600)
    ed.edit(3)
    long_ago = w.clock.utcnow() - timedelta(days=3650)
    changes = list(w.store.changes(ed.resource, since=long_ago, now=w.clock.utcnow))
    saved = changes[-1].checkpoint.to_json()  # in the pass: every version it delivered
    entries = json.loads(saved)["positions"][ed.resource]["delivered"]
    assert len(entries) == len(changes) > 1
    assert [entry[0] for entry in entries if len(entry) == 3] == [ed.ref]
    w.clock.advance(60)
    assert run(w, ed.resource, Checkpoint.from_json(saved))[0] == []


@pytest.mark.parametrize(
    "delivered", [["ab"], [["1"]], [["1", "2", "3", "4"]], "ab", [None]], ids=repr
)
def test_a_checkpoint_with_unreadable_versions_is_refused(delivered: Any) -> None:
    text = json.dumps(
        {"version": 2, "platform": "shopline", "store": "s", "positions": {
            "orders": {"watermark": None, "pass_started": None, "delivered": delivered}}}
    )  # fmt: skip
    with pytest.raises(ValidationError, match="not a storebridge change-feed checkpoint"):
        Checkpoint.from_json(text)


def test_an_edit_back_to_an_earlier_time_and_content_comes() -> None:
    """SHOPLINE nodes whose clocks differ by 2 s: A stamped T, B stamped T+2, then A again
    stamped T by the node behind. The last version is (T, A) again, which the feed had
    delivered before B: only the ref's last delivered version counts, so A comes again."""
    w = World("shopline")
    ref = next(iter(w.store.customers.list())).ref
    saved = settled(w, "customers")
    w.clock.advance(30)
    start = w.clock.utcnow().replace(microsecond=300_000)
    got: list[str | None] = []
    for step, (shift, name) in enumerate(((0, "A"), (2, "B"), (0, "A"))):
        w.clock.set(start + timedelta(seconds=shift))
        w.store.customers.update(ref, CustomerUpdate(first_name=name))
        w.clock.set(start + timedelta(seconds=5 + step * 5))
        changes, saved = run(w, "customers", saved)
        got += [c.object.first_name for c in changes]
    w.clock.advance(120)
    changes, saved = run(w, "customers", saved)
    got += [c.object.first_name for c in changes]
    assert got == ["A", "B", "A"]
    assert w.store.customers.get(ref).first_name == "A"


def test_an_edit_back_in_the_repeated_dst_hour_comes() -> None:
    # Oslo, 26 October 2025: status 3 at 02:20 CEST, 4 at 02:40 CEST, then 3 again at 02:20
    # CET (the repeated hour): the last version has the first one's time and content.
    w = World("24nettbutikk", start=datetime(2025, 10, 26, 0, 19, 30, tzinfo=UTC))
    ed = Editor(w)
    saved = settled(w, "orders")
    got: list[Any] = []

    def follow(until: datetime) -> None:
        nonlocal saved
        while w.clock.utcnow() < until:
            w.clock.advance(300)
            changes, saved = run(w, "orders", saved)
            got.extend(Editor.value(c) for c in changes if c.ref == ed.ref)

    for minute_utc, status in ((20, 3), (40, 4), (80, 3)):
        hour, minute = divmod(minute_utc, 60)
        w.clock.set(datetime(2025, 10, 26, hour, minute, 0, 300_000, tzinfo=UTC))
        ed.edit(status)
        follow(datetime(2025, 10, 26, hour, minute, tzinfo=UTC) + timedelta(minutes=19))
    follow(datetime(2025, 10, 26, 2, 30, tzinfo=UTC))
    assert got == ["3", "4", "3"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_two_edits_in_one_second_come_through_a_faulty_network(platform: str) -> None:
    """The feed's reads go through the fault layer (5xx, 429, resets, truncated and
    malformed bodies, stale pages): both versions still come, once each. Its retries sleep
    on a clock of their own, so the edits stay within one platform second."""
    w, ed, saved = edited_once(platform)
    faulty = FaultTransport(w.kit.emulator.transport(), seed=7, rate=0.3)
    options = FakeTime().options(rate_limit=RateLimit(10_000, 10_000))
    with storebridge.connect(platform, transport=faulty, options=options,
                             **w.kit.settings("https://sandbox.example")) as reader:  # fmt: skip

        def read(since: Any) -> tuple[list[Change], Checkpoint]:
            feed = reader.changes(ed.resource, since=since, now=w.clock.utcnow)
            return list(feed), Checkpoint.from_json(feed.checkpoint.to_json())

        first, saved = read(saved)
        w.clock.advance(0.4)
        ed.edit(4)  # through the fault-free store, in the same second
        second, saved = read(saved)
        later: list[Change] = []
        for _ in range(3):
            w.clock.advance(120)
            again, saved = read(saved)
            later += again
    assert [(c.ref, ed.value(c)) for c in first + second] == [
        (ed.ref, ed.expected(3)), (ed.ref, ed.expected(4))
    ]  # fmt: skip
    assert later == []
    assert sum(faulty.injected.values()) > 0
