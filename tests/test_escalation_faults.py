"""Escalation under faults (issue 11): pages never wait behind a failing one, account failures are
retried for every text and raised to the operator, no failure is remembered for good, SMS ACK is
scoped to the phone, Twilio's status callbacks are taken in their own order, and clock steps neither
stop the scheduler nor end monitoring."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from conftest import AUTH_TOKEN, BASE_URL, NURSES, PATIENT_PHONE, START, add_staff, auth, enroll, texts_to
from twilio.request_validator import RequestValidator

from messages.gateways import GatewayError
from monitoring import lease, operator
from monitoring.clinic import open_clinic
from monitoring.store import connect, to_text
from scheduler import delivery
from scheduler.jobs import run_due_work

OTHER_PHONE = "+15555550188"


class ScriptedGateway:
    """Refuses what `refuse(to, body)` names with that error; records what it sent."""

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []
        self.refuse = lambda to, body: None

    def send(self, to, from_, body, kind, status_callback=None):
        error = self.refuse(to, body)
        if error is not None:
            raise error
        self.sent.append((to, kind, body))
        return f"SMfake{len(self.sent):028d}"


@pytest.fixture
def gateway(app):
    fake = ScriptedGateway()
    app.extensions["crswatch.gateway"] = fake
    return fake


def tick(runner) -> str:
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return result.output


def at(clock, seconds: float) -> None:
    clock.move_to(START + timedelta(seconds=seconds))


def pages_to(gateway, number) -> list[str]:
    return [body for to, kind, body in gateway.sent if to == number and kind == "alert"]


def db(config):
    return connect(config["database"]["path"])


def two_patients(client, admin_token, runner):
    enroll(client, admin_token, name="Ann Able")
    enroll(client, admin_token, name="Bob Baker", phone=OTHER_PHONE)
    tick(runner)


# --- 1. one refused page never holds up another --------------------------------------------------------

@pytest.mark.parametrize("error", [
    pytest.param(GatewayError("30008 unknown", 30008, True), id="recipient-retryable-30008"),
    pytest.param(GatewayError("twilio 500", 20500, True), id="twilio-500-for-that-text"),
])
def test_a_refused_page_does_not_hold_up_another_patients_page(client, runner, admin_token, gateway, clock, phone,
                                                                error):
    two_patients(client, admin_token, runner)
    gateway.refuse = lambda to, body: error if "A.A." in body else None
    at(clock, 60)
    phone.text("o2 85")  # Ann: her page to the first nurse is refused, again and again
    tick(runner)
    at(clock, 70)
    phone.text("o2 84", sender=OTHER_PHONE)  # Bob, 10 s later
    tick(runner)
    assert any("B.B." in body for body in pages_to(gateway, NURSES[0]))  # within the same pass


def test_a_page_failing_twice_pages_the_next_nurse_at_once_and_keeps_trying(client, runner, admin_token, gateway,
                                                                            clock, phone, config):
    enroll(client, admin_token)
    tick(runner)
    gateway.refuse = lambda to, body: GatewayError("30008", 30008, True) if to == NURSES[0] else None
    at(clock, 60)
    phone.text("o2 85")
    tick(runner)
    assert pages_to(gateway, NURSES[1]) == []  # one failure: the first nurse's page is retried
    at(clock, 120)
    tick(runner)  # the second failure: the backup nurse is paged in the same pass
    assert len(pages_to(gateway, NURSES[1])) == 1
    first = db(config).execute("SELECT status FROM messages WHERE kind = 'alert' AND to_number = ?",
                               [NURSES[0]]).fetchone()
    assert first["status"] == "queued"  # still being tried
    gateway.refuse = lambda to, body: None
    at(clock, 600)
    tick(runner)
    assert len(pages_to(gateway, NURSES[0])) == 1 and len(pages_to(gateway, NURSES[1])) == 1  # no storm


# --- 2. account-level failures -------------------------------------------------------------------------

def test_an_account_failure_is_retried_for_every_text_and_raised_at_once(client, runner, admin_token, gateway, clock,
                                                                          phone, config):
    enroll(client, admin_token)
    tick(runner)
    outage = GatewayError("twilio 401 code 20003: Authenticate", 20003, False, "account")
    gateway.refuse = lambda to, body: outage
    at(clock, 60)
    phone.text("o2 85")
    for second in range(60, 360, 20):  # five minutes of bad credentials
        at(clock, second)
        tick(runner)
    health = operator.gateway_health(db(config))
    assert health.failing_since is not None and health.scope == "account" and health.code == 20003
    statuses = {row["kind"]: row["status"] for row in db(config).execute(
        "SELECT kind, status FROM messages WHERE direction = 'out' AND created_at >= ?",
        [to_text(START + timedelta(seconds=60))])}
    assert statuses == {"alert": "queued", "reply": "queued"}  # nothing given up, no phone dead
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()[0]["reasons"] == ["hypoxia"]
    gateway.refuse = lambda to, body: None  # the operator fixes the token
    at(clock, 360 + 30)
    tick(runner)
    assert len(pages_to(gateway, NURSES[0])) == 1  # within a minute of recovery
    assert any(to == PATIENT_PHONE and kind == "reply" for to, kind, _ in gateway.sent)
    assert operator.gateway_health(db(config)).failing_since is None


def test_pages_held_back_by_an_outage_are_not_sent_once_the_alert_is_acknowledged(client, runner, admin_token,
                                                                                 gateway, clock, phone):
    """Twilio refuses every text for half an hour; the first page and the re-page ("NOT ACKED") wait in the
    outbox; a nurse at the clinic acknowledges the alert on the dashboard meanwhile. When Twilio answers again
    the night nurses must not get "URGENT NOT ACKED ... Reply ACK 1" for an alert already taken (found by the
    night break-it pass); the acknowledgement, texts to the patient and other alerts' pages still go."""
    enroll(client, admin_token)
    tick(runner)
    gateway.refuse = lambda to, body: GatewayError("twilio 503 code 20503", 20503, True, "account")
    at(clock, 60)
    phone.text("o2 85")
    for minute in (1, 10, 16, 20):
        at(clock, minute * 60)
        tick(runner)
    assert client.post("/api/v1/alerts/1/ack", headers=auth(admin_token)).status_code == 200
    gateway.refuse = lambda to, body: None
    at(clock, 21 * 60)
    tick(runner)
    assert pages_to(gateway, NURSES[0]) == [] and pages_to(gateway, NURSES[1]) == []
    assert any(to == PATIENT_PHONE and kind == "reply" for to, kind, _ in gateway.sent)


def test_a_dead_account_is_probed_not_hammered(client, runner, admin_token, gateway, clock):
    for index in range(8):
        enroll(client, admin_token, name=f"P {index}", phone=f"+1555555017{index}")
    tried = []

    def refuse(to, body):
        tried.append(to)
        return GatewayError("connection refused", None, True, "network")

    gateway.refuse = refuse
    output = tick(runner)
    assert len(tried) == delivery.OUTAGE_FAILURES_PER_PASS and "retrying=3" in output


# --- no failure remembered for good -------------------------------------------------------------------

def test_a_phone_that_failed_for_good_is_tried_again_at_the_next_repage(client, runner, admin_token, gateway, clock,
                                                                        phone):
    enroll(client, admin_token)
    tick(runner)
    gateway.refuse = lambda to, body: GatewayError("21211", 21211, False) if to == NURSES[0] else None
    at(clock, 60)
    phone.text("o2 85")
    tick(runner)
    assert pages_to(gateway, NURSES[0]) == [] and len(pages_to(gateway, NURSES[1])) == 1
    gateway.refuse = lambda to, body: None  # the first nurse's phone is back
    at(clock, 60 + 15 * 60 + 1)
    tick(runner)
    assert len(pages_to(gateway, NURSES[0])) == 1


# --- 7. ACK that fits the night -----------------------------------------------------------------------

def test_ack_all_takes_every_alert_paged_to_that_phone(client, runner, admin_token, gateway, clock, phone):
    two_patients(client, admin_token, runner)
    at(clock, 60)
    phone.text("o2 85")
    phone.text("o2 84", sender=OTHER_PHONE)
    tick(runner)
    phone.text("ACK", sender=NURSES[0])
    reply = texts_to(client, admin_token, NURSES[0])[-1]["body"]
    assert "acknowledged" in reply and "Also open: 1 (A.A.)" in reply and "ACK ALL" in reply
    phone.text("ack all", sender=NURSES[0])
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).get_json() == []
    phone.text("ACK 1", sender=NURSES[0])
    assert "already acknowledged by Primary nurse" in texts_to(client, admin_token, NURSES[0])[-1]["body"]


def test_ack_of_a_resolved_alert_says_who_resolved_it(client, runner, admin_token, gateway, clock, phone):
    enroll(client, admin_token)
    tick(runner)
    phone.text("o2 85")
    client.post("/api/v1/alerts/1/resolve", json={"note": "called, fine"}, headers=auth(admin_token))
    phone.text("ACK 1", sender=NURSES[0])
    assert "already resolved by Ada Admin at 10:00 AM" in texts_to(client, admin_token, NURSES[0])[-1]["body"]


def test_a_staff_phone_may_ack_what_it_was_paged_for(client, runner, admin_token, gateway, clock, phone, app):
    """A fallback staff phone paged because the chain failed may acknowledge that alert."""
    add_staff(runner, "Sam Staff", "nurse", "+15555550166")
    enroll(client, admin_token)
    tick(runner)
    gateway.refuse = lambda to, body: GatewayError("21211", 21211, False) if to in NURSES else None
    phone.text("o2 85")
    tick(runner)
    assert len(pages_to(gateway, "+15555550166")) == 1
    phone.text("ack", sender="+15555550166")
    acked = client.get("/api/v1/alerts?status=all", headers=auth(admin_token)).get_json()[0]
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "Sam Staff"


# --- 8. Twilio's own edges ----------------------------------------------------------------------------

def _status(client, sid: str, state: str, code: str | None = None):
    params = {"MessageSid": sid, "MessageStatus": state, "AccountSid": "AC" + "0" * 32}
    if code:
        params["ErrorCode"] = code
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/sms/status", params)
    return client.post("/sms/status", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)


def test_status_only_moves_forward(client, runner, admin_token, gateway, config):
    enroll(client, admin_token)
    tick(runner)
    sid = db(config).execute("SELECT sid FROM messages WHERE kind = 'prompt'").fetchone()[0]
    assert _status(client, sid, "delivered").status_code == 200
    _status(client, sid, "sent")  # late
    _status(client, sid, "queued")  # later still
    assert db(config).execute("SELECT status FROM messages WHERE sid = ?", [sid]).fetchone()[0] == "delivered"
    _status(client, sid, "undelivered", "30003")  # cannot follow delivered
    assert db(config).execute("SELECT status FROM messages WHERE sid = ?", [sid]).fetchone()[0] == "delivered"


def test_a_callback_that_overtakes_the_send_is_applied_when_the_sid_is_recorded(app, client, runner, admin_token,
                                                                                 config):
    enroll(client, admin_token)
    early_sid = "SMearly" + "0" * 27

    class RacingGateway:
        """Twilio's 'undelivered' callback arrives before send() has returned."""

        calls = 0

        def send(self, to, from_, body, kind, status_callback=None):
            self.calls += 1
            if self.calls > 1:
                return f"SMlater{self.calls:027d}"  # the nurse's page about it
            assert _status(client, early_sid, "undelivered", "30003").status_code == 200
            return early_sid

    app.extensions["crswatch.gateway"] = RacingGateway()
    tick(runner)
    row = db(config).execute("SELECT status, error_code FROM messages WHERE sid = ?", [early_sid]).fetchone()
    assert tuple(row) == ("undelivered", "30003")
    alerts = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert [a["reasons"] for a in alerts] == [["undeliverable"]]  # the patient cannot be reached: a nurse knows
    assert db(config).execute("SELECT COUNT(*) FROM early_status_callbacks").fetchone()[0] == 0


def test_a_page_the_carrier_fails_twice_pages_the_next_nurse_at_once(client, runner, admin_token, gateway, clock,
                                                                   phone, config):
    """Twilio takes the page, then its status callback says `undelivered` 30008 (the carrier's passing fault):
    the page is sent again, and when the carrier fails it a second time the next person on call is paged at
    once, as when the gateway itself refuses a page twice (test above). The callback path only retried, so the
    backup nurse heard nothing until the 15-minute re-page (found by the night break-it pass)."""
    enroll(client, admin_token)
    tick(runner)
    at(clock, 60)
    phone.text("o2 85")
    tick(runner)

    def page_sid():
        return db(config).execute("SELECT sid FROM messages WHERE kind = 'alert' AND to_number = ?",
                                  [NURSES[0]]).fetchone()[0]

    _status(client, page_sid(), "undelivered", "30008")
    assert pages_to(gateway, NURSES[1]) == []  # one failure: the first nurse's page is sent again
    at(clock, 120)
    tick(runner)
    assert len(pages_to(gateway, NURSES[0])) == 2
    _status(client, page_sid(), "undelivered", "30008")  # the carrier fails it again
    tick(runner)
    assert len(pages_to(gateway, NURSES[1])) == 1  # at minute 2, not at the ack timeout
    _status(client, page_sid(), "undelivered", "30008")  # a repeated callback pages nobody more
    tick(runner)
    assert len(pages_to(gateway, NURSES[1])) == 1


def test_a_page_the_carrier_failed_for_good_wakes_delivery_for_the_next_nurse(app, client, runner, admin_token,
                                                                            gateway, clock, phone, config):
    """The status callback that says the first nurse's page was undelivered (30003) queues the next nurse's
    page; the scheduler must be woken to send it now, as after an inbound text, not at its next poll (up to
    `[scheduler] poll_seconds`, 60 at most; found by the night break-it pass)."""

    class Scheduler:
        woken = 0

        def wakeup(self):
            self.woken += 1

    enroll(client, admin_token)
    tick(runner)
    phone.text("o2 85")
    tick(runner)
    scheduler = app.extensions["crswatch.runner"] = Scheduler()
    sid = db(config).execute("SELECT sid FROM messages WHERE kind = 'alert'").fetchone()[0]
    _status(client, sid, "undelivered", "30003")
    assert db(config).execute("SELECT COUNT(*) FROM messages WHERE kind = 'alert' AND to_number = ? "
                              "AND status = 'queued'", [NURSES[1]]).fetchone()[0] == 1
    assert scheduler.woken == 1


def test_a_signed_form_with_a_repeated_key_is_accepted(client, patient, config):
    params = [("From", PATIENT_PHONE), ("To", "+15555550123"), ("Body", "98.6"), ("MessageSid", "SM" + "7" * 32),
              ("AccountSid", "AC" + "0" * 32), ("AddOns", '{"a":1}'), ("AddOns", '{"b":2}')]

    class Multi(dict):
        def getlist(self, key):
            return [value for name, value in params if name == key]

    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/sms/inbound",
                                                               Multi({name: None for name, _ in params}))
    response = client.post("/sms/inbound", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)
    assert response.status_code == 200
    assert db(config).execute("SELECT COUNT(*) FROM messages WHERE sid = ?", ["SM" + "7" * 32]).fetchone()[0] == 1


# --- 3. clock steps -----------------------------------------------------------------------------------

def test_a_lease_written_before_the_clock_stepped_back_is_expired(app, config, clock):
    clinic = open_clinic(config)
    assert lease.acquire(clinic, "scheduler", "old-host", 30)
    clock.move_to(START - timedelta(hours=6))  # the host clock steps back six hours
    assert lease.acquire(clinic, "scheduler", "restarted-host", 30)  # not six hours of nothing
    assert not lease.acquire(clinic, "scheduler", "old-host", 30)  # and only one holds it


def test_after_a_back_step_prompts_and_repages_resume_at_once(client, runner, admin_token, gateway, clock, phone,
                                                              config):
    enroll(client, admin_token)
    tick(runner)
    phone.text("o2 85")  # an urgent alert, re-paged every 15 minutes until acknowledged
    tick(runner)
    clock.move_to(START - timedelta(hours=6))
    output = tick(runner)
    assert "prompts=1" in output and "repages=1" in output
    hold = operator.get(db(config), operator.CLOCK_HOLD)
    assert hold is None  # a back step holds nothing


def test_a_forward_step_ends_no_episode_and_a_correction_keeps_them(app, client, runner, admin_token, gateway, clock,
                                                                    config):
    enroll(client, admin_token)
    tick(runner)
    settings = app.config["CRS"]
    clock.move_to(START + timedelta(hours=80))  # the wall clock jumps 80 h; 10 s of real time passed
    done = run_due_work(settings, gateway, clock_step=timedelta(hours=80) - timedelta(seconds=10))
    assert done["episodes_ended"] == 0
    assert operator.clock_hold(db(config), START + timedelta(hours=80)) is not None
    clock.move_to(START + timedelta(minutes=1))  # the operator corrects it
    run_due_work(settings, gateway, clock_step=-timedelta(hours=80) + timedelta(minutes=1))
    assert operator.get(db(config), operator.CLOCK_HOLD) is None
    episode = client.get("/api/v1/patients/1", headers=auth(admin_token)).get_json()["episode"]
    assert episode["status"] == "active"


def test_a_forward_step_the_operator_confirms_ends_episodes(app, client, runner, admin_token, gateway, clock, config):
    enroll(client, admin_token)
    tick(runner)
    clock.move_to(START + timedelta(hours=80))
    run_due_work(app.config["CRS"], gateway, clock_step=timedelta(hours=80))
    result = runner.invoke(args=["clock-ok"])
    assert result.exit_code == 0 and "released" in result.output
    assert "episodes_ended=1" in tick(runner)


def test_time_passing_while_the_service_was_down_is_not_a_step(client, runner, admin_token, gateway, clock, config):
    """A one-off `tick` cannot tell downtime from a step; it acts on the time it finds."""
    enroll(client, admin_token)
    tick(runner)
    clock.move_to(START + timedelta(hours=73))
    assert "episodes_ended=1" in tick(runner)


# --- 6. floods ----------------------------------------------------------------------------------------

def test_a_red_flag_inside_a_flood_is_triaged_and_paged_on_arrival(client, runner, admin_token, patient, clock,
                                                                    phone, config):
    for second in range(60):  # well past the flood limit: the rest is deferred
        clock.move_to(START + timedelta(minutes=5, seconds=second))
        phone.text(f"hello {second}")
    phone.text("o2 85 and dizzy")  # no tick: it must not wait behind the flood
    alerts = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert [sorted(a["reasons"]) for a in alerts] == [["dizziness", "hypoxia"]]
    queued = db(config).execute("SELECT COUNT(*) FROM messages WHERE kind = 'alert' AND to_number = ?",
                                [NURSES[0]]).fetchone()[0]
    assert queued == 1
    deferred = db(config).execute("SELECT COUNT(*) FROM messages WHERE status = 'deferred'").fetchone()[0]
    assert deferred >= 20  # the small talk still waits


def test_the_reply_budget_counts_texts_received(client, admin_token, patient, clock, phone):
    """docs/operations.md: more than 20 texts in 10 minutes and replies pause (small talk gets no
    reply of its own, so counting replies sent would never pause a number that only chats)."""
    for index in range(21):
        clock.move_to(START + timedelta(minutes=5, seconds=20 * index))
        phone.text("98.6" if index == 20 else "hi")
    last = texts_to(client, admin_token, PATIENT_PHONE)[-1]
    assert last["kind"] == "info" and "paused" in last["body"].lower()


@pytest.mark.parametrize("signed_over", ["plain", "with-fragment"])
def test_a_webhook_with_connection_overrides_is_accepted_either_way(tmp_path, clock, signed_over):
    """docs/operations.md: with `#rc=...` on the webhook URL, a signature over the URL with or without
    the fragment is accepted; anything else is still refused."""
    from conftest import FROM_NUMBER, base_config

    from app import create_app

    overrides = "rc=3&rp=ct,rt,5xx&rt=10000&tt=15000"
    settings = base_config(tmp_path / "x.db")
    settings["sms"]["webhook_overrides"] = overrides
    app = create_app(settings)
    app.testing = True
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    url = BASE_URL + "/sms/inbound" + (f"#{overrides}" if signed_over == "with-fragment" else "")
    params = {"From": "+15555550155", "To": FROM_NUMBER, "Body": "hi", "MessageSid": "SM" + "5" * 32}
    validator = RequestValidator(AUTH_TOKEN)
    client = app.test_client()

    def post(signature):
        return client.post("/sms/inbound", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature}, base_url=BASE_URL).status_code

    assert post(validator.compute_signature(url + "x", params)) == 403
    assert post(validator.compute_signature(url, params)) == 200


# --- a phone that is both a patient's and a nurse's (found by the break-it pass) ---------------------

@pytest.mark.parametrize("number", [NURSES[0], "+15555550177"], ids=["on-call-phone", "staff-phone"])
def test_a_patient_cannot_be_enrolled_on_a_staff_or_on_call_phone(client, admin_token, nurse_token, number):
    response = client.post("/api/v1/patients", json={"name": "Pat", "phone": number, "therapy": "teclistamab"},
                           headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == "phone"
    assert "staff or on-call phone" in response.get_json()["error"]


def test_an_ack_from_a_phone_that_is_also_a_patients_is_the_nurses(app, client, runner, admin_token, gateway, phone,
                                                                     config):
    """A database from before the refusal: the on-call phone was enrolled as a patient too."""
    enroll(client, admin_token)
    enrolled_on_nurse = db(config)
    with enrolled_on_nurse:
        enrolled_on_nurse.execute("UPDATE patients SET phone = ? WHERE id = 1", [NURSES[0]])
    enroll(client, admin_token, name="Bob Baker", phone=OTHER_PHONE)
    tick(runner)
    phone.text("o2 84", sender=OTHER_PHONE)
    phone.text("ACK", sender=NURSES[0])
    acked = client.get("/api/v1/alerts?status=all", headers=auth(admin_token)).get_json()[0]
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "Primary nurse"


def test_the_page_says_only_what_the_text_told_the_patient(client, admin_token, patient, phone):
    """'101 and confused' gets the urgent reply alone; the page said 'acetaminophen now' too (break-it pass)."""
    phone.text("101 and confused")
    replies = " ".join(m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[1:])
    page = texts_to(client, admin_token, NURSES[0])[-1]["body"]
    assert "acetaminophen" not in replies.lower()
    assert "acetaminophen" not in page.lower() and "call clinic now" in page.lower()
