"""Migrations as a sqlite-utils set: a fresh database gets them all, a database the old hand-written runner
made (its `schema_migrations` table, versions 1-9) upgrades in place to the same schema, a database newer
than the code is refused and left as it was, and running again changes nothing."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from monitoring import migrations as migrations_module
from monitoring.store import StoreError, connect, known_migrations, migrate, schema_version, transaction

# The old runner's last version: its databases hold versions 1..LEGACY_NEWEST (a fact of the past, not the
# current schema version, which grows as migrations are appended).
LEGACY_NEWEST = 9
LEGACY_APPLIED_AT = "2026-01-01T00:00:00.000000+00:00"
OLD_CODE_DUMP = Path(__file__).parent / "data" / "legacy_schema_v9.sql"


def legacy_database(path: str, version: int) -> sqlite_utils.Database:
    """A database as the old runner left it at `version`: its first migration created `schema_migrations`,
    then each script ran in turn and recorded its number there (the scripts are the same SQL as the set's)."""
    db = connect(path)
    with transaction(db):
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        for number, name in enumerate(known_migrations()[:version], start=1):
            getattr(migrations_module, name)(db)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?)", [number, LEGACY_APPLIED_AT])
    return db


def schema(db: sqlite_utils.Database) -> list[tuple]:
    """Every table, index and trigger as SQLite keeps it (ALTER TABLE rewrites a table's `sql`), bookkeeping too."""
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                      "ORDER BY type, name").fetchall()
    return [tuple(row) for row in rows]


def recorded(db: sqlite_utils.Database) -> list[tuple]:
    return [tuple(row) for row in db.execute(
        "SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()]


@pytest.fixture
def fresh_schema(tmp_path, clock):
    db = connect(str(tmp_path / "fresh.db"))
    migrate(db)
    yield schema(db)
    db.close()


def test_a_fresh_database_gets_every_migration_in_order(tmp_path, clock):
    db = connect(str(tmp_path / "new.db"))
    assert schema_version(db) == 0
    applied = migrate(db)
    names = known_migrations()
    assert applied == list(range(1, len(names) + 1))
    assert schema_version(db) == len(names)
    assert [name for _, name, _ in recorded(db)] == names
    assert {migration_set for migration_set, _, _ in recorded(db)} == {"crswatch"}
    assert "schema_migrations" not in db.table_names()


def test_migrations_are_named_in_order_and_shipped_ones_stay():
    names = known_migrations()
    assert names[:LEGACY_NEWEST] == [
        "m001_first_schema", "m002_messages_per_sender", "m003_escalation_under_faults",
        "m004_caregivers_and_neuro_checks", "m005_patient_identifiers", "m006_working_day",
        "m007_fhir_devices", "m008_security", "m009_nurse_page_and_call",
    ]
    assert [int(name[1:4]) for name in names] == list(range(1, len(names) + 1))  # mNNN_ is the version


@pytest.mark.parametrize("version", range(1, LEGACY_NEWEST + 1), ids=lambda v: f"old-runner-v{v}")
def test_a_database_at_each_old_version_upgrades_in_place(tmp_path, clock, fresh_schema, version):
    db = legacy_database(str(tmp_path / "old.db"), version)
    assert schema_version(db) == version
    applied = migrate(db)
    names = known_migrations()
    assert applied == list(range(version + 1, len(names) + 1))  # only the later ones ran
    assert schema_version(db) == len(names)
    assert schema(db) == fresh_schema  # the same schema as a database created today
    kept = recorded(db)[:version]  # the old versions, under their names, keeping when they were applied
    assert kept == [("crswatch", name, LEGACY_APPLIED_AT) for name in names[:version]]
    assert migrate(db) == []


def test_a_database_the_old_code_made_upgrades_and_keeps_its_rows(tmp_path, clock, fresh_schema):
    path = str(tmp_path / "old.db")
    plain = sqlite3.connect(path)  # the dump lists tables by name, so load it before foreign keys are on
    plain.executescript(OLD_CODE_DUMP.read_text())
    plain.close()
    db = connect(path)
    assert schema_version(db) == LEGACY_NEWEST
    before = {table: db.execute(f"SELECT * FROM {table}").fetchall() for table in ("staff", "patients", "episodes",
                                                                               "api_tokens", "audit_log")}
    assert migrate(db) == list(range(LEGACY_NEWEST + 1, len(known_migrations()) + 1))
    assert schema(db) == fresh_schema
    for table, rows in before.items():  # every row keeps every value it had; later migrations may add columns
        columns = rows[0].keys() if rows else []
        after = [{column: row[column] for column in columns} for row in db.execute(f"SELECT * FROM {table}")]
        assert after == [dict(row) for row in rows], table
    assert recorded(db)[0] == ("crswatch", "m001_first_schema", "2026-03-01T12:00:00.000000+00:00")


def test_a_database_newer_than_the_code_is_refused_and_left_as_it_was(tmp_path, clock):
    db = connect(str(tmp_path / "newer.db"))
    migrate(db)
    db["_sqlite_migrations"].insert({"migration_set": "crswatch", "name": "m999_from_a_newer_crswatch",
                                     "applied_at": "2027-01-01 00:00:00+00:00"})
    before, records = schema(db), recorded(db)
    with pytest.raises(StoreError, match="newer than this code knows") as refused:
        migrate(db)
    assert refused.value.exit_code == 2
    assert "upgrade crswatch" in refused.value.message
    assert (schema(db), recorded(db)) == (before, records)
    assert not db.conn.in_transaction


def test_an_old_runner_database_newer_than_the_code_is_refused_and_left_as_it_was(tmp_path, clock):
    db = legacy_database(str(tmp_path / "newer.db"), LEGACY_NEWEST)
    newer = len(known_migrations()) + 1
    with transaction(db):
        db.execute("INSERT INTO schema_migrations VALUES (?, ?)", [newer, LEGACY_APPLIED_AT])
    before = schema(db)
    with pytest.raises(StoreError, match=f"version {newer}, newer than this code knows"):
        migrate(db)
    assert schema(db) == before  # not taken over: a newer crswatch still reads it
    assert "_sqlite_migrations" not in db.table_names()


def test_running_again_changes_nothing(tmp_path, clock):
    db = connect(str(tmp_path / "again.db"))
    migrate(db)
    before, records = schema(db), recorded(db)
    assert migrate(db) == []
    assert (schema(db), recorded(db)) == (before, records)


def test_a_migration_that_fails_part_way_leaves_the_database_as_it_was(tmp_path, clock):
    db = legacy_database(str(tmp_path / "old.db"), LEGACY_NEWEST - 1)
    with transaction(db):  # an index by the name the last old migration creates at its end
        db.execute("CREATE INDEX alerts_call_due ON alerts (id)")
    before = schema(db)
    with pytest.raises(sqlite3.OperationalError, match="alerts_call_due already exists"):
        migrate(db)
    assert schema(db) == before  # its ALTER TABLEs before the failure are gone too, and the take-over
    assert schema_version(db) == LEGACY_NEWEST - 1 and "_sqlite_migrations" not in db.table_names()
    assert not db.conn.in_transaction


def test_two_processes_starting_at_once_apply_each_migration_once(tmp_path, clock):
    path = str(tmp_path / "shared.db")
    start = threading.Barrier(2, timeout=60)  # a worker that dies before it fails the other, never hangs it
    applied: list[list[int]] = []

    def start_up() -> None:  # as a second gunicorn worker or the scheduler beside `serve`: its own connection
        db = connect(path)
        start.wait()
        applied.append(migrate(db))
        db.close()

    workers = [threading.Thread(target=start_up) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a start-up still waits on the other"
    assert sorted(applied, key=len) == [[], list(range(1, len(known_migrations()) + 1))]
    assert [name for _, name, _ in recorded(connect(path))] == known_migrations()


def test_a_text_left_waiting_by_the_code_before_the_hand_over_queue_goes_to_the_tick_s_retries(tmp_path, clock):
    """m022 (issue 19): texts handed over to the scheduler now wait in the hand-over queue file, not in messages with
    status 'waiting', which nothing reads any more. A text a stopped scheduler left 'waiting' becomes 'received', so
    the tick's retries (inbound.process_pending) act on it; a processed text keeps its status."""
    from monitoring.migrations import MIGRATIONS

    db = connect(str(tmp_path / "waiting.db"))
    with transaction(db):
        MIGRATIONS.apply(db, stop_before="m022_waiting_texts_to_the_tick")
        for sid, status, processed in (("SM1", "waiting", None), ("SM2", "processed", LEGACY_APPLIED_AT)):
            db.execute("INSERT INTO messages (direction, to_number, from_number, body, kind, status, sid, created_at, "
                       "updated_at, processed_at) VALUES ('in', '+15555550123', '+15555550199', 'o2 85', 'reply', "
                       "?, ?, ?, ?, ?)", [status, sid, LEGACY_APPLIED_AT, LEGACY_APPLIED_AT, processed])
    m022 = known_migrations().index("m022_waiting_texts_to_the_tick") + 1
    assert migrate(db) == list(range(m022, len(known_migrations()) + 1))  # m022 and those after it
    assert [tuple(row) for row in db.execute("SELECT sid, status FROM messages ORDER BY id")] == [
        ("SM1", "received"), ("SM2", "processed")]
    db.close()
