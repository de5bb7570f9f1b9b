"""Serving an emulator on a loopback port, for the CLI, the demo, benchmarks and e2e tests.

Answers go out with ``TCP_NODELAY`` in one write: a small answer left to Nagle's algorithm
waits for the client's delayed ACK (about 40 ms a request on Linux). Stopping wakes the
accept loop at once instead of waiting for a poll interval, and closes kept-alive
connections so their threads end with the server.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from storebridge import _http
from storebridge.sandbox.problems import DropConnection

if TYPE_CHECKING:
    from storebridge.sandbox.emulator import Emulator

__all__ = ["LOOPBACK", "LoopbackServer"]

LOOPBACK = "127.0.0.1"
_WRITE_BUFFER = 64 * 1024
"""Status line, headers and body leave in one send (flushed after each request)."""


class _Server(ThreadingHTTPServer):
    # Clients keep dozens of requests in flight; the default backlog of 5 refuses them.
    request_queue_size = 256
    daemon_threads = True
    allow_reuse_address = True
    emulator: Emulator

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-answer (a killed migration, a cancelled request) is
        # normal for an emulator; anything else still gets the standard report.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = _WRITE_BUFFER
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):  # the server closed it while stopping
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        # Request lines can carry credentials in query strings; keep them off stderr.
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client went away mid-body: a server never hands a half request on (a
            # killed client's cut write must not happen).
            self.close_connection = True
            return
        host = self.headers.get("Host") or f"{LOOPBACK}:{self.server.server_address[1]}"
        request = _http.Request(
            self.command,
            f"http://{host}{self.path}",
            headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"],
            content=body,
        )
        try:
            response = self.server.emulator.handle(request)
        except DropConnection:
            self.close_connection = True
            return
        content = response.read()
        self.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer


class LoopbackServer:
    """An emulator on ``127.0.0.1``; never binds another address."""

    def __init__(self, emulator: Emulator, port: int = 0) -> None:
        self._server = _Server((LOOPBACK, port))
        self._server.emulator = emulator
        self._wake_read, self._wake_write = socket.socketpair()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def serve_forever(self) -> None:
        """Accept and serve until :meth:`stop` (blocks; :meth:`start` runs it in a thread)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._server.socket, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._server.socket and not self._stopping.is_set():
                        self._server.handle_request()

    def stop(self) -> None:
        """Stop accepting, close open connections, release the port; returns promptly."""
        self._stopping.set()
        self._wake_write.send(b"x")
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._server.connections_lock:
            open_connections = list(self._server.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._wake_read.close()
        self._wake_write.close()
