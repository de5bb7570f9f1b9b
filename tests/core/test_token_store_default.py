"""A RefreshingTokenAuth given no token store keeps its tokens to itself: two of them for
two shops, neither with a key of its own, must never hand one shop's token to the other.
Only an adapter that names the credential in the key shares the process's store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storebridge import _http
from storebridge.auth import PROCESS_TOKENS, RefreshingTokenAuth, Token
from storebridge.settings import Secret


class _ShopRefresher:
    def __init__(self, shop: str) -> None:
        self.shop = shop

    def refresh_request(self, current: Token) -> _http.Request:
        return _http.Request("POST", f"https://{self.shop}/token")

    def parse_refresh(self, response: _http.Response) -> Token:
        soon = datetime.now(UTC) + timedelta(hours=10)
        return Token(access_token=Secret(response.json()["token"]), expires_at=soon)

    def authorize(self, request: _http.Request, token: Token) -> None:
        request.headers["Authorization"] = f"Bearer {token.access_token.reveal()}"


def _auth(shop: str, hours: float, **store: object) -> RefreshingTokenAuth:
    given = Token(Secret(f"{shop}-given"), expires_at=datetime.now(UTC) + timedelta(hours=hours))
    return RefreshingTokenAuth(given, _ShopRefresher(shop), **store)  # type: ignore[arg-type]


def _call(auth: RefreshingTokenAuth, shop: str, sent: list[str]) -> None:
    def handle(request: _http.Request) -> _http.Response:
        if request.url.path == "/token":
            return _http.Response(200, json={"token": f"{shop}-fresh"})
        sent.append(request.headers["Authorization"])
        return _http.Response(200, json={})

    with _http.Client(transport=_http.MockTransport(handle), auth=auth) as client:
        client.get(f"https://{shop}/api")


def test_two_shops_without_a_store_keep_their_own_tokens() -> None:
    sent: list[str] = []
    _call(_auth("shop-a.example", 0.01), "shop-a.example", sent)  # due: refreshes
    _call(_auth("shop-b.example", 1.0), "shop-b.example", sent)
    assert sent == ["Bearer shop-a.example-fresh", "Bearer shop-b.example-given"]


def test_stores_that_name_their_credential_share_the_process_store() -> None:
    sent: list[str] = []
    key = {"store": PROCESS_TOKENS, "store_key": "acme:app-1"}
    try:
        _call(_auth("acme.example", 0.01, **key), "acme.example", sent)
        _call(_auth("acme.example", 0.01, **key), "acme.example", sent)
    finally:
        PROCESS_TOKENS.clear()
    assert sent == ["Bearer acme.example-fresh", "Bearer acme.example-fresh"]
