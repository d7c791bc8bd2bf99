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
    pytest.param('{"temperature": {"value": NaN, "unit": "F"}}', "temperature.value", id="temperature-nan"),
    pytest.param('{"temperature": {"value": -Infinity}}', "temperature.value", id="temperature-minus-infinity"),
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


# Bodies no JSON endpoint can use. Each is a 400 naming the body and saying what is wrong, never a 500:
# the deeply nested ones were a RecursionError in the decoder (issue 11, item 10).
BAD_BODIES = [
    pytest.param(b"[" * 30_000 + b"]" * 30_000, "nested too deeply", id="arrays-30000-deep"),
    pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested too deeply", id="objects-10000-deep"),
    pytest.param(b'{"name":' + b"[" * 40 + b"]" * 40 + b"}", "nested too deeply", id="arrays-40-deep-parse-fine"),
    pytest.param(b'{"name": "Pat",', "not valid JSON", id="truncated"),
    pytest.param(b'{"name": NaN-ish}', "not valid JSON", id="not-a-value"),
    pytest.param(b'{"name": "\xff\xfe"}', "not valid JSON", id="invalid-utf8"),
    pytest.param(b"[1, 2]", "must be a JSON object", id="array-not-object"),
]
JSON_ENDPOINTS = [
    pytest.param("POST", "/api/v1/patients", "staff", id="enroll"),
    pytest.param("POST", "/api/v1/me/readings", "patient", id="me-readings"),
    pytest.param("POST", "/api/v1/grade", "staff", id="grade"),
    pytest.param("PUT", "/api/v1/settings", "staff", id="settings"),
]


@pytest.mark.parametrize("body, words", BAD_BODIES)
@pytest.mark.parametrize("method, path, who", JSON_ENDPOINTS)
def test_unusable_json_is_a_400_naming_the_problem(client, admin_token, patient, method, path, who, body, words):
    token = patient["patient_token"] if who == "patient" else admin_token

    def state():
        return [client.get(url, headers=auth(admin_token)).get_json()
                for url in ("/api/v1/settings", "/api/v1/patients", f"/api/v1/patients/{patient['id']}")]

    before = state()
    response = client.open(path, method=method, data=body, content_type="application/json", headers=auth(token))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert answer["field"] == "body" and words in answer["error"]
    assert state() == before  # nothing changed


@pytest.mark.parametrize("field, value", [
    pytest.param("therapy", "\u202e", id="therapy-only-a-right-to-left-override"),
    pytest.param("therapy", "tec\u202elistamab", id="therapy-with-a-right-to-left-override"),
    pytest.param("name", "Pat \u2066Example", id="name-with-a-bidi-isolate"),
])
def test_invisible_bidi_controls_are_refused_naming_the_field(client, admin_token, field, value):
    """An invisible bidi control reorders what a nurse reads ("Trojan Source"); found by the break-it pass:
    a therapy of only U+202E was accepted. A 400 naming the field, and nothing enrolled."""
    body = {"name": "Pat Example", "phone": "+15555550199", "therapy": "teclistamab",
            "dose_given_at": "2026-03-03T09:00:00-06:00", field: value}
    response = client.post("/api/v1/patients", json=body, headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert client.get("/api/v1/patients", headers=auth(admin_token)).get_json() == []


@pytest.mark.parametrize("path, param, meant", [
    ("/api/v1/messages", "patientId", "patient_id"),
    ("/api/v1/messages", "patient", "patient_id"),
    ("/api/v1/messages", "patiend_id", "patient_id"),
    ("/api/v1/messages", "after", "after_id"),
    ("/api/v1/alerts", "patient-id", "patient_id"),
    ("/api/v1/alerts", "leve", "level"),
    ("/api/v1/alerts", "untill", "until"),
])
def test_a_misspelt_filter_is_a_400_not_every_patients_rows(client, admin_token, patient, path, param, meant):
    """A query string ignores what it does not name (a cache buster), but a filter misspelt would be dropped
    without a word and the answer would hold every patient's texts: it is refused, naming what was meant."""
    response = client.get(path, query_string={param: "1"}, headers=auth(admin_token))
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == param and repr(meant) in body["error"]


def test_a_cache_buster_is_still_ignored(client, admin_token, patient):
    for param in ("_", "cb", "nocache"):
        response = client.get("/api/v1/messages", query_string={param: "1700000000"}, headers=auth(admin_token))
        assert response.status_code == 200
