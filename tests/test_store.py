"""The store: migrations, init-db twice, a newer schema refused, audit log append-only, pragmas."""
import sqlite3

import pytest

from monitoring.store import StoreError, connect, known_migrations, migrate, schema_version


def test_init_db_twice_changes_nothing(app, runner, config):
    db = connect(config["database"]["path"])
    before = db.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "nothing to do" in result.output
    after = db.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    assert [tuple(r) for r in before] == [tuple(r) for r in after]
    assert schema_version(db) == len(known_migrations())
    assert db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(known_migrations())


def test_newer_schema_is_refused(app, runner, config):
    db = connect(config["database"]["path"])
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
               "VALUES ('crswatch', 'm999_from_a_newer_crswatch', 'x')")
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 2
    assert "newer than this code knows" in result.output
    with pytest.raises(StoreError):
        migrate(db)


def test_connection_pragmas(tmp_path):
    db = connect(str(tmp_path / "x.db"))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_audit_log_is_append_only(app, config, admin_token):
    db = connect(config["database"]["path"])
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.add'").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log")


def test_commands_before_init_db_say_what_to_do(config, clock):
    from app import create_app

    application = create_app(config)
    application.testing = True
    result = application.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code != 0
    assert "init-db" in result.output


def test_inbound_sid_is_unique(app, config):
    db = connect(config["database"]["path"])
    row = {"direction": "in", "to_number": "+1", "from_number": "+2", "body": "x", "kind": "reply",
           "status": "received", "sid": "SM1", "created_at": "t", "updated_at": "t"}
    db["messages"].insert(row)
    with pytest.raises(sqlite3.IntegrityError):
        db["messages"].insert(row)


def test_demo_seeds_once(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "password" in first.output and "Demo Patient" in first.output
    second = runner.invoke(args=["demo"])
    # nothing seeded twice, no new password; the person at the console is told how to sign in (the first
    # password scrolled away: a second `make run` said nothing at all)
    password = first.output.split("with password ")[1].split()[0]
    assert second.exit_code == 0 and "Demo Patient" not in second.output and password not in second.output
    assert second.output.strip().splitlines() == [
        ("demo: already seeded; sign in as 'Demo Admin' with the password printed the first time, or set a new one: "
        '.venv/bin/flask --app app staff password "Demo Admin"')]
    ticked = runner.invoke(args=["tick"])
    assert "prompts=1" in ticked.output


# --- the writers' queue (issue 19): an flock beside the database, so a waiting writer starts the moment the
# one before it commits instead of sleeping in SQLite's busy handler; SQLite's own lock still decides.

def _writer_in(db, entered, release):
    from monitoring.store import transaction

    with transaction(db):
        entered.set()
        db.execute("INSERT INTO queue_probe (who) VALUES ('second')")
        release.wait(5)


def test_a_second_writer_waits_in_the_queue_then_writes(tmp_path):
    import threading

    from monitoring.store import WRITERS_SUFFIX, transaction

    path = str(tmp_path / "q.db")
    first, second = connect(path), connect(path)
    first.execute("CREATE TABLE queue_probe (who TEXT)")
    assert second.writers is not None and (tmp_path / ("q.db" + WRITERS_SUFFIX)).exists()
    entered, release = threading.Event(), threading.Event()
    with transaction(first):
        first.execute("INSERT INTO queue_probe (who) VALUES ('first')")
        waiter = threading.Thread(target=_writer_in, args=(second, entered, release))
        waiter.start()
        assert not entered.wait(0.3)  # queued behind the open transaction, not inside it
    assert entered.wait(5)  # the commit handed the queue on
    release.set()
    waiter.join(5)
    assert [row[0] for row in first.execute("SELECT who FROM queue_probe ORDER BY rowid")] == ["first", "second"]


def test_the_queue_is_released_when_a_transaction_fails(tmp_path):
    import fcntl

    from monitoring.store import transaction

    db = connect(str(tmp_path / "q.db"))
    with pytest.raises(RuntimeError), transaction(db):
        raise RuntimeError("a bug in the middle of a write")
    other = connect(str(tmp_path / "q.db"))
    fcntl.flock(other.writers, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: would raise BlockingIOError if still held
    fcntl.flock(other.writers, fcntl.LOCK_UN)


def test_a_nested_transaction_keeps_the_queue_until_the_outer_commit(tmp_path):
    import fcntl

    from monitoring.store import transaction

    db, other = connect(str(tmp_path / "q.db")), connect(str(tmp_path / "q.db"))
    with transaction(db):
        with transaction(db):
            pass
        with pytest.raises(BlockingIOError):  # the inner one's end did not let another writer in
            fcntl.flock(other.writers, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.flock(other.writers, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_queue_held_past_the_busy_timeout_falls_back_to_sqlites_lock(tmp_path):
    """A queue file held by something that holds no database lock (a stuck tool, a stray flock): the writer
    waits its busy timeout, then goes on to BEGIN IMMEDIATE, which SQLite grants."""
    import fcntl

    from monitoring.store import transaction

    path = str(tmp_path / "q.db")
    holder, writer = connect(path), connect(path, busy_timeout_ms=50)
    writer.execute("CREATE TABLE queue_probe (who TEXT)")
    fcntl.flock(holder.writers, fcntl.LOCK_EX)
    with transaction(writer):
        writer.execute("INSERT INTO queue_probe (who) VALUES ('writer')")
    assert writer.execute("SELECT COUNT(*) FROM queue_probe").fetchone()[0] == 1


@pytest.mark.parametrize("error", [PermissionError(13, "read-only"), OSError(28, "No space left on device")],
                         ids=["read-only", "disk-full"])
def test_no_queue_file_means_sqlites_waiting_alone(tmp_path, monkeypatch, error):
    """A directory the service cannot create the queue file in (read-only, or a full disk): the database still
    opens and writes; only the queue is missing."""
    import os

    from monitoring import store

    real_open = os.open

    def refusing(path, *args, **kwargs):
        if str(path).endswith(store.WRITERS_SUFFIX):
            raise error
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(store.os, "open", refusing)
    db = connect(str(tmp_path / "q.db"))
    assert db.writers is None
    with store.transaction(db):
        db.execute("CREATE TABLE queue_probe (who TEXT)")
    assert db.execute("SELECT COUNT(*) FROM queue_probe").fetchone()[0] == 0


def test_the_busy_timeout_follows_the_write_budget(tmp_path):
    """A connection with a write budget waits no longer than what is left of it; SQLite is told only when the
    wait changes (a PRAGMA a transaction was a twentieth of a webhook's statements)."""
    from monitoring.store import set_write_budget, transaction

    db = connect(str(tmp_path / "b.db"), busy_timeout_ms=2500)
    set_write_budget(db, 60)
    with transaction(db):
        pass
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    set_write_budget(db, 1)  # less than one try's timeout left
    with transaction(db):
        pass
    assert 0 < db.execute("PRAGMA busy_timeout").fetchone()[0] <= 1000
    set_write_budget(db, 0)  # nothing left: one try, no waiting
    with transaction(db):
        pass
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 0


class _VirtualTime:
    """time.monotonic and time.sleep for monitoring.store, on a virtual clock: sleeping moves it on."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("budget", [None, 5.0], ids=["scheduler", "web-request"])
def test_a_queue_held_by_a_stopped_process_outside_its_transaction_costs_no_busy_timeout(tmp_path, monkeypatch,
                                                                                        budget):
    """The queue file locked by a process that holds no database lock (SIGSTOPped between its COMMIT and the
    flock's release, a debugger, a stray `flock`): SQLite's lock is free, so a writer must not wait its whole
    busy timeout in the queue, each transaction (10 s for the scheduler, the web's 2.5 s twice a text): it
    looks whether SQLite's lock is free while it waits and writes. Timed on a virtual clock."""
    import fcntl

    from monitoring import store

    path = str(tmp_path / "q.db")
    holder = connect(path)
    writer = connect(path, busy_timeout_ms=None if budget is None else store.WEB_BUSY_TIMEOUT_MS)
    writer.execute("CREATE TABLE queue_probe (who TEXT)")
    fcntl.flock(holder.writers, fcntl.LOCK_EX)
    clock = _VirtualTime()
    monkeypatch.setattr(store, "time", clock)
    store.set_write_budget(writer, budget)
    for _ in range(2):  # a text's two transactions
        with store.transaction(writer):
            writer.execute("INSERT INTO queue_probe (who) VALUES ('writer')")
    assert writer.execute("SELECT COUNT(*) FROM queue_probe").fetchone()[0] == 2
    assert clock.now - 1000.0 <= 2 * 0.1  # waited a probe's interval, not the busy timeout (virtual seconds)
    assert writer.execute("PRAGMA busy_timeout").fetchone()[0] == writer.busy_timeout_ms  # SQLite's wait restored


def test_to_text_writes_each_moment_as_itself_however_often_it_is_asked():
    """to_text keeps the last moment it wrote (issue 19: a request writes its `now` ten times a text): the same
    object gives the same text, another moment its own, a naive one is refused right after an aware one."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from monitoring.store import to_text

    now = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    assert to_text(now) == to_text(now) == "2026-03-03T16:00:00.000000+00:00"
    later = now + timedelta(microseconds=1)
    assert to_text(later) == "2026-03-03T16:00:00.000001+00:00"
    chicago = now.astimezone(ZoneInfo("America/Chicago"))
    assert to_text(chicago) == to_text(now)
    with pytest.raises(ValueError, match="naive"):
        to_text(datetime(2026, 3, 3, 16, 0))


def test_dumps_writes_what_json_writes_an_empty_list_too():
    import json

    from monitoring.store import dumps

    for value in ([], ["fever", "chills"], {"b": 1, "a": []}, (), None):
        assert dumps(value) == json.dumps(value, sort_keys=True)


def test_insert_builds_each_tables_statement_for_its_own_columns(tmp_path):
    """store.insert keeps the INSERT text per table and column set (issue 19): a row of another shape, in the
    same table or another, gets its own statement, never the one kept for the first shape."""
    from monitoring.store import insert

    db = connect(str(tmp_path / "x.db"))
    db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT, y TEXT)")
    db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, x TEXT, y TEXT)")
    first = insert(db, "a", {"x": "1", "y": "2"})
    second = insert(db, "a", {"x": "3"})
    third = insert(db, "a", {"y": "4", "x": "5"})
    other = insert(db, "b", {"x": "6", "y": "7"})
    assert [tuple(row) for row in db.execute("SELECT id, x, y FROM a ORDER BY id")] == [
        (first, "1", "2"), (second, "3", None), (third, "5", "4")]
    assert [tuple(row) for row in db.execute("SELECT id, x, y FROM b")] == [(other, "6", "7")]


def test_execute_inside_a_transaction_stays_in_it_and_outside_commits_at_once(tmp_path):
    """Database.execute goes straight to the connection inside a transaction (issue 19), as sqlite-utils did there:
    the write is the transaction's (a rollback takes it back) and a failed statement leaves the transaction open;
    outside one, a write is committed at once, as sqlite-utils does."""
    from monitoring import store

    path = str(tmp_path / "x.db")
    db, other = connect(path), connect(path)
    db.execute("CREATE TABLE t (v TEXT UNIQUE)")
    db.execute("INSERT INTO t (v) VALUES ('outside')")
    assert not db.conn.in_transaction
    assert other.execute("SELECT v FROM t").fetchall()[0][0] == "outside"
    with pytest.raises(RuntimeError), store.transaction(db):
        db.execute("INSERT INTO t (v) VALUES ('inside')")
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO t (v) VALUES ('outside')")
        assert db.conn.in_transaction
        raise RuntimeError("roll it back")
    assert [row[0] for row in other.execute("SELECT v FROM t")] == ["outside"]


def test_wal_mode_is_tried_again_while_sqlite_answers_locked(monkeypatch):
    """Two start-ups on a new file deadlock on switching it to WAL; SQLite answers one "database is locked" at once,
    without its busy handler (tests/test_migrations.py's two start-ups failed so, one CI run in several)."""
    from monitoring import store

    class Switching:
        def __init__(self, refusals):
            self.refusals, self.tries = refusals, 0

        def execute(self, sql):
            self.tries += 1
            if self.tries <= self.refusals:
                raise sqlite3.OperationalError("database is locked")

    switching = Switching(refusals=2)
    store._journal_mode_wal(switching, busy_timeout_ms=1000)
    assert switching.tries == 3
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store._journal_mode_wal(Switching(refusals=10**6), busy_timeout_ms=0)  # no time left: the error stands
