"""The run log: one SQLite database recording runs, for inspection and resume.

Where: `<repo>/.swarm/runs.sqlite3` by default (the `.swarm/` directory gets
a `.gitignore` holding `*`, so the log never shows in `git status` or in a
patch); the `SWARM_RUNLOG` environment variable or an explicit path
overrides it (`runlog_path`).

Durability. The database is in WAL mode with `synchronous=NORMAL`. Every
method that writes does so in one transaction, so a reader (another
process: `swarm show` on a run in progress) sees all of it or none of it.
- Process crash, SIGKILL included: nothing committed is lost and nothing
  half-written is visible. A commit has been written to the WAL file (in
  the OS page cache) before `COMMIT` returns; the OS keeps it when the
  process dies, and SQLite recovers from the WAL on the next open.
- Power loss or OS crash: the database stays consistent, but the last
  transactions before the crash may be lost (NORMAL syncs the WAL only at
  checkpoints). Open with `synchronous="full"` to fsync every commit: the
  bus commits in groups, so this costs one fsync per group, not per message.

Resuming without losing or repeating an approved edit is a two-step write:
`begin_apply` records the intent with the file's content hash before and
after, the caller writes the file, then `finish_apply` confirms it and marks
the proposal applied in one transaction. After a crash, `settle_applies`
compares each unconfirmed intent with the file on disk: the new hash means
the write happened (it is confirmed now), the old hash means it did not (it
stays approved-not-applied), anything else is a conflict to report. This
holds for any process crash; against power loss it needs
`synchronous="full"`, which makes the intent durable before the file is
written (with NORMAL both may be lost, or only the intent).

The API is synchronous on purpose: every call is one short local
transaction (tens of microseconds to a few milliseconds), made directly from
trio tasks; the bus measures this in `bench.bus`.

Secrets: all text is passed through a `Redactor` (values of `*_API_KEY`,
`*_TOKEN`, `*_SECRET`, ... environment variables and credential-shaped
strings become `[redacted]`) before it is stored; config mappings also lose
the values of secret-looking keys.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from swarm.messages import REQUEST_KINDS, Message, MessageKind, encode_body, message_id
from swarm.records import (
    PROPOSAL_TRANSITIONS,
    UNDECIDED,
    AppliedEdit,
    ApplyOutcome,
    ApprovalRecord,
    CheckRecord,
    Event,
    ModelCall,
    ModelCallRecord,
    Proposal,
    ProposalStatus,
    ResumeState,
    RunRecord,
    RunSnapshot,
    RunStatus,
    Spend,
    Verdict,
    apply_outcome,
    content_hash,
    model_call_from,
)
from swarm.protocols import CallRecord
from swarm.redact import Redactor, scrub_config
from swarm.runlog_schema import RunLogError, guarded, prepare

DEFAULT_DIR = ".swarm"
DEFAULT_NAME = "runs.sqlite3"
ENV_VAR = "SWARM_RUNLOG"
BUSY_TIMEOUT_S = 30.0

Synchronous = Literal["normal", "full"]


class RunLogMissing(RunLogError):
    """No run log where one was expected."""


class RunNotFound(RunLogError):
    """No run (or proposal) with that id."""


class InvalidTransition(RunLogError):
    """A proposal or run asked to move to a status it cannot reach from where it is."""


class AlreadyApplied(InvalidTransition):
    """An edit that is already applied was asked to be applied again."""


class RunNotResumable(RunLogError):
    """A run that ended, or that is still running elsewhere, was asked to resume."""


class RunLogWriteError(RunLogError):
    """A write was refused by the database (duplicate id, unknown run, ...)."""


class PathOutsideRepo(RunLogError):
    """An edit path that is absolute or leaves the repository."""


T = TypeVar("T")


def _retry_locked(action: Callable[[], T]) -> T:
    """`action`, retried while SQLite says "database is locked" for up to
    BUSY_TIMEOUT_S: switching a file to WAL (and a lock upgrade SQLite deems
    a deadlock risk) fails at once, without the busy handler, when another
    process is opening the same new file."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def runlog_path(
    repo: Path | str | None = None,
    override: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Where the run log of `repo` is: `override`, else $SWARM_RUNLOG, else `<repo>/.swarm/runs.sqlite3`."""
    if override:
        return Path(override)
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    return Path(repo if repo is not None else ".") / DEFAULT_DIR / DEFAULT_NAME


def find_repo_root(start: Path | str) -> Path:
    """The nearest directory at or above `start` holding `.git` or `.swarm`; `start` if none."""
    start = Path(start).resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists() or (candidate / DEFAULT_DIR).is_dir():
            return candidate
    return start


def new_run_id(now: float | None = None) -> str:
    """Readable, sortable and unique: `20261112-153012-a1b2c3` (UTC)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(3)}"


def observed_status(run: RunRecord, host: str | None = None) -> RunStatus:
    """The status to show: a `running` run whose process is gone on this host was interrupted."""
    if run.status is RunStatus.RUNNING and run.owner_pid is not None:
        if run.owner_host == (host or socket.gethostname()) and not _pid_alive(run.owner_pid):
            return RunStatus.INTERRUPTED
    return run.status


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed child its parent has not reaped yet is a zombie: gone for us.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


@dataclass(frozen=True, slots=True)
class CallRecorder:
    """Records each model call of one run: pass it to the model layer as an observer."""

    log: RunLog
    run_id: str

    def __call__(self, record: CallRecord) -> None:
        self.log.record_model_call(self.run_id, model_call_from(record))


@dataclass(frozen=True, slots=True)
class SettleReport:
    """Unconfirmed applies after a crash, sorted by what the files on disk say."""

    confirmed: tuple[AppliedEdit, ...]
    not_applied: tuple[AppliedEdit, ...]
    conflicts: tuple[AppliedEdit, ...]


class RunLog:
    """A connection to one run log database. Not shared across threads at once."""

    def __init__(self, conn: sqlite3.Connection, path: Path, redactor: Redactor, synchronous: Synchronous):
        self._conn = conn
        self._path = path
        self._redactor = redactor
        self._synchronous: Synchronous = synchronous

    # -- opening ---------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        create: bool = True,
        redactor: Redactor | None = None,
        synchronous: Synchronous = "normal",
    ) -> RunLog:
        """Open (and with `create`, make) the run log at `path`.

        Without `create`, a missing file is RunLogMissing and nothing is
        written to disk: that is how readers such as `swarm runs` open it.
        """
        path = Path(path)
        if not path.exists():
            if not create:
                raise RunLogMissing(f"no run log at {path}: no run has been recorded there yet")
            path.parent.mkdir(parents=True, exist_ok=True)
        if create and path.parent.name == DEFAULT_DIR:
            _ensure_gitignore(path.parent)
        if synchronous not in ("normal", "full"):
            raise RunLogError(f"synchronous must be 'normal' or 'full', not {synchronous!r}")
        # check_same_thread=False: a bus may hand its own connection to one
        # writer thread; callers never use one connection from two threads at once.
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        try:
            _retry_locked(lambda: guarded(str(path), lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()))
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            conn.execute("PRAGMA foreign_keys = ON")
            _retry_locked(lambda: prepare(conn, str(path), writable=True))
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, redactor or Redactor.from_environ(), synchronous)

    def reopen(self) -> RunLog:
        """A second, independent connection to the same database, same settings."""
        return RunLog.open(self._path, create=False, redactor=self._redactor, synchronous=self._synchronous)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def redactor(self) -> Redactor:
        return self._redactor

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except sqlite3.IntegrityError as exc:
            self._conn.execute("ROLLBACK")
            raise RunLogWriteError(f"run log refused the write: {exc}") from None
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # One read transaction: all queries inside see the same snapshot.
        self._conn.execute("BEGIN")
        try:
            yield self._conn
        finally:
            self._conn.execute("COMMIT")

    def _scrub(self, text: str) -> str:
        return self._redactor.scrub(text)

    def _json(self, data: Mapping[str, Any]) -> str:
        return self._scrub(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str))

    # -- runs --------------------------------------------------------------

    def create_run(
        self,
        *,
        repo: Path | str,
        issue_text: str,
        base_commit: str | None = None,
        config: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        started_at: float | None = None,
    ) -> str:
        """Record a new run (status `running`, owned by this process); returns its id.

        `started_at` keeps the original start of a run imported from elsewhere.
        """
        run_id = run_id or new_run_id()
        now = time.time() if started_at is None else started_at
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (id, repo, base_commit, issue_text, config_json, status, started_at,"
                " owner_pid, owner_host) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    run_id,
                    str(repo),
                    base_commit,
                    self._scrub(issue_text),
                    self._json(scrub_config(config or {})),
                    now,
                    os.getpid(),
                    socket.gethostname(),
                ),
            )
            self._event(db, run_id, "run.started", {})
        return run_id

    def load_run(self, run_id: str) -> RunRecord:
        row = self._conn.execute(_RUN_SELECT + " WHERE r.id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(f"no run {run_id!r} in {self._path}; `swarm runs` lists the runs")
        return _run(row)

    def list_runs(self, limit: int | None = None) -> tuple[RunRecord, ...]:
        """Runs, newest first."""
        sql = _RUN_SELECT + " ORDER BY r.started_at DESC, r.id DESC"
        args: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            args = (limit,)
        return tuple(_run(row) for row in self._conn.execute(sql, args))

    def resolve_run(self, ref: str) -> str:
        """A run id from a full id, a unique prefix of one, or `last`/`latest`."""
        if ref in ("last", "latest"):
            row = self._conn.execute("SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1").fetchone()
            if row is None:
                raise RunNotFound(f"no runs in {self._path} yet")
            return row[0]
        if self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (ref,)).fetchone():
            return ref
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._conn.execute(
            "SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6", (escaped + "%",)
        ).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if not rows:
            raise RunNotFound(f"no run matching {ref!r} in {self._path}; `swarm runs` lists the runs")
        shown = ", ".join(r[0] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise RunNotFound(f"{ref!r} matches several runs ({shown}): give more of the id")

    def finish_run(
        self, run_id: str, status: RunStatus | str, reason: str | None = None, patch: str | None = None
    ) -> None:
        """End a run: a final status other than `running`, why, and the patch if there is one."""
        status = RunStatus(status)
        if status is RunStatus.RUNNING:
            raise InvalidTransition("finish_run needs a final status (done, gave_up, failed, interrupted)")
        with self._write() as db:
            updated = db.execute(
                "UPDATE runs SET status = ?, reason = ?, ended_at = ?, patch = COALESCE(?, patch) WHERE id = ?",
                (status.value, self._redact_opt(reason), time.time(), self._redact_opt(patch), run_id),
            ).rowcount
            if not updated:
                raise RunNotFound(f"no run {run_id!r} in {self._path}")
            self._event(db, run_id, "run.ended", {"status": status.value, "reason": reason or ""})

    def set_patch(self, run_id: str, patch: str) -> None:
        """Record the run's current patch (`git diff`), e.g. after every applied edit."""
        with self._write() as db:
            if not db.execute("UPDATE runs SET patch = ? WHERE id = ?", (self._scrub(patch), run_id)).rowcount:
                raise RunNotFound(f"no run {run_id!r} in {self._path}")

    def reopen_run(self, run_id: str) -> ResumeState:
        """Take over an interrupted or failed run in this process and say where it stands."""
        run = self.load_run(run_id)
        seen = observed_status(run)
        if seen in (RunStatus.DONE, RunStatus.GAVE_UP):
            raise RunNotResumable(f"run {run_id} already ended ({seen.value}): start a new run instead")
        if seen is RunStatus.RUNNING and run.owner_pid != os.getpid():
            raise RunNotResumable(
                f"run {run_id} is still running in process {run.owner_pid} on {run.owner_host}: "
                "stop it first (or wait for it to end)"
            )
        with self._write() as db:
            db.execute(
                "UPDATE runs SET status = 'running', ended_at = NULL, owner_pid = ?, owner_host = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                (os.getpid(), socket.gethostname(), run_id),
            )
            self._event(db, run_id, "run.resumed", {"previous_status": seen.value})
        return self.resume_state(run_id)

    # -- messages ----------------------------------------------------------

    def append_messages(self, messages: Sequence[Message], encoded_bodies: Sequence[str] | None = None) -> None:
        """Store messages in one transaction. `encoded_bodies` saves re-encoding JSON the bus already has."""
        if encoded_bodies is None:
            encoded_bodies = [encode_body(m.kind, m.body) for m in messages]
        for m in messages:
            # The id is not stored but derived from run and seq: refuse one that would change.
            if m.id != message_id(m.run_id, m.seq):
                raise RunLogWriteError(f"message id {m.id!r} is not {message_id(m.run_id, m.seq)!r} (<run_id>/<seq>)")
        scrub = self._scrub
        rows = [
            (
                m.run_id,
                m.seq,
                m.kind.value,
                m.sender,
                m.recipient,
                scrub(body),
                m.in_reply_to,
                m.attached_to,
                m.created_at,
            )
            for m, body in zip(messages, encoded_bodies, strict=True)
        ]
        with self._write() as db:
            db.executemany(
                "INSERT INTO messages (run_id, seq, kind, sender, recipient, body_json, in_reply_to,"
                " attached_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def append_message(self, message: Message) -> None:
        self.append_messages([message])

    def messages(self, run_id: str, after_seq: int = 0, limit: int | None = None) -> tuple[Message, ...]:
        """A run's messages with seq > `after_seq`, in order (tail a live run by passing the last seq seen)."""
        sql = _MESSAGE_SELECT + " WHERE run_id = ? AND seq > ? ORDER BY seq"
        args: tuple[Any, ...] = (run_id, after_seq)
        if limit is not None:
            sql += " LIMIT ?"
            args += (limit,)
        return tuple(_message(row) for row in self._conn.execute(sql, args))

    def transcript(self, run_id: str) -> tuple[Message, ...]:
        self.load_run(run_id)
        return self.messages(run_id)

    def last_seq(self, run_id: str) -> int:
        row = self._conn.execute("SELECT MAX(seq) FROM messages WHERE run_id = ?", (run_id,)).fetchone()
        return int(row[0] or 0)

    # -- proposals, checks, verdicts, applies --------------------------------

    def record_proposal(
        self,
        run_id: str,
        *,
        proposal_id: str,
        symbol_id: str,
        base_version: int | str,
        new_source: str,
        rationale: str,
        author: str | None = None,
        message_id: str | None = None,
    ) -> Proposal:
        """Record a proposal (`proposed`); undecided older proposals for the symbol become `superseded`.

        Proposal ids are the agents' own (`p1`, ...): unique within a run.
        """
        now = time.time()
        with self._write() as db:
            if db.execute("SELECT 1 FROM proposals WHERE run_id = ? AND id = ?", (run_id, proposal_id)).fetchone():
                raise RunLogWriteError(
                    f"proposal {proposal_id!r} is already recorded in run {run_id}: proposal ids must be unique in a run"
                )
            db.execute(
                "UPDATE proposals SET status = 'superseded', updated_at = ?"
                " WHERE run_id = ? AND symbol_id = ? AND status IN ('proposed', 'checked')",
                (now, run_id, symbol_id),
            )
            db.execute(
                "INSERT INTO proposals (run_id, id, symbol_id, base_version, new_source, rationale, status,"
                " author, message_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?)",
                (
                    run_id,
                    proposal_id,
                    symbol_id,
                    base_version,
                    self._scrub(new_source),
                    self._scrub(rationale),
                    author,
                    message_id,
                    now,
                    now,
                ),
            )
        return self.proposal(run_id, proposal_id)

    def record_proposal_message(self, message: Message) -> Proposal:
        """Record the proposal an `edit_proposal` message carries."""
        if message.kind is not MessageKind.EDIT_PROPOSAL:
            raise InvalidTransition(f"message {message.id} is a {message.kind.value}, not an edit_proposal")
        body = message.body
        return self.record_proposal(
            message.run_id,
            proposal_id=body["proposal_id"],
            symbol_id=body["symbol_id"],
            base_version=body["base_version"],
            new_source=body["new_source"],
            rationale=body["rationale"],
            author=message.sender,
            message_id=message.id,
        )

    def proposal(self, run_id: str, proposal_id: str) -> Proposal:
        row = self._conn.execute(_PROPOSAL_SELECT + " WHERE run_id = ? AND id = ?", (run_id, proposal_id)).fetchone()
        if row is None:
            raise RunNotFound(f"no proposal {proposal_id!r} in run {run_id}")
        return _proposal(row)

    def proposals(self, run_id: str) -> tuple[Proposal, ...]:
        rows = self._conn.execute(_PROPOSAL_SELECT + " WHERE run_id = ? ORDER BY created_at, rowid", (run_id,))
        return tuple(_proposal(row) for row in rows)

    def record_check_report(
        self,
        run_id: str,
        proposal_id: str,
        report: Mapping[str, Any],
        passed: bool,
        message_id: str | None = None,
    ) -> CheckRecord:
        """Attach a check report (the harness's CheckReport as JSON); the proposal becomes `checked`."""
        now = time.time()
        with self._write() as db:
            self._move(db, run_id, proposal_id, ProposalStatus.CHECKED, now)
            cur = db.execute(
                "INSERT INTO check_reports (run_id, proposal_id, report_json, passed, message_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, proposal_id, self._json(report), int(bool(passed)), message_id, now),
            )
            check_id = int(cur.lastrowid or 0)
        return _check(self._conn.execute(_CHECK_SELECT + " WHERE id = ?", (check_id,)).fetchone())

    def record_verdict(
        self,
        run_id: str,
        proposal_id: str,
        verdict: Verdict | str,
        reason: str,
        policy: str,
        message_id: str | None = None,
    ) -> ApprovalRecord:
        """Record the proxy user's verdict; the proposal becomes `approved` or `rejected`."""
        verdict = Verdict(verdict)
        now = time.time()
        with self._write() as db:
            self._move(db, run_id, proposal_id, ProposalStatus(verdict.value), now)
            cur = db.execute(
                "INSERT INTO approvals (run_id, proposal_id, verdict, reason, policy, message_id, decided_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, proposal_id, verdict.value, self._scrub(reason), policy, message_id, now),
            )
            approval_id = int(cur.lastrowid or 0)
        return _approval(self._conn.execute(_APPROVAL_SELECT + " WHERE id = ?", (approval_id,)).fetchone())

    def supersede(self, run_id: str, proposal_id: str) -> None:
        """Retire a proposal that will not be applied (a newer one replaced it)."""
        with self._write() as db:
            self._move(db, run_id, proposal_id, ProposalStatus.SUPERSEDED, time.time())

    def begin_apply(
        self, run_id: str, proposal_id: str, path: str, before_hash: str, after_hash: str
    ) -> AppliedEdit:
        """Record the intent to write an approved edit to `path` (relative to the repo).

        Call it before writing the file, with the file's content hash now and
        the one it will have (`records.content_hash`); then write; then
        `finish_apply`. Calling it again before `finish_apply` replaces the
        intent (a retry after a crash) and keeps its place in the apply order.
        """
        _check_relative(path)
        now = time.time()
        with self._write() as db:
            current = self._status(db, run_id, proposal_id)
            if current is ProposalStatus.APPLIED:
                raise AlreadyApplied(f"proposal {proposal_id} is already applied: it must not be applied twice")
            if current is not ProposalStatus.APPROVED:
                raise InvalidTransition(f"proposal {proposal_id} is {current.value}: only approved proposals are applied")
            order = db.execute(
                "SELECT COALESCE(MAX(apply_order), 0) + 1 FROM applied_edits WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO applied_edits (run_id, proposal_id, path, before_hash, after_hash, apply_order,"
                " started_at, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"
                " ON CONFLICT (run_id, proposal_id) DO UPDATE SET path = excluded.path,"
                " before_hash = excluded.before_hash, after_hash = excluded.after_hash,"
                " started_at = excluded.started_at",
                (run_id, proposal_id, path, before_hash, after_hash, order, now),
            )
            row = db.execute(
                _APPLIED_SELECT + " WHERE run_id = ? AND proposal_id = ?", (run_id, proposal_id)
            ).fetchone()
        return _applied(row)

    def finish_apply(self, run_id: str, proposal_id: str) -> bool:
        """Confirm the write recorded by `begin_apply`: in one transaction the edit gets
        its `applied_at` and the proposal becomes `applied`. False if it already was."""
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT applied_at FROM applied_edits WHERE run_id = ? AND proposal_id = ?", (run_id, proposal_id)
            ).fetchone()
            if row is None:
                raise InvalidTransition(f"proposal {proposal_id} has no apply in progress: call begin_apply first")
            if row[0] is not None:
                return False
            db.execute(
                "UPDATE applied_edits SET applied_at = ? WHERE run_id = ? AND proposal_id = ?",
                (now, run_id, proposal_id),
            )
            self._move(db, run_id, proposal_id, ProposalStatus.APPLIED, now)
        return True

    def applied_edits(self, run_id: str) -> tuple[AppliedEdit, ...]:
        rows = self._conn.execute(_APPLIED_SELECT + " WHERE run_id = ? ORDER BY apply_order", (run_id,))
        return tuple(_applied(row) for row in rows)

    def settle_applies(self, run_id: str, root: Path | str) -> SettleReport:
        """Sort unconfirmed applies by the files under `root`; confirm those that reached the disk."""
        root = Path(root).resolve()
        confirmed: list[AppliedEdit] = []
        not_applied: list[AppliedEdit] = []
        conflicts: list[AppliedEdit] = []
        for edit in self.applied_edits(run_id):
            if edit.confirmed:
                continue
            target = (root / edit.path).resolve()
            if not target.is_relative_to(root):
                raise PathOutsideRepo(f"recorded edit path {edit.path!r} leaves {root}")
            data = target.read_bytes() if target.is_file() else None
            outcome = apply_outcome(edit, content_hash(data))
            if outcome is ApplyOutcome.APPLIED:
                self.finish_apply(run_id, edit.proposal_id)
                confirmed.append(edit)
            elif outcome is ApplyOutcome.NOT_APPLIED:
                not_applied.append(edit)
            else:
                conflicts.append(edit)
        return SettleReport(tuple(confirmed), tuple(not_applied), tuple(conflicts))

    def _status(self, db: sqlite3.Connection, run_id: str, proposal_id: str) -> ProposalStatus:
        row = db.execute(
            "SELECT status FROM proposals WHERE run_id = ? AND id = ?", (run_id, proposal_id)
        ).fetchone()
        if row is None:
            raise RunNotFound(f"no proposal {proposal_id!r} in run {run_id}")
        return ProposalStatus(row[0])

    def _move(
        self, db: sqlite3.Connection, run_id: str, proposal_id: str, target: ProposalStatus, now: float
    ) -> None:
        current = self._status(db, run_id, proposal_id)
        if target not in PROPOSAL_TRANSITIONS[current]:
            if current is ProposalStatus.APPLIED:
                raise AlreadyApplied(f"proposal {proposal_id} is already applied")
            raise InvalidTransition(f"proposal {proposal_id} is {current.value}: it cannot become {target.value}")
        db.execute(
            "UPDATE proposals SET status = ?, updated_at = ? WHERE run_id = ? AND id = ?",
            (target.value, now, run_id, proposal_id),
        )

    def check_reports(self, run_id: str) -> tuple[CheckRecord, ...]:
        rows = self._conn.execute(_CHECK_SELECT + " WHERE run_id = ? ORDER BY id", (run_id,))
        return tuple(_check(row) for row in rows)

    def approvals(self, run_id: str) -> tuple[ApprovalRecord, ...]:
        rows = self._conn.execute(_APPROVAL_SELECT + " WHERE run_id = ? ORDER BY id", (run_id,))
        return tuple(_approval(row) for row in rows)

    # -- model calls and events ----------------------------------------------

    def record_model_call(self, run_id: str, call: ModelCall) -> int:
        """Record a model call and add it to the run's spend, in one transaction."""
        now = time.time()
        priced = call.cost_usd is not None
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO model_calls (run_id, role, address, provider, model, input_tokens, output_tokens,"
                " cost_usd, latency_s, ok, error, request_digest, error_kind, attempts, repairs, stop_reason,"
                " reply_json, started_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    call.role,
                    call.address,
                    call.provider,
                    call.model,
                    call.input_tokens,
                    call.output_tokens,
                    call.cost_usd,
                    call.latency_s,
                    int(call.ok),
                    self._redact_opt(call.error),
                    call.request_digest,
                    call.error_kind,
                    call.attempts,
                    call.repairs,
                    call.stop_reason,
                    None if call.reply is None else self._json(call.reply),
                    call.started_at,
                    now,
                ),
            )
            db.execute(
                "UPDATE runs SET model_calls = model_calls + 1, input_tokens = input_tokens + ?,"
                " output_tokens = output_tokens + ?, cost_usd = cost_usd + ?,"
                " unpriced_calls = unpriced_calls + ? WHERE id = ?",
                (call.input_tokens, call.output_tokens, call.cost_usd or 0.0, 0 if priced else 1, run_id),
            )
            return int(cur.lastrowid or 0)

    def call_recorder(self, run_id: str) -> CallRecorder:
        """A `CallObserver` (swarm.protocols) for the model layer: records every call of this run."""
        return CallRecorder(self, run_id)

    def model_calls(self, run_id: str) -> tuple[ModelCallRecord, ...]:
        rows = self._conn.execute(_MODEL_CALL_SELECT + " WHERE run_id = ? ORDER BY id", (run_id,))
        return tuple(_model_call(row) for row in rows)

    def record_event(self, run_id: str, kind: str, data: Mapping[str, Any] | None = None) -> int:
        with self._write() as db:
            return self._event(db, run_id, kind, data or {})

    def events(self, run_id: str, after_id: int = 0) -> tuple[Event, ...]:
        rows = self._conn.execute(
            "SELECT id, run_id, at, kind, data_json FROM events WHERE run_id = ? AND id > ? ORDER BY id",
            (run_id, after_id),
        )
        return tuple(Event(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows)

    def _event(self, db: sqlite3.Connection, run_id: str, kind: str, data: Mapping[str, Any]) -> int:
        cur = db.execute(
            "INSERT INTO events (run_id, at, kind, data_json) VALUES (?, ?, ?, ?)",
            (run_id, time.time(), kind, self._json(data)),
        )
        return int(cur.lastrowid or 0)

    # -- whole-run reads --------------------------------------------------

    def snapshot(self, run_id: str) -> RunSnapshot:
        """Everything about a run, read in one transaction (consistent even while it runs)."""
        with self._read():
            return RunSnapshot(
                run=self.load_run(run_id),
                messages=self.messages(run_id),
                proposals=self.proposals(run_id),
                checks=self.check_reports(run_id),
                approvals=self.approvals(run_id),
                applied=self.applied_edits(run_id),
                model_calls=self.model_calls(run_id),
                events=self.events(run_id),
            )

    def resume_state(self, run_id: str) -> ResumeState:
        with self._read():
            run = self.load_run(run_id)
            proposals = {p.id: p for p in self.proposals(run_id)}
            applied_edits = self.applied_edits(run_id)
            approved_order = [a.proposal_id for a in self.approvals(run_id) if a.verdict is Verdict.APPROVED]
            open_requests = self._open_requests(run_id)
            last_seq = self.last_seq(run_id)
        applied = tuple(
            proposals[e.proposal_id]
            for e in applied_edits
            if e.confirmed and proposals[e.proposal_id].status is ProposalStatus.APPLIED
        )
        approved = tuple(
            proposals[pid] for pid in dict.fromkeys(approved_order) if proposals[pid].status is ProposalStatus.APPROVED
        )
        return ResumeState(
            run=run,
            applied=applied,
            approved_not_applied=approved,
            pending_apply=tuple(e for e in applied_edits if not e.confirmed),
            undecided=tuple(p for p in proposals.values() if p.status in UNDECIDED),
            open_requests=open_requests,
            last_seq=last_seq,
        )

    def _open_requests(self, run_id: str) -> tuple[Message, ...]:
        kinds = tuple(k.value for k in REQUEST_KINDS)
        replied: set[str] = {
            row[0]
            for row in self._conn.execute(
                "SELECT in_reply_to FROM messages WHERE run_id = ? AND in_reply_to IS NOT NULL", (run_id,)
            )
        }
        marks = ", ".join("?" for _ in kinds)
        rows = self._conn.execute(
            _MESSAGE_SELECT + f" WHERE run_id = ? AND kind IN ({marks}) ORDER BY seq", (run_id, *kinds)
        )
        return tuple(m for m in map(_message, rows) if m.id not in replied)

    def _redact_opt(self, text: str | None) -> str | None:
        return None if text is None else self._scrub(text)


def _check_relative(path: str) -> None:
    parts = Path(path).parts
    if not path or Path(path).is_absolute() or ".." in parts:
        raise PathOutsideRepo(f"edit path {path!r} must be relative to the repository and stay inside it")


def _ensure_gitignore(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by symbol-swarm: run logs never belong in the repository\n*\n")


# -- row mapping ----------------------------------------------------------------

_RUN_SELECT = (
    "SELECT r.id, r.repo, r.base_commit, r.issue_text, r.config_json, r.status, r.reason, r.started_at,"
    " r.ended_at, r.patch, r.model_calls, r.input_tokens, r.output_tokens, r.cost_usd, r.unpriced_calls,"
    " r.owner_pid, r.owner_host, r.attempts,"
    " (SELECT COUNT(*) FROM messages m WHERE m.run_id = r.id) FROM runs r"
)
_MESSAGE_SELECT = (
    "SELECT run_id || '/' || seq, run_id, seq, kind, sender, recipient, body_json, in_reply_to, created_at, attached_to FROM messages"
)
_PROPOSAL_SELECT = (
    "SELECT id, run_id, symbol_id, base_version, new_source, rationale, status, author, message_id,"
    " created_at, updated_at FROM proposals"
)
_CHECK_SELECT = "SELECT id, run_id, proposal_id, report_json, passed, message_id, created_at FROM check_reports"
_APPROVAL_SELECT = "SELECT id, run_id, proposal_id, verdict, reason, policy, message_id, decided_at FROM approvals"
_APPLIED_SELECT = (
    "SELECT proposal_id, run_id, path, before_hash, after_hash, apply_order, started_at, applied_at FROM applied_edits"
)
_MODEL_CALL_SELECT = (
    "SELECT id, run_id, role, provider, model, input_tokens, output_tokens, cost_usd, latency_s, ok, address,"
    " error, request_digest, created_at, error_kind, attempts, repairs, stop_reason, reply_json, started_at"
    " FROM model_calls"
)


def _run(r: Sequence[Any]) -> RunRecord:
    return RunRecord(
        id=r[0],
        repo=r[1],
        base_commit=r[2],
        issue_text=r[3],
        config=json.loads(r[4]),
        status=RunStatus(r[5]),
        reason=r[6],
        started_at=r[7],
        ended_at=r[8],
        patch=r[9],
        spend=Spend(model_calls=r[10], input_tokens=r[11], output_tokens=r[12], cost_usd=r[13], unpriced_calls=r[14]),
        owner_pid=r[15],
        owner_host=r[16],
        attempts=r[17],
        message_count=r[18],
    )


def _message(r: Sequence[Any]) -> Message:
    return Message(
        id=r[0],
        run_id=r[1],
        seq=r[2],
        kind=MessageKind(r[3]),
        sender=r[4],
        recipient=r[5],
        body=json.loads(r[6]),
        in_reply_to=r[7],
        created_at=r[8],
        attached_to=r[9],
    )


def _proposal(r: Sequence[Any]) -> Proposal:
    return Proposal(r[0], r[1], r[2], r[3], r[4], r[5], ProposalStatus(r[6]), r[7], r[8], r[9], r[10])


def _check(r: Sequence[Any]) -> CheckRecord:
    return CheckRecord(r[0], r[1], r[2], json.loads(r[3]), bool(r[4]), r[5], r[6])


def _approval(r: Sequence[Any]) -> ApprovalRecord:
    return ApprovalRecord(r[0], r[1], r[2], Verdict(r[3]), r[4], r[5], r[6], r[7])


def _applied(r: Sequence[Any]) -> AppliedEdit:
    return AppliedEdit(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])


def _model_call(r: Sequence[Any]) -> ModelCallRecord:
    call = ModelCall(
        role=r[2],
        provider=r[3],
        model=r[4],
        input_tokens=r[5],
        output_tokens=r[6],
        cost_usd=r[7],
        latency_s=r[8],
        ok=bool(r[9]),
        address=r[10],
        error=r[11],
        request_digest=r[12],
        error_kind=r[14],
        attempts=r[15],
        repairs=r[16],
        stop_reason=r[17],
        reply=None if r[18] is None else json.loads(r[18]),
        started_at=r[19],
    )
    return ModelCallRecord(r[0], r[1], call, r[13])

