"""The SQLite store: connection settings, versioned migrations, transactions, and time as text.

Every timestamp is stored as UTC ISO 8601 with microseconds (`2026-03-03T16:00:00.000000+00:00`),
one fixed width, so that text order is time order and due-work queries can compare strings.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlite_utils

from monitoring.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


class StoreError(click.ClickException):
    """The database cannot be used as it is (newer schema, unreadable file)."""

    exit_code = 2


class StoreBusy(Exception):
    """Another process held the database lock for longer than the busy timeout."""


def utcnow() -> datetime:
    """Now, from the standard clock (so time_machine moves it in tests)."""
    return datetime.now(UTC)


def to_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached the store; every time must carry its offset")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True)


def loads(text: str | None, default=None):
    if text == "[]":  # most symptom lists: triage reloads an episode's readings for every new one
        return []
    return default if text is None else json.loads(text)


def insert(db: sqlite_utils.Database, table: str, row: dict) -> int:
    """Insert one row and return its id. Plain SQL: the hot path (each text writes several rows) cannot
    afford sqlite-utils' per-call table introspection; the schema is fixed by the migrations."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return db.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())).lastrowid


def connect(path: str) -> sqlite_utils.Database:
    """Open the database with the settings every connection here uses."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")  # a 200 to Twilio means the text is on disk
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken with BEGIN IMMEDIATE so writers queue instead of deadlocking.

    If the lock stays taken past the busy timeout, retries twice more, then raises StoreBusy.
    """
    conn = db.conn
    if conn.in_transaction:  # nested: join the outer transaction
        yield db
        return
    for attempt in range(3):
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if attempt == 2:
                raise StoreBusy("the database stayed locked by another process") from error
            time.sleep(0.2 * (attempt + 1))
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply the migrations this code knows and the database lacks; return the versions applied."""
    current = schema_version(db)
    newest = len(MIGRATIONS)
    if current > newest:
        raise StoreError(
            f"database schema is version {current}, newer than this code knows ({newest}); "
            "upgrade crswatch before starting it on this database"
        )
    applied = []
    for version, script in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        with transaction(db):
            for statement in _statements(script):
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [version, to_text(utcnow())]
            )
        applied.append(version)
    return applied


def _statements(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement keeps trigger bodies whole)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def require_current(db: sqlite_utils.Database) -> None:
    """Refuse to run on a database that was not initialised or is newer than the code."""
    current = schema_version(db)
    if current > len(MIGRATIONS):
        raise StoreError(f"database schema is version {current}, newer than this code knows ({len(MIGRATIONS)})")
