"""24Nettbutikk lists answer from sorted indexes exactly what sorting and filtering the whole
shop would, after any number of changes (touches, PATCHes, DST's repeated hour)."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from storebridge import _http
from storebridge.sandbox import FakeClock, SandboxSize
from storebridge_24nettbutikk import NettbutikkEmulator

TOKEN = "index-24nb-token-5c1e"
ORIGIN = "https://shop.24nettbutikk.no"
KEYS = {"orders": "order_no", "products": "id", "customers": "id"}
FALL_BACK = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # Oslo repeats 02:00-03:00 from here


def make(clock: FakeClock, **options: Any) -> NettbutikkEmulator:
    size = SandboxSize(seed=9, orders=60, customers=20, products=15, clock=clock)
    return NettbutikkEmulator(size, token=TOKEN, **options)


def client_for(emu: NettbutikkEmulator) -> Iterator[_http.Client]:
    raw = base64.b64encode(f"{TOKEN}:".encode()).decode()
    with _http.Client(
        transport=emu.transport(), base_url=ORIGIN, headers={"Authorization": f"Basic {raw}"}
    ) as c:
        yield c


def reference(
    emu: NettbutikkEmulator, resource: str, since: int | None, until: int | None, flat: bool
) -> list[str]:
    """The listing as a full filter-and-sort of the shop gives it (row identities)."""
    inclusive = emu.options.bounds == "inclusive"
    key = KEYS[resource]

    def inside(record: dict[str, Any]) -> bool:
        moment = emu.server_unix(record["modified"])
        if since is not None and (moment < since if inclusive else moment <= since):
            return False
        return not (until is not None and (moment > until if inclusive else moment >= until))

    records = [r for r in emu.table(resource) if inside(r)]
    if emu.options.sort == "key":
        records.sort(key=lambda r: int(r[key]))
    else:
        records.sort(
            key=lambda r: (emu.local(r["modified"]), int(r[key])),
            reverse=emu.options.sort == "newest",
        )
    if resource == "products" and flat:
        return [
            v["uid"] if r["variants"] else str(r["id"])
            for r in records
            for v in (r["variants"] or [None])
        ]
    return [str(r[key]) for r in records]


def listed(
    client: _http.Client, resource: str, since: int | None, until: int | None, flat: bool
) -> list[str]:
    """Every row, page by page, following the shop's own next links."""
    window = "".join(f"/{v}" for v in (since, until) if v is not None)
    if since is None and until is not None:
        window = f"/0/{until}"
    url: str | None = f"/api/v1/{resource}/7/0{window}"
    rows: list[str] = []
    while url:
        answer = client.get(url, params={"flat": "1" if flat else "0"}).json()
        for row in answer["data"]:
            if resource == "products" and flat:
                rows.append(str(row["unique_product_id"]))
            else:
                rows.append(str(row[KEYS[resource]]))
        paging = answer["paging"]
        url = paging.get("next") if isinstance(paging, dict) else None
    return rows


@pytest.mark.parametrize("sort", ["modified", "key", "newest"])
@pytest.mark.parametrize("bounds", ["inclusive", "exclusive"])
def test_lists_match_a_full_sort_after_changes(sort: str, bounds: str) -> None:
    clock = FakeClock(FALL_BACK)
    emu = make(clock, sort=sort, bounds=bounds)
    rng = random.Random(f"{sort}-{bounds}")
    for client in client_for(emu):
        for round_ in range(4):
            for _ in range(12):
                resource = rng.choice(list(KEYS))
                record = rng.choice(emu.table(resource))
                emu.touch(resource, record[KEYS[resource]])
                clock.advance(rng.choice((1, 59, 600, 1800)))  # crosses the repeated hour
            order = rng.choice(emu.orders)
            assert (
                client.patch(
                    f"/api/v1/orders/{order['order_no']}", json={"status": "3"}
                ).status_code
                == 200
            )
            readings = sorted({emu.server_unix(r["modified"]) for t in KEYS for r in emu.table(t)})
            windows = [(None, None), (rng.choice(readings), None), (None, rng.choice(readings))]
            low = rng.choice(readings)
            windows.append((low, rng.choice([r for r in readings if r >= low])))
            for since, until in windows:
                for resource in KEYS:
                    for flat in (False, True) if resource == "products" else (False,):
                        expected = reference(emu, resource, since, until, flat)
                        got = listed(client, resource, since, until, flat)
                        assert got == expected, (round_, resource, since, until, flat)


def test_head_and_list_report_the_newest_change_even_when_it_goes_back_in_time() -> None:
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    emu = make(clock)
    newest = max(emu.orders, key=lambda o: o["modified"])
    for client in client_for(emu):
        clock.set(datetime(2020, 1, 1, tzinfo=UTC))
        emu.touch("orders", newest["order_no"])  # the newest record moves to 2020
        stamp = client.head("/api/v1/orders").headers["last-modified"]
        expected = max(o["modified"] for o in emu.orders)
        assert stamp == _http_date(expected)
        assert client.get("/api/v1/orders/5/0").headers["last-modified"] == stamp


def _http_date(instant: float) -> str:
    from email.utils import format_datetime

    return format_datetime(datetime.fromtimestamp(int(instant), UTC), usegmt=True)


@pytest.mark.parametrize("zone", ["Europe/Oslo", "America/New_York", "Australia/Lord_Howe"])
def test_clock_readings_match_the_zone_database_around_transitions(zone: str) -> None:
    from zoneinfo import ZoneInfo

    emu = make(FakeClock(FALL_BACK), time_zone=zone)
    tz = ZoneInfo(zone)
    rng = random.Random(zone)
    starts = [datetime(2026, month, 1, tzinfo=UTC).timestamp() for month in range(1, 13)]
    for start in starts:
        for _ in range(400):
            instant = start + rng.uniform(0, 31 * 86_400)
            if rng.random() < 0.2:
                instant = float(int(instant)) + 0.9999999  # rounds up to the next second
            wall = datetime.fromtimestamp(instant, tz)
            local = wall.strftime("%Y-%m-%d %H:%M:%S")
            naive = datetime.strptime(local, "%Y-%m-%d %H:%M:%S")
            first_pass = int(naive.replace(tzinfo=tz, fold=0).timestamp())
            assert emu.state.reading(instant) == (first_pass, local), instant
