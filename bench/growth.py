"""Costs that must not grow: a text's latency with the episode's length, delivery with the database's age,
and the outbox drain with the queue's length. Each is a ratio within one run.

    .venv/bin/python bench/growth.py [--quick]

- Episode length: a signed webhook through the app (Flask test client, in process) for patients whose
  episode holds 1 prior reading, and for patients whose episode holds 10,000 (a wearable's readings over
  70 hours, bulk-inserted: afebrile, the first one with a symptom, so the episode has a first
  CRS sign), and for patients whose 10,000 readings are one unbroken fever (the case a fever's reads
  must not walk: a febrile patient on a wearable, who texts only febrile readings; the episode keeps its
  fever's reset and first CRS sign as readings come in, so bulk-inserted readings cost each patient's
  first text one read of the episode, printed apart). The same texts (fevers, normal temperatures, symptoms) alternate between the two, each
  patient texting at most 15 times so no flood or reply budget changes the work. Goal: <= 1.3x.
- Database age: 40 texts queued (pages, replies, prompts) and delivered by scheduler.delivery.deliver_due through a
  gateway that only answers, on a new database and on one with 1,000,000 texts already sent
  (executemany in one transaction, synchronous off: setup, not measured); both built first, then their seven
  rounds alternated, the median of each. Goal: <= 1.3x.
- Drain (with `--drain`; bench/due_work.py prints the same from its ticks): 1,000 and 10,000 queued
  texts delivered to the end, batch by batch as the scheduler does; seconds per text. Goal: linear or
  better (<= 1.3x per text).

Every commit is synchronous=FULL as in production, so the figures include the disk. Prints; asserts nothing.
`--quick` uses 2,000 prior readings, 100,000 texts sent and 500 / 5,000 queued.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

AUTH_TOKEN = "bench-auth-token"
BASE_URL = "https://monitor.example.org"
ACCOUNT_SID = "AC" + "0" * 32
TEXTS = ["temp 101.2", "98.4 feeling ok", "temp 100.9 chills", "37.0", "headache 99.1", "38.6 tired"]
# The fever patients stay febrile: a normal temperature would end the fever and hide what a text costs in one.
FEVER_TEXTS = ["temp 101.2", "temp 100.9 chills", "38.6 tired", "fiebre 38.4", "101.5 headache", "100.6"]
PER_PATIENT = 15  # under the flood limit (30 a minute) and the reply budget (20 in 10 minutes)


class AnsweringGateway:
    name = "bench"

    def __init__(self):
        self.sent = 0

    def send(self, to, from_, body, kind, status_callback=None) -> str:
        self.sent += 1
        return "BN" + secrets.token_hex(15)

    def call(self, to, from_, body, url, status_callback=None) -> str:
        self.sent += 1
        return "CA" + secrets.token_hex(15)


def text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def make_app(folder: str, name: str):
    from app import create_app
    from monitoring.store import connect, migrate

    app = create_app({
        "database": {"path": os.path.join(folder, name)}, "scheduler": {"enabled": False},
        "sms": {"backend": "outbox", "public_base_url": BASE_URL,
                "twilio": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}},
        "oncall": [{"name": "Primary nurse", "phone": "+15555550142"}],
    })
    app.testing = True
    db = connect(app.config["CRS"]["database"]["path"])
    migrate(db)
    db.close()
    return app


def enroll(app, count: int, first_phone: int, dose_given_at: datetime) -> list[tuple[int, str]]:
    from monitoring import staff
    from monitoring.clinic import open_clinic

    opened = open_clinic(app.config["CRS"])
    token = staff.add_staff(opened, f"Bench Admin {first_phone}", "admin", now=datetime.now(UTC))
    opened.db.close()
    client, enrolled = app.test_client(), []
    for i in range(count):
        phone = f"+1312{first_phone + i:07d}"
        response = client.post("/api/v1/patients", headers={"Authorization": f"Bearer {token}"},
                               json={"name": f"Bench Patient {first_phone + i}", "phone": phone,
                                     "therapy": "teclistamab", "dose_given_at": dose_given_at.isoformat()})
        assert response.status_code == 201, response.get_json()
        enrolled.append((response.get_json()["id"], phone))
    return enrolled


def add_readings(app, patients: list[tuple[int, str]], count: int, now: datetime, febrile: bool = False) -> None:
    """`count` prior readings per patient, evenly over the last 70 hours (a minute apart at most): afebrile
    wearable readings (38.4-38.8 C, one fever, when `febrile`), the first with a headache (the episode's
    first CRS sign)."""
    step = min(60.0, 70 * 3600 / count)
    conn = sqlite3.connect(app.config["CRS"]["database"]["path"])
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        for patient_id, _ in patients:
            episode_id = conn.execute("SELECT id FROM episodes WHERE patient_id = ?", [patient_id]).fetchone()[0]
            conn.executemany(
                "INSERT INTO readings (patient_id, episode_id, taken_at, temperature_c, spo2, heart_rate, symptoms, "
                "source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'device', ?)",
                ((patient_id, episode_id, text(now - timedelta(seconds=step * (count - n))),
                  (38.4 if febrile else 36.7) + (n % 5) / 10, 97, 80,
                  '["headache"]' if n == 0 else "[]", text(now)) for n in range(count)))
    conn.close()


def post_text(client, validator, phone: str, body: str, sid: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): the CPU time leaves out the waits for the disk."""
    params = {"From": phone, "To": "+15555550123", "Body": body, "MessageSid": sid, "AccountSid": ACCOUNT_SID,
              "NumMedia": "0"}
    headers = {"X-Twilio-Signature": validator.compute_signature(BASE_URL + "/sms/inbound", params)}
    started, cpu = time.perf_counter(), time.process_time()
    response = client.post("/sms/inbound", data=urlencode(params), base_url=BASE_URL, headers=headers,
                           content_type="application/x-www-form-urlencoded")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert response.status_code == 200, response.status_code
    return elapsed, cpu


def episode_length(folder: str, long_count: int, patients: int) -> dict:
    from twilio.request_validator import RequestValidator

    app = make_app(folder, "episode.db")
    now = datetime.now(UTC)
    short = enroll(app, patients, 2100000, now - timedelta(hours=71))
    long = enroll(app, patients, 2200000, now - timedelta(hours=71))
    fever = enroll(app, patients, 2300000, now - timedelta(hours=71))
    fever_short = enroll(app, patients, 2400000, now - timedelta(hours=71))
    add_readings(app, short, 1, now)
    add_readings(app, long, long_count, now)
    add_readings(app, fever, long_count, now, febrile=True)
    add_readings(app, fever_short, 1, now, febrile=True)
    client, validator = app.test_client(), RequestValidator(AUTH_TOKEN)
    timings: dict[str, list[float]] = {"short": [], "long": [], "fever": [], "fever_short": []}
    cpu: dict[str, list[float]] = {"short": [], "long": [], "fever": [], "fever_short": []}
    first_fever: list[float] = []  # each fever patient's first text: the readings came in behind the service's back
    for n in range(1):  # warm up: imports, the kept connection, the parser's caches
        post_text(client, validator, short[0][1], "98.6", f"SMwarm{n:026d}")
    for round_ in range(PER_PATIENT - 1):
        for i in range(patients):
            for label, group in (("short", short), ("long", long), ("fever_short", fever_short), ("fever", fever)):
                body = (FEVER_TEXTS if label.startswith("fever") else TEXTS)[(round_ + i) % len(TEXTS)]
                wall, used = post_text(client, validator, group[i][1], body,
                                       f"SM{label[0]}{label[-1]}{round_:04d}{i:06d}".ljust(34, "0"))
                timings[label].append(wall)
                cpu[label].append(used)
                if round_ == 0 and label == "fever":
                    first_fever.append(wall)
    db = sqlite3.connect(app.config["CRS"]["database"]["path"])
    deferred = db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND status = 'deferred'").fetchone()[0]
    unprocessed = db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND processed_at IS NULL"
                             ).fetchone()[0]
    db.close()
    return {"short": statistics.median(timings["short"]), "long": statistics.median(timings["long"]),
            "short_p90": sorted(timings["short"])[int(0.9 * len(timings["short"]))],
            "long_p90": sorted(timings["long"])[int(0.9 * len(timings["long"]))],
            "short_cpu": statistics.median(cpu["short"]), "long_cpu": statistics.median(cpu["long"]),
            "fever": statistics.median(timings["fever"]), "fever_cpu": statistics.median(cpu["fever"]),
            "fever_short": statistics.median(timings["fever_short"]),
            "fever_short_cpu": statistics.median(cpu["fever_short"]),
            "fever_short_p90": sorted(timings["fever_short"])[int(0.9 * len(timings["fever_short"]))],
            "fever_p90": sorted(timings["fever"])[int(0.9 * len(timings["fever"]))],
            "fever_first": statistics.median(first_fever), "texts": len(timings["short"]), "deferred": deferred, "unprocessed": unprocessed}


def sent_before(app, count: int, now: datetime) -> None:
    """`count` texts already sent and delivered (a few a patient, over a year), in one transaction."""
    conn = sqlite3.connect(app.config["CRS"]["database"]["path"])
    conn.execute("PRAGMA synchronous = OFF")
    kinds = ("prompt", "prompt", "reminder", "reply", "reply", "info", "alert")
    with conn:
        conn.executemany(
            "INSERT INTO messages (direction, to_number, from_number, body, kind, status, sid, attempts, "
            "next_attempt_at, created_at, sent_at, updated_at) VALUES ('out', ?, '+15555550123', ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            ((f"+1556{n % 50000:07d}", "How are you feeling? Reply with your temperature.", kinds[n % len(kinds)],
              "delivered" if n % 50 else "failed", f"SMold{n:029d}", stamp, stamp, stamp, stamp)
             for n in range(count) for stamp in [text(now - timedelta(days=365) + timedelta(seconds=n * 30))]))
    conn.close()


def queue(app, count: int) -> None:
    """`count` texts queued now: one page in eight, three replies in eight, the rest prompts."""
    from monitoring.clinic import open_clinic
    from monitoring.outbox import queue_text
    from monitoring.store import transaction, utcnow

    clinic = open_clinic(app.config["CRS"])
    kinds = ("alert", "reply", "prompt", "reply", "prompt", "prompt", "reply", "prompt")
    now = utcnow()  # the bench's clock, read once for the batch
    with transaction(clinic.db):
        for n in range(count):
            queue_text(clinic, f"+1557{n:07d}", "Bench text", kinds[n % len(kinds)], now=now)
    clinic.db.close()


def deliver_all(app) -> tuple[float, float, int]:
    """Deliver every queued text: (wall seconds, CPU seconds, texts sent)."""
    from monitoring.clinic import open_clinic
    from scheduler.delivery import deliver_due

    clinic = open_clinic(app.config["CRS"])
    gateway = AnsweringGateway()
    started, cpu = time.perf_counter(), time.process_time()
    while deliver_due(clinic, gateway)["sent"]:
        pass
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    clinic.db.close()
    return elapsed, cpu, gateway.sent


def database_age(folder: str, old_count: int, rounds: int = 7) -> dict:
    """Delivery of 40 queued texts on a new database and on one with `old_count` texts sent: both built first, then
    their rounds alternated (new, old; then old, new), so a neighbour's load or the disk's fsync time drifting
    during the run falls on both alike; the median of `rounds` each. Run one after the other (all of the new's
    rounds, then the old's, a minute of building between), one run printed 1.35x and the next, alone, 0.71x."""
    apps, result = {}, {}
    for label, count in (("new", 0), ("old", old_count)):
        apps[label] = make_app(folder, f"age-{label}.db")
        started = time.perf_counter()
        if count:
            sent_before(apps[label], count, datetime.now(UTC))
        result[f"{label}_build"] = time.perf_counter() - started
    times: dict[str, list[float]] = {"new": [], "old": []}
    cpus: dict[str, list[float]] = {"new": [], "old": []}
    for round_ in range(rounds):
        for label in ("new", "old") if round_ % 2 == 0 else ("old", "new"):
            queue(apps[label], 40)
            elapsed, cpu, sent = deliver_all(apps[label])
            assert sent == 40, sent
            times[label].append(elapsed)
            cpus[label].append(cpu)
    for label in ("new", "old"):
        result[label] = statistics.median(times[label])
        result[f"{label}_cpu"] = statistics.median(cpus[label])
    return result


def drain(folder: str, sizes: tuple[int, int]) -> dict:
    result = {}
    for size in sizes:
        app = make_app(folder, f"drain-{size}.db")
        queue(app, size)
        elapsed, cpu, sent = deliver_all(app)
        assert sent == size, (sent, size)
        result[size] = elapsed
        result[f"{size}_cpu"] = cpu
    return result


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    options.add_argument("--patients", type=int, default=12, help="patients per episode length (default 12)")
    options.add_argument("--drain", action="store_true", help="also the outbox drain (1,000 vs 10,000 queued; "
                                                              "about 2 minutes more)")
    args = options.parse_args()
    long_count = 2000 if args.quick else 10000
    old_count = 100_000 if args.quick else 1_000_000
    sizes = (500, 5000) if args.quick else (1000, 10000)
    import logging

    logging.getLogger("crswatch").setLevel(logging.ERROR)
    logging.getLogger("crswatch.web").setLevel(logging.ERROR)
    folder = tempfile.mkdtemp(prefix="crswatch-bench-")
    try:
        print(f"  episode length: 1 vs {long_count:,} prior readings ...", flush=True)
        episode = episode_length(folder, long_count, args.patients)
        print(f"  database age: 40 texts on a new database vs after {old_count:,} sent ...", flush=True)
        age = database_age(folder, old_count)
        if args.drain:
            print(f"  drain: {sizes[0]:,} vs {sizes[1]:,} queued texts ...", flush=True)
        drained = drain(folder, sizes) if args.drain else None
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print("\nwall: as the patient or the gateway sees it, fsync included (2 commits a text, synchronous=FULL, "
          "on this machine's disk); cpu: this process's CPU time, without the disk waits, where a growing "
          "query shows")
    ratio, cpu_ratio = episode["long"] / episode["short"], episode["long_cpu"] / episode["short_cpu"]
    print(f"\nwebhook latency by episode length ({episode['texts']} texts each, in process; "
          f"deferred {episode['deferred']}, unprocessed {episode['unprocessed']})")
    print(f"{'prior readings':>16}{'median ms':>11}{'p90 ms':>9}{'cpu ms':>9}")
    print(f"{1:>16,}{episode['short'] * 1e3:>11.2f}{episode['short_p90'] * 1e3:>9.2f}{episode['short_cpu'] * 1e3:>9.2f}")
    print(f"{long_count:>16,}{episode['long'] * 1e3:>11.2f}{episode['long_p90'] * 1e3:>9.2f}{episode['long_cpu'] * 1e3:>9.2f}")
    print(f"{'1 fever':>16}{episode['fever_short'] * 1e3:>11.2f}{episode['fever_short_p90'] * 1e3:>9.2f}"
          f"{episode['fever_short_cpu'] * 1e3:>9.2f}")
    print(f"{format(long_count, ',') + ' fever':>16}{episode['fever'] * 1e3:>11.2f}{episode['fever_p90'] * 1e3:>9.2f}"
          f"{episode['fever_cpu'] * 1e3:>9.2f}")
    print(f"ratio {long_count:,} / 1: wall {ratio:.2f}x, cpu {cpu_ratio:.2f}x (goal <= 1.3x) -> "
          f"{'met' if max(ratio, cpu_ratio) <= 1.3 else 'missed'}")
    ratio, cpu_ratio = episode["fever"] / episode["fever_short"], episode["fever_cpu"] / episode["fever_short_cpu"]
    print(f"ratio {long_count:,} in one fever / 1 febrile, the same febrile texts: wall {ratio:.2f}x, cpu {cpu_ratio:.2f}x (goal <= 1.3x) -> "
          f"{'met' if max(ratio, cpu_ratio) <= 1.3 else 'missed'}")

    print(f"  (each fever patient's first text, after its readings were bulk-inserted behind the service's back: "
          f"median {episode['fever_first'] * 1e3:.2f} ms, working out once what the episode then keeps: its first "
          f"CRS sign from every reading, its fever's reset by one walk)")

    ratio, cpu_ratio = age["old"] / age["new"], age["old_cpu"] / age["new_cpu"]
    print(f"\ndelivery of 40 texts (median of 7, rounds alternated) by database age (the old one built in {age['old_build']:.0f} s)")
    print(f"{'texts sent before':>18}{'ms':>9}{'ms/text':>9}{'cpu ms':>9}")
    print(f"{0:>18,}{age['new'] * 1e3:>9.1f}{age['new'] / 40 * 1e3:>9.2f}{age['new_cpu'] * 1e3:>9.1f}")
    print(f"{old_count:>18,}{age['old'] * 1e3:>9.1f}{age['old'] / 40 * 1e3:>9.2f}{age['old_cpu'] * 1e3:>9.1f}")
    print(f"ratio: wall {ratio:.2f}x, cpu {cpu_ratio:.2f}x (goal <= 1.3x) -> "
          f"{'met' if max(ratio, cpu_ratio) <= 1.3 else 'missed'}")

    if drained is None:
        return
    small, large = sizes
    per_small, per_large = drained[small] / small, drained[large] / large
    cpu_small, cpu_large = drained[f"{small}_cpu"] / small, drained[f"{large}_cpu"] / large
    ratio, cpu_ratio = per_large / per_small, cpu_large / cpu_small
    print("\noutbox drain by queue length (every queued text delivered, batches of 500)")
    print(f"{'queued':>9}{'s':>8}{'ms/text':>9}{'cpu ms/text':>13}")
    print(f"{small:>9,}{drained[small]:>8.2f}{per_small * 1e3:>9.3f}{cpu_small * 1e3:>13.3f}")
    print(f"{large:>9,}{drained[large]:>8.2f}{per_large * 1e3:>9.3f}{cpu_large * 1e3:>13.3f}")
    print(f"per-text ratio {large:,} / {small:,}: wall {ratio:.2f}x, cpu {cpu_ratio:.2f}x (goal: linear or better, "
          f"<= 1.3x) -> {'met' if max(ratio, cpu_ratio) <= 1.3 else 'missed'}")


if __name__ == "__main__":
    main()
