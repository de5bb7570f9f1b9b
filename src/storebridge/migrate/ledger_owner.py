"""One migration run per ledger at a time.

Two runs on one ledger would each see a record as not yet written and both create it on
the target (duplicates a platform may not let anyone delete). A run holds an exclusive lock
on ``<ledger>.lock`` from opening the ledger to closing it; the lock goes with the process,
so a killed run leaves nothing to clean up (its lock file, left behind, is taken by the
next run). On Windows there is no such lock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from storebridge._file_lock import Held
from storebridge.errors import StorebridgeError


class LedgerInUse(StorebridgeError):
    """Another migration run holds the ledger: runs on one ledger go one at a time."""


def own(path: str) -> Callable[[], None]:
    """Hold ``<ledger>.lock`` until the run ends (the function returned lets go), or raise
    :class:`LedgerInUse`. A snapshot's private copy (``""``) and an in-memory ledger
    take no hold: nobody else can open them."""
    if not path or path == ":memory:":
        return lambda: None
    ledger = Path(path)
    # The file, not the spelling: a symlink or another relative path to it is the same.
    lock = ledger.resolve().with_name(ledger.resolve().name + ".lock")
    held = Held.take(lock)
    if held is None:
        raise LedgerInUse(
            f"the ledger {ledger} is in use by another migration run (it holds {lock.name}); "
            "wait for that run to end, or stop it, then run again with the same ledger"
        )
    return held.release


__all__ = ["LedgerInUse", "own"]
