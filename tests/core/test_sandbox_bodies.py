"""Reading JSON bodies the way a platform refuses them."""

from __future__ import annotations

import pytest

from storebridge import _http
from storebridge.sandbox import (
    BodyRefusals,
    EmulatorRequest,
    HTTPProblem,
    read_json,
    read_member,
    read_object,
)

TERSE = BodyRefusals(
    empty=lambda: HTTPProblem(400, "empty"),
    invalid=lambda: HTTPProblem(400, "invalid"),
    not_object=lambda: HTTPProblem(422, "not an object"),
)


def request(body: bytes) -> EmulatorRequest:
    return EmulatorRequest(
        method="POST",
        url=_http.URL("https://bodies.example/x"),
        headers=_http.Headers({"content-type": "application/json"}),
        body=body,
    )


@pytest.mark.parametrize(
    ("body", "status", "answer"),
    [(b"", 400, "empty"), (b"{nope", 400, "invalid"), (b"[1, 2]", 422, "not an object")],
)
def test_each_refusal_is_the_platforms(body: bytes, status: int, answer: str) -> None:
    with pytest.raises(HTTPProblem) as refused:
        read_object(request(body), TERSE)
    assert (refused.value.status, refused.value.body) == (status, answer)


def test_json_and_members_are_read() -> None:
    assert read_json(request(b"[1, 2]"), TERSE) == [1, 2]
    assert read_object(request('{"name": "Åse"}'.encode()), TERSE) == {"name": "Åse"}
    wrapped = request(b'{"order": {"id": 7}, "note": "x"}')
    assert read_member(wrapped, "order", lambda: HTTPProblem(400, "order?")) == {"id": 7}
    with pytest.raises(HTTPProblem) as missing:
        read_member(wrapped, "note", lambda: HTTPProblem(400, "note must be an object"))
    assert missing.value.body == "note must be an object"


def test_the_default_refusals_are_what_emulator_requests_answer() -> None:
    with pytest.raises(HTTPProblem) as refused:
        request(b"").json()
    assert refused.value.body == {"detail": "request body is empty; JSON expected"}
    with pytest.raises(HTTPProblem) as refused:
        request(b"nope").json()
    assert refused.value.body == {"detail": "request body is not valid JSON"}
