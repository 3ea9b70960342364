"""The run log's SQLite schema, its version, and opening a database safely.

The version lives in `PRAGMA user_version`. A database made by a newer
swarm is refused (`RunLogTooNew`) rather than misread; an older one is
migrated in place, one step per version, inside a transaction.

Tables (one row each per):
- runs           a run: repo, base commit, issue, config (secrets scrubbed),
                 status, reason, times, final patch, spend totals, owner process
- messages       a bus message (`swarm.messages.Message`), in `seq` order
- proposals      a whole-symbol rewrite proposed by an agent, with its status
- check_reports  a check pipeline report on a proposal (CheckReport JSON)
- approvals      a verdict on a proposal (approved/rejected, reason, policy)
- applied_edits  an approved edit written to a file: hashes before/after;
                 `applied_at` NULL until the write is confirmed
- model_calls    a model call: role, address, provider, model, tokens, cost,
                 latency, outcome, and the reply (to re-drive a run from it)
- events         free-form progress for user interfaces
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import TypeVar

from swarm.errors import SwarmError


class RunLogError(SwarmError):
    """Base of run log errors."""


class RunLogTooNew(RunLogError):
    """The database was written by a newer swarm."""


class RunLogCorrupt(RunLogError):
    """The file is not a run log (or not a SQLite database at all)."""


T = TypeVar("T")

SCHEMA_VERSION = 1

_SCHEMA_V1 = """
CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    repo          TEXT NOT NULL,
    base_commit   TEXT,
    issue_text    TEXT NOT NULL,
    config_json   TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL
                  CHECK (status IN ('running', 'done', 'gave_up', 'failed', 'interrupted')),
    reason        TEXT,
    started_at    REAL NOT NULL,
    ended_at      REAL,
    patch         TEXT,
    model_calls   INTEGER NOT NULL DEFAULT 0,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL NOT NULL DEFAULT 0,
    unpriced_calls INTEGER NOT NULL DEFAULT 0,
    owner_pid     INTEGER,
    owner_host    TEXT,
    attempts      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX runs_started ON runs (started_at);

-- A message's id is `<run_id>/<seq>` (swarm.messages.message_id), derived
-- rather than stored: one index less on the hottest table.
CREATE TABLE messages (
    run_id      TEXT NOT NULL REFERENCES runs (id),
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    sender      TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    body_json   TEXT NOT NULL,
    in_reply_to TEXT,
    attached_to TEXT,
    created_at  REAL NOT NULL,
    UNIQUE (run_id, seq)
);

-- Proposal ids are the agents' own (`p1`, ...): unique within a run.
CREATE TABLE proposals (
    run_id       TEXT NOT NULL REFERENCES runs (id),
    id           TEXT NOT NULL,
    symbol_id    TEXT NOT NULL,
    base_version ANY NOT NULL,
    new_source   TEXT NOT NULL,
    rationale    TEXT NOT NULL,
    status       TEXT NOT NULL
                 CHECK (status IN ('proposed', 'checked', 'approved', 'rejected', 'applied', 'superseded')),
    author       TEXT,
    message_id   TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE INDEX proposals_run ON proposals (run_id, created_at);

CREATE TABLE check_reports (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL,
    proposal_id TEXT NOT NULL,
    report_json TEXT NOT NULL,
    passed      INTEGER NOT NULL CHECK (passed IN (0, 1)),
    message_id  TEXT,
    created_at  REAL NOT NULL,
    FOREIGN KEY (run_id, proposal_id) REFERENCES proposals (run_id, id)
);
CREATE INDEX check_reports_proposal ON check_reports (run_id, proposal_id);

CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL,
    proposal_id TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('approved', 'rejected')),
    reason      TEXT NOT NULL,
    policy      TEXT NOT NULL,
    message_id  TEXT,
    decided_at  REAL NOT NULL,
    FOREIGN KEY (run_id, proposal_id) REFERENCES proposals (run_id, id)
);
CREATE INDEX approvals_proposal ON approvals (run_id, proposal_id);

CREATE TABLE applied_edits (
    run_id      TEXT NOT NULL REFERENCES runs (id),
    proposal_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    before_hash TEXT NOT NULL,
    after_hash  TEXT NOT NULL,
    apply_order INTEGER NOT NULL,
    started_at  REAL NOT NULL,
    applied_at  REAL,
    PRIMARY KEY (run_id, proposal_id),
    FOREIGN KEY (run_id, proposal_id) REFERENCES proposals (run_id, id)
);
CREATE INDEX applied_edits_run ON applied_edits (run_id, apply_order);

CREATE TABLE model_calls (
    id             INTEGER PRIMARY KEY,
    run_id         TEXT NOT NULL REFERENCES runs (id),
    role           TEXT NOT NULL,
    address        TEXT,
    provider       TEXT NOT NULL,
    model          TEXT NOT NULL,
    input_tokens   INTEGER NOT NULL,
    output_tokens  INTEGER NOT NULL,
    cost_usd       REAL,
    latency_s      REAL NOT NULL,
    ok             INTEGER NOT NULL CHECK (ok IN (0, 1)),
    error          TEXT,
    request_digest TEXT,
    error_kind     TEXT,
    attempts       INTEGER NOT NULL DEFAULT 1,
    repairs        INTEGER NOT NULL DEFAULT 0,
    stop_reason    TEXT,
    reply_json     TEXT,
    started_at     REAL,
    created_at     REAL NOT NULL
);
CREATE INDEX model_calls_run ON model_calls (run_id, id);

CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    run_id    TEXT NOT NULL REFERENCES runs (id),
    at        REAL NOT NULL,
    kind      TEXT NOT NULL,
    data_json TEXT NOT NULL
);
CREATE INDEX events_run ON events (run_id, id);
"""

# version reached -> statements that take a database from the version before to it.
MIGRATIONS: Mapping[int, str] = {1: _SCHEMA_V1}
OUR_TABLES = frozenset(
    {"runs", "messages", "proposals", "check_reports", "approvals", "applied_edits", "model_calls", "events"}
)


def prepare(conn: sqlite3.Connection, path: str, *, writable: bool) -> None:
    """Check the schema version and create or migrate the schema if `writable`.

    `conn` must be in autocommit mode (isolation_level=None).
    """
    version = _user_version(conn, path)
    if version > SCHEMA_VERSION:
        raise RunLogTooNew(
            f"run log {path} has schema version {version}, newer than this swarm understands "
            f"({SCHEMA_VERSION}): upgrade symbol-swarm to read it"
        )
    if version == SCHEMA_VERSION:
        return
    if not writable:
        raise RunLogError(f"run log {path} has schema version {version}: open it once for writing to upgrade it")
    # IMMEDIATE takes the write lock first, so two processes opening a fresh
    # file at once do not both create the tables.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn, path)
        if version == 0:
            foreign = _tables(conn) - OUR_TABLES
            if foreign or _tables(conn):
                raise RunLogCorrupt(
                    f"{path} is a SQLite database but not a swarm run log (tables: {', '.join(sorted(_tables(conn)))}); "
                    "point --runlog / SWARM_RUNLOG at another file"
                )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            _run_script(conn, MIGRATIONS[target])
            conn.execute(f"PRAGMA user_version = {target}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript would COMMIT the open transaction: run statement by statement.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _user_version(conn: sqlite3.Connection, path: str) -> int:
    return int(guarded(path, lambda: conn.execute("PRAGMA user_version").fetchone()[0]))


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def guarded(path: str, action: Callable[[], T]) -> T:
    """Run `action`, turning "not a database" into RunLogCorrupt."""
    try:
        return action()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise RunLogCorrupt(
                f"{path} is not a readable run log ({exc}); move it aside and start a new run"
            ) from None
        raise
