"""Enrollment, doses and medications through the staff API (CONTRACT section 4)."""
import pytest
from conftest import PATIENT_PHONE, START, auth, enroll, texts_to


def test_enroll_returns_id_token_and_first_prompt_after_one_tick(client, runner, admin_token):
    enrolled = enroll(client, admin_token, phone="(555) 555-0199")
    assert isinstance(enrolled["id"], int) and enrolled["patient_token"].startswith("pt_")
    assert enrolled["phone"] == PATIENT_PHONE  # normalised to E.164
    assert texts_to(client, admin_token, PATIENT_PHONE) == []
    assert runner.invoke(args=["tick"]).exit_code == 0
    prompts = [m for m in texts_to(client, admin_token, PATIENT_PHONE) if m["kind"] == "prompt"]
    assert len(prompts) == 1 and prompts[0]["status"] == "sent"


@pytest.mark.parametrize("change, field", [
    pytest.param({"phone": "12345"}, "phone", id="phone-too-short"),
    pytest.param({"phone": "call me"}, "phone", id="phone-words"),
    pytest.param({"phone": None}, "phone", id="phone-missing"),
    pytest.param({"name": ""}, "name", id="name-empty"),
    pytest.param({"name": "Pat\x00Example"}, "name", id="name-control-character"),
    pytest.param({"language": "fr"}, "language", id="language-unknown"),
    pytest.param({"dose_given_at": "yesterday"}, "dose_given_at", id="dose-time-words"),
    pytest.param({"dose_given_at": "2026-03-03T10:00:00"}, "dose_given_at", id="dose-time-naive"),
    pytest.param({"dose_given_at": "2026-02-01T10:00:00-06:00"}, "dose_given_at", id="dose-monitoring-already-over"),
    pytest.param({"dose_given_at": "2026-03-09T10:00:00-06:00"}, "dose_given_at", id="dose-days-ahead"),
    pytest.param({"baseline_systolic": 400}, "baseline_systolic", id="baseline-sbp-out-of-range"),
    pytest.param({"baseline_spo2": 60}, "baseline_spo2", id="baseline-spo2-out-of-range"),
    pytest.param({"baseline_spo2": "95"}, "baseline_spo2", id="baseline-spo2-string"),
    pytest.param({"high_risk": "yes"}, "high_risk", id="high-risk-not-bool"),
    pytest.param({"risk_factors": "diabetes"}, "risk_factors", id="risk-factors-not-list"),
    pytest.param({"checkin_interval_minutes": 5}, "checkin_interval_minutes", id="interval-too-short"),
    pytest.param({"baseline_sbp": 120}, "baseline_sbp", id="unknown-field"),
])
def test_bad_enrollment_is_400_naming_the_field(client, admin_token, change, field):
    body = {"name": "Pat", "phone": PATIENT_PHONE, "language": "en", "therapy": "teclistamab",
            "dose_given_at": START.isoformat(), **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = client.post("/api/v1/patients", json=body, headers=auth(admin_token))
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_non_json_body_is_400(client, admin_token):
    response = client.post("/api/v1/patients", data="name=Pat", headers=auth(admin_token),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.get_json()["field"] == "body"


def test_second_active_episode_on_a_phone_is_409(client, admin_token):
    enroll(client, admin_token)
    response = client.post("/api/v1/patients", json={"name": "Other", "phone": PATIENT_PHONE, "therapy": "x",
                                                     "dose_given_at": START.isoformat()}, headers=auth(admin_token))
    assert response.status_code == 409 and response.get_json()["field"] == "phone"


def test_get_patient_shape(client, admin_token, patient, phone):
    phone.text("temp 100.9 bp 92/60 o2 95 hr 104")
    body = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert {"id", "name", "phone", "episode", "latest_assessment", "readings"} <= set(body)
    reading = body["readings"][0]
    assert set(reading) >= {"taken_at", "temperature_c", "systolic", "diastolic", "spo2", "heart_rate", "symptoms"}
    assert reading["temperature_c"] == pytest.approx(38.28, abs=0.05)
    assert (reading["systolic"], reading["diastolic"], reading["spo2"], reading["heart_rate"]) == (92, 60, 95, 104)
    assert reading["taken_at"].endswith("+00:00")
    assert body["latest_assessment"]["level"] == "home_care"


def test_unknown_patient_is_404(client, admin_token):
    response = client.get("/api/v1/patients/999", headers=auth(admin_token))
    assert response.status_code == 404 and "error" in response.get_json()


def test_new_dose_opens_a_new_episode(client, admin_token, patient, runner):
    first = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["episode"]
    response = client.post(f"/api/v1/patients/{patient['id']}/doses",
                           json={"therapy": "teclistamab step-up 2", "given_at": START.isoformat()},
                           headers=auth(admin_token))
    assert response.status_code == 201
    second = response.get_json()["episode"]
    assert second["id"] != first["id"] and second["therapy"] == "teclistamab step-up 2"
    assert second["status"] == "active"


def test_medications_and_tocilizumab_409(client, admin_token, patient):
    url = f"/api/v1/patients/{patient['id']}/medications"
    ok = client.post(url, json={"name": "tocilizumab", "weight_kg": 70}, headers=auth(admin_token))
    assert ok.status_code == 201 and ok.get_json()["dose_mg"] == 560
    refused = client.post(url, json={"name": "tocilizumab", "weight_kg": 70}, headers=auth(admin_token))
    assert refused.status_code == 409 and "8 hours" in refused.get_json()["error"]
    bad = client.post(url, json={"name": "aspirin"}, headers=auth(admin_token))
    assert bad.status_code == 400 and bad.get_json()["field"] == "name"
    bad = client.post(url, json={"name": "tocilizumab"}, headers=auth(admin_token))
    assert bad.status_code == 400 and bad.get_json()["field"] == "weight_kg"


@pytest.mark.parametrize("body, grade", [
    pytest.param({"temperature_c": 39.5, "vasopressors": 1, "oxygen": "low_flow", "oxygen_lpm": 2}, 3, id="sop-example-3"),
    pytest.param({"temperature_c": 38.6, "vasopressors": 0, "oxygen": "high_flow", "oxygen_lpm": 8}, 3, id="8-lpm-high"),
    pytest.param({"temperature_c": 38.6, "vasopressors": 0, "oxygen": "low_flow", "oxygen_lpm": 6}, 2, id="6-lpm-low"),
    pytest.param({"temperature_c": 37.0, "fever_masked": True, "vasopressors": 2, "oxygen": "none"}, 4, id="masked-4"),
    pytest.param({"temperature_c": 37.0, "vasopressors": 0, "oxygen": "low_flow", "oxygen_lpm": 2}, 0, id="no-fever-0"),
])
def test_grade_endpoint(client, admin_token, body, grade):
    response = client.post("/api/v1/grade", json=body, headers=auth(admin_token))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["grade"] == grade and isinstance(answer["management"], list)


@pytest.mark.parametrize("body, field", [
    pytest.param({"vasopressors": 3, "oxygen": "none"}, "vasopressors", id="vasopressors-3"),
    pytest.param({"vasopressors": 0, "oxygen": "tent"}, "oxygen", id="oxygen-unknown"),
    pytest.param({"vasopressors": 0, "oxygen": "none", "hypotension": "yes"}, "hypotension", id="flag-not-bool"),
    pytest.param({"vasopressors": 0, "oxygen": "none", "temperature_c": 90}, "temperature_c", id="temp-out-of-range"),
])
def test_grade_bad_input_is_400(client, admin_token, body, field):
    response = client.post("/api/v1/grade", json=body, headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == field


def test_mrn_and_birth_date_are_stored_and_returned(client, admin_token):
    enrolled = enroll(client, admin_token, mrn=" MRN-00417 ", birth_date="1956-04-17")
    body = client.get(f"/api/v1/patients/{enrolled['id']}", headers=auth(admin_token)).get_json()
    assert (body["mrn"], body["birth_date"]) == ("MRN-00417", "1956-04-17")


def test_mrn_and_birth_date_are_optional(client, admin_token):
    enrolled = enroll(client, admin_token)
    assert (enrolled["mrn"], enrolled["birth_date"]) == (None, None)
    other = enroll(client, admin_token, phone="+15555550188", mrn="", birth_date="")
    assert (other["mrn"], other["birth_date"]) == (None, None)  # blank form fields are absent, not duplicates


@pytest.mark.parametrize("change", [
    pytest.param({"mrn": "MRN 417"}, id="mrn-space"),
    pytest.param({"mrn": "x" * 41}, id="mrn-too-long"),
    pytest.param({"mrn": 417}, id="mrn-number"),
    pytest.param({"mrn": "-417"}, id="mrn-leading-separator"),
    pytest.param({"birth_date": "04/17/1956"}, id="birth-date-us-order"),
    pytest.param({"birth_date": "19560417"}, id="birth-date-compact"),
    pytest.param({"birth_date": "1956-02-30"}, id="birth-date-not-on-calendar"),
    pytest.param({"birth_date": "2026-03-04"}, id="birth-date-future"),
    pytest.param({"birth_date": "1899-12-31"}, id="birth-date-before-1900"),
    pytest.param({"birth_date": 1956}, id="birth-date-number"),
])
def test_bad_mrn_or_birth_date_is_400_naming_it(client, admin_token, change):
    body = {"name": "Pat", "phone": PATIENT_PHONE, "therapy": "teclistamab", "dose_given_at": START.isoformat(),
            **change}
    response = client.post("/api/v1/patients", json=body, headers=auth(admin_token))
    assert response.status_code == 400
    assert response.get_json()["field"] == next(iter(change))
    assert client.get("/api/v1/patients?all=1", headers=auth(admin_token)).get_json() == []


def test_an_mrn_belongs_to_one_patient(client, admin_token):
    first = enroll(client, admin_token, mrn="A100")
    response = client.post("/api/v1/patients", headers=auth(admin_token), json={
        "name": "Pat Other", "phone": "+15555550188", "therapy": "teclistamab", "mrn": "A100",
        "dose_given_at": START.isoformat()})
    assert response.status_code == 409 and response.get_json()["field"] == "mrn"
    assert f"patient {first['id']}" in response.get_json()["error"]
    assert len(client.get("/api/v1/patients?all=1", headers=auth(admin_token)).get_json()) == 1


def test_mrn_and_birth_date_never_reach_a_text(client, admin_token, runner, phone):
    enroll(client, admin_token, mrn="ZX9301", birth_date="1961-08-23")
    runner.invoke(args=["tick"])
    phone.text("temp 39.4 bp 84/50 o2 85 confused")
    runner.invoke(args=["tick"])
    bodies = [m["body"] for m in client.get("/api/v1/messages", headers=auth(admin_token)).get_json()]
    assert any(m for m in bodies if "URGENT" in m.upper()), bodies  # the nurse was paged
    for body in bodies:
        assert "ZX9301" not in body and "1961" not in body and "08/23" not in body and "8/23" not in body
