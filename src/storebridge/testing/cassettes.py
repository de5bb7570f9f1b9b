"""Recording and replaying HTTP traffic with vcrpy cassettes, through an httpx transport.

vcrpy patches the ``httpx`` package, and storebridge speaks the httpx API through httpx2,
so instead of patching we plug vcrpy's :class:`~vcr.cassette.Cassette` in as a transport:
same cassette format, same filters, same record modes, no monkeypatching.

Secrets never reach disk: auth headers and every installed adapter's sensitive headers are
dropped, credential query parameters and token fields in JSON bodies are replaced by
``***``, and any value passed in ``secrets`` is masked wherever it appears.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vcr import matchers
from vcr.cassette import Cassette
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from storebridge import _http
from storebridge.errors import StorebridgeError

# Short and non-alphanumeric, so no credential scanner mistakes the placeholder for a token.
FILTERED = "***"
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
"""Dropped from every cassette, with every installed adapter's ``Adapter.sensitive_headers``."""
SENSITIVE_PARAMS = frozenset({"access_token", "token", "sign", "code", "api_key", "client_secret"})
SENSITIVE_JSON_KEYS = frozenset(
    {"accessToken", "access_token", "token", "refresh_token", "appSecret", "app_secret",
     "secret_key", "client_secret", "password"}
)  # fmt: skip
MATCH_ON = (
    matchers.method,
    matchers.scheme,
    matchers.host,
    matchers.port,
    matchers.path,
    matchers.query,
    matchers.body,
)


def adapters_sensitive_headers() -> frozenset[str]:
    """Every installed or registered adapter's ``sensitive_headers``, lower-cased.

    Dropped by default, so a recording made the way the core's docs show (``secrets`` only)
    keeps SHOPLINE's ``sign`` / ``appkey`` and the like off disk too. An adapter that
    cannot be loaded is skipped: it sends nothing, so it has nothing to record.
    """
    from storebridge import registry  # here: the registry imports the whole facade

    names: set[str] = set()
    for platform in registry.platforms():
        try:
            adapter = registry.adapter_class(platform)
        except StorebridgeError:
            continue
        names.update(str(header).lower() for header in adapter.sensitive_headers)
    return frozenset(names)


class CassetteMiss(RuntimeError):
    """A request was not in the cassette and recording is off."""


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (FILTERED if k in SENSITIVE_JSON_KEYS and v else _scrub_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    return value


class CassetteTransport(_http.BaseTransport, _http.AsyncBaseTransport):
    """Replays ``path``; records missing interactions from ``inner`` when the mode allows.

    ``record_mode`` is vcrpy's: ``"none"`` (CI: replay only, a miss raises CassetteMiss),
    ``"once"``, ``"new_episodes"`` or ``"all"``. Call :meth:`save` after recording.
    Dropped headers: the generic ones (:data:`SENSITIVE_HEADERS`), every installed
    adapter's ``sensitive_headers`` (SHOPLINE's ``sign`` and ``appkey``...) and any given
    in ``sensitive_headers``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        record_mode: str = "none",
        inner: Any = None,
        secrets: Iterable[str] = (),
        sensitive_headers: Iterable[str] = (),
    ) -> None:
        self.path = Path(path)
        self.inner = inner
        self._headers = (
            SENSITIVE_HEADERS
            | adapters_sensitive_headers()
            | {h.lower() for h in sensitive_headers}
        )
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self.cassette = Cassette.load(
            path=str(self.path),
            record_mode=RecordMode(record_mode),
            match_on=MATCH_ON,
            before_record_request=self._filter_request,
            before_record_response=self._filter_response,
        )

    # Filters ---------------------------------------------------------------------------
    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, FILTERED)
        return text

    def _filter_request(self, request: VcrRequest) -> VcrRequest:
        for name in list(request.headers):
            if name.lower() in self._headers or name.lower() == "timestamp":
                del request.headers[name]
        url = _http.URL(request.uri)
        params: list[tuple[str, str | int | float | bool | None]] = [
            (k, FILTERED if k.lower() in SENSITIVE_PARAMS else self._mask(v))
            for k, v in url.params.multi_items()
        ]
        request.uri = (
            str(url.copy_with(query=None).copy_merge_params(params)) if params else request.uri
        )
        request.uri = self._mask(request.uri)
        request.body = self._filter_body(request.body)
        return request

    def _filter_body(self, body: Any) -> Any:
        if not body:
            return body
        if isinstance(body, bytes):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                # Not UTF-8 (e.g. a Latin-1 shop): mask secrets but keep the original
                # encoding, so the replayed bytes are exactly what the platform sent.
                return self._mask(body.decode("latin-1")).encode("latin-1")
        else:
            text = str(body)
        with contextlib.suppress(ValueError):
            text = json.dumps(_scrub_json(json.loads(text)), ensure_ascii=False, sort_keys=True)
        return self._mask(text).encode("utf-8")

    def _filter_response(self, response: dict[str, Any]) -> dict[str, Any]:
        response["headers"] = {
            k: v for k, v in response["headers"].items() if k.lower() not in self._headers
        }
        response["body"]["string"] = self._filter_body(response["body"]["string"])
        return response

    # Conversion ------------------------------------------------------------------------
    @staticmethod
    def _to_vcr(request: _http.Request) -> VcrRequest:
        headers = {k: v for k, v in request.headers.items()}
        return VcrRequest(request.method, str(request.url), request.read(), headers)

    @staticmethod
    def _to_dict(response: _http.Response) -> dict[str, Any]:
        headers: dict[str, list[str]] = {}
        for name, value in response.headers.multi_items():
            if name.lower() not in ("content-length", "content-encoding", "transfer-encoding"):
                headers.setdefault(name, []).append(value)
        return {
            "status": {"code": response.status_code, "message": response.reason_phrase},
            "headers": headers,
            "body": {"string": response.content},
        }

    @staticmethod
    def _from_dict(data: dict[str, Any], request: _http.Request) -> _http.Response:
        body = data["body"]["string"]
        content = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
        headers = [(k, v) for k, values in data["headers"].items() for v in values]
        return _http.Response(
            data["status"]["code"], headers=headers, content=content, request=request
        )

    def _replay(self, request: _http.Request) -> tuple[Any, _http.Response | None]:
        # Filtering mutates the vcr request, so normalise a copy for matching.
        vreq = self._to_vcr(request)
        if self.cassette.can_play_response_for(vreq):
            return vreq, self._from_dict(self.cassette.play_response(vreq), request)
        if self.cassette.write_protected or self.inner is None:
            raise CassetteMiss(
                f"{self.path.name} has no recorded answer for {request.method} "
                f"{self._mask(str(request.url))}; re-record it (record_mode='once')"
            )
        return self._to_vcr(request), None

    def handle_request(self, request: _http.Request) -> _http.Response:
        vreq, replayed = self._replay(request)
        if replayed is not None:
            return replayed
        response: _http.Response = self.inner.handle_request(request)
        response.read()
        self.cassette.append(vreq, self._to_dict(response))
        return response

    async def handle_async_request(self, request: _http.Request) -> _http.Response:
        vreq, replayed = self._replay(request)
        if replayed is not None:
            return replayed
        response: _http.Response = await self.inner.handle_async_request(request)
        await response.aread()
        self.cassette.append(vreq, self._to_dict(response))
        return response

    def save(self) -> None:
        """Write what was recorded (already filtered) to :attr:`path`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        recorded = {"requests": self.cassette.requests, "responses": self.cassette.responses}
        FilesystemPersister.save_cassette(str(self.path), recorded, yamlserializer)


CREDENTIAL_PATTERNS = (
    re.compile(r"Bearer [A-Za-z0-9._-]{8,}"),
    re.compile(r"access_token=[A-Za-z0-9]{6,}"),
    re.compile(r"\"accessToken\": *\"[^\"]{8,}\""),
    re.compile(r"Basic [A-Za-z0-9+/=]{12,}"),
)


def find_credentials(text: str) -> list[str]:
    """Credential-looking fragments in ``text`` (used by the test that scans cassettes/)."""
    return [m.group(0) for pattern in CREDENTIAL_PATTERNS for m in pattern.finditer(text)]


__all__ = [
    "CREDENTIAL_PATTERNS",
    "FILTERED",
    "MATCH_ON",
    "SENSITIVE_HEADERS",
    "SENSITIVE_JSON_KEYS",
    "SENSITIVE_PARAMS",
    "CassetteMiss",
    "CassetteTransport",
    "adapters_sensitive_headers",
    "find_credentials",
]
