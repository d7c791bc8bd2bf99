"""The app sends the same reading again after a timeout (the answer was lost on the way back): the patient is shown
the first answer, whole, and the reading is stored once (CONTRACT section 5; SOP 5, Grade 1 Home, line 64: the first
fever's advice carries when to call the clinic urgently or go to the ED). A repeat never hides a red flag: once the
nurse has resolved the alert it raised, the same values again raise and page anew."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


DOSE = {"name": "acetaminophen", "dose_mg": 1000}


def post_dose(client, token, key: str | None, body=None):
    headers = {**auth(token), **({"Idempotency-Key": key} if key is not None else {})}
    return client.post("/api/v1/me/medications", json=body or DOSE, headers=headers)


def doses(app) -> int:
    clinic = open_clinic(app.config["CRS"])
    try:
        return clinic.db.execute("SELECT COUNT(*) FROM medications").fetchone()[0]
    finally:
        clinic.db.close()


def test_a_dose_sent_again_with_its_idempotency_key_is_one_dose_and_the_first_answer(app, client, patient, clock):
    """The app reports acetaminophen, the answer is lost on the way back, and the app sends the report again with
    the same Idempotency-Key: counted twice, the dose taken once made the next report "too soon" and doubled the
    24 h total (SOP 5 Grade 1 Home, line 64: 650-1000 mg, can repeat >= 6-8 h later). The retry gets the first
    answer, says it is one (Idempotent-Replayed), and no second dose is stored; a dose reported with a new key 7
    hours later is a second dose, allowed."""
    token = patient["patient_token"]
    first = post_dose(client, token, "3f0c9b1e-7a52-4c59-9f0e-5d7c1a2b4e60")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    clock.shift(timedelta(seconds=40))
    again = post_dose(client, token, "3f0c9b1e-7a52-4c59-9f0e-5d7c1a2b4e60")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert doses(app) == 1
    clock.shift(timedelta(hours=7))
    later = post_dose(client, token, "9b7e2f44-1c3d-4e5f-8a9b-0c1d2e3f4a5b")
    assert later.status_code == 201 and doses(app) == 2
    assert later.get_json()["assessment"]["reasons"] == first.get_json()["assessment"]["reasons"]  # not too soon


def test_a_new_dose_under_the_key_of_another_report_is_refused_and_nothing_is_stored(app, client, patient, clock):
    """A key sent again with another body (an app that reuses its keys) would answer a new report with the old
    report's advice: 422 naming the header, nothing stored; the same key on a reading is another request too."""
    token = patient["patient_token"]
    assert post_dose(client, token, "key-1").status_code == 201
    refused = post_dose(client, token, "key-1", {"name": "acetaminophen", "dose_mg": 650})
    assert refused.status_code == 422 and refused.get_json()["field"] == "Idempotency-Key"
    reading = client.post("/api/v1/me/readings", json=FEVER, headers={**auth(token), "Idempotency-Key": "key-1"})
    assert reading.status_code == 422
    assert doses(app) == 1 and stored(app) == (0, 0)


def test_a_reading_retried_with_its_key_after_a_dose_is_still_the_first_reading(app, client, patient, clock):
    """Without a key a repeat is recognised by its values only while nothing was recorded since (a dose changes the
    advice); with the app's key the retry is known for what it is whatever came between: the first reading, stored
    once, its level, reasons and first fever's safety net; but its acetaminophen advice is as of the dose reported
    since. Replayed whole, "Take 650-1000 mg of acetaminophen (Tylenol) now" came a minute after 1000 mg was
    reported (SOP 5 Grade 1 Home, line 64: can repeat >= 6-8 h later), and next_checkin_at was the one the dose's
    answer had moved."""
    token = patient["patient_token"]
    headers = {**auth(token), "Idempotency-Key": "reading-1"}
    first = client.post("/api/v1/me/readings", json=FEVER, headers=headers)
    assert first.status_code == 201
    assert first.get_json()["assessment"]["instruction_keys"] == ["reply_fever_home_care", "reply_fever_safety_net"]
    clock.shift(timedelta(minutes=1))
    dose = post_dose(client, token, "dose-1").get_json()
    clock.shift(timedelta(minutes=2))
    again = client.post("/api/v1/me/readings", json=FEVER, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert stored(app)[0] == 1
    kept, now = first.get_json()["assessment"], again.get_json()["assessment"]
    assert (now["level"], now["reasons"]) == (kept["level"], kept["reasons"])
    assert now["instruction_keys"] == ["reply_fever_wait", "reply_fever_safety_net"]
    assert "Do not take more acetaminophen" in now["instructions"][0]
    assert not any("now:" in text for text in now["instructions"])
    assert now["instructions"][1] == kept["instructions"][1]  # the first fever's safety net, still with it
    assert now["next_acetaminophen_at"] == dose["assessment"]["next_acetaminophen_at"]
    assert again.get_json()["next_checkin_at"] == dose["next_checkin_at"]


def test_a_dose_retried_with_its_key_after_another_dose_says_when_the_next_is_allowed_now(app, client, patient, clock):
    """A dose's answer ("if you have a fever at 4:01 PM or later, you may take more") replayed after a later dose
    was reported would allow a dose the later one forbids: the time is worked out again with every dose reported."""
    token = patient["patient_token"]
    first = post_dose(client, token, "dose-1").get_json()
    clock.shift(timedelta(hours=7))
    later = post_dose(client, token, "dose-2").get_json()
    clock.shift(timedelta(minutes=1))
    again = post_dose(client, token, "dose-1")
    assert again.headers["Idempotent-Replayed"] == "true" and doses(app) == 2
    answer = again.get_json()["assessment"]
    assert answer["next_acetaminophen_at"] == later["assessment"]["next_acetaminophen_at"]
    assert answer["next_acetaminophen_at"] != first["assessment"]["next_acetaminophen_at"]
    assert answer["instruction_keys"] == first["assessment"]["instruction_keys"]


def test_a_retry_whose_numbers_are_written_otherwise_is_the_same_report(app, client, patient, clock):
    """An app that serialises its report again for the retry may write 1000 as 1000.0 (or key order, spacing
    otherwise): the same dose, not "another report" refused with 422."""
    token = patient["patient_token"]
    assert post_dose(client, token, "dose-1", {"name": "acetaminophen", "dose_mg": 1000}).status_code == 201
    clock.shift(timedelta(seconds=30))
    again = client.post("/api/v1/me/medications", data='{ "dose_mg" : 1000.0,"name":"acetaminophen" }',
                        content_type="application/json", headers={**auth(token), "Idempotency-Key": "dose-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert doses(app) == 1
    headers = {**auth(token), "Idempotency-Key": "reading-1"}
    assert client.post("/api/v1/me/readings", json={"temperature": {"value": 38, "unit": "C"}},
                       headers=headers).status_code == 201
    assert client.post("/api/v1/me/readings", json={"temperature": {"value": 38.0, "unit": "C"}},
                       headers=headers).headers["Idempotent-Replayed"] == "true"
    assert stored(app)[0] == 1


def test_keys_are_each_patient_s_own_and_kept_a_day(app, client, admin_token, patient, clock):
    """Another patient's app may make the same key: it is theirs. A key older than IDEMPOTENCY_KEEP (24 h) is a new
    report."""
    from conftest import enroll

    other = enroll(client, admin_token, name="Other Example", phone="+15555550177")
    assert post_dose(client, patient["patient_token"], "same").status_code == 201
    assert post_dose(client, other["patient_token"], "same").headers.get("Idempotent-Replayed") is None
    assert doses(app) == 2
    clock.shift(timedelta(hours=25))
    assert post_dose(client, patient["patient_token"], "same").headers.get("Idempotent-Replayed") is None
    assert doses(app) == 3
    clinic = open_clinic(app.config["CRS"])
    try:  # the other patient's day-old key (their monitoring may have ended) went with that report
        assert [tuple(row) for row in clinic.db.execute(
            "SELECT patient_id, idempotency_key FROM idempotency_keys")] == [(patient["id"], "same")]
    finally:
        clinic.db.close()


def test_a_malformed_idempotency_key_is_a_400_naming_it_and_nothing_is_stored(app, client, patient, clock):
    token = patient["patient_token"]
    for key in ("", "   ", "x" * 256, "clé-1", "two words"):
        response = post_dose(client, token, key)
        assert response.status_code == 400, key
        assert response.get_json()["field"] == "Idempotency-Key"
    assert doses(app) == 0
    assert post_dose(client, token, '"quoted-key"').status_code == 201  # a Structured Field string: quotes taken off
    assert post_dose(client, token, "quoted-key").headers["Idempotent-Replayed"] == "true"


def test_a_key_from_the_monitoring_before_the_new_step_up_dose_is_a_new_report(app, client, admin_token, patient,
                                                                               clock):
    """Episodes are separate monitoring windows: a report of the new one under a key the app sent in the one before
    (keys numbered per episode, an app reinstalled) is no retry of it. Replayed, the new episode's low oxygen was
    answered with the old reading's advice, never recorded nor triaged, and no nurse was paged."""
    token = patient["patient_token"]
    headers = {**auth(token), "Idempotency-Key": "reading-1"}
    assert client.post("/api/v1/me/readings", json={"spo2": 86}, headers=headers).status_code == 201
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert client.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"note": "probe slipped"},
                       headers=auth(admin_token)).status_code == 200
    clock.shift(timedelta(hours=3))
    dose = client.post(f"/api/v1/patients/{patient['id']}/doses", headers=auth(admin_token),
                       json={"therapy": "teclistamab step-up 2", "given_at": (START + timedelta(hours=3)).isoformat()})
    assert dose.status_code == 201
    clock.shift(timedelta(minutes=30))
    again = client.post("/api/v1/me/readings", json={"spo2": 86}, headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.get_json()["assessment"]["level"] == "urgent"
    assert stored(app)[0] == 2
    assert len(client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()) == 1  # a new open alert
    pages = [text for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert len(pages) == 2
    retried = client.post("/api/v1/me/readings", json={"spo2": 86}, headers=headers)  # its own retry: replayed
    assert retried.headers["Idempotent-Replayed"] == "true" and stored(app)[0] == 2


def test_a_report_retried_with_its_key_after_monitoring_ended_is_refused_as_a_new_one_is(app, client, admin_token,
                                                                                       patient, clock):
    """Staff ended the monitoring (the patient was admitted) between a report and its retry: replayed, the kept fever
    answer ("check your temperature again in 1 hour", a next_checkin_at) told the patient to go on reporting when no
    check-in will come and no report is taken. The retry is answered as a new report at that moment is: 409 naming
    the episode ("monitoring has ended for you; call the clinic"), nothing stored."""
    token = patient["patient_token"]
    headers = {**auth(token), "Idempotency-Key": "reading-1"}
    assert client.post("/api/v1/me/readings", json=FEVER, headers=headers).status_code == 201
    assert post_dose(client, token, "dose-1").status_code == 201
    clock.shift(timedelta(minutes=10))
    ended = client.post(f"/api/v1/patients/{patient['id']}/end", json={"reason": "admitted for CRS"},
                        headers=auth(admin_token))
    assert ended.status_code == 200
    clock.shift(timedelta(minutes=1))
    new = client.post("/api/v1/me/readings", json=FEVER, headers={**auth(token), "Idempotency-Key": "reading-2"})
    assert new.status_code == 409 and new.get_json()["field"] == "episode"
    for retried in (client.post("/api/v1/me/readings", json=FEVER, headers=headers), post_dose(client, token, "dose-1")):
        assert retried.status_code == 409 and "Idempotent-Replayed" not in retried.headers
        assert retried.get_json() == new.get_json()
    assert stored(app) == (1, 1) and doses(app) == 1


def local_time(text: str) -> str:
    """An answer's time as the patient's texts say it: the clinic's clock (America/Chicago), "3:45 PM"."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).astimezone(ZoneInfo("America/Chicago")).strftime("%-I:%M %p")


def test_a_retry_says_the_next_check_in_its_next_checkin_at_gives(app, client, patient, clock):
    """A report since the first moved the next check-in: the retry's next_checkin_at was the moved one while its text
    still said the first answer's time ("Next check-in at 12:00 PM" beside 12:30 PM). Its instructions are said
    again with the schedule it carries."""
    token = patient["patient_token"]
    headers = {**auth(token), "Idempotency-Key": "reading-1"}
    first = client.post("/api/v1/me/readings", json={"temperature": {"value": 37.0, "unit": "C"}}, headers=headers)
    assert first.status_code == 201 and first.get_json()["assessment"]["instruction_keys"] == ["reply_routine"]
    clock.shift(timedelta(minutes=30))
    moved = post_reading(client, token, {"temperature": {"value": 37.1, "unit": "C"}})
    assert moved["next_checkin_at"] != first.get_json()["next_checkin_at"]
    clock.shift(timedelta(minutes=1))
    again = client.post("/api/v1/me/readings", json={"temperature": {"value": 37.0, "unit": "C"}}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and stored(app)[0] == 2
    answer = again.get_json()
    assert answer["next_checkin_at"] == moved["next_checkin_at"]
    assert answer["assessment"]["instruction_keys"] == ["reply_routine"]
    assert f"Next check-in at {local_time(moved['next_checkin_at'])}." in answer["assessment"]["instructions"][0]
    assert answer["assessment"]["instructions"] == moved["assessment"]["instructions"]


def test_a_retry_after_midnight_says_a_dose_time_as_today_s(app, client, patient, clock):
    """A fever at 11:30 PM, 50 minutes after a dose (the dose still working: no recurrent fever): "Do not take more
    acetaminophen until 4:40 AM tomorrow". Retried at 12:10 AM, that "tomorrow" is the day after: the kept time is said
    again as of the retry, "until 4:40 AM", and is still the first answer's (no dose since: SOP 5 Grade 1 Home, line
    64, >= 6 h after the 10:40 PM dose)."""
    token = patient["patient_token"]
    clock.move_to(START.replace(hour=22, minute=40))
    assert post_dose(client, token, "dose-1").status_code == 201
    clock.shift(timedelta(minutes=50))
    headers = {**auth(token), "Idempotency-Key": "reading-1"}
    first = client.post("/api/v1/me/readings", json=FEVER, headers=headers).get_json()["assessment"]
    assert first["instruction_keys"][0] == "reply_fever_wait"
    assert "until 4:40 AM tomorrow." in first["instructions"][0]
    clock.shift(timedelta(minutes=40))
    again = client.post("/api/v1/me/readings", json=FEVER, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and stored(app)[0] == 1
    answer = again.get_json()["assessment"]
    assert answer["instruction_keys"] == first["instruction_keys"]
    assert answer["next_acetaminophen_at"] == first["next_acetaminophen_at"]
    assert "until 4:40 AM." in answer["instructions"][0]
    assert answer["instructions"][1:] == first["instructions"][1:]


def test_a_retry_whose_time_or_symptoms_are_written_otherwise_is_the_same_report(app, client, patient, clock):
    """An app that serialises its report again for the retry may write taken_at with "Z" or "+00:00" (or the
    clinic's offset) for the same instant, and list the symptoms in another order: the same report, answered with
    its first answer and stored once, not "another report" refused with 422."""
    token = patient["patient_token"]
    utc = (START - timedelta(minutes=4)).astimezone(UTC)
    dose = {"name": "acetaminophen", "dose_mg": 1000, "taken_at": utc.isoformat().replace("+00:00", "Z")}
    assert post_dose(client, token, "dose-1", dose).status_code == 201
    clock.shift(timedelta(seconds=30))
    for written in (utc.isoformat(), (START - timedelta(minutes=4)).isoformat()):
        again = post_dose(client, token, "dose-1", {**dose, "taken_at": written})
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true", written
    assert doses(app) == 1
    headers = {**auth(token), "Idempotency-Key": "reading-1"}
    reading = {**FEVER, "symptoms": ["chills", "headache"], "taken_at": utc.isoformat().replace("+00:00", "Z")}
    assert client.post("/api/v1/me/readings", json=reading, headers=headers).status_code == 201
    again = client.post("/api/v1/me/readings", headers=headers,
                        json={**reading, "symptoms": ["headache", "chills"], "taken_at": utc.isoformat()})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert stored(app)[0] == 1
    other = client.post("/api/v1/me/readings", headers=headers,
                        json={**reading, "taken_at": (utc + timedelta(minutes=1)).isoformat()})
    assert other.status_code == 422 and other.get_json()["field"] == "Idempotency-Key"  # another instant: another report
