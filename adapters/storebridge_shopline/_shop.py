"""The store itself: its settlement currency and the currencies it accepts orders in."""

from __future__ import annotations

from storebridge.http import Response
from storebridge.kit import Flow
from storebridge_shopline import _converter as wire
from storebridge_shopline._api import Api
from storebridge_shopline._paging import holds_rows


def _settlement(response: Response) -> str:
    return wire.payload_of(response).obj("data").currency("currency")


def _names_settlement(response: Response) -> None:
    _settlement(response)


def shop_currency(adapter: Api) -> Flow[str]:
    """The store's settlement currency (``merchants/shop.json``), fetched once. An answer
    without it (a wrong-shaped 200) is asked again like any unreadable one: what would
    price every product of the connection is never a default."""
    if adapter.currency is None:
        response = yield adapter.get("merchants/shop.json", "shop.get", check=_names_settlement)
        adapter.currency = _settlement(response)
    return adapter.currency


def store_currencies(adapter: Api) -> Flow[frozenset[str] | None]:
    """The settlement currency plus every enabled one (``currency/currencies.json``).

    Orders may be placed in any of them; products are priced in the settlement currency.
    The answer must hold its ``currencies`` list: read as none, a wrong-shaped answer
    would have a migration refuse every order in another enabled currency.
    """
    settlement = yield from shop_currency(adapter)
    response = yield adapter.get("currency/currencies.json", "shop.currencies",
                                 check=holds_rows("currencies"))  # fmt: skip
    enabled = {
        row.currency("currency")
        for row in wire.payload_of(response).objects("currencies")
        if row.opt_bool("enabled") is not False
    }
    return frozenset({settlement, *enabled})


__all__ = ["shop_currency", "store_currencies"]
