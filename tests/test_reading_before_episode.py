"""A reading taken before the monitoring episode began (its step-up dose) is no reading of it: a hub posting a
backlog from the week before, an app with a wrong taken_at. Filed into the episode, a fever of 8 days before the dose
made every later sign "symptoms over 7 days" (SOP 4 Workup, line 41: "duration of symptoms over 1 week") and paged
the nurse five hours into monitoring, and the patient was told to take acetaminophen now for it. It is refused,
naming the time, and changes nothing; a phone's clock a few minutes behind is still taken (app_api.FUTURE_ALLOWANCE)."""
from __future__ import annotations

from datetime import timedelta

from conftest import NURSES, PATIENT_PHONE, START, auth, texts_to
from fhirkit import add_device, issue, observation, post


def readings(client, admin_token, patient) -> list[dict]:
    return client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]


def test_a_device_backlog_from_before_the_dose_is_refused(client, runner, admin_token, patient, clock):
    device = add_device(runner, "Thermometer", patient["id"])
    texted = len(texts_to(client, admin_token, PATIENT_PHONE))
    response = post(client, device, observation("temp", 38.4, START - timedelta(days=8)))
    assert response.status_code == 422
    assert issue(response)["expression"] == ["Observation.effectiveDateTime"]
    assert readings(client, admin_token, patient) == []
    assert len(texts_to(client, admin_token, PATIENT_PHONE)) == texted  # no "take acetaminophen now"
    clock.shift(timedelta(hours=5))
    assert post(client, device, observation("temp", 38.3, START + timedelta(hours=5))).status_code == 201
    answer = client.post("/api/v1/me/readings", json={"symptoms": ["chills"]},
                         headers=auth(patient["patient_token"])).get_json()["assessment"]
    assert "prolonged_symptoms" not in answer["reasons"]
    assert [text for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"] == []


def test_an_app_reading_from_before_the_dose_is_a_400_naming_taken_at(client, admin_token, patient):
    response = client.post("/api/v1/me/readings", json={"temperature": {"value": 39.0, "unit": "C"},
                                                         "taken_at": "2020-01-01T00:00:00Z"},
                           headers=auth(patient["patient_token"]))
    assert response.status_code == 400 and response.get_json()["field"] == "taken_at"
    assert readings(client, admin_token, patient) == []


def test_a_phone_clock_a_little_behind_is_still_taken(client, admin_token, patient):
    response = client.post("/api/v1/me/readings", json={"spo2": 96, "taken_at": (START - timedelta(minutes=3)).isoformat()},
                           headers=auth(patient["patient_token"]))
    assert response.status_code == 201
    assert len(readings(client, admin_token, patient)) == 1
