"""On call is a schedule (issue 12): chains of staff records with phones, one for clinic hours and one for
nights and weekends, picked and ordered on the settings page; pages and ACK follow the chain in force;
the dashboard shows who is on call now and who is next; `[[oncall]]` stays the fallback."""
from __future__ import annotations

from datetime import timedelta

from conftest import NURSES, START, add_staff, auth, enroll, texts_to

DAY_NURSE, NIGHT_NURSE, NIGHT_BACKUP = "+15555550161", "+15555550162", "+15555550163"


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def pages(client, token, number):
    return [m for m in texts_to(client, token, number) if m["kind"] == "alert"]


def staff(runner):
    add_staff(runner, "Dana Day", "nurse", DAY_NURSE)
    add_staff(runner, "Nick Night", "nurse", NIGHT_NURSE)
    add_staff(runner, "Nell Night", "nurse", NIGHT_BACKUP)
    add_staff(runner, "Pat Nophone", "nurse")


def set_rota(client, token, **chains):
    body = {f"rota.{shift}": names for shift, names in chains.items()}
    return client.put("/api/v1/settings", json=body, headers=auth(token))


def test_clinic_hours_page_the_day_chain_and_nights_the_night_chain(client, admin_token, runner, clock, phone):
    staff(runner)
    assert set_rota(client, admin_token, clinic_hours=["Dana Day"],
                    after_hours=["Nick Night", "Nell Night"]).status_code == 200
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)  # Tuesday 10:05
    phone.text("o2 85")
    assert pages(client, admin_token, DAY_NURSE) and not pages(client, admin_token, NURSES[0])
    client.post("/api/v1/alerts/1/resolve", json={"note": "seen"}, headers=auth(admin_token))
    at(clock, 8 * 60)  # 6:00 PM
    phone.text("o2 84")
    assert pages(client, admin_token, NIGHT_NURSE) and not pages(client, admin_token, NIGHT_BACKUP)
    at(clock, 8 * 60 + 15)
    runner.invoke(args=["tick"])  # no ACK: the night chain's next person
    assert pages(client, admin_token, NIGHT_BACKUP)


def test_ack_from_the_chain_in_force(client, admin_token, runner, clock, phone):
    """`_ackable_by_phone`: 'on call' means the chain in force now, so the night nurse may ACK any open alert."""
    staff(runner)
    set_rota(client, admin_token, after_hours=["Nick Night"])
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)
    phone.text("o2 85")  # in hours: the fallback chain is paged
    at(clock, 8 * 60)
    phone.text("ACK", sender=NIGHT_NURSE)
    alerts = client.get("/api/v1/alerts?status=all", headers=auth(admin_token)).get_json()
    assert alerts[0]["status"] == "acknowledged" and alerts[0]["acknowledged_by"] == "Nick Night"


def test_a_nurse_of_the_fallback_chain_may_ack_her_page_after_the_shift_changed(client, admin_token, runner, clock,
                                                                              phone):
    """Nights fall back to `[[oncall]]` (the after-hours chain is empty); the page at 7:55 AM goes to its first
    nurse. Her ACK at 8:01 AM, once the day chain is in force, must acknowledge it: it was answered as a stranger's
    text ("only for patient check-ins ... call 911") and the escalation went on (found by the night break-it pass)."""
    staff(runner)
    set_rota(client, admin_token, clinic_hours=["Dana Day"])
    clock.move_to(START.replace(hour=7, minute=50))
    enroll(client, admin_token, dose_given_at=START.replace(hour=7).isoformat())
    runner.invoke(args=["tick"])
    clock.move_to(START.replace(hour=7, minute=55))
    phone.text("o2 85")
    assert pages(client, admin_token, NURSES[0])
    clock.move_to(START.replace(hour=8, minute=1))
    phone.text("ACK", sender=NURSES[0])
    alert = client.get("/api/v1/alerts?status=all", headers=auth(admin_token)).get_json()[0]
    assert alert["status"] == "acknowledged" and alert["acknowledged_by"] == "Primary nurse"
    assert "acknowledged" in texts_to(client, admin_token, NURSES[0])[-1]["body"]


def test_empty_chain_falls_back_to_oncall(client, admin_token, runner, clock, phone):
    staff(runner)
    set_rota(client, admin_token, after_hours=["Nick Night"])
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)
    phone.text("o2 85")
    assert pages(client, admin_token, NURSES[0])


def test_a_revoked_nurse_leaves_the_chain(client, admin_token, runner, clock, phone):
    staff(runner)
    set_rota(client, admin_token, clinic_hours=["Dana Day", "Nick Night"])
    from monitoring.clinic import open_clinic
    from monitoring.staff import revoke_staff

    clinic = open_clinic(client.application.config["CRS"])
    revoke_staff(clinic, "Dana Day", actor="test", now=START)
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)
    phone.text("o2 85")
    assert pages(client, admin_token, NIGHT_NURSE) and not pages(client, admin_token, DAY_NURSE)


def test_chain_refuses_unknown_staff_phoneless_staff_and_twice(client, admin_token, runner):
    staff(runner)
    for names, problem in [(["Nobody Here"], "no active staff member"), (["Pat Nophone"], "has no phone"),
                           (["Dana Day", "Dana Day"], "twice")]:
        response = set_rota(client, admin_token, clinic_hours=names)
        assert response.status_code == 400 and problem in response.get_json()["error"]
        assert response.get_json()["field"] == "rota.clinic_hours"


def test_dashboard_shows_who_is_on_call_now_and_next(app, client, admin_token, runner, clock):
    from test_dashboard import add_user, sign_in  # the dashboard's own sign-in helpers

    staff(runner)
    set_rota(client, admin_token, clinic_hours=["Dana Day"], after_hours=["Nick Night", "Nell Night"])
    add_user(app, "Sam Signin", "admin")
    assert sign_in(client, "Sam Signin").status_code == 302
    page = client.get("/dashboard").text
    assert "On call now</strong> (clinic hours):\n  Dana Day (…0161)" in page
    assert "from Tue 3 Mar, 5:00 PM (nights and weekends):\n  Nick Night, then Nell Night" in page
    settings_page = client.get("/dashboard/settings").text
    assert '<option value="Nick Night" selected>' in settings_page
    assert "Pat Nophone" not in settings_page  # no phone: cannot be picked


def test_settings_page_picks_and_orders_the_chain(app, client, admin_token, runner, clock):
    from test_dashboard import add_user, csrf_from, sign_in

    from monitoring.clinic import open_clinic

    staff(runner)
    add_user(app, "Sam Signin", "admin")
    sign_in(client, "Sam Signin")
    token = csrf_from(client.get("/dashboard/settings").text)
    response = client.post("/dashboard/settings", data={
        "csrf_token": token, "rota.after_hours": ["Nell Night", "", "Nick Night", ""],
        "rota.clinic_hours": ["", "", "", ""]})
    assert response.status_code == 302
    clinic = open_clinic(app.config["CRS"])
    assert [p["name"] for p in clinic.chain_for("after_hours")] == ["Nell Night", "Nick Night"]
    assert clinic.chain_for("clinic_hours") == clinic.effective["oncall"]


def test_an_alert_waiting_on_a_nurse_revoked_since_goes_to_the_next_at_once(client, admin_token, runner, clock, phone):
    """Found by the night breaker: a nurse revoked (called in sick, left) while an alert waited only on her kept it
    waiting up to the 15-minute ack timeout, though her ACK no longer counts. The next pass hands it over."""
    staff(runner)
    set_rota(client, admin_token, clinic_hours=["Dana Day", "Nell Night"])
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)
    phone.text("o2 85")  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
    assert pages(client, admin_token, DAY_NURSE) and not pages(client, admin_token, NIGHT_BACKUP)
    at(clock, 7)
    assert runner.invoke(args=["staff", "revoke", "Dana Day"]).exit_code == 0
    runner.invoke(args=["tick"])
    assert pages(client, admin_token, NIGHT_BACKUP)  # at 10:07, not at the 10:20 timeout
    from monitoring.clinic import open_clinic

    clinic = open_clinic(client.application.config["CRS"])
    kinds = [row[0] for row in clinic.db.execute("SELECT kind FROM alert_events WHERE alert_id = 1 ORDER BY id")]
    assert kinds[-2:] == ["handed_over", "paged"]  # the alert's history says why the backup was paged early
    at(clock, 8)
    runner.invoke(args=["tick"])
    assert len(pages(client, admin_token, NIGHT_BACKUP)) == 1  # once, not at every pass


def test_a_nurse_only_taken_off_the_rota_keeps_her_page(client, admin_token, runner, clock, phone):
    """Off the rota is not out of reach: she may still ACK what she was paged for, so the alert is not handed over
    before its timeout (which pages the chain in force)."""
    staff(runner)
    set_rota(client, admin_token, clinic_hours=["Dana Day", "Nell Night"])
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)
    phone.text("o2 85")
    at(clock, 7)
    set_rota(client, admin_token, clinic_hours=["Nell Night"])
    runner.invoke(args=["tick"])
    assert not pages(client, admin_token, NIGHT_BACKUP)
    at(clock, 21)
    runner.invoke(args=["tick"])  # the timeout: the chain in force now
    assert pages(client, admin_token, NIGHT_BACKUP)


def test_a_rota_name_the_file_spells_differently_is_shown_as_not_paged(tmp_path, clock):
    """[rota] in the config file is not checked against the staff (they are in the database): 'dana day' for
    Dana Day, or someone revoked or without a phone, was dropped from the chain without a word, and with nobody
    left the fallback chain was paged. The dashboard and `serve` now say who is not paged and why."""
    from conftest import base_config
    from test_dashboard import add_user, sign_in

    from app import create_app

    config = base_config(tmp_path / "rota.db")
    config["rota"] = {"clinic_hours": ["dana day", "Nick Night"], "after_hours": ["Pat Nophone"]}
    app = create_app(config)
    app.testing = True
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    staff(runner)
    add_user(app, "Sam Signin", "admin")
    client = app.test_client()
    assert sign_in(client, "Sam Signin").status_code == 302
    page = client.get("/dashboard").text
    assert "On call now</strong> (clinic hours):\n  Nick Night (…0162)." in page
    assert ("Not paged:</strong> dana day (clinic hours: no active staff member by that name; the staff page has Dana Day), "
            "Pat Nophone (nights and weekends: no phone)") in page
    from monitoring.clinic import open_clinic
    from monitoring.rota import not_paged

    assert not_paged(open_clinic(app.config["CRS"])) == [
        "rota.clinic_hours: dana day: no active staff member by that name; the staff page has Dana Day",
        "rota.after_hours: Pat Nophone: no phone"]


def test_the_not_paged_line_asks_the_database_once_whatever_the_rota_names(tmp_path, clock):
    """The dashboard's "Not paged" line is read at every refresh: it asked once per rota name (twice for a name no
    staff record has). One statement now answers for every name, each why as before, and it finds the exact names
    by the staff name index, not by reading the staff per name."""
    from conftest import base_config

    from app import create_app
    from monitoring.clinic import open_clinic
    from monitoring.rota import not_paged

    config = base_config(tmp_path / "rota.db")
    config["rota"] = {"clinic_hours": ["dana day", "Nick Night", "Rex Revoked", "Nobody Known"],
                      "after_hours": ["Pat Nophone", "Nell Night", "Dana Day"]}
    app = create_app(config)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    staff(runner)
    add_staff(runner, "Rex Revoked", "nurse", "+15555550164")
    assert runner.invoke(args=["staff", "revoke", "Rex Revoked"]).exit_code == 0
    clinic = open_clinic(app.config["CRS"])
    statements: list[str] = []
    clinic.db.conn.set_trace_callback(statements.append)
    assert not_paged(clinic) == [
        "rota.clinic_hours: dana day: no active staff member by that name; the staff page has Dana Day",
        "rota.clinic_hours: Rex Revoked: revoked",
        "rota.clinic_hours: Nobody Known: no active staff member by that name",
        "rota.after_hours: Pat Nophone: no phone"]
    clinic.db.conn.set_trace_callback(None)
    [asked] = statements
    plan = [row[3] for row in clinic.db.execute("EXPLAIN QUERY PLAN " + asked)]
    assert any(step.startswith("SEARCH s USING INDEX sqlite_autoindex_staff_1 (name=?)") for step in plan), plan
