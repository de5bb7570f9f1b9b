"""Every check of the conformance kit passes on each built-in adapter.

The kit is what a plug-in author runs; the built-in adapters are held to it too. (It once
failed on 29 Next's answer to an unknown route, a storefront web page, and no test said
so.)
"""

from __future__ import annotations

import pytest

from storebridge.registry import adapter_class
from storebridge.testing.conformance import check_all


@pytest.mark.parametrize("platform", ["29next", "shopline", "24nettbutikk"])
def test_check_all_passes_on_the_built_in_adapter(platform: str) -> None:
    results = check_all(adapter_class(platform))
    assert set(results) >= {"check_adapter", "check_error_parsing", "check_lost_answer_writes"}
