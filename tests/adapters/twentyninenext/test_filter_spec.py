"""The filter names, choices and multi-value filters the adapter checks are the spec's.

Reads the vendor's OpenAPI specs from STOREBRIDGE_29NEXT_SPEC_DIR or
../shared/platforms/29next-openapi/; without them these tests skip and say where they
looked.
"""

from __future__ import annotations

from typing import Any

import pytest

from storebridge_29next import TwentyNineNextAdapter
from storebridge_29next._list_filters import CHOICES, MANY
from tests.adapters.twentyninenext.support import spec

pytestmark = [
    pytest.mark.spec,
    pytest.mark.skipif(spec.spec_dir() is None, reason=spec.missing_reason()),
]

PATHS = {"orders": "/orders/", "customers": "/users/", "products": "/products/"}
WALK = {"cursor"}  # the walk's own parameter


def _query_parameters(version: str, path: str) -> dict[str, dict[str, Any]]:
    document = spec.load_spec(version)
    found: dict[str, dict[str, Any]] = {}
    for parameter in document["paths"][path]["get"].get("parameters", []):
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        if parameter["in"] == "query" and parameter["name"] not in WALK:
            found[parameter["name"]] = parameter.get("schema", {})
    return found


@pytest.mark.parametrize("version", ["2023-02-10", "2024-04-01"])
@pytest.mark.parametrize("resource", sorted(PATHS))
def test_filters_match_the_spec(version: str, resource: str) -> None:
    params = _query_parameters(version, PATHS[resource])
    declared = TwentyNineNextAdapter.list_filters[resource] - {"slices"}
    core = {"status", "fulfillment_status"} if resource == "orders" else set()
    assert declared | core == set(params)
    many = {name for name, schema in params.items() if schema.get("type") == "array"}
    assert many == MANY[resource]
    if resource == "orders":
        enums = {
            name: tuple(sorted(schema.get("enum") or schema.get("items", {}).get("enum") or ()))
            for name, schema in params.items()
        }
        assert {name: tuple(sorted(choices)) for name, choices in CHOICES.items()} == {
            name: values for name, values in enums.items() if values
        }
