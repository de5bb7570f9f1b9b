"""What the resource modules need of the adapter: requests to the versioned Admin API and
the wire converter. :class:`~storebridge_shopline.ShoplineAdapter` provides it; the
resource modules depend on this, not on the adapter, so they sit below it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import cattrs

from storebridge.http import Request, Response


class Api(Protocol):
    """The SHOPLINE Admin API of one store, as the resource modules use it."""

    currency: str | None
    """The store's settlement currency, once read (``merchants/shop.json``)."""

    @property
    def display_name(self) -> str:
        """The platform's name in messages."""

    @property
    def clock(self) -> Callable[[], float]:
        """Epoch seconds: where "now" is for planning a listing's windows."""

    def url(self, path: str) -> str:
        """The endpoint ``path`` under ``/admin/openapi/{version}``."""

    def get(
        self,
        path: str,
        operation: str,
        params: Mapping[str, Any] | None = None,
        *,
        check: Callable[[Response], None] | None = None,
    ) -> Request:
        """A read of ``path``; ``check`` refuses an answer that cannot be used."""

    def write(self, method: str, path: str, operation: str, body: Any) -> Request:
        """A write of ``body``, never re-sent blindly."""

    def converter(self, currency: str | None = None) -> cattrs.Converter:
        """The wire converter (``currency`` prices products)."""


__all__ = ["Api"]
