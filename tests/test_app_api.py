"""The patient app API (CONTRACT section 5): same triage as a text, own data only."""
import pytest
from conftest import NURSES, auth, enroll, texts_to


def post_reading(client, token, body):
    return client.post("/api/v1/me/readings", json=body, headers=auth(token))


def test_app_fever_is_home_care(client, patient):
    response = post_reading(client, patient["patient_token"], {"temperature": {"value": 38.6, "unit": "C"}})
    assert response.status_code == 201
    assessment = response.get_json()["assessment"]
    assert assessment["level"] == "home_care" and "fever" in assessment["reasons"]
    assert any("acetaminophen" in text.lower() for text in assessment["instructions"])


def test_app_fahrenheit_is_converted(client, admin_token, patient):
    post_reading(client, patient["patient_token"], {"temperature": {"value": 100.4, "unit": "F"}})
    reading = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"][0]
    assert reading["temperature_c"] == pytest.approx(38.0, abs=0.01)


def test_app_hypoxia_pages_the_nurse(client, admin_token, patient):
    response = post_reading(client, patient["patient_token"], {"spo2": 87, "symptoms": ["dizziness"]})
    assessment = response.get_json()["assessment"]
    assert assessment["level"] == "urgent" and {"hypoxia", "dizziness"} <= set(assessment["reasons"])
    assert texts_to(client, admin_token, NURSES[0])


def test_app_implausible_value_asks_again(client, patient):
    response = post_reading(client, patient["patient_token"], {"temperature": {"value": 1000, "unit": "F"}})
    assessment = response.get_json()["assessment"]
    assert assessment["reasons"] == ["implausible_reading"] and assessment["level"] == "routine"


@pytest.mark.parametrize("body, field", [
    pytest.param({"temperature": {"value": "hot", "unit": "C"}}, "temperature.value", id="temp-not-number"),
    pytest.param({"temperature": {"value": 38, "unit": "K"}}, "temperature.unit", id="temp-unit"),
    pytest.param({"temperature": 38}, "temperature", id="temp-not-object"),
    pytest.param({"spo2": "ok"}, "spo2", id="spo2-not-number"),
    pytest.param({"symptoms": ["sneezing"]}, "symptoms", id="symptom-unknown"),
    pytest.param({}, "body", id="empty"),
    pytest.param({"temperature": {"value": 38, "unit": "C"}, "taken_at": "soon"}, "taken_at", id="bad-time"),
    pytest.param({"pulse": 80}, "pulse", id="unknown-field"),
])
def test_app_bad_reading_is_400(client, patient, body, field):
    response = post_reading(client, patient["patient_token"], body)
    assert response.status_code == 400 and response.get_json()["field"] == field


def test_app_medication_too_soon(client, patient):
    token = patient["patient_token"]
    first = client.post("/api/v1/me/medications", json={"name": "acetaminophen", "dose_mg": 1000}, headers=auth(token))
    assert first.status_code == 201 and first.get_json()["assessment"]["level"] == "routine"
    again = client.post("/api/v1/me/medications", json={"name": "acetaminophen", "dose_mg": 650}, headers=auth(token))
    assert again.get_json()["assessment"]["reasons"] == ["acetaminophen_too_soon"]


def test_me_shows_only_own_data(client, admin_token, patient):
    other = enroll(client, admin_token, name="Other Person", phone="+15555550188")
    post_reading(client, other["patient_token"], {"spo2": 97})
    mine = client.get("/api/v1/me", headers=auth(patient["patient_token"])).get_json()
    assert mine["id"] == patient["id"] and mine["readings"] == []
    assert mine["next_checkin_at"] is not None


def test_app_requires_patient_token(client, patient):
    assert post_reading(client, "nope", {"spo2": 97}).status_code == 401


def test_a_fever_a_minute_after_a_dose_timed_by_a_phone_clock_ahead_says_wait(client, patient, clock):
    """The app accepts a dose timed up to 5 minutes after the server's clock (a phone's clock a little ahead:
    app_api.FUTURE_ALLOWANCE). A fever reported a minute later counted only the doses up to now, left that one
    out and said "Take 650-1000 mg of acetaminophen (Tylenol) now": a second dose minutes after the first (SOP 5
    Grade 1 Home, line 64: repeat >= 6-8 h later). The dose counts, whatever the phone's clock said."""
    from datetime import UTC, datetime, timedelta

    token = patient["patient_token"]
    ahead = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()
    dose = client.post("/api/v1/me/medications", json={"name": "acetaminophen", "dose_mg": 1000, "taken_at": ahead},
                       headers=auth(token))
    assert dose.status_code == 201, dose.get_json()
    clock.shift(timedelta(minutes=1))
    assessment = post_reading(client, token, {"temperature": {"value": 38.6, "unit": "C"}}).get_json()["assessment"]
    assert assessment["instruction_keys"][0] == "reply_fever_wait", assessment
    assert not any("now" in text and "Take" in text for text in assessment["instructions"]), assessment
