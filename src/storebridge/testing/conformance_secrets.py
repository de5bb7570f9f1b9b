"""Conformance: every credential the adapter sends is declared secret and never shown.

A credential is found by what the adapter does, not by what it declares: a sandbox setting
whose value goes out in a request header or query parameter named like a credential
(``Authorization``, Basic auth's base64 decoded, ``X-Shop-Token``, ``access_token=``,
``api_key``...) is one. Other headers and parameters (an API version, a locale, a shop
id) and the host and path carry settings that are not secret.
It must be among ``adapter.secrets`` (which logs, errors and cassettes mask), and neither
``repr()`` of the adapter nor of its settings may show it.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from storebridge import _http
from storebridge.adapter import Adapter
from storebridge.sandbox.kit import Sandbox
from storebridge.store import Store

_CREDENTIAL_NAME = re.compile(
    r"(?i)auth|token|key|secret|sign|session|cookie|password|credential|bearer"
)
"""Header and query parameter names that carry credentials; other names (an API version,
a locale, a shop id) carry settings that are not secret."""
_SHORTEST = 8
"""Shorter setting values (a currency, a flag) are not taken for credentials."""


class _Seen(_http.BaseTransport):
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[str] = []

    def handle_request(self, request: _http.Request) -> _http.Response:
        for name, value in request.url.params.multi_items():
            if _CREDENTIAL_NAME.search(name):
                self.sent.append(value)
        for name, value in request.headers.items():
            if not _CREDENTIAL_NAME.search(name):
                continue  # an API version, a locale, a shop id: not credentials
            self.sent.append(value)
            if " " in value:
                self.sent.append(_decoded(value.split(" ", 1)[1]))
        response: _http.Response = self.inner.handle_request(request)
        return response


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def check_credentials(adapter_cls: type[Adapter], sandbox: Sandbox, url: str) -> list[str]:
    """The settings found to be credentials; AssertionError when one is not declared secret
    or shows in a repr. Sends one listing's first page to find them."""
    settings = sandbox.settings(url)
    adapter = adapter_cls.from_settings(**settings)
    seen = _Seen(sandbox.emulator.transport())
    with Store(adapter, transport=seen) as store:
        resource = next(
            (r for r in ("orders", "customers", "products") if f"{r}.list" in store.capabilities),
            None,
        )
        if resource is not None:
            next(iter(getattr(store, resource).list()), None)
    sent = "\n".join(seen.sent)
    found = []
    for name, value in settings.items():
        text = value.reveal() if hasattr(value, "reveal") else value
        if not isinstance(text, str) or len(text) < _SHORTEST or text not in sent:
            continue
        found.append(name)
        if text not in adapter.secrets:
            raise AssertionError(
                f"setting {name!r} is sent with requests (a credential) but is not among "
                "the adapter's secrets: return it from Adapter.secrets, so logs, errors and "
                "cassettes mask it"
            )
        for what, shown in (("settings", repr(adapter.settings)), ("adapter", repr(adapter))):
            if text in shown:
                raise AssertionError(
                    f"repr() of the {what} shows setting {name!r}, a credential: declare it "
                    "with secret_field() (a Secret), so it shows masked"
                )
    return found


__all__ = ["check_credentials"]
