"""What a fleet run produced, store by store: counts, errors, elapsed time, and totals.

A :class:`FleetReport` is plain data: it pickles (results come back from Dask workers),
converts to JSON for scripts (:meth:`FleetReport.to_json`) and prints as a short text
summary. One store's failure is a :class:`StoreFailure` in its :class:`StoreResult`; the
other stores' results are complete.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from storebridge._redact import registry as redactor
from storebridge.errors import APIError, StorebridgeError

__all__ = ["FleetError", "FleetReport", "StoreFailure", "StoreResult"]


@attrs.frozen
class StoreFailure:
    """Why one store failed: the error's class name, its message, and the HTTP status if any.

    Messages pass through the redactor, so no token or signature ends up in a report.
    """

    kind: str
    message: str
    status: int | None = None

    @classmethod
    def of(cls, error: BaseException) -> StoreFailure:
        """The failure a raised exception stands for."""
        status = error.status if isinstance(error, APIError) else None
        message = str(error) or type(error).__name__
        if not isinstance(error, StorebridgeError):
            # Storebridge errors are redacted when raised; anything else may quote a request.
            message = redactor.redact(message)
        return cls(kind=type(error).__name__, message=message, status=status)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@attrs.frozen
class StoreResult:
    """One store's outcome: ``counts`` of what was done (``{"orders": 120}``), ``elapsed``
    seconds, ``error`` (None when it succeeded), and ``value`` (what a
    :meth:`Fleet.map <storebridge.fleet.Fleet.map>` function returned; left out of JSON)."""

    store: str
    platform: str
    counts: Mapping[str, int] = attrs.field(factory=dict)
    elapsed: float = 0.0
    error: StoreFailure | None = None
    details: Mapping[str, Any] = attrs.field(factory=dict)
    """JSON-safe extras a job reports (an export's file, a migration's status...)."""
    value: Any = attrs.field(default=None, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when this store finished without an error."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``value`` left out)."""
        return {
            "store": self.store,
            "platform": self.platform,
            "ok": self.ok,
            "counts": dict(self.counts),
            "elapsed": round(self.elapsed, 3),
            "error": attrs.asdict(self.error) if self.error else None,
            "details": dict(self.details),
        }


@attrs.frozen
class FleetReport:
    """Every store's :class:`StoreResult`, in the fleet's order, and the run's wall time."""

    results: Mapping[str, StoreResult]
    elapsed: float = 0.0
    operation: str = ""
    """What ran (``"orders.list"``, ``"export orders"``...), for summaries."""

    @property
    def ok(self) -> bool:
        """True when no store failed."""
        return all(result.ok for result in self.results.values())

    @property
    def failed(self) -> dict[str, StoreFailure]:
        """The stores that failed, with why."""
        return {
            name: result.error for name, result in self.results.items() if result.error is not None
        }

    @property
    def succeeded(self) -> list[str]:
        """Names of the stores that finished."""
        return [name for name, result in self.results.items() if result.ok]

    @property
    def totals(self) -> dict[str, int]:
        """Counts summed over every store (failed stores count what they did before failing)."""
        total: Counter[str] = Counter()
        for result in self.results.values():
            total.update(result.counts)
        return dict(total)

    def __getitem__(self, store: str) -> StoreResult:
        return self.results[store]

    def __iter__(self) -> Iterator[StoreResult]:
        return iter(self.results.values())

    def __len__(self) -> int:
        return len(self.results)

    def values(self) -> dict[str, Any]:
        """``{store: value}`` of the stores that succeeded (what a mapped function returned)."""
        return {name: result.value for name, result in self.results.items() if result.ok}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: per-store results, totals, failures and elapsed seconds."""
        return {
            "operation": self.operation,
            "ok": self.ok,
            "elapsed": round(self.elapsed, 3),
            "stores": {name: result.to_dict() for name, result in self.results.items()},
            "totals": self.totals,
            "failed": sorted(self.failed),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def summary(self) -> str:
        """A few lines for people: one per store, then the totals."""
        lines = []
        width = max((len(name) for name in self.results), default=0)
        for name, result in self.results.items():
            counts = ", ".join(f"{n} {what}" for what, n in result.counts.items()) or "nothing"
            state = "ok" if result.ok else f"FAILED ({result.error})"
            lines.append(f"{name:<{width}}  {result.platform:<12}  {counts} in "
                         f"{result.elapsed:.1f} s  {state}")  # fmt: skip
        totals = ", ".join(f"{n} {what}" for what, n in self.totals.items()) or "nothing"
        failed = len(self.failed)
        lines.append(
            f"{len(self.results)} stores, {failed} failed: {totals} in {self.elapsed:.1f} s"
        )
        return "\n".join(lines)


class FleetError(StorebridgeError):
    """Some stores of a fleet failed; the others finished. ``report`` has every store's result.

    Raised after everything the other stores produced was delivered, so a listing that
    raises it has already yielded every record of every store that succeeded.
    """

    def __init__(self, report: FleetReport) -> None:
        failed = report.failed
        names = ", ".join(f"{name} ({error})" for name, error in failed.items())
        super().__init__(
            f"{len(failed)} of {len(report.results)} stores failed: {names}; "
            "the others finished (see .report for each store's result)"
        )
        self.report = report
