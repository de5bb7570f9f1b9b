"""One migration run per ledger at a time.

Two runs on one ledger would each see a record as not yet written and both create it on
the target (duplicates a platform may not let anyone delete). A run holds an exclusive lock
on ``<ledger>.lock`` from opening the ledger to closing it; the lock goes with the process,
so a killed run leaves nothing to clean up. The lock file itself stays (deleting a lock
file lets two processes lock different files). On Windows there is no such lock.
"""

from __future__ import annotations

from pathlib import Path

from storebridge._file_lock import hold_exclusively
from storebridge.errors import StorebridgeError


class LedgerInUse(StorebridgeError):
    """Another migration run holds the ledger: runs on one ledger go one at a time."""


def own(path: Path) -> int:
    """Hold ``<ledger>.lock`` (the descriptor to let go of when the run ends), or raise
    :class:`LedgerInUse`."""
    lock = path.with_name(path.name + ".lock")
    held = hold_exclusively(lock)
    if held is None:
        raise LedgerInUse(
            f"the ledger {path} is in use by another migration run (it holds {lock.name}); "
            "wait for that run to end, or stop it, then run again with the same ledger"
        )
    return held


__all__ = ["LedgerInUse", "own"]
