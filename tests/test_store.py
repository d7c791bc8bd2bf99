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
    assert second.exit_code == 0 and second.output.strip() == ""
    ticked = runner.invoke(args=["tick"])
    assert "prompts=1" in ticked.output
