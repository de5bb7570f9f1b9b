"""OAuth: the token endpoints (create and refresh, signed) and token helpers for tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from storebridge.http import Response
from storebridge.sandbox import (
    EmulatorRequest,
    Endpoint,
    HTTPProblem,
    json_response,
)
from storebridge_shopline._signing import same_signature, sign_body
from storebridge_shopline.emulator.state import StoreState
from storebridge_shopline.emulator.wire import ALL_SCOPES, Handler

__all__ = ["TokenEndpoints"]


class TokenEndpoints:
    """Token create and refresh, signed with the app secret; token helpers for tests.

    Its routes live outside the versioned REST API and pass no bearer guard.
    """

    def __init__(self, state: StoreState, lock: threading.RLock) -> None:
        self.state = state
        self.options = state.options
        self.tokens = state.tokens
        self.lock = lock
        self.codes: dict[str, float] = {}
        self.refreshes = 0
        self._last_refresh: float | None = None

    def endpoints(self) -> list[Endpoint[Handler]]:
        return [
            Endpoint("POST", r"/admin/oauth/token/create", self.token_create),
            Endpoint("POST", r"/admin/oauth/token/refresh", self.token_refresh),
        ]

    def now(self) -> float:
        return self.state.now()

    def issue_token(
        self, *, private: bool = False, scope: str = ALL_SCOPES
    ) -> tuple[str, datetime]:
        """A token as the admin (private app) or an OAuth grant would hand out; for tests."""
        with self.lock:
            lifetime = (
                self.options.private_token_lifetime if private else self.options.token_lifetime
            )
            token = self.tokens.issue(
                app_key=self.options.app_key,
                private=private,
                scope=scope,
                now=self.now(),
                lifetime=lifetime,
            )
            return token.value, datetime.fromtimestamp(token.expires_at, UTC)

    def rotate_private_token(self) -> str:
        """What "refresh" in the store admin does: a new token, the old one lives 30 min."""
        with self.lock:
            value, _ = self.issue_token(private=True)
            self.tokens.supersede(
                self.options.app_key, True, self.now(), self.options.private_refresh_grace, value
            )
            return value

    def issue_code(self) -> str:
        """An authorization code, as SHOPLINE puts on the OAuth callback (valid 10 min)."""
        with self.lock:
            code = f"code{len(self.codes) + 1:06d}"
            self.codes[code] = self.now() + 600
            return code

    def _token_refusal(self, code: int | str, i18n: str, message: str) -> HTTPProblem:
        return HTTPProblem(
            self.options.token_error_status, {"code": code, "i18nCode": i18n, "message": message}
        )

    def _check_signed(self, req: EmulatorRequest, bodies: tuple[bytes, ...]) -> None:
        appkey = req.headers.get("appkey")
        stamp = req.headers.get("timestamp")
        sign = req.headers.get("sign")
        if not appkey or not stamp or not sign:
            raise self._token_refusal(400, "PARAM_ERROR", "appkey, timestamp and sign are required")
        if appkey != self.options.app_key:
            raise self._token_refusal(401, "APP_NOT_FOUND", "unknown appkey")
        try:
            skew = abs(self.now() - int(stamp) / 1000)
        except ValueError:
            raise self._token_refusal(400, "PARAM_ERROR", "timestamp must be epoch ms") from None
        if skew > 600:
            raise self._token_refusal(401, "TIMESTAMP_EXPIRED", "timestamp is outside 10 minutes")
        if not any(
            same_signature(sign_body(self.options.app_secret, b, stamp), sign) for b in bodies
        ):
            raise self._token_refusal(401, "SIGN_ERROR", "sign verification failed")

    def _token_answer(self, value: str, expires_at: float, scope: str) -> Response:
        expire = datetime.fromtimestamp(expires_at, UTC)
        stamp = expire.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expire.microsecond // 1000:03d}+00:00"
        return json_response(
            200,
            {
                "code": 200,
                "i18nCode": "SUCCESS",
                "message": "ok",
                "data": {"accessToken": value, "expireTime": stamp, "scope": scope},
            },
        )

    def token_create(self, req: EmulatorRequest) -> Response:
        self._check_signed(req, (req.body,))
        code = req.json().get("code") if req.body else None
        expires = self.codes.pop(code, None) if isinstance(code, str) else None
        if expires is None or expires < self.now():
            raise self._token_refusal(400, "CODE_INVALID", "code is invalid or expired")
        token = self.tokens.issue(
            app_key=self.options.app_key,
            private=False,
            scope=ALL_SCOPES,
            now=self.now(),
            lifetime=self.options.token_lifetime,
        )
        self.tokens.supersede(
            self.options.app_key, False, self.now(), self.options.refresh_grace, token.value
        )
        return self._token_answer(token.value, token.expires_at, token.scope)

    def token_refresh(self, req: EmulatorRequest) -> Response:
        bodies: tuple[bytes, ...] = (b"",)
        if req.body.strip() == b"{}" and self.options.tolerate_brace_refresh_body:
            bodies = (b"", b"{}")
        elif req.body.strip():
            raise self._token_refusal(400, "PARAM_ERROR", "refresh takes no body")
        self._check_signed(req, bodies)
        now = self.now()
        if (
            self.options.min_refresh_interval
            and self._last_refresh is not None
            and now - self._last_refresh < self.options.min_refresh_interval
        ):
            raise self._token_refusal(400, "REQUEST_FREQUENTLY", "refresh requested too often")
        self._last_refresh = now
        self.refreshes += 1
        token = self.tokens.issue(
            app_key=self.options.app_key,
            private=False,
            scope=ALL_SCOPES,
            now=now,
            lifetime=self.options.token_lifetime,
        )
        self.tokens.supersede(
            self.options.app_key, False, now, self.options.refresh_grace, token.value
        )
        return self._token_answer(token.value, token.expires_at, token.scope)
