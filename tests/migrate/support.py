"""Shared pieces of the migration tests: sandbox pairs, in-flight counting, ledger peeking."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import storebridge
from storebridge import _http
from storebridge.migrate import Decision
from storebridge.registry import adapter_class
from storebridge.sandbox import Sandbox
from storebridge.sandbox.clock import FakeClock
from storebridge_24nettbutikk.emulator import NettbutikkEmulator
from tests.support.toyshop import ToyShopEmulator

TOKEN = "shop-token-000111"
FAST = storebridge.StoreOptions(
    rate_limit=storebridge.RateLimit(1000, 1000),
    retry=storebridge.RetryPolicy(base_delay=0.01, max_delay=0.1),
)
"""Client options for in-process sandboxes: no waiting on the documented rate limits, and
retries as many as by default, after hundredths of a second instead of seconds."""

HOSTS = {
    "29next": "https://{}.29next.store",
    "shopline": "https://{}.myshopline.com",
    "24nettbutikk": "https://{}.example",
}
UNLIMITED: dict[str, dict[str, Any]] = {
    "29next": {"rate_limit": None},
    "shopline": {"rate_limit": False},
    "24nettbutikk": {"rate_limit": None},
}
"""Sandbox options that switch the server-side rate limit off (a 24Nettbutikk sandbox has
one unless told None)."""


def shop(emu: ToyShopEmulator, host: str, **settings: Any) -> storebridge.Store:
    """A ToyShop store served in-process by ``emu``."""
    return storebridge.connect(
        "toyshop",
        base_url=f"https://{host}.example",
        token=TOKEN,
        transport=emu.transport(),
        **settings,
    )


def tag_counts(emu: ToyShopEmulator) -> Counter[str]:
    """How many ToyShop records carry each identity tag."""
    return Counter(
        t
        for table in emu.tables.values()
        for row in table.values()
        for t in row.get("tags", [])
        if t.startswith("sb:")
    )


def sandbox(platform: str, *, empty: bool = False, **options: Any) -> Sandbox:
    """A seeded sandbox without server-side rate limits (``empty``: no orders)."""
    size: dict[str, Any] = {"orders": 0, "customers": 0, "products": 0} if empty else {}
    return adapter_class(platform).sandbox(**{**UNLIMITED[platform], **size, **options})


def connect(
    kit: Sandbox,
    name: str,
    transport: Any = None,
    *,
    settings: Mapping[str, Any] | None = None,
    **options: Any,
) -> storebridge.Store:
    """A store on ``kit``'s emulator, in-process, at a host named after ``name``; ``settings``
    are added to the sandbox's own."""
    platform = kit.platform
    return storebridge.connect(
        platform,
        transport=transport or kit.emulator.transport(),
        options=storebridge.StoreOptions(
            **{"rate_limit": FAST.rate_limit, "retry": FAST.retry, **options}
        ),
        **{**kit.settings(HOSTS[platform].format(name)), **(settings or {})},
    )


class InFlight(_http.BaseTransport):
    """A transport that counts the requests in flight through it (peak per method)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handle_request(self, request: _http.Request) -> _http.Response:
        with self._lock:
            self.now[request.method] += 1
            self.peak[request.method] = max(self.peak[request.method], self.now[request.method])
        try:
            response: _http.Response = self.inner.handle_request(request)
            return response
        finally:
            with self._lock:
                self.now[request.method] -= 1


def ledger_rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on a ledger file (read-only)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def set_item_state(path: Path, resource: str, source_ref: str, state: str) -> None:
    """Put one ledger item into ``state``, as an interrupted run would have left it."""
    db = sqlite3.connect(path)
    try:
        db.execute(
            "UPDATE items SET state=? WHERE resource=? AND source_ref=?",
            (state, resource, source_ref),
        )
        db.commit()
    finally:
        db.close()


def stop_after(count: int, kinds: tuple[str, ...] = ("create",)) -> Callable[..., None]:
    """An ``on_decision`` callback that cuts the run off after ``count`` such decisions."""
    seen = Counter[str]()
    lock = threading.Lock()

    def on_decision(decision: Decision) -> None:
        with lock:
            if decision.action in kinds:
                seen[decision.resource] += 1
                if sum(seen.values()) >= count:
                    raise Interrupted(f"stopped after {count} decisions")

    return on_decision


class Interrupted(Exception):
    """Raised by :func:`stop_after` to cut a run off, as a crash would."""


def bulk_edit_with_the_50th_last(emulator: NettbutikkEmulator, clock: FakeClock) -> None:
    """Edit every customer of a 24Nettbutikk sandbox in key order, one second apart, except
    that the 50th key is edited last: the first page of a listing by key (keys 1-50) then
    comes in order of change, and so looks like a listing by change."""
    keys = sorted((str(c["id"]) for c in emulator.customers), key=int)
    for key in [k for k in keys if k != keys[49]] + [keys[49]]:
        clock.advance(1)
        emulator.touch("customers", key, first_name=f"Bulk{keys.index(key) + 1}")


class Migrated:
    """A SHOPLINE store copied into an empty one (the first run passed), to be changed and
    migrated again: :meth:`change` edits a source customer, :meth:`run` runs again."""

    def __init__(self, tmp_path: Path) -> None:
        self.source = sandbox("shopline", seed=2, orders=3, currency="USD")
        self.target = sandbox("shopline", empty=True, currency="USD")
        self.ledger = tmp_path / "l.sqlite"
        assert self.run().status == "PASS"

    def change(self, update: storebridge.CustomerUpdate) -> storebridge.Customer:
        """The source's first customer, as it was before ``update``."""
        with connect(self.source, "src") as shop:
            customer = next(iter(shop.customers.list()))
            shop.customers.update(customer.ref, update)
        return customer

    def run(self, transport: Any = None, **options: Any) -> storebridge.MigrationReport:
        """Migrate again; ``transport`` wraps the target's."""
        with connect(self.source, "src") as source, \
                connect(self.target, "dst", transport=transport) as target:  # fmt: skip
            return storebridge.migrate(source, target, ledger=self.ledger, **options)
