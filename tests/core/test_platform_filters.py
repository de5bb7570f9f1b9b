"""A listing refuses a filter its platform does not take, before any request.

A platform ignores a query parameter it does not know, so a misspelt filter
(``stauts=``, ``updated_after=``) used to list every record: the ones the caller meant
to leave out too. Each shipped adapter declares the platform filters of its listings
(``Adapter.list_filters``); any other name is a ValidationError naming it, the filter
likely meant, and the filters there are. An adapter that declares none hands ``extra`` on
as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import storebridge
from storebridge.errors import ValidationError
from storebridge.registry import adapter_class
from tests.support.counting import Counting

PLATFORMS = ("29next", "shopline", "24nettbutikk")


@contextmanager
def _store(platform: str) -> Iterator[tuple[storebridge.Store, Counting]]:
    kit = adapter_class(platform).sandbox(orders=6, customers=3, products=3, rate_limit=None)
    counting = Counting(kit.emulator.transport())
    settings = kit.settings("https://shop.example")
    with storebridge.connect(platform, transport=counting, **settings) as store:
        yield store, counting


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    ("resource", "given", "meant"),
    [
        ("orders", {"stauts": "cancelled"}, "status"),
        ("orders", {"updated_after": "2030-01-01"}, "updated_until"),
        ("customers", {"created_snce": "2030-01-01"}, "created_since"),
        ("products", {"page_sise": 5}, "page_size"),
    ],
)
def test_a_misspelt_filter_is_refused_before_any_request(
    platform: str, resource: str, given: dict[str, Any], meant: str
) -> None:
    with _store(platform) as (store, counting):
        with pytest.raises(ValidationError, match=f"did you mean {meant}") as caught:
            list(getattr(store, resource).list(**given))
        assert counting.sent == 0
    (name,) = given
    assert caught.value.field == name
    assert repr(name) in str(caught.value)


@pytest.mark.parametrize(
    ("platform", "resource", "given", "kept"),
    [
        ("29next", "orders", {"date_placed_from": "2000-01-01"}, True),
        ("29next", "customers", {"email": "nobody@example.com"}, False),
        ("shopline", "orders", {"email": "nobody@example.com"}, False),
        ("shopline", "products", {"title": "no such product"}, False),
    ],
)
def test_a_platform_filter_the_adapter_declares_goes_to_the_platform(
    platform: str, resource: str, given: dict[str, Any], kept: bool
) -> None:
    with _store(platform) as (store, _):
        everything = list(getattr(store, resource).list())
        filtered = list(getattr(store, resource).list(**given))
    assert everything
    assert (filtered == everything) is kept


def test_24nettbutikk_takes_no_platform_filters() -> None:
    # Its API filters by modification time only: a filter such as ``email=`` was dropped
    # without a word, and the listing held every order.
    with _store("24nettbutikk") as (store, counting):
        with pytest.raises(ValidationError, match="takes no platform filters"):
            list(store.orders.list(email="nobody@example.com"))
    assert counting.sent == 0


def test_the_walks_own_parameters_are_not_filters() -> None:
    # ``limit``/``page_info``/``fields`` steer SHOPLINE's pages and ``cursor`` 29 Next's:
    # passed on, they would break the listing's guarantees.
    for platform, name in (("shopline", "page_info"), ("shopline", "fields"), ("29next", "cursor")):
        given: dict[str, Any] = {name: "x"}
        with _store(platform) as (store, _), pytest.raises(ValidationError, match=repr(name)):
            list(store.orders.list(**given))


def test_an_adapter_that_declares_no_filters_gets_extra_unchecked() -> None:
    from storebridge._resources import _platform_filters
    from storebridge.adapter import Adapter

    class Plain(Adapter):
        name = "plain-filters"
        display_name = "Plain"

    assert Plain.list_filters is None
    given = {"anything": "goes"}
    assert _platform_filters(Plain(None), "orders", given) == given


@pytest.mark.parametrize("platform", ["29next", "shopline"])
@pytest.mark.parametrize("value", [None, [], (), "", "  ", ["a@example.com", ""]])
def test_a_platform_filter_given_nothing_is_refused(platform: str, value: object) -> None:
    # 29 Next sent nothing for it, and the listing held every customer; an empty string
    # (an empty batch joined, say) is no filter to either platform.
    given: dict[str, Any] = {"email" if platform == "29next" else "ids": value}
    with _store(platform) as (store, counting):
        with pytest.raises(ValidationError, match="give it a value, or leave it out"):
            list(store.customers.list(**given))
    assert counting.sent == 0
