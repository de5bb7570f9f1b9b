"""Locations (warehouses and 3PLs) fulfillment orders are assigned to."""

from __future__ import annotations

from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint
from storebridge_29next.emulator.state import StoreState
from storebridge_29next.emulator.wire import OLDEST_ID_FIRST, Handler, Response, page_answer

__all__ = ["Locations", "render_location"]


def render_location(record: dict[str, Any]) -> dict[str, Any]:
    return dict(record)


class Locations:
    """``/locations/``, by id."""

    def __init__(self, state: StoreState, page_size: int) -> None:
        self.state = state
        self.page_size = page_size

    def endpoints(self) -> list[Endpoint[Handler]]:
        return [Endpoint("GET", "/locations/", self.list_locations, "locations:read")]

    def list_locations(self, req: EmulatorRequest, version: str) -> Response:
        rows = [loc for _, loc in sorted(self.state.locations.items())]
        return page_answer(req, rows, self.page_size, render_location, OLDEST_ID_FIRST)
