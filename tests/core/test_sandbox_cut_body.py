"""A request whose body is cut short (its client killed mid-write) is never handed to the
emulator: a server does not act on half a request. The loopback server passed the part
that came, so a killed migration's half-sent cancel reached the platform twice."""

from __future__ import annotations

import json
import socket
import time

from storebridge.registry import adapter_class


def test_a_request_cut_mid_body_is_not_processed() -> None:
    kit = adapter_class("29next").sandbox(seed=3, orders=3, rate_limit=None)
    emulator = kit.emulator
    with emulator.serve() as url:
        host, port = url.split("//")[1].split("/")[0].split(":")
        token = kit.settings(url)["access_token"]
        body = json.dumps({"cancel_reason": "x" * 40, "full_refund": False}).encode()
        number = next(iter(emulator.state.orders))  # type: ignore[attr-defined]
        head = (
            f"POST /api/admin/orders/{number}/cancel/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection((host, int(port)), timeout=5) as client:
            client.sendall(head + body[:10])
            client.shutdown(socket.SHUT_WR)
            answer = client.recv(300)
        time.sleep(0.2)
        processed = [r.path for r in emulator.requests]
    assert answer == b""  # no answer to half a request
    assert processed == []
    assert emulator.state.orders[number].status != "canceled"  # type: ignore[attr-defined]
