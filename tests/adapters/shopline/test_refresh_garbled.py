"""A token refresh whose 200 answer was mangled on the way (cut short, not JSON, another
shape, an object without a code) is asked again like a 5xx: the platform made a token,
the next refresh replaces it. It failed the listing with a TokenRefreshError that told the
user to check the app's keys. A refusal, which names its code, is still not asked again."""

from __future__ import annotations

from typing import Any

import pytest

from storebridge.errors import TokenRefreshError
from storebridge.http import Request, Response
from storebridge.testing import FaultTransport
from tests.adapters.shopline.support import World, world

REFRESH = "/admin/oauth/token/refresh"


def _due() -> World:
    w = world(orders=5, rate_limit=False, token_lifetime=3600.0)
    w.settings["refresh_leeway"] = 600.0
    return w


@pytest.mark.parametrize("kind", ["truncated", "malformed", "html_200", "wrong_shape"])
def test_a_refresh_answer_mangled_once_is_asked_again(kind: str) -> None:
    w = _due()
    hits: list[str] = []

    def first_refresh(n: int, request: Request) -> str | None:
        if request.url.path.endswith(REFRESH):
            hits.append(kind)
            return kind if len(hits) == 1 else None
        return None

    faulty = FaultTransport(w.emulator.transport(), script=first_refresh)
    with w.connect(transport=faulty) as store:
        w.clock.advance(3600 - 300)  # the token is due
        orders = list(store.orders.list())
    assert len(orders) == 5
    assert len(hits) == 2 and faulty.injected[kind] == 1


def test_an_object_without_a_code_is_asked_again() -> None:
    w = _due()
    answers: list[int] = []
    inner = w.emulator.transport()

    def handle(request: Request) -> Response:
        if request.url.path.endswith(REFRESH) and not answers:
            answers.append(1)
            return Response(200, json={"unexpected": True}, request=request)
        return inner.handle_request(request)

    from storebridge.http import MockTransport

    with w.connect(transport=MockTransport(handle)) as store:
        w.clock.advance(3600 - 300)
        assert len(list(store.orders.list())) == 5
    assert w.emulator.refreshes == 1  # the mangled answer's refresh never reached it


def test_a_refusal_is_not_asked_again(caplog: pytest.LogCaptureFixture) -> None:
    w = _due()
    calls: list[Any] = []
    inner = w.emulator.transport()

    def handle(request: Request) -> Response:
        if request.url.path.endswith(REFRESH):
            calls.append(1)
            body = {"code": 401, "i18nCode": "APP_UNINSTALLED", "message": "app uninstalled"}
            return Response(200, json=body, request=request)
        return inner.handle_request(request)

    from storebridge.http import MockTransport

    with w.connect(transport=MockTransport(handle)) as store:
        w.clock.advance(3600 - 300)
        with pytest.raises(TokenRefreshError, match="app uninstalled"):
            list(store.orders.list())
    assert calls  # refused, and never asked again after a pause as a mangled answer is
    assert "token-refresh endpoint answered 200; attempt" not in caplog.text
