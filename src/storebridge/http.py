"""HTTP types for adapter authors: ``Request``, ``Response``, ``Auth``, :func:`read_json`.

Adapters build requests with these names instead of importing an HTTP library, so one
module of storebridge decides which implementation of the httpx API is used.
"""

from __future__ import annotations

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
]
