"""No cassette under cassettes/ may hold a credential."""

from __future__ import annotations

from pathlib import Path

from storebridge.testing import find_credentials
from tests.support.paths import CASSETTES

ROOT = CASSETTES


def test_scanner_finds_planted_credentials() -> None:
    assert find_credentials("Authorization: Bearer abcdefgh12345")
    assert find_credentials("GET /x?access_token=abcdef123")
    assert find_credentials('{"accessToken": "abcdefgh1234"}')
    assert not find_credentials("access_token=%2A%2A%2A")
    assert not find_credentials('{"accessToken": "***"}')


def test_no_cassette_contains_a_credential() -> None:
    files = [p for p in ROOT.rglob("*") if p.is_file()]
    leaks = {str(p): find_credentials(p.read_text("utf-8", "replace")) for p in files}
    assert {k: v for k, v in leaks.items() if v} == {}


def test_cassette_transport_records_filtered_and_replays(tmp_path: Path) -> None:
    import pytest

    import storebridge
    from storebridge.testing import CassetteMiss, CassetteTransport
    from tests.support.toy import ToyAdapter, ToyEmulator

    secret = "cassette-secret-token-42"
    emu = ToyEmulator(orders=3, token=secret)
    path = tmp_path / "toy.yaml"
    recorder = CassetteTransport(path, record_mode="once", inner=emu.transport(), secrets=[secret])
    adapter = ToyAdapter.from_settings(base_url="https://toy.example", token=secret)
    with storebridge.Store(adapter, transport=recorder) as store:
        recorded = [o.ref for o in store.orders.list()]
    recorder.save()
    text = path.read_text("utf-8")
    assert secret not in text and not find_credentials(text)
    assert "/orders" in text

    replayer = CassetteTransport(path, record_mode="none")
    with storebridge.Store(adapter, transport=replayer) as store:
        assert [o.ref for o in store.orders.list()] == recorded
        with pytest.raises(CassetteMiss):
            store.orders.get("2")


def test_latin1_bodies_survive_recording(tmp_path: Path) -> None:
    from storebridge.http import MockTransport, Request, Response
    from storebridge.testing import CassetteTransport

    body = '{"name": "Blåbærsyltetøy"}'.encode("latin-1")

    def handler(request: Request) -> Response:
        return Response(200, content=body, headers={"Content-Type": "application/json"})

    path = tmp_path / "latin1.yaml"
    recorder = CassetteTransport(path, record_mode="once", inner=MockTransport(handler))
    request = Request("GET", "https://shop.example/api/v1/products/1")
    assert recorder.handle_request(request).content == body
    recorder.save()
    replayed = CassetteTransport(path, record_mode="none").handle_request(
        Request("GET", "https://shop.example/api/v1/products/1")
    )
    assert replayed.content == body
