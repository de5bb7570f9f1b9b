"""The conformance kit: checks any adapter can run against its own sandbox.

    from storebridge.testing.conformance import check_adapter, check_all
    check_adapter(MyAdapter)    # the model conventions; raises AssertionError naming the fault
    check_all(MyAdapter)        # every check below

Each check builds ``MyAdapter.sandbox(...)`` in-process (no sockets), goes through the public
facade, raises AssertionError saying what is wrong, and returns what it counted:

* :func:`check_adapter`: every setting sent with requests is among the adapter's secrets
  and shows in no repr (see :mod:`storebridge.testing.conformance_secrets`), refs are
  non-empty strings, money is Decimal + ISO currency, datetimes are aware, every object
  carries its platform and raw payload, listings end without repeats, ``get`` agrees with
  ``list``, sync and async listings agree, and every unsupported operation is refused.
* :func:`check_unsupported`: every operation missing from ``capabilities`` raises
  UnsupportedOperation naming the platform, the operation and ``unsupported_reason``,
  before any request is sent.
* :func:`check_error_parsing`: ``parse_error`` turns any error answer -- the platform's own,
  an HTML page from a proxy, an empty or truncated body, JSON of another shape, invalid
  UTF-8 -- into the :class:`~storebridge.errors.APIError` subclass of its status, without
  raising and without showing a secret.
* :func:`check_listings_under_faults`: every listing read through the fault layer
  (:class:`~storebridge.testing.FaultTransport`: 5xx, 429, resets, timeouts, truncated,
  malformed and stale pages...) on fake time yields exactly the sandbox's records or raises
  a storebridge error; never a record lost or doubled, never a bare exception.
* :func:`check_listings_whole`: every listing returns exactly the records its sandbox was
  seeded with (it must seed the sizes asked for), without repeats, at several page sizes,
  and a page with a row that is not a record (the ``bad_row`` fault) makes it raise, never
  come back shorter (see :mod:`storebridge.testing.conformance_whole`).
* :func:`check_filters`: ``updated_*``/``created_*`` windows and the orders' status filter
  keep exactly the records they name, bounds included, or are refused before any request
  (see :mod:`storebridge.testing.conformance_filters`).
* :func:`check_cancel`: ``orders.cancel`` cancels the order asked for, and no other.
* :func:`check_round_trip`: a customer, a product and an order the check creates read
  back, by ``get`` and in the listing, with the values it wrote (names, SKUs, prices,
  lines, currency), and no listed record is updated before it was created (see
  :mod:`storebridge.testing.conformance_round_trip`).
* :func:`check_lost_answer_writes`: a write whose answer is lost (reset after processing,
  late, unreadable, a gateway's 502) is settled by reading the platform back: the call
  returns the record, and the platform accepted the write exactly once;
  :func:`check_unanswered_writes`: one the platform never saw is never made up.

Checks that retry run on :class:`~storebridge.testing.FakeTime`, the sandbox on a
:class:`~storebridge.sandbox.FakeClock`: ``build_sandbox`` must pass ``size.clock`` on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from storebridge import _http
from storebridge.adapter import OPERATIONS, Adapter
from storebridge.errors import (
    APIError,
    OutcomeUnknown,
    RateLimited,
    StorebridgeError,
    UnsupportedOperation,
    error_class_for_status,
)
from storebridge.flow import request_meta
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    Money,
    Order,
    OrderDraft,
    OrderLineDraft,
    Product,
    ProductDraft,
    Refund,
    RefundLine,
    RefundQuote,
    VariantDraft,
)
from storebridge.sandbox.kit import Sandbox
from storebridge.store import AsyncStore, Store
from storebridge.testing.conformance_cancel import check_cancel
from storebridge.testing.conformance_filters import check_filters
from storebridge.testing.conformance_round_trip import check_round_trip
from storebridge.testing.conformance_secrets import check_credentials
from storebridge.testing.conformance_support import SANDBOX_URL, sandbox_store
from storebridge.testing.conformance_whole import check_listings_whole
from storebridge.testing.conformance_writes import PrepareWrite, create_customer, refund_one_unit
from storebridge.testing.faults import FAULT_KINDS, LOST_ANSWER_FAULTS, FaultTransport

_GETTERS = {"orders": "orders.get", "customers": "customers.get", "products": "products.get"}
_LISTINGS = ("orders", "customers", "products")
_MODELS: Mapping[str, type] = {"orders": Order, "customers": Customer, "products": Product}
"""The model class each resource's listing and ``get`` return."""
_WRITE_RESULTS: Mapping[str, type] = {
    "orders.create": Order,
    "orders.cancel": Order,
    "orders.update_shipping_address": Order,
    "customers.create": Customer,
    "customers.update": Customer,
    "products.create": Product,
    "refunds.create": Refund,
}
"""The model class each write returns."""


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise AssertionError(f"{where} is a float; money and amounts must be Decimal")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise AssertionError(f"{where} is a naive datetime")
    if isinstance(value, Money):
        _require(isinstance(value.amount, Decimal), where)
    if attrs.has(type(value)):
        _check_object(value, where)
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]")


def _check_object(obj: Any, where: str) -> None:
    for field in attrs.fields(type(obj)):
        if field.name == "raw":
            continue
        _check_value(getattr(obj, field.name), f"{where}.{field.name}")


def _require(condition: object, message: str) -> None:
    # Explicit raises, not asserts: the kit must work under python -O too.
    if not condition:
        raise AssertionError(message)


def _require_model(
    value: Any, expected: type, operation: str, *, verb: str = "returned", where: str = ""
) -> None:
    # Checked before any attribute is read: an adapter that hands back the platform's
    # row (a dict) would otherwise fail with an AttributeError that names neither the
    # operation nor what it should have returned.
    if not isinstance(value, expected):
        at = f" ({where})" if where else ""
        raise AssertionError(
            f"{operation} {verb} a {type(value).__name__}{at}, not a "
            f"storebridge.model.{expected.__name__}: convert what the platform sends "
            "(read_payload with a converter) before returning or emitting it"
        )


def check_record(record: Any, platform: str, where: str) -> None:
    """One object read from a platform follows the model conventions."""
    if not attrs.has(type(record)) or not hasattr(record, "platform"):
        raise AssertionError(
            f"{where} is a {type(record).__name__}, not a storebridge model object"
        )
    _require(record.platform == platform, f"{where}.platform is {record.platform!r}")
    _require(isinstance(record.ref, str) and record.ref, f"{where}.ref must be a non-empty str")
    _require(record.raw, f"{where}.raw must keep the platform payload")
    _check_object(record, where)


def _connected(adapter_cls: type[Adapter], sandbox: Sandbox, **store: Any) -> tuple[Adapter, Store]:
    adapter = adapter_cls.from_settings(**sandbox.settings(SANDBOX_URL))
    store.setdefault("transport", sandbox.emulator.transport())
    return adapter, Store(adapter, **store)


def _capabilities(adapter_cls: type[Adapter]) -> frozenset[str]:
    """What the adapter can do when connected to its sandbox."""
    settings = adapter_cls.sandbox(orders=0).settings(SANDBOX_URL)
    return adapter_cls.from_settings(**settings).capabilities


def check_adapter(adapter_cls: type[Adapter], *, orders: int = 6) -> dict[str, int]:
    """Run the basic checks; returns how many records of each kind were checked."""
    kit = adapter_cls.sandbox(seed=3, orders=orders)
    adapter, connection = _connected(adapter_cls, kit)
    check_credentials(adapter_cls, kit, SANDBOX_URL)
    counts: dict[str, int] = {}
    with connection as store:
        for resource, op in _GETTERS.items():
            if f"{resource}.list" not in store.capabilities:
                continue
            model = _MODELS[resource]
            records = list(getattr(store, resource).list())
            _require(records, f"{adapter_cls.name} sandbox has no {resource}")
            for i, record in enumerate(records):
                _require_model(
                    record, model, f"{resource}.list", verb="emitted", where=f"{resource}[{i}]"
                )
            refs = [r.ref for r in records]
            _require(len(refs) == len(set(refs)), f"{resource} listing repeats records")
            for i, record in enumerate(records):
                check_record(record, adapter_cls.name, f"{resource}[{i}]")
            if op in store.capabilities:
                one = getattr(store, resource).get(records[0].ref)
                _require_model(one, model, op)
                check_record(one, adapter_cls.name, op)
                _require(one.ref == records[0].ref, f"{op} returned another record")
            counts[resource] = len(records)
        _refuse_unsupported(store, kit)

    async def async_list() -> int:
        async with AsyncStore(adapter, transport=kit.emulator.transport()) as astore:
            return len([o async for o in astore.orders.list()])

    if "orders.list" in adapter.capabilities:
        _require(asyncio.run(async_list()) == counts["orders"], "async listing differs from sync")
    return counts


# Unsupported operations ----------------------------------------------------------------

_EUR = Money("1.00", "EUR")
_CALLS: Mapping[str, Callable[[Store], object]] = {
    "orders.list": lambda s: list(s.orders.list()),
    "orders.get": lambda s: s.orders.get("1"),
    "orders.create": lambda s: s.orders.create(
        OrderDraft(
            currency="EUR",
            lines=(OrderLineDraft(title="Kit", quantity=1, unit_price=_EUR),),
            total=_EUR,
        )
    ),
    "orders.cancel": lambda s: s.orders.cancel("1"),
    "orders.update_shipping_address": lambda s: s.orders.update_shipping_address(
        "1", Address(line1="1 Kit Street", city="Oslo", country="NO")
    ),
    "customers.list": lambda s: list(s.customers.list()),
    "customers.get": lambda s: s.customers.get("1"),
    "customers.create": lambda s: s.customers.create(CustomerDraft(email="kit@example.com")),
    "customers.update": lambda s: s.customers.update("1", CustomerUpdate(first_name="Kit")),
    "products.list": lambda s: list(s.products.list()),
    "products.get": lambda s: s.products.get("1"),
    "products.create": lambda s: s.products.create(
        ProductDraft(title="Kit", variants=(VariantDraft(sku="KIT-1", price=_EUR),))
    ),
    "refunds.calculate": lambda s: s.refunds.calculate(
        "1", lines=[RefundLine(line_ref="1", quantity=1)]
    ),
    "refunds.create": lambda s: s.refunds.create(
        RefundQuote(
            platform=s.platform,
            order_ref="1",
            lines=(RefundLine(line_ref="1", quantity=1),),
            total=_EUR,
        )
    ),
    "transactions.list": lambda s: list(s.transactions.list()),
    "webhooks.subscribe": lambda s: s.webhooks.subscribe(
        ["orders.updated"], "https://hooks.example/in"
    ),
    "webhooks.list": lambda s: list(s.webhooks.list()),
    "webhooks.unsubscribe": lambda s: s.webhooks.unsubscribe("1"),
    "webhooks.receive": lambda s: _receive(s),
}
"""One valid call of every unified operation, for checking that unsupported ones refuse."""


def _receive(store: Store) -> Any:
    from storebridge.webhooks import receive

    return receive(store, {}, b"{}")


def check_unsupported(adapter_cls: type[Adapter]) -> list[str]:
    """Every operation outside ``capabilities`` is refused before any request; returns them."""
    kit = adapter_cls.sandbox(seed=3, orders=1)
    _, connection = _connected(adapter_cls, kit)
    with connection as store:
        return _refuse_unsupported(store, kit)


def _refuse_unsupported(store: Store, kit: Sandbox) -> list[str]:
    missing = set(OPERATIONS) - set(_CALLS)
    _require(not missing, f"the conformance kit cannot call {sorted(missing)} yet")
    before = len(kit.emulator.requests)
    refused = []
    for op, call in _CALLS.items():
        if op in store.capabilities:
            continue
        try:
            call(store)
        except UnsupportedOperation as exc:
            text = str(exc)
            _require(store.adapter.display_name in text and op in text, text)
            reason = store.adapter.unsupported_reason(op)
            _require(not reason or reason in text, f"{op}: the message lacks the reason {reason!r}")
        else:
            raise AssertionError(f"{op} is not a capability but did not raise")
        _require(len(kit.emulator.requests) == before, f"unsupported {op} sent a request")
        refused.append(op)
    return refused


# Error answers -------------------------------------------------------------------------

ODD_ERROR_BODIES: Mapping[str, tuple[bytes, str]] = {
    "an empty body": (b"", "application/json"),
    "a proxy's HTML page": (
        b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
        "text/html",
    ),
    "plain text": (b"Service Unavailable", "text/plain"),
    "truncated JSON": (b'{"error": {"message": "no', "application/json"),
    "a JSON list": (b"[]", "application/json"),
    "JSON null": (b"null", "application/json"),
    "an object of another shape": (b'{"unexpected": {"shape": [1, 2]}}', "application/json"),
    "JSON with a number for text": (b'{"error": 42, "message": 7}', "application/json"),
    "invalid UTF-8": (b"\xff\xfe\xfa error", "application/json; charset=utf-8"),
}
"""Error answers no platform documents but every platform's clients meet."""

ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429, 500, 502, 503)


def check_error_parsing(adapter_cls: type[Adapter]) -> int:
    """``parse_error`` survives any error body; returns how many answers were checked."""
    kit = adapter_cls.sandbox(seed=3, orders=1)
    adapter = adapter_cls.from_settings(**kit.settings(SANDBOX_URL))
    secrets = [s for s in adapter.secrets if s]
    checked = 0
    for status in ERROR_STATUSES:
        for what, (body, content_type) in ODD_ERROR_BODIES.items():
            headers = {"Content-Type": content_type, "Retry-After": "3"}
            request = _http.Request("GET", f"{adapter.base_url}/conformance")
            response = _http.Response(status, content=body, headers=headers, request=request)
            where = f"parse_error of a {status} with {what}"
            try:
                error = adapter.parse_error(response)
            except Exception as exc:  # the point: any exception here is a finding
                raise AssertionError(f"{where} raised {type(exc).__name__}: {exc}") from exc
            _check_error(error, status, where, secrets)
            checked += 1
    # The platform's own answer to a route it does not have, through the facade.
    with _connected(adapter_cls, kit)[1] as store:
        try:
            store.request("GET", "conformance-no-such-route")
        except APIError as exc:  # a web page (29 Next's storefront) is no "no such record"
            page = APIError if exc.status == 404 and type(exc) is APIError else None
            _check_error(exc, exc.status, "the sandbox's answer to an unknown route", secrets, page)
            _require(exc.status == 404, f"an unknown route answered {exc.status}, not 404")
        else:
            raise AssertionError("the sandbox answered an unknown route with success")
    return checked + 1


def _check_error(
    error: object, status: int, where: str, secrets: list[str], kind: type | None = None
) -> None:
    expected = kind or error_class_for_status(status)
    if not isinstance(error, APIError):
        raise AssertionError(f"{where} returned {error!r}, not an APIError")
    _require(isinstance(error, expected), f"{where} is a {type(error).__name__}, "
             f"not the {expected.__name__} of HTTP {status}")  # fmt: skip
    _require(error.status == status, f"{where} has status {error.status}")
    if isinstance(error, RateLimited) and error.retry_after is not None:
        _require(error.retry_after == 3, f"{where}: retry_after {error.retry_after}, not 3")
    text = str(error)
    _require(not any(s in text for s in secrets), f"{where} shows a secret")


# Listings under faults -------------------------------------------------------------------


def _faulty_store(
    adapter_cls: type[Adapter], sizes: Mapping[str, int], transport: Callable[[Any], Any]
) -> tuple[Store, Any, Sandbox]:
    """A store on fake time whose requests go through ``transport(emulator transport)``."""
    return sandbox_store(adapter_cls, sizes, transport)


def _read_listing(
    adapter_cls: type[Adapter], resource: str, sizes: Mapping[str, int], page_size: int,
    rate: float, seed: int, kinds: Iterable[str],
) -> tuple[list[str] | BaseException, Counter[str]]:  # fmt: skip
    def faulty(inner: Any) -> FaultTransport:
        return FaultTransport(inner, seed=seed, rate=rate, kinds=tuple(kinds))

    store, transport, _ = _faulty_store(adapter_cls, sizes, faulty)
    with store:
        try:
            items = list(getattr(store, resource).list(page_size=page_size))
        except Exception as exc:  # judged by the caller: a bare exception is a finding
            return exc, transport.injected
    for i, item in enumerate(items):
        _require_model(
            item, _MODELS[resource], f"{resource}.list", verb="emitted", where=f"{resource}[{i}]"
        )
    return [item.ref for item in items], transport.injected


def check_listings_under_faults(
    adapter_cls: type[Adapter],
    *,
    orders: int = 40,
    page_size: int = 7,
    rates: Iterable[float] = (0.1, 0.3),
    seeds: Iterable[int] = range(1, 5),
    kinds: Iterable[str] = FAULT_KINDS,
) -> dict[str, dict[str, int]]:
    """Each listing is exact or a storebridge error under faults; returns the outcomes.

    For every listing the adapter supports, reads the sandbox once without faults (the
    truth), then once per fault rate and seed. The result maps each resource to counts of
    ``exact`` and ``error`` outcomes and of ``faults`` injected.
    """
    sizes = {"orders": orders, "customers": max(1, orders // 2), "products": max(1, orders // 3)}
    capabilities = _capabilities(adapter_cls)
    report: dict[str, dict[str, int]] = {}
    for resource in _LISTINGS:
        if f"{resource}.list" not in capabilities:
            continue
        truth, _ = _read_listing(adapter_cls, resource, sizes, page_size, 0.0, 0, kinds)
        if isinstance(truth, BaseException):
            raise AssertionError(f"{resource}: the listing fails without faults: {truth!r}")
        _require(truth, f"{resource}: the sandbox has none to list")
        counts = report[resource] = {"exact": 0, "error": 0, "faults": 0}
        for rate in rates:
            for seed in seeds:
                got, injected = _read_listing(
                    adapter_cls, resource, sizes, page_size, rate, seed, kinds
                )
                counts["faults"] += sum(injected.values())
                where = f"{resource} at {rate:.0%} faults, seed {seed} ({dict(injected)})"
                if isinstance(got, StorebridgeError):
                    counts["error"] += 1
                    continue
                if isinstance(got, BaseException):
                    raise AssertionError(
                        f"{where} raised {type(got).__name__}: {got} -- a listing ends in "
                        "its records or a storebridge error"
                    ) from got
                lost = sorted(set(truth) - set(got))
                doubled = sorted(ref for ref, n in Counter(got).items() if n > 1)
                _require(not lost and not doubled, f"{where}: lost {lost}, doubled {doubled}")
                counts["exact"] += 1
        _require(counts["faults"], f"{resource}: no fault was injected; nothing was checked")
        _require(counts["exact"], f"{resource}: every faulty listing failed: {counts}")
    return report


# Writes whose answer is lost ---------------------------------------------------------------

WRITES: Mapping[str, PrepareWrite] = {
    "customers.create": create_customer,
    "refunds.create": refund_one_unit,
}
"""The writes :func:`check_lost_answer_writes` checks unless told otherwise."""


class _AcceptedWrites(_http.BaseTransport):
    """``inner``, noting every write the platform answered with success."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.writes: list[str] = []

    def handle_request(self, request: _http.Request) -> _http.Response:
        response: _http.Response = self.inner.handle_request(request)
        if not request_meta(request).idempotent and 200 <= response.status_code < 300:
            self.writes.append(f"{request.method} {request.url.path}")
        return response


UNPROCESSED = ("server_error", "reset_before")
"""Faults before the platform did anything (an adapter may fake success on them)."""


def check_lost_answer_writes(
    adapter_cls: type[Adapter],
    writes: Mapping[str, PrepareWrite] | None = None,
    *,
    kinds: Iterable[str] = LOST_ANSWER_FAULTS,
    orders: int = 6,
) -> dict[str, dict[str, str]]:
    """A write whose answer is lost returns its record, having happened exactly once (with
    ``kinds=UNPROCESSED``: the record of a second sending, or OutcomeUnknown).

    ``writes`` maps an operation to a :data:`PrepareWrite`; by default the adapter's
    capabilities among :data:`WRITES` (writes without a default, such as
    ``orders.create``, need one of yours). For each write and each fault kind, a fresh
    sandbox answers the write's first request, then the fault layer loses that answer.
    Returns ``{operation: {fault kind: ref of the record returned}}``.
    """
    if writes is None:
        capabilities = _capabilities(adapter_cls)
        writes = {op: prepare for op, prepare in WRITES.items() if op in capabilities}
    sizes = {"orders": orders}
    report: dict[str, dict[str, str]] = {}
    for op, prepare in writes.items():
        report[op] = {}
        for kind in kinds:
            report[op][kind] = _lose_one_answer(adapter_cls, sizes, op, prepare, kind)
    return report


def _lose_one_answer(
    adapter_cls: type[Adapter],
    sizes: Mapping[str, int],
    op: str,
    prepare: PrepareWrite,
    kind: str,
) -> str:
    def first_write(_n: int, request: _http.Request) -> str | None:
        # The write's first request is faulted; reads meet a cache (read-backs ask past it).
        if request.method == "GET":
            return "cached_answer"
        if fired or request_meta(request).idempotent:
            return None
        fired.append(kind)
        return kind

    fired: list[str] = []
    accepted: list[_AcceptedWrites] = []

    def transport(inner: Any) -> FaultTransport:
        accepted.append(_AcceptedWrites(inner))
        return FaultTransport(accepted[0], script=first_write)

    store, faulty, _ = _faulty_store(adapter_cls, sizes, transport)
    where = f"{op} after a lost answer ({kind})"
    with store:
        faulty.enabled = False
        perform = prepare(store)
        faulty.enabled = True
        accepted[0].writes.clear()
        try:
            record = perform()
        except OutcomeUnknown as exc:
            if kind in UNPROCESSED and not accepted[0].writes:
                return "OutcomeUnknown"  # honest: nothing was written, nothing claimed
            raise AssertionError(
                f"{where} raised OutcomeUnknown: read the platform back, past caches "
                f"(reconciled_write; find_refund for refunds) so the result is found: {exc}"
            ) from exc
        except Exception as exc:
            raise AssertionError(f"{where} raised {type(exc).__name__}: {exc}") from exc
    _require(fired, f"{op} sent no write request the fault layer could fault")
    expected = _WRITE_RESULTS.get(op)
    if expected is not None:
        _require_model(record, expected, where)
    check_record(record, adapter_cls.name, where)
    done = accepted[0].writes
    _require(
        done or kind not in UNPROCESSED,
        f"{op} after {kind} (the platform did nothing) returned {record.ref}, a record the "
        "platform does not hold: raise OutcomeUnknown, or send again when it is safe",
    )
    _require(len(done) == 1, f"{where}: the platform accepted the write {len(done)} times {done}")
    return str(record.ref)


def check_unanswered_writes(adapter_cls: type[Adapter]) -> dict[str, dict[str, str]]:
    """:func:`check_lost_answer_writes` with the faults of :data:`UNPROCESSED`."""
    return check_lost_answer_writes(adapter_cls, kinds=UNPROCESSED)


def check_all(adapter_cls: type[Adapter]) -> dict[str, Any]:
    """Every check of the kit, with its defaults; returns each one's result by name."""
    return {
        "check_adapter": check_adapter(adapter_cls),
        "check_unsupported": check_unsupported(adapter_cls),
        "check_error_parsing": check_error_parsing(adapter_cls),
        "check_listings_under_faults": check_listings_under_faults(adapter_cls),
        "check_listings_whole": check_listings_whole(adapter_cls),
        "check_filters": check_filters(adapter_cls),
        "check_cancel": check_cancel(adapter_cls),
        "check_round_trip": check_round_trip(adapter_cls),
        "check_lost_answer_writes": check_lost_answer_writes(adapter_cls),
        "check_unanswered_writes": check_unanswered_writes(adapter_cls),
    }


__all__ = [
    "ERROR_STATUSES",
    "ODD_ERROR_BODIES",
    "SANDBOX_URL",
    "UNPROCESSED",
    "WRITES",
    "PrepareWrite",
    "check_adapter",
    "check_all",
    "check_cancel",
    "check_error_parsing",
    "check_filters",
    "check_listings_under_faults",
    "check_listings_whole",
    "check_lost_answer_writes",
    "check_record",
    "check_round_trip",
    "check_unanswered_writes",
    "check_unsupported",
    "create_customer",
    "refund_one_unit",
]
