"""The emulator's token registry: OAuth and private-app tokens with lifetimes and grace."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import attrs

TEN_HOURS = 10 * 3600.0
THREE_YEARS = 3 * 365 * 86400.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@attrs.define
class IssuedToken:
    value: str
    app_key: str
    private: bool
    scope: str
    expires_at: float
    dies_at: float | None = None
    """Set when a newer token replaced this one: the end of its grace period."""

    def valid(self, now: float) -> bool:
        return now < self.expires_at and (self.dies_at is None or now < self.dies_at)


class TokenRegistry:
    """JWT-shaped bearer tokens (HS512 header, claims like SHOPLINE's) kept in memory."""

    def __init__(self, handle: str, secret: str) -> None:
        self._handle = handle
        self._secret = secret.encode("utf-8")
        self._tokens: dict[str, IssuedToken] = {}
        self._serial = 0
        self.issued: list[IssuedToken] = []

    def issue(
        self, *, app_key: str, private: bool, scope: str, now: float, lifetime: float
    ) -> IssuedToken:
        self._serial += 1
        claims: dict[str, Any] = {
            "appKey": app_key,
            "storeId": self._handle,
            "version": "V2",
            "timestamp": int(now * 1000),
            "serial": self._serial,
            "iss": "ysoul",
            "exp": int(now + lifetime),
        }
        head = _b64(json.dumps({"alg": "HS512"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha512).digest())
        token = IssuedToken(
            value=f"{head}.{body}.{sig}",
            app_key=app_key,
            private=private,
            scope=scope,
            expires_at=now + lifetime,
        )
        self._tokens[token.value] = token
        self.issued.append(token)
        return token

    def get(self, value: str) -> IssuedToken | None:
        return self._tokens.get(value)

    def supersede(self, app_key: str, private: bool, now: float, grace: float, keep: str) -> None:
        """Older tokens of this grant stay valid ``grace`` seconds more."""
        for token in self._tokens.values():
            if token.app_key == app_key and token.private == private and token.value != keep:
                end = now + grace
                token.dies_at = end if token.dies_at is None else min(token.dies_at, end)

    def revoke_all(self, now: float) -> None:
        for token in self._tokens.values():
            token.dies_at = now


__all__ = ["TEN_HOURS", "THREE_YEARS", "IssuedToken", "TokenRegistry"]
