"""The dashboard through Flask's test client: sign-in and lockout, CSRF, roles, forms, the chart, the simulator."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import PATIENT_PHONE, START, base_config

from app import create_app
from monitoring import staff as staff_module
from monitoring.clinic import open_clinic
from monitoring.signin import FREE_TRIES, REFUSED, delay_after
from monitoring.store import connect
from web.api import RowId
from web.dashboard.chart import temperature_svg

ADMIN, NURSE = "Ada Admin", "Nora Nurse"
PASSWORD = "correct horse battery"
DASHBOARD_BLUEPRINTS = ("dashboard", "admin", "access", "simulator", "signin", "workday", "devices")
PUBLIC_ENDPOINTS = {"signin.signin"}


def add_user(app, name: str, role: str, password: str = PASSWORD, phone: str | None = None) -> None:
    clinic = open_clinic(app.config["CRS"])
    try:
        staff_module.add_staff(clinic, name, role, phone, now=datetime.now(UTC))  # the clock fixture's
        staff_module.set_password(clinic, name, password, actor="test")
    finally:
        clinic.db.close()


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, name: str, password: str = PASSWORD):
    token = csrf_from(client.get("/signin").text)
    return client.post("/signin", data={"name": name, "password": password, "csrf_token": token})


@pytest.fixture
def users(app):
    add_user(app, ADMIN, "admin")
    add_user(app, NURSE, "nurse", phone="+15555550177")


@pytest.fixture
def admin(client, users):
    assert sign_in(client, ADMIN).status_code == 302
    return csrf_from(client.get("/dashboard").text)


@pytest.fixture
def nurse(client, users):
    assert sign_in(client, NURSE).status_code == 302
    return csrf_from(client.get("/dashboard").text)


def enroll_form(client, token, **extra):
    form = {"name": "Pat Example", "phone": PATIENT_PHONE, "language": "en", "therapy": "teclistamab",
            "dose_given_at": "2026-03-03T09:30", "csrf_token": token, **extra}
    return client.post("/dashboard/patients/new", data=form)


def dashboard_rules(app, row_id: int | str = 1):
    """Every dashboard route with example arguments: (endpoint, url, methods)."""
    examples = {"alert_id": row_id, "patient_id": row_id, "staff_id": row_id, "caregiver_id": row_id, "device_id": row_id,
                "token_id": row_id, "message_id": row_id,
                "filename": "app.css"}
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in DASHBOARD_BLUEPRINTS:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{name}>", str(examples[name]), url)
        rules.append((rule.endpoint, url, rule.methods - {"HEAD", "OPTIONS"}))
    return rules


def test_url_map_has_the_dashboard(app):
    endpoints = {endpoint for endpoint, _, _ in dashboard_rules(app)}
    assert {"dashboard.index", "dashboard.alert", "dashboard.ack", "dashboard.resolve", "dashboard.patient",
            "dashboard.enroll", "dashboard.give_medication", "dashboard.grade", "admin.settings_page",
            "admin.staff_page", "simulator.phone", "simulator.send", "signin.signin",
            "signin.signout"} <= endpoints


def test_every_page_redirects_to_signin_without_a_session(app, client):
    for endpoint, url, methods in dashboard_rules(app):
        if "GET" not in methods or endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.get(url)
        assert response.status_code == 302, endpoint
        assert response.headers["Location"].startswith("/signin"), endpoint


ID_ENDPOINTS = {"dashboard.alert", "dashboard.ack", "dashboard.resolve", "dashboard.patient",
                "dashboard.give_medication", "dashboard.new_dose", "admin.staff_password", "admin.staff_revoke",
                "dashboard.add_caregiver", "dashboard.remove_caregiver",
                "workday.pause", "workday.resume", "workday.end", "workday.summary_page",
                "devices.revoke", "admin.staff_role", "admin.staff_phone", "admin.token_revoke",
                "simulator.answer_call"}


def test_every_dashboard_id_is_a_row_id(app):
    with_ids = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in DASHBOARD_BLUEPRINTS and rule.arguments - {"filename"}:
            with_ids.add(rule.endpoint)
            assert all(isinstance(rule._converters[name], RowId) for name in rule.arguments), rule.rule
    assert with_ids == ID_ENDPOINTS


@pytest.mark.parametrize("huge", ["9223372036854775808", "99999999999999999999999"], ids=["2**63", "23-digits"])
def test_ids_past_sqlite_range_are_the_dashboards_404(app, client, admin, huge):
    tried = set()
    for endpoint, url, methods in dashboard_rules(app, huge):
        if endpoint not in ID_ENDPOINTS:
            continue
        for method in methods:
            form = {"csrf_token": admin, "note": "x", "name": "dexamethasone", "dose_mg": "10",
                    "therapy": "teclistamab", "password": "a new long password"}
            response = client.get(url) if method == "GET" else client.post(url, data=form)
            assert response.status_code == 404, (endpoint, method, response.status_code)
            assert "There is nothing at this address." in response.text, endpoint
            assert "default-src 'self'" in response.headers["Content-Security-Policy"], endpoint
            tried.add(endpoint)
    assert tried == ID_ENDPOINTS
    largest = client.get(f"/dashboard/alerts/{2**63 - 1}")  # the largest id SQLite holds: no such alert
    assert largest.status_code == 404 and f"no alert {2**63 - 1}" in largest.text
    api = client.post(f"/api/v1/alerts/{huge}/ack")  # the API keeps its JSON answer
    assert api.status_code == 404 and api.is_json


def test_root_redirects_to_the_dashboard(client):
    assert client.get("/").headers["Location"] == "/dashboard"


@pytest.mark.parametrize("signed_in", [False, True], ids=["no-session", "signed-in"])
def test_every_form_post_without_csrf_is_refused(app, client, users, signed_in):
    if signed_in:
        sign_in(client, ADMIN)
    before = connect(app.config["CRS"]["database"]["path"]).execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    posts = [(endpoint, url) for endpoint, url, methods in dashboard_rules(app) if "POST" in methods]
    assert len(posts) >= 10
    for endpoint, url in posts:
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data=data)
            assert response.status_code in (400, 403), (endpoint, data, response.status_code)
    after = connect(app.config["CRS"]["database"]["path"]).execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    assert after == before  # nothing happened, not even a failed sign-in


def test_signin_success_sets_a_session_and_signout_ends_it(client, users):
    response = sign_in(client, NURSE)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie  # https base URL in tests
    page = client.get("/dashboard")
    assert page.status_code == 200 and NURSE in page.text
    assert client.post("/signout", data={"csrf_token": csrf_from(page.text)}).status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_signin_follows_next_but_only_on_this_site(client, users):
    token = csrf_from(client.get("/signin").text)
    form = {"name": NURSE, "password": PASSWORD, "csrf_token": token}
    assert client.post("/signin", data={**form, "next": "//evil.example/x"}).headers["Location"] == "/dashboard"
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/dashboard").text)})
    token = csrf_from(client.get("/signin").text)
    response = client.post("/signin", data={**form, "csrf_token": token, "next": "/dashboard/grade"})
    assert response.headers["Location"] == "/dashboard/grade"


def test_wrong_password_unknown_name_and_a_throttled_try_read_the_same(client, users):
    wrong = sign_in(client, NURSE, "not the password")
    unknown = sign_in(client, "Nobody", "not the password")
    for _ in range(FREE_TRIES):
        sign_in(client, NURSE, "not the password")
    throttled = sign_in(client, NURSE)  # the right password, too soon: refused unchecked
    assert wrong.status_code == unknown.status_code == throttled.status_code == 401
    assert REFUSED in wrong.text and REFUSED in unknown.text and REFUSED in throttled.text
    assert wrong.text.replace("not the password", "") == throttled.text.replace("not the password", "")
    assert "Wrong name or password" in wrong.text


def test_wrong_passwords_slow_that_name_from_that_address_only(app, client, users, clock):
    """Not a lockout anyone can trigger: the waits hold one name from one address (SP 800-63B 5.2.2)."""
    for _ in range(FREE_TRIES):
        assert sign_in(client, NURSE, "wrong password!").status_code == 401
    refused = sign_in(client, NURSE)  # the right password no longer helps from here, for now
    assert refused.status_code == 401 and REFUSED in refused.text
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert sign_in(elsewhere, NURSE).status_code == 302  # the nurse at her own desk is not locked out
    db = connect(app.config["CRS"]["database"]["path"])
    actions = [row[0] for row in db.execute("SELECT action FROM audit_log WHERE actor = ?", [NURSE])]
    assert actions.count("signin.failed") == FREE_TRIES  # the throttled try was never checked
    assert "signin.throttled" in actions
    clock.shift(delay_after(FREE_TRIES) + timedelta(seconds=1))
    assert sign_in(client, NURSE).status_code == 302


def test_admin_setting_a_password_lifts_the_lock(app, client, users):
    for _ in range(FREE_TRIES):
        sign_in(client, NURSE, "wrong password!")
    assert sign_in(client, NURSE).status_code == 401
    sign_in(client, ADMIN)
    token = csrf_from(client.get("/dashboard/staff").text)
    nurse_id = connect(app.config["CRS"]["database"]["path"]).execute(
        "SELECT id FROM staff WHERE name = ?", [NURSE]).fetchone()[0]
    client.post(f"/dashboard/staff/{nurse_id}/password", data={"password": "a new long password", "csrf_token": token})
    client.post("/signout", data={"csrf_token": token})
    assert sign_in(client, NURSE, "a new long password").status_code == 302


def test_revoking_staff_ends_their_session(client, users, runner):
    sign_in(client, NURSE)
    assert client.get("/dashboard").status_code == 200
    assert runner.invoke(args=["staff", "revoke", NURSE]).exit_code == 0
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("url", ["/dashboard/settings", "/dashboard/staff", "/dashboard/devices"])
def test_admin_pages_are_403_for_a_nurse(client, nurse, url):
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": nurse, "thresholds.fever_c": "38.5", "name": "X"}).status_code == 403


def test_nurse_does_not_see_admin_links(client, nurse):
    page = client.get("/dashboard").text
    assert "/dashboard/settings" not in page and "/dashboard/staff" not in page


def test_pages_have_titles_and_a_strict_content_security_policy(client, admin):
    enroll_form(client, admin)
    for url in ["/dashboard", "/dashboard/patients/1", "/dashboard/patients/new", "/dashboard/grade",
                "/dashboard/settings", "/dashboard/staff", "/simulator", "/signin"]:
        if url == "/signin":
            client.post("/signout", data={"csrf_token": admin})
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert re.search(r"<title>[^<]+ · crswatch</title>", response.text), url
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), url  # no inline script
        assert "http://" not in response.text.replace("http://www.w3.org/2000/svg", "")  # no CDN
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', response.text):
            assert f'for="{field_id}"' in response.text, (url, field_id)  # every field has a label


def test_enroll_through_the_form(client, admin):
    response = enroll_form(client, admin, baseline_systolic="118", high_risk="on", risk_factors="age, CKD")
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard/patients/1"  # no resubmit
    page = client.get("/dashboard/patients/1").text
    assert "Enrolled Pat Example" in page and re.search(r'<code class="token">pt_', page)  # the app token, once
    assert "teclistamab" in page and "high risk" in page and "age, CKD" in page
    assert 'class="token"' not in client.get("/dashboard/patients/1").text
    assert "Pat Example" in client.get("/dashboard").text


@pytest.mark.parametrize("change, field, message", [
    pytest.param({"phone": "12"}, "phone", "phone", id="bad-phone"),
    pytest.param({"name": ""}, "name", "Name is required", id="no-name"),
    pytest.param({"baseline_systolic": "high"}, "baseline_systolic", "whole number", id="not-a-number"),
    pytest.param({"baseline_systolic": "120/80"}, "baseline_systolic",
                 "Baseline systolic blood pressure takes one whole number: for 120/80 write 120", id="both-pressures"),
    pytest.param({"checkin_interval_minutes": "5"}, "checkin_interval_minutes", "between", id="too-often"),
])
def test_enroll_form_names_the_field_at_fault(client, admin, change, field, message):
    response = enroll_form(client, admin, **change)
    assert response.status_code == 400
    assert f'id="{field}" ' in response.text and 'aria-invalid="true"' in response.text
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]*{message}', response.text)


def test_enroll_form_shows_every_error_at_once_in_the_forms_words(client, admin):
    response = enroll_form(client, admin, name="", phone="12", baseline_systolic="high", baseline_spo2="30",
                           monitoring_hours="400", checkin_interval_minutes="30")
    assert response.status_code == 400
    errors = dict(re.findall(r'<p class="field-error" id="([a-z_0-9]+)-error">([^<]*)</p>', response.text))
    assert set(errors) == {"name", "phone", "baseline_systolic", "baseline_spo2", "monitoring_hours",
                           "checkin_interval_minutes"}
    assert errors["monitoring_hours"] == "Monitoring hours must be between 1 and 336, not 400"
    assert errors["baseline_systolic"] == "Baseline systolic blood pressure must be a whole number"
    assert errors["name"].startswith("Name is required")
    assert errors["phone"].startswith("Mobile phone &#39;12&#39; is not a possible phone number")
    assert errors["checkin_interval_minutes"].startswith("Check-in every (minutes) must be longer than the clinic")
    assert "_" not in "".join(errors.values())  # no raw field or setting names
    assert "Please fix these 6 things" in response.text
    assert response.text.count('aria-invalid="true"') == 6


def test_enroll_form_links_the_patient_already_on_that_phone(client, admin):
    enroll_form(client, admin)
    response = enroll_form(client, admin, name="Pat Again")
    assert response.status_code == 409
    assert "this phone already has an active monitoring episode" in response.text.lower()
    assert re.search(r'id="phone-enrolled">Already monitored on this phone: <a href="/dashboard/patients/1">'
                     r'Pat Example</a>', response.text)
    both = enroll_form(client, admin, name="", phone="(555) 555-0199")  # the same number, written another way
    assert both.status_code == 400 and 'id="name-error"' in both.text and 'id="phone-enrolled"' in both.text


def test_acknowledge_and_resolve_through_the_dashboard(client, admin, phone):
    enroll_form(client, admin)
    phone.text("39.4 and confused")
    page = client.get("/dashboard").text
    assert 'id="open-alerts"' in page and "URGENT" in page and "confusion" in page
    assert "Primary nurse" in page  # who was paged
    detail = client.get("/dashboard/alerts/1")
    assert detail.status_code == 200 and "Pat Example" in detail.text
    response = client.post("/dashboard/alerts/1/ack", data={"csrf_token": admin, "next": "/dashboard"})
    assert response.status_code == 302
    page = client.get("/dashboard").text
    assert 'id="no-open-alerts"' in page and "Acknowledged by Ada Admin" in page
    client.post("/dashboard/alerts/1/resolve", data={"csrf_token": admin, "note": "seen in clinic"})
    page = client.get("/dashboard").text
    assert "Acknowledged by" not in page
    assert "seen in clinic" in client.get("/dashboard/alerts/1").text


def test_patient_timeline_shows_texts_readings_doses_and_alerts(client, admin, phone, runner):
    enroll_form(client, admin)
    runner.invoke(args=["tick"])
    phone.text("101.5")
    client.post("/dashboard/patients/1/medications", data={"csrf_token": admin, "name": "dexamethasone",
                                                           "dose_mg": "10"})
    page = client.get("/dashboard/patients/1").text
    for expected in ("Text from patient", "Text to patient", "38.6 °C", "dexamethasone 10 mg",
                     "given by Ada Admin", "Assessment"):
        assert expected in page, expected


def test_tocilizumab_limits_are_shown_and_enforced(client, admin, clock):
    enroll_form(client, admin)
    page = client.get("/dashboard/patients/1").text
    assert "more than twice per CRS event (at least 8 hours apart) or 3 times within a 6-week period" in page
    assert "This CRS event: 0 of 2" in page and "within the limits" in page
    form = {"csrf_token": admin, "name": "tocilizumab", "weight_kg": "70"}
    assert client.post("/dashboard/patients/1/medications", data=form).status_code == 302
    page = client.get("/dashboard/patients/1").text
    assert "This CRS event: 1 of 2" in page and "would be refused" in page and "8 hours" in page
    refused = client.post("/dashboard/patients/1/medications", data=form)
    assert refused.status_code == 409 and "at least 8 hours apart" in refused.text


@pytest.mark.parametrize("form, grade", [
    pytest.param({"temperature_c": "37.2"}, 0, id="no-fever"),
    pytest.param({"temperature_c": "38.4"}, 1, id="fever"),
    pytest.param({"temperature_c": "38.4", "hypotension": "on"}, 2, id="hypotension"),
    pytest.param({"temperature_c": "38.4", "oxygen": "high_flow"}, 3, id="high-flow"),
    pytest.param({"temperature_c": "38.4", "vasopressors": "2"}, 4, id="two-pressors"),
])
def test_grading_form_shows_grade_and_management(client, nurse, form, grade):
    response = client.post("/dashboard/grade", data={"csrf_token": nurse, "vasopressors": "0", "oxygen": "none",
                                                     **form})
    assert response.status_code == 200
    assert f"<h2>Grade {grade}" in response.text and 'class="management"' in response.text


def test_grading_form_names_a_bad_field(client, nurse):
    response = client.post("/dashboard/grade", data={"csrf_token": nurse, "temperature_c": "hot"})
    assert response.status_code == 400 and 'id="temperature_c-error"' in response.text


def test_settings_edit_is_stored_and_audited(app, client, admin):
    page = client.get("/dashboard/settings").text
    assert 'name="thresholds.fever_c" value="38.0"' in page and "Primary nurse, +15555550142" in page
    response = client.post("/dashboard/settings", data={"csrf_token": admin, "thresholds.fever_c": "38.3",
                                                        "oncall": "Primary nurse, +15555550142\nDr On Call, +15555550150"})
    assert response.status_code == 302
    page = client.get("/dashboard/settings").text
    assert 'value="38.3"' in page and "Ada Admin" in page and "Dr On Call" in page
    clinic = open_clinic(app.config["CRS"])
    assert clinic.thresholds.fever_c == 38.3 and len(clinic.oncall) == 2
    bad = client.post("/dashboard/settings", data={"csrf_token": admin, "thresholds.fever_c": "45"})
    assert bad.status_code == 400 and "fever_c" in bad.text


def test_settings_take_a_decimal_comma_show_clinic_time_and_undo_an_edit(app, client, admin):
    assert client.post("/dashboard/settings", data={"csrf_token": admin, "thresholds.fever_c": "38,3"}).status_code == 302
    assert open_clinic(app.config["CRS"]).thresholds.fever_c == 38.3
    page = client.get("/dashboard/settings").text
    assert 'value="38.3"' in page
    history = page[page.index("Change history"):]
    assert ">Tue 3 Mar, 10:00 AM</time>" in history and "+00:00<" not in history  # START, in Chicago time
    assert "<td>Fever at or above (°C)</td><td>38.0</td><td>38.3</td>" in history  # the form's label, not the key
    assert "Use the config file's value (38.0)" in page and 'form="revert-thresholds-fever_c"' in page
    thousands = client.post("/dashboard/settings", data={"csrf_token": admin,
                                                         "thresholds.acetaminophen_max_daily_mg": "3,000"})
    assert thousands.status_code == 400 and "write 3000 without the comma" in thousands.text
    word = client.post("/dashboard/settings", data={"csrf_token": admin, "thresholds.fever_c": "hot"})
    assert word.status_code == 400 and "Fever at or above (°C) must be a number" in word.text

    response = client.post("/dashboard/settings/revert", data={"csrf_token": admin, "key": "thresholds.fever_c"})
    assert response.status_code == 302
    assert open_clinic(app.config["CRS"]).thresholds.fever_c == 38.0
    page = client.get("/dashboard/settings").text
    assert "back to the config file" in page and 'value="38.0"' in page and "revert-thresholds-fever_c" not in page
    assert "<td>Fever at or above (°C)</td><td>38.3</td><td>38.0 <span class=\"hint\">(the config file" in page
    db = connect(app.config["CRS"]["database"]["path"])
    audit = db.execute("SELECT actor, detail FROM audit_log WHERE action = 'settings.change' ORDER BY id").fetchall()
    assert [row["actor"] for row in audit] == [ADMIN, ADMIN] and '"reverted": true' in audit[-1]["detail"]
    again = client.post("/dashboard/settings/revert", data={"csrf_token": admin, "key": "thresholds.fever_c"},
                        follow_redirects=True)
    assert "already has the config file" in again.text


def test_reverting_the_oncall_chain(app, client, admin):
    client.post("/dashboard/settings", data={"csrf_token": admin, "oncall": "Dr On Call, +15555550150"})
    assert [person["name"] for person in open_clinic(app.config["CRS"]).oncall] == ["Dr On Call"]
    assert 'form="revert-oncall"' in client.get("/dashboard/settings").text
    client.post("/dashboard/settings/revert", data={"csrf_token": admin, "key": "oncall"})
    assert [person["name"] for person in open_clinic(app.config["CRS"]).oncall] == ["Primary nurse", "Backup nurse"]


def test_a_nurse_cannot_revert_settings(client, nurse):
    assert client.post("/dashboard/settings/revert", data={"csrf_token": nurse, "key": "oncall"}).status_code == 403


def test_admin_adds_a_user_who_can_sign_in(client, admin):
    form = {"csrf_token": admin, "name": "Sam Nurse", "role": "nurse", "phone": "+15555550178",
            "password": "sam's long password", "password_again": "sam's long password"}
    response = client.post("/dashboard/staff", data=form)
    assert response.status_code == 201 and "API token" in response.text
    short = client.post("/dashboard/staff", data={**form, "name": "Short", "password": "x", "password_again": "x"})
    assert short.status_code == 400 and "at least 12" in short.text
    client.post("/signout", data={"csrf_token": admin})
    assert sign_in(client, "Sam Nurse", "sam's long password").status_code == 302


def test_chart_draws_the_fever_line_at_the_configured_threshold(tmp_path, clock):
    config = base_config(tmp_path / "chart.db")
    config["thresholds"] = {"fever_c": 38.3}
    app = create_app(config)
    app.testing = True
    app.test_cli_runner().invoke(args=["init-db"])
    add_user(app, ADMIN, "admin")
    client = app.test_client()
    sign_in(client, ADMIN)
    enroll_form(client, csrf_from(client.get("/dashboard").text))
    for svg in (client.get("/dashboard").text, client.get("/dashboard/patients/1").text):
        assert re.search(r'<line class="fever-line" data-fever-c="38.3"', svg)
    assert "fever 38.3 °C" in client.get("/dashboard/patients/1").text


def test_chart_places_the_fever_line_and_marks_febrile_points():
    series = [(START, 37.0), (START + timedelta(hours=1), 38.5), (START + timedelta(hours=2), 39.1)]
    svg = str(temperature_svg(series, 38.0, title="Trend"))
    fever_y = float(re.search(r'class="fever-line"[^>]*y1="([\d.]+)"', svg).group(1))
    ys = [float(y) for y in re.findall(r'<circle class="point" cx="[\d.]+" cy="([\d.]+)"', svg)]
    fever_points = re.findall(r'class="point point-fever"', svg)
    assert len(ys) == 1 and ys[0] > fever_y  # 37.0 is drawn below the line (larger y)
    assert len(fever_points) == 2
    assert 'role="img"' in svg and "from 37.0 to 39.1" in svg
    assert "no temperatures yet" in str(temperature_svg([], 38.0, title="Empty"))


def test_simulator_reply_takes_the_webhook_road(app, client, admin):
    enroll_form(client, admin)
    page = client.get("/simulator")
    assert page.status_code == 200 and PATIENT_PHONE in page.text
    response = client.post("/simulator/send", data={"csrf_token": admin, "phone": PATIENT_PHONE, "body": "39.0"})
    assert response.status_code == 302
    page = client.get(f"/simulator?phone={PATIENT_PHONE}").text
    bubbles = re.findall(r'class="bubble bubble-(in|out)"[^>]*>\s*<span[^>]*>[^<]*</span>\s*<span class="bubble-body">([^<]*)', page)
    assert bubbles[0] == ("in", "39.0") and bubbles[-1][0] == "out" and "fever" in bubbles[-1][1].lower()
    db = connect(app.config["CRS"]["database"]["path"])
    inbound = db.execute("SELECT sid, processed_at FROM messages WHERE direction = 'in'").fetchall()
    assert len(inbound) == 1 and inbound[0]["sid"].startswith("SIM") and inbound[0]["processed_at"]
    replies = db.execute("SELECT status FROM messages WHERE direction = 'out' AND kind = 'reply'").fetchall()
    assert replies and all(row["status"] == "sent" for row in replies)  # delivered by the outbox gateway


def test_simulator_refuses_unknown_phones(client, admin):
    response = client.post("/simulator/send", data={"csrf_token": admin, "phone": "+15555550000", "body": "hi"})
    assert response.status_code == 404


def test_simulator_is_404_on_the_twilio_backend(tmp_path, clock):
    config = base_config(tmp_path / "twilio.db")
    config["sms"]["backend"] = "twilio"
    # a twilio config must not use the example numbers (see monitoring.config)
    config["clinic"]["phone"], config["sms"]["from_number"] = "+13125550000", "+13125550001"
    config["oncall"] = [{"name": "Primary nurse", "phone": "+13125550002"}]
    app = create_app(config)
    app.testing = True
    app.test_cli_runner().invoke(args=["init-db"])
    add_user(app, ADMIN, "admin")
    client = app.test_client()
    assert client.get("/simulator").status_code == 404  # not even a sign-in redirect
    sign_in(client, ADMIN)
    token = csrf_from(client.get("/dashboard").text)
    assert "/simulator" not in client.get("/dashboard").text
    assert client.get("/simulator").status_code == 404
    assert client.post("/simulator/send", data={"csrf_token": token, "phone": PATIENT_PHONE}).status_code == 404


def test_simulator_rings_the_nurse_with_keys_1_and_2(app, client, admin, clock):
    """Issue 12: with the outbox backend an unacknowledged urgent alert's call shows on the nurse's simulated
    phone; key 1 acknowledges through the same road as Twilio's voice webhook."""
    from conftest import NURSES

    enroll_form(client, admin)
    client.post("/simulator/send", data={"csrf_token": admin, "phone": PATIENT_PHONE, "body": "o2 85"})
    clock.shift(timedelta(minutes=6))
    assert app.test_cli_runner().invoke(args=["tick"]).exit_code == 0
    page = client.get("/simulator", query_string={"phone": NURSES[0]}).text
    assert "Phone call from the clinic" in page and "Press 1: acknowledge" in page and "Press 2" in page
    call_id = int(re.search(r'/simulator/call/(\d+)', page).group(1))
    response = client.post(f"/simulator/call/{call_id}", data={"csrf_token": admin, "key": "1"})
    assert response.status_code == 302
    db = connect(app.config["CRS"]["database"]["path"])
    assert db.execute("SELECT status FROM alerts").fetchone()["status"] == "acknowledged"
    assert db.execute("SELECT outcome FROM messages WHERE kind = 'call'").fetchone()["outcome"] == "acknowledged"
    assert "Call outcome: acknowledged" in client.get("/simulator", query_string={"phone": NURSES[0]}).text


def test_alert_page_is_the_nurses_workspace(app, client, admin, clock):
    """Issue 12: readings with values, the patient's words, what they were told, who was reached how and the
    outcome, tap-to-call, and resolve with an outcome from the short list (a bad one changes nothing)."""
    enroll_form(client, admin)
    client.post("/simulator/send", data={"csrf_token": admin, "phone": PATIENT_PHONE, "body": "o2 86 hr 120"})
    clock.shift(timedelta(minutes=6))
    assert app.test_cli_runner().invoke(args=["tick"]).exit_code == 0
    page = client.get("/dashboard/alerts/1").text
    assert "SpO2 86% (floor 90%)" in page and "HR 120" in page and "<q>o2 86 hr 120</q>" in page
    assert "<strong>Told:</strong> call clinic now" in page
    assert "text to Primary nurse: sent" in page and "call to Primary nurse: sent" in page
    assert f'href="tel:{PATIENT_PHONE}"' in page
    bad = client.post("/dashboard/alerts/1/resolve", data={"csrf_token": admin, "note": "x", "outcome": "home"})
    assert bad.status_code == 302 and "outcome must be one of" in client.get("/dashboard/alerts/1").text
    db = connect(app.config["CRS"]["database"]["path"])
    assert db.execute("SELECT status FROM alerts WHERE id = 1").fetchone()["status"] == "open"
    client.post("/dashboard/alerts/1/resolve", data={"csrf_token": admin, "note": "fine now", "outcome": "home_care"})
    assert db.execute("SELECT status FROM alerts WHERE id = 1").fetchone()["status"] == "resolved"
    assert "outcome: Advised home care" in client.get("/dashboard/alerts/1").text


def test_dashboard_address_set_on_the_settings_page_is_in_the_next_page(app, client, admin):
    """Issue 12: the link a nurse gets is the address an admin saved on the settings page a moment before."""
    from conftest import NURSES, Phone

    response = client.post("/dashboard/settings", data={"csrf_token": admin,
                                                          "clinic.dashboard_url": "https://crs.example-clinic.org"})
    assert response.status_code == 302
    enroll_form(client, admin)
    Phone(client).text("o2 85")
    db = connect(app.config["CRS"]["database"]["path"])
    page = db.execute("SELECT body FROM messages WHERE kind = 'alert' AND to_number = ?", [NURSES[0]]).fetchone()
    assert page["body"].endswith("https://crs.example-clinic.org/dashboard/alerts/1")
    bad = client.post("/dashboard/settings", data={"csrf_token": admin, "clinic.dashboard_url": "crs.example.org"})
    assert bad.status_code == 400 and "http(s) address" in bad.text


def test_a_yes_no_setting_keeps_what_was_chosen_when_another_field_is_refused(client, admin):
    """The form sends "false": a refused save must show "no" again (it showed "yes"), and the default is a
    word, not Python's True."""
    page = client.post("/dashboard/settings", data={"csrf_token": admin, "thresholds.fever_c": "45",
                                                    "escalation.page_callback_number": "false"})
    html = page.text
    assert page.status_code == 400 and "must be between 37.5 and 39.5" in html
    select = html[html.index('name="escalation.page_callback_number"'):]
    select = select[:select.index("</select>")]
    assert '<option value="false" selected>' in select and '<option value="true" selected>' not in select
    assert "default yes" in html and "default True" not in html


def test_the_settings_page_shows_the_models_label_range_and_sop(client, admin):
    """Every editable threshold and check-in setting on the page carries the model's label, range and SOP line."""
    from html import unescape

    from monitoring.config import described

    page = unescape(client.get("/dashboard/settings").text)
    for row in described("thresholds") + described("checkins"):
        assert f">{row.label}" in page, row.key
        if row.low is not None:
            assert f"{row.low:g} to {row.high:g}\u00a0{row.unit}" in page, row.key
        if row.sop:
            assert row.sop in page, row.key
