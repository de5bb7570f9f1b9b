"""What a migration did (or, for a dry run, would do), and whether the target matches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

RESOURCES = ("customers", "products", "orders")

ACTIONS = ("create", "reuse", "reconcile", "already", "update", "skip", "fail")
"""What a migration decides for each source record:

* ``create``: written to the target (a dry run: would be);
* ``reuse``: an existing target record (same e-mail, same SKUs) stands for it;
* ``reconcile``: found on the target by its identity tag (an earlier run wrote it);
* ``already``: the ledger says it was migrated by an earlier run;
* ``update``: migrated earlier, changed on the source since, updated on the target;
* ``skip``: not moved, with the reason (a missing SKU, no e-mail...); a catch-up tries again;
* ``fail``: the target refused it (or its outcome is unknown), with the reason.
"""

TEXT_LIMIT = 10
"""How many entries of each list the text summary shows before "... and N more"."""


@attrs.define
class Skip:
    """A record that was not moved, and why."""

    source_ref: str
    reason: str


@attrs.frozen
class Decision:
    """What the migration decided for one source record (see :data:`ACTIONS`)."""

    resource: str
    source_ref: str
    action: str
    reason: str | None = None
    target_ref: str | None = None


@attrs.define
class ResourceResult:
    """Counts for one resource. ``created`` are new target records; ``reused`` matched an
    existing target record (email or SKU); ``reconciled`` were found on the target by
    identity tag (written by an earlier, interrupted run); ``already`` were done in the ledger;
    ``earlier`` were processed by earlier runs of an interrupted read and not read again.

    ``total`` counts the source records this run read: it is ``moved`` plus the failed and
    skipped, less ``carried``, the records an earlier run failed or skipped that this one
    did not read again (listed in ``failed``/``skipped`` too, "(an earlier run)"), so the
    report still covers the whole migration."""

    resource: str
    total: int = 0
    created: int = 0
    reused: int = 0
    reconciled: int = 0
    already: int = 0
    updated: int = 0
    earlier: int = 0
    carried: int = 0
    skipped: list[Skip] = attrs.field(factory=list)
    failed: list[Skip] = attrs.field(factory=list)

    @property
    def moved(self) -> int:
        return self.created + self.reused + self.reconciled + self.already + self.updated


@attrs.define
class Mismatch:
    """A difference verification found between the source and the target."""

    resource: str
    source_ref: str
    target_ref: str | None
    problem: str
    duplicates: tuple[str, ...] = ()
    """For a record found more than once on the target: every target ref carrying its tag."""


@attrs.define
class Verification:
    """The result of reading both stores afresh after the run."""

    checked: dict[str, int] = attrs.field(factory=dict)
    order_totals: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    """currency -> (source total, target total) of the migrated orders."""
    mismatches: list[Mismatch] = attrs.field(factory=list)
    error: str | None = None
    """Why verification could not finish (a store could not be read); then it did not pass."""

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


@attrs.define
class MigrationReport:
    source: str
    target: str
    dry_run: bool
    blockers: list[str] = attrs.field(factory=list)
    """Problems that stop the migration before any write (capabilities...); for a dry run,
    also every kind of failure the real run would meet."""
    gaps: list[str] = attrs.field(factory=list)
    """Reasons records cannot be mapped (missing SKU, unaccepted currency...), with counts."""
    results: dict[str, ResourceResult] = attrs.field(factory=dict)
    refunds_not_carried: list[str] = attrs.field(factory=list)
    not_carried: list[str] = attrs.field(factory=list)
    """Parts of records the copy leaves out (a variant without a SKU...), one line each."""
    verification: Verification | None = None

    changed_not_updated: list[str] = attrs.field(factory=list)
    """Records changed on the source since they were migrated, which the target offers no
    way to update (historical orders, products on some platforms)."""
    resumed: list[str] = attrs.field(factory=list)
    """Resources whose read continued from an earlier run's checkpoint."""

    @property
    def complete(self) -> bool:
        """Every source record is on the target (nothing skipped or failed)."""
        return not any(r.failed or r.skipped for r in self.results.values())

    @property
    def ok(self) -> bool:
        """No blocker, every record moved, and (when verified) no mismatch."""
        if self.blockers or not self.complete:
            return False
        return self.verification is None or self.verification.passed

    @property
    def status(self) -> str:
        """PASS, FAIL (mismatch or failed record), INCOMPLETE (records skipped), BLOCKED,
        or DRY RUN."""
        if self.blockers:
            return "BLOCKED"
        if self.dry_run:
            return "DRY RUN"
        if self.verification is not None and not self.verification.passed:
            return "FAIL"
        if any(r.failed for r in self.results.values()):
            return "FAIL"
        return "PASS" if self.complete else "INCOMPLETE"

    def to_dict(self) -> dict[str, Any]:
        """Everything, every failure and mismatch included (the text summary shortens)."""
        data: dict[str, Any] = attrs.asdict(self)
        data["status"] = self.status
        return data

    def summary(self) -> str:
        """A plain-text report; long lists end with "... and N more" (see :meth:`to_dict`)."""
        lines = [f"Migration {self.source} -> {self.target}: {self.status}"]
        lines += _shown(self.blockers, lambda b: f"  blocked: {b}", "  ")
        if self.resumed:
            lines.append(f"  continued from the checkpoint: {', '.join(self.resumed)}")
        for name in RESOURCES:
            r = self.results.get(name)
            if r is None:
                continue
            verb = "would create" if self.dry_run else "created"
            earlier = f", earlier runs {r.earlier}" if r.earlier else ""
            carried = f" ({r.carried} of them from earlier runs)" if r.carried else ""
            lines.append(
                f"  {name:<9} {r.total:>5} source | {verb} {r.created}, reused {r.reused}, "
                f"reconciled {r.reconciled}, already {r.already}, updated {r.updated}, "
                f"skipped {len(r.skipped)}, failed {len(r.failed)}{carried}{earlier}"
            )
            lines += _shown(r.skipped, lambda s: f"      skipped {s.source_ref}: {s.reason}")
            lines += _shown(r.failed, lambda s: f"      FAILED {s.source_ref}: {s.reason}")
        lines += _shown(self.gaps, lambda g: f"  gap: {g}", "  ")
        lines += _shown(self.refunds_not_carried, lambda x: f"  not carried: {x}", "  ")
        lines += _shown(self.not_carried, lambda x: f"  not carried: {x}", "  ")
        lines += _shown(self.changed_not_updated, lambda x: f"  changed, not updated: {x}", "  ")
        v = self.verification
        if v is not None:
            checked = ", ".join(f"{k} {n}" for k, n in v.checked.items())
            left = sum(len(r.failed) + len(r.skipped) for r in self.results.values())
            # Verification checks what the ledger says was migrated; the records listed
            # above as failed or skipped are not on the target as the source has them.
            scope = (f"; the {left} failed or skipped above are not on the target as the "
                     "source has them" if left else "")  # fmt: skip
            lines.append(
                f"  verification: {'PASS' if v.passed else 'FAIL'} (checked {checked}{scope})"
            )
            if v.error:
                lines.append(f"      could not finish: {v.error}")
            for currency, (src, tgt) in sorted(v.order_totals.items()):
                lines.append(f"      order totals {currency}: source {src}, target {tgt}")
            lines += _shown(
                v.mismatches,
                lambda m: (
                    f"      MISMATCH {m.resource} {m.source_ref} -> {m.target_ref}: {m.problem}"
                ),
            )
        return "\n".join(lines)


def _shown(items: Sequence[Any], line: Any, indent: str = "      ") -> list[str]:
    out = [line(item) for item in items[:TEXT_LIMIT]]
    if len(items) > TEXT_LIMIT:
        more = len(items) - TEXT_LIMIT
        out.append(f"{indent}... and {more} more (all of them in the JSON report)")
    return out


__all__ = [
    "ACTIONS",
    "RESOURCES",
    "Decision",
    "MigrationReport",
    "Mismatch",
    "ResourceResult",
    "Skip",
    "Verification",
]
