"""Request bodies are models (monitoring/bodies.py): the API and the dashboard's forms check a value by the same
rule; the API's 400 names the field, the form says the same thing in its own words beside the field."""
from __future__ import annotations

import re

import pytest
from conftest import PATIENT_PHONE, START, add_staff, auth
from test_dashboard import admin, enroll_form, users  # noqa: F401  (the signed-in dashboard fixtures)


@pytest.mark.parametrize("change, field, api_words, form_words", [
    pytest.param({"monitoring_hours": 400}, "monitoring_hours", "monitoring_hours must be between 1 and 336, not 400",
                 "Monitoring hours must be between 1 and 336, not 400", id="hours-out-of-range"),
    pytest.param({"baseline_spo2": 30}, "baseline_spo2", "baseline_spo2 must be between 80 and 100, not 30",
                 "Baseline SpO2 must be between 80 and 100, not 30", id="spo2-out-of-range"),
    pytest.param({"mrn": "MRN 417"}, "mrn", "mrn must be the medical record number", "MRN must be the medical record number",
                 id="mrn-space"),
    pytest.param({"caregivers": [{"name": "Maria", "phone": "12"}]}, "caregivers[0].phone",
                 "caregivers[0].phone '12' is not a possible phone number", "Caregiver 1: cell '12' is not a possible",
                 id="caregiver-phone"),
])
def test_the_api_and_the_form_refuse_alike(client, runner, admin, change, field, api_words, form_words):  # noqa: F811
    body = {"name": "Pat", "phone": PATIENT_PHONE, "therapy": "teclistamab", "dose_given_at": START.isoformat(),
            **change}
    response = client.post("/api/v1/patients", json=body, headers=auth(add_staff(runner, "Api Nurse", "nurse")))
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert response.get_json()["error"].startswith(api_words)
    form = {key: str(value) for key, value in change.items() if key != "caregivers"}
    for row, caregiver in enumerate(change.get("caregivers", [])):
        form |= {f"caregivers[{row}].{key}": value for key, value in caregiver.items()}
    page = enroll_form(client, admin, **form)
    assert page.status_code == 400
    errors = dict(re.findall(r'<p class="field-error" id="([^"]+)-error">([^<]*)</p>', page.text))
    assert errors[field].replace("&#39;", "'").startswith(form_words)


@pytest.mark.parametrize("path, form, words", [
    pytest.param("doses", {"therapy": ""}, "Therapy is required", id="dose-no-therapy"),
    pytest.param("doses", {"therapy": "x", "given_at": "soon"}, "Dose given at must be a date and time",
                 id="dose-time-words"),
    pytest.param("medications", {"name": "aspirin"}, "Medication must be one of acetaminophen", id="med-unknown"),
    pytest.param("medications", {"name": "tocilizumab", "dose_mg": "lots"}, "Dose (mg) must be a number",
                 id="med-dose-words"),
    pytest.param("medications", {"name": "tocilizumab", "dose_mg": "99999"},
                 "Dose (mg) must be a number between 0.1 and 5000", id="med-dose-too-big"),
    pytest.param("caregivers", {"name": "Maria", "phone": "12"}, "Caregiver&#39;s cell &#39;12&#39; is not a possible",
                 id="caregiver-bad-phone"),
])
def test_patient_page_forms_word_errors_with_their_labels(client, admin, path, form, words):  # noqa: F811
    enroll_form(client, admin)
    page = client.post(f"/dashboard/patients/1/{path}", data={"csrf_token": admin, **form})
    assert page.status_code == 400
    assert re.search(r'class="error-summary" role="alert"><p>' + re.escape(words), page.text)
    assert "_" not in re.search(r'class="error-summary" role="alert"><p>([^<]*)', page.text).group(1)
