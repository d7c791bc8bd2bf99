"""Outbox delivery: order per recipient, backoff with a bounded retry window, permanent failures told to a person,
the per-sender rate limit, and recovery of rows a crash left mid-send."""
import itertools
from datetime import timedelta
from typing import NamedTuple

import pytest
from conftest import FROM_NUMBER, NURSES, PATIENT_PHONE, START, auth, enroll

from messages.gateways import GatewayError
from monitoring import outbox
from monitoring.store import connect
from scheduler import delivery


class FakeGateway:
    """Answers with scripted failures, then succeeds; records what it was handed."""

    def __init__(self):
        self.sent = []
        self.failures = {}  # phone -> list of GatewayError to raise first

    def send(self, to, from_, body, kind, status_callback=None):
        queue = self.failures.get(to)
        if queue:
            raise queue.pop(0)
        self.sent.append((to, kind, body))
        return f"SMout{len(self.sent):029d}"


@pytest.fixture
def gateway(app):
    fake = FakeGateway()
    app.extensions["crswatch.gateway"] = fake
    return fake


def tick(runner):
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def queue_prompts(app, count: int):
    """`count` prompts queued at once (after an outage, or a morning's enrollments) to +1555556NNNN; the clinic."""
    from monitoring.clinic import open_clinic
    from monitoring.store import transaction

    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):
        for index in range(count):
            outbox.queue_text(clinic, f"+1555556{index:04d}", "time for your check-in", "prompt", now=START)
    return clinic


class Handed(NamedTuple):
    """One text handed to the gateway, and when (the paced clock's seconds)."""

    at: float
    to: str
    from_: str
    kind: str
    body: str


def paced_clock(monkeypatch, gateway, on_sleep=None, on_send=None) -> tuple[list[float], list[Handed]]:
    """Delivery's clock (time.monotonic and sleep) starting at 100.0 s, moved only by delivery's waits, and every
    send stamped with it: ([now], handed). `on_sleep(now)` after each wait, `on_send(handed)` after each stamp
    (a red flag texted mid-burst)."""
    now = [100.0]

    def sleep(seconds):
        now[0] += seconds
        if on_sleep is not None:
            on_sleep(now[0])

    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(delivery.time, "sleep", sleep)
    original = gateway.send
    handed: list[Handed] = []

    def stamped(to, from_, body, kind, status_callback=None):
        handed.append(Handed(round(now[0], 6), to, from_, kind, body))
        if on_send is not None:
            on_send(handed)
        return original(to, from_, body, kind, status_callback)

    gateway.send = stamped
    return now, handed


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def statuses(config):
    db = connect(config["database"]["path"])
    return [tuple(r) for r in db.execute("SELECT kind, status, attempts FROM messages WHERE direction = 'out' ORDER BY id")]


def test_a_text_waiting_out_a_backoff_never_holds_up_the_next(client, runner, admin_token, gateway, clock, config,
                                                               phone):
    """Issue 11.1: texts to one phone go in order of what can be sent (this replaces the old rule that a
    later text waited behind an earlier one that was backing off)."""
    enroll(client, admin_token)
    gateway.failures[PATIENT_PHONE] = [GatewayError("30008 unknown", 30008, True)]
    tick(runner)  # the prompt fails once and backs off
    assert gateway.sent == []
    phone.text("98.6")
    tick(runner)
    assert [kind for _, kind, _ in gateway.sent] == ["reply"]  # the reply does not wait behind it
    at(clock, 1)  # past the first backoff (30 s +- 20%)
    tick(runner)
    assert [kind for _, kind, _ in gateway.sent] == ["reply", "prompt"]
    assert [status for _, status, _ in statuses(config)] == ["sent", "sent"]


def test_retries_stop_after_the_window_and_alert_the_nurse(client, runner, admin_token, gateway, clock, config):
    enroll(client, admin_token)
    gateway.failures[PATIENT_PHONE] = [GatewayError("timeout", None, True) for _ in range(50)]
    for minute in range(0, 80, 1):
        at(clock, minute)
        tick(runner)
    prompt = statuses(config)[0]
    assert prompt[0] == "prompt" and prompt[1] == "failed"
    assert 3 <= prompt[2] <= 12  # exponential: a handful of tries in an hour, not one a minute
    alerts = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert [a["reasons"] for a in alerts] == [["undeliverable"]]
    assert any(to == NURSES[0] for to, _, _ in gateway.sent)


def test_permanent_failure_to_patient_opens_undeliverable_alert(client, runner, admin_token, gateway, config):
    enroll(client, admin_token)
    gateway.failures[PATIENT_PHONE] = [GatewayError("21614 not mobile", 21614, False)]
    tick(runner)
    assert statuses(config)[0] == ("prompt", "failed", 1)
    alerts = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert alerts[0]["reasons"] == ["undeliverable"]
    tick(runner)
    assert [to for to, _, _ in gateway.sent] == [NURSES[0]]


def test_permanent_failure_to_nurse_pages_the_next_at_once(client, runner, admin_token, gateway, clock, phone):
    enroll(client, admin_token)
    tick(runner)
    gateway.failures[NURSES[0]] = [GatewayError("21211 invalid", 21211, False)]
    at(clock, 5)
    phone.text("o2 86")
    tick(runner)  # first page fails for good ...
    tick(runner)  # ... and the backup is paged without waiting for the ack timeout
    assert any(to == NURSES[1] and kind == "alert" for to, kind, _ in gateway.sent)


def test_rate_limiter_spaces_a_burst(monkeypatch):
    now = [100.0]
    slept = []
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(delivery.time, "sleep", sleep)
    limiter = delivery.RateLimiter(per_second=1.0)
    stamps = []
    for _ in range(5):
        limiter.wait()
        stamps.append(now[0])
    assert [round(b - a, 6) for a, b in itertools.pairwise(stamps)] == [1.0, 1.0, 1.0, 1.0]


def test_backoff_grows_and_is_capped():
    assert 24 <= outbox.backoff_seconds(1) <= 36
    assert 48 <= outbox.backoff_seconds(2) <= 72
    assert outbox.backoff_seconds(20) <= outbox.BACKOFF_MAX_SECONDS * 1.2


def test_rows_left_sending_by_a_crash(client, runner, admin_token, gateway, clock, config, phone):
    enroll(client, admin_token)
    tick(runner)
    at(clock, 5)
    phone.text("o2 86")
    db = connect(config["database"]["path"])
    db.execute("UPDATE messages SET status = 'sending', updated_at = '2026-03-03T16:05:00.000000+00:00' "
               "WHERE direction = 'out' AND status = 'queued'")
    db.conn.commit()
    at(clock, 11)
    tick(runner)
    rows = {kind: status for kind, status, _ in statuses(config)}
    assert rows["alert"] == "sent" and rows["reply"] == "sent"  # at-least-once: nothing mid-send is lost


def test_pages_go_before_a_burst_of_prompts(app, client, runner, admin_token, gateway, clock, phone, config):
    for index in range(5):
        enroll(client, admin_token, name=f"P {index}", phone=f"+1555555018{index}")
    enroll(client, admin_token)
    db = connect(config["database"]["path"])
    phone.text("o2 85")  # the page is queued after six prompts
    from monitoring.checkins import send_prompts
    from monitoring.clinic import open_clinic

    settings = app.config["CRS"]
    send_prompts(open_clinic(settings), START)  # the clock fixture stands at START
    delivery.deliver_due(open_clinic(settings), gateway, batch=1)
    assert gateway.sent[0][:2] == (NURSES[0], "alert")
    assert db.execute("SELECT COUNT(*) FROM messages WHERE status = 'queued'").fetchone()[0] >= 6


def test_status_callback_for_unknown_sid_is_ignored(app, config):
    from monitoring.alerts import record_delivery_status
    from monitoring.clinic import open_clinic

    clinic = open_clinic(config)
    assert record_delivery_status(clinic, "SMnope", "delivered", None, now=START) is False


def test_when_every_phone_fails_paging_stops_instead_of_storming(client, runner, admin_token, gateway, clock, phone,
                                                                 config):
    enroll(client, admin_token)
    tick(runner)
    for number in NURSES:
        gateway.failures[number] = [GatewayError("21211 invalid", 21211, False) for _ in range(50)]
    at(clock, 5)
    phone.text("o2 86")
    for _ in range(5):
        tick(runner)
    db = connect(config["database"]["path"])
    pages = db.execute("SELECT to_number, status FROM messages WHERE kind = 'alert'").fetchall()
    assert sorted(tuple(p) for p in pages) == [(NURSES[0], "failed"), (NURSES[1], "failed")]


def test_urgent_replies_overtake_a_burst_of_prompts_and_other_replies(app, client, runner, admin_token, gateway,
                                                                      clock, phone):
    """Issue 19, urgent first at the sender: with 500 prompts queued (after an outage, or a morning's
    enrollments) and a routine reply queued before it, a red flag's page leaves first, then the patient's
    urgent instruction, then the routine reply, and only then the prompts."""
    other = "+15555550177"
    enroll(client, admin_token)
    enroll(client, admin_token, name="Other Example", phone=other)
    tick(runner)  # the first prompts leave
    before = len(gateway.sent)
    clinic = queue_prompts(app, 500)
    at(clock, 5)
    phone.text("98.6", sender=other)  # a routine reply, queued before the red flag
    phone.text("o2 85")  # SOP 5 Grade 1 Home: new hypoxia: the nurse is paged, the patient told to call now
    counts = delivery.deliver_due(clinic, gateway, batch=4)
    assert counts["sent"] == 4
    sent = gateway.sent[before:]
    assert [(to, kind) for to, kind, _ in sent] == [
        (NURSES[0], "alert"), (PATIENT_PHONE, "reply"), (other, "reply"), ("+15555560000", "prompt")]
    assert "NOW" in sent[1][2]  # reply_urgent_in_hours
    assert "No fever" in sent[2][2]  # reply_routine


def test_a_call_to_a_nurse_goes_with_the_pages():
    assert outbox.priority_of("call") == outbox.priority_of("alert") < outbox.priority_of("reply", urgent=True)
    assert outbox.priority_of("reply", urgent=True) < outbox.priority_of("reply") == outbox.priority_of("info")
    assert outbox.priority_of("info") < outbox.priority_of("prompt") == outbox.priority_of("reminder")


def test_the_rate_limit_is_per_sender(monkeypatch):
    """Issue 19: each sender keeps its own pace; a second sender (another number, or a Messaging Service's
    pool) does not wait behind the first."""
    now = [100.0]
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])

    def sleep(seconds):
        now[0] += seconds

    monkeypatch.setattr(delivery.time, "sleep", sleep)
    limiter = delivery.RateLimiter(per_second=1.0)
    stamps = []
    for sender in ("+15555550123", "MG" + "b" * 32, "+15555550123", "MG" + "b" * 32):
        limiter.wait(sender)
        stamps.append(now[0])
    assert stamps == [100.0, 100.0, 101.0, 101.0]


def test_a_messaging_service_raises_the_runner_s_rate(config):
    from monitoring.config import load
    from scheduler.runner import Runner

    config["sms"].update(messaging_service_sid="MG" + "b" * 32, messaging_service_senders=4, max_per_second=1.0)
    runner = Runner(load(config), gateway=object())
    assert runner.limiter.interval == 0.25
    assert runner.batch == 4 * 5  # poll_seconds' worth at the pool's rate


def test_a_page_queued_while_the_sender_holds_a_burst_takes_the_next_slot(app, client, runner, admin_token, gateway,
                                                                          clock, phone):
    """Issue 19: at 1 text a second a page that arrives while a slice of prompts is being paced out goes in the
    sender's next slot, not after the rest of the slice (20 prompts, 20 seconds); the prompt it displaced stays
    queued and leaves later."""
    enroll(client, admin_token)
    tick(runner)
    before = len(gateway.sent)
    clinic = queue_prompts(app, 30)
    at(clock, 5)

    class PageArrivesDuringTheSecondWait:
        """The sender's pace, with the red flag's text arriving while delivery waits for its second slot."""

        waits = 0

        def wait(self, sender="", urgent=None, borrow=False):
            self.waits += 1
            if self.waits == 2:
                phone.text("o2 85")  # SOP 5 Grade 1 Home: new hypoxia pages the nurse
            return True  # the slot is taken (one number: nothing more urgent for another sender)

        def may_borrow(self, sender):
            return False  # this row is about the slot; borrowing ahead of the pace has its own rows

        def take(self, sender):
            raise AssertionError("nothing borrows here")

    counts = delivery.deliver_due(clinic, gateway, PageArrivesDuringTheSecondWait(), batch=5)
    assert counts["sent"] == 5
    kinds = [(to, kind) for to, kind, _ in gateway.sent[before:]]
    assert kinds[0] == ("+15555560000", "prompt")
    assert kinds[1] == (NURSES[0], "alert")  # the slot waited for when the page arrived
    assert kinds[2] == (PATIENT_PHONE, "reply")  # then the patient's urgent instruction
    assert ("+15555560001", "prompt") not in kinds[:3]  # displaced, still queued
    delivery.deliver_due(clinic, gateway, batch=100)
    assert sum(1 for to, kind, _ in gateway.sent if to == "+15555560001") == 1  # sent once, later


def test_a_page_committed_as_a_prompt_s_slot_comes_takes_that_slot(app, gateway, clock):
    """Issue 19: a red flag being acted on as a prompt's slot comes (its transaction holds the write lock) has its
    page take that slot: the claim reads the queue's front under the lock it waited for, not before it. Read
    before (as it was), the prompt took the slot, the page borrowed the next one and the patient's urgent reply
    waited for the one after: 2.0004 s after the red flag's 200 in bench/red_flag.py part 2."""
    import threading

    from monitoring.clinic import open_clinic
    from monitoring.store import transaction

    clinic = queue_prompts(app, 2)
    red_flag = open_clinic(app.config["CRS"])  # another connection: the webhook or the inbound thread acting
    holding, commit = threading.Event(), threading.Event()

    def act_on_the_red_flag():
        with transaction(red_flag.db):  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
            outbox.queue_text(red_flag, NURSES[0], "crswatch URGENT: low oxygen 85%", "alert", now=START)
            holding.set()
            commit.wait(5)

    acting = threading.Thread(target=act_on_the_red_flag)

    class TheSlotComesAsTheRedFlagIsActedOn:
        def wait(self, sender="", urgent=None, borrow=False):
            if not acting.is_alive() and not holding.is_set():
                acting.start()
                assert holding.wait(5)
                threading.Timer(0.2, commit.set).start()  # committed while the claim waits for the lock
            return True

        def may_borrow(self, sender):
            return False

        def free(self, sender):
            return False

        def take(self, sender):
            raise AssertionError("nothing borrows here")

    delivery.deliver_due(clinic, gateway, TheSlotComesAsTheRedFlagIsActedOn(), batch=1)
    acting.join(5)
    assert [kind for _, kind, _ in gateway.sent] == ["alert"]  # the page in the slot; the prompts still queued
    delivery.deliver_due(clinic, gateway, batch=10)
    assert [kind for _, kind, _ in gateway.sent] == ["alert", "prompt", "prompt"]


def test_a_page_may_run_two_slots_ahead_of_its_sender_s_pace(monkeypatch):
    """Issue 19: at 1 text a second, two pages (or a page and a call) are handed over at once, half-way through
    the slot a prompt took (each borrowing the next slot); a third must wait, and the next prompt waits the slots
    they took, so the sender's rate over time is kept and Twilio's queue (error 30001) holds no more than those
    two. (The patient's urgent reply does not borrow since 9ae162b: delivery asks may_borrow for pages and
    calls only.)"""
    now = [100.0]
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(delivery.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    limiter = delivery.RateLimiter(per_second=1.0)
    limiter.wait()  # a prompt at 100.0; the next slot is 101.0
    now[0] = 100.5
    assert not limiter.free("") and limiter.may_borrow("")
    limiter.take("")  # the page, at 100.5
    assert limiter.may_borrow("")
    limiter.take("")  # the second page, at 100.5
    assert not limiter.may_borrow("")  # a third would be three slots ahead
    limiter.wait()  # the next prompt
    assert now[0] == 103.0
    now[0] = 110.0
    assert limiter.free("") and limiter.may_borrow("")  # a quiet sender has nothing to pay back


def test_a_red_flag_during_a_burst_on_one_number_is_handed_over_at_once(app, client, runner, admin_token, gateway,
                                                                        clock, phone, monkeypatch):
    """Issue 19, urgent first at the sender, with one number for every text: 30 prompts leave at 1 a second; a
    red flag texted half-way through a wait for the next slot has its page handed to the gateway within
    URGENT_POLL_SECONDS, before that slot (borrowing it); the patient's urgent reply takes the slot after it
    (Twilio would send it no sooner), ahead of the prompt they passed, which keeps its place and leaves once
    the slot the page borrowed is paid back."""
    enroll(client, admin_token)
    tick(runner)
    clinic = queue_prompts(app, 30)
    at(clock, 5)
    texted = []

    def red_flag_mid_wait(now):
        if now >= 100.5 and not texted:  # half-way to the second prompt's slot
            texted.append(now)
            phone.text("o2 85")  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse, the patient is told to call now

    _, handed = paced_clock(monkeypatch, gateway, on_sleep=red_flag_mid_wait)
    before = len(gateway.sent)
    delivery.deliver_due(clinic, gateway, delivery.RateLimiter(per_second=1.0), batch=5)
    assert [(text.to, text.kind) for text in handed] == [
        ("+15555560000", "prompt"), (NURSES[0], "alert"), (PATIENT_PHONE, "reply"),
        ("+15555560001", "prompt"), ("+15555560002", "prompt")]
    assert "NOW" in gateway.sent[before + 2][2]  # reply_urgent_in_hours
    page_at, reply_at = handed[1].at, handed[2].at
    assert page_at - texted[0] <= delivery.URGENT_POLL_SECONDS + 1e-9
    assert page_at < 101.0  # before the slot the prompt would have taken
    assert reply_at == 102.0  # the sender's next free slot: Twilio sends the page at 101.0, the reply at 102.0
    assert [text.at for text in handed[3:]] == [103.0, 104.0]  # the borrowed slot paid back


def test_a_second_red_flag_s_page_is_not_put_behind_the_first_patient_s_urgent_reply(
        app, client, runner, admin_token, gateway, clock, phone, monkeypatch):
    """Pages first at the sender, with one number for every text: Twilio sends what it is handed in order (error
    30001), so an urgent reply handed over ahead of its slot keeps a page that arrives after it behind it. Patient
    A's red flag pages at 100.0; patient B's red flag arrives while A's page is being handed over: B's page must
    take the next slot (101.0), ahead of A's urgent reply, not the one after it (SOP 5: SpO2 < 90% pages the
    nurse; a page reaches the nurse before any patient text that is not already on its way)."""
    from monitoring.clinic import open_clinic

    other = "+15555550177"
    enroll(client, admin_token)
    enroll(client, admin_token, name="Other Example", phone=other)
    tick(runner)  # the welcome prompts leave
    at(clock, 5)
    phone.text("o2 85")  # SOP 5 Grade 1 Home: SpO2 < 90%: patient A's page and urgent reply are queued

    def b_texts(handed):
        if len(handed) == 1:
            phone.text("o2 86", sender=other)  # patient B's red flag, while A's page is being handed over

    _, handed = paced_clock(monkeypatch, gateway, on_send=b_texts)
    before = len(gateway.sent)
    delivery.deliver_due(open_clinic(app.config["CRS"]), gateway, delivery.RateLimiter(per_second=1.0), batch=4)
    order = [(text.to, text.kind) for text in handed]
    pages = [index for index, (_, kind) in enumerate(order) if kind == "alert"]
    replies = [index for index, (to, kind) in enumerate(order) if kind == "reply" and to == PATIENT_PHONE]
    assert len(pages) == 2 and len(replies) == 1, order
    assert pages == [0, 1]  # B's page is the second thing the number sends: the nurse hears of B at 101.0
    assert replies[0] > pages[1]  # A's urgent reply goes after it (Twilio keeps the order it was handed)
    assert "NOW" in gateway.sent[before + replies[0]][2]  # reply_urgent_in_hours, still sent in this pass


def test_a_flood_of_pages_is_handed_over_a_slot_at_a_time_two_ahead_of_the_pace(app, gateway, clock, monkeypatch):
    """50 red flags at once on one number: the pages go before anything else, three at once (the slot and
    two borrowed), then each as soon as it may borrow again (one a second), not three at a time once the
    whole debt is paid: Twilio sends them at the same pace either way, but a page in Twilio's hands is out of
    reach of this machine's crash. The prompt after them waits until the sender's pace has caught up."""
    from monitoring.clinic import open_clinic
    from monitoring.store import transaction

    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):
        outbox.queue_text(clinic, "+15555560000", "time for your check-in", "prompt", now=START)
        for index in range(5):
            outbox.queue_text(clinic, NURSES[index % 2], f"URGENT page {index}", "alert", now=START)
    _, handed = paced_clock(monkeypatch, gateway)
    delivery.deliver_due(clinic, gateway, delivery.RateLimiter(per_second=1.0), batch=6)
    assert [(text.at, text.kind) for text in handed] == [
        (100.0, "alert"), (100.0, "alert"), (100.0, "alert"), (101.0, "alert"), (102.0, "alert"),
                      (105.0, "prompt")]
    assert [body for _, _, body in gateway.sent] == [f"URGENT page {index}" for index in range(5)] + [
        "time for your check-in"]


def test_texts_queued_from_a_number_no_longer_in_the_settings_are_paced_as_the_number_they_leave_from(
        app, gateway, clock, monkeypatch):
    """`[sms] from_number` changed with texts still queued (a restart after an outage, the old number released):
    they leave from the number in force (outbox.in_force), so they spend that number's pace. Paced as the old
    number instead, they went beside the new number's own texts at twice its rate, and Twilio queued the
    excess on the new number ahead of any later page (error 30001)."""
    from monitoring.clinic import open_clinic
    from monitoring.store import transaction

    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):
        for index in range(4):
            queued = outbox.queue_text(clinic, f"+1555556{index:04d}", "time for your check-in", "prompt", now=START)
            if index % 2 == 0:  # queued before the number changed
                clinic.db.execute("UPDATE messages SET from_number = '+15555550124' WHERE id = ?", [queued])
    _, handed = paced_clock(monkeypatch, gateway)
    delivery.deliver_due(clinic, gateway, delivery.RateLimiter(per_second=1.0), batch=4)
    assert [(text.at, text.from_) for text in handed] == [
        (100.0, FROM_NUMBER), (101.0, FROM_NUMBER), (102.0, FROM_NUMBER), (103.0, FROM_NUMBER)]


def test_a_claim_late_in_a_long_pass_holds_the_write_lock_no_longer_than_the_first(app, gateway, clock, monkeypatch):
    """Issue 19: the claim reads what overtakes its row under the write lock (the red flag's page takes the slot),
    so that read must not grow with the pass: read as the queue's front past every row the pass handled (one
    `outbox.due` row for each), a claim 500 texts into a pass over a morning's backlog (a Messaging Service pool at
    100/s paces 500 a pass) held the lock about 8 ms, each one, where the first held it 0.04 ms, and every status
    callback, dashboard write, app answer and the inbound thread's batch waited for it. Measured here in SQLite's
    steps inside each claim's transaction, not in time."""
    clinic = queue_prompts(app, 1200)  # a morning's prompts: two passes' worth
    paced_clock(monkeypatch, gateway)
    steps: list[int] = []
    inside = [False]

    def traced(sql):
        if sql == "BEGIN IMMEDIATE":
            inside[0] = True
        elif sql == "COMMIT" and inside[0]:
            inside[0] = False

    def step():
        if inside[0]:
            steps[-1] += 1
        return 0

    real_claim = delivery._claim

    def claim(*args, **kwargs):
        steps.append(0)
        clinic.db.conn.set_trace_callback(traced)
        clinic.db.conn.set_progress_handler(step, 50)
        try:
            return real_claim(*args, **kwargs)
        finally:
            clinic.db.conn.set_trace_callback(None)
            clinic.db.conn.set_progress_handler(None, 0)

    monkeypatch.setattr(delivery, "_claim", claim)
    counts = delivery.deliver_due(clinic, gateway, delivery.RateLimiter(100.0), batch=600)
    assert counts["sent"] == 600
    assert len(steps) == 600
    assert max(steps[-50:]) <= 3 * max(steps[:50]) + 5
