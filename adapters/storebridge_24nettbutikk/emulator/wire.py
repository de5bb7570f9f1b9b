"""24Nettbutikk's wire conventions: scalars as strings, charset, JSONP, empty-body errors."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from storebridge.http import Response
from storebridge.sandbox import BodyRefusals, EmulatorRequest, HTTPProblem, read_object
from storebridge_24nettbutikk.emulator.options import EmulatorOptions

__all__ = ["REFUSALS", "Response", "Wire", "bad_request", "patch_body"]

_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]*$")


def bad_request() -> HTTPProblem:
    """The shop refuses with an empty 400, whatever was wrong."""
    return HTTPProblem(400, None)


REFUSALS = BodyRefusals(empty=bad_request, invalid=bad_request, not_object=bad_request)


def patch_body(req: EmulatorRequest, allowed: set[str]) -> dict[str, Any]:
    """A PATCH body: a non-empty object with only ``allowed`` fields (else an empty 400)."""
    body = read_object(req, REFUSALS)
    if not body or set(body) - allowed:
        raise bad_request()
    return body


class Wire:
    """Turns typed record values into the shop's wire rows and encodes answers."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options

    def scalar(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return ("1" if value else "0") if self.options.string_scalars else int(value)
        if isinstance(value, Decimal):
            return f"{value:.2f}" if self.options.string_scalars else float(value)
        if isinstance(value, int):
            return str(value) if self.options.string_scalars else value
        return value

    def row(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {k: (v if isinstance(v, dict | list) else self.scalar(v)) for k, v in fields.items()}

    def encode(
        self, req: EmulatorRequest, body: Any, headers: dict[str, str] | None = None
    ) -> Response:
        """``body`` as JSON (or JSONP with ``?callback=``) in the configured charset."""
        text = json.dumps(body, ensure_ascii=False)
        charset = "ISO-8859-1" if self.options.encoding == "latin-1" else "UTF-8"
        content_type = f"application/json; charset={charset}"
        callback = req.query.get("callback")
        if callback:
            if not _CALLBACK.match(callback):
                raise bad_request()
            text = f"{callback}({text});"
            content_type = f"application/javascript; charset={charset}"
        content = text.encode(self.options.encoding, errors="replace")
        return Response(
            200, content=content, headers={"Content-Type": content_type, **(headers or {})}
        )
