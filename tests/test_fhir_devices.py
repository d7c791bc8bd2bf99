"""Readings from device hubs: POST /fhir/r4/Observation and transaction Bundles, triaged as app readings are,
a duplicate accepted once, every refusal an OperationOutcome naming the element."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import START, auth, enroll
from fhirkit import MIME, add_device, issue, observation, post, transaction, valid
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.clinic import open_clinic


def assessments(app) -> list[dict]:
    clinic = open_clinic(app.config["CRS"])
    try:
        rows = clinic.db.execute(
            "SELECT a.level, a.reasons, r.taken_at, r.source FROM assessments a JOIN readings r ON r.id = a.reading_id "
            "ORDER BY a.id").fetchall()
        return [dict(row) for row in rows]
    finally:
        clinic.db.close()


@pytest.fixture
def device(runner, patient) -> str:
    return add_device(runner, "Thermometer 3", patient["id"])


@pytest.mark.parametrize("kind, value, unit, expected", [
    pytest.param("temp", 38.3, "Cel", {"temperature_c": 38.3}, id="temperature-cel"),
    pytest.param("temp", 100.9, "[degF]", {"temperature_c": 38.28}, id="temperature-degf"),
    pytest.param("bp", (112, 70), None, {"systolic": 112, "diastolic": 70}, id="blood-pressure"),
    pytest.param("hr", 88, None, {"heart_rate": 88}, id="heart-rate"),
    pytest.param("spo2", 96, None, {"spo2": 96}, id="oxygen-saturation"),
])
def test_each_vital_is_created_and_answered_as_a_valid_observation(client, admin_token, device, patient, kind, value,
                                                                   unit, expected):
    response = post(client, device, observation(kind, value, START, unit=unit))
    assert response.status_code == 201 and response.mimetype == MIME
    created = valid(response.get_json())
    assert response.headers["Location"] == f"Observation/{created['id']}"
    assert created["device"]["reference"].startswith("Device/") and created["subject"]["reference"] == \
        f"Patient/{patient['id']}"
    reading = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"][0]
    assert {key: reading[key] for key in expected} == expected and reading["source"] == "device"


def test_a_duplicate_is_accepted_once(client, admin_token, device, patient):
    first = post(client, device, observation("temp", 38.6, START))
    again = post(client, device, observation("temp", 38.6, START))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    bundle = post(client, device, transaction([observation("temp", 38.6, START)] * 2), "/fhir/r4").get_json()
    assert [entry["response"]["status"] for entry in bundle["entry"]] == ["200 OK", "200 OK"]
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert len(readings) == 1


def test_a_device_reading_is_triaged_exactly_as_an_app_reading(app, client, runner, admin_token, patient, clock):
    device = add_device(runner, "Cuff", patient["id"])
    app_answer = client.post("/api/v1/me/readings", json={"systolic": 84, "diastolic": 55, "taken_at": START.isoformat()},
                             headers=auth(patient["patient_token"])).get_json()["assessment"]
    assert post(client, device, observation("bp", (84, 55), START)).status_code == 201
    app_row, device_row = assessments(app)
    assert (app_row["level"], app_row["reasons"]) == (device_row["level"], device_row["reasons"])
    assert app_answer["level"] == "urgent" and (app_row["source"], device_row["source"]) == ("app", "device")


def test_a_clinic_device_names_the_patient_by_mrn(client, runner, admin_token, clock):
    patient = enroll(client, admin_token, mrn="A-77")
    hub = add_device(runner, "Clinic hub")
    mrn = {"identifier": {"system": "https://crswatch.org/fhir/NamingSystem/mrn", "value": "A-77"}}
    created = post(client, hub, observation("spo2", 95, START, subject=mrn))
    assert created.status_code == 201 and created.get_json()["subject"]["reference"] == f"Patient/{patient['id']}"


def _bad(resource, **changes):
    resource = dict(resource)
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


TEMP = observation("temp", 38.2, START)
CODE = {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]}


@pytest.mark.parametrize("resource, status, expression", [
    pytest.param({"resourceType": "Patient"}, 400, "Observation.resourceType", id="not-an-observation"),
    pytest.param(_bad(TEMP, status="preliminary"), 422, "Observation.status", id="preliminary"),
    pytest.param(_bad(TEMP, code=None), 400, "Observation.code.coding", id="no-code"),
    pytest.param(_bad(TEMP, code={"coding": [{"system": "http://loinc.org", "code": "2339-0"}]}), 422,
                 "Observation.code", id="glucose-not-triaged"),
    pytest.param(_bad(TEMP, effectiveDateTime=None), 400, "Observation.effectiveDateTime", id="no-time"),
    pytest.param(_bad(TEMP, effectiveDateTime=None, effectivePeriod={"start": START.isoformat()}), 422,
                 "Observation.effectivePeriod", id="period-not-a-time"),
    pytest.param(_bad(TEMP, effectiveDateTime="2026-03-03"), 400, "Observation.effectiveDateTime", id="date-only"),
    pytest.param(_bad(TEMP, effectiveDateTime="2026-03-03T10:00:00"), 400, "Observation.effectiveDateTime",
                 id="no-offset"),
    pytest.param(_bad(TEMP, effectiveDateTime=(START + timedelta(hours=1)).isoformat()), 422,
                 "Observation.effectiveDateTime", id="future"),
    pytest.param(_bad(TEMP, valueQuantity={"value": 38.2, "code": "K", "system": "http://unitsofmeasure.org"}), 422,
                 "Observation.valueQuantity.code", id="kelvin"),
    pytest.param(_bad(TEMP, valueQuantity={"value": "hot", "code": "Cel"}), 400, "Observation.valueQuantity.value",
                 id="value-not-a-number"),
    pytest.param(_bad(TEMP, valueQuantity={"value": 47.5, "code": "Cel"}), 422, "Observation.valueQuantity.value",
                 id="implausible"),
    pytest.param(_bad(TEMP, valueQuantity=None), 400, "Observation.valueQuantity", id="no-value"),
    # a panel with one half is a reading (tests/test_device_values.py); one with neither is none
    pytest.param(_bad(observation("bp", (120, 80), START), component=[
        {"code": {"coding": [{"system": "http://loinc.org", "code": code}]},
         "dataAbsentReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                          "code": "error"}]}} for code in ("8480-6", "8462-4")]), 422,
                 "Observation.component", id="bp-no-values"),
    pytest.param(_bad(TEMP, subject={"reference": "Patient/999"}), 422, "Observation.subject.reference",
                 id="unknown-patient"),
])
def test_refusals_are_operation_outcomes_naming_the_element(client, admin_token, device, patient, resource, status,
                                                            expression):
    response = post(client, device, resource)
    assert response.status_code == status and response.mimetype == MIME
    assert issue(response)["expression"] == [expression]
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert readings == []


def test_the_device_and_its_patient(client, runner, admin_token, patient, clock):
    other = enroll(client, admin_token, phone="+15555550198", mrn="B-1")
    bound = add_device(runner, "Thermometer", patient["id"])
    response = post(client, bound, observation("temp", 38.2, START, subject={"reference": f"Patient/{other['id']}"}))
    assert response.status_code == 403 and issue(response)["expression"] == ["Observation.subject"]
    hub = add_device(runner, "Clinic hub")
    response = post(client, hub, TEMP)
    assert response.status_code == 400 and issue(response)["expression"] == ["Observation.subject"]
    response = post(client, hub, observation("temp", 38.2, START, subject={"identifier": {"value": "nope"}}))
    assert response.status_code == 422 and issue(response)["expression"] == ["Observation.subject.identifier.value"]
    response = post(client, hub, observation("temp", 38.2, START, subject={
        "identifier": {"system": "urn:oid:1.2.3", "value": "B-1"}}))
    assert response.status_code == 422 and issue(response)["expression"] == ["Observation.subject.identifier.system"]


def test_tokens_and_bodies(client, runner, admin_token, device, patient):
    assert post(client, admin_token, TEMP).status_code == 401  # staff read; devices post
    assert post(client, patient["patient_token"], TEMP).status_code == 401
    assert runner.invoke(args=["device", "revoke", "1"]).exit_code == 0
    response = post(client, device, TEMP)
    assert response.status_code == 401 and issue(response)["code"] == "login"
    fresh = add_device(runner, "Thermometer 4", patient["id"])
    response = client.post("/fhir/r4/Observation", data="{not json", headers={**auth(fresh), "Content-Type": MIME})
    assert response.status_code == 400 and issue(response)
    response = client.post("/fhir/r4/Observation", data="x", headers={**auth(fresh), "Content-Type": "text/plain"})
    assert response.status_code == 415 and issue(response)["code"] == "not-supported"
    response = post(client, fresh, {"resourceType": "Bundle", "type": "collection"}, "/fhir/r4")
    assert response.status_code == 422 and issue(response)["expression"] == ["Bundle.type"]
    assert "revoked" in runner.invoke(args=["device", "list"]).output


def test_a_transaction_answers_each_entry(client, admin_token, device, patient, clock):
    entries = transaction([observation("temp", 38.4, START), _bad(TEMP, status="cancelled"),
                           observation("hr", 90, START)])
    entries["entry"].append({"resource": TEMP, "request": {"method": "PUT", "url": "Observation/1"}})
    response = post(client, device, entries, "/fhir/r4")
    assert response.status_code == 200
    bundle = valid(response.get_json())
    assert bundle["type"] == "transaction-response"
    assert [entry["response"]["status"] for entry in bundle["entry"]] == ["201 Created", "422", "201 Created", "422"]
    assert bundle["entry"][1]["response"]["outcome"]["issue"][0]["expression"] == ["Bundle.entry[1].resource.status"]
    assert bundle["entry"][3]["response"]["outcome"]["issue"][0]["expression"] == ["Bundle.entry[3].request"]
    assert bundle["entry"][0]["response"]["location"] == f"Observation/{bundle['entry'][0]['resource']['id']}"


def test_an_admin_makes_and_revokes_a_device_token_on_the_dashboard(app, client, patient):
    from test_dashboard import add_user, csrf_from, sign_in

    add_user(app, "Dee Admin", "admin")
    assert sign_in(client, "Dee Admin").status_code == 302
    staff_page = client.get("/dashboard/staff").text
    assert "/dashboard/devices" in staff_page
    token = csrf_from(client.get("/dashboard/devices").text)
    refused = client.post("/dashboard/devices", data={"csrf_token": token, "name": "", "patient_id": ""})
    assert refused.status_code == 400 and "name must be" in refused.text
    added = client.post("/dashboard/devices", data={"csrf_token": token, "name": "Thermometer 9",
                                                    "patient_id": str(patient["id"])})
    assert added.status_code == 201
    device_token = re.search(r'<code class="token">(dv_[^<]+)</code>', added.text).group(1)
    assert post(client, device_token, observation("temp", 37.2, START)).status_code == 201
    assert "Pat Example" in client.get("/dashboard/devices").text
    assert client.post("/dashboard/devices/1/revoke", data={"csrf_token": token}).status_code == 302
    assert post(client, device_token, observation("temp", 37.3, START)).status_code == 401


def test_a_bundle_larger_than_the_web_limit_is_taken_up_to_the_fhir_limit(client, device, patient, clock):
    many = [observation("hr", 60 + minute % 40, START - timedelta(minutes=minute)) for minute in range(200)]
    big = transaction(many)
    assert len(str(big)) > 64 * 1024  # [web] max_request_kb
    response = post(client, device, big, "/fhir/r4")
    assert response.status_code == 200 and len(response.get_json()["entry"]) == 200
    huge = transaction(many * 20)
    response = post(client, device, huge, "/fhir/r4")
    assert response.status_code == 413 and issue(response)["code"] == "too-costly"


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
ELEMENTS = ("resourceType", "status", "code", "effectiveDateTime", "valueQuantity", "component", "subject")


@given(element=st.sampled_from(ELEMENTS), value=JSON, kind=st.sampled_from(["temp", "bp", "hr", "spo2"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_observation_body_is_a_server_error(client, device, patient, element, value, kind):
    resource = observation(kind, (120, 80) if kind == "bp" else 38.2 if kind == "temp" else 90, START)
    resource[element] = value
    for body in (resource, transaction([resource])):
        response = post(client, device, body, "/fhir/r4/Observation" if body is resource else "/fhir/r4")
        assert response.status_code < 500 and response.mimetype == MIME
        if response.status_code >= 400:
            assert issue(response)["diagnostics"]


@given(name=st.sampled_from(["date", "_lastUpdated", "code", "category", "patient", "_count", "_offset", "subject"]),
       value=st.text(max_size=30) | st.sampled_from(["9999-12", "ge9999", "2026-02-30", "lt2026-13", "eq20"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_search_value_is_a_server_error(client, admin_token, name, value):
    response = client.get("/fhir/r4/Observation", query_string={name: value}, headers=auth(admin_token))
    assert response.status_code in (200, 400) and response.mimetype == MIME
