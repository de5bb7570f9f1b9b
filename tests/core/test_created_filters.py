"""``created_since``/``created_until`` on customer and product listings, on every platform:
exactly the records created in the window (bounds included), or a ValidationError naming the
filter where the platform keeps no creation time. A resumed migration relies on these."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

import storebridge
from storebridge import ValidationError
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime

PLATFORMS = ("29next", "shopline", "24nettbutikk")
NO_CREATION_TIME = {("24nettbutikk", "products")}
"""Listings whose platform keeps no creation time."""


def _store(platform: str) -> Iterator[storebridge.Store]:
    clock = FakeClock()
    sandbox = adapter_class(platform).sandbox(seed=4, clock=clock, customers=30, products=20)
    time = FakeTime(emulator_clock=clock)
    with storebridge.connect(
        platform,
        transport=sandbox.emulator.transport(),
        options=time.options(),
        **sandbox.settings("https://sandbox.example"),
    ) as store:
        yield store


@pytest.fixture(params=PLATFORMS)
def store(request: pytest.FixtureRequest) -> Iterator[storebridge.Store]:
    yield from _store(request.param)


def _middle(records: list[Any]) -> datetime:
    times: list[datetime] = sorted(r.created_at for r in records if r.created_at is not None)
    assert len(times) >= 4, "the sandbox should give its records creation times"
    return times[len(times) // 2]


@pytest.mark.parametrize("resource", ["customers", "products"])
def test_a_creation_window_keeps_exactly_the_records_created_in_it(
    store: storebridge.Store, resource: str
) -> None:
    listing = getattr(store, resource)
    if (store.platform, resource) in NO_CREATION_TIME:
        with pytest.raises(ValidationError) as caught:
            listing.list(created_until=datetime.now().astimezone())
        assert caught.value.field == "created_until"
        assert "updated_since" in str(caught.value)  # says what to use instead
        return
    everything = list(listing.list())
    middle = _middle(everything)
    until = {r.ref for r in listing.list(created_until=middle)}
    since = {r.ref for r in listing.list(created_since=middle)}
    created = {r.ref: r.created_at for r in everything}
    assert until == {ref for ref, at in created.items() if at is not None and at <= middle}
    assert since == {ref for ref, at in created.items() if at is not None and at >= middle}
    assert until & since and until | since == {ref for ref, at in created.items() if at}
