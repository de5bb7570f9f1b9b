"""Three ways to export a store's orders: storebridge, a naive loop, and dlt's RESTClient.

The naive loop is what a user writes with the HTTP library: ask for the largest page, follow
the platform's next link page by page, fetch what the list rows lack one request at a time
(each customer and product once). It therefore sends exactly the requests the listing needs,
which makes its count of answered requests the minimum the bound is computed from.

dlt is used the way its REST docs show: a ``RESTClient`` with the platform's paginator
(``JSONLinkPaginator`` for 29 Next, ``HeaderLinkPaginator`` for SHOPLINE, a small path-offset
paginator for 24Nettbutikk) and ``client.get`` for the extra lookups.

Each reader returns the number of orders it read; the caller checks it against the store.
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from benchmarks.harness.config import Case, Limit
from benchmarks.harness.host import Served

import storebridge
from storebridge import _http
from storebridge_shopline import DEFAULT_VERSION as SHOPLINE_VERSION

__all__ = ["dlt_export", "naive_export", "storebridge_export"]

PAGE = 100
"""Rows asked for per list page (the most 24Nettbutikk and SHOPLINE orders take)."""
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


# storebridge ---------------------------------------------------------------------------
def connect_settings(case: Case, served: Served, limit: Limit) -> dict[str, Any]:
    """The sandbox's connect settings with the scaled limit, and the case's variant."""
    settings = dict(served.settings)
    if case.platform == "24nettbutikk":
        # The adapter paces by its settings too; keep them equal to the limit given.
        settings.update(requests_per_second=limit.per_second, burst=limit.burst)
        if not case.joins:
            settings.update(join_customers=False, resolve_skus=False)
    if case.day_windows:
        settings.update(day_windows=True)
    return settings


def storebridge_export(case: Case, served: Served, limit: Limit) -> int:
    """``store.orders.list()`` with every default but the rate limit (the scaled one)."""
    options = storebridge.StoreOptions(
        rate_limit=storebridge.RateLimit(limit.per_second, limit.burst)
    )
    settings = connect_settings(case, served, limit)
    refs: set[str] = set()
    with storebridge.connect(case.platform, options=options, **settings) as store:
        listing = store.orders.list(detail=True) if case.detail else store.orders.list()
        for order in listing:
            refs.add(order.ref)
    return len(refs)


# The naive loop ----------------------------------------------------------------------
def auth_headers(platform: str, settings: Mapping[str, Any]) -> dict[str, str]:
    if platform == "24nettbutikk":
        raw = base64.b64encode(f"{settings['token']}:".encode()).decode()
        return {"Authorization": f"Basic {raw}"}
    return {"Authorization": f"Bearer {settings['access_token']}"}


def _answer(
    client: _http.Client, url: str, params: Mapping[str, str] | None = None
) -> _http.Response:
    """GET; a 429 waits its Retry-After (or a second) and asks again."""
    while True:
        response = client.get(url, params=params)
        if response.status_code != 429:
            return response.raise_for_status()
        time.sleep(float(response.headers.get("Retry-After") or 1))


def _get(client: _http.Client, url: str, params: Mapping[str, str] | None = None) -> Any:
    return _answer(client, url, params).json()


def _naive_pages(platform: str, client: _http.Client, base_url: str) -> Iterator[list[Any]]:
    if platform == "29next":
        url: str | None = f"{base_url}/orders/"
        while url:
            body = _get(client, url)
            yield body["results"]
            url = body["next"]
    elif platform == "shopline":
        url = f"{base_url}/admin/openapi/{SHOPLINE_VERSION}/orders.json?status=any&limit={PAGE}"
        while url:
            response = _answer(client, url)
            yield response.json()["orders"]
            found = _LINK_NEXT.search(response.headers.get("link", ""))
            url = found.group(1) if found else None
    else:
        url = f"{base_url}/api/v1/orders/{PAGE}/0"
        while url:
            body = _get(client, url)
            yield body["data"]
            paging = body.get("paging")
            url = paging.get("next") if isinstance(paging, dict) else None


def naive_export(case: Case, served: Served) -> int:
    """The loop a user writes by hand: one request at a time."""
    base_url = str(served.settings["base_url"]).rstrip("/")
    headers = auth_headers(case.platform, served.settings)
    count = 0
    customers: dict[str, Any] = {}
    products: dict[str, Any] = {}
    with _http.Client(headers=headers, timeout=60) as client:
        for rows in _naive_pages(case.platform, client, base_url):
            for row in rows:
                if case.detail:
                    _get(client, f"{base_url}/orders/{row['number']}/")
                if case.platform == "24nettbutikk" and case.joins:
                    customer = _customer_id(row)
                    if customer and customer not in customers:
                        customers[customer] = _get(
                            client, f"{base_url}/api/v1/customers/{customer}"
                        )
                    for product in _product_ids(row):
                        if product not in products:
                            products[product] = _get(
                                client, f"{base_url}/api/v1/products/{product}", {"flat": "1"}
                            )
                count += 1
    return count


def _customer_id(row: Mapping[str, Any]) -> str | None:
    value = str(row.get("customer_id") or "").strip()
    return value if value not in ("", "0") else None


def _product_ids(row: Mapping[str, Any]) -> list[str]:
    found = (str(line.get("product_id") or "").strip() for line in row.get("order_lines") or ())
    return [p for p in found if p not in ("", "0")]


# dlt -------------------------------------------------------------------------------------
def dlt_export(case: Case, served: Served) -> int:
    """dlt's RESTClient with the platform's paginator; lookups with ``client.get``."""
    # dlt reports anonymous usage from pipelines; the benchmark sends nothing off the machine.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    from dlt.sources.helpers.rest_client.auth import BearerTokenAuth, HttpBasicAuth
    from dlt.sources.helpers.rest_client.client import RESTClient
    from dlt.sources.helpers.rest_client.paginators import (
        HeaderLinkPaginator,
        JSONLinkPaginator,
    )

    settings = served.settings
    base_url = str(settings["base_url"]).rstrip("/")
    count = 0
    if case.platform == "29next":
        client = RESTClient(
            base_url=base_url,
            auth=BearerTokenAuth(str(settings["access_token"])),
            paginator=JSONLinkPaginator(next_url_path="next"),
            data_selector="results",
        )
        for page in client.paginate("/orders/"):
            for row in page:
                if case.detail:
                    client.get(f"/orders/{row['number']}/").raise_for_status()
                count += 1
        return count
    if case.platform == "shopline":
        client = RESTClient(
            base_url=f"{base_url}/admin/openapi/{SHOPLINE_VERSION}",
            auth=BearerTokenAuth(str(settings["access_token"])),
            paginator=HeaderLinkPaginator(),
            data_selector="orders",
        )
        pages = client.paginate("/orders.json", params={"status": "any", "limit": PAGE})
        return sum(len(page) for page in pages)
    client = RESTClient(
        base_url=f"{base_url}/api/v1",
        auth=HttpBasicAuth(str(settings["token"]), ""),
        paginator=_path_offset_paginator(),
        data_selector="data",
    )
    customers: set[str] = set()
    products: set[str] = set()
    for page in client.paginate(f"/orders/{PAGE}/0"):
        for row in page:
            if case.joins:
                customer = _customer_id(row)
                if customer and customer not in customers:
                    customers.add(customer)
                    client.get(f"/customers/{customer}").raise_for_status()
                for product in _product_ids(row):
                    if product not in products:
                        products.add(product)
                        client.get(f"/products/{product}", params={"flat": "1"}).raise_for_status()
            count += 1
    return count


def _path_offset_paginator() -> Any:
    """24Nettbutikk pages as ``/{resource}/{limit}/{offset}``: the offset moves by the rows
    received (the shop may send fewer than asked), until the shop gives no next page."""
    from dlt.sources.helpers.rest_client.paginators import BasePaginator

    class PathOffsetPaginator(BasePaginator):
        def __init__(self) -> None:
            super().__init__()
            self.offset = 0

        def update_state(self, response: Any, data: list[Any] | None = None) -> None:
            self.offset += len(data or [])
            paging = response.json().get("paging")
            self._has_next_page = bool(data and isinstance(paging, dict) and paging.get("next"))

        def update_request(self, request: Any) -> None:
            request.url = re.sub(r"/(\d+)/\d+$", rf"/\g<1>/{self.offset}", request.url)

    return PathOffsetPaginator()
