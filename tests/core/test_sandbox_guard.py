"""The guard every emulator runs before a route: credentials, then the rate limit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storebridge import _http
from storebridge.adapter import RateLimit
from storebridge.sandbox import (
    Emulator,
    EmulatorRequest,
    FakeClock,
    Guard,
    HTTPProblem,
    Throttle,
    json_response,
    retry_after_seconds,
)

KEYS = {"key-a": {"read"}, "key-b": {"read", "write"}}


def authenticate(request: EmulatorRequest, need: str) -> str:
    key = request.headers.get("x-key", "")
    if key not in KEYS:
        raise HTTPProblem(401, {"error": "who are you"})
    if need and need not in KEYS[key]:
        raise HTTPProblem(403, {"error": f"needs {need}"})
    return key


def too_many(seconds: int) -> HTTPProblem:
    return HTTPProblem(429, {"error": "slow down"}, {"Retry-After": str(seconds)})


class GuardedEmulator(Emulator):
    platform = "guarded"

    def __init__(self, clock: FakeClock, *, fixed_key: str | None = None) -> None:
        super().__init__(clock=clock)
        throttle = Throttle(
            limit=RateLimit(per_second=0.5, burst=2), refuse=too_many, clock=clock, key=fixed_key
        )
        self.guard = Guard(authenticate, throttle)
        for method, need in (("GET", "read"), ("POST", "write")):
            self.route(method, "/thing", self._guarded(need))

    def _guarded(self, need: str) -> Callable[[EmulatorRequest], _http.Response]:
        def handler(request: EmulatorRequest) -> _http.Response:
            key = self.guard.check(request, need)
            return json_response(200, {"key": key})

        return handler


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(0)


def test_credentials_are_checked_before_anything_else(clock: FakeClock) -> None:
    emulator = GuardedEmulator(clock)
    with _http.Client(transport=emulator.transport(), base_url="https://g.example") as c:
        assert c.get("/thing").status_code == 401
        assert c.post("/thing", headers={"x-key": "key-a"}).json() == {"error": "needs write"}
        assert c.get("/thing", headers={"x-key": "key-a"}).json() == {"key": "key-a"}
        # Refused credentials took nothing from key-a's bucket: one request is still left.
        assert c.get("/thing", headers={"x-key": "key-a"}).status_code == 200
        assert c.get("/thing", headers={"x-key": "key-a"}).status_code == 429


def test_over_the_limit_answers_the_platforms_429_with_retry_after(clock: FakeClock) -> None:
    emulator = GuardedEmulator(clock)
    headers = {"x-key": "key-b"}
    with _http.Client(transport=emulator.transport(), base_url="https://g.example") as c:
        assert [c.get("/thing", headers=headers).status_code for _ in range(2)] == [200, 200]
        refused = c.get("/thing", headers=headers)
        assert refused.status_code == 429 and refused.json() == {"error": "slow down"}
        assert refused.headers["retry-after"] == "2"  # one token every 2 s
        assert c.get("/thing", headers={"x-key": "key-a"}).status_code == 200  # own bucket
        clock.advance(2)
        assert c.get("/thing", headers=headers).status_code == 200
    assert emulator.guard.throttled == 1


def test_a_fixed_key_throttles_before_authentication(clock: FakeClock) -> None:
    emulator = GuardedEmulator(clock, fixed_key="the-shop")
    with _http.Client(transport=emulator.transport(), base_url="https://g.example") as c:
        assert [c.get("/thing").status_code for _ in range(2)] == [401, 401]
        assert c.get("/thing", headers={"x-key": "key-a"}).status_code == 429


@pytest.mark.parametrize(
    ("wait", "seconds"), [(0.0001, 1), (0.5, 1), (1.0, 1), (1.0001, 2), (29.2, 30)]
)
def test_retry_after_is_whole_seconds_never_zero(wait: float, seconds: int) -> None:
    assert retry_after_seconds(wait) == seconds
