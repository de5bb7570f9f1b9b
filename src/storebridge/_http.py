"""The one module that imports the HTTP library.

storebridge speaks the httpx API. httpx itself is frozen at 0.28.1, so we use its maintained
continuation httpx2, which keeps the same API. Every other module imports these names from
here (or from the public :mod:`storebridge.http`), so switching the implementation is a
one-line change.
"""

from __future__ import annotations

import os
import ssl
import threading

import httpx2 as httpx

Auth = httpx.Auth
AsyncClient = httpx.AsyncClient
AsyncBaseTransport = httpx.AsyncBaseTransport
BaseTransport = httpx.BaseTransport
BasicAuth = httpx.BasicAuth
Client = httpx.Client
Headers = httpx.Headers
HTTPError = httpx.HTTPError
InvalidURL = httpx.InvalidURL
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
create_ssl_context = httpx.create_ssl_context

_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def shared_ssl_context() -> ssl.SSLContext:
    """The verifying TLS context every store's client uses, built once per process.

    Building one loads the system's CA bundle, ~80 ms of CPU: a fleet opening hundreds of
    stores would pay it per store. It is the context the HTTP library would build itself
    (``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured, read again when they change), and contexts
    are safe to share between connections, threads and event loops.
    """
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = create_ssl_context()
        return context


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
    "InvalidURL",
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
    "create_ssl_context",
    "shared_ssl_context",
]
