"""Messages say what happened: no "answered <status>" where no answer came or nothing was
sent, and a refused signing time blames the clock, not the app's keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import storebridge
from storebridge.errors import AuthenticationError, TokenRefreshError
from storebridge.http import Request
from storebridge.testing import FaultTransport
from tests.adapters.shopline.support import world


@pytest.mark.parametrize("kind", ["refused", "timeout_after", "reset_after"])
def test_unreachable_token_endpoint_says_no_answer_came(kind: str) -> None:
    w = world(orders=1, rate_limit=False, token_lifetime=3600.0)

    def script(_n: int, request: Request) -> str | None:
        return kind if request.url.path.endswith("/refresh") else None

    transport = FaultTransport(w.emulator.transport(), script=script)
    options = w.options(retry=storebridge.RetryPolicy(max_attempts=1))
    with w.connect(transport=transport, options=options) as store:
        w.clock.advance(3600 - 100)
        with pytest.raises(TokenRefreshError) as err:
            store.orders.get(next(iter(w.emulator.orders)))
    text = str(err.value)
    assert "answered" not in text  # it did not: "shopline answered 0" said it had
    assert text.startswith("SHOPLINE: the access token could not be renewed")
    assert "got no answer" in text and "orders.get was not sent" in text
    assert ("Error" in text or "Timeout" in text) and "***" not in text  # reason, unmasked
    assert err.value.platform == "SHOPLINE"


def test_expired_private_app_token_says_nothing_was_sent() -> None:
    w = world(orders=1, rate_limit=False, private_app=True, private_token_lifetime=100.0)
    with w.connect() as store:
        w.clock.advance(101)
        sent = len(w.emulator.requests)
        with pytest.raises(AuthenticationError) as err:
            store.orders.get(next(iter(w.emulator.orders)))
        assert len(w.emulator.requests) == sent
    expired = datetime.fromtimestamp(w.clock.now() - 1, UTC).replace(microsecond=0)
    text = str(err.value)
    assert "answered" not in text  # SHOPLINE was not asked
    assert text.startswith("SHOPLINE: the private app's access token expired at ")
    assert expired.isoformat()[:16] in text  # when, unmasked
    assert "was not sent" in text and "store admin" in text
    assert err.value.status == 401 and err.value.method == "GET"


def test_expired_private_app_token_message_is_not_masked() -> None:
    expires = datetime(2020, 1, 1, tzinfo=UTC)
    with storebridge.connect(
        "shopline", handle="acme", access_token="private-admin-token-1234", private_app=True,
        token_expires_at=expires,
    ) as store:  # fmt: skip
        with pytest.raises(AuthenticationError) as err:
            store.orders.get("1")
    assert f"expired at {expires.isoformat()}, so GET " in str(err.value)


@pytest.mark.parametrize("skew", [+1200.0, -1200.0])
def test_refused_signing_time_blames_the_clock(skew: float) -> None:
    w = world(orders=1, rate_limit=False, token_lifetime=36000.0)
    # The emulator's signing window is checked both ways; running 20 minutes behind, the
    # token only looks due once the platform's clock is that much further on.
    ahead = max(skew, 0.0)
    with w.connect(
        token_store=storebridge.MemoryTokenStore(), clock=lambda: w.clock.now() + skew
    ) as store:
        w.clock.advance(36000 - 300 - ahead + (1500 if skew < 0 else 0))
        with pytest.raises(TokenRefreshError) as err:
            store.orders.get(next(iter(w.emulator.orders)))
    text = str(err.value)
    assert "TIMESTAMP_EXPIRED" in text
    assert "clock is off" in text and "NTP" in text
    assert "Check app_key/app_secret" not in text
    assert w.emulator.refreshes == 0


def test_other_refusals_still_point_at_the_keys() -> None:
    w = world(orders=1, rate_limit=False, token_lifetime=3600.0)
    with w.connect(app_secret="wrong-secret-0000", token_store=storebridge.MemoryTokenStore()) as s:
        w.clock.advance(3600 - 100)
        with pytest.raises(TokenRefreshError) as err:
            s.orders.get(next(iter(w.emulator.orders)))
    assert "SIGN_ERROR" in str(err.value) and "Check app_key/app_secret" in str(err.value)
    assert "clock" not in str(err.value)
