"""Passwords (NIST SP 800-63B 5.1.1.2), sign-in throttling that cannot be raced, and rate limits (issue 16)."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from test_dashboard import ADMIN, NURSE, add_user, csrf_from, sign_in
from werkzeug.serving import make_server

from app import create_app
from monitoring import passwords
from monitoring.signin import FREE_TRIES, REFUSED, delay_after
from monitoring.store import connect


@pytest.fixture
def users(app):
    add_user(app, ADMIN, "admin")
    add_user(app, NURSE, "nurse", phone="+15555550177")


@pytest.mark.parametrize("password, why", [
    ("aaaaaaaaaa", "at least 12"),
    ("password12", "at least 12"),
    ("short one", "at least 12"),
    ("aaaaaaaaaaaa", "repeated or sequential"),
    ("abcabcabcabc", "repeated or sequential"),
    ("123456789012", "repeated or sequential"),
    ("1qaz2wsx3edc", "stolen in breaches"),  # on the list itself
    ("abcdefghijklm", "repeated or sequential"),
    ("qwertyuiopasdf", "repeated or sequential"),
    ("password1234", "stolen in breaches"),  # a listed password with digits added
    ("iloveyou2024!", "stolen in breaches"),
    ("Q1W2E3R4T5Y6", "stolen in breaches"),  # case does not help
    ("Nora Nurse 2026 rocks", "your name"),
    ("my crswatch password", "service's name"),
    ("x" * 129, "at most 128"),
], ids=lambda value: value if len(str(value)) < 30 else "129-chars")
def test_weak_passwords_are_refused_with_the_reason(password, why):
    assert why in passwords.problem(password, NURSE)


@pytest.mark.parametrize("password", [
    "correct horse battery", "sam's long password", "a new long password", "Tr0ub4dor&3xyz",
    "ça marche très bien", "twelve chars", "the quick brown fox jumps over the lazy dog and keeps running fa",
])
def test_long_uncommon_passwords_pass_without_composition_rules(password):
    assert passwords.problem(password, NURSE) is None


def test_password_is_compared_after_unicode_normalisation():
    stored = passwords.hash_password("cafe\u0301 au lait le matin")  # e + combining accent
    assert passwords.verify(stored, "caf\u00e9 au lait le matin")  # the precomposed é of another keyboard


def test_weak_passwords_are_refused_everywhere_they_are_set(client, runner, users):
    result = runner.invoke(args=["staff", "password", NURSE], input="password1234\npassword1234\n")
    assert result.exit_code == 1 and "stolen in breaches" in result.output
    sign_in(client, ADMIN)
    token = csrf_from(client.get("/dashboard/staff").text)
    form = {"csrf_token": token, "name": "Weak Pat", "role": "nurse", "password": "aaaaaaaaaaaa",
            "password_again": "aaaaaaaaaaaa"}
    response = client.post("/dashboard/staff", data=form)
    assert response.status_code == 400 and "repeated or sequential" in response.text


def test_the_delay_grows_and_is_capped():
    assert [delay_after(n).total_seconds() for n in range(1, FREE_TRIES + 6)] == \
        [0, 0, 0, 0, 30, 60, 120, 240, 480, 900]
    assert delay_after(50).total_seconds() == 900


def test_unknown_names_are_throttled_like_known_ones(client, users):
    for _ in range(FREE_TRIES):
        sign_in(client, "Nobody At All", "guess number one")
    refused = sign_in(client, "Nobody At All", "guess number two")
    assert refused.status_code == 401 and REFUSED in refused.text


class Live:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


def _guesses(url: str, name: str, count: int) -> list[int]:
    """`count` wrong guesses at once, each from its own browser session (its own cookie and CSRF token)."""
    def guess(number: int) -> int:
        with requests.Session() as browser:
            token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{url}/signin", timeout=30).text)
            return browser.post(f"{url}/signin", data={"name": name, "password": f"wrong guess {number:03d}",
                                                       "csrf_token": token.group(1)}, timeout=60).status_code
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(guess, range(count)))


def test_concurrent_guesses_never_check_more_passwords_than_the_limit(config, users):
    app = create_app({**config, "sms": {**config["sms"], "public_base_url": ""}})  # plain http: cookie not Secure
    app.config["SIGNIN_RATE_LIMIT"] = "1000 per minute"  # this test is about the database throttle alone
    live = Live(app)
    try:
        statuses = _guesses(live.url, NURSE, 60)
    finally:
        live.stop()
    assert statuses == [401] * 60
    db = connect(config["database"]["path"])
    actions = [row[0] for row in db.execute("SELECT action FROM audit_log WHERE actor = ?", [NURSE])]
    assert actions.count("signin.failed") == FREE_TRIES  # only these were checked against the hash
    assert actions.count("signin.throttled") == 60 - FREE_TRIES


def test_signin_rate_limit_per_address(client, users):
    statuses = [sign_in(client, f"Someone {n}", "a wrong password").status_code for n in range(21)]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429
    assert "Too many tries" in client.post("/signin", data={}).text
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert sign_in(other, NURSE).status_code == 302


def test_failed_bearer_checks_are_recorded_counted_and_throttled(app, client, admin_token, config):
    answers = [client.get("/api/v1/alerts", headers={"Authorization": f"Bearer st_wrong{n}"}) for n in range(25)]
    statuses = [answer.status_code for answer in answers]
    assert "Retry-After" not in answers[0].headers  # only a 429 says when to come back
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 5
    throttled = client.get("/api/v1/alerts", headers={"Authorization": "Bearer st_wrong"})
    assert throttled.is_json and throttled.headers["Retry-After"] == "60"
    db = connect(config["database"]["path"])
    refused = db.execute("SELECT subject, detail FROM audit_log WHERE action = 'staff_token.refused'").fetchall()
    assert len(refused) == 20 and refused[0]["subject"] == "127.0.0.1" and "st_wrong" not in refused[0]["detail"]
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert elsewhere.get("/api/v1/alerts", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200


def test_working_tokens_are_not_counted_as_failures(client, admin_token):
    for _ in range(40):
        assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200


def test_patient_app_api_is_rate_limited_per_token(app, client, admin_token, patient):
    from conftest import auth, enroll

    app.config["PATIENT_APP_LIMIT"] = "3 per minute"
    other = enroll(client, admin_token, name="Other Patient", phone="+15555550188")
    statuses = [client.get("/api/v1/me", headers=auth(patient["patient_token"])).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/me", headers=auth(other["patient_token"])).status_code == 200
    wrong = [client.get("/api/v1/me", headers=auth(f"pt_wrong{n}")).status_code for n in range(21)]
    assert wrong[:3] == [401] * 3 and wrong[-1] == 429


@pytest.mark.parametrize("typed", ["ada admin", "ADA ADMIN", "  Ada Admin "])
def test_the_sign_in_name_is_matched_without_regard_to_case(app, client, typed):
    """Issue 15: a nurse on a phone keyboard that capitalises or not still signs in."""
    add_user(app, ADMIN, "admin")
    assert sign_in(client, typed).status_code == 302


def test_a_name_that_differs_only_in_case_is_refused(app, runner):
    """Sign-in matches names without regard to case, so 'ada ADMIN' beside 'Ada Admin' would be one person."""
    add_user(app, ADMIN, "admin")
    result = runner.invoke(args=["staff", "add", "ada ADMIN", "--role", "nurse"])
    assert result.exit_code != 0 and "'Ada Admin' already exists" in result.output
