"""Dashboard sessions on the server (issue 16; HIPAA 164.312(a)(2)(iii) automatic logoff, ASVS V3).

Idle timeout and absolute lifetime under time_machine; the dashboard's background refresh is not
activity; sign-out, a new password, a new role and revoking end every session of that person on
their next request; the session check and the keepalive behind the idle warning; the cookie.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from test_dashboard import ADMIN, NURSE, PASSWORD, add_user, csrf_from, sign_in

from monitoring.store import connect

BACKGROUND = {"X-Crswatch-Background": "1"}


@pytest.fixture
def users(app):
    add_user(app, ADMIN, "admin")
    add_user(app, NURSE, "nurse", phone="+15555550177")


def staff_id(app, name: str) -> int:
    return connect(app.config["CRS"]["database"]["path"]).execute(
        "SELECT id FROM staff WHERE name = ?", [name]).fetchone()[0]


def test_idle_timeout_ends_the_session_and_sign_in_returns_to_the_page(client, users, clock):
    assert sign_in(client, NURSE).status_code == 302
    clock.shift(timedelta(minutes=14))
    assert client.get("/dashboard/grade").status_code == 200  # activity: the idle clock starts again
    clock.shift(timedelta(minutes=14))
    assert client.get("/dashboard").status_code == 200
    clock.shift(timedelta(minutes=15))
    ended = client.get("/dashboard/grade")
    assert ended.status_code == 302 and ended.headers["Location"] == "/signin?next=/dashboard/grade"
    page = client.get(ended.headers["Location"])
    assert "signed out after 15 minutes without activity" in page.text
    response = client.post("/signin", data={"name": NURSE, "password": PASSWORD, "csrf_token": csrf_from(page.text),
                                            "next": "/dashboard/grade"})
    assert response.headers["Location"] == "/dashboard/grade"


def test_background_refresh_is_not_activity(client, users, clock):
    sign_in(client, NURSE)
    for _ in range(7):  # the dashboard refreshing itself every 2 minutes for 14 minutes
        clock.shift(timedelta(minutes=2))
        assert client.get("/dashboard", headers=BACKGROUND).status_code == 200
    clock.shift(timedelta(minutes=1, seconds=1))
    assert client.get("/dashboard", headers=BACKGROUND).status_code == 302  # 15 min since the nurse did anything


def test_idle_minutes_is_a_setting(app, config, users, clock):
    from app import create_app

    short = create_app({**config, "web": {"idle_minutes": 5}})
    short.testing = True
    client = short.test_client()
    sign_in(client, NURSE)
    clock.shift(timedelta(minutes=4, seconds=59))
    assert client.get("/dashboard").status_code == 200
    clock.shift(timedelta(minutes=5))
    assert client.get("/dashboard").status_code == 302


def test_absolute_lifetime_ends_even_an_active_session(client, users, clock):
    sign_in(client, NURSE)
    for _ in range(12 * 6 - 1):  # active every 10 minutes for 11 h 50 min
        clock.shift(timedelta(minutes=10))
        assert client.get("/dashboard").status_code == 200
    clock.shift(timedelta(minutes=10))  # 12 h after sign-in
    ended = client.get("/dashboard")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/signin")
    assert "12-hour limit" in client.get(ended.headers["Location"]).text


def test_session_status_does_not_count_as_activity_and_keepalive_does(client, users, clock):
    sign_in(client, NURSE)
    token = csrf_from(client.get("/dashboard").text)
    clock.shift(timedelta(minutes=14))
    status = client.get("/session").get_json()
    assert status == {"signed_in": True, "idle_seconds_left": 60, "ends_in_seconds": 12 * 3600 - 14 * 60}
    assert client.get("/session").get_json()["idle_seconds_left"] == 60  # asking again changed nothing
    assert client.post("/session/keepalive", headers={"X-CSRFToken": token}).get_json()["idle_seconds_left"] == 900
    assert client.post("/session/keepalive").status_code == 400  # the keepalive is a POST: CSRF applies
    clock.shift(timedelta(minutes=14))
    assert client.get("/dashboard").status_code == 200


def test_pages_carry_what_the_idle_warning_needs(client, users):
    sign_in(client, NURSE)
    page = client.get("/dashboard").text
    assert 'data-idle-seconds="900"' in page and 'data-session-url="/session"' in page
    assert 'id="idle-warning"' in page and 'data-keepalive-url="/session/keepalive"' in page


def two_browsers(app, name: str):
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        assert sign_in(browser, name).status_code == 302
        assert browser.get("/dashboard").status_code == 200
    return first, second


def test_sign_out_ends_every_session_of_that_person(app, users):
    first, second = two_browsers(app, NURSE)
    admin = app.test_client()
    sign_in(admin, ADMIN)
    first.post("/signout", data={"csrf_token": csrf_from(first.get("/dashboard").text)})
    assert first.get("/dashboard").status_code == 302
    assert second.get("/dashboard").status_code == 302  # the other browser, on its next request
    assert admin.get("/dashboard").status_code == 200  # someone else's session is untouched


def test_a_new_password_ends_every_session_of_that_person(app, users):
    first, second = two_browsers(app, NURSE)
    admin = app.test_client()
    sign_in(admin, ADMIN)
    token = csrf_from(admin.get("/dashboard/staff").text)
    admin.post(f"/dashboard/staff/{staff_id(app, NURSE)}/password", data={"password": "a new long password",
                                                                        "csrf_token": token})
    for browser in (first, second):
        refused = browser.get("/dashboard/grade")
        assert refused.status_code == 302 and "next=/dashboard/grade" in refused.headers["Location"]
    assert "password was changed" in first.get("/signin").text
    assert sign_in(first, NURSE, "a new long password").status_code == 302


def test_a_role_change_ends_every_session_and_the_new_role_holds(app, users):
    first, second = two_browsers(app, NURSE)
    admin = app.test_client()
    sign_in(admin, ADMIN)
    token = csrf_from(admin.get("/dashboard/staff").text)
    assert admin.post(f"/dashboard/staff/{staff_id(app, NURSE)}/role",
                      data={"role": "admin", "csrf_token": token}).status_code == 302
    assert first.get("/dashboard").status_code == 302 and second.get("/dashboard").status_code == 302
    sign_in(first, NURSE)
    assert first.get("/dashboard/staff").status_code == 200  # an admin now
    own = admin.post(f"/dashboard/staff/{staff_id(app, ADMIN)}/role", data={"role": "nurse", "csrf_token": token})
    assert own.status_code == 302 and admin.get("/dashboard/staff").status_code == 200  # not your own role


def test_revoking_ends_every_session_on_the_next_request(app, users, runner):
    first, second = two_browsers(app, NURSE)
    assert runner.invoke(args=["staff", "revoke", NURSE]).exit_code == 0
    assert first.get("/dashboard").status_code == 302 and second.get("/dashboard").status_code == 302
    assert sign_in(first, NURSE).status_code == 401


def test_the_browser_holds_only_a_random_token_and_the_row_is_hashed(app, client, users):
    response = sign_in(client, NURSE)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    db = connect(app.config["CRS"]["database"]["path"])
    row = db.execute("SELECT token_hash, source, expires_at, created_at FROM staff_sessions").fetchone()
    assert len(row["token_hash"]) == 64 and row["source"] == "127.0.0.1"
    with client.session_transaction() as session:
        assert set(session) <= {"_user_id", "_fresh", "_id", "csrf_token", "_permanent", "_flashes"}
        assert len(session["_user_id"]) >= 40 and str(staff_id(app, NURSE)) != session["_user_id"]


def test_a_forged_or_stale_session_token_is_refused(app, client, users):
    with client.session_transaction() as session:
        session["_user_id"] = "made-up-token"
    assert client.get("/dashboard").status_code == 302


def test_sign_in_replaces_the_anonymous_session(client, users):
    client.get("/signin")
    with client.session_transaction() as session:
        before = session.get("csrf_token")
    sign_in(client, NURSE)
    with client.session_transaction() as session:
        assert session.get("csrf_token") != before  # no fixation through a planted pre-sign-in cookie


def test_the_cookie_is_host_only_over_https(client, users):
    cookie = sign_in(client, NURSE).headers["Set-Cookie"]
    assert cookie.startswith("__Host-crswatch=") and "Path=/" in cookie and "Domain" not in cookie


def test_changing_your_own_password_needs_the_current_one_and_ends_your_other_sessions(app, users):
    here, elsewhere = two_browsers(app, NURSE)
    page = here.get("/account/password")
    assert page.status_code == 200
    token = csrf_from(page.text)
    wrong = here.post("/account/password", data={"csrf_token": token, "current_password": "not it at all",
                                                 "new_password": "a brand new phrase", "new_password_again":
                                                 "a brand new phrase"})
    assert wrong.status_code == 400 and "not your current password" in wrong.text
    weak = here.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                "new_password": "password1234", "new_password_again": "password1234"})
    assert weak.status_code == 400 and "stolen in breaches" in weak.text
    done = here.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                "new_password": "a brand new phrase",
                                                "new_password_again": "a brand new phrase"})
    assert done.status_code == 302
    assert here.get("/dashboard").status_code == 200  # this browser goes on, with a new session
    assert elsewhere.get("/dashboard").status_code == 302  # every other one has ended
    assert sign_in(elsewhere, NURSE, "a brand new phrase").status_code == 302
