"""Checks emulator responses and adapter requests against the vendor's OpenAPI specs.

The spec files are not part of the repository. They are read from the directory named by
``STOREBRIDGE_29NEXT_SPEC_DIR``, else from ``../shared/platforms/29next-openapi/`` next to
the repository root. :func:`spec_dir` returns None when neither exists.

The specs are OpenAPI 3.1 (JSON Schema 2020-12) but still use the 3.0 ``nullable: true``
keyword in a few places (the ``next``/``previous`` page links); it is read as "null is also
allowed". ``readOnly`` properties are not required in requests and ``writeOnly`` ones not in
responses, as OpenAPI specifies.

Justified exceptions (``EXCEPTIONS``) are where the spec contradicts the vendor's own
description of the same operation; each says why.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from storebridge import http
from tests.support.paths import SHARED

ENV_VAR = "STOREBRIDGE_29NEXT_SPEC_DIR"
DEFAULT_DIR = SHARED / "platforms" / "29next-openapi"
API_ROOT = "/api/admin"
SPEC_URI = "urn:29next-spec"


def spec_dir() -> Path | None:
    given = os.environ.get(ENV_VAR)
    for candidate in ([Path(given)] if given else []) + [DEFAULT_DIR]:
        if (candidate / "2024-04-01.yaml").is_file():
            return candidate
    return None


def missing_reason() -> str:
    return (
        f"29 Next OpenAPI specs not found: set {ENV_VAR} to the folder holding "
        f"2024-04-01.yaml / 2023-02-10.yaml, or place them at {DEFAULT_DIR}"
    )


@functools.cache
def load_spec(version: str) -> dict[str, Any]:
    folder = spec_dir()
    if folder is None:
        raise FileNotFoundError(missing_reason())
    with open(folder / f"{version}.yaml", "rb") as handle:
        # CSafeLoader is the C build of the safe loader: same guarantees, ten times faster
        # on these ~900 kB files.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loaded: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506
    return loaded


def _transform(node: Any, mode: str) -> Any:
    """Read 3.0 ``nullable`` and drop read-only (request) / write-only (response) requireds.

    ``partial`` is a PATCH body: Django REST Framework's partial updates require no field
    at any depth (a nested address too), while the generated spec keeps the nested
    components' required lists; they are dropped.
    """
    if isinstance(node, list):
        return [_transform(item, mode) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _transform(v, mode) for k, v in node.items()}
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if mode == "partial":
        out.pop("required", None)
    props = out.get("properties")
    if isinstance(props, dict) and isinstance(out.get("required"), list):
        skip = "readOnly" if mode == "request" else "writeOnly"
        out["required"] = [
            name
            for name in out["required"]
            if not (isinstance(props.get(name), dict) and props[name].get(skip))
        ]
    return out


def _checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _datetime(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.tzinfo is not None

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value))

    return checker


FORMAT_CHECKER = _checker()


@functools.cache
def _registry(version: str, mode: str) -> Registry:
    document = _transform(copy.deepcopy(load_spec(version)["components"]), mode)
    resource = Resource.from_contents({"components": document}, default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(SPEC_URI, resource)
    return registry


def validator(version: str, mode: str, schema: dict[str, Any]) -> Draft202012Validator:
    rooted = _rebase(_transform(schema, mode))
    return Draft202012Validator(
        rooted, registry=_registry(version, mode), format_checker=FORMAT_CHECKER
    )


def _rebase(node: Any) -> Any:
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    if isinstance(node, dict):
        return {
            k: (
                SPEC_URI + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _rebase(v)
            )
            for k, v in node.items()
        }
    return node


@attrs.frozen
class Operation:
    version: str
    method: str
    template: str
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId"))


@functools.cache
def _templates(version: str) -> list[tuple[re.Pattern[str], str]]:
    paths = load_spec(version)["paths"]
    compiled = [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
        for template in paths
    ]
    # Literal segments win over parameters (``/orders/{number}/refund/`` is not ``{number}``).
    compiled.sort(key=lambda item: item[1].count("{"))
    return compiled


def find_operation(version: str, method: str, path: str) -> Operation | None:
    relative = path[len(API_ROOT) :] if path.startswith(API_ROOT) else path
    for pattern, template in _templates(version):
        if pattern.match(relative):
            op = load_spec(version)["paths"][template].get(method.lower())
            if op is not None:
                return Operation(version, method.upper(), template, op)
    return None


def _json_schema(container: dict[str, Any] | None) -> dict[str, Any] | None:
    if not container:
        return None
    content = container.get("content", {}).get("application/json")
    return None if content is None else content.get("schema")


ERROR_BODY = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "array"},
            {"type": "object"},
        ]
    },
}
"""DRF error bodies: ``{"detail": "..."}`` or ``{"field": [...] | {...}}`` (not in the spec)."""


@attrs.frozen
class Exception_:
    operation_id: str
    reason: str
    adjust: Callable[[Any, dict[str, Any]], tuple[Any, dict[str, Any]]]
    """(body, schema) -> (body, schema) to validate instead."""


def _each_item(body: Any, schema: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    return body, {"type": "array", "items": schema}


def _nullable_unrequested(body: Any, schema: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    if isinstance(body, dict) and body.get("unrequested_fulfillment_order") is None:
        body = {k: v for k, v in body.items() if k != "unrequested_fulfillment_order"}
        return body, {
            "type": "object",
            "required": ["original_fulfillment_order", "requested_fulfillment_order"],
            "properties": {
                "original_fulfillment_order": {"$ref": "#/components/schemas/FulfillmentOrder"},
                "requested_fulfillment_order": {"$ref": "#/components/schemas/FulfillmentOrder"},
            },
        }
    return body, schema


def _locations_list(body: Any, schema: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    return body, {
        "type": "object",
        "required": ["available_locations"],
        "properties": {
            "available_locations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "fulfillment_order_line_ids"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "fulfillment_order_line_ids": {
                            "type": "array",
                            "items": {"type": "integer"},
                        },
                    },
                },
            }
        },
    }


EXCEPTIONS: dict[str, Exception_] = {
    e.operation_id: e
    for e in (
        Exception_(
            "ordersFulfillmentOrdersRetrieve",
            "described as 'list of fulfillment orders' but typed as one FulfillmentOrder; the "
            "emulator answers a JSON array, each item validated as a FulfillmentOrder",
            _each_item,
        ),
        Exception_(
            "fulfillmentRequestSend",
            "when every line is requested nothing is left unrequested; the spec types "
            "unrequested_fulfillment_order as a required object, the emulator answers null",
            _nullable_unrequested,
        ),
        Exception_(
            "availableLocationsRetrieve",
            "the spec types available_locations as a free-form object; the order-management "
            "guide documents a list of {id, name, fulfillment_order_line_ids}",
            _locations_list,
        ),
    )
}


@attrs.define
class SpecChecker:
    """Collects violations of every request body and response body it is shown."""

    default_version: str = "2024-04-01"
    violations: list[str] = attrs.field(factory=list)
    checked: list[str] = attrs.field(factory=list)

    def check(self, request: http.Request, response: http.Response) -> None:
        version = request.headers.get("x-29next-api-version") or self.default_version
        where = f"{request.method} {request.url.path} [{version}]"
        folder = spec_dir()
        if folder is None or not (folder / f"{version}.yaml").is_file():
            self.violations.append(f"{where}: no spec for API version {version!r}")
            return
        op = find_operation(version, request.method, request.url.path)
        if op is None:
            if response.status_code != 404:
                self.violations.append(f"{where}: no such operation in the {version} spec")
            return
        header = next((p for p in op.spec.get("parameters", []) if p.get("in") == "header"), None)
        if header is not None:
            allowed = header.get("schema", {}).get("enum", [])
            sent = request.headers.get(header["name"])
            if sent is None or (allowed and sent not in allowed):
                self.violations.append(
                    f"{where}: header {header['name']}={sent!r} not in {allowed}"
                )
        body = request.content
        request_schema = _json_schema(op.spec.get("requestBody"))
        if body:
            if request_schema is None:
                self.violations.append(f"{where}: body sent but the operation takes none")
            else:
                mode = "partial" if request.method == "PATCH" else "request"
                self._validate(where + " request", op, mode, json.loads(body), request_schema)
        self.checked.append(f"{op.operation_id} {response.status_code}")
        content_type = response.headers.get("content-type", "")
        status = str(response.status_code)
        responses = op.spec.get("responses", {})
        if status in responses:
            schema = _json_schema(responses[status])
            if schema is None:
                if response.content:
                    self.violations.append(f"{where}: {status} has a body but the spec has none")
                return
            if "json" not in content_type:
                self.violations.append(f"{where}: {status} is not JSON ({content_type})")
                return
            self._validate(where + f" response {status}", op, "response", response.json(), schema)
        elif response.status_code >= 400:
            if "json" in content_type:
                self._validate(
                    where + f" error {status}", op, "response", response.json(), ERROR_BODY
                )
            elif response.status_code != 404:
                self.violations.append(f"{where}: error {status} is not JSON")
        else:
            self.violations.append(
                f"{where}: status {status} is not documented ({sorted(responses)})"
            )

    def _validate(
        self, where: str, op: Operation, mode: str, body: Any, schema: dict[str, Any]
    ) -> None:
        exception = EXCEPTIONS.get(op.operation_id)
        if exception is not None and mode == "response" and schema is not ERROR_BODY:
            body, schema = exception.adjust(body, schema)
        for error in validator(op.version, mode, schema).iter_errors(body):
            path = "$" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
            )
            self.violations.append(f"{where} at {path}: {error.message[:300]}")


class SpecCheckingTransport(http.BaseTransport, http.AsyncBaseTransport):
    """Passes every exchange to a :class:`SpecChecker` on its way through."""

    def __init__(self, inner: Any, checker: SpecChecker) -> None:
        self.inner = inner
        self.checker = checker

    def handle_request(self, request: http.Request) -> http.Response:
        request.read()
        response: http.Response = self.inner.handle_request(request)
        response.read()
        self.checker.check(request, response)
        return response

    async def handle_async_request(self, request: http.Request) -> http.Response:
        request.read()
        response: http.Response = await self.inner.handle_async_request(request)
        await response.aread()
        self.checker.check(request, response)
        return response
