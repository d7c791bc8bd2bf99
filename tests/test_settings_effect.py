"""Every setting editable on the settings page takes effect at once, without a restart, where it is used
(issue 12): one test per key, each proving the effect, not that the value was saved. Work the scheduler
does is run through `run_due_work` on its own copy of the config, loaded before the edit, as the
scheduler process holds it."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from conftest import NURSES, PATIENT_PHONE, START, auth, enroll, every_connection_traced, texts_to

from messages.gateways import OutboxGateway
from monitoring import app_api
from monitoring import config as config_module
from monitoring.clinic import open_clinic
from monitoring.settings import editable_keys
from monitoring.store import patient_by_id, to_text
from scheduler.jobs import run_due_work

PROVEN: dict[str, str] = {}  # editable key -> the test that proves its effect


def proves(key: str):
    def mark(test):
        PROVEN[key] = test.__name__
        return test
    return mark


# Proven elsewhere, through the same webhook and scheduler paths.
PROVEN.update({
    "clinic.dashboard_url": "test_nurse_page.py::test_dashboard_link_is_the_address_set_a_moment_before_in_web_and_scheduler",
    "escalation.page_callback_number": "test_nurse_page.py::test_callback_number_is_a_clinic_setting",
    "escalation.call_after_minutes": "test_voice.py::test_call_after_minutes_is_read_live",
    "rota.clinic_hours": "test_rota.py::test_clinic_hours_page_the_day_chain_and_nights_the_night_chain",
    "rota.after_hours": "test_rota.py::test_clinic_hours_page_the_day_chain_and_nights_the_night_chain",
    "checkins.neuro_check_time": "test_caregivers.py::test_the_neuro_check_time_is_a_clinic_setting",
})


@pytest.fixture
def scheduler(config):
    """One pass of the scheduler process, whose config was loaded at its start (before any edit)."""
    own = config_module.load(config)
    return lambda: run_due_work(own, OutboxGateway(echo=False))


@pytest.fixture
def edit(client, admin_token):
    def change(key, value):
        response = client.put("/api/v1/settings", json={key: value}, headers=auth(admin_token))
        assert response.status_code == 200, response.get_json()
    return change


@pytest.fixture
def enrolled(client, admin_token, scheduler):
    patient = enroll(client, admin_token, baseline_systolic=125)
    scheduler()
    return patient


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def to_patient(client, token):
    return [m for m in texts_to(client, token, PATIENT_PHONE)]


def last_reply(client, token):
    return to_patient(client, token)[-1]["body"]


def assessment(client, token, patient):
    return client.get(f"/api/v1/patients/{patient['id']}", headers=auth(token)).get_json()["latest_assessment"]


def open_alerts(client, token):
    return client.get("/api/v1/alerts", headers=auth(token)).get_json()


def test_every_editable_key_has_an_effect_test():
    assert set(editable_keys()) <= set(PROVEN), sorted(set(editable_keys()) - set(PROVEN))


# --- clinic ---------------------------------------------------------------------------------------------

@proves("clinic.name")
def test_clinic_name_starts_the_next_prompt(client, admin_token, enrolled, edit, clock, scheduler):
    edit("clinic.name", "Lakeside Oncology")
    at(clock, 120)
    scheduler()
    assert last_reply(client, admin_token).startswith("Lakeside Oncology: time for your check-in")


@proves("clinic.phone")
def test_clinic_phone_is_in_the_next_urgent_reply(client, admin_token, enrolled, edit, clock, phone):
    edit("clinic.phone", "+15555550111")
    at(clock, 5)
    phone.text("o2 85")
    assert "(555) 555-0111" in last_reply(client, admin_token)


@proves("clinic.timezone")
def test_clinic_timezone_sets_the_time_in_pages(client, admin_token, enrolled, edit, clock, phone):
    edit("clinic.timezone", "America/New_York")
    at(clock, 5)
    phone.text("o2 85")
    page = texts_to(client, admin_token, NURSES[0])[-1]["body"]
    assert "at 11:05 AM." in page  # 10:05 in Chicago


@proves("clinic.open")
def test_clinic_open_decides_in_or_after_hours(client, admin_token, enrolled, edit, clock, phone):
    edit("clinic.open", "11:00")
    at(clock, 5)
    phone.text("o2 85")  # 10:05: before the clinic opens, SOP 5 Grade 2: after hours -> ED
    assert "emergency department NOW" in last_reply(client, admin_token)


@proves("clinic.close")
def test_clinic_close_decides_in_or_after_hours(client, admin_token, enrolled, edit, clock, phone):
    edit("clinic.close", "10:00")
    at(clock, 5)
    phone.text("o2 85")
    assert "emergency department NOW" in last_reply(client, admin_token)


@proves("clinic.days")
def test_clinic_days_decide_in_or_after_hours(client, admin_token, enrolled, edit, clock, phone):
    edit("clinic.days", ["mon"])  # START is a Tuesday
    at(clock, 5)
    phone.text("o2 85")
    assert "emergency department NOW" in last_reply(client, admin_token)


# --- check-ins ------------------------------------------------------------------------------------------

@proves("checkins.interval_minutes")
def test_interval_sets_the_next_checkin(client, admin_token, enrolled, edit, clock, phone):
    edit("checkins.interval_minutes", 90)
    at(clock, 5)
    phone.text("98.6")
    assert "Next check-in at 11:35 AM" in last_reply(client, admin_token)


@proves("checkins.febrile_interval_minutes")
def test_febrile_interval_sets_the_next_prompt_while_febrile(client, admin_token, enrolled, edit, clock, phone,
                                                             scheduler):
    edit("checkins.febrile_interval_minutes", 50)
    at(clock, 5)
    phone.text("100.8")
    before = len(to_patient(client, admin_token))
    at(clock, 54)
    scheduler()
    assert len(to_patient(client, admin_token)) == before
    at(clock, 55)
    scheduler()
    assert "time for your check-in" in last_reply(client, admin_token)


@proves("checkins.reminder_after_minutes")
def test_reminder_after(client, admin_token, enrolled, edit, clock, scheduler):
    edit("checkins.reminder_after_minutes", 5)
    at(clock, 5)
    scheduler()
    assert "we have not heard from you" in last_reply(client, admin_token)


@proves("checkins.missed_after_minutes")
def test_missed_after(client, admin_token, enrolled, edit, clock, scheduler):
    edit("checkins.escalate_after_missed", 1)
    edit("checkins.missed_after_minutes", 20)
    at(clock, 19)
    scheduler()
    assert open_alerts(client, admin_token) == []
    at(clock, 20)
    scheduler()
    assert open_alerts(client, admin_token)[0]["reasons"] == ["missed_checkins"]


@proves("checkins.escalate_after_missed")
def test_escalate_after_missed(client, admin_token, enrolled, edit, clock, scheduler):
    edit("checkins.escalate_after_missed", 1)
    at(clock, 45)  # the first check-in (sent at enrollment) counts as missed
    scheduler()
    assert open_alerts(client, admin_token)[0]["reasons"] == ["missed_checkins"]


@proves("checkins.monitoring_hours")
def test_monitoring_hours_for_a_new_dose(client, admin_token, edit, clock, scheduler):
    edit("checkins.monitoring_hours", 2)
    enroll(client, admin_token)  # takes the clinic's monitoring hours at enrollment
    scheduler()
    at(clock, 121)
    scheduler()
    assert "complete" in last_reply(client, admin_token)


@proves("checkins.quiet_start")
@proves("checkins.quiet_end")
def test_quiet_hours_hold_prompts(client, admin_token, enrolled, edit, clock, scheduler):
    client.put("/api/v1/settings", json={"checkins.quiet_start": "11:30", "checkins.quiet_end": "13:00"},
               headers=auth(admin_token))
    before = len(to_patient(client, admin_token))
    at(clock, 125)  # 12:05: the 2-hourly prompt falls in quiet hours
    scheduler()
    assert len(to_patient(client, admin_token)) == before


# --- thresholds (SOP 5, Grade 1) ------------------------------------------------------------------------

@proves("thresholds.fever_c")
def test_fever_threshold(client, admin_token, enrolled, edit, clock, phone):
    edit("thresholds.fever_c", 38.5)
    at(clock, 5)
    phone.text("101.0")  # 38.33 C: a fever at 38.0, not at 38.5
    assert "fever" not in assessment(client, admin_token, enrolled)["reasons"]


@proves("thresholds.systolic_floor")
def test_systolic_floor(client, admin_token, edit, clock, phone, scheduler):
    patient = enroll(client, admin_token)  # no baseline: below the floor alone
    scheduler()
    edit("thresholds.systolic_floor", 100)
    at(clock, 5)
    phone.text("bp 95/60")
    assert "hypotension" in assessment(client, admin_token, patient)["reasons"]


@proves("thresholds.systolic_drop")
def test_systolic_drop(client, admin_token, enrolled, edit, clock, phone):
    edit("thresholds.systolic_drop", 40)
    at(clock, 5)
    phone.text("bp 88/60")  # 37 below the baseline of 125: hypotension at a drop of 10, not 40
    assert "hypotension" not in assessment(client, admin_token, enrolled)["reasons"]


@proves("thresholds.spo2_floor")
def test_spo2_floor(client, admin_token, enrolled, edit, clock, phone):
    edit("thresholds.spo2_floor", 93)
    at(clock, 5)
    phone.text("o2 92")
    assert "hypoxia" in assessment(client, admin_token, enrolled)["reasons"]


@proves("thresholds.acetaminophen_interval_hours")
def test_acetaminophen_interval(client, admin_token, enrolled, edit, clock, phone):
    edit("thresholds.acetaminophen_interval_hours", 8)
    at(clock, 5)
    phone.text("took 650 mg tylenol")
    at(clock, 5 + 7 * 60)
    phone.text("101.2")  # 7 h after the dose: recurrent within 8 h, not within 6
    assert "recurrent_fever" in assessment(client, admin_token, enrolled)["reasons"]


@proves("thresholds.acetaminophen_max_daily_mg")
def test_acetaminophen_daily_max(client, admin_token, enrolled, edit, clock, phone):
    edit("thresholds.acetaminophen_max_daily_mg", 1000)
    at(clock, 5)
    phone.text("took 1000 mg tylenol")
    at(clock, 5 + 7 * 60)
    phone.text("took 650 mg tylenol")
    assert "most acetaminophen" in last_reply(client, admin_token)


@proves("thresholds.protracted_fever_hours")
def test_protracted_fever_hours(client, admin_token, enrolled, edit, clock, phone):
    edit("thresholds.protracted_fever_hours", 12)
    response = client.post(f"/api/v1/patients/{enrolled['id']}/medications",
                           json={"name": "dexamethasone", "dose_mg": 10, "given_at": START.isoformat()},
                           headers=auth(admin_token))
    assert response.status_code == 201, response.get_json()
    at(clock, 5)
    phone.text("101.0")
    at(clock, 5 + 13 * 60)
    phone.text("101.1")
    assert "protracted_fever" in assessment(client, admin_token, enrolled)["reasons"]


@proves("thresholds.prolonged_symptoms_days")
def test_prolonged_symptoms_days(client, admin_token, enrolled, edit, clock, phone):
    edit("thresholds.prolonged_symptoms_days", 1)
    at(clock, 5)
    phone.text("101.0")
    at(clock, 5 + 25 * 60)
    phone.text("101.1")
    assert "prolonged_symptoms" in assessment(client, admin_token, enrolled)["reasons"]


# --- escalation and the chain ---------------------------------------------------------------------------

@proves("escalation.ack_timeout_minutes")
def test_ack_timeout(client, admin_token, enrolled, edit, clock, phone, scheduler):
    edit("escalation.ack_timeout_minutes", 5)
    at(clock, 5)
    phone.text("o2 85")
    at(clock, 10)
    scheduler()
    assert [m for m in texts_to(client, admin_token, NURSES[1]) if m["kind"] == "alert"]


@proves("oncall")
def test_oncall_chain(client, admin_token, enrolled, edit, clock, phone):
    edit("oncall", [{"name": "Night nurse", "phone": "+15555550166"}])
    at(clock, 5)
    phone.text("o2 85")
    assert [m for m in texts_to(client, admin_token, "+15555550166") if m["kind"] == "alert"]
    assert texts_to(client, admin_token, NURSES[0]) == []


# An edit another worker commits after a request began, before its transaction took the write lock (found in
# review): the text or reading is triaged by the settings in force then (Clinic.refresh), not by those its
# request opened with.
FLOOD_COUNT = "SELECT COUNT(*) FILTER (WHERE created_at >= "  # receive_sms's last read before its write lock


def _other_worker_sets(config, key: str, value: str) -> None:
    other = sqlite3.connect(config["database"]["path"])
    try:
        with other:
            other.execute("INSERT OR REPLACE INTO settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)",
                          [key, value, "Ada Admin", to_text(START)])
    finally:
        other.close()


def test_an_edit_committed_while_a_text_waits_for_the_write_lock_is_the_one_it_is_triaged_by(
        client, admin_token, enrolled, clock, phone, config, monkeypatch):
    at(clock, 5)
    planted: list[str] = []

    def trace(statement: str) -> None:
        if statement.startswith(FLOOD_COUNT) and not planted:
            planted.append(statement)
            _other_worker_sets(config, "thresholds.spo2_floor", "92")

    with every_connection_traced(monkeypatch, trace):
        assert phone.text("oxygen 91").status_code == 200
    assert planted  # the edit landed between the request's start and the text's transaction
    assert "hypoxia" in assessment(client, admin_token, enrolled)["reasons"]
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages and "low oxygen 91% (floor 92%)" in pages[-1], pages


def test_an_app_reading_is_triaged_by_an_edit_committed_after_its_request_began(app, enrolled, clock, config):
    at(clock, 5)
    with app.app_context():
        clinic = open_clinic(app.config["CRS"])
        try:
            assert clinic.thresholds.spo2_floor == 90  # the SOP's floor, as the request opened
            _other_worker_sets(config, "thresholds.spo2_floor", "92")
            patient = patient_by_id(clinic.db, enrolled["id"])
            assessment_made, _ = app_api.record(clinic, patient, {"spo2": 91}, START + timedelta(minutes=5),
                                                now=START + timedelta(minutes=5))
        finally:
            clinic.db.close()
    assert "hypoxia" in assessment_made.reasons


def test_refresh_reads_one_row_when_nothing_changed_and_rebuilds_what_an_edit_changed(app, clock, config):
    clinic = open_clinic(app.config["CRS"])
    try:
        before = clinic.thresholds
        assert clinic.refresh() is False
        assert clinic.thresholds is before  # kept: nothing was read again
        _other_worker_sets(config, "thresholds.fever_c", "38.3")
        _other_worker_sets(config, "clinic.timezone", '"America/New_York"')
        assert clinic.refresh() is True
        assert clinic.thresholds.fever_c == 38.3 and str(clinic.tz) == "America/New_York"
        assert clinic.refresh() is False
    finally:
        clinic.db.close()
