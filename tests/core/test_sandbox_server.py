"""The loopback server: 127.0.0.1 only, TCP_NODELAY on every connection, a stop that ends
kept-alive connections and frees the port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from storebridge import _http
from storebridge.sandbox import Emulator, EmulatorRequest, LoopbackServer, json_response

GUARD_SECONDS = 10.0
"""Socket timeouts so a broken server fails the test instead of hanging it (not a measure)."""


class EchoEmulator(Emulator):
    platform = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/echo", self.echo)

    def echo(self, request: EmulatorRequest) -> _http.Response:
        return json_response(200, {"path": request.path, "query": request.query})


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    running = LoopbackServer(EchoEmulator())
    running.start()
    try:
        yield running
    finally:
        running.stop()


def raw_get(sock: socket.socket, path: str) -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head.split(b"\r\n")[0] + b"\n" + body


def test_binds_loopback_only(server: LoopbackServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    with _http.Client(base_url=server.url) as client:
        assert client.get("/echo", params={"a": "1"}).json() == {
            "path": "/echo",
            "query": {"a": "1"},
        }


def test_accepted_connections_have_nagle_off(server: LoopbackServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=GUARD_SECONDS) as sock:
        assert raw_get(sock, "/echo").startswith(b"HTTP/1.1 200")
        accepted = list(server._server.connections)
        assert len(accepted) == 1
        assert accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_stop_ends_kept_alive_connections_and_frees_the_port() -> None:
    running = LoopbackServer(EchoEmulator())
    running.start()
    port = running.port
    with socket.create_connection(("127.0.0.1", port), timeout=GUARD_SECONDS) as sock:
        assert raw_get(sock, "/echo").startswith(b"HTTP/1.1 200")
        running.stop()
        assert sock.recv(1) == b""  # the server closed the kept-alive connection
    assert not running._thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=GUARD_SECONDS).close()


def test_serve_yields_a_url_and_stops_after() -> None:
    emulator = EchoEmulator()
    with emulator.serve() as url, _http.Client(base_url=url) as client:
        assert client.get("/echo").status_code == 200
    with pytest.raises(_http.TransportError), _http.Client(base_url=url) as client:
        client.get("/echo")
