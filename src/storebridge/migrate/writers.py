"""The one place a migration writes to the target, and its dry-run twin that only records.

A dry run runs the very same phases and decisions as a real run; only the writer differs.
:class:`Writer` with ``dry_run=True`` still runs each store operation exactly as the real
run would -- the facade's checks, the adapter's own checks and any reads the operation makes
first (a store's currency, a SKU lookup) -- and stops at the first write request, returning
a stand-in record instead. So whatever the real run would refuse before sending (a price in
a currency the store does not sell in, an address the platform requires) the dry run refuses
too, with the same message.

Settling a write left ``pending`` by an interrupted run uses the adapter's own read-back
(the one that settles a lost answer, see :func:`storebridge.flow.reconciled_write`): the
operation runs with its first write answered "outcome unknown", so the adapter looks for
the record by its identity; only if it is not there is the write sent (or, in a dry run,
recorded).
"""

from __future__ import annotations

import inspect
import itertools
import threading
from collections.abc import Generator
from typing import Any

from storebridge import _http
from storebridge.errors import OutcomeUnknown, StorebridgeError, ValidationError
from storebridge.flow import Batch, Concurrency, Done, FlowStepper, request_meta
from storebridge.model import (
    Customer,
    CustomerDraft,
    Order,
    OrderDraft,
    OrderStatus,
    Product,
    ProductDraft,
    Variant,
)
from storebridge.store import Customers, Orders, Products, Store

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_STAND_IN_BASE = 987_654_321_000_000_000
"""Stand-in refs count up from here: digits, within a signed 64-bit id, far above the ids
stores hand out in sequence."""


def _takes_restock(adapter: Any) -> bool:
    """Whether the adapter's ``cancel_order`` takes ``restock`` (one written before it may
    leave the keyword out, as the adapter contract allows)."""
    try:
        parameters = inspect.signature(adapter.cancel_order).parameters
    except (TypeError, ValueError):
        return False
    return "restock" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


class WouldWrite(Exception):
    """Raised inside a dry run where the real run would send ``request``."""

    def __init__(self, request: _http.Request) -> None:
        super().__init__(f"{request.method} {request.url.path}")
        self.request = request


class Unsettled(Exception):
    """The adapter could not tell whether an earlier write reached the target."""


def _one(request: _http.Request) -> Generator[Any, Any, Any]:
    response = yield request
    return response


def _batch(batch: Batch) -> Generator[Any, Any, Any]:
    responses = yield batch
    return responses


def _is_read(request: _http.Request) -> bool:
    # By method, not by the idempotent flag: a PUT is idempotent and still a write.
    return request.method.upper() in _READS


class _Runner:
    """Runs a store operation's flow through ``store`` like the facade does, except writes.

    ``probe``: the first write is answered "outcome unknown" without being sent, so the
    adapter reads back to find an earlier copy. ``send``: later writes are sent (otherwise
    the first one that would be sent raises :class:`WouldWrite`).
    """

    def __init__(self, store: Store, *, probe: bool, send: bool) -> None:
        self.store = store
        self.probe = probe
        self.send = send
        self.sent = False
        self._probed = False

    def iterate(self, flow: Any) -> Any:  # pragma: no cover - listings are never recorded
        raise NotImplementedError("a migration writer runs single operations only")

    def run(self, flow: Generator[Any, Any, Any]) -> Any:
        stepper: FlowStepper[Any] = FlowStepper(flow)
        step = stepper.advance()
        try:
            while not isinstance(step, Done):
                if isinstance(step, Concurrency):
                    step = stepper.advance(self.store.concurrency)
                    continue
                requests = step.requests if isinstance(step, Batch) else (step,)
                if not all(isinstance(r, _http.Request) for r in requests):
                    raise WouldWrite(_http.Request("POST", "/"))  # pragma: no cover
                if all(_is_read(r) for r in requests):
                    step = stepper.advance(*self._forward(step))
                    continue
                request = requests[0]
                if self.probe and not self._probed:
                    self._probed = True
                    unknown = OutcomeUnknown(
                        "an earlier run may have written this already",
                        operation=request_meta(request).operation,
                    )
                    step = stepper.advance(error=unknown)
                    continue
                if not self.send:
                    raise WouldWrite(request)
                self.sent = True
                step = stepper.advance(*self._forward(step))
            return step.value
        finally:
            stepper.close()

    def _forward(self, step: Any) -> tuple[Any, BaseException | None]:
        flow = _batch(step) if isinstance(step, Batch) else _one(step)
        try:
            return self.store.run(flow), None
        except StorebridgeError as exc:
            return None, exc


class Writer:
    """Creates, updates and settles target records; ``dry_run=True`` records instead."""

    def __init__(self, target: Store, *, dry_run: bool) -> None:
        self.target = target
        self.dry_run = dry_run
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def _resource(self, resource: str, runner: _Runner) -> Any:
        adapter = self.target.adapter
        kinds = {"customers": Customers, "products": Products, "orders": Orders}
        return kinds[resource](adapter, runner)

    def create(self, resource: str, draft: Any) -> Any:
        """The created record (a stand-in with a made-up ref in a dry run)."""
        if not self.dry_run:
            return getattr(self.target, resource).create(draft)
        try:
            result = self._resource(resource, _Runner(self.target, probe=False, send=False))
            return result.create(draft)  # pragma: no cover - a create always writes
        except WouldWrite:
            return self._stand_in(resource, draft)

    def settle(self, resource: str, draft: Any) -> tuple[Any, bool]:
        """(record, found): the earlier run's copy if the adapter finds it, else a new one.

        Raises :class:`Unsettled` when the adapter cannot look for an earlier copy.
        """
        runner = _Runner(self.target, probe=True, send=not self.dry_run)
        try:
            record = self._resource(resource, runner).create(draft)
        except WouldWrite:
            return self._stand_in(resource, draft), False
        except OutcomeUnknown:
            if runner.sent:
                raise
            raise Unsettled from None
        return record, not runner.sent

    def update(self, resource: str, ref: str, update: Any) -> None:
        if not self.dry_run:
            getattr(self.target, resource).update(ref, update)
            return
        try:
            self._resource(resource, _Runner(self.target, probe=False, send=False)).update(
                ref, update
            )
        except WouldWrite:
            return

    def cancel_order(self, ref: str) -> Any:
        """Cancel the target's copy of an order cancelled on the source: no refund (the copy
        was recorded as paid outside the platform), no notice to the buyer, and no units put
        back in stock where the platform lets that be chosen (a copy takes no stock, so
        restocking would raise the target's stock above the source's). The order as
        cancelled; None in a dry run, which sends nothing."""
        if self.dry_run:
            return None
        orders = self.target.orders
        reason = "cancelled on the source store"
        if _takes_restock(self.target.adapter):
            try:
                return orders.cancel(ref, reason=reason, refund=False, notify=False, restock=False)
            except ValidationError as exc:
                if exc.field != "restock":
                    raise
        return orders.cancel(ref, reason=reason, refund=False, notify=False)

    def can_update(self, resource: str) -> bool:
        """Whether the target store updates ``resource`` (e.g. ``products.update``)."""
        resource_api = getattr(self.target, resource)
        return f"{resource}.update" in self.target.capabilities and hasattr(resource_api, "update")

    def _placeholder(self) -> str:
        with self._lock:
            return str(_STAND_IN_BASE + next(self._numbers))

    def _stand_in(self, resource: str, draft: Any) -> Any:
        # Digits only, so adapters that check refs (29 Next ids are digits) accept the
        # orders that point at these customers and variants, exactly as in the real run.
        platform = self.target.platform
        ref = self._placeholder()
        if isinstance(draft, CustomerDraft):
            return Customer(platform=platform, ref=ref, email=draft.email, tags=draft.tags)
        if isinstance(draft, ProductDraft):
            variants = tuple(
                Variant(
                    platform=platform,
                    ref=self._placeholder(),
                    sku=v.sku,
                    price=v.price,
                    product_ref=ref,
                )
                for v in draft.variants
            )
            return Product(
                platform=platform, ref=ref, title=draft.title, variants=variants, tags=draft.tags
            )
        if isinstance(draft, OrderDraft):
            return Order(
                platform=platform, ref=ref, number=draft.number or ref, status=OrderStatus.OPEN,
                currency=draft.currency, total=draft.total, tags=draft.tags,
            )  # fmt: skip
        raise TypeError(f"no stand-in for {type(draft).__name__} ({resource})")


__all__ = ["Unsettled", "WouldWrite", "Writer"]
