"""Inputs that once crashed the API (found by schemathesis or by probing around what it found): each is now
a 4xx naming the field, never a 500. One row per bug; a new finding starts as a new row."""
from __future__ import annotations

import pytest
from conftest import auth

TOO_BIG = str(2**63)  # one past SQLite's 64-bit integers: was OverflowError in the query


@pytest.mark.parametrize("method, path, status, field", [
    pytest.param("GET", f"/api/v1/patients/{TOO_BIG}", 404, None, id="patient-id-past-int64"),
    pytest.param("POST", f"/api/v1/patients/{TOO_BIG}/doses", 404, None, id="dose-patient-id-past-int64"),
    pytest.param("GET", f"/api/v1/patients/{TOO_BIG}/medications", 404, None,
                 id="medications-patient-id-past-int64-is-404-not-405"),
    pytest.param("POST", f"/api/v1/alerts/{TOO_BIG}/ack", 404, None, id="ack-alert-id-past-int64"),
    pytest.param("POST", f"/api/v1/alerts/{TOO_BIG}/resolve", 404, None, id="resolve-alert-id-past-int64"),
    pytest.param("GET", f"/api/v1/alerts?patient_id={TOO_BIG}", 400, "patient_id", id="alerts-query-past-int64"),
    pytest.param("GET", f"/api/v1/messages?after_id={TOO_BIG}", 400, "after_id", id="messages-query-past-int64"),
    pytest.param("GET", "/api/v1/messages?after_id=%C2%B2", 400, "after_id",
                 id="messages-query-unicode-digit"),  # '²'.isdigit() is True but int('²') raises
    pytest.param("GET", "/api/v1/alerts?patient_id=%D9%A3", 400, "patient_id", id="alerts-query-arabic-digit"),
])
def test_staff_ids_out_of_range(client, admin_token, method, path, status, field):
    response = client.open(path, method=method, json={"therapy": "x"} if method == "POST" else None,
                           headers=auth(admin_token))
    assert response.status_code == status
    assert response.get_json().get("field") == field


@pytest.mark.parametrize("raw, field", [
    pytest.param('{"spo2": NaN}', "spo2", id="reading-nan"),  # int(nan) raised ValueError
    pytest.param('{"heart_rate": Infinity}', "heart_rate", id="reading-infinity"),
    pytest.param('{"systolic": 1e400}', "systolic", id="reading-1e400-is-infinity"),  # valid JSON, parses to inf
    pytest.param('{"spo2": 95, "taken_at": "0001-01-01T00:00:00+14:00"}', "taken_at",
                 id="reading-year-1-overflows-utc"),
    pytest.param('{"spo2": 95, "taken_at": "1999-12-31T23:00:00+00:00"}', "taken_at", id="reading-before-2000"),
])
def test_patient_reading_out_of_range(client, patient, raw, field):
    response = client.post("/api/v1/me/readings", data=raw, content_type="application/json",
                           headers=auth(patient["patient_token"]))
    assert response.status_code == 400 and response.get_json()["field"] == field


@pytest.mark.parametrize("when", [
    pytest.param("0001-01-01T00:00:00+00:00", id="year-1"),  # the 6 h / 24 h windows underflowed
    pytest.param("0001-01-01T00:00:00+14:00", id="year-1-plus-14"),
])
def test_patient_medication_time_out_of_range(client, patient, when):
    response = client.post("/api/v1/me/medications", json={"name": "acetaminophen", "taken_at": when},
                           headers=auth(patient["patient_token"]))
    assert response.status_code == 400 and response.get_json()["field"] == "taken_at"


@pytest.mark.parametrize("body", [
    pytest.param({"name": "tocilizumab", "dose_mg": 500, "given_at": "0001-01-01T00:00:00+00:00"},
                 id="tocilizumab-year-1"),  # given_at - 84 days underflowed
    pytest.param({"name": "acetaminophen", "given_at": "0001-01-01T00:00:00+14:00"}, id="acetaminophen-year-1"),
])
def test_staff_medication_time_out_of_range(client, admin_token, patient, body):
    response = client.post(f"/api/v1/patients/{patient['id']}/medications", json=body, headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == "given_at"
