"""The adapter passes storebridge's conformance kit against its own sandbox."""

from __future__ import annotations

from storebridge.testing.conformance import (
    check_adapter,
    check_error_parsing,
    check_listings_under_faults,
    check_lost_answer_writes,
    check_unsupported,
)
from storebridge.testing.faults import LOST_ANSWER_FAULTS
from storebridge_example import ExampleAdapter


def test_model_conventions_listings_and_gets() -> None:
    counts = check_adapter(ExampleAdapter, orders=9)
    assert counts == {"orders": 9, "customers": 5}


def test_operations_it_lacks_are_refused_before_any_request() -> None:
    refused = check_unsupported(ExampleAdapter)
    assert "products.list" in refused and "orders.cancel" in refused
    assert "orders.list" not in refused


def test_error_answers_of_any_shape_become_api_errors() -> None:
    assert check_error_parsing(ExampleAdapter) > 50


def test_listings_are_exact_or_an_error_under_faults() -> None:
    report = check_listings_under_faults(ExampleAdapter, orders=30, seeds=range(1, 7))
    assert set(report) == {"orders", "customers"}
    for outcome in report.values():
        assert outcome["faults"] > 0
        # Retries absorb most faults: a run where nearly every listing fails proves little.
        assert outcome["exact"] >= outcome["error"]


def test_writes_whose_answer_is_lost_are_read_back_not_repeated() -> None:
    report = check_lost_answer_writes(ExampleAdapter)
    assert set(report) == {"customers.create", "refunds.create"}
    for by_fault in report.values():
        assert set(by_fault) == set(LOST_ANSWER_FAULTS)
