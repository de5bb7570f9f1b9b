"""Mistakes an adapter's author makes meet a message that names the fix, not a raw
traceback from deep inside: a page reader that cannot read the answer, one that returns
something other than a Page, and an adapter class that lacks what every store needs."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

import storebridge
from storebridge import registry
from storebridge.adapter import Adapter
from storebridge.errors import ConfigurationError, PayloadError, ValidationError
from storebridge.flow import build_request, expand_pages, just
from storebridge.http import Request, Response, read_json
from storebridge.pagination import LinkHeader, Page, walk
from storebridge.payload import Payload
from tests.support.fakes import FakeTime
from tests.support.toy import ToyAdapter, ToyEmulator, _order

TOKEN = "toy-secret-token-123"


def _with_reader(reader: Any) -> type[ToyAdapter]:
    class Custom(ToyAdapter):
        name = "toycustom"

        def list_orders(self, query: Any) -> Any:
            first = build_request("GET", f"{self.base_url}/orders", operation="orders.list",
                                  params={"limit": 2})  # fmt: skip
            rows = walk(first, reader, resource="orders", platform="toy", key=lambda r: r["id"])
            return expand_pages(rows, lambda page: just([_order(Payload(r)) for r in page]))

    return Custom


def _list(cls: type[ToyAdapter]) -> list[Any]:
    storebridge.register_adapter(cls)
    try:
        with storebridge.connect(cls.name, base_url="https://toy.example", token=TOKEN,
                                 transport=ToyEmulator(orders=3).transport(),
                                 options=FakeTime().options()) as store:  # fmt: skip
            return list(store.orders.list())
    finally:
        storebridge.unregister_adapter(cls.name)


def _wrong_key(request: Request, response: Response) -> Page[Any]:
    return Page(read_json(response)["items"], None)  # the answer holds "results"


def _a_tuple(request: Request, response: Response) -> Any:
    return (read_json(response)["results"], None)


def _next_as_text(request: Request, response: Response) -> Page[Any]:
    body = read_json(response)
    return Page(body["results"], body["next"])


def test_a_page_reader_that_cannot_read_the_answer_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match=r"page could not be read \(KeyError: 'items'"):
        _list(_with_reader(_wrong_key))


def test_a_page_reader_must_return_a_page() -> None:
    with pytest.raises(TypeError, match=r"must return Page\(rows, next\), got tuple"):
        _list(_with_reader(_a_tuple))


def test_the_next_page_is_a_request() -> None:
    with pytest.raises(TypeError, match=r"Page.next must be the next page's Request .* got str"):
        _list(_with_reader(_next_as_text))


class _NoName(ToyAdapter):
    name = ""


class _PlainSettings(ToyAdapter):
    Settings = dict  # type: ignore[assignment]


class _NoBaseUrl(ToyAdapter):
    base_url = Adapter.base_url  # what a subclass that forgot it has


@pytest.mark.parametrize(
    ("cls", "problem"),
    [
        (_NoName, "name must be the platform's name"),
        (_PlainSettings, "Settings must be an @attrs.frozen class"),
        (_NoBaseUrl, "must define the base_url property"),
    ],
)
def test_an_incomplete_adapter_class_is_refused_when_registered(
    cls: type[ToyAdapter], problem: str
) -> None:
    with pytest.raises(TypeError, match=problem):
        storebridge.register_adapter(cls)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("tests.support.toy:NoSuchThing", "cannot be loaded: AttributeError"),
        ("storebridge_not_installed_anywhere:Adapter", "cannot be loaded: ModuleNotFoundError"),
        ("tests.support.toy:ToyAdapter", "its name is 'toy', not the entry point's 'broken'"),
    ],
)
def test_an_entry_point_that_cannot_give_its_adapter_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    point = EntryPoint(name="broken", value=value, group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: {"broken": point})
    with pytest.raises(ConfigurationError, match=problem) as info:
        storebridge.connect("broken")
    assert info.value.setting == "platform"


def _refusing(request: Request, response: Response) -> Page[Any]:
    raise ValidationError("limit must be at most 100", field="limit")


def test_a_storebridge_error_from_a_page_reader_goes_up_as_it_is() -> None:
    """A ValidationError is a ValueError too: it was taken for an unreadable answer."""
    with pytest.raises(ValidationError, match="limit must be at most 100"):
        _list(_with_reader(_refusing))


def test_the_reader_s_own_exception_stays_the_cause() -> None:
    with pytest.raises(PayloadError) as info:
        _list(_with_reader(_wrong_key))
    assert isinstance(info.value.__cause__, KeyError)  # the traceback leads to the reader


def _bad_link(request: Request, response: Response) -> Page[Any]:
    response.headers["link"] = '<https://toy.example:abc/orders>; rel="next"'
    return LinkHeader(rows=("results",)).read(request, response)


def test_a_next_link_that_is_no_url_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="next-page link is not a URL"):
        _list(_with_reader(_bad_link))


def test_an_adapter_reading_its_own_settings_may_keep_them_in_any_class() -> None:
    class OwnReading(ToyAdapter):
        name = "toyown"
        Settings = dict  # type: ignore[assignment]

        @classmethod
        def from_settings(cls, **given: Any) -> OwnReading:
            return cls(given)

    storebridge.register_adapter(OwnReading)
    storebridge.unregister_adapter("toyown")
