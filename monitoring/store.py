"""The SQLite store: connection settings, versioned migrations, transactions, and time as text.

Every timestamp is stored as UTC ISO 8601 with microseconds (`2026-03-03T16:00:00.000000+00:00`),
one fixed width, so that text order is time order and due-work queries can compare strings.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import sqlite3
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

import click
import sqlite_utils
from flask import Flask, current_app
from flask.cli import with_appcontext

from monitoring.migrations import MIGRATIONS
from monitoring.rows import Episode, Patient

# How long a writer waits for the lock. The scheduler and the command line may wait (10 s, three tries);
# a web request must answer inside Twilio's 15 s webhook budget and gunicorn's worker timeout, so it waits
# WEB_BUSY_TIMEOUT_MS a try and WEB_WRITE_BUDGET_SECONDS in all before it answers 503 (docs/operations.md).
BUSY_TIMEOUT_MS = 10_000
WEB_BUSY_TIMEOUT_MS = 2_500
WEB_WRITE_BUDGET_SECONDS = 5.0
BEGIN_TRIES = 3


class StoreError(click.ClickException):
    """The database cannot be used as it is (newer schema, unreadable file)."""

    exit_code = 2


class StoreBusy(Exception):
    """Another process held the database lock for longer than the busy timeout."""


@dataclass(frozen=True)
class StorageFault:
    """A fault of the storage under the database, not of the request: the caller answers 503 and retries later.

    `name`: locked | disk_full | read_only | disk_io | corrupt | cannot_open; `action`: what the operator does.
    """

    name: str
    action: str


# SQLite's primary result codes (https://www.sqlite.org/rescode.html) -> the fault an operator sees.
_FAULTS = {
    5: StorageFault("locked", "another process holds the database's write lock (a backup, a sqlite3 shell, a "
                              "stuck process): find it with `fuser <database>`; texts are retried"),
    6: StorageFault("locked", "another connection holds a table lock; texts are retried"),
    13: StorageFault("disk_full", "the database's disk is full: free space (df -h <database folder>); "
                                  "texts are retried by Twilio and nothing stored is lost"),
    8: StorageFault("read_only", "the database, its folder or its filesystem is read-only: check the mount "
                                 "(a disk error can remount it read-only: see dmesg) and that the service "
                                 "user owns the folder"),
    10: StorageFault("disk_io", "the disk failed a read or write: check dmesg and the disk; if it repeats, "
                                "stop the service and copy the database to a healthy disk"),
    26: StorageFault("corrupt", "the database file is not a database or is damaged: stop the service, keep "
                                "the file, restore the last backup or Litestream replica (docs/operations.md)"),
    11: StorageFault("corrupt", "the database file is damaged: stop the service, keep the file, restore the "
                                "last backup or Litestream replica (docs/operations.md)"),
    14: StorageFault("cannot_open", "the database file cannot be opened: check [database] path, the folder's "
                                    "permissions and that its filesystem is mounted"),
}
_FAULT_WORDS = [("locked", 5), ("busy", 5), ("disk is full", 13), ("readonly", 8), ("read-only", 8),
                ("disk i/o error", 10), ("not a database", 26), ("malformed", 11), ("unable to open", 14)]


def storage_fault(error: BaseException) -> StorageFault | None:
    """The storage fault behind `error` (StoreBusy or a sqlite3 error), or None when it is not one (a bug,
    a constraint): by SQLite's result code where Python gives it, else by its message."""
    if isinstance(error, StoreBusy):
        return _FAULTS[5]
    if not isinstance(error, sqlite3.DatabaseError) or isinstance(error, sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _FAULTS:
        return _FAULTS[code & 0xFF]
    message = str(error).lower()
    return next((_FAULTS[number] for words, number in _FAULT_WORDS if words in message), None)


def utcnow() -> datetime:
    """Now, from the standard clock (so time_machine moves it in tests)."""
    return datetime.now(UTC)


@overload
def to_text(moment: datetime) -> str: ...
@overload
def to_text(moment: None) -> None: ...
@overload
def to_text(moment: datetime | None) -> str | None: ...
def to_text(moment: datetime | None) -> str | None:
    """A time as the store keeps it: UTC ISO 8601 with microseconds (None stays None). Raises ValueError
    on a naive datetime."""
    global _last_text
    if moment is None:
        return None
    last = _last_text
    if last[0] is moment:  # the same (immutable) datetime again: a request's `now` is written ten times a text
        return last[1]
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached the store; every time must carry its offset")
    text = moment.astimezone(UTC).isoformat(timespec="microseconds")
    _last_text = (moment, text)  # one tuple, replaced whole: another thread sees a moment with its own text
    return text


# The last time to_text wrote, kept alive by this reference (so `is` never meets a new object at its address).
_last_text: tuple[datetime | None, str] = (None, "")


@overload
def from_text(text: str) -> datetime: ...
@overload
def from_text(text: None) -> None: ...
@overload
def from_text(text: str | None) -> datetime | None: ...
def from_text(text: str | None) -> datetime | None:
    """A stored time back as an aware datetime (None stays None)."""
    return None if text is None else datetime.fromisoformat(text)


def active_episode(db: sqlite_utils.Database, patient_id: int) -> Episode | None:
    """The patient's active episode (a paused one is active too: it keeps its phone and window), the newest
    if there were ever two; None when monitoring has ended. The one query for it (issue 18)."""
    return Episode.maybe(db.execute(
        "SELECT * FROM episodes WHERE patient_id = ? AND status = 'active' ORDER BY id DESC LIMIT 1",
        [patient_id]).fetchone())


def current_episode(db: sqlite_utils.Database, patient_id: int) -> Episode | None:
    """The episode staff mean by "this patient's episode": the active one, else the newest ended one; None for
    a patient never monitored. The one query for it (issue 18)."""
    return Episode.maybe(db.execute(
        "SELECT * FROM episodes WHERE patient_id = ? ORDER BY status = 'active' DESC, id DESC LIMIT 1",
        [patient_id]).fetchone())


def patient_by_id(db: sqlite_utils.Database, patient_id: int) -> Patient | None:
    """The patient with this id, or None. The one query for it (issue 18)."""
    return Patient.maybe(db.execute("SELECT * FROM patients WHERE id = ?", [patient_id]).fetchone())


def patient_name_by_phone(db: sqlite_utils.Database, phone: str) -> str | None:
    """The name of the newest patient whose own phone is `phone` (E.164), or None: what enrollment, a caregiver,
    a staff phone and the clinic phone are each checked against (a patient's phone is read as theirs)."""
    row = db.execute("SELECT name FROM patients WHERE phone = ? ORDER BY id DESC LIMIT 1", [phone]).fetchone()
    return None if row is None else str(row["name"])


def iso(text: str | None) -> str | None:
    """Stored UTC text -> ISO 8601 with offset for the API (the stored form already is)."""
    return None if text is None else datetime.fromisoformat(text).isoformat()


def dumps(value: object) -> str:
    """A JSON column's text (keys sorted, so equal values store equal text)."""
    if isinstance(value, list) and not value:  # most symptom, denial and implausible lists of a reading
        return "[]"
    return _JSON.encode(value)


# json.dumps(value, sort_keys=True) builds this same encoder for every call (a text stores two or three JSON
# columns under the write lock); its encode keeps no state between calls, so one serves every thread.
_JSON = json.JSONEncoder(sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    """A JSON column's value (`default` for NULL)."""
    if text == "[]":  # most symptom lists: triage reloads an episode's readings for every new one
        return []
    return default if text is None else json.loads(text)


def insert(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """Insert one row and return its id. Plain SQL: the hot path (each text writes several rows) cannot
    afford sqlite-utils' per-call table introspection; the schema is fixed by the migrations."""
    rowid = db.conn.execute(_insert_sql(table, tuple(row)), list(row.values())).lastrowid
    assert rowid is not None  # an INSERT always sets it
    return rowid


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """The INSERT statement for `table` and `columns` (its text depends on nothing else): built once per shape,
    as a text writes four rows or so under the write lock, each of a shape the code fixes (issue 19)."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


class Database(sqlite_utils.Database):
    """sqlite-utils' Database with how long this connection waits for the write lock: `busy_timeout_ms` a try,
    and until `write_deadline` (time.monotonic(); None: no budget) in all (set_write_budget)."""

    busy_timeout_ms: int = BUSY_TIMEOUT_MS
    write_deadline: float | None = None
    writers: int | None = None  # the writers' queue file's descriptor (WRITERS_SUFFIX); None: none
    busy_set_ms: int | None = None  # the busy timeout last given to SQLite (a PRAGMA only when it changes)
    # the webhooks' hand-over queue beside this database (monitoring.inbound.hand_over_queue), opened on first use
    hand_over_queue: Database | None = None
    hand_over_file: tuple[int, int] | None = None  # (st_dev, st_ino) of the queue's file when it was opened
    file_identity: tuple[int, int] | None = None  # (st_dev, st_ino) of this database's file as the web opened it
    # a hand-over queue connection whose file was deleted or replaced, kept while texts are left in it
    hand_over_moved: Database | None = None

    def close(self) -> None:
        """Close the connection, and the hand-over queue's with it."""
        for queue in (self.hand_over_queue, self.hand_over_moved):
            if queue is not None:
                queue.close()
        self.hand_over_queue = self.hand_over_moved = None
        super().close()

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> sqlite3.Cursor:
        """sqlite-utils' execute; inside a transaction (and with no tracer) straight to the connection, which is
        all sqlite-utils does there (its commit of an implicit transaction and rollback of a failed statement
        apply only outside one): a text makes about a dozen statements under the write lock (issue 19)."""
        if self.conn.in_transaction and not self._tracer:
            return self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)
        return super().execute(sql, parameters)


# Writers queue on an flock of this file beside the database before BEGIN IMMEDIATE (issue 19). SQLite's own
# busy handler sleeps 1, 2, 5, 10 ms... between tries, so under load a waiting writer sleeps long after the
# lock is free, and every text behind it waits too; the kernel hands a released flock on at once. It is only
# a queue: SQLite's lock still decides, and a writer that cannot open the file (a read-only or full disk), or
# waits past its busy timeout, goes on to BEGIN IMMEDIATE and SQLite's own waiting, as before.
WRITERS_SUFFIX = "-writers"
_QUEUE_POLL_S = 0.0002
# While queued, how often a writer looks whether SQLite's lock is free all the same (BEGIN IMMEDIATE without
# waiting): the file's flock is held by a process stopped outside its transaction (SIGSTOP, a debugger) or by
# one that is not a writer at all, and every writer would otherwise wait its whole busy timeout in the queue
# for nothing, each transaction (10 s for the scheduler, the web's 2.5 s twice a text).
_QUEUE_PROBE_S = 0.05


def file_identity(path: str) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the file at `path`, which a file deleted, replaced or restored in place changes; None
    while there is none. One stat, a few microseconds: the web checks its database file each request, the
    scheduler each look, and both the hand-over queue's beside it (monitoring.inbound)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def connect(path: str, busy_timeout_ms: int | None = None) -> Database:
    """Open the database with the settings every connection here uses. `busy_timeout_ms`: how long one try
    waits for another writer's lock (default BUSY_TIMEOUT_MS; web requests pass WEB_BUSY_TIMEOUT_MS)."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    busy_timeout_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    _journal_mode_wal(conn, busy_timeout_ms)
    conn.execute("PRAGMA synchronous = FULL")  # a 200 to Twilio means the text is on disk
    conn.execute("PRAGMA foreign_keys = ON")
    db = Database(conn)
    db.busy_timeout_ms = db.busy_set_ms = int(busy_timeout_ms)
    if path != ":memory:":
        try:
            db.writers = os.open(path + WRITERS_SUFFIX, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:  # a read-only or full disk: SQLite's waiting alone, as before
            db.writers = None
        else:
            weakref.finalize(db, os.close, db.writers)
    return db


def _journal_mode_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """PRAGMA journal_mode = WAL, tried again within `busy_timeout_ms` while SQLite answers "database is locked":
    on a new file, two processes switching it at once (two gunicorn workers, or the scheduler beside them, before
    init-db) deadlock on the lock upgrade, and SQLite answers one of them at once, without its busy handler.
    Seen in tests/test_migrations.py's two start-ups, one CI run in several."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _queue(db: sqlite_utils.Database) -> int | None:
    """Take this connection's place in the writers' queue (WRITERS_SUFFIX): the descriptor to release, or None
    when there is no queue file or the wait passed the busy timeout (SQLite's own waiting then decides), or
    when, queued, it found SQLite's lock free and took it (the connection is then in its transaction)."""
    fd: int | None = getattr(db, "writers", None)
    if fd is None:
        return None
    limit = probe = None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except OSError:
            return None
        now = time.monotonic()
        if limit is None or probe is None:  # first refusal: the wait starts now
            deadline = getattr(db, "write_deadline", None)
            limit = now + _busy_timeout_ms(db) / 1000
            limit = limit if deadline is None else min(limit, deadline)
            probe = now + _QUEUE_PROBE_S
        if now >= limit:
            return None
        if now >= probe:
            probe = now + _QUEUE_PROBE_S
            if _try_begin(db):
                return None
        time.sleep(_QUEUE_POLL_S)


def _try_begin(db: sqlite_utils.Database) -> bool:
    """BEGIN IMMEDIATE if SQLite's write lock is free now, without waiting; whether it began."""
    _set_busy_timeout(db, 0)
    try:
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        return False
    _set_busy_timeout(db, _busy_timeout_ms(db))  # the transaction's statements wait as the connection's do
    return True


def _set_busy_timeout(db: sqlite_utils.Database, wait_ms: int) -> None:
    """PRAGMA busy_timeout, only when it changes (Database.busy_set_ms)."""
    if wait_ms != getattr(db, "busy_set_ms", None):
        db.conn.execute(f"PRAGMA busy_timeout = {wait_ms}")
        if isinstance(db, Database):
            db.busy_set_ms = wait_ms


def set_write_budget(db: Database, seconds: float | None) -> None:
    """From now, this connection's transactions wait at most `seconds` in all for the write lock (None: no
    budget, only the per-try busy timeout and BEGIN_TRIES). A web request sets it as it starts."""
    db.write_deadline = None if seconds is None else time.monotonic() + seconds


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken with BEGIN IMMEDIATE so writers queue instead of deadlocking.

    If the lock stays taken past the busy timeout, retries up to BEGIN_TRIES in all, and never past the
    connection's write budget (set_write_budget), then raises StoreBusy.
    """
    conn = db.conn
    if conn.in_transaction:  # nested: join the outer transaction
        yield db
        return
    queued = _queue(db)
    try:
        if not conn.in_transaction:  # else the queue found SQLite's lock free and took it (_queue)
            _begin(db)
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
    finally:
        if queued is not None:
            fcntl.flock(queued, fcntl.LOCK_UN)


def _begin(db: sqlite_utils.Database) -> None:
    conn = db.conn
    deadline = getattr(db, "write_deadline", None)
    for attempt in range(BEGIN_TRIES):
        wait_ms = _busy_timeout_ms(db)
        if deadline is not None:  # this try waits no longer than what is left of the budget
            wait_ms = min(max(0, int((deadline - time.monotonic()) * 1000)), wait_ms)
        _set_busy_timeout(db, wait_ms)
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            pause = 0.2 * (attempt + 1)
            if attempt == BEGIN_TRIES - 1 or (deadline is not None and time.monotonic() + pause >= deadline):
                raise StoreBusy("the database stayed locked by another process") from error
            time.sleep(pause)


def _busy_timeout_ms(db: sqlite_utils.Database) -> int:
    return int(getattr(db, "busy_timeout_ms", BUSY_TIMEOUT_MS))


# The hand-written runner's record of the schema (versions 1-9), before the migrations became a sqlite-utils set.
LEGACY_VERSIONS = "schema_migrations"


def known_migrations() -> list[str]:
    """The names of the migrations this code knows, in the order they run (monitoring.migrations). The
    schema version is a count of these; sqlite-utils lists a set's migrations as an empty database's pending ones."""
    return [migration.name for migration in MIGRATIONS.pending(sqlite_utils.Database(memory=True))]


def schema_version(db: sqlite_utils.Database) -> int:
    """How many migrations the database has had (0: not initialised). A database the old runner made reports
    its `schema_migrations` version until `migrate` takes it over."""
    if LEGACY_VERSIONS in db.table_names():
        row = db.execute(f"SELECT MAX(version) FROM {LEGACY_VERSIONS}").fetchone()
        return row[0] or 0
    return len(MIGRATIONS.applied(db))


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply the migrations this code knows and the database lacks, in one transaction under the write lock
    (two processes starting at once apply them once); return the versions applied (1 = the first migration).

    Raises StoreError (exit status 2) on a database newer than this code, and changes nothing then.
    """
    with transaction(db):
        require_current(db)
        _take_over_legacy_versions(db)
        pending = {migration.name for migration in MIGRATIONS.pending(db)}
        MIGRATIONS.apply(db)
    return [version for version, name in enumerate(known_migrations(), start=1) if name in pending]


def _take_over_legacy_versions(db: sqlite_utils.Database) -> None:
    """A database the old runner made: its version k becomes the first k migrations of the set (each keeping
    when it was applied) and its `schema_migrations` table goes, so the schema has one record."""
    if LEGACY_VERSIONS not in db.table_names():
        return
    known = known_migrations()
    MIGRATIONS.ensure_migrations_table(db)
    for version, applied_at in db.execute(f"SELECT version, applied_at FROM {LEGACY_VERSIONS} ORDER BY version"):
        insert(db, MIGRATIONS.migrations_table,
               {"migration_set": MIGRATIONS.name, "name": known[version - 1], "applied_at": applied_at})
    db.execute(f"DROP TABLE {LEGACY_VERSIONS}")


def require_current(db: sqlite_utils.Database) -> None:
    """Refuse (StoreError, exit status 2) a database with migrations this code does not know: a newer
    crswatch ran on it. An older database passes; `migrate` brings it up."""
    known = known_migrations()
    current = schema_version(db)
    unknown = LEGACY_VERSIONS not in db.table_names() and any(
        migration.name not in known for migration in MIGRATIONS.applied(db))
    if current > len(known) or unknown:
        raise StoreError(
            f"database schema is version {current}, newer than this code knows ({len(known)}); "
            "upgrade crswatch before starting it on this database"
        )


class DatabaseUnusable(click.ClickException):
    """The database cannot be opened or migrated at start (`init-db`, `serve`, the scheduler): one line naming
    the file and what to do, never a traceback. Exit status 2, as a bad setting."""

    exit_code = 2


def migrate_at_start(path: str) -> tuple[list[int], int]:
    """Open the database at `path` and apply the migrations it lacks: (applied, schema version). A storage fault
    (not a database, damaged, cannot be opened, read-only, full, locked) raises DatabaseUnusable naming it."""
    try:
        db = connect(path)
        try:
            return migrate(db), schema_version(db)
        finally:
            db.close()
    except (sqlite3.DatabaseError, StoreBusy) as error:
        fault = storage_fault(error)
        if fault is None:
            raise
        if fault.name == "cannot_open" and _folder_read_only(path):
            # SQLite opens a file on a read-only filesystem read-only by itself, then cannot make its WAL files
            # beside it and says only "unable to open": the folder is what is wrong, and the admin must hear it
            fault = _FAULTS[8]
        raise DatabaseUnusable(f"database {path}: {fault.action}") from None


def _folder_read_only(path: str) -> bool:
    """Whether the database's folder exists and this process cannot write in it (a read-only mount, for root too:
    access(2) answers EROFS; or another user's folder)."""
    folder = Path(path).resolve().parent
    return folder.is_dir() and not os.access(folder, os.W_OK)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or migrate the database schema (safe to run again)."""
    path = current_app.config["CRS"]["database"]["path"]
    applied, version = migrate_at_start(path)
    if applied:
        click.echo(f"database {path}: applied migrations {applied}; schema version {version}")
    else:
        click.echo(f"database {path}: schema version {version} is current; nothing to do")


def init_app(app: Flask) -> None:
    """Register the store's command, `flask --app app init-db` (create_app calls this)."""
    app.cli.add_command(init_db_command)
