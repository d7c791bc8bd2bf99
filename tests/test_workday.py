"""The clinic's working day on the dashboard and the API: pause from the patient page, alert history with
outcomes, past patients and search, the response-time report and its CSV (CONTRACT section 8)."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from conftest import NURSES, PATIENT_PHONE, START, auth, enroll
from test_dashboard import add_user, csrf_from, sign_in

DESK = "Nell Nurse"  # the dashboard's user; the API's token is conftest's Ada Admin


@pytest.fixture
def signed_in(client, app):
    add_user(app, DESK, "nurse")
    assert sign_in(client, DESK).status_code == 302
    return csrf_from(client.get("/dashboard").text)


def tick(runner):
    assert runner.invoke(args=["tick"]).exit_code == 0


def red_flag(phone, runner, sender=PATIENT_PHONE):
    phone.text("temp 39.4 bp 84/50 confused", sender=sender)
    tick(runner)


def test_pause_resume_and_end_from_the_patient_page(client, signed_in, admin_token, patient):
    page = f"/dashboard/patients/{patient['id']}"
    response = client.post(f"{page}/pause", data={"reason": "ed", "until": "2026-03-03T16:00",
                                                  "csrf_token": signed_in})
    assert response.status_code == 303
    html = client.get(page).text
    assert "Paused" in html and "in the emergency department" in html and "Resume check-ins now" in html
    episode = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["episode"]
    assert episode["status"] == "paused" and episode["pause_until"] == "2026-03-03T22:00:00+00:00"
    assert "paused: in the emergency department" in client.get("/dashboard").text
    client.post(f"{page}/resume", data={"csrf_token": signed_in})
    assert "Active until" in client.get(page).text
    refused = client.post(f"{page}/end", data={"end_reason": "", "csrf_token": signed_in})
    assert refused.status_code == 303 and "Reason is required" in client.get(page).text
    client.post(f"{page}/end", data={"end_reason": "moved to hospice care", "csrf_token": signed_in})
    html = client.get(page).text
    assert "Ended" in html and "moved to hospice care" in html
    timeline = html[html.index('id="timeline"'):]
    assert timeline.count("Monitoring paused") == 1 and "Monitoring resumed" in timeline
    assert "Monitoring ended" in timeline


def test_stop_reads_not_monitored(client, signed_in, patient, phone):
    phone.text("STOP")
    assert "not monitored (texted STOP)" in client.get("/dashboard").text
    html = client.get(f"/dashboard/patients/{patient['id']}").text
    assert "Not monitored (texted STOP)" in html and "next due" not in html


def test_history_filters_and_outcome(client, signed_in, admin_token, patient, phone, runner, clock):
    red_flag(phone, runner)
    other = enroll(client, admin_token, name="Quinn Other", phone="+15555550188", mrn="Q-77")
    tick(runner)
    clock.move_to(START + timedelta(minutes=5))
    red_flag(phone, runner, sender="+15555550188")
    [mine] = client.get(f"/api/v1/alerts?patient_id={patient['id']}", headers=auth(admin_token)).get_json()
    client.post(f"/api/v1/alerts/{mine['id']}/ack", headers=auth(admin_token))
    resolved = client.post(f"/api/v1/alerts/{mine['id']}/resolve", headers=auth(admin_token),
                           json={"note": "seen in clinic, fine", "outcome": "clinic"})
    assert resolved.status_code == 200 and resolved.get_json()["outcome"] == "clinic"
    html = client.get(f"/dashboard/history?patient_id={patient['id']}").text
    rows = re.findall(r'<tr data-alert-id="(\d+)" data-patient-id="(\d+)"', html)
    assert rows == [(str(mine["id"]), str(patient["id"]))]
    assert "seen in clinic" in html and "Ada Admin" in html
    everyone = client.get("/dashboard/history").text
    assert len(re.findall(r"<tr data-alert-id=", everyone)) == 2 and "MRN Q-77" in everyone
    assert len(re.findall(r"<tr data-alert-id=", client.get("/dashboard/history?status=open").text)) == 1
    assert client.get("/dashboard/history?since=2026-03-01&until=2026-03-02").text.count("<tr data-alert-id=") == 0
    bad = client.get("/dashboard/history?since=March&until=2026-02-30")
    assert bad.status_code == 400 and "From must be a date like" in bad.text
    assert "To &#39;2026-02-30&#39; is not a date on the calendar" in bad.text
    # the API filters the same way
    api = client.get("/api/v1/alerts?status=resolved&since=2026-03-03&until=2026-03-03", headers=auth(admin_token))
    assert [a["id"] for a in api.get_json()] == [mine["id"]]
    assert client.get("/api/v1/alerts?status=all&since=2026-03-04&until=2026-03-05", headers=auth(admin_token)).get_json() == []
    assert client.get("/api/v1/alerts?level=loud", headers=auth(admin_token)).status_code == 400
    assert other["mrn"] == "Q-77"


def test_resolve_refuses_an_unknown_outcome(client, admin_token, patient, phone, runner):
    red_flag(phone, runner)
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    response = client.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"outcome": "cured"},
                           headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == "outcome"
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()[0]["status"] == "open"


def test_resolve_with_outcome_from_the_dashboard(client, signed_in, patient, phone, runner, admin_token):
    red_flag(phone, runner)
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    client.post(f"/dashboard/alerts/{alert['id']}/resolve", data={"note": "", "outcome": "ed",
                                                                 "csrf_token": signed_in})
    assert client.get("/api/v1/alerts?status=all", headers=auth(admin_token)).get_json()[0]["outcome"] == "ed"


def test_search_patients_by_name_phone_and_mrn_and_list_past_ones(client, signed_in, admin_token):
    ann = enroll(client, admin_token, name="Ann Lee", phone="+15555550181", mrn="MRN-1")
    enroll(client, admin_token, name="Ann Lee", phone="+15555550182", mrn="MRN-2", birth_date="1950-01-02")
    enroll(client, admin_token, name="Bo Diaz", phone="+15555550183")
    client.post(f"/api/v1/patients/{ann['id']}/end", json={"reason": "transferred"}, headers=auth(admin_token))

    def found(query):
        return re.findall(r'<tr data-patient-id="(\d+)"', client.get(f"/dashboard/patients?{query}").text)

    assert len(found("")) == 2  # being monitored
    assert found("show=past") == [str(ann["id"])]
    assert len(found("show=all&q=ann+lee")) == 2
    assert found("show=all&q=mrn-1") == [str(ann["id"])]
    assert found("show=all&q=(555)%20555-0181") == [str(ann["id"])]
    assert found("show=all&q=%25") == []  # a LIKE wildcard is a character, not "everyone"
    assert "transferred" in client.get("/dashboard/patients?show=past").text


def test_report_page_table_and_csv_hold_the_same_rows(client, signed_in, patient, phone, runner):
    red_flag(phone, runner)
    page = client.get("/dashboard/reports/alerts?since=2026-03-01&until=2026-03-03")
    assert page.status_code == 200
    cells = re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', page.text)
    download = client.get("/dashboard/reports/alerts.csv?since=2026-03-01&until=2026-03-03")
    assert download.mimetype == "text/csv" and "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["measure", "value"]
    unescape = {"&#39;": "'", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&#34;": '"'}

    def plain(text):
        for entity, char in unescape.items():
            text = text.replace(entity, char)
        return text

    assert [(plain(m), plain(v)) for m, v in cells] == [tuple(row) for row in rows[1:]]
    assert ("Alerts", "1") in [tuple(row) for row in rows]
    assert '<svg class="chart chart-bars"' in page.text
    assert client.get("/dashboard/reports/alerts?since=2026-03-05&until=2026-03-01").status_code == 400
    assert client.get("/dashboard/reports/alerts.csv?since=x").status_code == 400


def test_api_report(client, admin_token, patient, phone, runner):
    red_flag(phone, runner)
    body = client.get("/api/v1/reports/alerts?since=2026-03-03", headers=auth(admin_token)).get_json()
    assert body["alerts"] == 1 and body["by_level"]["urgent"] == 1 and body["called"] == 0
    assert body["first_page_seconds"]["median"] == 0 and body["ack_seconds"]["median"] is None
    assert set(body["outcomes"]) == {"home_care", "ed", "clinic", "admitted", "no_action"}
    bad = client.get("/api/v1/reports/alerts?until=soon", headers=auth(admin_token))
    assert bad.status_code == 400 and bad.get_json()["field"] == "until"
    assert NURSES  # the chain was paged (first_page_seconds is measured from its page)


def test_grade_from_the_patient_page_is_recorded_on_the_timeline(client, signed_in, patient):
    page = client.get(f"/dashboard/patients/{patient['id']}").text
    assert f'href="/dashboard/grade?patient_id={patient["id"]}"' in page
    form = client.get(f"/dashboard/grade?patient_id={patient['id']}").text
    assert "ASTCT CRS grading for Pat Example" in form and 'name="patient_id"' in form
    response = client.post("/dashboard/grade", data={
        "csrf_token": signed_in, "patient_id": str(patient["id"]), "temperature_c": "101.5", "temperature_unit": "F",
        "hypotension": "on", "vasopressors": "0", "oxygen": "low_flow", "oxygen_lpm": "2"})
    assert response.status_code == 303
    html = client.get(f"/dashboard/patients/{patient['id']}").text
    timeline = html[html.index('id="timeline"'):]
    assert "ASTCT grade recorded by Nell Nurse" in timeline and "Grade 2" in timeline
    assert "temperature 38.6 C, hypotension, oxygen low flow 2 L/min" in timeline
    summary = client.get(f"/dashboard/patients/{patient['id']}/summary").text
    assert "Grade 2 (hypotension)" in summary and "Nell Nurse" in summary


@pytest.mark.parametrize("form, message", [
    pytest.param({"temperature_c": "102.3", "temperature_unit": "C"}, "did you mean 102.3 °F", id="fahrenheit-in-c"),
    pytest.param({}, "With nothing entered there is nothing to grade", id="nothing-entered"),
    pytest.param({"temperature_c": "150", "temperature_unit": "F"}, "outside 77-113 °F", id="f-out-of-range"),
])
def test_grading_form_says_what_it_needs(client, signed_in, form, message):
    response = client.post("/dashboard/grade", data={"csrf_token": signed_in, "vasopressors": "0", "oxygen": "none",
                                                     **form})
    assert response.status_code == 400 and message in response.text and "<h2>Grade" not in response.text


def test_grade_zero_says_what_crs_needs(client, signed_in):
    response = client.post("/dashboard/grade", data={"csrf_token": signed_in, "temperature_c": "98.6",
                                                     "temperature_unit": "F", "vasopressors": "0", "oxygen": "none"})
    assert "<h2>Grade 0" in response.text and "needs a fever of 38.0 °C (100.4 °F)" in response.text


def test_episode_summary_holds_the_whole_episode(client, signed_in, admin_token, patient, phone, runner, clock):
    client.post(f"/api/v1/patients/{patient['id']}/medications", json={"name": "tocilizumab", "weight_kg": 70},
                headers=auth(admin_token))
    red_flag(phone, runner)
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    client.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"note": "sent to ED", "outcome": "ed"},
                headers=auth(admin_token))
    html = client.get(f"/dashboard/patients/{patient['id']}/summary").text
    for expected in ("Pat Example", "teclistamab", "39.4 °C", "84/50", "URGENT", "tocilizumab", "560 mg",
                     "Primary nurse at", "emergency department", "sent to ED", "temp 39.4 bp 84/50 confused",
                     "Texts ("):
        assert expected in html, expected
    assert client.get(f"/dashboard/patients/{patient['id']}/summary?episode=99").status_code == 404


def test_pages_say_who_was_paged_and_never_just_now_ago(client, signed_in, admin_token, patient, phone, runner):
    red_flag(phone, runner)
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    page = client.get(f"/dashboard/alerts/{alert['id']}").text
    assert "at 10:00 AM to Primary nurse" in page and "round 0" not in page
    for url in ("/dashboard", f"/dashboard/alerts/{alert['id']}", f"/dashboard/patients/{patient['id']}"):
        html = client.get(url).text
        assert "just now ago" not in html and "just now" in html, url
    assert 'class="level-icon" aria-hidden="true">▲</span>' in client.get("/dashboard").text
    assert 'id="live-toggle"' in client.get("/dashboard").text  # the updates can be paused (WCAG 2.2.2)


def test_spanish_texts_carry_lang_es(client, signed_in, admin_token, runner):
    enrolled = enroll(client, admin_token, language="es")
    tick(runner)
    html = client.get(f"/dashboard/patients/{enrolled['id']}").text
    assert '<q class="tl-body" lang="es">' in html
    simulator = client.get("/simulator?phone=%2B15555550199").text
    assert '<span class="bubble-body" lang="es">' in simulator and 'id="conversation" aria-live="polite" tabindex="0"' in simulator


def test_settings_show_every_error_at_once_in_words(client, app):
    from test_dashboard import ADMIN

    add_user(app, ADMIN, "admin")
    assert sign_in(client, ADMIN).status_code == 302
    token = csrf_from(client.get("/dashboard/settings").text)
    response = client.post("/dashboard/settings", data={
        "csrf_token": token, "thresholds.fever_c": "45", "checkins.interval_minutes": "five",
        "clinic.open": "25:00", "oncall": "Primary nurse +15555550142"})
    assert response.status_code == 400
    errors = dict(re.findall(r'<p class="field-error" id="([\w-]+)-error">([^<]+)</p>', response.text))
    assert set(errors) == {"thresholds-fever_c", "checkins-interval_minutes", "clinic-open", "oncall"}, errors
    assert errors["thresholds-fever_c"].startswith("Fever at or above (°C) must be between 37.5 and 39.5")
    assert errors["checkins-interval_minutes"] == "Minutes between check-ins must be a number"
    assert errors["oncall"].startswith("On-call chain")
    assert all("thresholds." not in text and "checkins." not in text and "clinic." not in text
               for text in errors.values()), errors
    saved = client.post("/dashboard/settings", data={"csrf_token": token, "thresholds.fever_c": "38.3"})
    assert saved.status_code == 302
    assert "Saved: Fever at or above (°C)." in client.get("/dashboard/settings").text


def test_enrollment_form_takes_mrn_and_birth_date(client, signed_in, admin_token):
    form = {"csrf_token": signed_in, "name": "Pat Example", "phone": "+15555550199", "language": "en",
            "therapy": "teclistamab", "mrn": "A-1", "birth_date": "1956-04-17"}
    assert client.post("/dashboard/patients/new", data=form).status_code == 303
    page = client.get("/dashboard/patients/1").text
    assert "MRN A-1" in page and "born 1956-04-17" in page
    again = client.post("/dashboard/patients/new", data={**form, "phone": "+15555550188", "birth_date": "2099-01-01"})
    assert again.status_code == 400
    assert 'id="mrn-error"' in again.text and "already belongs to patient 1" in again.text
    assert 'id="birth_date-error"' in again.text and "Date of birth is in the future" in again.text
