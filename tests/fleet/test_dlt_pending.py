"""dlt loads: a whole number a bigint column cannot hold, a package an earlier run left that
cannot load, and orders without a shipping address.

A stock of 2**63 passed extract (dlt types ints bigint), failed in DuckDB, and left its
package pending: dlt loads pending packages first, so every later run failed on it again,
with dlt's traceback and nothing saying how to get out. And orders whose shipping address
was None in a whole load made dlt warn that column ``shipping_address`` "did not receive any
data", although its flattened columns are declared and loaded as NULL.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.fleet import Fleet
from tests.fleet.extras import DLT, require
from tests.fleet.support import FAST, in_process_specs

require("dlt", "duckdb", extra="dlt")
pytestmark = DLT


def _table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows: list[tuple[Any, ...]] = con.sql(sql).fetchall()
        return rows


def _shop() -> tuple[Fleet, Any]:
    specs, kits = in_process_specs([("a", "shopline", {"seed": 1, "orders": 4})])
    return storebridge.fleet(specs, options=FAST), kits["a"].emulator


def test_a_whole_number_beyond_bigint_stops_at_extract_and_leaves_nothing_pending(
    tmp_path: Path,
) -> None:
    import storebridge.dlt as sbd

    group, emulator = _shop()
    product = next(iter(emulator.products.values()))
    product["variants"][0]["inventory_quantity"] = 2**63
    run: dict[str, Any] = {"database": tmp_path / "x.duckdb", "pipelines_dir": tmp_path / "p"}
    with pytest.raises(Exception, match="outside the range a warehouse bigint") as caught:
        sbd.load(group, **run)
    assert f"store a, products {product['id']}" in str(caught.value)  # what to fix, where
    product["variants"][0]["inventory_quantity"] = 5  # fixed on the platform
    result = sbd.load(group, **run)  # no stale package in the way
    assert result.ok
    assert _table(tmp_path / "x.duckdb", "select count(*) from stores.products") == [
        (len(emulator.products),)
    ]


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)])
def test_the_ends_of_the_bigint_range_load(value: int) -> None:
    from storebridge.dlt.rows import _value

    assert _value(value) == value
    with pytest.raises(Exception, match="outside the range"):
        _value(value + (1 if value > 0 else -1))


def test_a_pending_package_that_cannot_load_says_how_to_drop_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storebridge.dlt as sbd
    import storebridge.dlt.rows

    group, emulator = _shop()
    product = next(iter(emulator.products.values()))
    product["variants"][0]["inventory_quantity"] = 2**63
    pipelines = tmp_path / "p"
    run: dict[str, Any] = {"database": tmp_path / "x.duckdb", "pipelines_dir": pipelines,
                           "pipeline_name": "shops"}  # fmt: skip
    with monkeypatch.context() as earlier:  # an earlier version let the value through
        earlier.setattr(storebridge.dlt.rows, "INT_MAX", 2**64)
        with pytest.raises(Exception, match="step=load"):
            sbd.load(group, **run)
    product["variants"][0]["inventory_quantity"] = 5
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the message is checked below
        sbd.load(group, **run)
    message = str(caught.value)
    assert "a load package from an earlier run of pipeline 'shops' could not be loaded" in message
    assert type(caught.value).__name__ == "PendingLoadFailed"
    assert "out of range" in message  # the cause, on one line
    assert "\n" not in message
    command = message.split("run `")[1].split("`")[0]
    folder = pipelines.resolve()
    assert command == f"dlt pipeline --pipelines-dir {folder} shops drop-pending-packages"
    # The advice works: the package goes, and the next load reads every store again.
    # (-y: dlt asks for confirmation, and takes no for an answer without a terminal.)
    dlt_command = str(Path(sys.executable).with_name("dlt"))
    proc = subprocess.run(  # noqa: S603 - dlt's own command, as the message gives it
        [dlt_command, "-y", *shlex.split(command)[1:]], capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = sbd.load(group, **run)
    assert result.ok
    for table, records in (("products", emulator.products), ("orders", emulator.orders)):
        count = _table(tmp_path / "x.duckdb", f"select count(*) from stores.{table}")  # noqa: S608
        assert count == [(len(records),)], table


def test_the_drop_command_of_the_default_pipelines_folder_names_no_folder() -> None:
    from storebridge.dlt.load import _pending_failed

    message = _pending_failed("storebridge", None, RuntimeError("refused"))
    assert "run `dlt pipeline storebridge drop-pending-packages`" in message
    assert "(RuntimeError: refused)" in message


def test_orders_without_a_shipping_address_load_null_columns_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import storebridge.dlt as sbd

    group, emulator = _shop()
    for order in emulator.orders.values():
        order["shipping_address"] = None
    dlt_log = logging.getLogger("dlt")  # dlt's own logger need not reach the root's
    dlt_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING):
            result = sbd.load(group, database=tmp_path / "x.duckdb",
                              pipelines_dir=tmp_path / "p", resources=["orders"])  # fmt: skip
    finally:
        dlt_log.removeHandler(caplog.handler)
    assert result.ok
    assert "did not receive any data" not in caplog.text
    db = tmp_path / "x.duckdb"
    columns = {name for (name,) in _table(db, "select column_name from information_schema.columns"
               " where table_schema = 'stores' and table_name = 'orders'")}  # fmt: skip
    address = {name for name in columns if name.startswith("shipping_address")}
    assert {"shipping_address__line1", "shipping_address__city"} <= address
    assert "shipping_address" not in columns
    values = _table(db, "select " + ", ".join(sorted(address)) + " from stores.orders")  # noqa: S608
    assert len(values) == len(emulator.orders)
    assert all(value is None for row in values for value in row)
