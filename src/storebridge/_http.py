"""The one module that imports the HTTP library.

storebridge speaks the httpx API. httpx itself is frozen at 0.28.1, so we use its maintained
continuation httpx2, which keeps the same API. Every other module imports these names from
here (or from the public :mod:`storebridge.http`), so switching the implementation is a
one-line change.
"""

from __future__ import annotations

import httpx2 as httpx

Auth = httpx.Auth
AsyncClient = httpx.AsyncClient
AsyncBaseTransport = httpx.AsyncBaseTransport
BaseTransport = httpx.BaseTransport
BasicAuth = httpx.BasicAuth
Client = httpx.Client
Headers = httpx.Headers
HTTPError = httpx.HTTPError
Limits = httpx.Limits
MockTransport = httpx.MockTransport
QueryParams = httpx.QueryParams
Request = httpx.Request
Response = httpx.Response
Timeout = httpx.Timeout
TimeoutException = httpx.TimeoutException
TransportError = httpx.TransportError
ConnectError = httpx.ConnectError
ConnectTimeout = httpx.ConnectTimeout
PoolTimeout = httpx.PoolTimeout
ReadTimeout = httpx.ReadTimeout
ReadError = httpx.ReadError
HTTPTransport = httpx.HTTPTransport
AsyncHTTPTransport = httpx.AsyncHTTPTransport
ByteStream = httpx.ByteStream
URL = httpx.URL

__all__ = [
    "URL",
    "AsyncBaseTransport",
    "AsyncClient",
    "AsyncHTTPTransport",
    "Auth",
    "BaseTransport",
    "BasicAuth",
    "ByteStream",
    "Client",
    "ConnectError",
    "ConnectTimeout",
    "HTTPError",
    "HTTPTransport",
    "Headers",
    "Limits",
    "MockTransport",
    "PoolTimeout",
    "QueryParams",
    "ReadError",
    "ReadTimeout",
    "Request",
    "Response",
    "Timeout",
    "TimeoutException",
    "TransportError",
]
