"""Store-to-store migration with a SQLite ledger: exactly once, resumable, verified."""

from storebridge.migrate.engine import Migration, Progress, fingerprint, migrate
from storebridge.migrate.ledger import Ledger, Route
from storebridge.migrate.report import (
    MigrationReport,
    Mismatch,
    ResourceResult,
    Skip,
    Verification,
)

__all__ = [
    "Ledger",
    "Migration",
    "MigrationReport",
    "Mismatch",
    "Progress",
    "ResourceResult",
    "Route",
    "Skip",
    "Verification",
    "fingerprint",
    "migrate",
]
