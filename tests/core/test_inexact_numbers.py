"""An id sent as a JSON number too large for a double is refused, never read as another id.

A 26-digit id (SHOPLINE's are that long) sent as a JSON number is past what a 64-bit
integer holds, so it is parsed as a double: its last digits are lost. Read as a key it
became ``'2.1050000000000001e+25'``, and every line's product ref the same one; read as an
integer it became another number. Both are refused now, naming the field.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from storebridge import _http
from storebridge._json import parse_json
from storebridge.errors import PayloadError
from storebridge.payload import Payload
from tests.migrate.support import connect, sandbox

LONG_ID = b"21050224312121887324667162"


@pytest.mark.parametrize("read", ["ref", "integer", "string", "opt_ref", "opt_integer"])
def test_a_number_past_two_to_the_53_is_refused(read: str) -> None:
    payload = Payload(parse_json(b'{"id": ' + LONG_ID + b"}"))
    with pytest.raises(PayloadError, match="too large to be exact") as caught:
        getattr(payload, read)("id")
    assert caught.value.path == "$.id"


def test_numbers_a_double_holds_exactly_are_read_as_before() -> None:
    payload = Payload(parse_json(b'{"a": 9007199254740991, "b": 4.0, "c": 18446744073709551615}'))
    assert payload.integer("a") == 2**53 - 1
    assert payload.integer("b") == 4
    assert payload.ref("c") == "18446744073709551615"  # an int to the parser: exact


class NumericIds(_http.BaseTransport):
    """``inner``, with the order listing's ids of products sent as JSON numbers."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def handle_request(self, request: _http.Request) -> _http.Response:
        response: _http.Response = self.inner.handle_request(request)
        if request.method != "GET" or not request.url.path.endswith("/orders.json"):
            return response
        body = re.sub(rb'"product_id": ?"(\d{20,})"', rb'"product_id": \1', response.read())
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return _http.Response(response.status_code, headers=headers, content=body)


def test_a_shopline_listing_with_numeric_long_ids_raises() -> None:
    kit = sandbox("shopline", orders=3)
    with connect(kit, "shop", transport=NumericIds(kit.emulator.transport())) as store:
        with pytest.raises(PayloadError, match="too large to be exact"):
            list(store.orders.list())
