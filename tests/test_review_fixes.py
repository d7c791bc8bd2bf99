"""Rows for the defects a safety review found: each reproduces the report and checks the fix."""
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from conftest import AUTH_TOKEN, BASE_URL, NURSES, PATIENT_PHONE, START, auth, enroll, texts_to
from twilio.request_validator import RequestValidator

from monitoring.store import connect


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def last_reply(client, token, number=PATIENT_PHONE):
    return texts_to(client, token, number)[-1]["body"]


def open_alerts(client, token):
    return client.get("/api/v1/alerts", headers=auth(token)).get_json()


@pytest.mark.parametrize("body", [
    pytest.param("took tylenol, temp 101", id="dose-then-fever"),
    pytest.param("101.2 just took 2 tylenol", id="fever-then-dose"),
])
def test_a_dose_in_the_same_text_counts_before_the_fever_advice(client, admin_token, patient, clock, phone, body):
    at(clock, 5)
    phone.text(body)
    replies = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE) if m["kind"] == "reply"]
    assert not any("Take acetaminophen (Tylenol) 650-1000 mg by mouth now" in r for r in replies), replies
    assert any("Do not take more acetaminophen" in r for r in replies), replies


def test_short_patient_interval_is_refused(client, admin_token):
    response = client.post("/api/v1/patients", json={
        "name": "Pat", "phone": PATIENT_PHONE, "therapy": "x", "dose_given_at": START.isoformat(),
        "checkin_interval_minutes": 30}, headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == "checkin_interval_minutes"


def test_an_open_checkin_at_the_next_prompt_counts_as_missed(client, runner, admin_token, clock, config):
    enroll(client, admin_token, checkin_interval_minutes=50)
    runner.invoke(args=["tick"])
    for minute in (50, 100):  # each prompt re-sent while the last is open: two silences in a row
        at(clock, minute)
        runner.invoke(args=["tick"])
    assert [a["reasons"] for a in open_alerts(client, admin_token)] == [["missed_checkins"]]


def test_patient_text_about_actemra_never_blocks_staff_tocilizumab(client, admin_token, patient, clock, phone):
    at(clock, 5)
    phone.text("took actemra")  # whatever the parser makes of it, it is not a staff-given dose
    at(clock, 35)
    response = client.post(f"/api/v1/patients/{patient['id']}/medications",
                           json={"name": "tocilizumab", "weight_kg": 70}, headers=auth(admin_token))
    assert response.status_code == 201, response.get_json()


def status_callback(client, sid, status, code):
    params = {"MessageSid": sid, "MessageStatus": status, "ErrorCode": code}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/sms/status", params)
    return client.post("/sms/status", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)


def test_carrier_retryable_failure_is_sent_again(client, runner, admin_token, patient, clock, config):
    db = connect(config["database"]["path"])
    sid = db.execute("SELECT sid FROM messages WHERE kind = 'prompt'").fetchone()[0]
    status_callback(client, sid, "undelivered", "30008")
    assert db.execute("SELECT status FROM messages WHERE kind = 'prompt'").fetchone()[0] == "queued"
    at(clock, 3)
    runner.invoke(args=["tick"])
    row = db.execute("SELECT status, attempts FROM messages WHERE kind = 'prompt'").fetchone()
    assert tuple(row) == ("sent", 2)
    assert open_alerts(client, admin_token) == []


def test_a_symptom_only_text_keeps_the_hourly_pace_of_a_fever(client, admin_token, patient, clock, phone):
    at(clock, 5)
    phone.text("temp 101.5")
    at(clock, 15)
    phone.text("no dizziness or confusion")
    episode = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["episode"]
    assert episode["next_checkin_at"] == (START + timedelta(minutes=75)).astimezone(
        __import__("datetime").timezone.utc).isoformat()


@pytest.mark.parametrize("temperature, level", [
    pytest.param({"value": 101.5}, "home_care", id="no-unit-fahrenheit-by-range"),
    pytest.param({"value": 38.4}, "home_care", id="no-unit-celsius-by-range"),
    pytest.param({"value": 100.35, "unit": "F"}, "routine", id="100-35-f-is-below-the-sops-100-4"),
    pytest.param({"value": 100.4, "unit": "F"}, "home_care", id="100-4-f-is-a-fever"),
])
def test_app_temperature_is_read_as_a_text_would_be(client, patient, temperature, level):
    response = client.post("/api/v1/me/readings", json={"temperature": temperature},
                           headers=auth(patient["patient_token"]))
    assert response.status_code == 201 and response.get_json()["assessment"]["level"] == level


def test_app_and_text_agree_on_the_same_number(client, admin_token, patient, phone, clock):
    at(clock, 5)
    phone.text("100.35")
    by_text = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    client.post("/api/v1/me/readings", json={"temperature": {"value": 100.35, "unit": "F"}},
                headers=auth(patient["patient_token"]))
    by_app = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert by_app["readings"][0]["temperature_c"] == by_text["readings"][0]["temperature_c"]


def test_first_prompt_says_who_we_are_and_how_to_stop(client, admin_token, patient):
    first = texts_to(client, admin_token, PATIENT_PHONE)[0]
    assert first["kind"] == "prompt" and "HELP" in first["body"] and "STOP" in first["body"]
    assert "555" in first["body"]


def test_new_dose_keeps_the_patients_monitoring_length(client, admin_token):
    enrolled = enroll(client, admin_token, monitoring_hours=24)
    response = client.post(f"/api/v1/patients/{enrolled['id']}/doses",
                           json={"therapy": "step-up 2", "given_at": START.isoformat()}, headers=auth(admin_token))
    episode = response.get_json()["episode"]
    assert episode["ends_at"] == (START + timedelta(hours=24)).astimezone(
        __import__("datetime").timezone.utc).isoformat()


@pytest.mark.parametrize("body", [
    pytest.param("please call me I feel terrible", id="call-me"),
    pytest.param("me siento muy mal, llámenme", id="es-llamenme"),
])
def test_a_plea_for_a_person_reaches_the_nurse(client, admin_token, patient, clock, phone, body):
    at(clock, 5)
    phone.text(body)
    assert [a["reasons"] for a in open_alerts(client, admin_token)] == [["asks_for_call"]]
    assert texts_to(client, admin_token, NURSES[0])
    assert "nurse" in last_reply(client, admin_token).lower()


@pytest.mark.parametrize("body", ["I am short of breath", "cant breathe", "no puedo respirar"])
def test_breathlessness_is_urgent_and_names_the_clinic(client, admin_token, patient, clock, phone, body):
    at(clock, 5)
    phone.text(body)
    alerts = open_alerts(client, admin_token)
    assert [(a["level"], a["reasons"]) for a in alerts] == [("urgent", ["shortness_of_breath"])]
    assert "(555) 555-0100" in last_reply(client, admin_token)


@pytest.mark.parametrize("body, reason", [
    pytest.param("chest pain", "concerning_text", id="chest-pain"),
    pytest.param("me duele el pecho", "concerning_text", id="es-chest-pain"),
    pytest.param("I fell and hit my head", "concerning_text", id="fell"),
    pytest.param("vomiting all day cant keep fluids down", "concerning_text", id="fluids"),
])
def test_concerning_text_reaches_the_nurse(client, admin_token, patient, clock, phone, body, reason):
    at(clock, 5)
    phone.text(body)
    assert [a["reasons"] for a in open_alerts(client, admin_token)] == [[reason]]
    assert "nurse" in texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"].lower() or \
        "enfermera" in texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"].lower()


@pytest.mark.parametrize("body", ["bp 105/70", "pulse 130", "o2 95"])
def test_a_reading_without_temperature_is_not_told_no_fever(client, admin_token, patient, clock, phone, body):
    at(clock, 5)
    phone.text(body)
    reply = last_reply(client, admin_token)
    assert "No fever" not in reply and "temperature" in reply


def test_a_calm_reply_after_an_unacknowledged_red_flag_repeats_the_urgency(client, admin_token, patient, clock,
                                                                           phone):
    at(clock, 5)
    phone.text("o2 88")
    at(clock, 7)
    phone.text("101")
    bodies = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)][-2:]
    assert "acetaminophen" in bodies[0].lower()
    assert "urgent" in bodies[1].lower() or "needs care now" in bodies[1].lower()
    assert "(555) 555-0100" in bodies[1]


def test_a_flooding_patient_is_told_once_that_replies_are_paused(client, admin_token, patient, clock, phone):
    for second in range(25):
        clock.move_to(START + timedelta(minutes=5, seconds=second))
        phone.text("98.6")
    texts = texts_to(client, admin_token, PATIENT_PHONE)
    paused = [m for m in texts if "paused" in m["body"]]
    assert len(paused) == 1 and "(555) 555-0100" in paused[0]["body"]


@pytest.mark.parametrize("body, needle", [
    pytest.param("thanks", "Please reply with your temperature at each check-in", id="thanks"),
    pytest.param("ok 👍", "Please reply with your temperature at each check-in", id="ok-thumbs"),
    pytest.param("no fever", "send the number from your thermometer", id="no-fever-without-a-number"),
    pytest.param("asdfgh", "could not read that", id="gibberish-still-unreadable"),
])
def test_small_talk_gets_a_fitting_answer(client, admin_token, patient, clock, phone, body, needle):
    at(clock, 5)
    phone.text(body)
    assert needle in last_reply(client, admin_token)


@pytest.mark.parametrize("state", ["queued", "sending", "accepted"])
def test_a_late_interim_status_never_puts_a_sent_text_back_in_the_queue(client, runner, admin_token, patient, clock,
                                                                       config, state):
    db = connect(config["database"]["path"])
    sid = db.execute("SELECT sid FROM messages WHERE kind = 'prompt'").fetchone()[0]
    assert status_callback(client, sid, state, "").status_code == 200
    assert status_callback(client, sid, "delivered", "²").status_code == 200  # a non-ASCII digit is no code
    at(clock, 5)
    runner.invoke(args=["tick"])
    assert [tuple(r) for r in db.execute("SELECT status, attempts FROM messages WHERE kind = 'prompt'")] == [
        ("delivered", 1)]


@pytest.mark.parametrize("path, body, field", [
    pytest.param("/api/v1/grade", {"temperature_c": 10 ** 400, "vasopressors": 0, "oxygen": "none"},
                 "temperature_c", id="grade-huge-int"),
    pytest.param("/api/v1/grade", {"oxygen_lpm": 10 ** 400, "vasopressors": 0, "oxygen": "low_flow"},
                 "oxygen_lpm", id="grade-huge-lpm"),
    pytest.param("/api/v1/settings", {"thresholds.fever_c": 10 ** 400}, "thresholds.fever_c", id="settings-huge"),
])
def test_huge_numbers_are_a_400_naming_the_field(client, admin_token, path, body, field):
    method = client.put if path.endswith("settings") else client.post
    response = method(path, json=body, headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == field


def test_huge_reading_number_is_implausible_not_a_500(client, patient):
    response = client.post("/api/v1/me/readings", json={"systolic": 10 ** 400}, headers=auth(patient["patient_token"]))
    assert response.status_code == 201
    assert response.get_json()["assessment"]["reasons"] == ["implausible_reading"]
