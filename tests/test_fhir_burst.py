"""A continuous thermometer posts a reading a minute for two hours, a fever from minute 30.

Who is told what (SOP 5, Grade 1 Home; CONTRACT section 6):
- an ordinary patient: fever alone is home care, so no alert and no page; the patient gets the fever advice
  (acetaminophen now, fluids, recheck) once, not ninety, and the device's readings answer no check-in: the
  patient is still asked how they feel, at the febrile pace;
- a high-risk patient: fever is urgent ("immediate in-person evaluation"): one alert, one page to the first
  person on call, and one text to the patient (call the clinic now);
- a patient who took acetaminophen at minute 20: the fever from minute 30 is still the dose's first hour
  (home care, "do not take more yet"); from minute 80, an hour after the dose and within its 6 h interval,
  it is recurrent fever (consider dexamethasone): one clinician_review alert, one page, and the patient is told
  the nurse will call and when the next dose is allowed, timed by the readings' own times even when the
  whole two hours arrive in one Bundle at the end.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import NURSES, PATIENT_PHONE, START, auth, enroll, texts_to
from fhirkit import add_device, observation, post, transaction, valid

from messages.texts import render
from monitoring.clinic import open_clinic

MINUTES = 120
FEVER_FROM = 30


def temperature(minute: int) -> float:
    """37.0-37.4 C before minute 30; 38.1-38.7 C from then on (a fever by the SOP's 38.0 C line)."""
    return 37.0 + (minute % 5) / 10 if minute < FEVER_FROM else 38.1 + (minute % 7) / 10


def readings(start=START) -> list[dict]:
    return [observation("temp", temperature(minute), start + timedelta(minutes=minute)) for minute in range(MINUTES)]


def assessed(app) -> list[tuple[int, str, list[str]]]:
    """(minute of the reading, level, reasons) for every device reading, in reading time."""
    clinic = open_clinic(app.config["CRS"])
    try:
        rows = clinic.db.execute(
            "SELECT r.taken_at, a.level, a.reasons FROM assessments a JOIN readings r ON r.id = a.reading_id "
            "WHERE r.source = 'device' ORDER BY r.taken_at").fetchall()
    finally:
        clinic.db.close()
    from monitoring.store import from_text
    return [(round((from_text(row["taken_at"]) - START).total_seconds() / 60), row["level"], json.loads(row["reasons"]))
            for row in rows]


def alerts(client, token) -> list[dict]:
    return client.get("/api/v1/alerts", query_string={"status": "all"}, headers=auth(token)).get_json()


def advice(key: str, **values) -> str:
    return render(key, "en", clinic_name="Test Cancer Center", clinic_phone="(555) 555-0100", **values)


def post_minute_by_minute(client, device, clock, runner) -> None:
    for minute, resource in enumerate(readings()):
        response = post(client, device, resource)
        assert response.status_code == 201, response.get_json()
        if minute % 10 == 9:
            runner.invoke(args=["tick"])
        clock.shift(timedelta(minutes=1))


@pytest.mark.parametrize("delivery", ["minute-by-minute", "one-bundle-at-the-end"])
def test_fever_run_tells_the_patient_once_and_raises_no_alert(app, client, runner, admin_token, patient, clock,
                                                              delivery):
    device = add_device(runner, "Patch thermometer", patient["id"])
    after_prompt = texts_to(client, admin_token, PATIENT_PHONE)[-1]["id"]
    if delivery == "minute-by-minute":
        post_minute_by_minute(client, device, clock, runner)
    else:
        clock.shift(timedelta(minutes=MINUTES))
        response = post(client, device, transaction(readings()), "/fhir/r4")
        bundle = valid(response.get_json())
        assert [entry["response"]["status"] for entry in bundle["entry"]] == ["201 Created"] * MINUTES
    runner.invoke(args=["tick"])

    told = texts_to(client, admin_token, PATIENT_PHONE, after_prompt)
    assert [text["body"] for text in told if text["kind"] == "reply"] == [advice("reply_fever_home_care")]
    # a device's readings answer no check-in (care.keep_checkin_pace): the patient who has not answered the first
    # prompt is reminded, and asked how they feel (what no device reads: confusion, weakness, dizziness) at the
    # febrile pace the fever set; before, the readings answered each check-in and the patient was never asked.
    # Minute by minute, the fever at 30 comes while the first prompt is still unanswered and brings the next
    # forward to 90 (febrile_interval_minutes), asked at the tick at 99 and reminded at 109, not left at 120
    asked = ["reminder", "reply", "prompt", "reminder"] if delivery == "minute-by-minute" else ["reply", "prompt"]
    assert [text["kind"] for text in told] == asked
    assert alerts(client, admin_token) == []
    assert all(texts_to(client, admin_token, nurse) == [] for nurse in NURSES)
    levels = assessed(app)
    assert len(levels) == MINUTES
    assert {level for minute, level, _ in levels if minute < FEVER_FROM} == {"routine"}
    assert {(level, tuple(reasons)) for minute, level, reasons in levels if minute >= FEVER_FROM} == {
        ("home_care", ("fever",))}


def test_high_risk_fever_run_raises_one_alert_and_one_page(app, client, runner, admin_token, clock):
    patient = enroll(client, admin_token, high_risk=True)
    device = add_device(runner, "Patch thermometer", patient["id"])
    for resource in readings():
        assert post(client, device, resource).status_code == 201
        clock.shift(timedelta(minutes=1))
    (alert,) = alerts(client, admin_token)
    assert (alert["level"], alert["reasons"], alert["status"]) == ("urgent", ["high_risk_fever"], "open")
    pages = [text for nurse in NURSES for text in texts_to(client, admin_token, nurse)]
    assert [(page["to"], page["kind"]) for page in pages] == [(NURSES[0], "alert")]
    told = [text["body"] for text in texts_to(client, admin_token, PATIENT_PHONE)]
    assert told == [advice("reply_urgent_in_hours")]


def test_acetaminophen_rules_run_on_the_readings_own_times(app, client, runner, admin_token, patient, clock):
    device = add_device(runner, "Patch thermometer", patient["id"])
    after_prompt = texts_to(client, admin_token, PATIENT_PHONE)[-1]["id"]
    clock.shift(timedelta(minutes=20))
    dose = {"name": "acetaminophen", "dose_mg": 1000}
    assert client.post("/api/v1/me/medications", json=dose, headers=auth(patient["patient_token"])).status_code == 201
    clock.shift(timedelta(minutes=MINUTES - 20))
    response = post(client, device, transaction(readings()), "/fhir/r4")
    assert response.status_code == 200

    levels = {minute: (level, reasons) for minute, level, reasons in assessed(app)}
    # SOP 5 Grade 1: fever sooner than the acetaminophen interval after a dose is recurrent; within the dose's
    # first hour it is the fever the dose is still treating (triage.episode.ACETAMINOPHEN_ONSET).
    assert levels[79] == ("home_care", ["fever"])
    assert levels[80] == ("clinician_review", ["recurrent_fever", "fever"])
    assert {levels[m][0] for m in range(FEVER_FROM, 80)} == {"home_care"}
    assert {levels[m][0] for m in range(80, MINUTES)} == {"clinician_review"}
    (alert,) = alerts(client, admin_token)
    assert (alert["level"], alert["reasons"]) == ("clinician_review", ["recurrent_fever"])
    pages = [text for nurse in NURSES for text in texts_to(client, admin_token, nurse)]
    assert [page["to"] for page in pages] == [NURSES[0]]
    told = [text["body"] for text in texts_to(client, admin_token, PATIENT_PHONE, after_prompt)]
    print("TOLD", [(t["created_at"], t["kind"], t["body"][:40]) for t in texts_to(client, admin_token, PATIENT_PHONE)])
    assert told == [advice("reply_clinician_review"), advice("reply_fever_wait", next_dose_time="4:20 PM")]


def test_protracted_fever_is_timed_by_the_readings_not_the_post(app, client, runner, admin_token, patient, clock):
    """SOP 5 Grade 1 Additional: fever > 48 h despite corticosteroids. Hourly readings over 50 hours arrive in one
    Bundle at hour 51; only a reading taken more than 48 h after the fever run met the steroid (the run starts at
    0:01, the dose at 0:00) is protracted: the one at 49:01, not the one at exactly 48:01."""
    device = add_device(runner, "Patch thermometer", patient["id"])
    assert client.post(f"/api/v1/patients/{patient['id']}/medications", json={"name": "dexamethasone", "dose_mg": 10},
                       headers=auth(admin_token)).status_code == 201
    hourly = [observation("temp", 38.4, START + timedelta(hours=hour, minutes=1)) for hour in range(50)]
    clock.shift(timedelta(hours=51))
    assert post(client, device, transaction(hourly), "/fhir/r4").status_code == 200
    protracted = [minute // 60 for minute, _, reasons in assessed(app) if "protracted_fever" in reasons]
    assert protracted == [49]
    (alert,) = alerts(client, admin_token)
    assert set(alert["reasons"]) == {"persistent_fever", "protracted_fever"}
