"""What a migration did (or, for a dry run, would do), and whether the target matches."""

from __future__ import annotations

from typing import Any

import attrs

RESOURCES = ("customers", "products", "orders")


@attrs.define
class Skip:
    source_ref: str
    reason: str


@attrs.define
class ResourceResult:
    """Counts for one resource. ``created`` are new target records; ``reused`` matched an
    existing target record (email or SKU); ``reconciled`` were found on the target by
    identity tag (written by an earlier, interrupted run); ``already`` were done in the ledger."""

    resource: str
    total: int = 0
    created: int = 0
    reused: int = 0
    reconciled: int = 0
    already: int = 0
    updated: int = 0
    skipped: list[Skip] = attrs.field(factory=list)
    failed: list[Skip] = attrs.field(factory=list)

    @property
    def moved(self) -> int:
        return self.created + self.reused + self.reconciled + self.already


@attrs.define
class Mismatch:
    resource: str
    source_ref: str
    target_ref: str | None
    problem: str


@attrs.define
class Verification:
    checked: dict[str, int] = attrs.field(factory=dict)
    order_totals: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    """currency -> (source total, target total) of the migrated orders."""
    mismatches: list[Mismatch] = attrs.field(factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


@attrs.define
class MigrationReport:
    source: str
    target: str
    dry_run: bool
    blockers: list[str] = attrs.field(factory=list)
    """Problems that stop the migration before any write (capabilities...)."""
    gaps: list[str] = attrs.field(factory=list)
    """Records that cannot be mapped (missing SKU, unaccepted currency...)."""
    results: dict[str, ResourceResult] = attrs.field(factory=dict)
    refunds_not_carried: list[str] = attrs.field(factory=list)
    verification: Verification | None = None

    changed_not_updated: list[str] = attrs.field(factory=list)
    """Records changed on the source since they were migrated, which the target offers no
    way to update (historical orders, products on some platforms)."""

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
        data: dict[str, Any] = attrs.asdict(self)
        data["status"] = self.status
        return data

    def summary(self) -> str:
        """A plain-text report."""
        lines = [f"Migration {self.source} -> {self.target}: {self.status}"]
        lines += [f"  blocked: {b}" for b in self.blockers]
        for name in RESOURCES:
            r = self.results.get(name)
            if r is None:
                continue
            verb = "would create" if self.dry_run else "created"
            lines.append(
                f"  {name:<9} {r.total:>5} source | {verb} {r.created}, reused {r.reused}, "
                f"reconciled {r.reconciled}, already {r.already}, updated {r.updated}, "
                f"skipped {len(r.skipped)}, failed {len(r.failed)}"
            )
            lines += [f"      skipped {s.source_ref}: {s.reason}" for s in r.skipped[:10]]
            lines += [f"      FAILED {s.source_ref}: {s.reason}" for s in r.failed[:10]]
        lines += [f"  gap: {g}" for g in self.gaps[:20]]
        lines += [f"  not carried: {x}" for x in self.refunds_not_carried[:20]]
        lines += [f"  changed, not updated: {x}" for x in self.changed_not_updated[:20]]
        v = self.verification
        if v is not None:
            checked = ", ".join(f"{k} {n}" for k, n in v.checked.items())
            lines.append(f"  verification: {'PASS' if v.passed else 'FAIL'} (checked {checked})")
            for currency, (src, tgt) in sorted(v.order_totals.items()):
                lines.append(f"      order totals {currency}: source {src}, target {tgt}")
            lines += [
                f"      MISMATCH {m.resource} {m.source_ref} -> {m.target_ref}: {m.problem}"
                for m in v.mismatches[:50]
            ]
        return "\n".join(lines)
