"""Moving customers, products and orders from one store to another, exactly once.

The order of work is: read the source, plan (capabilities, mapping gaps; a dry run stops
here), then customers, products and orders, then verification.

Exactly once, even across kill -9: before writing a record the ledger marks it ``pending``
(committed); the record is written to the target carrying an *identity tag*; then the ledger
marks it ``done`` (committed). Each phase starts by listing the target and indexing the
identity tags it finds, so a record that reached the target but not the ledger (a crash
between the two commits, or a lost ledger file) is recognised and adopted instead of being
written again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs

from storebridge.errors import StorebridgeError
from storebridge.migrate.ledger import Ledger, Route
from storebridge.migrate.report import (
    RESOURCES,
    MigrationReport,
    Mismatch,
    ResourceResult,
    Skip,
    Verification,
)
from storebridge.model import (
    Customer,
    CustomerDraft,
    CustomerUpdate,
    Money,
    Order,
    OrderDraft,
    OrderLine,
    OrderLineDraft,
    Product,
    ProductDraft,
    VariantDraft,
)
from storebridge.serialization import to_dict
from storebridge.store import Store

log = logging.getLogger("storebridge.migrate")
T = TypeVar("T")

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phases are "read <resource>", "<resource>", "verify"."""

_WRITES = {
    "customers": "customers.create",
    "products": "products.create",
    "orders": "orders.create",
}
_LAST_RUN = "last-run"


def fingerprint(record: Any) -> str:
    """A hash of what a record says (not where it sits), to notice changes between runs."""
    data = to_dict(record)
    for key in ("ref", "updated_at", "platform", "partial"):
        data.pop(key, None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@attrs.define
class _Source:
    customers: list[Customer] = attrs.field(factory=list)
    products: list[Product] = attrs.field(factory=list)
    orders: list[Order] = attrs.field(factory=list)


class Migration:
    """One migration run; see :func:`migrate`."""

    def __init__(
        self,
        source: Store,
        target: Store,
        *,
        ledger: str | Path,
        dry_run: bool = False,
        since: datetime | str | None = None,
        resources: Sequence[str] = RESOURCES,
        concurrency: int = 4,
        verify: bool = True,
        progress: Progress | None = None,
    ) -> None:
        unknown = set(resources) - set(RESOURCES)
        if unknown:
            raise ValueError(f"unknown resources {sorted(unknown)}; choose from {RESOURCES}")
        self.source = source
        self.target = target
        self.dry_run = dry_run
        self.resources = [r for r in RESOURCES if r in resources]
        self.concurrency = max(1, concurrency)
        self.verify = verify
        self.progress = progress or (lambda phase, done, total: None)
        self.route = Route(
            source.platform, source.adapter.store_id, target.platform, target.adapter.store_id
        )
        # A dry run writes nothing at all, not even the ledger file: it plans against a copy.
        self.ledger = Ledger.snapshot(ledger, self.route) if dry_run else Ledger(ledger, self.route)
        self.since = self._resolve_since(since)
        self.report = MigrationReport(
            source=f"{source.platform} ({source.adapter.store_id})",
            target=f"{target.platform} ({target.adapter.store_id})",
            dry_run=dry_run,
        )
        self._lock = threading.Lock()
        self._customer_map: dict[str, str] = {}
        self._customer_by_email: dict[str, str] = {}
        self._sku_map: dict[str, tuple[str | None, str]] = {}
        """SKU -> (target product ref, target variant ref)."""

    def _resolve_since(self, since: datetime | str | None) -> dict[str, datetime | None]:
        if since == _LAST_RUN:
            return {r: self.ledger.watermark(r) for r in RESOURCES}
        if isinstance(since, str):
            raise ValueError(f"since must be a datetime, None or {_LAST_RUN!r}")
        if since is not None and since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        return dict.fromkeys(RESOURCES, since)

    def tag(self, resource: str, source_ref: str) -> str:
        kind = {"customers": "c", "products": "p", "orders": "o"}[resource]
        return self.target.adapter.identity_tag(
            self.route.source_platform, self.route.source_store, f"{kind}{source_ref}"
        )

    # -- running ------------------------------------------------------------------------
    def run(self) -> MigrationReport:
        try:
            self._plan_capabilities()
            if self.report.blockers:
                return self.report
            data = self._read_source()
            self._plan_gaps(data)
            if self.dry_run:
                self._dry_run_counts(data)
                return self.report
            if "customers" in self.resources:
                self._migrate_customers(data.customers)
            if "products" in self.resources:
                self._migrate_products(data.products)
            if "orders" in self.resources:
                self._index_customers_for_orders()
                self._migrate_orders(data.orders)
            self._advance_watermarks(data)
            if self.verify:
                self.report.verification = self._verify(data)
            return self.report
        finally:
            self.ledger.close()

    def _plan_capabilities(self) -> None:
        target_caps = self.target.capabilities
        missing = [_WRITES[r] for r in self.resources if _WRITES[r] not in target_caps]
        if missing:
            self.report.blockers.append(
                f"{self.target.adapter.display_name} cannot be a migration target: it does "
                f"not support {', '.join(missing)}"
            )
        source_caps = self.source.capabilities
        unreadable = [f"{r}.list" for r in self.resources if f"{r}.list" not in source_caps]
        if unreadable:
            self.report.blockers.append(
                f"{self.source.adapter.display_name} cannot be read as a source: it does "
                f"not support {', '.join(unreadable)}"
            )

    def _read_source(self) -> _Source:
        """Read the three listings side by side; the source's rate limit paces them."""
        since = self.since
        listings: dict[str, Callable[[], Iterable[Any]]] = {}
        if "customers" in self.resources or "orders" in self.resources:
            listings["customers"] = lambda: self.source.customers.list(
                updated_since=since["customers"]
            )
        if "products" in self.resources or "orders" in self.resources:
            listings["products"] = lambda: self.source.products.list(
                updated_since=since["products"]
            )
        if "orders" in self.resources:
            listings["orders"] = lambda: self.source.orders.list(
                updated_since=since["orders"], detail=True
            )
        with ThreadPoolExecutor(max_workers=len(listings) or 1) as pool:
            futures = {name: pool.submit(self._read, name, fn) for name, fn in listings.items()}
            read = {name: future.result() for name, future in futures.items()}
        return _Source(
            customers=read.get("customers", []),
            products=read.get("products", []),
            orders=read.get("orders", []),
        )

    def _read(self, resource: str, listing: Callable[[], Iterable[T]]) -> list[T]:
        items: list[T] = []
        for item in listing():
            items.append(item)
            if len(items) % 25 == 0:
                self.progress(f"read {resource}", len(items), 0)
        self.progress(f"read {resource}", len(items), len(items))
        return items

    def _plan_gaps(self, data: _Source) -> None:
        if "orders" not in self.resources:
            return
        currencies = self.target.run(self.target.adapter.store_currencies())
        known_skus = {v.sku for p in data.products for v in p.variants if v.sku}
        self._target_skus = self._index_target_skus()
        known_skus |= set(self._target_skus)
        self._order_gaps: dict[str, str] = {}
        for order in data.orders:
            missing = sorted({ln.sku or f"(no SKU: {ln.title})" for ln in order.lines} - known_skus)
            if missing:
                self._order_gaps[order.ref] = f"SKU {', '.join(missing)} missing on the target"
            elif currencies is not None and order.currency not in currencies:
                self._order_gaps[order.ref] = (
                    f"currency {order.currency} not accepted by the target store "
                    f"(accepts {', '.join(sorted(currencies))})"
                )
        for ref, reason in self._order_gaps.items():
            self.report.gaps.append(f"order {ref}: {reason}")

    def _dry_run_counts(self, data: _Source) -> None:
        def done(resource: str) -> set[str]:
            return {ref for ref, e in self.ledger.entries(resource).items() if e.state == "done"}

        if "customers" in self.resources:
            by_email = {c.email.lower() for c in self.target.customers.list() if c.email}
            res = self._result("customers", len(data.customers))
            migrated = done("customers")
            for c in data.customers:
                if c.ref in migrated:
                    res.already += 1
                elif not c.email:
                    res.skipped.append(Skip(c.ref, "no e-mail address (the target needs one)"))
                elif c.email.lower() in by_email:
                    res.reused += 1
                else:
                    res.created += 1
        if "products" in self.resources:
            res = self._result("products", len(data.products))
            migrated = done("products")
            for p in data.products:
                skus = [v.sku for v in p.variants if v.sku]
                if p.ref in migrated:
                    res.already += 1
                elif not skus:
                    res.skipped.append(Skip(p.ref, "no variant has a SKU"))
                elif all(s in self._target_skus_or_index() for s in skus):
                    res.reused += 1
                else:
                    res.created += 1
        if "orders" in self.resources:
            res = self._result("orders", len(data.orders))
            migrated = done("orders")
            for o in data.orders:
                if o.ref in migrated:
                    res.already += 1
                elif o.ref in self._order_gaps:
                    res.skipped.append(Skip(o.ref, self._order_gaps[o.ref]))
                else:
                    res.created += 1

    def _target_skus_or_index(self) -> dict[str, tuple[str | None, str]]:
        if not hasattr(self, "_target_skus"):
            self._target_skus = self._index_target_skus()
        return self._target_skus

    def _result(self, resource: str, total: int) -> ResourceResult:
        result = ResourceResult(resource=resource, total=total)
        self.report.results[resource] = result
        return result

    # -- the shared per-record protocol --------------------------------------------------
    def _each(
        self, resource: str, items: Sequence[T], work: Callable[[T, ResourceResult], None]
    ) -> ResourceResult:
        result = self._result(resource, len(items))
        done = 0
        self.progress(resource, 0, len(items))

        def one(item: T) -> None:
            nonlocal done
            ref = str(getattr(item, "ref", "?"))
            try:
                work(item, result)
            except StorebridgeError as exc:
                log.warning("%s %s failed: %s", resource, ref, exc)
                with self._lock:
                    result.failed.append(Skip(ref, str(exc)))
                self.ledger.mark_failed(resource, ref, str(exc))
            with self._lock:
                done += 1
                self.progress(resource, done, len(items))

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            list(pool.map(one, items))
        return result

    def _count(self, result: ResourceResult, field: str) -> None:
        with self._lock:
            setattr(result, field, getattr(result, field) + 1)

    def _skip(self, result: ResourceResult, ref: str, reason: str) -> None:
        with self._lock:
            result.skipped.append(Skip(ref, reason))

    def _tag_index(self, records: Iterable[Any]) -> dict[str, str]:
        prefix = self.target.adapter.identity_tag(
            self.route.source_platform, self.route.source_store, ""
        )
        return {t: r.ref for r in records for t in r.tags if t.startswith(prefix)}

    def _adopt_or_write(
        self,
        resource: str,
        source_ref: str,
        print_: str,
        tagged: dict[str, str],
        result: ResourceResult,
        write: Callable[[str], str],
        update: Callable[[str], None] | None = None,
    ) -> str | None:
        """The exactly-once step for one record; returns the target ref."""
        entry = self.ledger.get(resource, source_ref)
        if entry is not None and entry.state == "done" and entry.target_ref:
            changed = entry.fingerprint != print_ and entry.how == "created"
            if changed and update is not None:
                update(entry.target_ref)
                self.ledger.mark_done(resource, source_ref, entry.target_ref, "created", print_)
                self._count(result, "updated")
                return entry.target_ref
            if changed:
                with self._lock:
                    self.report.changed_not_updated.append(
                        f"{resource} {source_ref} -> {entry.target_ref}: changed on the source "
                        f"since it was migrated; {self.target.adapter.display_name} records "
                        f"are not updated for {resource}"
                    )
            self._count(result, "already")
            return entry.target_ref
        tag = self.tag(resource, source_ref)
        if tag in tagged:
            target_ref = tagged[tag]
            self.ledger.mark_done(resource, source_ref, target_ref, "created", print_)
            self._count(result, "reconciled")
            return target_ref
        self.ledger.mark_pending(resource, source_ref, print_)
        target_ref = write(tag)
        self.ledger.mark_done(resource, source_ref, target_ref, "created", print_)
        self._count(result, "created")
        return target_ref

    # -- customers -------------------------------------------------------------------------
    def _migrate_customers(self, customers: Sequence[Customer]) -> None:
        existing = list(self.target.customers.list())
        tagged = self._tag_index(existing)
        by_email = {c.email.lower(): c.ref for c in existing if c.email}
        tagged_refs = set(tagged.values())
        can_update = "customers.update" in self.target.capabilities

        def work(c: Customer, result: ResourceResult) -> None:
            print_ = fingerprint(c)
            entry = self.ledger.get("customers", c.ref)
            email = c.email.lower() if c.email else None
            if entry is None and email and email in by_email:
                target_ref = by_email[email]
                if target_ref not in tagged_refs:  # someone else's customer: reuse it
                    self.ledger.mark_done("customers", c.ref, target_ref, "reused", print_)
                    self._count(result, "reused")
                    self._remember_customer(c, target_ref)
                    return
            if not email:
                self._skip(result, c.ref, "no e-mail address (the target needs one)")
                return

            def write(tag: str) -> str:
                draft = CustomerDraft(
                    email=c.email or "", first_name=c.first_name, last_name=c.last_name,
                    phone=c.phone, addresses=c.addresses, tags=(*c.tags, tag), note=c.note,
                    accepts_marketing=c.accepts_marketing,
                )  # fmt: skip
                return self.target.customers.create(draft).ref

            def update(target_ref: str) -> None:
                self.target.customers.update(
                    target_ref,
                    CustomerUpdate(
                        first_name=c.first_name, last_name=c.last_name, phone=c.phone,
                        note=c.note,
                    ),
                )  # fmt: skip

            created_ref = self._adopt_or_write(
                "customers", c.ref, print_, tagged, result, write, update if can_update else None
            )
            if created_ref:
                self._remember_customer(c, created_ref)

        self._each("customers", customers, work)

    def _remember_customer(self, c: Customer, target_ref: str) -> None:
        with self._lock:
            self._customer_map[c.ref] = target_ref
            if c.email:
                self._customer_by_email[c.email.lower()] = target_ref

    def _index_customers_for_orders(self) -> None:
        for ref, entry in self.ledger.entries("customers").items():
            if entry.state == "done" and entry.target_ref:
                self._customer_map.setdefault(ref, entry.target_ref)
        if "customers" not in self.resources:
            for c in self.target.customers.list():
                if c.email:
                    self._customer_by_email.setdefault(c.email.lower(), c.ref)

    # -- products --------------------------------------------------------------------------
    def _index_target_skus(self) -> dict[str, tuple[str | None, str]]:
        return {
            v.sku: (p.ref, v.ref) for p in self.target.products.list() for v in p.variants if v.sku
        }

    def _migrate_products(self, products: Sequence[Product]) -> None:
        existing = list(self.target.products.list())
        tagged = self._tag_index(existing)
        tagged_refs = set(tagged.values())
        by_sku = {v.sku: (p.ref, v.ref) for p in existing for v in p.variants if v.sku}
        with self._lock:
            self._sku_map.update(by_sku)

        def work(p: Product, result: ResourceResult) -> None:
            skus = [v.sku for v in p.variants if v.sku]
            if not skus:
                self._skip(result, p.ref, "no variant has a SKU, so orders could not match it")
                return
            print_ = fingerprint(p)
            entry = self.ledger.get("products", p.ref)
            found = [by_sku[s] for s in skus if s in by_sku]
            if entry is None and found and found[0][0] not in tagged_refs:
                if len(found) == len(skus):
                    self.ledger.mark_done("products", p.ref, str(found[0][0]), "reused", print_)
                    self._count(result, "reused")
                    return
                self._skip(
                    result, p.ref, "some of its SKUs already exist on the target, some do not"
                )
                return

            def write(tag: str) -> str:
                variants = tuple(
                    VariantDraft(sku=v.sku, price=v.price, title=v.title, stock=v.stock)
                    for v in p.variants
                    if v.sku and v.price is not None
                )
                draft = ProductDraft(
                    title=p.title, variants=variants, description=p.description,
                    tags=(*p.tags, tag),
                )  # fmt: skip
                created = self.target.products.create(draft)
                with self._lock:
                    for v in created.variants:
                        if v.sku:
                            self._sku_map[v.sku] = (created.ref, v.ref)
                return created.ref

            self._adopt_or_write("products", p.ref, print_, tagged, result, write)

        self._each("products", products, work)
        # Variant refs of products adopted by tag or done earlier come from the target.
        with self._lock:
            self._sku_map.update(self._index_target_skus())

    # -- orders ----------------------------------------------------------------------------
    def _migrate_orders(self, orders: Sequence[Order]) -> None:
        # Some platforms' list rows omit tags (29 Next); detail rows always carry them.
        existing = list(self.target.orders.list(detail=True))
        tagged = self._tag_index(existing)
        if not self._sku_map:
            self._sku_map.update(self._index_target_skus())
        for order in orders:
            for refund in order.refunds:
                self.report.refunds_not_carried.append(
                    f"refund {refund.ref} of {refund.amount} on order {order.number} (the "
                    "target records historical orders as paid; issuing a refund there would "
                    "move real money)"
                )

        def work(o: Order, result: ResourceResult) -> None:
            gap = self._order_gaps.get(o.ref)
            if gap:
                self._skip(result, o.ref, gap)
                return

            def write(tag: str) -> str:
                return self.target.orders.create(self._order_draft(o, tag)).ref

            self._adopt_or_write("orders", o.ref, fingerprint(o), tagged, result, write)

        self._each("orders", orders, work)

    def _order_draft(self, o: Order, tag: str) -> OrderDraft:
        customer_ref = None
        if o.customer is not None:
            customer_ref = self._customer_map.get(o.customer.ref)
        if customer_ref is None and o.email:
            customer_ref = self._customer_by_email.get(o.email.lower())
        lines = []
        for line in o.lines:
            product_ref, variant_ref = self._sku_map.get(line.sku or "", (None, None))
            for quantity, unit_price in _charged_parts(line):
                lines.append(
                    OrderLineDraft(
                        title=line.title,
                        quantity=quantity,
                        unit_price=unit_price,
                        sku=line.sku,
                        variant_ref=variant_ref,
                        product_ref=product_ref,
                    )
                )
        return OrderDraft(
            currency=o.currency, lines=tuple(lines), total=original_total(o), number=o.number,
            email=o.email, customer_ref=customer_ref, subtotal=o.subtotal,
            shipping_total=o.shipping_total, tax_total=o.tax_total,
            # Line discounts are already folded into the lines' unit prices.
            taxes_included=o.taxes_included,
            shipping_address=o.shipping_address, billing_address=o.billing_address,
            financial_status=o.financial_status, created_at=o.created_at,
            tags=(*o.tags, tag), note=o.note,
        )  # fmt: skip

    def _advance_watermarks(self, data: _Source) -> None:
        for resource, items in (
            ("customers", data.customers), ("products", data.products), ("orders", data.orders),
        ):  # fmt: skip
            result = self.report.results.get(resource)
            # Skipped or failed records must be read again by the next catch-up run.
            if result is None or result.failed or result.skipped:
                continue
            stamps = [i.updated_at for i in items if i.updated_at is not None]
            if stamps:
                self.ledger.set_watermark(resource, max(stamps))

    # -- verification ----------------------------------------------------------------------
    def _verify(self, data: _Source) -> Verification:
        v = Verification()
        self.progress("verify", 0, 3)
        if "customers" in self.resources:
            self._verify_refs("customers", data.customers, self.target.customers.list(), v)
        self.progress("verify", 1, 3)
        if "products" in self.resources:
            self._verify_products(data.products, v)
        self.progress("verify", 2, 3)
        if "orders" in self.resources:
            self._verify_orders(data.orders, v)
        self.progress("verify", 3, 3)
        return v

    def _verify_refs(
        self, resource: str, items: Sequence[Any], target_items: Iterable[Any], v: Verification
    ) -> dict[str, Any]:
        entries = self.ledger.entries(resource)
        on_target = {t.ref: t for t in target_items}
        tag_counts: dict[str, int] = {}
        for t in on_target.values():
            for tag in t.tags:
                tag_counts[tag] = tag_counts.get(tag, 0) + 1
        checked = 0
        skipped = {s.source_ref for s in self.report.results[resource].skipped}
        for item in items:
            if item.ref in skipped:
                continue
            checked += 1
            entry = entries.get(item.ref)
            if entry is None or entry.state != "done" or not entry.target_ref:
                v.mismatches.append(Mismatch(resource, item.ref, None, "not migrated"))
                continue
            if entry.target_ref not in on_target:
                v.mismatches.append(
                    Mismatch(resource, item.ref, entry.target_ref, "missing on the target")
                )
            copies = tag_counts.get(self.tag(resource, item.ref), 0)
            if entry.how == "created" and copies != 1:
                v.mismatches.append(
                    Mismatch(resource, item.ref, entry.target_ref, f"{copies} copies on target")
                )
        v.checked[resource] = checked
        return on_target

    def _verify_products(self, products: Sequence[Product], v: Verification) -> None:
        on_target = self._verify_refs("products", products, self.target.products.list(), v)
        entries = self.ledger.entries("products")
        for p in products:
            entry = entries.get(p.ref)
            target = on_target.get(entry.target_ref) if entry and entry.target_ref else None
            if target is None:
                continue
            prices = {x.sku: x.price for x in target.variants if x.sku}
            for variant in p.variants:
                if variant.sku and variant.price is not None and entry and entry.how == "created":
                    got = prices.get(variant.sku)
                    if got is None or got.amount != variant.price.amount:
                        v.mismatches.append(
                            Mismatch(
                                "products",
                                p.ref,
                                target.ref,
                                f"variant {variant.sku} price {variant.price} != {got}",
                            )
                        )

    def _verify_orders(self, orders: Sequence[Order], v: Verification) -> None:
        on_target = self._verify_refs("orders", orders, self.target.orders.list(detail=True), v)
        entries = self.ledger.entries("orders")
        src_totals: dict[str, Decimal] = {}
        tgt_totals: dict[str, Decimal] = {}
        for o in orders:
            entry = entries.get(o.ref)
            target = on_target.get(entry.target_ref) if entry and entry.target_ref else None
            if target is None:
                continue
            expected = original_total(o)
            src_totals[o.currency] = src_totals.get(o.currency, Decimal(0)) + expected.amount
            tgt_totals[target.currency] = (
                tgt_totals.get(target.currency, Decimal(0)) + target.total.amount
            )
            problems = _compare_orders(o, expected, target)
            v.mismatches += [Mismatch("orders", o.ref, target.ref, p) for p in problems]
        for currency in sorted(set(src_totals) | set(tgt_totals)):
            src = src_totals.get(currency, Decimal(0))
            tgt = tgt_totals.get(currency, Decimal(0))
            v.order_totals[currency] = (str(src), str(tgt))
            if src != tgt:
                v.mismatches.append(
                    Mismatch("orders", "*", None, f"{currency} totals differ: {src} vs {tgt}")
                )


def _charged_parts(line: OrderLine) -> list[tuple[int, Money]]:
    """(quantity, unit price) parts that charge exactly what the source line charged.

    Line discounts and surcharges, which not every target can record per line, are folded
    into the unit price. When the line total does not divide into whole cents per unit, the
    line is split in two of the same SKU (e.g. 3 for 553.70 -> 2 x 184.57 + 1 x 184.56), so
    the per-SKU total stays exact.
    """
    if line.total is None or line.quantity < 1:
        return [(line.quantity, line.unit_price)]
    cents = int((line.total.amount * 100).to_integral_value())
    if Decimal(cents) != line.total.amount * 100:
        return [(line.quantity, line.unit_price)]
    base, remainder = divmod(cents, line.quantity)
    currency = line.total.currency
    parts = [(line.quantity - remainder, Money(Decimal(base) / 100, currency))]
    if remainder:
        parts.append((remainder, Money(Decimal(base + 1) / 100, currency)))
    return [(q, price) for q, price in parts if q > 0]


def _line_totals(order: Order) -> dict[str, Money]:
    """Per-SKU amounts charged: the line total where the platform gives one."""
    totals: dict[str, Money] = {}
    for line in order.lines:
        key = line.sku or line.title
        amount = line.total if line.total is not None else line.unit_price * line.quantity
        totals[key] = totals[key] + amount if key in totals else amount
    return totals


def original_total(order: Order) -> Money:
    """What the copied order must come to: its lines' amount, before refunds of kept lines.

    ``Order.total`` is what the order amounts to now, after refunds. Refunds are not carried
    to the target (they are listed in the report), so the historical copy is created, and
    checked, at the amount its lines were charged.
    """
    refunded = [r.amount for r in order.refunds if r.amount.currency == order.currency]
    if not refunded:
        return order.total
    before_refunds = Money.sum([order.total, *refunded], order.currency)
    # A refund that cancelled units already shrank the lines along with the total; one that
    # returned money for kept lines did not. The lines tell which: they must add up.
    charged = Money.sum(
        (ln.total if ln.total is not None else ln.unit_price * ln.quantity for ln in order.lines),
        order.currency,
    )
    extras = [m for m in (order.shipping_total,) if m is not None]
    if order.taxes_included is not True and order.tax_total is not None:
        extras.append(order.tax_total)
    gross = Money.sum([charged, *extras], order.currency)
    if order.discount_total is not None:
        gross = gross - order.discount_total
    return before_refunds if gross == before_refunds else order.total


def _compare_orders(source: Order, expected_total: Money, target: Order) -> list[str]:
    problems = []
    if source.currency != target.currency:
        problems.append(f"currency {source.currency} != {target.currency}")
    elif expected_total.amount != target.total.amount:
        problems.append(f"total {expected_total} != {target.total}")
    src_lines, tgt_lines = _line_totals(source), _line_totals(target)
    for key in sorted(set(src_lines) | set(tgt_lines)):
        a, b = src_lines.get(key), tgt_lines.get(key)
        if a is None or b is None or a.amount != b.amount:
            problems.append(f"line {key}: {a} != {b}")
    return problems


def migrate(
    source: Store,
    target: Store,
    *,
    ledger: str | Path = "migration.sqlite",
    dry_run: bool = False,
    since: datetime | str | None = None,
    resources: Sequence[str] = RESOURCES,
    concurrency: int = 4,
    verify: bool = True,
    progress: Progress | None = None,
) -> MigrationReport:
    """Copy customers, products and orders from ``source`` to ``target``.

    * ``ledger``: SQLite file mapping source records to target records. Re-running with the
      same ledger resumes: nothing is written twice, even after a crash (kill -9).
    * ``dry_run``: plan only; report what would be created, reused and skipped. Writes
      nothing, neither to the target nor to the ledger.
    * ``since``: only records updated since then; ``"last-run"`` uses the ledger's
      watermark from the previous successful run (incremental catch-up).
    * ``concurrency``: parallel writes; the target's rate limit is the real bound.

    Returns a :class:`MigrationReport`; ``report.ok`` is True only when nothing failed and
    verification found no mismatch.
    """
    return Migration(
        source, target, ledger=ledger, dry_run=dry_run, since=since, resources=resources,
        concurrency=concurrency, verify=verify, progress=progress,
    ).run()  # fmt: skip
