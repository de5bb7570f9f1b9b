"""The conformance kit names the operation and the model class an adapter should have
returned, when it hands back the platform's rows (dicts) instead of model objects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from storebridge.adapter import OrderQuery
from storebridge.flow import Flow, ListFlow, expand_pages, just
from storebridge.model import Customer, CustomerDraft, Order
from storebridge.testing.conformance import (
    check_adapter,
    check_listings_under_faults,
    check_lost_answer_writes,
    check_record,
)
from storebridge_29next import TwentyNineNextAdapter


def _rows(page: Sequence[Any]) -> Flow[list[Any]]:
    return just([dict(item.raw) for item in page])


class GetReturnsADict(TwentyNineNextAdapter):
    def get_order(self, ref: str) -> Flow[Any]:
        order: Order = yield from super().get_order(ref)
        return dict(order.raw)


class ListingEmitsDicts(TwentyNineNextAdapter):
    def list_orders(self, query: OrderQuery) -> ListFlow[Any]:
        return expand_pages(super().list_orders(query), _rows)


class CreateReturnsADict(TwentyNineNextAdapter):
    def create_customer(self, draft: CustomerDraft) -> Flow[Any]:
        customer: Customer = yield from super().create_customer(draft)
        return dict(customer.raw)


def _refusal(check: Callable[[], object]) -> str:
    """The message of the AssertionError ``check`` raises."""
    with pytest.raises(AssertionError) as raised:
        check()
    return str(raised.value)


def test_a_get_returning_a_dict_names_the_operation_and_the_model() -> None:
    message = _refusal(lambda: check_adapter(GetReturnsADict))
    assert message.startswith("orders.get returned a dict"), message
    assert "storebridge.model.Order" in message


def test_a_listing_emitting_dicts_names_the_operation_and_the_model() -> None:
    message = _refusal(lambda: check_adapter(ListingEmitsDicts))
    assert message.startswith("orders.list emitted a dict (orders[0])"), message
    assert "storebridge.model.Order" in message


def test_a_listing_emitting_dicts_fails_the_fault_check_with_the_same_message() -> None:
    message = _refusal(
        lambda: check_listings_under_faults(ListingEmitsDicts, orders=4, seeds=(1,), rates=(0.1,))
    )
    assert message.startswith("orders.list emitted a dict (orders[0])"), message
    assert "storebridge.model.Order" in message


def test_a_write_returning_a_dict_names_the_operation_and_the_model() -> None:
    with pytest.raises(AssertionError) as raised:
        check_lost_answer_writes(CreateReturnsADict, kinds=("reset_after",))
    message = str(raised.value)
    assert message.startswith("customers.create after a lost answer"), message
    assert "returned a dict" in message and "storebridge.model.Customer" in message


def test_check_record_refuses_what_is_not_a_model_object() -> None:
    with pytest.raises(AssertionError, match=r"^orders\[0\] is a dict, not a storebridge model"):
        check_record({"platform": "29next", "ref": "1"}, "29next", "orders[0]")
