"""A caregiver's phone is never another patient's own phone, and a new patient's phone never a monitored
patient's caregiver's: a text from a patient's own phone is always read as that patient's (monitoring.inbound
reads the patient first), so the caregiver's answers for the patient they care for ("temp 101.5") were recorded
as the other patient's readings, and that caregiver could never answer for the one they care for."""
from __future__ import annotations

from conftest import PATIENT_PHONE, auth, enroll

OTHER = "+15555550166"
SPOUSE = "+15555550165"


def body(**extra) -> dict:
    return {"name": "Sam Other", "phone": OTHER, "language": "en", "therapy": "teclistamab", **extra}


def test_a_caregiver_phone_that_is_a_patients_own_is_refused_at_enrollment(client, admin_token, patient):
    response = client.post("/api/v1/patients", headers=auth(admin_token), json=body(
        caregivers=[{"name": "Pat Example", "phone": PATIENT_PHONE, "relationship": "husband"}]))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == "caregivers[0].phone"
    assert "is the phone of patient Pat Example" in response.get_json()["error"]
    assert [p["name"] for p in client.get("/api/v1/patients", headers=auth(admin_token)).get_json()] == ["Pat Example"]


def test_adding_a_caregiver_with_a_patients_own_phone_is_refused(client, admin_token, patient):
    other = client.post("/api/v1/patients", headers=auth(admin_token), json=body()).get_json()
    response = client.post(f"/api/v1/patients/{other['id']}/caregivers", headers=auth(admin_token),
                           json={"name": "Pat Example", "phone": PATIENT_PHONE, "relationship": "husband"})
    assert response.status_code == 400 and response.get_json()["field"] == "phone"
    assert "is the phone of patient Pat Example" in response.get_json()["error"]
    assert client.get(f"/api/v1/patients/{other['id']}", headers=auth(admin_token)).get_json()["caregivers"] == []


def test_a_new_patients_phone_that_is_a_monitored_patients_caregiver_is_refused(client, admin_token):
    enroll(client, admin_token, caregivers=[{"name": "Sam Other", "phone": OTHER, "relationship": "husband"}])
    response = client.post("/api/v1/patients", headers=auth(admin_token), json=body())
    assert response.status_code == 400 and response.get_json()["field"] == "phone"
    assert "is the phone of Sam Other, caregiver of Pat Example" in response.get_json()["error"]


def test_the_form_says_which_caregiver(client, admin_token, patient):
    from test_dashboard import add_user, csrf_from, enroll_form, sign_in

    add_user(client.application, "Form Admin", "admin")
    sign_in(client, "Form Admin")
    token = csrf_from(client.get("/dashboard/patients/new").text)
    response = enroll_form(client, token, phone=OTHER, **{"caregivers[0].name": "Sam", "caregivers[0].phone": OTHER,
                                                           "caregivers[1].name": "Pat", "caregivers[1].phone": PATIENT_PHONE})
    assert response.status_code == 400
    assert "Caregiver 1: A caregiver&#39;s phone must not be the patient&#39;s own phone" in response.text
    assert "Caregiver 2: +15555550199 is the phone of patient Pat Example" in response.text
