"""What a text does while it holds SQLite's one write lock (issue 19: with sync workers every other worker's
text waits for it): storing the text is its INSERT alone; the reads before it are safe to be a moment old."""
from __future__ import annotations

import sqlite3

import pytest
from conftest import NURSES, PATIENT_PHONE, START, auth, every_connection_traced, texts_to

from monitoring.store import connect, to_text

FLOOD_COUNT = "SELECT COUNT(*) FILTER (WHERE created_at >= "  # the flood limit's count and the reply budget's


class Trace(list):
    """Every statement run on the connections opened since the fixture began; `then` runs once, on another
    connection, as the first statement starting with `when` runs (another worker committing meanwhile)."""

    when: str | None = None
    then = None

    def __call__(self, statement: str) -> None:
        self.append(statement)
        if self.when is not None and statement.startswith(self.when):
            self.when = None
            self.then()


@pytest.fixture
def traced(monkeypatch):
    statements = Trace()
    with every_connection_traced(monkeypatch, statements):
        yield statements


def _another_worker(config, sql: str, params: list) -> None:
    """Commit `sql` on a connection of its own, as another gunicorn worker would."""
    other = sqlite3.connect(config["database"]["path"])  # the module's own connect: not traced (patched above)
    try:
        with other:
            other.execute(sql, params)
    finally:
        other.close()


def _transactions(statements: list[str]) -> list[list[str]]:
    """The statements of each BEGIN IMMEDIATE .. COMMIT, in order."""
    blocks: list[list[str]] = []
    inside = False
    for statement in statements:
        if statement.startswith("BEGIN IMMEDIATE"):
            blocks.append([])
            inside = True
        elif statement in ("COMMIT", "ROLLBACK"):
            inside = False
        elif inside:
            blocks[-1].append(statement)
    return blocks


def test_storing_a_text_holds_the_write_lock_for_its_insert_alone(phone, patient, traced):
    assert phone.text("98.6").status_code == 200
    stored, processed = _transactions(traced)[:2]
    assert len(stored) == 1 and stored[0].startswith("INSERT INTO messages"), stored
    before = traced[:traced.index("BEGIN IMMEDIATE")]
    assert any(s.startswith("SELECT 1 FROM messages WHERE sid") for s in before)
    assert any(s.startswith("SELECT p.* FROM patients p") for s in before)
    assert any(s.startswith(FLOOD_COUNT) for s in before)
    assert any(s.startswith("UPDATE messages SET processed_at") for s in processed)
    assert [s for s in traced if s.startswith("SELECT COUNT(*)")] == [s for s in before if s.startswith(FLOOD_COUNT)]


def test_a_sid_another_worker_stores_after_the_check_is_still_a_duplicate(phone, patient, traced, config, client,
                                                                          admin_token):
    """Twilio's retry lands on the other worker between this one's sid check and its INSERT: messages.sid's
    UNIQUE constraint refuses the second row, Twilio gets its 200, and the text is stored and answered once."""
    sid = "SM" + "7" * 32
    stamp = to_text(START)
    traced.when = FLOOD_COUNT
    traced.then = lambda: _another_worker(config, (
        "INSERT INTO messages (direction, to_number, from_number, body, kind, status, sid, created_at, updated_at) "
        "VALUES ('in', '+15555550123', ?, '98.6', 'reply', 'received', ?, ?, ?)"), [PATIENT_PHONE, sid, stamp, stamp])
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    response = phone.text("98.6", sid=sid)
    assert response.status_code == 200 and b"<Response></Response>" in response.data
    db = connect(config["database"]["path"])
    assert db.execute("SELECT COUNT(*) FROM messages WHERE sid = ?", [sid]).fetchone()[0] == 1
    assert db.execute("SELECT processed_at FROM messages WHERE sid = ?", [sid]).fetchone()[0] is None  # the other's
    assert len(texts_to(client, admin_token, PATIENT_PHONE)) == before  # nothing answered by this worker


def test_a_patient_changed_after_the_lookup_is_read_again_under_the_lock(phone, patient, traced, config, client,
                                                                        admin_token):
    """The patient is looked up before the write lock; another worker commits a change to them after that
    (here their language) and before the lock: processing reads them again and answers in Spanish."""
    traced.when = FLOOD_COUNT  # the last read before the lock, after the patient lookup
    traced.then = lambda: _another_worker(config, "UPDATE patients SET language = 'es' WHERE phone = ?",
                                          [PATIENT_PHONE])
    assert phone.text("98.6").status_code == 200
    reply = [m for m in texts_to(client, admin_token, PATIENT_PHONE) if m["kind"] == "reply"][-1]
    assert reply["body"].startswith("Gracias. No tiene fiebre"), reply["body"]


def test_a_page_names_the_caregiver_whose_text_raised_it_not_a_text_stored_after_it(phone, patient, config, client,
                                                                                    admin_token, monkeypatch):
    """Between a text's commit and its processing another worker may store the patient's next text. The page's
    "Reported by caregiver" (issue 13) comes from the texts read so far, which that later text is not yet: it
    used to be the newest text stored, so the nurse was not told a caregiver had seen the confusion."""
    from monitoring import inbound

    caregiver = "+15555550188"
    response = client.post(f"/api/v1/patients/{patient['id']}/caregivers", headers=auth(admin_token),
                           json={"name": "Carl Giver", "phone": caregiver, "relationship": "spouse"})
    assert response.status_code == 201, response.get_json()
    real = inbound.process

    def process(clinic, message_id, known=None, **kwargs):
        monkeypatch.setattr(inbound, "process", real)  # once: the patient's text below is processed as usual
        stamp = to_text(START)
        _another_worker(config, "INSERT INTO messages (direction, to_number, from_number, body, kind, patient_id, "
                        "status, sid, created_at, updated_at) VALUES ('in', '+15555550123', ?, '98.6', 'reply', ?, "
                        "'received', ?, ?, ?)", [PATIENT_PHONE, patient["id"], "SM" + "7" * 32, stamp, stamp])
        real(clinic, message_id, known, **kwargs)

    monkeypatch.setattr(inbound, "process", process)
    assert phone.text("he seems confused", sender=caregiver).status_code == 200
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages and "confusion" in pages[-1]
    assert "Reported by caregiver (spouse) (555) 555-0188." in pages[-1]
