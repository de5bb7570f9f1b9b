"""The store itself: ``merchants/shop.json`` and its enabled currencies."""

from __future__ import annotations

from datetime import timedelta

from storebridge.http import Response
from storebridge.sandbox import EmulatorRequest, Endpoint, json_response
from storebridge_shopline.emulator.seed import SEED_START
from storebridge_shopline.emulator.state import StoreState
from storebridge_shopline.emulator.wire import Handler, iso

__all__ = ["Shop"]

SHOP_ID = "1631700219512"


class Shop:
    """Store information and currencies (``read_store_information``)."""

    def __init__(self, state: StoreState) -> None:
        self.state = state

    @property
    def enabled_currencies(self) -> tuple[str, ...]:
        options = self.state.options
        return tuple(dict.fromkeys((options.currency, *options.enabled_currencies)))

    def endpoints(self) -> list[Endpoint[Handler]]:
        need = "read_store_information"
        return [
            Endpoint("GET", r"merchants/shop\.json", self.shop, need),
            Endpoint("GET", r"currency/currencies\.json", self.currencies, need),
        ]

    def shop(self, req: EmulatorRequest) -> Response:
        handle = self.state.options.handle
        opened = iso(SEED_START - timedelta(days=90))
        return json_response(
            200,
            {
                "data": {
                    "id": int(SHOP_ID),
                    "name": handle.title(),
                    "domain": f"{handle}.myshopline.com",
                    "currency": self.state.options.currency,
                    "iana_timezone": "Asia/Singapore",
                    "language": "en",
                    "biz_store_status": 2,
                    "created_at": opened,
                    "updated_at": opened,
                }
            },
        )

    def currencies(self, req: EmulatorRequest) -> Response:
        return json_response(
            200,
            {
                "currencies": [
                    {"currency": code, "enabled": True, "rate_update_at": ""}
                    for code in self.enabled_currencies
                ]
            },
        )
