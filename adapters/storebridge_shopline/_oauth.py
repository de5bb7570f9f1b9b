"""SHOPLINE app authorization: authorize URL, callback check, token create and refresh.

SHOPLINE's OAuth2 is not the standard one, so no OAuth2 client library applies to the token
calls: the token endpoints take ``appkey``/``timestamp``/``sign`` headers (an HMAC of the
body and timestamp) instead of client credentials, there is no ``refresh_token`` (the store
handle, app key and signature identify the grant), and answers come wrapped as
``{"code": 200, "i18nCode": "SUCCESS", "data": {"accessToken", "expireTime", "scope"}}``.
Every token read from an answer is checked before it is used or stored
(:func:`storebridge.kit.token_problem`).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from storebridge.errors import PayloadError, TokenRefreshError, ValidationError
from storebridge.http import BaseTransport, Request, Response, send_once
from storebridge.kit import (
    Secret,
    Token,
    build_request,
    parse_iso_datetime,
    read_json,
    token_problem,
)
from storebridge_shopline._signing import same_signature, sign_body, sign_query

log = logging.getLogger("storebridge.shopline.oauth")

OAUTH_TOKEN_LIFETIME = timedelta(hours=10)
CALLBACK_WINDOW_SECONDS = 600.0
"""Callbacks whose ``timestamp`` is older than ten minutes are refused (replay protection)."""


def authorize_url(
    root_url: str,
    *,
    app_key: str,
    scopes: list[str] | tuple[str, ...],
    redirect_uri: str,
    state: str | None = None,
) -> tuple[str, str]:
    """The merchant's consent page, and the ``state`` sent as ``customField``.

    The query sits after the ``#``: SHOPLINE's consent page is a single-page app. Keep the
    returned state and compare it with the callback's ``customField``.
    """
    if not scopes:
        raise ValidationError("at least one scope is needed, e.g. 'read_orders'", field="scopes")
    state = state or secrets.token_urlsafe(24)
    query = (
        f"appKey={quote(app_key, safe='')}&responseType=code"
        f"&scope={quote(','.join(scopes), safe='')}"
        f"&redirectUri={quote(redirect_uri, safe='')}"
        f"&customField={quote(state, safe='')}"
    )
    return f"{root_url.rstrip('/')}/admin/oauth-web/#/oauth/authorize?{query}", state


def verify_callback(
    params: Mapping[str, str],
    app_secret: str,
    *,
    now: float | None = None,
    window: float = CALLBACK_WINDOW_SECONDS,
    expected_state: str | None = None,
) -> bool:
    """Check an install request or OAuth callback: signature, freshness and ``state``.

    ``params`` is the decoded query (``appkey, code, handle, timestamp, sign[, customField]``).
    ``timestamp`` is in milliseconds; one older than ``window`` seconds is refused.
    """
    sign = params.get("sign")
    if not isinstance(sign, str) or not sign or not isinstance(app_secret, str):
        return False
    try:
        expected = sign_query(app_secret, params)
    except (TypeError, ValueError):  # values that are not text, or not encodable
        return False
    if not same_signature(expected, sign):
        return False
    if expected_state is not None and params.get("customField") != expected_state:
        return False
    try:
        stamp = int(str(params.get("timestamp", ""))) / 1000
    except ValueError:
        return False
    current = time.time() if now is None else now
    return abs(current - stamp) <= window


def _timestamp_ms(clock: Callable[[], float]) -> str:
    return str(int(clock() * 1000))


def _signed_headers(app_key: str, secret: str, body: bytes, stamp: str) -> dict[str, str]:
    return {
        "appkey": app_key,
        "timestamp": stamp,
        "sign": sign_body(secret, body, stamp),
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def create_token_request(
    root_url: str, *, app_key: str, app_secret: str, code: str, clock: Callable[[], float]
) -> Request:
    """``POST /admin/oauth/token/create`` for an authorization ``code``."""
    # The signature covers the exact bytes, so the body is serialised here, compactly.
    body = json.dumps({"code": code}, separators=(",", ":")).encode("utf-8")
    return build_request(
        "POST",
        f"{root_url}/admin/oauth/token/create",
        operation="oauth.token_create",
        content=body,
        headers=_signed_headers(app_key, app_secret, body, _timestamp_ms(clock)),
    )


def refresh_token_request(
    root_url: str, *, app_key: str, app_secret: str, clock: Callable[[], float]
) -> Request:
    """``POST /admin/oauth/token/refresh``: no body, the signature covers the timestamp."""
    return build_request(
        "POST",
        f"{root_url}/admin/oauth/token/refresh",
        operation="oauth.token_refresh",
        content=b"",
        headers=_signed_headers(app_key, app_secret, b"", _timestamp_ms(clock)),
    )


def parse_expire_time(value: Any, now: float) -> datetime:
    """``expireTime`` as an aware datetime; ValueError when it is missing or unreadable.

    Seen as ISO 8601 with milliseconds and offset, and (in SDK mocks) as a bare date. A bare
    date or naive time cannot be trusted, so the documented 10-hour lifetime is assumed.
    Epoch numbers are read as seconds, or milliseconds when larger than 10**11.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("the answer has no expireTime")
    text = value.strip()
    if text.isascii() and text.isdigit():
        return _from_epoch(int(text))
    try:
        return parse_iso_datetime(text)
    except ValueError:
        pass
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("the answer's expireTime is not a date") from None
    log.warning("expireTime %r has no time zone; assuming a 10-hour token", text)
    return datetime.fromtimestamp(now, UTC) + OAUTH_TOKEN_LIFETIME


def _from_epoch(number: float) -> datetime:
    try:
        return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError("the answer's expireTime is out of range") from None


def _refusal_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a refusal worth keeping; anything else (an echoed request) is dropped."""
    keep = ("code", "i18nCode", "message")
    return {k: body[k] for k in keep if isinstance(body.get(k), str | int | float)}


_TIMESTAMP_HINT = (
    "The platform refused the request's signing time: this machine's clock is off by more "
    "than 10 minutes. Set the clock right (enable NTP time sync) and try again; the app's "
    "keys are not the problem."
)
_KEYS_HINT = (
    "Check app_key/app_secret and that the app is still installed; otherwise re-authorize the app."
)


def _refusal_hint(i18n_code: object) -> str:
    """What to do about a refused token request. A signing time outside the platform's
    window is this machine's clock, not the keys: sent to check the keys, the user would
    find them right and be stuck."""
    return _TIMESTAMP_HINT if i18n_code == "TIMESTAMP_EXPIRED" else _KEYS_HINT


def parse_token_response(response: Response, *, now: float, platform: str = "SHOPLINE") -> Token:
    """The token in a create/refresh answer, checked; TokenRefreshError for anything else."""
    trace = response.headers.get("traceid")

    def refused(message: str, body: dict[str, Any] | None = None) -> TokenRefreshError:
        return TokenRefreshError(
            message,
            status=response.status_code,
            platform=platform,
            request_id=trace,
            body=body,
        )

    try:
        body = read_json(response)
    except PayloadError:
        body = None
    if not isinstance(body, dict):
        raise refused("the token-endpoint answer is not a JSON object")
    code = body.get("code")
    data = body.get("data")
    if response.status_code == 200 and code is None:
        # A refusal says why in its code; an object without one is not a token answer at
        # all (mangled on the way): blaming the app's keys would send the user astray.
        raise refused("the token-endpoint answer is not a token answer (it has no code)")
    if response.status_code != 200 or str(code) != "200" or not isinstance(data, dict):
        kept = _refusal_body(body)
        reason = kept.get("message") or kept.get("i18nCode") or "failed"
        raise refused(
            f"token-endpoint request refused: {reason} (code {kept.get('code')!r}, i18nCode "
            f"{kept.get('i18nCode')!r}). {_refusal_hint(kept.get('i18nCode'))}",
            kept,
        )
    access = data.get("accessToken")
    if not isinstance(access, str) or not access.strip():
        raise refused("the token-endpoint answer has no accessToken")
    try:
        expires = parse_expire_time(data.get("expireTime"), now)
    except ValueError as exc:
        raise refused(f"token-endpoint answer refused: {exc}") from None
    scope = data.get("scope")
    token = Token(
        access_token=Secret(access),
        expires_at=expires,
        scope=scope if isinstance(scope, str) and scope else None,
        issued_at=datetime.fromtimestamp(now, UTC),
    )
    problem = token_problem(token, now)
    if problem is not None:
        raise refused(f"token-endpoint answer refused: {problem}")
    return token


class ShoplineRefresher:
    """The SHOPLINE part of :class:`storebridge.auth.RefreshingTokenAuth`."""

    def __init__(
        self, root_url: str, app_key: str, app_secret: Secret, clock: Callable[[], float]
    ) -> None:
        self._root = root_url
        self._app_key = app_key
        self._secret = app_secret
        self._clock = clock

    def refresh_request(self, current: Token) -> Request:
        return refresh_token_request(
            self._root, app_key=self._app_key, app_secret=self._secret.reveal(), clock=self._clock
        )

    def parse_refresh(self, response: Response) -> Token:
        # RefreshingTokenAuth asks for the body up front (sync or async), so it is read.
        return parse_token_response(response, now=self._clock())

    def garbled(self, response: Response) -> bool:
        """A 200 that is not a token answer, nor a refusal (which names its code): mangled
        on the way, so the refresh is asked again (the token it made, if any, is replaced
        by the next, as with any refresh)."""
        if response.status_code != 200:
            return False
        try:
            body = read_json(response)
        except PayloadError:
            return True
        return not isinstance(body, dict) or body.get("code") is None

    def authorize(self, request: Request, token: Token) -> None:
        request.headers["Authorization"] = f"Bearer {token.access_token.reveal()}"

    def __repr__(self) -> str:
        return f"ShoplineRefresher({self._root!r}, app_key={self._app_key!r}, app_secret=***)"


def exchange_code(
    code: str,
    *,
    app_key: str,
    app_secret: str,
    handle: str | None = None,
    base_url: str | None = None,
    transport: BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> Token:
    """Step 4 of app authorization: trade the callback's ``code`` for an access token.

    Verify the callback with :func:`verify_callback` first. Save the returned token (and its
    ``expires_at``) and pass both to ``storebridge.connect("shopline", ...)``.
    """
    if (handle is None) == (base_url is None):
        raise ValidationError("pass exactly one of handle or base_url", field="handle")
    root = base_url.rstrip("/") if base_url else f"https://{handle}.myshopline.com"
    request = create_token_request(
        root, app_key=app_key, app_secret=app_secret, code=code, clock=clock
    )
    response = send_once(request, transport=transport)
    return parse_token_response(response, now=clock())


__all__ = [
    "CALLBACK_WINDOW_SECONDS",
    "OAUTH_TOKEN_LIFETIME",
    "ShoplineRefresher",
    "authorize_url",
    "create_token_request",
    "exchange_code",
    "parse_expire_time",
    "parse_token_response",
    "refresh_token_request",
    "verify_callback",
]
