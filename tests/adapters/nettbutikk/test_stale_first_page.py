"""The answer to a listing's first page is never another page's.

A shop of less than one page: the first request meets a 503, the pages read ahead are
answered meanwhile (empty, beyond the end), and the retry of the first page is answered
with one of them (a stale cache, a replica behind). That answer's ``prev`` link points at
offset 0, which the check took for "behind" a page at offset 0: the listing ended with no
records, a migration passed with no customers copied, and a change feed pass moved its
watermark past them. Nothing is behind offset 0: an answer there with a ``prev`` link is
another page's, asked again and then refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import storebridge
from storebridge.errors import PaginationError
from storebridge.testing import FaultTransport
from tests.migrate.support import connect, sandbox


class StaleFirstPage:
    """A fault script: the first page of ``resource`` meets a 503, then stale pages."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.asked = 0

    def __call__(self, number: int, request: Any) -> str | None:
        parts = request.url.path.rstrip("/").split("/")
        if request.method == "GET" and self.resource in parts:
            rest = parts[parts.index(self.resource) + 1 :]
            if len(rest) >= 2 and rest[1] == "0":  # limit, offset 0
                self.asked += 1
                return "server_error" if self.asked == 1 else "stale_page"
        return None


def test_a_stale_answer_to_the_first_page_is_refused() -> None:
    kit = sandbox("24nettbutikk", seed=1, orders=12)
    with connect(kit, "shop") as plain:
        assert list(plain.customers.list())
    faulty = FaultTransport(kit.emulator.transport(), script=StaleFirstPage("customers"))
    with connect(kit, "shop", transport=faulty) as store:
        with pytest.raises(PaginationError, match="prev link"):
            list(store.customers.list())
    assert faulty.injected["stale_page"] > 0


def test_a_feed_pass_meeting_it_raises_and_keeps_its_checkpoint() -> None:
    kit = sandbox("24nettbutikk", seed=1, orders=12)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    faulty = FaultTransport(kit.emulator.transport(), script=StaleFirstPage("customers"))
    with connect(kit, "shop", transport=faulty) as store:
        feed = store.changes("customers", since=since)
        with pytest.raises(PaginationError):
            list(feed)
        checkpoint = feed.checkpoint
    with connect(kit, "shop") as plain:
        customers = len(list(plain.customers.list()))
        assert len(list(plain.changes("customers", since=checkpoint))) == customers


def test_a_migration_meeting_it_does_not_pass_without_the_customers(tmp_path: Any) -> None:
    source_kit = sandbox("24nettbutikk", seed=1, orders=12)
    target_kit = sandbox("shopline", empty=True, currency="NOK")
    faulty = FaultTransport(source_kit.emulator.transport(), script=StaleFirstPage("customers"))
    with connect(source_kit, "src", transport=faulty) as source, \
            connect(target_kit, "dst") as target:  # fmt: skip
        try:
            status = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite").status
        except PaginationError:
            status = "raised"
    assert faulty.injected["stale_page"] > 0
    assert status != "PASS"
