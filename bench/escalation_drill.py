"""Escalation under faults, drilled: does a page still reach a nurse when things fail?

Each drill builds a fresh service on a temporary database, drives it through the signed Twilio webhook
and the staff API with the clock under time_machine (one simulated scheduler pass every 5 s, as
`[scheduler] poll_seconds` does), fakes Twilio at the gateway, and prints its figure against its goal:

1. one refused page: patient A's page to the first nurse is refused (retryable) for 3, 30 or 70 min;
   how long patient B's unrelated page (10 s later) waits, and when A's alert reaches a nurse.
   Goal: B within seconds; A's alert reaches someone well inside one ack timeout (15 min).
2. a 5-minute account failure (401, code 20003): are the due pages sent within a minute of recovery,
   and is the operator told (/healthz 503) at once?
3. clock steps: after a 6 h back step, how long until a restarted scheduler runs; after an 80 h
   forward step (then corrected), how many episodes ended. Goal: within one lease (30 s); none.
6. a flood of 600 texts in a minute from one number: how long its own red flag waits for a page.
   Goal: under 5 s.
7. the pager number refused (`[sms] pager_number` released or not SMS- or voice-capable: 21606 for texts,
   21210 for calls, for the whole hour): how long until the red flag's page, and the unacknowledged urgent
   alert's call, reach the nurse from the main number, and is the operator told. Goal: the page within one
   pass (5 s), the call within 5 s of its time, told at once.

Run: python bench/escalation_drill.py [--logs]   (prints figures; exits 1 if a goal is missed)

The drills' faults make the service log hundreds of expected lines (the account failure, every text of the
flood deferred); they are kept out of the figures unless `--logs` is given.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import time_machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twilio.request_validator import RequestValidator

from app import create_app
from messages.gateways import GatewayError, error_for
from scheduler.jobs import run_due_work
from scheduler.runner import Runner

START = datetime.fromisoformat("2026-03-03T10:00:00-06:00")  # a Tuesday, in clinic hours
POLL = timedelta(seconds=5)
TOKEN = "drill-auth-token"
BASE = "https://monitor.example.org"
NURSES = ["+15555550142", "+15555550143"]
ANN, BOB = "+15555550181", "+15555550182"
PAGER = "+13125550142"  # drill 7's [sms] pager_number


class Gateway:
    """Twilio faked at the gateway: `refuse(to, body)` returns the error to raise, or None."""

    def __init__(self):
        self.sent: list[tuple[datetime, str, str, str]] = []
        self.senders: list[str] = []  # each sent text's From, in the order of `sent`
        self.refuse = lambda to, body: None
        self.refused_senders: dict[str, GatewayError] = {}  # a sender number Twilio refuses, and how
        self.first_refusal: datetime | None = None

    def send(self, to, from_, body, kind, status_callback=None):
        error = self.refused_senders.get(from_) or self.refuse(to, body)
        if error is not None:
            self.first_refusal = self.first_refusal or datetime.now(START.tzinfo)
            raise error
        self.sent.append((datetime.now(START.tzinfo), to, kind, body))
        self.senders.append(from_)
        return f"SMdrill{len(self.sent):027d}"

    def call(self, to, from_, body, url, status_callback=None):
        """A voice call to a nurse (issue 12) is refused and recorded like a text."""
        if from_ in self.refused_senders:  # as TwilioGateway classifies Twilio's answer (messages.gateways.error_for)
            self.refused_senders[from_] = error_for(21210, 400, "twilio 400 code 21210: 'From' phone number not verified")
        return self.send(to, from_, body, "call", status_callback)

    def first(self, predicate) -> datetime | None:
        return next((at for at, to, kind, body in self.sent if predicate(to, kind, body)), None)


class Service:
    def __init__(self, folder: str, pager_number: str = ""):
        self.config = {
            "clinic": {"name": "Drill Cancer Center", "phone": "+15555550100", "timezone": "America/Chicago"},
            "database": {"path": os.path.join(folder, "drill.db")},
            "sms": {"backend": "outbox", "from_number": "+15555550123", "public_base_url": BASE,
                    "pager_number": pager_number,
                    "twilio": {"account_sid": "AC" + "0" * 32, "auth_token": TOKEN}},
            "scheduler": {"enabled": False},
            "oncall": [{"name": "Primary nurse", "phone": NURSES[0]}, {"name": "Backup nurse", "phone": NURSES[1]}],
        }
        self.app = create_app(self.config)
        self.app.testing = True
        self.config = self.app.config["CRS"]  # the loaded settings, defaults filled in
        runner = self.app.test_cli_runner()
        assert runner.invoke(args=["init-db"]).exit_code == 0
        self.token = runner.invoke(args=["staff", "add", "Drill Admin", "--role", "admin"]).output.strip().splitlines()[-1]
        self.client = self.app.test_client()
        self.gateway = Gateway()
        self.sids = 0

    def enroll(self, name: str, phone: str) -> None:
        body = {"name": name, "phone": phone, "language": "en", "therapy": "teclistamab",
                "dose_given_at": START.isoformat()}
        response = self.client.post("/api/v1/patients", json=body, headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 201, response.get_json()

    def text(self, sender: str, body: str) -> int:
        self.sids += 1
        params = {"From": sender, "To": "+15555550123", "Body": body, "MessageSid": f"SM{self.sids:032d}",
                  "AccountSid": "AC" + "0" * 32, "NumMedia": "0"}
        signature = RequestValidator(TOKEN).compute_signature(BASE + "/sms/inbound", params)
        return self.client.post("/sms/inbound", data=urlencode(params), base_url=BASE,
                                content_type="application/x-www-form-urlencoded",
                                headers={"X-Twilio-Signature": signature}).status_code

    def run_pass(self) -> None:
        run_due_work(self.config, self.gateway)

    def healthy(self) -> bool:
        return self.client.get("/healthz").status_code == 200


def run_until(service: Service, clock, until: datetime, stop=lambda: False) -> None:
    now = datetime.now(START.tzinfo)
    while now < until and not stop():
        now += POLL
        clock.move_to(now)
        service.run_pass()


def passes_telling(service: Service, clock, start: datetime, until: datetime) -> timedelta | None:
    """A scheduler pass every POLL from `start` to `until`; how long after the gateway's first refusal /healthz
    first answered 503 (the operator told), or None if it never did."""
    told, now = None, start
    while now < until:
        now += POLL
        clock.move_to(now)
        service.run_pass()
        if told is None and service.gateway.first_refusal and not service.healthy():
            told = now - service.gateway.first_refusal
    return told


def minutes(delta: timedelta | None) -> str:
    return "never" if delta is None else f"{delta.total_seconds() / 60:.1f} min ({delta.total_seconds():.0f} s)"


def drill_refused_page(refused_minutes: int) -> tuple[timedelta | None, timedelta | None]:
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(START, tick=False) as clock:
        service = Service(folder)
        service.enroll("Ann Able", ANN)
        service.enroll("Bob Baker", BOB)
        service.run_pass()
        refused_until = START + timedelta(seconds=60, minutes=refused_minutes)
        error = GatewayError("twilio 503 code 20503: Service unavailable", 20503, True)

        def refuse(to, body):  # A's page to the first nurse, and only that
            if to == NURSES[0] and "A.A." in body and datetime.now(START.tzinfo) < refused_until:
                return error
            return None

        service.gateway.refuse = refuse
        clock.move_to(START + timedelta(seconds=60))
        service.text(ANN, "o2 85")
        service.run_pass()
        b_at = START + timedelta(seconds=70)
        clock.move_to(b_at)
        service.text(BOB, "o2 84")
        run_until(service, clock, START + timedelta(minutes=refused_minutes + 20))
        b_paged = service.gateway.first(lambda to, kind, body: kind == "alert" and "B.B." in body)
        a_paged = service.gateway.first(lambda to, kind, body: kind == "alert" and "A.A." in body)
        return (b_paged - b_at if b_paged else None,
                a_paged - (START + timedelta(seconds=60)) if a_paged else None)


def drill_account_failure() -> tuple[timedelta | None, timedelta | None, int, int]:
    """Returns (latest page after recovery, time until /healthz said so, pages due, pages sent)."""
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(START, tick=False) as clock:
        service = Service(folder)
        phones = [f"+1555555019{index}" for index in range(3)]
        for index, phone in enumerate(phones):
            service.enroll(f"Pat {chr(65 + index)}", phone)
        service.run_pass()
        outage_from, outage_to = START + timedelta(seconds=30), START + timedelta(seconds=330)

        def refuse(to, body):
            if outage_from <= datetime.now(START.tzinfo) < outage_to:
                return GatewayError("twilio 401 code 20003: Authenticate", 20003, False)
            return None

        service.gateway.refuse = refuse
        clock.move_to(START + timedelta(seconds=60))
        for phone in phones:
            service.text(phone, "o2 85")
        told = passes_telling(service, clock, START + timedelta(seconds=60), START + timedelta(minutes=60))
        first_pages = []
        for index in range(3):
            initials = f"P.{chr(65 + index)}."
            first_pages.append(service.gateway.first(lambda to, kind, body, i=initials: kind == "alert" and i in body))
        sent = [at for at in first_pages if at is not None]
        latest = max(sent) - outage_to if len(sent) == 3 else None
        return latest, told, 3, len(sent)


def drill_clock_steps() -> tuple[timedelta | None, int, timedelta | None]:
    """Returns (back step: time until a restarted scheduler ran, episodes ended by a forward step,
    back step: time until prompts resumed)."""
    with tempfile.TemporaryDirectory() as folder:
        with time_machine.travel(START, tick=False) as clock:
            service = Service(folder)
            service.enroll("Ann Able", ANN)
            first = Runner(service.config, service.gateway)
            first.run_once()  # holds the lease for 30 s and sends the first prompt
            stepped_back = START - timedelta(hours=6)
            clock.move_to(stepped_back)
            restarted = Runner(service.config, service.gateway)
            ran = prompt = None
            now = stepped_back
            while now < stepped_back + timedelta(hours=9) and (ran is None or prompt is None):
                if restarted.run_once() is not None and ran is None:
                    ran = now - stepped_back
                if prompt is None and len([s for s in service.gateway.sent if s[2] == "prompt"]) >= 2:
                    prompt = now - stepped_back
                now += POLL * 12  # a minute at a time: nine simulated hours
                clock.move_to(now)
        with time_machine.travel(START, tick=False) as clock:
            other = tempfile.mkdtemp(dir=folder)
            service = Service(other)
            service.enroll("Ann Able", ANN)
            runner = Runner(service.config, service.gateway)
            runner.run_once()
            clock.move_to(START + timedelta(hours=80))  # the wall clock jumps; monotonic time does not
            runner.run_once()
            clock.move_to(START + timedelta(minutes=1))  # and is corrected
            runner.run_once()
            episode = service.client.get("/api/v1/patients/1",
                                         headers={"Authorization": f"Bearer {service.token}"}).get_json()["episode"]
            ended = 0 if episode["status"] == "active" else 1
        return ran, ended, prompt


def drill_flood() -> timedelta | None:
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(START, tick=False) as clock:
        service = Service(folder)
        service.enroll("Ann Able", ANN)
        service.run_pass()
        red_flag_at = None
        for index in range(600):  # ten a second for a minute, a pass every 5 s
            now = START + timedelta(minutes=1, milliseconds=100 * index)
            clock.move_to(now)
            if index == 300:
                red_flag_at = now
                service.text(ANN, "o2 84 and very dizzy")
            else:
                service.text(ANN, f"hello {index}")
            if index % 50 == 49:
                service.run_pass()
        run_until(service, clock, START + timedelta(minutes=20),
                  stop=lambda: service.gateway.first(lambda to, kind, body: kind == "alert") is not None)
        paged = service.gateway.first(lambda to, kind, body: kind == "alert")
        return paged - red_flag_at if paged else None


def drill_pager_refused() -> tuple[timedelta | None, timedelta | None, timedelta | None, str]:
    """Returns (red flag to page, the call's delay past its time, first refusal to /healthz 503, the numbers the
    page and the call came from)."""
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(START, tick=False) as clock:
        service = Service(folder, pager_number=PAGER)
        service.gateway.refused_senders[PAGER] = GatewayError(
            "twilio 400 code 21606: The 'From' phone number provided is not a valid message-capable Twilio phone "
            "number for this destination/account", 21606, True, "account")
        service.enroll("Ann Able", ANN)
        service.run_pass()
        red_flag_at = START + timedelta(minutes=1)
        clock.move_to(red_flag_at)
        service.text(ANN, "o2 85")  # SOP 5 Grade 1 Home: SpO2 < 90%, urgent
        told = passes_telling(service, clock, red_flag_at, red_flag_at + timedelta(minutes=10))
        sent = service.gateway.sent
        paged = next((index for index, row in enumerate(sent) if row[2] == "alert"), None)
        called = next((index for index, row in enumerate(sent) if row[2] == "call"), None)
        call_due = red_flag_at + timedelta(minutes=service.config["escalation"]["call_after_minutes"])
        senders = ", ".join(f"{sent[index][2]} from {service.gateway.senders[index]}"
                            for index in (paged, called) if index is not None)
        return (sent[paged][0] - red_flag_at if paged is not None else None,
                sent[called][0] - call_due if called is not None else None, told, senders)


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--logs", action="store_true", help="also show the service's log lines (stderr)")
    if not options.parse_args().logs:  # a handler of our own: create_app adds its stderr handler only without one
        logging.getLogger("crswatch").addHandler(logging.NullHandler())
    missed = []

    def report(name: str, figure: str, ok: bool) -> None:
        print(f"  {'ok  ' if ok else 'MISS'} {name}: {figure}")
        if not ok:
            missed.append(name)

    print("==> 1. one refused page must not hold up another (goal: B within 10 s; A's alert to a nurse < 15 min)")
    for refused in (3, 30, 70):
        b_wait, a_wait = drill_refused_page(refused)
        report(f"A refused {refused} min: B's page waited", minutes(b_wait), b_wait is not None and b_wait <= timedelta(seconds=10))
        report(f"A refused {refused} min: A's alert reached a nurse after", minutes(a_wait),
               a_wait is not None and a_wait < timedelta(minutes=15))
    print("==> 2. a 5-minute account failure, 401 code 20003 (goal: every page within 1 min of recovery; told at once)")
    latest, told, due, sent = drill_account_failure()
    report("pages sent in the hour", f"{sent} of {due}", sent == due)
    report("latest page after recovery", minutes(latest), latest is not None and latest <= timedelta(minutes=1))
    report("operator told (/healthz 503) after the first refusal", minutes(told),
           told is not None and told <= timedelta(seconds=10))
    print("==> 3. clock steps (goal: scheduler runs within one 30 s lease of a 6 h back step; no episode ended)")
    ran, ended, prompt = drill_clock_steps()
    report("restarted scheduler ran after the back step", minutes(ran), ran is not None and ran <= timedelta(seconds=30))
    report("prompts resumed after the back step", minutes(prompt), prompt is not None and prompt <= timedelta(minutes=5))
    report("episodes ended by an 80 h forward step, then corrected", str(ended), ended == 0)
    print("==> 6. a 600-text flood in a minute (goal: its own red flag paged within 5 s)")
    wait = drill_flood()
    report("red flag to page", minutes(wait), wait is not None and wait <= timedelta(seconds=5))
    print("==> 7. the pager number refused for the hour (goal: page within one 5 s pass and the call on time, "
          "both from the main number; told at once)")
    page_wait, call_late, told, senders = drill_pager_refused()
    report("red flag to page", minutes(page_wait), page_wait is not None and page_wait <= POLL)
    report("urgent alert's call past its time", minutes(call_late), call_late is not None and call_late <= POLL)
    report("sent from", senders, senders == "alert from +15555550123, call from +15555550123")
    report("operator told (/healthz 503) after the first refusal", minutes(told),
           told is not None and told <= timedelta(seconds=10))
    print(f"escalation drill: {len(missed)} goal(s) missed" + (f": {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
