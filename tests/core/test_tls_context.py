"""Stores share one verifying TLS context instead of loading the CA bundle each."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

import storebridge
from storebridge import _http

pytestmark = pytest.mark.usefixtures("toy_registered")


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[ssl.SSLContext]:
    built: list[ssl.SSLContext] = []
    real = _http.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context: ssl.SSLContext = real(*args, **kwargs)
        built.append(context)
        return context

    monkeypatch.setattr(_http, "create_ssl_context", counted)
    monkeypatch.setattr(_http, "_contexts", {})
    return built


def test_many_stores_build_one_context(monkeypatch: pytest.MonkeyPatch) -> None:
    built = _count_builds(monkeypatch)
    for _ in range(5):
        with storebridge.connect("toy", base_url="https://toy.example", token="t0ken-abc"):
            pass
    assert len(built) == 1
    context = built[0]
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_a_changed_ca_setting_gets_its_own_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    built = _count_builds(monkeypatch)
    first = _http.shared_ssl_context()
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    second = _http.shared_ssl_context()
    assert second is not first and len(built) == 2
    assert _http.shared_ssl_context() is second
