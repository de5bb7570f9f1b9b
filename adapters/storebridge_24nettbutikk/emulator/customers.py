"""Customers: wire rows (registration and modification in the shop's local time)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint
from storebridge_24nettbutikk.emulator.state import Record, ShopState
from storebridge_24nettbutikk.emulator.wire import Response, Wire

__all__ = ["Customers"]

Handler = Callable[[EmulatorRequest], Response]


class Customers:
    """``/customers``: read-only rows."""

    name = "customers"

    def __init__(self, state: ShopState, wire: Wire) -> None:
        self.state = state
        self.wire = wire

    def endpoints(self) -> list[Endpoint[Handler]]:
        return []

    def rows(self, customer: Record, flat: bool) -> list[dict[str, Any]]:
        row = self.wire.row(
            {k: v for k, v in customer.items() if k not in ("registration", "modified")}
        )
        row["registration_date"] = self.state.local(customer["registration"])
        row["modified_on"] = self.state.local(customer["modified"])
        return [row]
