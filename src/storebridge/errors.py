"""Exceptions raised by storebridge.

Every exception derives from :class:`StorebridgeError`, so one ``except`` catches them all::

    StorebridgeError
    ├── ConfigurationError          a setting is missing or malformed (raised by connect())
    ├── ValidationError             bad user input, raised before any request is sent
    ├── UnsupportedOperation        this platform cannot do that operation
    ├── StoreClosed                 the store was closed (also a RuntimeError)
    ├── TransportError              no HTTP response (connection refused, timeout, DNS...)
    │   └── OutcomeUnknown          a write was sent but its result is unknown
    ├── PayloadError                the platform sent something we cannot read; has a JSON path
    │   └── PaginationError         a listing could not move forward (a stale or repeated
    │                               page, a short count): it never ends early in silence
    └── APIError                    the platform answered with an error status
        ├── AuthenticationError     401: token missing, wrong or expired
        │   └── TokenRefreshError   a token refresh failed; nothing was stored
        ├── PermissionDenied        403: the token lacks a scope / the store is blocked
        ├── NotFound                404
        ├── Conflict                409, 422 and other business-rule refusals
        ├── RateLimited             429, carries ``retry_after`` in seconds
        └── ServerError             5xx

Every :class:`APIError` carries the HTTP ``status``, the ``platform``, the ``request_id`` (the
platform's request or trace id when it sends one), the platform's own ``message`` and any
per-field errors. Messages never contain secrets: they pass through the store's redactor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class StorebridgeError(Exception):
    """Base class of every storebridge exception."""


class StoreClosed(StorebridgeError, RuntimeError):
    """The store was closed: connect again to send requests (also a RuntimeError, as using
    a closed client is in httpx and the standard library)."""


class ConfigurationError(StorebridgeError):
    """A setting passed to :func:`storebridge.connect` is missing or malformed.

    ``setting`` names the offending setting.
    """

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class ValidationError(StorebridgeError, ValueError):
    """User input is invalid; raised before any request is sent.

    ``field`` names the offending argument or field. It is also a ``ValueError``, so code
    written to catch bad values the Python way keeps working.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedOperation(StorebridgeError):
    """The platform cannot perform this operation (see ``store.capabilities``)."""

    def __init__(self, platform: str, operation: str, reason: str = "") -> None:
        text = f"{platform} does not support {operation}"
        if reason:
            text += f": {reason}"
        super().__init__(text)
        self.platform = platform
        self.operation = operation


class TransportError(StorebridgeError):
    """No HTTP response was received (connection refused, timeout, TLS failure...)."""


class OutcomeUnknown(TransportError):
    """A write was sent and its result is unknown: no answer, a late or unreadable one, or a 5xx.

    storebridge never re-sends such a write blindly: adapters read the platform back and
    return the write's result when they find it. This error reaches you only when the
    read-back could not settle it; check the store before trying again.

    ``operation`` names the write; ``processed`` is True when the platform answered 2xx (the
    write certainly happened but its answer could not be read), None when nobody can tell;
    ``status`` is the HTTP status when there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        processed: bool | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.processed = processed
        self.status = status


class PayloadError(StorebridgeError):
    """The platform sent data storebridge cannot read.

    ``path`` is a JSON path into the payload, such as ``$.lines[2].price``.
    """

    def __init__(self, message: str, *, path: str = "$", platform: str | None = None) -> None:
        where = f" at {path}" if path else ""
        who = f"{platform}: " if platform else ""
        super().__init__(f"{who}{message}{where}")
        self.path = path
        self.platform = platform


class PaginationError(PayloadError):
    """A listing could not move forward, so it stopped with this error instead of ending early.

    Raised when a page repeats one already read (a stale cache or replica), a next link or
    offset does not advance, or a full listing yields fewer records than the platform's own
    count, and asking again did not help. ``resource`` names the listing and ``page`` the
    request that failed (credentials masked).
    """

    def __init__(
        self,
        message: str,
        *,
        resource: str | None = None,
        page: str | None = None,
        path: str = "",
        platform: str | None = None,
    ) -> None:
        super().__init__(message, path=path, platform=platform)
        self.resource = resource
        self.page = page


class APIError(StorebridgeError):
    """The platform answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        platform: str,
        request_id: str | None = None,
        field_errors: Mapping[str, Sequence[str]] | None = None,
        method: str | None = None,
        url: str | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.status = status
        self.platform = platform
        self.request_id = request_id
        self.field_errors: dict[str, list[str]] = {
            k: list(v) for k, v in (field_errors or {}).items()
        }
        self.method = method
        self.url = url
        self.body = body
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"{self.platform} answered {self.status}"]
        if self.method and self.url:
            parts.append(f"to {self.method} {self.url}")
        text = " ".join(parts) + f": {self.message}"
        if self.field_errors:
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.field_errors.items())
            text += f" ({fields})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class AuthenticationError(APIError):
    """401: the credentials are missing, wrong or expired."""


class TokenRefreshError(AuthenticationError):
    """Refreshing an access token failed. The previous token was kept; nothing was stored."""


class PermissionDenied(APIError):
    """403: the credentials are valid but not allowed to do this."""


class NotFound(APIError):
    """404: the object does not exist."""


class Conflict(APIError):
    """The platform refused the request on a business rule (409, 422 and the like)."""


class RateLimited(APIError):
    """429: too many requests. ``retry_after`` is the wait the platform asked for, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(APIError):
    """5xx: the platform failed."""


def error_class_for_status(status: int) -> type[APIError]:
    """The exception class that matches an HTTP error status."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDenied
    if status == 404:
        return NotFound
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    if status in (409, 412, 422, 423):
        return Conflict
    return APIError


__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "Conflict",
    "NotFound",
    "OutcomeUnknown",
    "PaginationError",
    "PayloadError",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "StoreClosed",
    "StorebridgeError",
    "TokenRefreshError",
    "TransportError",
    "UnsupportedOperation",
    "ValidationError",
    "error_class_for_status",
]
