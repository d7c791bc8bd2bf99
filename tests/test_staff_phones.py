"""A nurse's phone is read as a patient's is, and is never a patient's: pages (other patients' names and readings) would go to that patient,
the nurse would never get them, and the nurse's texts would be read as that patient's check-ins. Enrollment
already refuses a staff or on-call phone for a patient (monitoring.patients); these are the other ways round:
the staff page, the settings page's fallback on-call chain, the settings API and the command line."""
from __future__ import annotations

import pytest
from conftest import PATIENT_PHONE, add_staff, auth, enroll
from test_dashboard import admin, users  # noqa: F401  (fixtures)

from monitoring.clinic import open_clinic
from monitoring.staff import list_staff


@pytest.fixture
def api_token(runner) -> str:
    return add_staff(runner, "Api Admin", "admin")


def test_the_staff_page_refuses_a_patients_phone_for_a_nurse(app, client, admin, api_token):  # noqa: F811
    enroll(client, api_token)
    form = {"csrf_token": admin, "name": "Sam Nurse", "role": "nurse", "phone": "+1 555 555 0199",
            "password": "sam's long password", "password_again": "sam's long password"}
    response = client.post("/dashboard/staff", data=form)
    assert response.status_code == 400
    assert "is the phone of patient Pat Example; a nurse needs a phone of their own" in response.text
    assert 'id="phone-error"' in response.text
    assert "Sam Nurse" not in [person["name"] for person in list_staff(open_clinic(app.config["CRS"]))]


def test_the_fallback_on_call_chain_refuses_a_patients_phone(app, client, admin, api_token):  # noqa: F811
    enroll(client, api_token)
    response = client.post("/dashboard/settings", data={
        "csrf_token": admin, "oncall": f"Primary nurse, +15555550142\nDr Typo, {PATIENT_PHONE}"})
    assert response.status_code == 400
    assert ("On-call chain, line 2: phone +15555550199 is the phone of patient Pat Example; a nurse needs a phone of "
            "their own") in response.text
    assert [person["phone"] for person in open_clinic(app.config["CRS"]).oncall] == ["+15555550142", "+15555550143"]
    api = client.put("/api/v1/settings", json={"oncall": [{"name": "Dr Typo", "phone": PATIENT_PHONE}]},
                     headers=auth(api_token))
    assert api.status_code == 400 and api.get_json()["field"] == "oncall[0].phone"


def test_the_command_line_refuses_a_patients_phone(client, api_token, runner):
    enroll(client, api_token)
    result = runner.invoke(args=["staff", "add", "Sam Nurse", "--role", "nurse", "--phone", PATIENT_PHONE])
    assert result.exit_code != 0 and "is the phone of patient Pat Example" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("typed, stored", [
    pytest.param("(555) 555-0178", "+15555550178", id="us-national"),
    pytest.param("555.555.0178", "+15555550178", id="dots"),
    pytest.param("+1 555 555 0178", "+15555550178", id="spaces"),
])
def test_the_staff_page_reads_a_phone_as_the_enrollment_form_does(app, client, admin, typed, stored):  # noqa: F811
    """The enrollment form takes (312) 555-0142; the staff page refused it ('phone must be E.164')."""
    form = {"csrf_token": admin, "name": "Sam Nurse", "role": "nurse", "phone": typed,
            "password": "sam's long password", "password_again": "sam's long password"}
    assert client.post("/dashboard/staff", data=form).status_code == 201
    people = {person["name"]: person["phone"] for person in list_staff(open_clinic(app.config["CRS"]))}
    assert people["Sam Nurse"] == stored


def test_a_staff_phone_that_cannot_exist_is_refused_in_words(app, client, admin):  # noqa: F811
    form = {"csrf_token": admin, "name": "Sam Nurse", "role": "nurse", "phone": "+1 312 055 0142",
            "password": "sam's long password", "password_again": "sam's long password"}
    response = client.post("/dashboard/staff", data=form)
    assert response.status_code == 400
    assert "Phone &#39;+1 312 055 0142&#39; is not a phone number that can exist; check the area code" in response.text
    assert "Sam Nurse" not in [person["name"] for person in list_staff(open_clinic(app.config["CRS"]))]
