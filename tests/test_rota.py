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
