"""Abuse and faults: a flooding number, oversized bodies, a database locked by another process."""
import sqlite3
from datetime import timedelta

from conftest import PATIENT_PHONE, START, auth, enroll, texts_to

from monitoring.store import connect


def test_flood_from_one_number_does_not_starve_the_others(client, runner, admin_token, patient, clock, phone,
                                                          config):
    other = enroll(client, admin_token, name="Other Patient", phone="+15555550188")
    for second in range(40):
        clock.move_to(START + timedelta(minutes=5, seconds=second))
        assert phone.text(f"98.{second % 10}").status_code == 200  # every text is taken
    db = connect(config["database"]["path"])

    def processed():
        return db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND from_number = ? "
                          "AND processed_at IS NOT NULL", [PATIENT_PHONE]).fetchone()[0]

    assert processed() == 30  # INBOUND_BURST a minute at once; the rest stored, deferred
    replies = [m for m in texts_to(client, admin_token, PATIENT_PHONE) if m["kind"] == "reply"]
    assert len(replies) == 20  # REPLY_BUDGET in ten minutes, then silence to this number
    phone.text("98.6", sender="+15555550188")  # another patient in the middle of the flood: answered at once
    assert [m["kind"] for m in texts_to(client, admin_token, "+15555550188")][-1] == "reply"
    phone.text("o2 85")  # a red flag inside the flood is triaged and pages on arrival (issue 11.6)
    assert [a["reasons"] for a in client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()] == [["hypoxia"]]
    runner.invoke(args=["tick"])
    runner.invoke(args=["tick"])
    assert processed() == 41  # never lost: worked off PENDING_PER_SENDER a pass
    assert [a["reasons"] for a in client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()] == [["hypoxia"]]
    assert "555" in texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"]  # the urgent reply still goes
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    hypoxic = [reading for reading in readings if reading["spo2"] == 85]
    assert len(hypoxic) == 1 and hypoxic[0]["taken_at"].startswith("2026-03-03T16:05:39")  # when it arrived
    assert other["id"] != patient["id"]


def test_oversized_body_is_413(client, admin_token):
    response = client.post("/api/v1/patients", data="x" * (200 * 1024), headers=auth(admin_token),
                           content_type="application/json")
    assert response.status_code == 413 and "too large" in response.get_json()["error"]


def test_locked_database_gives_503_then_the_retry_is_stored(client, admin_token, patient, phone, config, monkeypatch):
    from monitoring import store
    from web.context import forget_connections

    monkeypatch.setattr(store, "WEB_BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(store, "WEB_WRITE_BUDGET_SECONDS", 0.5)
    forget_connections()  # the kept connection was opened with the normal timeout
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    holder = sqlite3.connect(config["database"]["path"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        response = phone.text("o2 85", sid="SM" + "9" * 32)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "busy" in response.get_json()["error"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        forget_connections()
    assert phone.text("o2 85", sid="SM" + "9" * 32).status_code == 200  # Twilio's retry is taken
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
