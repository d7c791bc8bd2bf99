"""A nurse's phone is read as a patient's is, and is never a patient's: pages (other patients' names and readings) would go to that patient,
the nurse would never get them, and the nurse's texts would be read as that patient's check-ins. Enrollment
already refuses a staff or on-call phone for a patient (monitoring.patients); these are the other ways round:
the staff page, the settings page's fallback on-call chain, the settings API and the command line."""
from __future__ import annotations

import pytest
from conftest import NURSES, PATIENT_PHONE, START, add_staff, auth, enroll, texts_to
from test_dashboard import admin, csrf_from, users  # noqa: F401  (fixtures)

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


NORA_OLD, NORA_NEW = "+15555550177", "+15555550179"  # the `users` fixture's nurse, and her new phone


def nora(app) -> dict:
    return next(person for person in list_staff(open_clinic(app.config["CRS"])) if person["name"] == "Nora Nurse")


def set_phone(client, app, phone: str):
    page = client.get("/dashboard/staff").text
    return client.post(f"/dashboard/staff/{nora(app)['id']}/phone", data={"csrf_token": csrf_from(page), "phone": phone})


def test_a_nurse_who_changes_phones_gets_the_next_page_on_the_new_one(app, client, admin, api_token, runner, clock,  # noqa: F811
                                                                        phone):
    """The staff page could not change a phone (nor could the command line): a nurse with a new phone stayed on
    call with the old one, and a nurse added without a phone could never be put on call."""
    assert client.put("/api/v1/settings", json={"rota.clinic_hours": ["Nora Nurse"]},
                      headers=auth(api_token)).status_code == 200
    response = set_phone(client, app, "(555) 555-0179")
    assert response.status_code == 302
    assert "Nora Nurse: pages and ACK now use +15555550179" in client.get("/dashboard/staff").text
    assert nora(app)["phone"] == NORA_NEW
    enroll(client, api_token)
    runner.invoke(args=["tick"])
    clock.move_to(START.replace(minute=5))
    phone.text("o2 85")
    assert [m for m in texts_to(client, api_token, NORA_NEW) if m["kind"] == "alert"]
    assert not texts_to(client, api_token, NORA_OLD)
    phone.text("ACK", sender=NORA_NEW)
    alert = client.get("/api/v1/alerts?status=all", headers=auth(api_token)).get_json()[0]
    assert alert["status"] == "acknowledged" and alert["acknowledged_by"] == "Nora Nurse"


@pytest.mark.parametrize("typed, words", [
    pytest.param(PATIENT_PHONE, "is the phone of patient Pat Example", id="a-patients"),
    pytest.param("+1 312 055 0142", "is not a phone number that can exist", id="cannot-exist"),
    pytest.param("ask the desk", "is not a phone number", id="words"),
])
def test_a_bad_new_phone_is_refused_and_changes_nothing(app, client, admin, api_token, typed, words):  # noqa: F811
    enroll(client, api_token)
    response = set_phone(client, app, typed)
    assert response.status_code == 302
    page = client.get("/dashboard/staff").text
    assert "Nora Nurse: " in page and words in page
    assert nora(app)["phone"] == NORA_OLD


def test_two_staff_members_never_share_a_phone(app, client, admin):  # noqa: F811
    """An ACK from a shared phone is read as the first one's: the page and the alert would name the wrong nurse."""
    form = {"csrf_token": admin, "name": "Sam Nurse", "role": "nurse", "phone": NORA_OLD,
            "password": "sam's long password", "password_again": "sam's long password"}
    response = client.post("/dashboard/staff", data=form)
    assert response.status_code == 409 and "+15555550177 is already Nora Nurse&#39;s phone" in response.text
    client.post("/dashboard/staff", data={**form, "phone": ""})
    sam = next(person for person in list_staff(open_clinic(app.config["CRS"])) if person["name"] == "Sam Nurse")
    page = client.get("/dashboard/staff").text
    refused = client.post(f"/dashboard/staff/{sam['id']}/phone", data={"csrf_token": csrf_from(page), "phone": NORA_OLD})
    assert refused.status_code == 302 and "is already Nora Nurse&#39;s phone" in client.get("/dashboard/staff").text


def test_a_phone_taken_away_takes_the_nurse_off_call(app, client, admin, api_token, runner, clock, phone):  # noqa: F811
    client.put("/api/v1/settings", json={"rota.clinic_hours": ["Nora Nurse"]}, headers=auth(api_token))
    assert set_phone(client, app, "").status_code == 302
    assert nora(app)["phone"] is None
    enroll(client, api_token)
    runner.invoke(args=["tick"])
    clock.move_to(START.replace(minute=5))
    phone.text("o2 85")
    assert [m for m in texts_to(client, api_token, NURSES[0]) if m["kind"] == "alert"]  # the fallback chain


def test_the_command_line_changes_a_phone(app, runner, users):  # noqa: F811
    result = runner.invoke(args=["staff", "phone", "Nora Nurse", "+15555550179"])
    assert result.exit_code == 0 and "Nora Nurse: pages and ACK now use +15555550179" in result.output
    assert nora(app)["phone"] == NORA_NEW
    refused = runner.invoke(args=["staff", "phone", "Nora Nurse", "12"])
    assert refused.exit_code != 0 and "is not a possible phone number" in refused.output
    assert nora(app)["phone"] == NORA_NEW




@pytest.mark.parametrize("number, words", [
    ("+15555550123", "the number the service texts from"),  # [sms] from_number
    ("+15555550100", "the clinic's phone"),  # [clinic] phone
])
def test_a_staff_phone_may_not_be_one_of_the_clinic_s_own_numbers(app, runner, number, words):
    """Found in review: a nurse given the service's own number got her pages texted to the service itself, and one
    given the clinic's desk line got them at the desk; enrollment already refused both for patients."""
    from monitoring import staff
    from monitoring.clinic import ValidationError

    clinic = open_clinic(app.config["CRS"])
    with pytest.raises(ValidationError) as refused:
        staff.add_staff(clinic, "Nora Nurse", "nurse", number, now=START)
    assert words in refused.value.message and "the nurse's own mobile" in refused.value.message
    staff.add_staff(clinic, "Nora Nurse", "nurse", "+15555550161", now=START)
    with pytest.raises(ValidationError):
        staff.set_phone(clinic, "Nora Nurse", number, actor="test")


def test_the_command_takes_a_phone_away_only_when_told_to(app, runner):
    """Found in review: 'staff phone NAME' with the number forgotten took the nurse off call without a word."""
    from monitoring import staff

    staff.add_staff(open_clinic(app.config["CRS"]), "Nora Nurse", "nurse", "+15555550161", now=START)
    forgot = runner.invoke(args=["staff", "phone", "Nora Nurse"])
    assert forgot.exit_code == 2 and "--none" in forgot.output and "Traceback" not in forgot.output
    assert [row["phone"] for row in list_staff(open_clinic(app.config["CRS"])) if row["name"] == "Nora Nurse"] == [
        "+15555550161"]
    both = runner.invoke(args=["staff", "phone", "Nora Nurse", "+15555550179", "--none"])
    assert both.exit_code == 2
    away = runner.invoke(args=["staff", "phone", "Nora Nurse", "--none"])
    assert away.exit_code == 0, away.output
    assert [row["phone"] for row in list_staff(open_clinic(app.config["CRS"])) if row["name"] == "Nora Nurse"] == [None]


def test_a_config_file_whose_on_call_phone_is_a_patient_s_is_shown_to_the_operator(app, client, api_token, config,
                                                                                  tmp_path):
    """The settings page refuses a patient's phone in the fallback chain, but the config file's [[oncall]] is read
    at start, before any patient is known: a nurse's number typed over a patient's went unnoticed, and pages (other
    patients' initials and readings) would go to that patient. Which patients' phones there are is the database's
    to know, so the start goes on and the operator is told: /healthz fails and the dashboard banner says which key
    (naming no patient: /healthz is read by monitoring outside the clinic)."""
    from test_dashboard import add_user, sign_in

    from app import create_app

    enroll(client, api_token)
    assert client.get("/healthz").get_json()["checks"]["staff_phones"]["ok"]
    edited = {**config, "oncall": [config["oncall"][0], {"name": "Backup nurse", "phone": PATIENT_PHONE}]}
    restarted = create_app(edited)  # the file edited, the service started again on the same database
    restarted.testing = True
    client = restarted.test_client()
    response = client.get("/healthz")
    check = response.get_json()["checks"]["staff_phones"]
    assert response.status_code == 503 and not check["ok"] and check["patient_phones"] == 1
    assert "oncall[1].phone (Backup nurse, ...0199) is a patient's phone" in check["error"]
    assert "Pat Example" not in check["error"]
    add_user(restarted, "Dana Admin", "admin")
    assert sign_in(client, "Dana Admin").status_code == 302
    assert "oncall[1].phone (Backup nurse, ...0199) is a patient&#39;s phone" in client.get("/dashboard").text
