"""A text is parsed before its processing transaction takes the write lock (issue 19: every worker's text waits
for the lock), and what the patient is told is the same as when it was parsed inside."""
from conftest import PATIENT_PHONE, auth, texts_to

from monitoring import inbound
from monitoring.store import connect


def _recording_parse(monkeypatch) -> list[tuple[str, bool]]:
    """Every parse of an inbound text: its body and whether the request's connection was inside a transaction."""
    calls: list[tuple[str, bool]] = []
    real = inbound.parse

    def recording(body, now):
        from flask import g

        opened = g.get("clinic")  # the request's clinic: its kept connection is the one that writes
        calls.append((body, bool(opened is not None and opened.db.conn.in_transaction)))
        return real(body, now)

    monkeypatch.setattr(inbound, "parse", recording)
    return calls


def test_a_reading_is_parsed_outside_the_write_lock_and_triaged_as_before(phone, client, admin_token, patient,
                                                                         config, monkeypatch):
    calls = _recording_parse(monkeypatch)
    assert phone.text("o2 85").status_code == 200
    assert calls == [("o2 85", False)]  # once, before BEGIN IMMEDIATE
    alerts = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert alerts and "hypoxia" in alerts[0]["reasons"]
    row = connect(config["database"]["path"]).execute(
        "SELECT processed_at FROM messages WHERE direction = 'in'").fetchone()
    assert row["processed_at"] is not None
    assert [m for m in texts_to(client, admin_token, PATIENT_PHONE) if m["kind"] == "reply"]


def test_a_lone_digit_completing_a_temperature_is_parsed_with_it_inside(phone, patient, config, monkeypatch):
    phone.text("Temp 100.")
    calls = _recording_parse(monkeypatch)
    assert phone.text("7").status_code == 200
    assert ("temp 100.7", True) in calls and ("7", False) not in calls
    given = connect(config["database"]["path"]).execute(
        "SELECT temperature_given, temperature_unit FROM readings ORDER BY id DESC LIMIT 1").fetchone()
    assert (given["temperature_given"], given["temperature_unit"]) == (100.7, "F")
