"""A patient's or a caregiver's phone is never the clinic's own: the number patients are told to call (a desk
line: prompts to it reach no patient) or the number the service texts from (texts to itself fail). Each was
enrolled, and the patient's first sign of trouble was the silence paging a nurse hours later."""
from __future__ import annotations

import pytest
from conftest import CLINIC_PHONE, FROM_NUMBER, auth


@pytest.mark.parametrize("number, words", [
    pytest.param(CLINIC_PHONE, "is the clinic's phone (the number patients are told to call)", id="clinic-phone"),
    pytest.param(FROM_NUMBER, "is the number the service texts from", id="from-number"),
])
def test_the_clinics_own_numbers_are_refused_for_a_patient_or_a_caregiver(client, admin_token, number, words):
    body = {"name": "Sam Other", "phone": number, "language": "en", "therapy": "teclistamab"}
    response = client.post("/api/v1/patients", headers=auth(admin_token), json=body)
    assert response.status_code == 400 and response.get_json()["field"] == "phone"
    assert words in response.get_json()["error"]
    caregiver = client.post("/api/v1/patients", headers=auth(admin_token), json={
        **body, "phone": "+15555550166", "caregivers": [{"name": "Desk", "phone": number}]})
    assert caregiver.status_code == 400 and caregiver.get_json()["field"] == "caregivers[0].phone"
    assert words in caregiver.get_json()["error"]
    assert client.get("/api/v1/patients", headers=auth(admin_token)).get_json() == []


def test_adding_a_caregiver_with_the_clinics_phone_is_refused(client, admin_token, patient):
    response = client.post(f"/api/v1/patients/{patient['id']}/caregivers", headers=auth(admin_token),
                           json={"name": "Desk", "phone": CLINIC_PHONE, "relationship": "front desk"})
    assert response.status_code == 400 and "is the clinic's phone" in response.get_json()["error"]


def test_the_pager_number_is_refused_for_a_patient(tmp_path, clock):
    """[sms] pager_number texts the nurses: a patient on it would be texted from itself."""
    from conftest import add_staff, base_config

    from app import create_app

    config = base_config(tmp_path / "pager.db")
    config["sms"]["pager_number"] = "+15555550124"
    app = create_app(config)
    app.testing = True
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    token = add_staff(runner, "Ada Admin", "admin")
    response = app.test_client().post("/api/v1/patients", headers=auth(token), json={
        "name": "Sam Other", "phone": "+15555550124", "language": "en", "therapy": "teclistamab"})
    assert response.status_code == 400 and "is the number the service texts from" in response.get_json()["error"]
