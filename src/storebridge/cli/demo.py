"""``storebridge demo``: three sandboxes, two migrations, a refund, verified.

Runs entirely on 127.0.0.1 with each platform's emulator, at the platforms' real rate
limits, so what it shows is what a run against real stores would do; ``--rate-limit N``
shows the same on plans whose stores allow N requests per second.
"""

from __future__ import annotations

import json
import shutil
import time
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import storebridge
from storebridge.cli.interrupts import stop_at_once_on_interrupt
from storebridge.cli.options import DebugOption, VerboseOption, apply_verbosity
from storebridge.cli.output import EXIT_MISMATCH, result
from storebridge.cli.progress import ProgressDisplay, terminal_wants_progress
from storebridge.cli.raised_limits import RateLimitOption, limit_to_keep, sandbox_options

# What the demo uses (the model, migrations, sandboxes) loads when it runs: every other
# command line defines this command too.
if TYPE_CHECKING:
    from storebridge.model import Order, RestockType

# Each source moves into a SHOPLINE store of its own currency, as a real merchant would
# set it up: SHOPLINE prices products in one settlement currency per store.
ROUTES = (
    ("24nettbutikk", "shopline-nok", {"currency": "NOK"}),
    ("29next", "shopline-usd", {"currency": "USD"}),
)
TARGET_PLATFORM = "shopline"
REFUND_ON = "29next"
SEED = 7


def _restock_for(order: Order, line_index: int) -> RestockType:
    """The restock rule platforms enforce: cancel unfulfilled; return fulfilled physical goods."""
    from storebridge.model import FulfillmentStatus, RestockType

    line = order.lines[line_index]
    if line.fulfillment_status is not FulfillmentStatus.FULFILLED:
        return RestockType.CANCEL
    return RestockType.RETURN if line.requires_shipping is not False else RestockType.NO_RESTOCK


def _refundable(order: Order) -> bool:
    from storebridge.model import FinancialStatus

    return bool(order.lines) and order.financial_status in (
        FinancialStatus.PAID,
        FinancialStatus.PARTIALLY_REFUNDED,
    )


def demo_command(
    orders: Annotated[
        int, typer.Option(min=1, help="Orders seeded in each source sandbox (at least 1).")
    ] = 15,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only a JSON report (no progress).")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress bars or steps; only the last line."),
    ] = False,
    rate_limit: RateLimitOption = None,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Try it all on built-in sandboxes: two migrations, a refund, verified.

    Migrates a 24Nettbutikk shop and a 29 Next store into SHOPLINE sandboxes and refunds
    one line of a 29 Next order; exit 3 when verification finds a mismatch.
    """
    apply_verbosity(verbose, debug)
    sandbox_options(rate_limit)  # refuses a bad value before any sandbox starts
    ok = run_demo(orders=orders, as_json=as_json, quiet=quiet, rate_limit=rate_limit)
    if not ok:
        raise typer.Exit(EXIT_MISMATCH)


def run_demo(*, orders: int, as_json: bool, quiet: bool, rate_limit: float | None = None) -> bool:
    """Run the demo; True when every migration verified.

    ``rate_limit``: requests per second every sandbox allows (None: each platform's
    documented limit), kept to by the demo's clients.
    """
    import tempfile  # with `random` under it: only the demo needs it

    started = time.monotonic()
    report: dict[str, Any] = {"migrations": {}}
    steps = not (as_json or quiet)
    bars_on = steps and terminal_wants_progress()
    tmp = Path(tempfile.mkdtemp(prefix="storebridge-demo-"))
    ok = True
    try:
        with ExitStack() as stack:
            stores = _open_sandboxes(stack, orders, rate_limit, show=steps)
            for source, target, _ in ROUTES:
                bars = ProgressDisplay(enabled=bars_on, label=f"{source} -> {target}: ")
                with (
                    bars,
                    stop_at_once_on_interrupt(
                        lambda: "interrupted", cleanup=partial(_cleanup, bars, tmp)
                    ),
                ):
                    migration = storebridge.migrate(
                        stores[source], stores[target], ledger=tmp / f"{source}.sqlite",
                        progress=bars.phase,
                    )  # fmt: skip
                ok = ok and migration.ok
                report["migrations"][f"{source}->{target}"] = migration.to_dict()
                if steps:
                    result(migration.summary())
            report["refund"] = _refund(stores[REFUND_ON], orders, show=steps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["status"] = "PASS" if ok else "FAIL"
    report["seconds"] = round(time.monotonic() - started, 1)
    if as_json:
        result(json.dumps(report, indent=2, default=str))
    else:
        result(f"demo {report['status']} in {report['seconds']} s")
    return ok


def _cleanup(bars: ProgressDisplay, tmp: Path) -> None:
    bars.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def _open_sandboxes(
    stack: ExitStack, orders: int, rate_limit: float | None, *, show: bool
) -> dict[str, storebridge.Store]:
    from storebridge.registry import adapter_class

    stores: dict[str, storebridge.Store] = {}
    sandboxes: list[tuple[str, str, dict[str, Any]]] = []
    for source, target, target_options in ROUTES:
        sandboxes.append((source, source, {"orders": orders}))
        empty = {"orders": 0, "customers": 0, "products": 0}
        sandboxes.append((target, TARGET_PLATFORM, {**empty, **target_options}))
    for name, platform, options in sandboxes:
        adapter = adapter_class(platform)
        kit = adapter.sandbox(seed=SEED, **options, **sandbox_options(rate_limit))
        url = stack.enter_context(kit.emulator.serve())
        settings = kit.settings(url)
        kept = limit_to_keep(adapter, kit, settings) if rate_limit is not None else None
        store_options = None if kept is None else storebridge.StoreOptions(rate_limit=kept)
        stores[name] = stack.enter_context(
            storebridge.connect(platform, options=store_options, **settings)
        )
        if show:
            result(f"sandbox {name:<13} {url}")
    return stores


def _refund(store: storebridge.Store, seeded: int, *, show: bool) -> dict[str, str] | None:
    """A partial refund of one line of the first paid order, or None if none qualifies."""
    from storebridge.model import RefundLine

    order = next((o for o in store.orders.list(detail=True) if _refundable(o)), None)
    if order is None:
        if show:
            result(
                f"no paid order with lines among the {seeded} seeded {REFUND_ON} orders: "
                "refund step skipped (seed more with --orders)"
            )
        return None
    line = order.lines[0]
    quote = store.refunds.calculate(
        order.ref,
        lines=[RefundLine(line_ref=line.ref, quantity=1, restock=_restock_for(order, 0))],
    )
    refund = store.refunds.create(quote, note="storebridge demo: partial refund")
    if show:
        result(
            f"partial refund on {REFUND_ON} order {order.number}: {refund.amount} "
            f"(1 x {line.title}) -> refund {refund.ref}"
        )
    return {"order": order.number, "amount": str(refund.amount), "ref": refund.ref}


__all__ = ["demo_command", "run_demo"]
