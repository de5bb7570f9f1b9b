"""The dlt source: three stores into DuckDB, then only the changes, matching record for record."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import storebridge
from storebridge.fleet import StoreSpec
from storebridge.model import Address, CustomerDraft, CustomerUpdate
from tests.fleet.extras import DLT, require
from tests.fleet.support import in_process_specs

if TYPE_CHECKING:
    import storebridge.dlt as storebridge_dlt

require("dlt", "duckdb", extra="dlt")
pytestmark = DLT

STORES = [
    ("next", "29next", {"seed": 21, "orders": 14}),
    ("line", "shopline", {"seed": 22, "orders": 15}),
    ("nett", "24nettbutikk", {"seed": 23, "orders": 16}),
]


def _snapshot(specs: list[StoreSpec], resource: str) -> dict[tuple[str, str], Any]:
    """(store, ref) -> the record, read afresh from each sandbox."""
    found = {}
    for spec in specs:
        with spec.connect() as store:
            query = {"detail": True} if resource == "orders" else {}
            for record in getattr(store, resource).list(**query):
                found[(spec.name, record.ref)] = record
    return found


def _table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows: list[tuple[Any, ...]] = con.sql(sql).fetchall()
        return rows


def _latest_load(db: Path, table: str) -> set[tuple[str, str]]:
    # Table names come from this test, never from input: S608 does not apply here or below.
    latest = f"select max(_dlt_load_id) from stores.{table}"  # noqa: S608
    query = f"select store, ref from stores.{table} where _dlt_load_id = ({latest})"  # noqa: S608
    rows = _table(db, query)
    return {(store, ref) for store, ref in rows}


def _matches(db: Path, specs: list[StoreSpec]) -> None:
    """Every table holds exactly the sandboxes' records, with their child rows."""
    for resource, children in (("orders", "lines"), ("customers", "addresses"),
                               ("products", "variants")):  # fmt: skip
        records = _snapshot(specs, resource)
        rows = _table(db, f"select store, ref, updated_at, _dlt_id from stores.{resource}")  # noqa: S608
        assert len(rows) == len(records), resource
        assert {(s, r): at for s, r, at, _ in rows} == {
            key: record.updated_at for key, record in records.items()
        }, resource
        join = (
            f"stores.{resource} p left join stores.{resource}__{children} c "
            "on c._dlt_parent_id = p._dlt_id"
        )
        query = f"select p.store || '/' || p.ref, count(c._dlt_id) from {join} group by 1"  # noqa: S608
        counts = dict(_table(db, query))
        assert counts == {
            f"{store}/{ref}": len(getattr(record, children))
            for (store, ref), record in records.items()
        }, resource
    totals = dict(_table(db, "select store || '/' || ref, total__amount from stores.orders"))
    orders = _snapshot(specs, "orders")
    assert totals == {f"{s}/{r}": o.total.amount for (s, r), o in orders.items()}


def _changed(before: dict[Any, Any], after: dict[Any, Any]) -> set[Any]:
    """What the platforms say changed: new records, and records with a new ``updated_at``.

    Records the platform does not date (29 Next customers) changed when their content did.
    (An order embedding a customer who changed is not itself changed: its copy of the
    customer is as of the order's own last change, as on the platform's order page.)
    """
    from storebridge._digest import digest

    return {
        key for key in after
        if key not in before or before[key].updated_at != after[key].updated_at
        or (after[key].updated_at is None and digest(before[key]) != digest(after[key]))
    }  # fmt: skip


def test_three_stores_into_duckdb_then_only_the_changes(tmp_path: Path) -> None:
    import storebridge.dlt as storebridge_dlt

    specs, kits = in_process_specs(STORES)
    specs = [spec.with_options(storebridge.StoreOptions(
        rate_limit=storebridge.RateLimit(10_000, 10_000))) for spec in specs]  # fmt: skip
    db = tmp_path / "shops.duckdb"

    def load() -> storebridge_dlt.LoadResult:
        return storebridge_dlt.load(specs, database=db, pipelines_dir=tmp_path / "pipelines")

    first = load()
    assert first.ok, first.report.summary()
    assert first.report.totals["orders"] == 14 + 15 + 16
    _matches(db, specs)

    before = {name: _snapshot(specs, name) for name in ("orders", "customers", "products")}
    by_name = {spec.name: spec for spec in specs}
    with by_name["next"].connect() as store:
        order = next(iter(store.orders.list()))
        store.orders.cancel(order.ref, reason="test")
        customer = next(iter(store.customers.list()))
        store.customers.update(customer.ref, CustomerUpdate(first_name="Changed"))
    with by_name["line"].connect() as store:
        order = list(store.orders.list())[3]
        address = Address(line1="Storgata 1", city="Oslo", postal_code="0155", country="NO")
        store.orders.update_shipping_address(order.ref, address)
        store.customers.create(CustomerDraft(email="new.person@example.com", first_name="New"))
    with by_name["nett"].connect() as store:
        order = list(store.orders.list())[5]
        store.extra.update_order_status(order.ref, "3")
    after = {name: _snapshot(specs, name) for name in ("orders", "customers", "products")}
    changed = {name: _changed(before[name], after[name]) for name in before}
    assert changed["orders"] and changed["customers"]

    second = load()
    assert second.ok, second.report.summary()
    for resource, keys in changed.items():
        assert second.report.totals.get(resource, 0) == len(keys), resource
        if keys:
            assert _latest_load(db, resource) == keys, resource
    _matches(db, specs)

    third = load()  # nothing changed since: nothing is loaded
    assert third.ok and set(third.report.totals.values()) == {0}
    assert kits  # the sandboxes stayed alive for the whole test


def test_a_failing_store_is_skipped_and_picked_up_later(tmp_path: Path) -> None:
    import storebridge.dlt as storebridge_dlt

    specs, _ = in_process_specs(STORES[::2])
    fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(10_000, 10_000))
    good = specs[0].with_options(fast)
    broken = StoreSpec(specs[1].name, platform=specs[1].platform,
                       settings={**specs[1].settings, "token": "wrong-token-123"},
                       transport=specs[1].transport, options=fast)  # fmt: skip
    db = tmp_path / "s.duckdb"
    run: dict[str, Any] = {"database": db, "pipelines_dir": tmp_path / "p", "resources": ["orders"]}
    result = storebridge_dlt.load([good, broken], **run)
    assert not result.ok and list(result.report.failed) == ["nett"]
    assert result.report["next"].counts == {"orders": 14}
    healed = storebridge_dlt.load([good, specs[1].with_options(fast)], **run)
    assert healed.ok and healed.report["nett"].counts == {"orders": 16}
    assert healed.report["next"].counts == {"orders": 0}
    with pytest.raises(storebridge.ConfigurationError, match="resources"):
        storebridge_dlt.source([good], resources=["refunds"])


def test_a_load_after_an_interrupted_one_reads_the_stores_too(tmp_path: Path) -> None:
    """An interrupted load can leave a dlt package pending (extracted and normalized, not
    loaded). dlt's run() then loads only that package: the next load read no store, said
    "0 of 0 stores" and exited 0, and the changes since were not loaded."""
    import dlt

    import storebridge.dlt as storebridge_dlt
    from storebridge.dlt.load import destination

    specs, _ = in_process_specs(STORES[:2])
    fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(10_000, 10_000))
    specs = [spec.with_options(fast) for spec in specs]
    db, pipelines = tmp_path / "s.duckdb", tmp_path / "p"
    run: dict[str, Any] = {"database": db, "pipelines_dir": pipelines, "resources": ["customers"]}
    assert storebridge_dlt.load(specs, **run).ok

    with specs[0].connect() as store:  # left pending by the interrupted load
        store.customers.create(CustomerDraft(email="pending@example.com", first_name="P"))
    stopped = dlt.pipeline("storebridge", destination=destination("duckdb", db),
                           dataset_name="stores", pipelines_dir=str(pipelines))  # fmt: skip
    stopped.extract(storebridge_dlt.source(specs, resources=["customers"]))
    stopped.normalize()
    assert stopped.has_pending_data

    with specs[1].connect() as store:  # made after the interruption
        store.customers.create(CustomerDraft(email="later@example.com", first_name="L"))
    again = storebridge_dlt.load(specs, **run)
    assert again.ok and sorted(again.report.results) == ["line", "next"]
    assert again.report["line"].counts == {"customers": 1}
    emails = {row[0] for row in _table(db, "select email from stores.customers")}
    assert {"pending@example.com", "later@example.com"} <= emails


def test_amounts_load_exactly_and_text_the_warehouse_would_alter_stops_the_load(
    tmp_path: Path,
) -> None:
    """dlt's default DECIMAL(38, 9) rounded a 13-decimal price away, and DuckDB dropped a
    NUL character from a note: both once loaded silently altered."""
    import storebridge.dlt as sbd

    specs, kits = in_process_specs([("a", "shopline", {"seed": 5, "orders": 1})])
    emulator: Any = kits["a"].emulator
    order = next(iter(emulator.state.orders.rows.values()))
    order["line_items"][0]["price"] = "0.1234567891234"
    sbd.load(storebridge.fleet(specs), database=tmp_path / "x.duckdb",
             pipelines_dir=tmp_path / "p")  # fmt: skip
    prices = _table(tmp_path / "x.duckdb", "select unit_price__amount from stores.orders__lines")
    assert any(str(price).rstrip("0") == "0.1234567891234" for (price,) in prices), prices
    order["note"] = "A\x00B"
    order["updated_at"] = "2030-01-01T00:00:00+00:00"
    with pytest.raises(Exception, match="NUL character") as caught:
        sbd.load(storebridge.fleet(specs), database=tmp_path / "x.duckdb",
                 pipelines_dir=tmp_path / "p")  # fmt: skip
    # The message names the store and the record to fix.
    assert f"store a, orders {order['id']}" in str(caught.value)


@pytest.mark.parametrize("dataset", ["stores", "MyData"])  # dlt renames the second my_data
def test_a_database_whose_amount_columns_keep_fewer_decimals_refuses_finer_amounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: str
) -> None:
    """dlt leaves an existing column as it is: tables an earlier version created keep
    DECIMAL(38, 9), and a finer amount loaded into them would be rounded, silently."""
    import storebridge.dlt as sbd
    import storebridge.dlt.hints

    specs, kits = in_process_specs([("a", "shopline", {"seed": 5, "orders": 1})])
    database, pipelines = tmp_path / "x.duckdb", tmp_path / "p"
    with monkeypatch.context() as earlier:  # the columns as the earlier version made them
        earlier.setattr(storebridge.dlt.hints, "AMOUNT_SCALE", 9)
        sbd.load(storebridge.fleet(specs), database=database, pipelines_dir=pipelines,
                 dataset=dataset)  # fmt: skip
    scales = _table(tmp_path / "x.duckdb", "select distinct numeric_scale from "
                    "information_schema.columns where column_name like '%__amount'")  # fmt: skip
    assert scales == [(9,)]
    emulator: Any = kits["a"].emulator
    order = next(iter(emulator.state.orders.rows.values()))
    order["line_items"][0]["price"] = "0.1234567891234"
    order["updated_at"] = "2030-01-01T00:00:00+00:00"
    with pytest.raises(Exception, match="earlier version with 9 decimals"):
        sbd.load(storebridge.fleet(specs), database=database, pipelines_dir=pipelines,
                 dataset=dataset)  # fmt: skip


def test_a_load_job_reports_the_stores_own_error(tmp_path: Path) -> None:
    """dlt wraps a store's error in its step's failure: a LoadJob's report once gave only
    dlt's long text (kind PipelineStepFailed), where an ExportJob gives the store's."""
    from storebridge.dlt.load import LoadJob

    specs, _ = in_process_specs(STORES[1:])
    fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(10_000, 10_000))
    bad = StoreSpec(specs[1].name, platform=specs[1].platform,
                    settings={**specs[1].settings, "token": "wrong-token-123"},
                    transport=specs[1].transport)  # fmt: skip
    report = storebridge.fleet([specs[0], bad], options=fast).run(LoadJob(tmp_path))
    assert report[specs[0].name].ok and report[specs[0].name].counts["orders"] == 15
    failure = report[bad.name].error
    assert failure is not None and failure.kind != "PipelineStepFailed"
    assert "AuthenticationError" in failure.message and "401" in failure.message
