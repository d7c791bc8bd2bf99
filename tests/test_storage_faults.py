"""Storage faults under the signed webhook (issue 11, item 4): a held lock, a full disk, a read-only database
and a damaged file each answer 503 with Retry-After (Twilio retries it when the webhook URL asks it to), fast,
with one log line naming the fault and what the operator does; once the fault is gone, Twilio's retry of the
same signed request is stored exactly once. `bench/storage_drill.py` does the same to a served app on a real
full and read-only filesystem and prints the times.

SQLite is faked at its boundary only: `sqlite3.connect` opens the file read-only (`mode=ro`, as SQLite does by
itself when the file or its filesystem is read-only). A full disk needs a real small filesystem: the drill.
"""
from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import AUTH_TOKEN, BASE_URL, auth
from twilio.request_validator import RequestValidator

from monitoring import store
from web.context import forget_connections

SID = "SM" + "7" * 32
REAL_CONNECT = sqlite3.connect


def stored(config, sid: str = SID) -> int:
    db = REAL_CONNECT(config["database"]["path"])
    try:
        return db.execute("SELECT COUNT(*) FROM messages WHERE sid = ?", [sid]).fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def short_budget(monkeypatch):
    """A web write budget of half a second, so a held lock answers at once here (the real one is 5 s)."""
    monkeypatch.setattr(store, "WEB_BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(store, "WEB_WRITE_BUDGET_SECONDS", 0.5)
    forget_connections()
    yield
    forget_connections()


@pytest.fixture
def sqlite_opens(monkeypatch, config):
    """sqlite3.connect for the clinic's database, opened read-only while `sqlite_opens.fault = "read_only"`."""
    path = config["database"]["path"]

    class Opener:
        fault: str | None = None

        def __call__(self, database, *args, **kwargs):
            if self.fault == "read_only" and str(database) == path:
                return REAL_CONNECT(f"file:{path}?mode=ro", *args, uri=True, **kwargs)
            return REAL_CONNECT(database, *args, **kwargs)

    opener = Opener()
    monkeypatch.setattr(store.sqlite3, "connect", opener)
    forget_connections()
    yield opener
    opener.fault = None
    forget_connections()


def fault_logged(caplog, name: str) -> str:
    lines = [r.getMessage() for r in caplog.records if r.name == "crswatch.web" and "answered 503" in r.getMessage()]
    assert lines and name in lines[-1], lines
    return lines[-1]


def test_a_held_lock_is_a_fast_503_then_the_retry_is_stored_once(patient, phone, config, short_budget, caplog):
    holder = REAL_CONNECT(config["database"]["path"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, as a backup or a stuck shell would
    try:
        response = phone.text("o2 85", sid=SID)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "busy" in response.get_json()["error"]
    assert "locked" in fault_logged(caplog, "is locked") and "fuser" in fault_logged(caplog, "is locked")
    assert stored(config) == 0
    assert phone.text("o2 85", sid=SID).status_code == 200  # Twilio's retry
    assert phone.text("o2 85", sid=SID).status_code == 200  # and a second one is a duplicate
    assert stored(config) == 1


def test_a_read_only_database_is_a_503_naming_it_then_the_retry_is_stored_once(
        patient, phone, config, sqlite_opens, caplog):
    sqlite_opens.fault = "read_only"
    response = phone.text("o2 85", sid=SID)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "cannot store" in response.get_json()["error"]
    line = fault_logged(caplog, "storage fault read_only")
    assert "read-only" in line and "POST /sms/inbound" in line
    assert stored(config) == 0
    sqlite_opens.fault = None  # the operator fixed it; the next request opens a fresh connection
    assert phone.text("o2 85", sid=SID).status_code == 200
    assert stored(config) == 1


def test_the_status_callback_and_the_api_answer_503_too(patient, client, admin_token, config, sqlite_opens, caplog):
    db = REAL_CONNECT(config["database"]["path"])
    prompt_sid = db.execute("SELECT sid FROM messages WHERE kind = 'prompt'").fetchone()[0]
    db.close()
    sqlite_opens.fault = "read_only"
    params = {"MessageSid": prompt_sid, "MessageStatus": "delivered"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/sms/status", params)
    response = client.post("/sms/status", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)
    assert response.status_code == 503 and response.headers["Retry-After"]
    response = client.post("/api/v1/patients", headers=auth(admin_token), json={
        "name": "Second Patient", "phone": "+15555550188", "therapy": "teclistamab"})
    assert response.status_code == 503 and set(response.get_json()) == {"error"}
    assert "POST /api/v1/patients" in fault_logged(caplog, "storage fault read_only")


def test_a_damaged_database_file_is_a_503_until_it_is_restored(patient, phone, config, tmp_path, caplog):
    path = config["database"]["path"]
    forget_connections()
    backup = tmp_path / "backup.db"
    with REAL_CONNECT(path) as source, REAL_CONNECT(backup) as copy:
        source.backup(copy)
    for leftover in (Path(path + "-wal"), Path(path + "-shm")):
        leftover.unlink(missing_ok=True)
    with open(path, "wb") as damaged:
        damaged.write(b"this is not a database" * 200)
    caplog.set_level(logging.INFO)
    response = phone.text("o2 85", sid=SID)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    line = fault_logged(caplog, "storage fault corrupt")
    assert "restore the last backup" in line
    shutil.copyfile(backup, path)  # the operator restores the backup
    assert phone.text("o2 85", sid=SID).status_code == 200
    assert stored(config) == 1


@pytest.mark.parametrize("error, name", [
    pytest.param(sqlite3.OperationalError("database is locked"), "locked", id="locked"),
    pytest.param(sqlite3.OperationalError("disk I/O error"), "disk_io", id="disk-io"),
    pytest.param(sqlite3.OperationalError("database or disk is full"), "disk_full", id="disk-full"),
    pytest.param(sqlite3.OperationalError("attempt to write a readonly database"), "read_only", id="read-only"),
    pytest.param(sqlite3.DatabaseError("file is not a database"), "corrupt", id="not-a-database"),
    pytest.param(sqlite3.DatabaseError("database disk image is malformed"), "corrupt", id="malformed"),
    pytest.param(sqlite3.OperationalError("unable to open database file"), "cannot_open", id="cannot-open"),
    pytest.param(store.StoreBusy("locked"), "locked", id="store-busy"),
])
def test_storage_faults_are_told_apart(error, name):
    assert store.storage_fault(error).name == name


@pytest.mark.parametrize("error", [
    pytest.param(sqlite3.IntegrityError("UNIQUE constraint failed: messages.sid"), id="constraint"),
    pytest.param(sqlite3.OperationalError("no such table: nothing"), id="bug"),
    pytest.param(ValueError("database is locked"), id="not-sqlite"),
])
def test_bugs_are_not_storage_faults(error):
    assert store.storage_fault(error) is None


def test_a_database_file_restored_in_place_while_the_web_runs_is_used_at_the_next_request(
        patient, phone, client, config, tmp_path):
    """docs/operations.md: a restored file is used without a restart. Restored with no fault met first, the web's
    kept connection read and wrote the replaced file: 'o2 85' was answered 200, stored and paged in a file nothing
    else opens, never in the restored database the scheduler delivers from (SOP 5 Grade 1 Home, line 64: SpO2 < 90%
    pages the nurse)."""
    import os

    path = config["database"]["path"]
    assert phone.text("98.6").status_code == 200  # the web's connection kept, on the file as it is
    backup = tmp_path / "backup.db"
    with REAL_CONNECT(path) as source, REAL_CONNECT(backup) as copy:
        source.backup(copy)
    os.replace(backup, path)  # the operator restores it in place
    for leftover in (Path(path + "-wal"), Path(path + "-shm")):
        leftover.unlink(missing_ok=True)
    assert phone.text("o2 85", sid=SID).status_code == 200
    assert stored(config) == 1
    with REAL_CONNECT(path) as restored:
        pages = restored.execute("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND kind = 'alert'").fetchone()
    assert pages[0] == 1
