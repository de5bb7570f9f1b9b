"""The emulated store's records, ids and indexes, shared by every endpoint module.

Each resource is a :class:`Table`: records by id plus :class:`~storebridge.sandbox.SortedIndex`
es by id, ``created_at`` and ``updated_at``. A list answers from the index its filters
narrow best (an ``ids`` list, a created or updated window, else the id order), applies the
remaining filters once per query and store revision, and pages by id with a bisect.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from storebridge.sandbox import Clock, HTTPProblem, Listings, SortedIndex, Span
from storebridge_shopline.emulator.options import ShoplineOptions
from storebridge_shopline.emulator.tokens import TokenRegistry
from storebridge_shopline.emulator.wire import Record, instant, iso, money_set, parse_when

__all__ = ["Ids", "StoreState", "Table"]

TIME_FIELDS = ("created_at", "updated_at")


class Ids:
    """Long numeric string ids with SHOPLINE's prefixes, issued in increasing order."""

    PREFIXES: ClassVar[dict[str, str]] = {
        "order": "21050",
        "product": "16057",
        "variant": "18057",
        "line": "30057",
        "inventory": "57850",
        "option": "16158",
        "transaction": "230",
        "refund_line": "40057",
    }

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._formats = {
            kind: f"{prefix}{{:0{26 - len(prefix)}d}}" for kind, prefix in self.PREFIXES.items()
        }
        self._formats["refund"] = "SL201AS{:019d}"

    def new(self, kind: str) -> str:
        number = self._next.get(kind, 1)
        self._next[kind] = number + 1
        if kind == "customer":
            return str(4201000000 + number)
        return self._formats[kind].format(number)


def _ident(record: Record) -> str:
    return str(record["id"])


class Table:
    """One resource's records by id, and sorted by id, ``created_at`` and ``updated_at``.

    ``rows`` is the dict tests and endpoints read (insertion order, which is id order).
    Endpoints that change a record's ``updated_at`` call :meth:`touched`. The time indexes
    are built by the first query that needs them (most stores are never read by a time
    window, and building them costs a parse of every record's times), then kept.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: dict[str, Record] = {}
        self.by_id: SortedIndex[Record] = SortedIndex(key=lambda r: int(r["id"]), ident=_ident)
        self._by_time: dict[str, SortedIndex[Record]] = {}

    def add(self, record: Record) -> None:
        self.rows[str(record["id"])] = record
        self.by_id.add(record)
        self.touched(record)

    def touched(self, record: Record) -> None:
        """Re-sort ``record`` after its times changed."""
        for field, index in self._by_time.items():
            if record.get(field):
                index.refresh(record)
            else:
                index.discard(record)

    def by_time(self, field: str) -> SortedIndex[Record]:
        """The records that have ``field``, sorted by it (then by id)."""
        index = self._by_time.get(field)
        if index is None:
            timed = (r for r in self.rows.values() if r.get(field))
            index = self._by_time[field] = SortedIndex(_time_key(field), _ident, timed)
        return index

    def select(
        self,
        filters: Mapping[str, str],
        keep: Callable[[Record], bool] | None,
        listings: Listings,
        revision: int,
        keep_key: Hashable = None,
    ) -> Span[Record]:
        """Records matching the common filters (``ids``, ``since_id``, ``created_at_*``,
        ``updated_at_*``) and ``keep``, sorted by id. ``keep_key`` tells ``keep`` apart from
        other ``keep`` s the same filters come with (what it was built from)."""
        bounds = _bounds(filters)
        since = filters.get("since_id")
        wanted = filters.get("ids")
        if not bounds and not wanted and keep is None:
            return self.by_id.span(int(since) if since else None, include_low=False)

        def build() -> Span[Record]:
            source = self._narrowest(bounds, wanted)
            checks = _time_checks(bounds)
            low = int(since) if since else None
            chosen = {i.strip() for i in wanted.split(",")} if wanted else None

            def passes(record: Record) -> bool:
                if low is not None and int(record["id"]) <= low:
                    return False
                if chosen is not None and record["id"] not in chosen:
                    return False
                if not all(check(record) for check in checks):
                    return False
                return keep is None or keep(record)

            return source.where(passes).reordered(lambda r: int(r["id"]))

        query = (self.name, tuple(sorted(filters.items())), keep is None, keep_key)
        return listings.get(query, revision, build)

    def count(
        self,
        filters: Mapping[str, str],
        keep: Callable[[Record], bool] | None,
        listings: Listings,
        revision: int,
        keep_key: Hashable = None,
    ) -> int:
        """How many records :meth:`select` would give; a bisect when only one time field
        bounds the query (a count per probe time must not cost a pass over the store)."""
        bounds = _bounds(filters)
        fields = {field for field, _ in bounds}
        if keep is None and not filters.get("since_id") and not filters.get("ids"):
            if not fields:
                return len(self.rows)
            if len(fields) == 1:
                (field,) = fields
                low, high = bounds.get((field, "min")), bounds.get((field, "max"))
                return len(self.by_time(field).span(low, high, by=_leading))
        return len(self.select(filters, keep, listings, revision, keep_key))

    def _narrowest(
        self, bounds: Mapping[tuple[str, str], float], wanted: str | None
    ) -> Span[Record]:
        if wanted:
            found = [self.rows[i.strip()] for i in wanted.split(",") if i.strip() in self.rows]
            return Span.of((int(r["id"]), r) for r in {id(r): r for r in found}.values())
        for field in TIME_FIELDS:
            low, high = bounds.get((field, "min")), bounds.get((field, "max"))
            if low is not None or high is not None:
                return self.by_time(field).span(low, high, by=_leading)
        return self.by_id.span()


def _bounds(filters: Mapping[str, str]) -> dict[tuple[str, str], float]:
    """``created_at`` / ``updated_at`` bounds of a query, as epoch seconds."""
    return {
        (field, side): parse_when(filters[f"{field}_{side}"], f"{field}_{side}").timestamp()
        for field in TIME_FIELDS
        for side in ("min", "max")
        if filters.get(f"{field}_{side}")
    }


def _leading(key: tuple[float, int]) -> float:
    return key[0]


def _time_key(field: str) -> Callable[[Record], tuple[float, int]]:
    return lambda record: (instant(record[field]), int(record["id"]))


def _time_checks(bounds: Mapping[tuple[str, str], float]) -> list[Callable[[Record], bool]]:
    checks: list[Callable[[Record], bool]] = []
    for (field, side), value in bounds.items():

        def check(record: Record, field: str = field, side: str = side, at: float = value) -> bool:
            if not record.get(field):
                return False
            moment = instant(record[field])
            return moment >= at if side == "min" else moment <= at

        checks.append(check)
    return checks


class StoreState:
    """Everything the store holds: records, ids, tokens, counters, and its clock."""

    def __init__(self, options: ShoplineOptions, clock: Clock) -> None:
        self.options = options
        self.clock = clock
        self.ids = Ids()
        self.tokens = TokenRegistry(options.handle, options.app_secret)
        self.orders = Table("orders")
        self.customers = Table("customers")
        self.products = Table("products")
        self.transactions: dict[str, list[Record]] = {}
        self.variants: dict[str, tuple[Record, Record]] = {}
        """Variant id -> (product, variant)."""
        self.listings = Listings()
        self.revision: Callable[[], int] = lambda: 0
        """The emulator's store revision (set by the emulator): kept list answers go stale
        when it moves."""

    def now(self) -> float:
        return self.clock.now()

    def stamp(self) -> str:
        return iso(datetime.fromtimestamp(self.now(), UTC))

    def money(self, value: Decimal, currency: str) -> dict[str, Any]:
        return money_set(value, currency, self.options.numeric_set_amounts)

    def add_product(self, product: Record) -> None:
        self.products.add(product)
        for variant in product["variants"]:
            self.variants[str(variant["id"])] = (product, variant)

    def add_products(self, products: Iterable[Record]) -> None:
        for product in products:
            self.add_product(product)

    def order(self, ref: str) -> Record:
        found = self.orders.rows.get(ref)
        if found is None:
            raise HTTPProblem(404, {"errors": "The order does not exist."})
        return found

    def select(
        self,
        table: Table,
        filters: Mapping[str, str],
        keep: Callable[[Record], bool] | None = None,
        keep_key: Hashable = None,
    ) -> Span[Record]:
        return table.select(filters, keep, self.listings, self.revision(), keep_key)

    def count(
        self,
        table: Table,
        filters: Mapping[str, str],
        keep: Callable[[Record], bool] | None = None,
        keep_key: Hashable = None,
    ) -> int:
        return table.count(filters, keep, self.listings, self.revision(), keep_key)
