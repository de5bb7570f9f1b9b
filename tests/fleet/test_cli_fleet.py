"""``storebridge export`` over several stores and ``storebridge load --to duckdb``."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from storebridge.cli import run
from storebridge.cli.output import CliError
from storebridge.profiles import env_name
from tests.fleet.extras import DLT
from tests.fleet.support import layout, served_fleet


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_several_stores_tags_each_record_and_reports_each_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stores = layout(3)
    with served_fleet(tmp_path, monkeypatch, stores, tags={"29next-0": ["us"]}) as sandboxes:
        config = str(sandboxes.config)
        expected = {}
        for name, _, _ in stores:
            with sandboxes.connect(name) as store:
                expected[name] = {c.ref for c in store.customers.list()}
        code, out, err = _cli(
            capsys, "export", "customers", "--store", "29next-0", "--store", "24nettbutikk-2",
            "--config", config,
        )  # fmt: skip
        assert code == 0, err
        rows = [json.loads(line) for line in out.splitlines()]
        assert next(iter(rows[0])) == "store"
        assert {(r["store"], r["ref"]) for r in rows} == {
            (name, ref) for name in ("29next-0", "24nettbutikk-2") for ref in expected[name]
        }
        assert len(rows) == len(expected["29next-0"]) + len(expected["24nettbutikk-2"])
        assert f"29next-0: {len(expected['29next-0'])} customers" in err
        assert "to stdout" in err and "2 of 2 stores complete" in err

        report = tmp_path / "report.json"
        code, out, err = _cli(
            capsys, "export", "customers", "--all", "-f", "csv", "--report", str(report),
            "--config", config,
        )  # fmt: skip
        assert code == 0, err
        table = list(csv.DictReader(io.StringIO(out)))
        assert Counter(row["store"] for row in table) == {n: len(r) for n, r in expected.items()}
        data = json.loads(report.read_text("utf-8"))
        assert data["ok"] and data["totals"] == {"customers": len(table)}

        code, out, _ = _cli(capsys, "export", "customers", "--tag", "us", "--config", config)
        assert code == 0 and {json.loads(x)["store"] for x in out.splitlines()} == {"29next-0"}

        # One store refused (401): the others complete, the failure is named, exit 1.
        monkeypatch.setenv(env_name("shopline-1", "access_token"), "x" * 24)
        monkeypatch.setenv(env_name("shopline-1", "app_secret"), "y" * 24)
        output = tmp_path / "all.jsonl"
        code, _, err = _cli(
            capsys, "export", "customers", "--all", "-o", str(output), "--config", config
        )
    assert code == 1
    assert "error: store shopline-1:" in err and "stores failed" in err
    assert "Traceback" not in err and "x" * 24 not in err and "y" * 24 not in err
    kept = {json.loads(line)["store"] for line in output.read_text("utf-8").splitlines()}
    assert kept == {"29next-0", "24nettbutikk-2"}


def test_export_store_selection_mistakes_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with served_fleet(tmp_path, monkeypatch, layout(2)) as sandboxes:
        config = str(sandboxes.config)
        code, _, err = _cli(capsys, "export", "orders", "--all", "--tag", "x", "--config", config)
        assert code == 2 and "one way" in err
        code, _, err = _cli(capsys, "export", "orders", "--tag", "nope", "--config", config)
        assert code == 2 and "tag 'nope'" in err
        code, _, err = _cli(
            capsys, "export", "orders", "-s", "29next-0", "-s", "nope", "--config", config
        )
        assert code == 2 and "no profile 'nope'" in err


@DLT
def test_load_to_duckdb_then_again_loads_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    duckdb = pytest.importorskip("duckdb", reason="the dlt extra (in .[dev]) is not installed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # dlt keeps pipeline state under ~/.dlt
    stores = layout(3, orders=6)
    with served_fleet(tmp_path, monkeypatch, stores) as sandboxes:
        config = str(sandboxes.config)
        args = ["load", "--to", "duckdb", "--all", "--resources", "customers,products",
                "--config", config]  # fmt: skip
        code, out, err = _cli(capsys, *args, "--json")
        assert code == 0, err
        first = json.loads(out)
        code, out, err = _cli(capsys, *args, "--json")
        assert code == 0, err
        second = json.loads(out)
        # A store named twice is one store, as with export (it was a usage error here).
        name = stores[0][0]
        twice = ["--store", name, "--store", name]
        code, out, err = _cli(capsys, "load", *twice, "--resources", "customers",
                              "--config", config, "--json")  # fmt: skip
        assert code == 0, err
        assert list(json.loads(out)["stores"]) == [name]
    assert first["ok"] and first["totals"]["customers"] > 0 and first["totals"]["products"] > 0
    assert second["totals"] == {"customers": 0, "products": 0}
    with duckdb.connect(str(tmp_path / "storebridge.duckdb"), read_only=True) as con:
        [(count,)] = con.sql("select count(*) from stores.customers").fetchall()
    assert count == first["totals"]["customers"]


def _late_failure(number: int, request: object) -> str | None:
    """A fault script: every request after the ninth is a 5xx (a store failing part way)."""
    return "server_error" if number > 9 else None


def _export_failing(
    stores: list[tuple[str, str, dict[str, int], bool]],
    output: Path,
    report_file: Path | None = None,
) -> CliError:
    """``export_fleet`` of orders into ``output`` from sandboxes (name, platform, size, fails
    part way); the CliError it must raise."""
    import storebridge
    from storebridge.cli.export_fleet import export_fleet
    from storebridge.fleet import StoreSpec
    from storebridge.testing import FaultTransport
    from tests.fleet.support import build

    options = storebridge.StoreOptions(
        rate_limit=storebridge.RateLimit(10_000, 10_000),
        retry=storebridge.RetryPolicy(base_delay=0.001, max_delay=0.01),
    )
    specs = []
    for name, platform, size, fails in stores:
        kit = build(platform, size)
        script = _late_failure if fails else None
        faulty = FaultTransport(kit.emulator.transport(), rate=0, script=script)
        specs.append(StoreSpec(name, platform=platform, transport=faulty,
                               settings=kit.settings(f"https://{name}.example")))  # fmt: skip
    with pytest.raises(CliError) as caught:
        export_fleet(storebridge.fleet(specs, options=options), "orders", updated_since=None,
                     fmt="jsonl", output=output, detail=True, quiet=True,
                     show_progress=False, report_file=report_file)  # fmt: skip
    return caught.value


def test_a_store_failing_part_way_is_named_with_the_records_it_left(tmp_path: Path) -> None:
    """Records stream out as they come, so a store that fails part way leaves some in the
    output: the error once said the file held only the other stores' records."""
    output = tmp_path / "orders.jsonl"
    failure = _export_failing(
        [("good", "shopline", {"seed": 2, "orders": 8}, False),
         ("bad", "29next", {"seed": 1, "orders": 12, "page_size": 5}, True)],
        output,
    )  # fmt: skip
    left = Counter(json.loads(line)["store"] for line in output.read_text().splitlines())
    assert left["good"] == 8 and 0 < left["bad"] < 12
    assert f"and {left['bad']} of bad's, read before it failed" in failure.message
    assert failure.hint is not None and "store column" in failure.hint


def test_every_store_failing_part_way_into_a_file_reports_nothing_written(
    tmp_path: Path,
) -> None:
    # The file is left as it was; the report counted what each store gave before failing.
    output, report = tmp_path / "orders.jsonl", tmp_path / "report.json"
    output.write_text("earlier\n", "utf-8")
    failure = _export_failing(
        [("a", "29next", {"seed": 1, "orders": 12, "page_size": 5}, True),
         ("b", "29next", {"seed": 2, "orders": 12, "page_size": 5}, True)],
        output, report,
    )  # fmt: skip
    assert "nothing was written" in failure.message
    assert output.read_text("utf-8") == "earlier\n"
    stores = json.loads(report.read_text("utf-8"))["stores"]
    assert {name: s["counts"] for name, s in stores.items()} == {
        "a": {"orders": 0},
        "b": {"orders": 0},
    }


def test_export_keeps_earlier_files_when_it_cannot_write_the_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o X --report X` once replaced the export with the report (exit 0); a fleet export in
    which every store failed replaced the previous file with an empty one; a report left by
    an earlier run stayed in place when this one ended early, and a single-store export
    took --report and never wrote it."""
    from storebridge.profiles import PROFILE_ENV

    with served_fleet(tmp_path, monkeypatch, layout(2)) as sandboxes:
        config = str(sandboxes.config)
        output = tmp_path / "x.jsonl"
        code, _, err = _cli(capsys, "export", "customers", "--all", "-o", str(output),
                            "--report", str(output), "--config", config)  # fmt: skip
        assert code == 2 and "same file as -o" in err and not output.exists()
        code, _, err = _cli(capsys, "export", "customers", "-s", "29next-0", "--report",
                            str(tmp_path / "r.json"), "--config", config)  # fmt: skip
        assert code == 2 and "--report is written for several stores" in err

        # The same store named twice, or the default store beside --all, is no mistake.
        code, out, err = _cli(capsys, "export", "customers", "-s", "29next-0", "-s",
                              "29next-0", "--config", config)  # fmt: skip
        assert code == 0, err
        refs = [json.loads(line)["ref"] for line in out.splitlines()]
        assert refs and len(set(refs)) == len(refs)
        monkeypatch.setenv(PROFILE_ENV, "29next-0")
        code, out, err = _cli(capsys, "export", "customers", "--all", "--config", config)
        assert code == 0, err
        assert {json.loads(line)["store"] for line in out.splitlines()} == {
            "29next-0",
            "shopline-1",
        }
        # Named on the command line too, it is a choice: two ways of naming stores (it was
        # dropped in silence when it matched the variable's value).
        code, _, err = _cli(capsys, "export", "customers", "-s", "29next-0", "--all",
                            "--config", config)  # fmt: skip
        assert code == 2 and "name the stores one way" in err
        monkeypatch.delenv(PROFILE_ENV)

        output.write_text("earlier export\n", "utf-8")
        report = tmp_path / "report.json"
        report.write_text('{"ok": true, "note": "yesterday"}', "utf-8")
        for name in ("29next-0", "shopline-1"):
            for setting in ("access_token", "app_secret"):
                monkeypatch.setenv(env_name(name, setting), "z" * 24)
        code, _, err = _cli(capsys, "export", "customers", "--all", "-o", str(output),
                            "--report", str(report), "--config", config)  # fmt: skip
    assert code == 1 and "all 2 stores failed; nothing was written to" in err
    assert output.read_text("utf-8") == "earlier export\n"
    data = json.loads(report.read_text("utf-8"))
    assert data["ok"] is False and "note" not in data
    # It counts what the file got from each store: nothing (it counted what was read).
    assert all(n == 0 for s in data["stores"].values() for n in s["counts"].values()), data
    assert not list(tmp_path.glob("x.jsonl.*.part"))


@DLT
def test_load_names_the_rows_a_failing_store_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that fails part way has what it gave loaded: the summary's total counts
    them, so the error says how many (it once said only that the store failed)."""

    import storebridge
    from storebridge import _http
    from storebridge.testing import FaultTransport

    pytest.importorskip("duckdb", reason="the dlt extra (in .[dev]) is not installed")
    monkeypatch.setenv("HOME", str(tmp_path))
    stores = [("29next-0", "29next", {"seed": 1, "orders": 30, "page_size": 5}),
              ("shopline-1", "shopline", {"seed": 2, "orders": 10})]  # fmt: skip
    with served_fleet(tmp_path, monkeypatch, stores) as sandboxes:
        real = storebridge.connect_async

        def failing_part_way(platform: Any = None, **kw: Any) -> Any:
            if kw.get("profile") == "29next-0":
                kw["transport"] = FaultTransport(
                    _http.AsyncHTTPTransport(),
                    script=lambda n, _r: "server_error" if n > 9 else None,
                )
                kw["options"] = storebridge.StoreOptions(
                    retry=storebridge.RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
                )
            return real(platform, **kw)

        monkeypatch.setattr(storebridge, "connect_async", failing_part_way)
        code, _, err = _cli(
            capsys, "load", "--all", "--resources", "orders", "--database",
            str(tmp_path / "x.duckdb"), "--pipeline", "partial", "--config", str(sandboxes.config),
        )  # fmt: skip
    assert code == 1
    given = [line for line in err.splitlines() if line.startswith("error: store 29next-0")]
    assert len(given) == 1 and given[0].endswith("orders of it loaded before it failed)")
    loaded = int(given[0].rsplit("(", 1)[1].split()[0])
    assert f"loaded {10 + loaded} orders from 1 of 2 stores" in err
    assert "was skipped" not in err


def test_a_ctrl_c_wrapped_by_dlt_is_an_interrupt() -> None:
    """dlt reports Ctrl-C as its step's failure: it must end as an interrupt (exit 130),
    not as a failed load (exit 1)."""
    from storebridge._chain import interrupted as _interrupted

    class StepFailed(Exception):
        def __init__(self, exception: BaseException) -> None:
            super().__init__("Pipeline execution failed at step=extract")
            self.exception = exception

    class SignalReceivedException(Exception):
        pass

    chained = RuntimeError("step failed")
    chained.__cause__ = KeyboardInterrupt()
    assert _interrupted(chained)
    assert _interrupted(StepFailed(KeyboardInterrupt()))
    assert _interrupted(StepFailed(SignalReceivedException()))
    assert not _interrupted(StepFailed(ValueError("a real failure")))
    assert not _interrupted(RuntimeError("no cause"))


def test_every_store_failing_part_way_into_a_pipe_names_what_the_reader_got(
    tmp_path: Path,
) -> None:
    """A pipe is written as records come (no part file to drop): with every store failing
    part way, the error once said nothing was written and it was as it was."""
    import os
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got: list[str] = []

    def read() -> None:
        with open(pipe, encoding="utf-8") as stream:
            got.extend(stream.read().splitlines())

    reader = threading.Thread(target=read)
    reader.start()
    size = {"orders": 12, "page_size": 5}
    failure = _export_failing(
        [("p", "29next", {"seed": 1, **size}, True), ("q", "29next", {"seed": 2, **size}, True)],
        pipe,
    )
    reader.join(timeout=30)
    given = Counter(json.loads(line)["store"] for line in got)
    assert set(given) == {"p", "q"}
    message = failure.message
    assert "nothing was written" not in message and "as it was" not in message
    for name, count in given.items():
        assert f"{count} of {name}'s, read before it failed" in message


def test_ctrl_c_while_choosing_the_stores_says_so_and_leaves_no_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C before the records (reading the profiles) ended with exit 130 and nothing on
    stderr, and the report of an earlier run stayed, looking current."""
    import storebridge.cli.export_fleet as export_fleet_module

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(export_fleet_module, "choose_fleet", interrupted)
    report = tmp_path / "report.json"
    report.write_text('{"ok": true}', "utf-8")
    code, _, err = _cli(
        capsys, "export", "orders", "--all", "-o", str(tmp_path / "x.jsonl"), "--report",
        str(report), "--config", str(tmp_path / "storebridge.toml"),
    )  # fmt: skip
    assert code == 130
    assert err.strip() == "interrupted"
    assert not report.exists()


def test_a_value_no_warehouse_holds_is_named_in_one_line_not_in_dlts_step_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("duckdb", reason="the dlt extra (in .[dev]) is not installed")
    import storebridge.dlt as sbd
    from storebridge.dlt.rows import UnloadableValue

    class StepFailed(Exception):  # how dlt reports a failed step: ours as `exception`
        def __init__(self, inner: BaseException) -> None:
            super().__init__("Pipeline execution failed at `step=extract` when processing "
                             "package 1234 with exception:\n\n<class ...>\nlong text")  # fmt: skip
            self.exception = inner

    refused = UnloadableValue("store a, orders 7: the note holds a NUL character")

    def load(*_a: Any, **_k: Any) -> Any:
        raise StepFailed(refused)

    monkeypatch.setattr(sbd, "load", load)
    monkeypatch.setenv("HOME", str(tmp_path))
    with served_fleet(tmp_path, monkeypatch, layout(1, orders=1)) as sandboxes:
        code, _, err = _cli(capsys, "load", "--all", "--config", str(sandboxes.config))
    assert code == 1
    assert "error: the load into duckdb failed: store a, orders 7: the note holds a NUL" in err
    assert "step=extract" not in err
