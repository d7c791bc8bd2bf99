"""The staff an admin adds and keeps: the clinic always keeps an admin, and every name added can sign in."""
from __future__ import annotations

from test_dashboard import admin, users  # noqa: F401  (fixtures)

from monitoring.clinic import open_clinic
from monitoring.staff import list_staff


def test_the_last_admin_cannot_be_demoted_or_revoked(app, runner, users):  # noqa: F811
    """The dashboard stops an admin changing their own role or revoking themselves, but the command line took the
    last admin away: nobody could then reach the settings or the staff page."""
    demoted = runner.invoke(args=["staff", "role", "Ada Admin", "nurse"])
    assert demoted.exit_code != 0 and "Ada Admin is the last admin; make another admin first" in demoted.output
    revoked = runner.invoke(args=["staff", "revoke", "Ada Admin"])
    assert revoked.exit_code != 0 and "Ada Admin is the last admin; make another admin first" in revoked.output
    people = {person["name"]: person for person in list_staff(open_clinic(app.config["CRS"]))}
    assert people["Ada Admin"]["role"] == "admin" and people["Ada Admin"]["active"] == 1
    assert runner.invoke(args=["staff", "role", "Nora Nurse", "admin"]).exit_code == 0
    assert runner.invoke(args=["staff", "role", "Ada Admin", "nurse"]).exit_code == 0  # another admin is left


def test_a_name_too_long_to_sign_in_with_is_refused(app, client, runner, users):  # noqa: F811
    """Sign-in reads at most 100 characters of a name (monitoring.signin): a staff member added with a longer one
    could never sign in, and nothing said why."""
    from test_dashboard import ADMIN, csrf_from, sign_in

    assert sign_in(client, ADMIN).status_code == 302
    token = csrf_from(client.get("/dashboard/staff").text)
    form = {"csrf_token": token, "name": "N" * 101, "role": "nurse", "phone": "",
            "password": "a long enough password", "password_again": "a long enough password"}
    response = client.post("/dashboard/staff", data=form)
    assert response.status_code == 400 and "Name must be at most 100 characters" in response.text
    assert "N" * 101 not in [person["name"] for person in list_staff(open_clinic(app.config["CRS"]))]
    assert client.post("/dashboard/staff", data={**form, "name": "N" * 100}).status_code == 201


def test_a_nurse_added_on_the_staff_page_is_told_how_to_be_paged(app, client, admin):  # noqa: F811
    """A clinic administrator added a nurse with her phone and read only "New API token for Sam Nurse. Copy it
    now": nothing said that she is not paged until picked under "Who is on call" on the settings page (an admin
    who stopped there left the night with no one new on call), nor what the token is for."""
    from html import unescape

    form = {"csrf_token": admin, "name": "Sam Nurse", "role": "nurse", "phone": "+15555550150",
            "password": "sam's long password", "password_again": "sam's long password"}
    response = client.post("/dashboard/staff", data=form)
    assert response.status_code == 201
    text = " ".join(unescape(response.text).split())
    assert ("Added Sam Nurse (nurse). Pages reach +15555550150 only once they are on call: pick them under "
            '<a href="/dashboard/settings#who-is-on-call">Who is on call</a> on the settings page.') in text
    assert "Their API token, for a program that uses the staff API (most people need none)." in text
    assert 'id="who-is-on-call"' in client.get("/dashboard/settings").text
    phoneless = client.post("/dashboard/staff", data={**form, "name": "Pat Day", "phone": ""})
    assert phoneless.status_code == 201
    assert ("Added Pat Day (nurse). Without a phone they cannot be paged or acknowledge by text: add one with “Set "
            "phone” below.") in " ".join(unescape(phoneless.text).split())
