"""The app sends the same reading again after a timeout (the answer was lost on the way back): the patient is shown
the first answer, whole, and the reading is stored once (CONTRACT section 5; SOP 5, Grade 1 Home, line 64: the first
fever's advice carries when to call the clinic urgently or go to the ED). A repeat never hides a red flag: once the
nurse has resolved the alert it raised, the same values again raise and page anew."""
from __future__ import annotations

from datetime import timedelta

from conftest import NURSES, START, auth, texts_to

from monitoring.clinic import open_clinic

FEVER = {"temperature": {"value": 38.6, "unit": "C"}}


def post_reading(client, token, body):
    response = client.post("/api/v1/me/readings", json=body, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def said(answer: dict) -> dict:
    """What the app shows: the assessment less next_acetaminophen_at, which is the answer's own "now" when a dose
    is allowed now (compared where a dose waits: test_a_fever_while_a_dose_waits_is_answered_again_with_its_time)."""
    return {key: value for key, value in answer["assessment"].items() if key != "next_acetaminophen_at"}


def stored(app) -> tuple[int, int]:
    """(readings, assessments) stored."""
    clinic = open_clinic(app.config["CRS"])
    try:
        return (clinic.db.execute("SELECT COUNT(*) FROM readings").fetchone()[0],
                clinic.db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0])
    finally:
        clinic.db.close()


def test_a_fever_sent_again_after_a_timeout_shows_the_first_answer_with_its_safety_net(app, client, patient, clock):
    token = patient["patient_token"]
    first = post_reading(client, token, FEVER)
    assert "reply_fever_safety_net" in first["assessment"]["instruction_keys"]
    clock.shift(timedelta(seconds=30))
    again = post_reading(client, token, FEVER)
    assert said(again) == said(first) and again["next_checkin_at"] == first["next_checkin_at"]
    assert stored(app) == (1, 1)


def test_a_repeat_with_its_own_time_is_the_same_reading(app, client, patient, clock):
    token = patient["patient_token"]
    body = {**FEVER, "spo2": 95, "symptoms": ["chills"], "taken_at": (START - timedelta(minutes=3)).isoformat()}
    first = post_reading(client, token, body)
    clock.shift(timedelta(seconds=45))
    assert said(post_reading(client, token, body)) == said(first)
    assert stored(app) == (1, 1)


def test_a_fever_while_a_dose_waits_is_answered_again_with_its_time(app, client, patient, clock):
    token = patient["patient_token"]
    client.post("/api/v1/me/medications", json={"name": "acetaminophen", "dose_mg": 1000}, headers=auth(token))
    clock.shift(timedelta(hours=2))
    first = post_reading(client, token, FEVER)
    assert first["assessment"]["next_acetaminophen_at"] is not None
    clock.shift(timedelta(seconds=20))
    assert post_reading(client, token, FEVER)["assessment"] == first["assessment"]


def test_other_values_or_a_later_measurement_are_new_readings(app, client, patient, clock):
    token = patient["patient_token"]
    post_reading(client, token, FEVER)
    clock.shift(timedelta(seconds=30))
    post_reading(client, token, {"temperature": {"value": 38.7, "unit": "C"}})
    clock.shift(timedelta(minutes=5))
    post_reading(client, token, {"temperature": {"value": 38.7, "unit": "C"}})
    assert stored(app) == (3, 3)


def test_the_same_low_oxygen_after_the_alert_was_resolved_pages_again(app, client, admin_token, patient, clock):
    token = patient["patient_token"]
    assert post_reading(client, token, {"spo2": 86})["assessment"]["level"] == "urgent"
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    resolved = client.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"note": "probe slipped"},
                           headers=auth(admin_token))
    assert resolved.status_code == 200
    clock.shift(timedelta(seconds=40))
    assert post_reading(client, token, {"spo2": 86})["assessment"]["level"] == "urgent"
    assert len(client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()) == 1  # a new open alert
    pages = [text for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert len(pages) == 2
