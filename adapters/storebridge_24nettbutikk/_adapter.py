"""The 24Nettbutikk adapter: a read-mostly migration source with three PATCH writes.

Declarations live here (transport, auth, rate limit, secrets, errors, what is unsupported);
each operation is one line that hands over to its resource module (``_orders``,
``_customers``, ``_products``) or to ``_changes`` for ``HEAD``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from typing import Any, ClassVar

import cattrs

from storebridge.errors import APIError
from storebridge.http import Auth, Response
from storebridge.kit import (
    Adapter,
    Flow,
    ListFlow,
    ListQuery,
    OrderQuery,
    RateLimit,
    Sandbox,
    SandboxSize,
    platform_operation,
)
from storebridge.model import Customer, Order, OrderLine, Product
from storebridge_24nettbutikk import _changes, _customers, _orders, _products
from storebridge_24nettbutikk._auth import token_auth
from storebridge_24nettbutikk._bodies import PLATFORM
from storebridge_24nettbutikk._converter import WireReader, make_converter
from storebridge_24nettbutikk._errors import parse_error
from storebridge_24nettbutikk._local_time import readings
from storebridge_24nettbutikk._paging import API_PATH
from storebridge_24nettbutikk._settings import NettbutikkSettings


class NettbutikkAdapter(Adapter):
    """24Nettbutikk (Sincos Software) webshop API v1.

    Reads orders, customers and products; writes order status, order-line shipping fields
    and product stock. The API has no create endpoints, so the platform is a migration
    source: ``create`` operations raise UnsupportedOperation before any request.
    """

    name = PLATFORM
    display_name = "24Nettbutikk"
    Settings: ClassVar[type[Any]] = NettbutikkSettings
    default_rate_limit = RateLimit(per_second=2.0, burst=2)
    list_filters: ClassVar[Mapping[str, frozenset[str]]] = {}  # the API filters by time only
    settings: NettbutikkSettings

    # Transport -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def api_root(self) -> str:
        return self.base_url + API_PATH

    @cached_property
    def auth(self) -> Auth:
        return token_auth(self.settings.token, self.settings.auth_style)

    @property
    def rate_limit(self) -> RateLimit:
        # Undocumented upstream: a conservative default the user can raise per shop.
        return RateLimit(self.settings.requests_per_second, self.settings.burst)

    @property
    def secrets(self) -> Sequence[str]:
        return [self.settings.token.reveal()]

    @property
    def default_headers(self) -> Mapping[str, str]:
        return {"Accept": "application/json"}

    @cached_property
    def reader(self) -> WireReader:
        """Wire rows -> model objects in the shop's zone and currency."""
        return WireReader(self.settings.zone, self.settings.currency)

    @cached_property
    def converter(self) -> cattrs.Converter:
        """The wire converter (:func:`make_converter`) for this shop's zone and currency."""
        return make_converter(self.settings.zone, self.settings.currency)

    def parse_error(self, response: Response) -> APIError:
        return parse_error(self, response)

    def unsupported_reason(self, operation: str) -> str | None:
        if operation.endswith(".create"):
            return "its API has no create endpoints; use it as a migration source"
        return None

    # Unified operations ----------------------------------------------------------------
    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        return _orders.list_orders(self, query)

    def get_order(self, ref: str) -> Flow[Order]:
        return _orders.get_order(self, ref)

    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        return _customers.list_customers(self, query)

    def get_customer(self, ref: str) -> Flow[Customer]:
        return _customers.get_customer(self, ref)

    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        return _products.list_products(self, query)

    def get_product(self, ref: str) -> Flow[Product]:
        return _products.get_product(self, ref)

    def change_time(self, record: Any) -> datetime | None:
        # ``modified_on`` in the hour a DST change repeats names two instants; the model
        # keeps the earlier, and the feed needs the later (see Adapter.change_time).
        raw = getattr(record, "raw", None)
        text = raw.get("modified_on") if isinstance(raw, dict) else None
        if isinstance(text, str):
            try:
                return readings(text, self.settings.zone)[1]
            except (ValueError, OverflowError):
                pass  # unreadable here: the model's reading stands
        return super().change_time(record)

    # Platform operations (``store.extra.<name>``) ----------------------------------------
    @platform_operation()
    def last_modified(self, resource: str) -> Flow[datetime | None]:
        """When the shop last changed ``resource`` (``HEAD`` on its root), or None if unknown."""
        return _changes.last_modified(self, resource)

    @platform_operation()
    def changed_since(self, resource: str, since: datetime) -> Flow[bool]:
        """False only when ``HEAD`` proves nothing in ``resource`` changed after ``since``.

        One request. True when the shop gives no usable ``Last-Modified``.
        """
        return _changes.changed_since(self, resource, since)

    @platform_operation()
    def update_order_status(self, order_ref: str, status: str) -> Flow[Order]:
        """Set an order's status code (``PATCH /orders/{no}``); returns the order as re-read."""
        return _orders.update_order_status(self, order_ref, status)

    @platform_operation()
    def update_order_line(
        self,
        order_ref: str,
        line_ref: str,
        *,
        sent: bool | None = None,
        sent_date: date | None = None,
        extra_field: str | None = None,
    ) -> Flow[OrderLine]:
        """Set a line's ``sent``, ``sent_date`` and/or ``extra_field``; returns the re-read line."""
        return _orders.update_order_line(
            self, order_ref, line_ref, sent=sent, sent_date=sent_date, extra_field=extra_field
        )

    @platform_operation()
    def update_stock(
        self, product_ref: str, stock: int, *, variant_ref: str | None = None
    ) -> Flow[Product]:
        """Set the stock (0 to 2**31 - 1) of a product, or of one variant
        (``PATCH /products/{id}``); returns the product as re-read."""
        return _products.update_stock(self, product_ref, stock, variant_ref=variant_ref)

    # Sandbox ---------------------------------------------------------------------------
    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        """A seeded emulator; ``options`` are :class:`EmulatorOptions` fields.

        The server-side rate limit is on by default (``rate_limit=20.0`` requests per
        second); the returned settings make the adapter stay below it.
        """
        from storebridge_24nettbutikk.emulator import NettbutikkEmulator

        options.setdefault("rate_limit", 20.0)
        emulator = NettbutikkEmulator(size, **options)
        limit = emulator.options.rate_limit

        def settings(base_url: str) -> dict[str, Any]:
            given: dict[str, Any] = {"base_url": base_url, "token": emulator.token}
            if limit is not None:
                given["requests_per_second"] = limit * 0.8
                given["burst"] = max(1, int(emulator.options.rate_burst * 0.8))
            if emulator.options.time_zone != "Europe/Oslo":
                given["time_zone"] = emulator.options.time_zone
            if emulator.options.currency != "NOK":
                given["currency"] = emulator.options.currency
            return given

        return Sandbox(platform=PLATFORM, emulator=emulator, settings=settings)


__all__ = ["NettbutikkAdapter"]
