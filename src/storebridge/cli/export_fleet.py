"""``storebridge export`` over several stores (``--store a --store b``, ``--tag``, ``--all``).

The stores are read concurrently (each within its own rate limit) into one output, each
record carrying its store: a ``"store"`` key first in JSON lines, a first ``store`` column
in CSV. Progress shows one line per store; the summary gives each store's count and time.
A store that fails is reported (``error:`` naming it and why) after the others finished,
and the run exits 1, with ``-o FILE`` still holding the other stores' records;
``--report FILE`` writes every store's result as JSON for scripts.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import attrs

import storebridge
from storebridge.cli.export import _destination, interrupted, partial_warning
from storebridge.cli.interrupts import whole_writes
from storebridge.cli.output import CliError, error, note, usage_error, warning
from storebridge.cli.progress import ProgressDisplay
from storebridge.cli.records import RecordWriter, close_listing
from storebridge.errors import ConfigurationError
from storebridge.fleet import Fleet, FleetReport

__all__ = ["choose_fleet", "export_fleet"]


def choose_fleet(stores: Sequence[str], tag: str | None, every: bool, config: Path | None) -> Fleet:
    """The fleet the options name; a name or tag that matches nothing is a usage error."""
    try:
        if every:
            return storebridge.fleet(all_profiles=True, config=config)
        if tag is not None:
            return storebridge.fleet(tag=tag, config=config)
        # A name given twice is one store (export and load alike).
        return storebridge.fleet(list(dict.fromkeys(stores)), config=config)
    except ConfigurationError as exc:
        if exc.setting in ("profile", "tag"):
            raise usage_error(str(exc), hint="`storebridge stores` lists the profiles") from None
        raise CliError(str(exc)) from None


def export_fleet(
    group: Fleet,
    resource: str,
    *,
    updated_since: datetime | str | None,
    fmt: str,
    output: Path | None,
    detail: bool,
    quiet: bool,
    show_progress: bool,
    report_file: Path | None,
) -> None:
    """Export ``resource`` of every store of ``group`` into one stream (see the module)."""
    query: dict[str, object] = {"updated_since": updated_since}
    if resource in ("orders", "products"):
        query["detail"] = detail
    listing = getattr(group, resource).list(errors="report", **query)
    if report_file is not None:
        # An interrupted or failed run must not leave an earlier run's report looking current.
        report_file.unlink(missing_ok=True)
    with ExitStack() as stack:
        out = stack.enter_context(_destination(output))
        bars = stack.enter_context(ProgressDisplay(enabled=show_progress))
        steps = {spec.name: bars.counter(f"{spec.name} ({spec.platform_label()})")
                 for spec in group.specs}  # fmt: skip
        gate = stack.enter_context(whole_writes())
        writer = RecordWriter(out, fmt, resource, store_column=True, whole=gate)
        written = dict.fromkeys(steps, 0)
        records = iter(listing)
        stack.callback(close_listing, records)  # however the block ends
        try:
            for store, record in records:
                writer.write(record, store)
                written[store] += 1
                steps[store](1)
        except KeyboardInterrupt:
            bars.stop()
            raise interrupted(writer.count, resource, output, cut=gate.cut) from None
        writer.flush()
        report = listing.report
        if report is None:  # the loop above read the listing to its end, which sets it
            raise CliError("the listing ended without its report")
        replaced = output is not None and (output.is_file() or not output.exists())
        if replaced and len(report.failed) == len(report):
            # Leaving the block with an error keeps -o as it was, instead of an empty file
            # (a file written through its part file; a pipe or device got what was sent).
            # The report then counts what the file got from each store: nothing.
            _write_report(report_file, _nothing_written(report))
            for name, failure in report.failed.items():
                error(f"store {name}: {failure}")
            raise CliError(
                f"all {len(report)} stores failed; nothing was written to {output} "
                "(it is as it was)",
                hint="fix those stores and run again",
            )
    _write_report(report_file, report)
    if not quiet:
        _summary(report, resource, output)
    if writer.partial:
        warning(partial_warning(writer.partial, writer.count, resource))
    for name, failure in report.failed.items():
        error(f"store {name}: {failure}")
    if not report.ok:
        kept = f"{output} holds" if output else "the output holds"
        # Records stream out as they come: a store that failed part way left some.
        partly = {name: written[name] for name in report.failed if written.get(name)}
        also = "; ".join(f"{n} of {name}'s, read before it failed" for name, n in partly.items())
        held = [f"the other stores' {resource}"] if report.succeeded else []
        held += [also] if also else []
        raise CliError(
            f"{len(report.failed)} of {len(report)} stores failed; "
            + (f"{kept} {', and '.join(held)}" if held else "nothing was written"),
            hint="fix those stores and run again with --store NAME for each"
            + (" (drop the failed stores' rows, by the store column, before adding the new"
               " ones)" if partly else ""),
        )  # fmt: skip


def _nothing_written(report: FleetReport) -> FleetReport:
    results = report.results.items()
    nothing = {n: attrs.evolve(r, counts=dict.fromkeys(r.counts, 0)) for n, r in results}
    return attrs.evolve(report, results=nothing)


def _write_report(path: Path | None, report: FleetReport) -> None:
    if path is not None:
        path.write_text(report.to_json() + "\n", "utf-8")


def _summary(report: FleetReport, resource: str, output: Path | None) -> None:
    for result in report:
        if result.ok:
            count = result.counts.get(resource, 0)
            note(f"  {result.store}: {count} {resource} in {result.elapsed:.1f} s")
    where = str(output) if output else "stdout"
    total = report.totals.get(resource, 0)
    note(
        f"exported {total} {resource} to {where} in {report.elapsed:.1f} s; "
        f"{len(report.succeeded)} of {len(report)} stores complete"
    )
