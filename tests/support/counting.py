"""A transport that counts the requests it passes on: tests of input refused before any
request assert the count stays 0; ``writes`` counts those that are not reads."""

from __future__ import annotations

from storebridge import _http


class Counting(_http.BaseTransport):
    def __init__(self, inner: _http.BaseTransport) -> None:
        self.inner = inner
        self.sent = 0
        self.writes = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        self.sent += 1
        if request.method not in ("GET", "HEAD"):
            self.writes += 1
        return self.inner.handle_request(request)


__all__ = ["Counting"]
