"""`storebridge demo`, the README's first command, ends with a PASS report."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from storebridge.cli import app


def test_demo_passes_and_refunds() -> None:
    result = CliRunner().invoke(app, ["demo", "--json", "--orders", "8"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "PASS"
    assert set(report["migrations"]) == {"24nettbutikk->shopline-nok", "29next->shopline-usd"}
    for migration in report["migrations"].values():
        assert migration["status"] == "PASS"
        assert migration["results"]["orders"]["created"] == 8
    assert report["refund"]["amount"].endswith("USD")
