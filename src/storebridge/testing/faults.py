"""A fault layer: an HTTP transport that makes any server misbehave, reproducibly.

Wrap the transport a store uses (an emulator's in-process transport, or a real one to a
loopback sandbox) and a seeded share of requests meets a fault::

    from storebridge.testing.faults import FaultTransport

    faulty = FaultTransport(sandbox.emulator.transport(), seed=3, rate=0.3)
    with storebridge.connect("29next", transport=faulty, **settings) as store:
        orders = list(store.orders.list())          # exactly the store's orders, or an error
    print(faulty.injected)                          # Counter({'truncated': 4, ...})

Kinds of fault (``FAULT_KINDS``), each as it happens on real networks:

* ``server_error``  a 500/502/503 before the server did anything
* ``rate_limited``  a 429 with ``Retry-After``; ``rate_limited_bare`` without it
* ``refused``       the connection is refused (nothing was sent)
* ``reset_before``  the connection resets before the server processed the request
* ``reset_after``   the server processed it, then the connection reset (answer lost)
* ``timeout_after`` the server processed it, the answer came too late (read timeout)
* ``lost_502``      the server processed it, then a gateway answered 502
* ``truncated``     the answer body is cut short
* ``malformed``     the answer body is not JSON
* ``html_200``      a 200 with an HTML page (a proxy's error page, a login wall)
* ``wrong_shape``   valid JSON of the wrong shape at the top level
* ``stale_page``    a page of a listing answered with an earlier page of the same listing
  (a stale cache or a replica behind); only for GETs of a listing that has an earlier page

Not among them, so asked for by name (``kinds=`` or a ``script``), since it is bad data,
not a bad network, and a listing meeting it can only fail:

* ``bad_row``       one record of the answer's first list of records with every value but
  its ids made an object (a platform's bug, a half-migrated row): an adapter must raise,
  never skip it
* ``foreign_next``  every link to the store's own origin in the answer (body and ``Link``
  header) pointed at ``https://elsewhere.invalid`` instead (a poisoned cache, a hostile
  proxy): an adapter must not follow it there with its credentials, nor end the listing

Asked for by name too, since for most reads an earlier answer is as good as any:

* ``cached_answer`` a GET answered with the first answer its exact URL got (a cache that
  stores answers it should not, a CDN told to cache an API, which still honours a
  request's ``Cache-Control: no-cache``): a read that decides whether to send a write (a
  write's read-back) must ask past caches, or a write that landed reads as one lost

``only`` restricts faults to requests it accepts (e.g. writes only); ``script`` replaces the
random draw with a choice of your own (``script(n, request)`` for the n-th request, 1-based,
returns a kind or None). Every injected fault is counted in :attr:`FaultTransport.injected`
and logged in :attr:`FaultTransport.log`.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from storebridge import _http

FAULT_KINDS: tuple[str, ...] = (
    "server_error",
    "rate_limited",
    "rate_limited_bare",
    "refused",
    "reset_before",
    "reset_after",
    "timeout_after",
    "lost_502",
    "truncated",
    "malformed",
    "html_200",
    "wrong_shape",
    "stale_page",
)
DATA_FAULTS: tuple[str, ...] = ("bad_row", "foreign_next")
ELSEWHERE = "https://elsewhere.invalid"
"""Where a ``foreign_next`` fault points the store's own links."""
"""Faults in the data itself, injected only when named."""
CACHE_FAULTS: tuple[str, ...] = ("cached_answer",)
"""A cache answering for the platform, injected only when named: for most reads an earlier
answer is as good as any (the store as it was a moment ago)."""
_KNOWN = (*FAULT_KINDS, *DATA_FAULTS, *CACHE_FAULTS)
READ_FAULTS = FAULT_KINDS
"""Faults worth injecting into reads (all of them)."""
LOST_ANSWER_FAULTS: tuple[str, ...] = (
    "reset_after",
    "timeout_after",
    "lost_502",
    "truncated",
    "malformed",
    "html_200",
    "wrong_shape",
)
"""Faults after which a write has happened but its caller cannot know it."""

_DIGITS = re.compile(r"^\d+$")
_SKIPPED_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})


def _listing_key(request: _http.Request) -> tuple[str, str, tuple[str, ...]]:
    """Requests with the same key are pages of one listing (offsets and cursors aside)."""
    path = "/".join("#" if _DIGITS.match(part) else part for part in request.url.path.split("/"))
    keys = tuple(sorted({k for k, _ in request.url.params.multi_items()}))
    return (request.url.host, path, keys)


class FaultTransport(_http.BaseTransport, _http.AsyncBaseTransport):
    """``inner`` with a seeded share (``rate``) of requests meeting a fault of ``kinds``.

    ``kinds`` is a sequence of names or a mapping of name to weight. Works as a sync and an
    async transport (``inner`` must support the one used).
    """

    def __init__(
        self,
        inner: Any,
        *,
        seed: int = 0,
        rate: float = 0.1,
        kinds: Mapping[str, float] | tuple[str, ...] | list[str] = FAULT_KINDS,
        only: Callable[[_http.Request], bool] | None = None,
        script: Callable[[int, _http.Request], str | None] | None = None,
    ) -> None:
        unknown = set(kinds) - set(_KNOWN)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {_KNOWN}")
        if not 0 <= rate <= 1:
            raise ValueError("rate is a share of requests, between 0 and 1")
        weights = dict(kinds) if isinstance(kinds, Mapping) else dict.fromkeys(kinds, 1.0)
        self.inner = inner
        self.rate = rate
        self.only = only
        self.script = script
        self._kinds = list(weights)
        self._weights = [weights[k] for k in self._kinds]
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, str, tuple[str, ...]], tuple[str, _http.Response]] = {}
        self._answers: dict[str, _http.Response] = {}  # the first 2xx of each GET URL
        self.injected: Counter[str] = Counter()
        self.log: list[tuple[str, str, str]] = []
        """(method, path, kind) of every injected fault, in order."""
        self.requests = 0
        self.bad_rows = 0
        """Answers a ``bad_row`` fault found a record in and altered."""
        self.enabled = True

    # Deciding -------------------------------------------------------------------------
    def _pick(self, request: _http.Request) -> str | None:
        with self._lock:
            self.requests += 1
            if not self.enabled or (self.only is not None and not self.only(request)):
                return None
            if self.script is not None:
                chosen = self.script(self.requests, request)
                if chosen is None:
                    return None
                if chosen not in _KNOWN:
                    raise ValueError(f"script chose unknown fault kind {chosen!r}")
                kind = chosen
            elif self._rng.random() >= self.rate:
                return None
            else:
                kind = self._rng.choices(self._kinds, self._weights)[0]
            if kind == "stale_page" and self._replay(request) is None:
                return None
            if kind == "cached_answer" and self._cached(request) is None:
                return None
            self.injected[kind] += 1
            self.log.append((request.method, request.url.path, kind))
            return kind

    def _replay(self, request: _http.Request) -> _http.Response | None:
        if request.method != "GET":
            return None
        earlier = self._pages.get(_listing_key(request))
        if earlier is None or earlier[0] == str(request.url):
            return None
        return earlier[1]

    def _cached(self, request: _http.Request) -> _http.Response | None:
        if request.method != "GET" or "no-cache" in request.headers.get("cache-control", ""):
            return None
        return self._answers.get(str(request.url))

    def _remember(self, request: _http.Request, response: _http.Response) -> None:
        if request.method == "GET" and 200 <= response.status_code < 300:
            with self._lock:
                self._pages[_listing_key(request)] = (str(request.url), response)
                self._answers.setdefault(str(request.url), response)

    # Faults before the server -----------------------------------------------------------
    def _before(self, kind: str, request: _http.Request) -> _http.Response | None:
        if kind == "server_error":
            status = self._rng.choice((500, 502, 503))
            return _answer(status, b'{"error": "injected server error"}', request)
        if kind == "rate_limited":
            return _answer(429, b'{"error": "slow down"}', request, {"Retry-After": "1"})
        if kind == "rate_limited_bare":
            return _answer(429, b'{"error": "slow down"}', request)
        if kind == "refused":
            raise _http.ConnectError("injected: connection refused", request=request)
        if kind == "reset_before":
            raise _http.ReadError("injected: connection reset by peer", request=request)
        if kind == "stale_page":
            earlier = self._replay(request)
            if earlier is not None:
                return _copy(earlier, request, earlier.content)
        if kind == "cached_answer":
            stored = self._cached(request)
            if stored is not None:
                return _copy(stored, request, stored.content)
        return None

    # Faults after the server processed the request ----------------------------------------
    def _after(
        self, kind: str | None, request: _http.Request, response: _http.Response
    ) -> _http.Response:
        if kind is None:
            return response
        if kind == "reset_after":
            raise _http.ReadError("injected: connection reset after processing", request=request)
        if kind == "timeout_after":
            raise _http.ReadTimeout("injected: answer came too late", request=request)
        if kind == "lost_502":
            return _answer(502, b"<html><body>502 Bad Gateway</body></html>", request)
        content = response.content
        if kind == "truncated":
            cut = max(1, min(len(content) - 1, int(len(content) * self._rng.uniform(0.2, 0.9))))
            return _copy(response, request, content[:cut] if len(content) > 1 else b"{")
        if kind == "malformed":
            return _copy(response, request, b'{"results": [{"id": 1,, }')
        if kind == "html_200":
            page = b"<!DOCTYPE html><html><body>Please sign in</body></html>"
            return _copy(response, request, page, {"Content-Type": "text/html"})
        if kind == "wrong_shape":
            return _copy(response, request, self._rng.choice((b"[]", b'{"ok": true}', b"null")))
        if kind == "foreign_next":
            origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}".encode()
            link = response.headers.get("link")
            headers = {"Link": link.replace(origin.decode(), ELSEWHERE)} if link else None
            return _copy(response, request, content.replace(origin, ELSEWHERE.encode()), headers)
        if kind == "bad_row":
            altered = _with_a_bad_row(content)
            if altered != content:
                with self._lock:
                    self.bad_rows += 1
            return _copy(response, request, altered)
        return response

    # Transports -----------------------------------------------------------------------------
    def handle_request(self, request: _http.Request) -> _http.Response:
        kind = self._pick(request)
        if kind in _BEFORE:
            early = self._before(kind, request)
            if early is not None:
                return early
        response = self.inner.handle_request(request)
        response.read()
        self._remember(request, response)
        return self._after(kind if kind not in _BEFORE else None, request, response)

    async def handle_async_request(self, request: _http.Request) -> _http.Response:
        kind = self._pick(request)
        if kind in _BEFORE:
            early = self._before(kind, request)
            if early is not None:
                return early
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self._remember(request, response)
        return self._after(kind if kind not in _BEFORE else None, request, response)

    def close(self) -> None:
        if hasattr(self.inner, "close"):
            self.inner.close()

    async def aclose(self) -> None:
        if hasattr(self.inner, "aclose"):
            await self.inner.aclose()


_BEFORE = frozenset(
    {
        "server_error",
        "rate_limited",
        "rate_limited_bare",
        "refused",
        "reset_before",
        "stale_page",
        "cached_answer",
    }
)


def _with_a_bad_row(content: bytes) -> bytes:
    """``content`` with the middle record of its first list of records (a JSON array of
    objects, at most three levels down) made unreadable; as it was when it holds none."""
    try:
        body = json.loads(content)
    except ValueError:
        return content
    rows = _first_rows(body, 0)
    if rows is None:
        return content
    row = rows[len(rows) // 2]
    # Its values, not its ids: the row still looks like a record to a page check and to a
    # walk keying rows by id, so only its converter can tell (and must raise).
    for key, value in row.items():
        if isinstance(value, str | int | float) and not _is_id(key):
            row[key] = {"not": "a value"}
    return json.dumps(body).encode()


def _is_id(key: str) -> bool:
    lowered = key.lower()
    return lowered in ("id", "uuid", "ref", "key") or lowered.endswith(("_id", "id", "_no"))


def _first_rows(value: Any, depth: int) -> list[Any] | None:
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return value
    if isinstance(value, dict) and depth < 3:
        for item in value.values():
            found = _first_rows(item, depth + 1)
            if found is not None:
                return found
    return None


def _answer(
    status: int, content: bytes, request: _http.Request, headers: Mapping[str, str] | None = None
) -> _http.Response:
    return _http.Response(
        status,
        content=content,
        headers={"Content-Type": "application/json", **(headers or {})},
        request=request,
    )


def _copy(
    response: _http.Response,
    request: _http.Request,
    content: bytes,
    headers: Mapping[str, str] | None = None,
) -> _http.Response:
    kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _SKIPPED_HEADERS]
    merged = _http.Headers(kept)
    for name, value in (headers or {}).items():
        merged[name] = value
    return _http.Response(response.status_code, headers=merged, content=content, request=request)


__all__ = [
    "CACHE_FAULTS",
    "DATA_FAULTS",
    "ELSEWHERE",
    "FAULT_KINDS",
    "LOST_ANSWER_FAULTS",
    "READ_FAULTS",
    "FaultTransport",
]
