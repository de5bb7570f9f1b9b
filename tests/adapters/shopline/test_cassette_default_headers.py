"""A cassette recorded with ``secrets`` only keeps SHOPLINE's signing headers off disk.

CassetteTransport dropped an adapter's ``sensitive_headers`` only when the caller passed
them: a token refresh recorded the way the core's docs show kept its ``sign`` (an HMAC of
the app secret) and ``appkey`` headers in the file.
"""

from __future__ import annotations

from pathlib import Path

import storebridge
from storebridge.http import Request, Response
from storebridge.testing import CassetteTransport, find_credentials
from storebridge.testing.cassettes import adapters_sensitive_headers
from storebridge_shopline import ShoplineAdapter
from tests.adapters.shopline.support import world


def test_every_installed_adapters_sensitive_headers_are_dropped_by_default() -> None:
    defaults = adapters_sensitive_headers()
    assert {"appkey", "sign"} <= defaults
    assert {h.lower() for h in ShoplineAdapter.sensitive_headers} <= defaults


def test_recorded_token_refresh_keeps_no_sign_or_appkey(tmp_path: Path) -> None:
    w = world(orders=2, rate_limit=False, token_lifetime=3600.0)
    path = tmp_path / "refresh.yaml"
    recorder = CassetteTransport(
        path, record_mode="once", inner=w.emulator.transport(),
        secrets=[w.settings["access_token"], w.settings["app_secret"]],
    )  # fmt: skip
    signed: list[Request] = []
    handle = w.emulator.handle

    def seen(request: Request) -> Response:
        if "sign" in request.headers:
            signed.append(request)
        return handle(request)

    w.emulator.handle = seen  # type: ignore[method-assign]
    with w.connect(transport=recorder, token_store=storebridge.MemoryTokenStore()) as store:
        w.clock.advance(3600 - 100)  # due: the listing refreshes the token first
        assert len(list(store.orders.list())) == 2
    recorder.save()
    assert w.emulator.refreshes == 1 and signed
    text = path.read_text("utf-8")
    assert "/refresh" in text  # the refresh was recorded
    for request in signed:
        assert request.headers["sign"] not in text
    assert w.settings["app_key"] not in text
    header_names = {line.strip().rstrip(":").lower() for line in text.splitlines()}
    assert not {"sign", "appkey"} & header_names
    assert not find_credentials(text)
