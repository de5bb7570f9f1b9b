"""``storebridge load --to duckdb``: load stores into a warehouse through the dlt source.

Needs the ``storebridge[dlt]`` extra. DuckDB (the default) writes one local file and needs
no server; any other dlt destination is configured the dlt way (``.dlt/secrets.toml`` or
``DESTINATION__...`` variables). Loads are incremental: run it again and only what changed
since is loaded. Each store's rows loaded and its error, if any, end the run (``--json``
prints them for scripts); a store that fails stops only itself, and the run exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storebridge._chain import interrupted
from storebridge.cli.options import (
    ConfigOption,
    DebugOption,
    JsonOption,
    VerboseOption,
    apply_verbosity,
    writable_file,
)
from storebridge.cli.output import CliError, error, note, result_json, usage_error

__all__ = ["load_command"]

RESOURCES = ("orders", "customers", "products")


def _resources(value: str) -> list[str]:
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in RESOURCES]
    if unknown or not chosen:
        raise usage_error(
            f"--resources {value!r}: choose from {', '.join(RESOURCES)} (comma-separated)"
        )
    return chosen


def load_command(
    to: Annotated[
        str, typer.Option("--to", help="dlt destination: duckdb (a local file), or any other.")
    ] = "duckdb",
    store: Annotated[
        list[str] | None,
        typer.Option("--store", "-s", help="Profile to load; repeat it for several."),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every profile in the profile file.")
    ] = False,
    tag: Annotated[
        str | None, typer.Option(help="Every profile with this tag (tags = [...]).")
    ] = None,
    resources: Annotated[str, typer.Option(help="What to load, comma-separated.")] = ",".join(
        RESOURCES
    ),
    database: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="DuckDB file [default: ./storebridge.duckdb]."),
    ] = None,
    dataset: Annotated[str, typer.Option(help="Dataset (schema) the tables go in.")] = "stores",
    pipeline: Annotated[
        str, typer.Option(help="dlt pipeline name; its state remembers where each store was.")
    ] = "storebridge",
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
    config: ConfigOption = None,
) -> None:
    """Load orders, customers and products into a warehouse (DuckDB by default).

    Rows carry their store and merge on (store, ref); nested lines, addresses and variants
    become child tables. Run it again to load only what changed.
    """
    apply_verbosity(verbose, debug)
    chosen = _resources(resources)
    stores = store or []
    if sum((every, tag is not None, bool(stores))) != 1:
        raise usage_error(
            "name the stores one way: --store (repeated), --tag or --all",
            hint="`storebridge stores` lists the profiles",
        )
    if database is not None:
        if to != "duckdb":
            raise usage_error("--database applies to --to duckdb only")
        writable_file("--database", database)
    from storebridge.cli.export_fleet import choose_fleet

    group = choose_fleet(stores, tag, every, config)
    try:
        from storebridge import dlt as sb_dlt
    except Exception as exc:  # the extra is missing: a ConfigurationError naming the fix
        # Its message says what to install; a hint saying it again adds nothing.
        hint = None if "storebridge[dlt]" in str(exc) else "pip install 'storebridge[dlt]'"
        raise CliError(str(exc), hint=hint) from None
    try:
        outcome = sb_dlt.load(
            group, to=to, database=database, dataset=dataset, pipeline_name=pipeline,
            resources=chosen,
        )  # fmt: skip
    except Exception as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from None  # dlt wraps Ctrl-C in its step's failure
        # dlt reports a failed step as its own exception, several lines long, around ours
        # (a value no warehouse holds, a pending package that cannot load): ours says it.
        from storebridge.dlt.load import store_error

        found = store_error(exc)
        raise CliError(f"the load into {to} failed: {found or exc}") from None
    report = outcome.report
    if as_json:
        result_json(report.to_dict())
    else:
        for result in report:
            if result.ok:
                counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
                note(f"  {result.store}: {counts}")
        where = str(database or "storebridge.duckdb") if to == "duckdb" else to
        totals = ", ".join(f"{n} {what}" for what, n in report.totals.items())
        note(f"loaded {totals} from {len(report.succeeded)} of {len(report)} stores into {where}")
    for name, failure in report.failed.items():
        given = ", ".join(f"{n} {what}" for what, n in report[name].counts.items() if n)
        kept = f" ({given} of it loaded before it failed)" if given else ""
        error(f"store {name}: {failure}{kept}")
    if not report.ok:
        raise CliError(
            f"{len(report.failed)} of {len(report)} stores failed; the others were loaded",
            hint="run again once they are fixed: each store resumes where it left off",
        )
