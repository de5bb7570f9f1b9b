"""The spec checker with every object schema closed: a field the version's schema does not
declare is a violation too.

:class:`~spec.SpecChecker` lets undeclared fields through (the specs leave objects open), so
an answer in another version's shape passes it whenever the fields that version requires
are there as well: 2023-02-10 orders carrying 2024-04-01's ``total_discount``, say, which an
adapter could read and a real 2023-02-10 store would never send. Here each schema that lists
its ``properties`` gets ``unevaluatedProperties: false`` (``allOf``/``$ref`` compositions
still see the fields their parts declare).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.adapters.twentyninenext.support import spec


def _closed(node: Any) -> Any:
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _closed(v) for k, v in node.items()}
    if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
        out["unevaluatedProperties"] = False
    return out


@functools.cache
def _registry(version: str, mode: str) -> Registry:
    components = copy.deepcopy(spec.load_spec(version)["components"])
    document = _closed(spec._transform(components, mode))
    resource = Resource.from_contents({"components": document}, default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(spec.SPEC_URI, resource)
    return registry


def validator(version: str, mode: str, schema: dict[str, Any]) -> Draft202012Validator:
    """:func:`spec.validator`, closed."""
    rooted = spec._rebase(_closed(spec._transform(schema, mode)))
    return Draft202012Validator(
        rooted, registry=_registry(version, mode), format_checker=spec.FORMAT_CHECKER
    )


def violations(version: str, mode: str, schema: dict[str, Any], body: Any) -> list[str]:
    """Where ``body`` breaks ``schema`` (closed) on ``version``, as ``$.path: message``."""
    out = []
    for error in validator(version, mode, schema).iter_errors(body):
        path = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
        )
        out.append(f"{path}: {error.message[:300]}")
    return out


class ClosedSpecChecker(spec.SpecChecker):
    """A :class:`~spec.SpecChecker` that also reports undeclared fields."""

    def _validate(
        self, where: str, op: spec.Operation, mode: str, body: Any, schema: dict[str, Any]
    ) -> None:
        exception = spec.EXCEPTIONS.get(op.operation_id)
        if exception is not None and mode == "response" and schema is not spec.ERROR_BODY:
            body, schema = exception.adjust(body, schema)
        found = violations(op.version, mode, schema, body)
        self.violations.extend(f"{where} at {problem}" for problem in found)
