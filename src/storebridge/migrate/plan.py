"""What to do with each source record: the one decision path of real and dry runs.

Before anything is read, :func:`check_route` refuses what cannot work at all (a store into
itself) and :func:`blockers` what the stores cannot do (a target that cannot create
records). Then, record by record, :class:`Planner` decides from the ledger and the target
index -- never from the order writes happen to finish in -- whether the record is already
there, reused (an existing target record with the same e-mail or SKUs), reconciled (found
by its identity tag), skipped (with the reason), or must be written (:class:`Work`, carried
out by :mod:`storebridge.migrate.phases` with the run's writer).

Orders whose products failed or were skipped are skipped too, with the product's reason:
an order is never created without the products it sold, nor before its customer (see
docs/migration.md).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from storebridge import _not_kept as not_kept_
from storebridge.errors import ConfigurationError, ValidationError
from storebridge.migrate import mapping
from storebridge.migrate.ledger import Entry, Ledger, Route
from storebridge.migrate.report import Decision
from storebridge.model import Customer, Order, Product
from storebridge.store import Store

IndexRow = tuple[str, str, str, str | None, bool]
"""(kind, key, target ref, sub ref, tagged): one row of the target index."""

WRITES = {
    "customers": "customers.create",
    "products": "products.create",
    "orders": "orders.create",
}


def check_route(source: Store, target: Store) -> Route:
    """The route from ``source`` to ``target``; a store into itself is refused."""
    route = Route(
        source.platform, source.adapter.store_id, target.platform, target.adapter.store_id
    )
    if (route.source_platform, route.source_store) == (route.target_platform, route.target_store):
        raise ConfigurationError(
            f"source and target are the same store ({route.source_platform} "
            f"{route.source_store}): a store cannot be migrated into itself; pick another "
            "target",
            setting="target",
        )
    return route


def blockers(source: Store, target: Store, resources: Sequence[str]) -> list[str]:
    """What keeps the migration from starting at all (checked before any request)."""
    found = []
    missing = [WRITES[r] for r in resources if WRITES[r] not in target.capabilities]
    if missing:
        found.append(
            f"{target.adapter.display_name} cannot be a migration target: it does "
            f"not support {', '.join(missing)}"
        )
    needed = set(resources) | ({"customers", "products"} if "orders" in resources else set())
    unreadable = [f"{r}.list" for r in sorted(needed) if f"{r}.list" not in source.capabilities]
    if unreadable:
        found.append(
            f"{source.adapter.display_name} cannot be read as a source: it does "
            f"not support {', '.join(unreadable)}"
        )
    return found


@attrs.frozen
class Work:
    """A record the planner decided to write; ``action`` is create, settle or update."""

    resource: str
    source_ref: str
    action: str
    draft: Any
    fingerprint: str
    expect: str | None = None
    target_ref: str | None = None
    """The record to update (``update`` only)."""
    remember: Callable[[Any], list[IndexRow]] | None = None
    """What the written record makes known (its e-mail, its SKUs), for the target index."""
    notes: tuple[str, ...] = ()
    """Refunds not carried, for the report once the record is on the target."""
    left_out: tuple[str, ...] = ()
    """Parts of the record the copy leaves out (a variant without a SKU...), for the
    report's ``not_carried`` once the record is on the target."""
    keys: tuple[str, ...] = ()
    """The e-mail (customers) or SKUs (products) the target may hold already: a create it
    refuses is looked up by them (:meth:`Planner.adopt`)."""


class Planner:
    """Decides per record; every decision that does not write is recorded here."""

    def __init__(
        self,
        ledger: Ledger,
        tag: Callable[[str, str], str],
        *,
        target_name: str,
        can_update: Callable[[str], bool],
        currencies: frozenset[str] | None,
        reads_customers: bool = True,
        can_cancel: bool = True,
        not_kept: Mapping[str, str] | None = None,
    ) -> None:
        self.ledger = ledger
        # Fields the target has no place for: left out of copies, and reported.
        self.left_out = functools.partial(not_kept_.left_out, not_kept or {}, platform=target_name)
        self.can_cancel = can_cancel  # the copy of a cancelled order is cancelled
        self.reads_customers = reads_customers  # this run reads them, before the orders
        self.tag = tag
        self.target_name = target_name
        self.can_update = can_update
        self.currencies = currencies
        self.changed_not_updated: list[str] = []
        self.seen: list[tuple[str, str, Entry, str]] = []  # recorded once reported

    def decide(self, resource: str, record: Any) -> Decision | Work:
        try:
            if resource == "customers":
                return self._customer(record)
            if resource == "products":
                return self._product(record)
            return self._order(record)
        except ValidationError as exc:
            # The record cannot be drafted for the target (an amount finer than its
            # currency allows, say): it fails alone, and the migration goes on.
            reason = f"cannot be written to {self.target_name}: {exc}"
            entry = self.ledger.get(resource, record.ref)
            # A done record stays done, and a pending one pending: its write may be on the
            # target, and only settling it (once the record can be drafted) says so.
            if entry is None or entry.state not in ("done", "pending"):
                self.ledger.mark_failed(resource, record.ref, reason)
            return Decision(resource, record.ref, "fail", reason)

    # The part every resource shares -------------------------------------------------------
    def _known(
        self, resource: str, record: Any, print_: str, work: Callable[[str], Work]
    ) -> Decision | Work | None:
        """The decision for a record the ledger or the target's tags already know."""
        entry = self.ledger.get(resource, record.ref)
        if entry is not None and entry.state == "done":
            changed = not mapping.same_fingerprint(entry.fingerprint, print_)
            if self._copy_to_cancel(resource, entry, work):
                # Cancelled on the source since it was copied (or copied by a release that
                # left cancelled orders open): cancel the copy now.
                return attrs.evolve(work("create"), action="cancel", target_ref=entry.target_ref)
            if changed and entry.how == "created" and entry.target_ref:
                # Nothing to send (no update carries what changed): listed, the print kept.
                uncarried = mapping.only_uncarried_changed(entry.fingerprint, print_)
                update = work("update") if self.can_update(resource) and not uncarried else None
                if update is not None and update.draft is not None:
                    return attrs.evolve(update, action="update", target_ref=entry.target_ref)
                if self.can_update(resource):
                    self.changed_not_updated.extend(update.left_out if update else ())
                    self.seen.append((resource, record.ref, entry, print_))
                else:
                    # Verification then compares the target with the source as it is now.
                    self.ledger.set_expect(resource, record.ref, work("create").expect)
                    self.changed_not_updated.append(
                        f"{resource} {record.ref} -> {entry.target_ref}: changed on the source "
                        f"since it was migrated; {self.target_name} {resource} are not "
                        "updated by migrations"
                    )
            elif entry.expect is None and entry.how == "created" and entry.target_ref:
                # Written by a version that kept no expectations: without one, verification
                # could only check that the record is there. It is what the source says now
                # (none when today's draft rules refuse the record: it stays as it was).
                try:
                    expect = work("create").expect
                except ValidationError:
                    expect = None
                if expect is not None:
                    self.ledger.set_expect(resource, record.ref, expect)
            return Decision(resource, record.ref, "already", target_ref=entry.target_ref)
        if entry is not None and entry.state == "pending":
            if entry.target_ref and entry.how == "created" and self.can_update(resource):
                # An update unknown or refused: the copy exists; sent again (same values).
                update = work("update")
                if update.draft is not None:
                    return attrs.evolve(update, action="update", target_ref=entry.target_ref)
                self.changed_not_updated.extend(update.left_out)  # nothing to send now
                self.ledger.mark_done(resource, record.ref, entry.target_ref, entry.how, print_,
                                      update.expect)  # fmt: skip
                return Decision(resource, record.ref, "already", target_ref=entry.target_ref)
            if resource == "orders" and entry.target_ref and entry.how == "created":
                made = work("create")
                if mapping.cancelled_on_source(made.expect):
                    # Copied, and its cancel did not go through: cancel it now.
                    return attrs.evolve(made, action="cancel", target_ref=entry.target_ref)
            return work("settle")
        tagged = self.ledger.lookup(resource, "tag", self.tag(resource, record.ref))
        if tagged:
            target_ref = tagged[0].target_ref
            made = work("create")
            if resource == "orders" and mapping.cancelled_on_source(made.expect):
                # Found by its tag: the run that made it may have stopped before cancelling.
                return attrs.evolve(made, action="cancel", target_ref=target_ref)
            self.ledger.mark_done(resource, record.ref, target_ref, "created", print_, made.expect)
            return Decision(resource, record.ref, "reconcile", target_ref=target_ref)
        return None

    def _copy_to_cancel(self, resource: str, entry: Any, work: Callable[[str], Work]) -> bool:
        """Whether a done order's copy is of an order cancelled on the source that the copy
        was not made to be: cancelled there since, or copied by a release that left
        cancelled orders open (its expectation does not say)."""
        if resource != "orders" or entry.how != "created" or not entry.target_ref:
            return False
        if not self.can_cancel:
            return False
        stored = json.loads(entry.expect) if entry.expect else {}
        if stored.get("cancelled") is True:
            return False
        try:
            return mapping.cancelled_on_source(work("create").expect)
        except ValidationError:
            return False

    def _skip(self, resource: str, ref: str, reason: str) -> Decision:
        self.ledger.mark_skipped(resource, ref, reason)
        return Decision(resource, ref, "skip", reason)

    def _reuse(
        self, resource: str, ref: str, target_ref: str, print_: str, why: str, email: str = ""
    ) -> Decision:
        expect = mapping.dumps({"email": email}) if email else None  # the record must keep it
        self.ledger.mark_done(resource, ref, target_ref, "reused", print_, expect)
        return Decision(resource, ref, "reuse", why, target_ref)

    def adopt(self, work: Work) -> Decision | None:
        """The decision for a record whose create the target refused, taken from a target
        index read again since: the target holds the record already (a copy with its
        identity tag, or a customer with its e-mail, a product with its SKUs, made there
        after the index was first read), or None (the refusal stands)."""
        resource, ref, print_ = work.resource, work.source_ref, work.fingerprint
        tagged = self.ledger.lookup(resource, "tag", self.tag(resource, ref))
        if tagged:
            target_ref = tagged[0].target_ref
            self.ledger.mark_done(resource, ref, target_ref, "created", print_, work.expect)
            return Decision(resource, ref, "reconcile", target_ref=target_ref)
        return self._on_target(resource, ref, work.keys, print_)

    def _on_target(
        self, resource: str, ref: str, keys: Sequence[str], print_: str
    ) -> Decision | None:
        """A record the target holds by ``keys`` (a customer's e-mail, a product's SKUs),
        not made by a migration: reused when one target record holds every key, skipped
        when only some are there or they are spread over several; None when none is."""
        kind = "email" if resource == "customers" else "sku"
        found = {
            key: rows[0]
            for key in keys
            if (rows := [r for r in self.ledger.lookup(resource, kind, key) if not r.tagged])
        }
        if not found:
            return None
        if len(found) < len(keys):
            return self._skip(
                resource, ref, "some of its SKUs already exist on the target, some do not"
            )
        split = _split_over(found)
        if split is not None:
            return self._skip(resource, ref, split)
        why = (
            f"the target already has a customer with e-mail {keys[0]}"
            if resource == "customers"
            else "the target already has its SKUs"
        )
        return self._reuse(resource, ref, next(iter(found.values())).target_ref, print_, why)

    # Customers -------------------------------------------------------------------------
    def _customer(self, c: Customer) -> Decision | Work:
        print_ = mapping.customer_fingerprint(c)
        email = c.email.lower() if c.email else None
        tag = self.tag("customers", c.ref)

        def work(action: str) -> Work:
            if action == "update":
                draft: Any = mapping.customer_update(c)
            else:
                draft = mapping.customer_draft(c, tag)
            draft, left_out = self.left_out(draft, f"customer {c.ref}")
            if action == "update" and not mapping.sets_anything(draft):
                draft = None  # all it would carry has no place on the target
            return Work(
                "customers", c.ref, action, draft, print_,
                mapping.dumps(mapping.customer_expectation(c)),
                remember=lambda made: [("email", email, made.ref, None, True)] if email else [],
                keys=(email,) if email else (), left_out=left_out,
            )  # fmt: skip

        was = self.ledger.get("customers", c.ref)  # before this run records anything
        known = self._known("customers", c, print_, work)
        if isinstance(known, Work) and known.action == "update" and email:
            self.ledger.reclaim("customers", "email", c.ref, email)  # an old one is not its
        kept = known is not None and known.action in ("update", "already")
        left = mapping.left_behind(was, c, print_) if kept and was else ""
        if left and was:
            self.changed_not_updated.append(f"customers {c.ref} -> {was.target_ref}: {left}")
        if known is not None:
            return known
        if not email:
            return self._skip("customers", c.ref, "no e-mail address (the target needs one)")
        rows = self.ledger.lookup("customers", "email", email)
        existing = [row for row in rows if not row.tagged]
        if existing:
            return self._reuse(
                "customers", c.ref, existing[0].target_ref, print_,
                f"the target already has a customer with e-mail {email}", email,
            )  # fmt: skip
        holder = self.ledger.claim("customers", "email", email, c.ref)
        if holder != c.ref:
            # Same e-mail as another source customer: one target customer stands for both.
            expect = mapping.dumps({"email": email})  # the holder's copy must keep it
            self.ledger.mark_alias("customers", c.ref, holder, print_, expect)
            return Decision("customers", c.ref, "reuse", f"same e-mail as source customer {holder}")
        made = self._made_for_another("customers", "email", (email,))
        if made is not None:
            # The same, found through the copy an earlier run made (its ledger was lost, so
            # nothing recorded who claimed the e-mail): the target would refuse a second.
            return self._reuse(
                "customers", c.ref, made[1], print_,
                f"same e-mail as customer {made[1]}, which this migration made for another "
                "source customer", email,
            )  # fmt: skip
        return work("create")

    def _made_for_another(
        self, resource: str, kind: str, keys: Sequence[str]
    ) -> tuple[str, str] | None:
        """(key, target ref) of a target record a migration made that holds one of ``keys``
        (an e-mail, a SKU). Asked for a record whose own identity tag is on no target
        record, so the one found is another source record's copy."""
        for key in keys:
            rows = [row for row in self.ledger.lookup(resource, kind, key) if row.tagged]
            if rows:
                return key, rows[0].target_ref
        return None

    def customer_ref(self, order: Order) -> str | None:
        """The target customer an order belongs to, if it is known."""
        found = self._customer_entry(order)
        if found is not None:
            entry = found[1]
            # Written, or an update in doubt (the customer itself is on the target).
            if entry.target_ref and (entry.state == "done" or entry.state == "pending"):
                return entry.target_ref
        if order.email:
            rows = self.ledger.lookup("customers", "email", order.email.lower())
            if rows:
                return rows[0].target_ref
        return None

    def _customer_entry(self, order: Order) -> tuple[str, Entry] | None:
        """The ledger entry standing for the order's customer, and its source ref: a "same
        e-mail" customer points at the one that was written (followed once)."""
        ref = order.customer.ref if order.customer is not None else None
        for _ in range(2):
            entry = self.ledger.get("customers", ref) if ref else None
            if ref is None or entry is None:
                return None
            if entry.state == "done" and not entry.target_ref and entry.detail:
                ref = entry.detail  # an alias
                continue
            return ref, entry
        return None

    # Products --------------------------------------------------------------------------
    def _product(self, p: Product) -> Decision | Work:
        print_ = mapping.fingerprint(p)
        skus = mapping.product_skus(p)

        def work(action: str) -> Work:
            if action == "update":
                draft: Any = product_update(p)
            else:
                draft = mapping.product_draft(p, self.tag("products", p.ref))
            draft, left_out = self.left_out(draft, f"product {p.ref}")
            return Work(
                "products", p.ref, action, draft, print_,
                mapping.dumps(mapping.product_expectation(p)),
                remember=self._remember_product, keys=tuple(skus),
                left_out=mapping.variants_left_out(p) + left_out,
            )  # fmt: skip

        known = self._known("products", p, print_, work)
        if known is not None:
            return known
        if not skus:
            return self._skip(
                "products", p.ref, "no variant has a SKU, so orders could not match it"
            )
        shared = [
            (sku, holder)
            for sku in skus
            if (holder := self.ledger.claim("products", "sku", sku, p.ref)) != p.ref
        ]
        if shared:
            sku, holder = shared[0]
            return self._skip(
                "products", p.ref,
                f"SKU {sku} is also on source product {holder} (SKUs must be unique on the "
                "target)",
            )  # fmt: skip
        made = self._made_for_another("products", "sku", skus)
        if made is not None:
            return self._skip(
                "products", p.ref,
                f"SKU {made[0]} is also on target product {made[1]}, which this migration "
                "made for another source product (SKUs must be unique on the target)",
            )  # fmt: skip
        existing = self._on_target("products", p.ref, skus, print_)
        return existing if existing is not None else work("create")

    @staticmethod
    def _remember_product(made: Product) -> list[IndexRow]:
        return [("sku", v.sku, made.ref, v.ref, True) for v in made.variants if v.sku]

    # Orders ----------------------------------------------------------------------------
    def _order(self, o: Order) -> Decision | Work:
        print_ = mapping.fingerprint(o)

        def work(action: str) -> Work:
            customer_ref = self.customer_ref(o)
            draft = mapping.order_draft(o, self.tag("orders", o.ref), customer_ref, variants)
            draft, dropped = self.left_out(draft, f"order {o.number or o.ref}")
            notes = tuple(
                f"refund {refund.ref} of {refund.amount} on order {o.number} (the target "
                "records historical orders as paid; issuing a refund there would move real "
                "money)"
                for refund in o.refunds
            )
            # Only a link the source has is checked: one made by e-mail alone is a bonus.
            linked = customer_ref if o.customer is not None else None
            expect = mapping.order_expectation(o, linked)
            left_out: tuple[str, ...] = ()
            if expect["cancelled"] and not self.can_cancel:
                del expect["cancelled"]  # not carried, so not compared
                left_out = (f"order {o.number or o.ref} is cancelled on the source; "
                            f"{self.target_name} cannot cancel orders through its API, so "
                            "its copy is open",)  # fmt: skip
            return Work(
                "orders", o.ref, action, draft, print_, mapping.dumps(expect), notes=notes,
                left_out=left_out + dropped + mapping.lines_left_out(o),
            )  # fmt: skip

        variants: dict[str, tuple[str | None, str | None]] = {}
        gap = self._order_gap(o, variants)
        known = self._known("orders", o, print_, work)
        if isinstance(known, Decision) and known.action == "already":
            self._expect_customer(o)
        if known is not None:
            return known
        if gap is not None:
            return self._skip("orders", o.ref, gap)
        return work("create")

    def _expect_customer(self, o: Order) -> None:
        """Add the customer link to what verification expects of an order written without
        it known (by a release that did not check it, or before its customer was on the
        target), so an order that lost its customer is found."""
        entry = self.ledger.get("orders", o.ref)
        if o.customer is None or entry is None or entry.how != "created" or not entry.expect:
            return
        expect = json.loads(entry.expect)
        if expect.get("customer") is not None:
            return
        customer_ref = self.customer_ref(o)
        if customer_ref is not None:
            expect["customer"] = customer_ref
            self.ledger.set_expect("orders", o.ref, mapping.dumps(expect))

    def _customer_gap(self, o: Order) -> str | None:
        """Why ``o`` must wait for its customer: one that failed or whose write has an
        unknown outcome may yet be written, and one this run does not read (customers left
        out of ``resources``) may yet be migrated; an order created now would lose the link
        for good. (A customer skipped for good, say for having no e-mail, holds nothing;
        nor does an update in doubt: the customer itself is on the target; nor one the
        target has already, found by the order's e-mail.)"""
        found = self._customer_entry(o)
        if found is None:
            ref = o.customer.ref if o.customer is not None else None
            if (
                ref is None
                or self.ledger.get("customers", ref) is not None
                or self.customer_ref(o) is not None
            ):
                return None
            if not self.reads_customers:
                return (
                    f"customer {ref} is not migrated yet: migrate customers first (include "
                    '"customers" in resources); an order created before its customer would '
                    "lose the link for good"
                )
            # Read customers, and this one was not among them: it signed up on the source
            # after the customers were read (a store trading during the run).
            return (
                f"customer {ref} was not among the customers this run read (new on the "
                "source since?): run again, reading every customer (without since=), to "
                "copy the customer, then this order (a customer deleted on the source keeps "
                "it here); an order created before its customer would lose the link for good"
            )
        ref, entry = found
        if entry.state == "failed" or (entry.state == "pending" and not entry.target_ref):
            how = "has an unknown outcome" if entry.state == "pending" else "failed"
            return f"customer {ref} {how}: {entry.detail}"
        return None

    def _order_gap(
        self, o: Order, variants: dict[str, tuple[str | None, str | None]]
    ) -> str | None:
        """Why ``o`` cannot be copied (fills ``variants`` with what the lines map to)."""
        waiting = self._customer_gap(o)
        if waiting is not None:
            return waiting
        missing: list[str] = []
        failed: list[str] = []
        for line in o.lines:
            if not line.sku:
                missing.append(f"(no SKU: {line.title})")
                continue
            rows = self.ledger.lookup("products", "sku", line.sku)
            if rows:
                variants[line.sku] = (rows[0].target_ref, rows[0].sub_ref)
                continue
            holder = self.ledger.claimed_by("products", "sku", line.sku)
            product = self.ledger.get("products", holder) if holder else None
            if product is not None and product.state in ("failed", "skipped", "pending"):
                how = {"pending": "has an unknown outcome"}.get(product.state, product.state)
                failed.append(f"product {holder} (SKU {line.sku}) {how}: {product.detail}")
            elif product is None or product.state != "done":
                missing.append(line.sku)
        if failed:
            # The first cause in full (the products' own entries list every one).
            causes = sorted(set(failed))
            more = f" (and {len(causes) - 1} more of its products)" if len(causes) > 1 else ""
            return causes[0] + more
        if missing:
            return f"SKU {', '.join(sorted(set(missing)))} missing on the target"
        if self.currencies is not None and o.currency not in self.currencies:
            return (
                f"currency {o.currency} not accepted by the target store "
                f"(accepts {', '.join(sorted(self.currencies))})"
            )
        return None


def product_update(p: Product) -> Any:
    """The change a catch-up sends for a product, on stores whose model has ProductUpdate."""
    import storebridge.model as model

    update_class = getattr(model, "ProductUpdate", None)
    if update_class is None:  # pragma: no cover - guarded by Writer.can_update
        raise ConfigurationError("this storebridge has no ProductUpdate", setting="products")
    fields = attrs.fields_dict(update_class)
    values: dict[str, Any] = {"title": p.title, "description": p.description}
    if "variants" in fields:
        values["variants"] = mapping.product_draft(p, "").variants
    return update_class(**{k: v for k, v in values.items() if k in fields})


def index_rows(resource: str, records: Iterable[Any], prefix: str) -> Iterable[IndexRow]:
    """Target index rows for ``records``: e-mails, SKUs and this route's identity tags."""
    for record in records:
        tags = [t for t in getattr(record, "tags", ()) if t.startswith(prefix)]
        ours = bool(tags)
        for tag in tags:
            yield ("tag", tag, record.ref, None, True)
        if resource == "customers" and record.email:
            yield ("email", record.email.lower(), record.ref, None, ours)
        if resource == "products":
            for variant in record.variants:
                if variant.sku:
                    yield ("sku", variant.sku, record.ref, variant.ref, ours)


def _split_over(found: Mapping[str, Any]) -> str | None:
    """Why a source product whose SKUs the target has cannot be reused: they sit on more
    than one target product (reusing one would leave the others' SKUs unmapped for good);
    None when one product holds them all."""
    holders = sorted({row.target_ref for row in found.values()})
    if len(holders) < 2:
        return None
    return (
        f"its SKUs are on {len(holders)} products of the target ({', '.join(holders[:3])}): "
        "merge them there, or leave the SKUs on one"
    )


__all__ = ["WRITES", "Planner", "Work", "blockers", "check_route", "index_rows"]
