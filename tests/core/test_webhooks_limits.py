"""What anyone can send to a webhook receiver costs it little: a body over the limit is
refused (413) before it is read whole, and neither checking a large body nor a plain
``on_event`` that takes its time holds up the other deliveries (both run off the loop)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from storebridge import _http
from storebridge.errors import ValidationError
from storebridge.model import Change
from storebridge.webhooks import asgi_app, receive, serve
from tests.core.test_webhooks import _adapter, _delivery


def test_a_body_over_the_limit_is_refused_and_never_handled() -> None:
    events: list[Change] = []
    app = asgi_app(events.append, {"acme": _adapter()}, max_body=2_000)
    with serve(app) as url, _http.Client() as client:
        headers, body = _delivery("small")
        assert client.post(f"{url}/acme", headers=headers, content=body).status_code == 200
        headers, body = _delivery("large", order="7" * 3_000)
        answer = client.post(f"{url}/acme", headers=headers, content=body)
        assert answer.status_code == 413
        assert "2000 bytes" in answer.json()["error"]

        def chunks() -> object:  # no Content-Length: counted as it streams in
            yield body[:1_000]
            yield body[1_000:]

        streamed = client.post(f"{url}/acme", headers=headers, content=chunks())  # type: ignore[arg-type]
        assert streamed.status_code == 413
    assert [e.event_id for e in events] == ["small"]


def test_a_plain_handler_taking_its_time_holds_up_no_other_delivery() -> None:
    entered = threading.Event()
    release = threading.Event()

    def on_event(change: Change) -> None:
        if change.event_id == "slow":
            entered.set()
            release.wait(10)

    app = asgi_app(on_event, {"acme": _adapter()})
    with serve(app) as url, _http.Client() as client, ThreadPoolExecutor(1) as pool:
        headers, body = _delivery("slow")
        slow = pool.submit(client.post, f"{url}/acme", headers=headers, content=body)
        assert entered.wait(10)
        headers, body = _delivery("quick", order="8")
        # Run on the event loop, the slow handler would hold this one until released (the
        # timeout then fails the test); off the loop it is answered meanwhile.
        quick = client.post(f"{url}/acme", headers=headers, content=body, timeout=5)
        still_handling = not slow.done()
        release.set()
        assert quick.status_code == 200 and still_handling
        assert slow.result(10).status_code == 200


@pytest.mark.parametrize("headers", [None, ["abc"], 5], ids=["none", "strings", "number"])
def test_headers_that_are_not_headers_are_a_validation_error(headers: object) -> None:
    _, body = _delivery("e1")
    with pytest.raises(ValidationError, match="headers must be the request's headers") as info:
        receive(_adapter(), headers, body)
    assert info.value.field == "headers"
