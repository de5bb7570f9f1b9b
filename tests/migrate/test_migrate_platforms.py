"""Migrations between the built-in platforms, over loopback ports."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.registry import adapter_class
from storebridge.sandbox import Clock
from tests.migrate.support import FAST, UNLIMITED


def test_long_migration_crosses_shopline_token_refreshes(tmp_path: Path) -> None:
    # Tokens of a fraction of a second and a slow network: the run outlives several tokens
    # (no rate limits, on either side: waiting for them would only make the run longer, not
    # different). The target's latency alone keeps it writing for three of them or more.
    source_kit = adapter_class("24nettbutikk").sandbox(
        seed=5, orders=20, **UNLIMITED["24nettbutikk"]
    )
    target_kit = adapter_class("shopline").sandbox(
        seed=5, orders=0, customers=0, products=0, currency="NOK", token_lifetime=0.3,
        latency=0.07, clock=Clock(), **UNLIMITED["shopline"],
    )  # fmt: skip
    with source_kit.emulator.serve() as src_url, target_kit.emulator.serve() as dst_url:
        settings = {**target_kit.settings(dst_url), "refresh_leeway": 0.1}
        with storebridge.connect("24nettbutikk", options=FAST,
                                 **source_kit.settings(src_url)) as source, \
             storebridge.connect("shopline", options=FAST, **settings) as target:  # fmt: skip
            report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
            refreshes = target.adapter.refresh_count  # type: ignore[attr-defined]
    assert report.status == "PASS", report.summary()
    assert [f for r in report.results.values() for f in r.failed] == []
    assert report.results["orders"].created == 20
    assert refreshes >= 2


def test_29next_to_shopline_keeps_tags_unique(tmp_path: Path) -> None:
    # Rate limits are not what this is about: both sides serve and ask without them.
    source_kit = adapter_class("29next").sandbox(seed=9, orders=10, **UNLIMITED["29next"])
    target_kit = adapter_class("shopline").sandbox(
        seed=9, orders=0, customers=0, products=0, currency="USD", **UNLIMITED["shopline"]
    )
    with storebridge.connect(
        "29next", transport=source_kit.emulator.transport(), options=FAST,
        **source_kit.settings("https://src.29next.store"),
    ) as source, storebridge.connect(
        "shopline", transport=target_kit.emulator.transport(), options=FAST,
        **target_kit.settings("https://dst.myshopline.com"),
    ) as target:  # fmt: skip
        first = storebridge.migrate(source, target, ledger=tmp_path / "a.sqlite")
        rebuilt = storebridge.migrate(source, target, ledger=tmp_path / "b.sqlite")
        tags = Counter(t for o in target.orders.list() for t in o.tags if t.startswith("sb:"))
    assert first.status == "PASS", first.summary()
    assert rebuilt.status == "PASS", rebuilt.summary()
    assert rebuilt.results["orders"].reconciled == 10 and rebuilt.results["orders"].created == 0
    assert len(tags) == 10 and set(tags.values()) == {1}


def test_24nettbutikk_cannot_be_a_target(tmp_path: Path) -> None:
    kit = adapter_class("24nettbutikk").sandbox(seed=1, orders=3)
    with storebridge.connect(
        "24nettbutikk", transport=kit.emulator.transport(), **kit.settings("https://a.example")
    ) as source, storebridge.connect(
        "24nettbutikk", transport=kit.emulator.transport(), **kit.settings("https://b.example")
    ) as target:  # fmt: skip
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
    assert report.status == "BLOCKED"
    assert len(report.blockers) == 1
    assert report.blockers[0].startswith("24Nettbutikk cannot be a migration target")


def test_refunded_order_is_copied_at_its_original_total(tmp_path: Path) -> None:
    source_kit = adapter_class("29next").sandbox(seed=9, orders=8, **UNLIMITED["29next"])
    target_kit = adapter_class("shopline").sandbox(
        seed=9, orders=0, customers=0, products=0, currency="USD", **UNLIMITED["shopline"]
    )
    with storebridge.connect(
        "29next", transport=source_kit.emulator.transport(), options=FAST,
        **source_kit.settings("https://src.29next.store"),
    ) as source, storebridge.connect(
        "shopline", transport=target_kit.emulator.transport(), options=FAST,
        **target_kit.settings("https://dst.myshopline.com"),
    ) as target:  # fmt: skip
        # A shipped line, refunded and returned: the line stays on the order.
        order = next(
            o for o in source.orders.list(detail=True)
            if o.financial_status is storebridge.FinancialStatus.PAID and o.lines
            and o.lines[0].fulfillment_status is storebridge.FulfillmentStatus.FULFILLED
        )  # fmt: skip
        before = order.total
        line = order.lines[0]
        quote = source.refunds.calculate(
            order.ref,
            lines=[
                storebridge.RefundLine(
                    line_ref=line.ref, quantity=1, restock=storebridge.RestockType.RETURN
                )
            ],
        )
        source.refunds.create(quote, note="before migration")
        after = source.orders.get(order.ref)
        assert after.refunds and after.lines[0].quantity == line.quantity
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        copied = next(o for o in target.orders.list(detail=True) if o.number.endswith(order.number))
    assert report.status == "PASS", report.summary()
    assert copied.total == before
    assert copied.discount_total is None or copied.discount_total.amount == 0
    assert any(order.number in x for x in report.refunds_not_carried)


def _portable(settings: dict[str, object]) -> dict[str, object]:
    """Settings a child process can receive as JSON (in-process clocks left out)."""
    out: dict[str, object] = {}
    for key, value in settings.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, bool | int | float | str):
            out[key] = value
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_29next_to_shopline_migration_resumes_exactly_once(
    seed: int, tmp_path: Path
) -> None:
    from tests.migrate.test_migrate import kill_during_writes

    rng = random.Random(seed)
    source_kit = adapter_class("29next").sandbox(seed=seed, orders=20, rate_limit=1000.0)
    target_kit = adapter_class("shopline").sandbox(
        seed=seed, orders=0, customers=0, products=0, currency="USD", rate_limit=False,
        latency=0.005, clock=Clock(),
    )  # fmt: skip
    ledger = tmp_path / "ledger.sqlite"
    with source_kit.emulator.serve() as src_url, target_kit.emulator.serve() as dst_url:
        src: dict[str, Any] = {"platform": "29next", **_portable(source_kit.settings(src_url))}
        dst: dict[str, Any] = {"platform": "shopline", **_portable(target_kit.settings(dst_url))}
        kills = kill_during_writes(
            src, dst, target_kit.emulator, ledger, sorted(rng.sample(range(1, 25), 2))
        )
        # As fast as the killed runs were: the target has no limit, the source's is far above.
        with (
            storebridge.connect(options=FAST, **src) as source,
            storebridge.connect(options=FAST, **dst) as target,
        ):
            report = storebridge.migrate(source, target, ledger=ledger)
            tags = Counter(
                t for o in target.orders.list() for t in o.tags if t.startswith("sb:")
            ) + Counter(
                t for c in target.customers.list() for t in c.tags if t.startswith("sb:")
            )  # fmt: skip
    assert kills == 2
    assert report.status == "PASS", report.summary()
    assert set(tags.values()) == {1}, tags.most_common(3)
    assert sum(1 for t in tags if ":o" in t) == 20
