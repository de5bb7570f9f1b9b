"""HTTP types for adapter authors: ``Request``, ``Response``, ``Auth``, :func:`read_json`.

Adapters build requests with these names instead of importing an HTTP library, so one
module of storebridge decides which implementation of the httpx API is used.
"""

from __future__ import annotations

from storebridge import _http
from storebridge._http import (
    URL,
    AsyncBaseTransport,
    Auth,
    BaseTransport,
    BasicAuth,
    Headers,
    MockTransport,
    QueryParams,
    Request,
    Response,
)
from storebridge._json import read_json


def send_once(
    request: Request, *, transport: BaseTransport | None = None, timeout: float = 30.0
) -> Response:
    """Send one request outside any store and return its answer, body read.

    For the rare helper that runs before a store exists (an OAuth code exchange); every
    other request an adapter makes is a flow step the store sends. ``transport`` replaces
    the network (an emulator's, in tests).
    """
    with _http.Client(transport=transport, timeout=_http.Timeout(timeout)) as client:
        response = client.send(request)
        response.read()
        return response


__all__ = [
    "URL",
    "AsyncBaseTransport",
    "Auth",
    "BaseTransport",
    "BasicAuth",
    "Headers",
    "MockTransport",
    "QueryParams",
    "Request",
    "Response",
    "read_json",
    "send_once",
]
