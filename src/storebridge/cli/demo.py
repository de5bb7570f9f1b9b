"""``storebridge demo``: three sandboxes, two migrations, a refund, verified.

Runs entirely on 127.0.0.1 with each platform's emulator, at the platforms' real rate
limits, so what it shows is what a run against real stores would do.
"""

from __future__ import annotations

import json
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console

import storebridge
from storebridge.cli.progress import ProgressBars
from storebridge.model import FinancialStatus, Order, RefundLine, RestockType
from storebridge.model.status import FulfillmentStatus
from storebridge.registry import adapter_class

# Each source moves into a SHOPLINE store of its own currency, as a real merchant would
# set it up: SHOPLINE prices products in one settlement currency per store.
ROUTES = (
    ("24nettbutikk", "shopline-nok", {"currency": "NOK"}),
    ("29next", "shopline-usd", {"currency": "USD"}),
)
TARGET_PLATFORM = "shopline"
REFUND_ON = "29next"


def _restock_for(order: Order, line_index: int) -> RestockType:
    """The restock rule platforms enforce: cancel unfulfilled; return fulfilled physical goods."""
    line = order.lines[line_index]
    if line.fulfillment_status is not FulfillmentStatus.FULFILLED:
        return RestockType.CANCEL
    return RestockType.RETURN if line.requires_shipping is not False else RestockType.NO_RESTOCK


def _refundable(order: Order) -> bool:
    return bool(order.lines) and order.financial_status in (
        FinancialStatus.PAID,
        FinancialStatus.PARTIALLY_REFUNDED,
    )


def run_demo(console: Console, errors: Console, *, orders: int, as_json: bool, quiet: bool) -> bool:
    started = time.monotonic()
    out: dict[str, Any] = {"migrations": {}}
    ok = True
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        stores: dict[str, storebridge.Store] = {}
        sandboxes: list[tuple[str, str, dict[str, Any]]] = []
        for source, target, target_options in ROUTES:
            sandboxes.append((source, source, {"orders": orders}))
            empty = {"orders": 0, "customers": 0, "products": 0}
            sandboxes.append((target, TARGET_PLATFORM, {**empty, **target_options}))
        for name, platform, options in sandboxes:
            kit = adapter_class(platform).sandbox(seed=7, **options)
            url = stack.enter_context(kit.emulator.serve())
            stores[name] = stack.enter_context(storebridge.connect(platform, **kit.settings(url)))
            if not as_json:
                console.print(f"sandbox {name:<13} {url}", highlight=False)

        for source, target, _ in ROUTES:
            label = f"{source} -> {target}: "
            with ProgressBars(errors, enabled=not (quiet or as_json), label=label) as bars:
                report = storebridge.migrate(
                    stores[source], stores[target], ledger=Path(tmp) / f"{source}.sqlite",
                    progress=bars.update,
                )  # fmt: skip
            ok = ok and report.ok
            out["migrations"][f"{source}->{target}"] = report.to_dict()
            if not as_json:
                console.print(report.summary(), highlight=False)

        refund_store = stores[REFUND_ON]
        order = next(o for o in refund_store.orders.list(detail=True) if _refundable(o))
        line = order.lines[0]
        quote = refund_store.refunds.calculate(
            order.ref,
            lines=[RefundLine(line_ref=line.ref, quantity=1, restock=_restock_for(order, 0))],
        )
        refund = refund_store.refunds.create(quote, note="storebridge demo: partial refund")
        out["refund"] = {"order": order.number, "amount": str(refund.amount), "ref": refund.ref}
        if not as_json:
            console.print(
                f"partial refund on {REFUND_ON} order {order.number}: {refund.amount} "
                f"(1 x {line.title}) -> refund {refund.ref}",
                highlight=False,
            )
    out["status"] = "PASS" if ok else "FAIL"
    out["seconds"] = round(time.monotonic() - started, 1)
    if as_json:
        console.print_json(json.dumps(out, default=str))
    else:
        console.print(f"demo {out['status']} in {out['seconds']} s", highlight=False)
    return ok
