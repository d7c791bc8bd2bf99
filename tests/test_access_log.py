"""The access audit log (HIPAA 164.312(b)): every view of a patient's data, who, what, when, from where;
append-only; searchable by patient and by staff member on an admin page. Security headers in one place."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import auth, enroll
from test_dashboard import ADMIN, NURSE, PASSWORD, add_user, sign_in

from monitoring import staff as staff_module
from monitoring.clinic import open_clinic
from monitoring.store import connect

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def users(app, admin_token):
    """Ada Admin (with admin_token's API token) and Nora Nurse, both with dashboard passwords."""
    clinic = open_clinic(app.config["CRS"])
    try:
        staff_module.set_password(clinic, ADMIN, PASSWORD, actor="test")
    finally:
        clinic.db.close()
    add_user(app, NURSE, "nurse", phone="+15555550177")


def accesses(config) -> list[dict]:
    db = connect(config["database"]["path"])
    return [dict(row) for row in db.execute("SELECT * FROM access_log ORDER BY id")]


def test_api_reads_of_patient_data_are_logged_with_who_what_when_where(client, config, admin_token, patient, clock):
    client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token))
    client.get(f"/api/v1/patients/{patient['id']}/medications", headers=auth(admin_token))
    client.get("/api/v1/messages", query_string={"patient_id": patient["id"]}, headers=auth(admin_token))
    client.get("/api/v1/messages", headers=auth(admin_token))
    client.get("/api/v1/alerts?status=all", headers=auth(admin_token))
    client.get("/api/v1/patients", headers=auth(admin_token))
    client.get("/api/v1/patients/999", headers=auth(admin_token))  # a 404 showed nothing: not logged
    rows = accesses(config)
    assert [(row["action"], row["patient_id"]) for row in rows] == [
        ("api.patient", patient["id"]), ("api.medications", patient["id"]), ("api.messages", patient["id"]),
        ("api.messages", None), ("api.alerts", None), ("api.patients", None)]
    first = rows[0]
    assert first["actor"] == "Ada Admin" and first["staff_id"] and first["source"] == "127.0.0.1"
    assert first["at"].startswith("2026-03-03T16:00:00")


def test_dashboard_views_are_logged_and_marked_when_background(client, config, users, admin_token, patient):
    sign_in(client, NURSE)
    client.get(f"/dashboard/patients/{patient['id']}")
    client.get("/dashboard")
    client.get("/dashboard", headers={"X-Crswatch-Background": "1"})
    rows = [row for row in accesses(config) if row["actor"] == NURSE]
    assert [(row["action"], row["patient_id"]) for row in rows] == [
        ("dashboard.patient", patient["id"]), ("dashboard.patients", None), ("dashboard.patients", None)]
    assert '"background": true' in rows[2]["detail"] and "background" not in rows[1]["detail"]


def test_an_alert_page_is_logged_against_its_patient(client, config, users, admin_token, patient, phone, runner):
    phone.text("temp 39.4 confused")
    alert = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()[0]
    sign_in(client, NURSE)
    assert client.get(f"/dashboard/alerts/{alert['id']}").status_code == 200
    assert accesses(config)[-1]["action"] == "dashboard.alert"
    assert accesses(config)[-1]["patient_id"] == patient["id"]


def test_the_access_log_is_append_only(client, config, admin_token, patient):
    client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token))
    db = connect(config["database"]["path"])
    for statement in ("UPDATE access_log SET actor = 'someone else'", "DELETE FROM access_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    assert len(accesses(config)) == 1


def test_admins_search_by_patient_and_by_staff_member(app, client, config, users, admin_token, patient):
    other = enroll(client, admin_token, name="Olive Other", phone="+15555550188")
    nurse_browser = app.test_client()
    sign_in(nurse_browser, NURSE)
    nurse_browser.get(f"/dashboard/patients/{patient['id']}")
    client.get(f"/api/v1/patients/{other['id']}", headers=auth(admin_token))
    sign_in(client, ADMIN)
    by_patient = client.get(f"/dashboard/access?patient_id={patient['id']}")
    assert by_patient.status_code == 200 and "Patient page" in by_patient.text and NURSE in by_patient.text
    assert "API: patient and readings" not in by_patient.text
    nurse_id = accesses(config)[0]["staff_id"]
    by_staff = client.get(f"/dashboard/access?staff_id={nurse_id}")
    assert "Pat Example" in by_staff.text and "Olive Other" not in by_staff.text.split("<tbody>")[1]
    assert accesses(config)[-1]["action"] == "access.search"  # looking someone up is itself recorded
    assert "No access matches." in client.get("/dashboard/access?since=2026-03-04").text  # none after today
    assert client.get("/dashboard/access?patient_id=abc&since=junk").status_code == 200  # junk filters ignored
    assert nurse_browser.get("/dashboard/access").status_code == 403


def test_every_answer_carrying_patient_data_is_no_store(client, users, admin_token, patient, phone):
    sign_in(client, ADMIN)
    for url, headers in [(f"/api/v1/patients/{patient['id']}", auth(admin_token)),
                         ("/api/v1/messages", auth(admin_token)), ("/api/v1/alerts", auth(admin_token)),
                         ("/api/v1/me", auth(patient["patient_token"])), ("/api/v1/patients/999", auth(admin_token)),
                         ("/api/v1/alerts", {}), (f"/dashboard/patients/{patient['id']}", {}),
                         ("/dashboard/access", {}), ("/signin", {})]:
        response = client.get(url, headers=headers)
        assert response.headers["Cache-Control"] == "no-store", url
    assert "public" in client.get("/assets/app.css").headers["Cache-Control"]  # no patient data in the CSS


def test_security_headers_on_every_kind_of_answer(client, users, admin_token, phone):
    answers = [client.get("/api/v1/alerts", headers=auth(admin_token)), client.get("/api/v1/nothing"),
               phone.text("hi", signed=False), client.get("/signin"), client.get("/dashboard/nothing"),
               client.get("/assets/app.js"), client.post("/signin", data={})]
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")  # https public_base_url
        assert response.headers["X-Request-Id"]
    assert answers[0].headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_security_headers_are_set_in_one_place_only():
    setters = [path.relative_to(ROOT).as_posix() for path in (ROOT / "web").rglob("*.py")
               if "X-Frame-Options" in path.read_text() or "Content-Security-Policy" in path.read_text()]
    assert setters == ["web/security.py"]
