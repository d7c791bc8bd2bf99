"""The OpenAPI document at /api/v1/openapi.json tells the truth: real responses validate against it."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from conftest import NURSES, auth
from jsonschema import Draft202012Validator, FormatChecker

API = "/api/v1"
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _iso_with_offset(value) -> bool:
    """The API's times are ISO 8601 with an offset (CONTRACT section 2)."""
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).tzinfo is not None


@pytest.fixture
def document(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def operation_for(document: dict, method: str, path: str) -> dict:
    """The documented operation for a concrete path like /api/v1/patients/3."""
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the document")


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node and node["$ref"].startswith("#/components/responses/"):
        node = document["components"]["responses"][node["$ref"].rsplit("/", 1)[1]]
    return node


def conforms(document: dict, response, method: str, path: str) -> None:
    """The response's status is documented for the operation and its JSON body fits that status's schema."""
    documented = operation_for(document, method, path)["responses"]
    status = str(response.status_code)
    assert status in documented, f"{method} {path}: status {status} is not documented ({sorted(documented)})"
    content = resolve(document, documented[status])["content"]["application/json"]
    schema = {**content["schema"], "components": document["components"]}
    errors = sorted(Draft202012Validator(schema, format_checker=FORMATS).iter_errors(response.get_json()), key=str)
    assert not errors, f"{method} {path} -> {status}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])


def call(client, document, method: str, path: str, token: str | None = None, **kwargs):
    response = client.open(path, method=method, headers=auth(token) if token else {}, **kwargs)
    conforms(document, response, method, path)
    return response


def test_document_is_openapi_3_1_with_valid_schemas(document):
    assert document["openapi"].startswith("3.1")
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert set(document["components"]["securitySchemes"]) == {"staffToken", "patientToken"}


def test_document_is_served_without_auth(client):
    assert client.get(f"{API}/openapi.json").status_code == 200


def test_every_api_route_is_documented_and_nothing_else(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule == f"{API}/openapi.json":
            continue
        template = re.sub(r"<(?:[^:>]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routes |= {(template, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented


def test_every_operation_documents_its_errors(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert "401" in codes, (method, path)
            if operation["security"] == [{"staffToken": []}]:
                assert "403" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in operation:
                assert "400" in codes, (method, path)


def test_staff_flow_fits_the_document(client, document, admin_token, phone, runner):
    enrolled = call(client, document, "POST", f"{API}/patients", admin_token,
                    json={"name": "Pat Example", "phone": "+15555550199", "language": "en",
                          "therapy": "teclistamab", "baseline_systolic": 120, "high_risk": True,
                          "risk_factors": ["age"], "checkin_interval_minutes": 60}).get_json()
    patient_id = enrolled["id"]
    assert enrolled["patient_token"] and runner.invoke(args=["tick"]).exit_code == 0
    phone.text("temp 101.2 bp 85/60 o2 85 dizzy")
    view = call(client, document, "GET", f"{API}/patients/{patient_id}", admin_token).get_json()
    assert view["readings"] and view["latest_assessment"]["level"] == "urgent"
    assert call(client, document, "GET", f"{API}/patients", admin_token).get_json()
    call(client, document, "GET", f"{API}/patients", admin_token, query_string={"all": "1"})

    alerts = call(client, document, "GET", f"{API}/alerts", admin_token).get_json()
    assert alerts and alerts[0]["status"] == "open"
    call(client, document, "GET", f"{API}/alerts", admin_token, query_string={"status": "all",
                                                                             "patient_id": patient_id})
    call(client, document, "POST", f"{API}/alerts/{alerts[0]['id']}/ack", admin_token)
    resolved = call(client, document, "POST", f"{API}/alerts/{alerts[0]['id']}/resolve", admin_token,
                    json={"note": "seen in clinic"}).get_json()
    assert resolved["status"] == "resolved"

    runner.invoke(args=["tick"])
    log = call(client, document, "GET", f"{API}/messages", admin_token).get_json()
    assert {"in", "out"} <= {m["direction"] for m in log} and any(m["to"] == NURSES[0] for m in log)
    call(client, document, "GET", f"{API}/messages", admin_token,
         query_string={"patient_id": patient_id, "after_id": log[0]["id"]})

    call(client, document, "POST", f"{API}/patients/{patient_id}/medications", admin_token,
         json={"name": "tocilizumab", "weight_kg": 70})
    call(client, document, "POST", f"{API}/patients/{patient_id}/medications", admin_token,
         json={"name": "acetaminophen", "dose_mg": 1000})
    doses = call(client, document, "GET", f"{API}/patients/{patient_id}/medications", admin_token).get_json()
    assert {d["name"] for d in doses} == {"tocilizumab", "acetaminophen"}
    call(client, document, "POST", f"{API}/patients/{patient_id}/doses", admin_token,
         json={"therapy": "teclistamab", "given_at": "2026-03-04T10:00:00-06:00"})


def test_grade_fits_the_document(client, document, admin_token):
    body = call(client, document, "POST", f"{API}/grade", admin_token,
                json={"temperature_c": 39.1, "hypotension": True, "vasopressors": 1, "oxygen": "low_flow",
                      "oxygen_lpm": 4}).get_json()
    assert body["grade"] == 3
    assert call(client, document, "POST", f"{API}/grade", admin_token, json={}).get_json()["grade"] == 0


def test_settings_fit_the_document(client, document, admin_token):
    call(client, document, "GET", f"{API}/settings", admin_token)
    changed = call(client, document, "PUT", f"{API}/settings", admin_token,
                   json={"thresholds.fever_c": 38.3}).get_json()
    assert changed["effective"]["thresholds"]["fever_c"] == 38.3 and changed["history"]


def test_patient_app_fits_the_document(client, document, patient):
    token = patient["patient_token"]
    assert call(client, document, "GET", f"{API}/me", token).get_json()["episode"]["status"] == "active"
    answer = call(client, document, "POST", f"{API}/me/readings", token,
                  json={"temperature": {"value": 100.9, "unit": "F"}, "spo2": 96, "symptoms": ["chills"]})
    assert answer.get_json()["assessment"]["level"] == "home_care"
    call(client, document, "POST", f"{API}/me/readings", token, json={"systolic": 400})  # implausible
    call(client, document, "POST", f"{API}/me/medications", token, json={"name": "acetaminophen", "dose_mg": 650})
    again = call(client, document, "POST", f"{API}/me/medications", token, json={"name": "acetaminophen"})
    assert again.get_json()["assessment"]["reasons"] == ["acetaminophen_too_soon"]
    assert call(client, document, "GET", f"{API}/me", token).get_json()["readings"]


@pytest.mark.parametrize("method, path, body, status", [
    pytest.param("POST", "/patients", {"name": "No Phone", "therapy": "x"}, 400, id="enroll-missing-phone"),
    pytest.param("POST", "/patients", {"name": "X", "phone": "+1555", "therapy": "x"}, 400, id="enroll-bad-phone"),
    pytest.param("POST", "/patients", ["not", "an", "object"], 400, id="enroll-not-object"),
    pytest.param("GET", "/patients/999", None, 404, id="patient-unknown"),
    pytest.param("POST", "/patients/999/doses", {"therapy": "x"}, 404, id="dose-unknown-patient"),
    pytest.param("POST", "/alerts/999/ack", None, 404, id="ack-unknown"),
    pytest.param("POST", "/alerts/999/resolve", {"note": 5}, 400, id="resolve-bad-note"),
    pytest.param("GET", "/alerts?status=closed", None, 400, id="alerts-bad-status"),
    pytest.param("GET", "/messages?after_id=x", None, 400, id="messages-bad-after"),
    pytest.param("POST", "/grade", {"oxygen": "tent"}, 400, id="grade-bad-oxygen"),
    pytest.param("PUT", "/settings", {"database.path": "/tmp/x"}, 400, id="settings-not-editable"),
])
def test_staff_errors_fit_the_document(client, document, admin_token, method, path, body, status):
    response = call(client, document, method, f"{API}{path.split('?')[0]}", admin_token, json=body,
                    query_string=path.partition("?")[2] or None)
    assert response.status_code == status and response.get_json()["error"]


def test_auth_errors_fit_the_document(client, document, nurse_token, patient):
    assert call(client, document, "GET", f"{API}/alerts").status_code == 401
    assert call(client, document, "GET", f"{API}/alerts", "st_wrong").status_code == 401
    assert call(client, document, "GET", f"{API}/me", "pt_wrong").status_code == 401
    assert call(client, document, "GET", f"{API}/me", nurse_token).status_code == 401  # staff token is not a patient's
    assert call(client, document, "PUT", f"{API}/settings", nurse_token,
                json={"thresholds.fever_c": 38.5}).status_code == 403


def test_conflicts_fit_the_document(client, document, admin_token, patient):
    duplicate = call(client, document, "POST", f"{API}/patients", admin_token,
                     json={"name": "Pat Again", "phone": "+15555550199", "therapy": "teclistamab"})
    assert duplicate.status_code == 409 and duplicate.get_json()["field"] == "phone"
    given = [call(client, document, "POST", f"{API}/patients/{patient['id']}/medications", admin_token,
                  json={"name": "tocilizumab", "dose_mg": 560}) for _ in range(4)]
    assert [r.status_code for r in given][-1] == 409
    bad = call(client, document, "POST", f"{API}/me/readings", patient["patient_token"], json={"spo2": "ok"})
    assert bad.status_code == 400 and bad.get_json()["field"] == "spo2"


@pytest.mark.parametrize("operation_id, path", [("submitReading", "/me/readings"),
                                                ("submitMedication", "/me/medications")])
def test_the_patient_app_s_reports_document_their_idempotency_key(client, document, patient, operation_id, path):
    """The app's Idempotency-Key (docs/api.md) was read by the views but not in the document the mobile team
    builds on: a client generated from it could not send the key, and a dose retried after a lost answer was
    two doses, the second answered "too soon". The header is a parameter; the replay's Idempotent-Replayed is an
    answer header; a replay fits the document."""
    [operation] = [op for methods in document["paths"].values() for op in methods.values()
                   if op["operationId"] == operation_id]
    [key] = [parameter for parameter in operation["parameters"] if parameter["in"] == "header"]
    assert key["name"] == "Idempotency-Key" and key["required"] is False
    assert key["schema"]["maxLength"] == 255 and re.fullmatch(key["schema"]["pattern"], key["example"])
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    body = {"temperature": {"value": 38.6, "unit": "C"}} if operation_id == "submitReading" else {
        "name": "acetaminophen", "dose_mg": 650}
    headers = {**auth(patient["patient_token"]), "Idempotency-Key": key["example"]}
    first, again = (client.post(f"{API}{path}", json=body, headers=headers) for _ in range(2))
    for response in (first, again):
        conforms(document, response, "POST", f"{API}{path}")
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
