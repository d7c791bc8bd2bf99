"""Red flag to nurse: from the webhook's 200 to the nurse's text handed to the gateway, p50/p99.

    .venv/bin/python bench/red_flag.py [--patients 1000] [--rate 50]

1,000 enrolled patients each text "o2 85" once (a signed webhook through the app, at `--rate` per
second). Each red flag queues two texts (the patient's urgent reply and the page; pages go first), and
the Runner's rate limiter holds delivery to `[sms] max_per_second`: at a long code's 1/s a burst of red
flags queues for minutes whatever the software does, so the default runs at the config's top rate
(100/s, a short code or messaging service) to measure the software. Delivery runs as in production: the scheduler's Runner (APScheduler, lease, run_due_work)
in the background, woken by the request that committed the page (app.extensions["crswatch.runner"]).
Its gateway only records when send() was called for each nurse page ("ACK <alert id>" in the text).
Prints a table; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

AUTH_TOKEN = "bench-auth-token"
BASE_URL = "https://monitor.example.org"
NURSE = "+15555550142"
ACK = re.compile(r"ACK (\d+)")


class RecordingGateway:
    """Stamps the moment each nurse page is handed over; sends nothing."""

    name = "bench"

    def __init__(self):
        self.paged_at: dict[int, float] = {}
        self.lock = threading.Lock()

    def send(self, to, from_, body, kind, status_callback=None) -> str:
        now = time.perf_counter()
        if kind == "alert" and (match := ACK.search(body)):
            with self.lock:
                self.paged_at.setdefault(int(match.group(1)), now)
        return "BN" + secrets.token_hex(15)


class NullGateway:
    name = "null"

    def send(self, *args, **kwargs) -> str:
        return "NL" + secrets.token_hex(15)


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--patients", type=int, default=1000, help="enrolled patients, one red flag each")
    options.add_argument("--rate", type=float, default=20, help="red flags per second (default 20)")
    options.add_argument("--max-per-second", type=float, default=100,
                         help="[sms] max_per_second, the sender's rate (default 100, the config's top; "
                              "a US long code is 1)")
    args = options.parse_args()

    import logging

    from twilio.request_validator import RequestValidator

    from app import create_app
    from monitoring import staff
    from monitoring.clinic import open_clinic
    from monitoring.store import connect, migrate
    from scheduler.jobs import run_due_work
    from scheduler.runner import Runner

    folder = tempfile.mkdtemp(prefix="crswatch-bench-")
    try:
        app = create_app({
            "database": {"path": os.path.join(folder, "red.db")}, "scheduler": {"enabled": False},
            "sms": {"backend": "outbox", "public_base_url": BASE_URL, "max_per_second": args.max_per_second,
                    "twilio": {"account_sid": "AC" + "0" * 32, "auth_token": AUTH_TOKEN}},
            "oncall": [{"name": "Primary nurse", "phone": NURSE}],
        })
        settings = app.config["CRS"]
        db = connect(settings["database"]["path"])
        migrate(db)
        db.close()
        opened = open_clinic(settings)
        token = staff.add_staff(opened, "Bench Admin", "admin")
        opened.db.close()
        client = app.test_client()
        phones = [f"+1555{3000000 + i:07d}" for i in range(args.patients)]
        for i, phone in enumerate(phones):
            assert client.post("/api/v1/patients", headers={"Authorization": f"Bearer {token}"},
                               json={"name": f"Bench Patient {i}", "phone": phone, "therapy": "teclistamab"}
                               ).status_code == 201
        run_due_work(settings, NullGateway())  # the first prompts leave before the clock starts
        print(f"  {args.patients:,} patients enrolled and prompted; red flags at {args.rate:g}/s ...", flush=True)

        gateway = RecordingGateway()
        runner = Runner(settings, gateway)
        app.extensions["crswatch.runner"] = runner
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running" is expected here
        runner.start()
        validator, answered_at = RequestValidator(AUTH_TOKEN), {}
        started = time.perf_counter()
        for n, phone in enumerate(phones):
            due = started + n / args.rate
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            params = {"From": phone, "To": settings["sms"]["from_number"], "Body": "o2 85",
                      "MessageSid": f"SM{n:032d}", "AccountSid": "AC" + "0" * 32, "NumMedia": "0"}
            response = client.post("/sms/inbound", data=urlencode(params), base_url=BASE_URL,
                                   content_type="application/x-www-form-urlencoded",
                                   headers={"X-Twilio-Signature": validator.compute_signature(
                                       BASE_URL + "/sms/inbound", params)})
            answered_at[phone] = time.perf_counter()
            assert response.status_code == 200
        deadline = time.perf_counter() + 120
        while len(gateway.paged_at) < args.patients and time.perf_counter() < deadline:
            time.sleep(0.05)
        runner.shutdown()
        db = connect(settings["database"]["path"])
        alert_phone = {row[0]: row[1] for row in db.execute(
            "SELECT a.id, p.phone FROM alerts a JOIN patients p ON p.id = a.patient_id")}
        db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    delays = sorted(gateway.paged_at[alert_id] - answered_at[phone] for alert_id, phone in alert_phone.items()
                    if alert_id in gateway.paged_at)
    missing = len(alert_phone) - len(delays)
    print(f"\nred flag ('o2 85') -> nurse page handed to the gateway, {args.patients:,} patients at {args.rate:g}/s, "
          f"sender rate {args.max_per_second:g}/s, scheduler woken on commit")
    print(f"{'pages':>7}{'missing':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(f"{len(delays):>7,}{missing:>9}{percentile(delays, 50) * 1e3:>9.1f}{percentile(delays, 90) * 1e3:>9.1f}"
          f"{percentile(delays, 99) * 1e3:>9.1f}{(delays[-1] if delays else float('nan')) * 1e3:>9.1f}")
    print(f"goal: p99 < 1000 ms -> {'met' if delays and percentile(delays, 99) < 1 else 'missed'}")


if __name__ == "__main__":
    main()
