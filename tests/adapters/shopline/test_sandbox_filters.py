"""The SHOPLINE sandbox refuses a platform filter it does not apply, with a 400 naming it,
instead of answering every record as if it matched (a test of a wrong filter would pass);
the filters it applies still narrow the listing."""

from __future__ import annotations

from typing import Any

import pytest

import storebridge
from tests.support.fake_time_store import kit as sandbox_kit


def _store() -> Any:
    return sandbox_kit("shopline", orders=10).store()


@pytest.mark.parametrize(
    ("resource", "given"),
    [
        ("orders", {"buyer_id": "123"}),
        ("orders", {"search_content": "mug"}),
        ("products", {"collection_id": "1"}),
        ("products", {"product_category": "cups"}),
    ],
)
def test_a_filter_the_sandbox_cannot_apply_is_refused(resource: str, given: dict[str, Any]) -> None:
    with _store() as store:
        with pytest.raises(storebridge.APIError, match="sandbox does not apply") as caught:
            list(getattr(store, resource).list(**given))
    assert caught.value.status == 400
    assert next(iter(given)) in str(caught.value)


def test_the_filters_it_applies_still_narrow() -> None:
    with _store() as store:
        every = list(store.orders.list())
        named = [o.ref for o in store.orders.list(name=every[2].number)]
        titled = list(store.products.list(title="no such product"))
    assert named == [every[2].ref]
    assert titled == []
