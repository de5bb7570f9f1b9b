"""The ledger's tables, and how a route enters a ledger file.

``rebuilds`` says, per route and resource, whether the ledger's state can be trusted
(``done`` = 1) or whether the mapping is being rebuilt from the identity tags on the target
(``done`` = 0). The mark is set when a route first enters a file (whatever else the file
holds, nothing in it is about this route) and when ``rebuild_ledger`` is asked, and cleared
in the commit that completes a full read of the resource: a rebuild that is interrupted is
still a rebuild when it resumes. A file that already existed is no evidence of a trusted
state; only this mark is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storebridge.migrate.ledger import Route

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    source_platform TEXT NOT NULL,
    source_store    TEXT NOT NULL,
    resource        TEXT NOT NULL,
    source_ref      TEXT NOT NULL,
    target_platform TEXT NOT NULL,
    target_store    TEXT NOT NULL,
    target_ref      TEXT,
    state           TEXT NOT NULL,
    how             TEXT,
    fingerprint     TEXT,
    detail          TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (source_platform, source_store, resource, source_ref,
                 target_platform, target_store)
);
CREATE TABLE IF NOT EXISTS watermarks (
    source_platform TEXT NOT NULL,
    source_store    TEXT NOT NULL,
    target_platform TEXT NOT NULL,
    target_store    TEXT NOT NULL,
    resource        TEXT NOT NULL,
    watermark       TEXT NOT NULL,
    PRIMARY KEY (source_platform, source_store, target_platform, target_store, resource)
);
CREATE TABLE IF NOT EXISTS routes (
    id              INTEGER PRIMARY KEY,
    source_platform TEXT NOT NULL,
    source_store    TEXT NOT NULL,
    target_platform TEXT NOT NULL,
    target_store    TEXT NOT NULL,
    UNIQUE (source_platform, source_store, target_platform, target_store)
);
CREATE TABLE IF NOT EXISTS passes (
    route     INTEGER NOT NULL,
    resource  TEXT NOT NULL,
    since     TEXT NOT NULL,
    complete  INTEGER NOT NULL,
    order_key TEXT,
    boundary  TEXT,
    processed INTEGER NOT NULL,
    newest    TEXT,
    PRIMARY KEY (route, resource)
);
CREATE TABLE IF NOT EXISTS pass_starts (
    route     INTEGER NOT NULL,
    resource  TEXT NOT NULL,
    started   TEXT NOT NULL,
    PRIMARY KEY (route, resource)
);
CREATE TABLE IF NOT EXISTS checkpoint_proofs (
    route     INTEGER NOT NULL,
    resource  TEXT NOT NULL,
    order_key TEXT NOT NULL,
    boundary  TEXT NOT NULL,
    processed INTEGER NOT NULL,
    proof     TEXT NOT NULL,
    PRIMARY KEY (route, resource)
);
CREATE TABLE IF NOT EXISTS target_index (
    route      INTEGER NOT NULL,
    resource   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    sub_ref    TEXT,
    tagged     INTEGER NOT NULL,
    PRIMARY KEY (route, resource, kind, key, target_ref)
);
CREATE TABLE IF NOT EXISTS indexed (
    route    INTEGER NOT NULL,
    resource TEXT NOT NULL,
    kind     TEXT NOT NULL,
    PRIMARY KEY (route, resource, kind)
);
CREATE TABLE IF NOT EXISTS rebuilds (
    route    INTEGER NOT NULL,
    resource TEXT NOT NULL,
    done     INTEGER NOT NULL,
    PRIMARY KEY (route, resource)
);
"""


# A resource of a route the ledger has no mark for (a ledger of the release before the marks,
# or a route that release added to a newer file): trusted as before when the ledger already
# holds something of it (an item, or a pass that completed or got past its first records),
# rebuilt when it holds nothing -- then adopting what is on the target costs one read of it,
# and trusting it would write every record a lost ledger had copied once more.
_CLASSIFY = (
    "INSERT OR IGNORE INTO rebuilds SELECT ?, ?, EXISTS (SELECT 1 FROM items WHERE "
    "source_platform=? AND source_store=? AND target_platform=? AND target_store=? AND "
    "resource=?) OR EXISTS (SELECT 1 FROM passes WHERE route=? AND resource=? AND "
    "(complete=1 OR processed>0))"
)


def prepare(db: sqlite3.Connection) -> None:
    """Create what is missing: a new ledger, or one written by an earlier release."""
    db.executescript(SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
    if "expect" not in columns:  # a ledger written before verification kept expectations
        db.execute("ALTER TABLE items ADD COLUMN expect TEXT")
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_by_state ON items (source_platform, source_store, "
        "target_platform, target_store, resource, state)"
    )


def open_route(db: sqlite3.Connection, route: Route, resources: Iterable[str]) -> int:
    """The id of ``route`` in this file; a route new to it is marked for a rebuild in the
    same commit that adds it, so no kill leaves it in the file without the mark."""
    names = (route.source_platform, route.source_store, route.target_platform,
             route.target_store)  # fmt: skip
    db.execute("BEGIN IMMEDIATE")
    try:
        added = db.execute(
            "INSERT OR IGNORE INTO routes (source_platform, source_store, target_platform, "
            "target_store) VALUES (?,?,?,?)",
            names,
        ).rowcount
        route_id = int(
            db.execute(
                "SELECT id FROM routes WHERE source_platform=? AND source_store=? AND "
                "target_platform=? AND target_store=?",
                names,
            ).fetchone()[0]
        )
        for resource in resources:
            if added:
                db.execute("INSERT OR REPLACE INTO rebuilds VALUES (?,?,0)", (route_id, resource))
            else:
                db.execute(_CLASSIFY, (route_id, resource, *names, resource, route_id, resource))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return route_id


__all__ = ["SCHEMA", "open_route", "prepare"]
