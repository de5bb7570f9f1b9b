"""Store-to-store migration with a SQLite ledger: streamed, exactly once, resumable, verified.

Modules: :mod:`~storebridge.migrate.engine` (the run), :mod:`~storebridge.migrate.plan`
(decisions), :mod:`~storebridge.migrate.phases` (one resource's pass),
:mod:`~storebridge.migrate.streaming` (reading ahead, bounded writes),
:mod:`~storebridge.migrate.writers` (real and dry-run writers),
:mod:`~storebridge.migrate.checkpoint` (where a resume starts),
:mod:`~storebridge.migrate.verify` (independent verification),
:mod:`~storebridge.migrate.mapping` (drafts and expectations),
:mod:`~storebridge.migrate.ledger` and :mod:`~storebridge.migrate.report`.
"""

from storebridge.migrate.engine import Migration, fingerprint, migrate
from storebridge.migrate.ledger import Ledger, Route
from storebridge.migrate.ledger_owner import LedgerInUse
from storebridge.migrate.progress import Progress, ProgressEvent
from storebridge.migrate.report import (
    Decision,
    MigrationReport,
    Mismatch,
    ResourceResult,
    Skip,
    Verification,
)

__all__ = [
    "Decision",
    "Ledger",
    "LedgerInUse",
    "Migration",
    "MigrationReport",
    "Mismatch",
    "Progress",
    "ProgressEvent",
    "ResourceResult",
    "Route",
    "Skip",
    "Verification",
    "fingerprint",
    "migrate",
]
