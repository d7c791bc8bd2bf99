"""Readings arriving late in an unbroken fever: what each costs now that the episode keeps its fever's reset.

    .venv/bin/python bench/late_readings.py [--quick] [--readings 10000] [--rounds 100]

An episode holds one normal temperature and then `--readings` febrile readings a minute apart (bulk-inserted,
as a device backlog or a migrated database would hold them). Readings are then recorded through
care.record_reading (store level, each in its own synchronous=FULL transaction), round after round: one in
order; one taken 10 minutes before the newest (late: the kept reset does not reach back to it, so triage walks
the fever's readings from the start, as every reading did before the reset was kept, and the trigger on
`readings` lets the kept reset go); the next one in order; one 2 days late; the next one in order. Prints the
median and p90 milliseconds of each, and each median as a ratio to the in-order reading's. A late reading
should cost what any reading cost before the reset was kept (one walk), no more: compare with the same run on
the commit before m016 (a checkout of d43e967^), where every row is a walk. `--quick`: 2,000 readings, 30
rounds. Asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROWS = ("in order", "late (10 min)", "next in order", "late (2 days)", "next in order after it")


def settings(path: str) -> dict:
    from monitoring import config

    return config.load({"clinic": {"name": "Bench", "phone": "+15555550100", "timezone": "America/Chicago"},
                        "database": {"path": path},
                        "sms": {"backend": "outbox", "from_number": "+15555550123",
                                "public_base_url": "https://monitor.example.org",
                                "twilio": {"account_sid": "AC" + "0" * 32, "auth_token": "bench"}},
                        "scheduler": {"enabled": False}, "oncall": [{"name": "Nurse", "phone": "+15555550142"}]})


def run(readings: int, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each recorded reading, by ROWS name."""
    from monitoring import care, patients
    from monitoring.clinic import Clinic
    from monitoring.rows import Episode, Patient
    from monitoring.store import connect, migrate, to_text, transaction

    folder = tempfile.mkdtemp(prefix="crs-late-")
    db = connect(os.path.join(folder, "bench.db"))
    migrate(db)
    clinic = Clinic(db=db, config=settings(os.path.join(folder, "bench.db")))
    with transaction(db):
        enrolled = patients.enroll(clinic, {"name": "Pat Bench", "phone": "+13122345678", "therapy": "teclistamab",
                                            "dose_given_at": START.isoformat(), "monitoring_hours": 336}, "bench",
                                   now=START)
    patient = Patient.from_row(db.execute("SELECT * FROM patients WHERE id = ?", [enrolled["id"]]).fetchone())
    first = START + timedelta(hours=1)
    with transaction(db):  # setup, not measured: a normal temperature, then the fever a reading a minute
        db.execute("INSERT INTO readings (patient_id, episode_id, taken_at, temperature_c, source, created_at) "
                   "VALUES (?, ?, ?, 36.9, 'device', ?)", [patient.id, enrolled["episode_id"], to_text(START),
                                                           to_text(START)])
        db.conn.executemany(
            "INSERT INTO readings (patient_id, episode_id, taken_at, temperature_c, source, created_at) "
            "VALUES (?, ?, ?, ?, 'device', ?)",
            [(patient.id, enrolled["episode_id"], to_text(first + timedelta(minutes=n)), 38.4 + (n % 5) / 10,
              to_text(first)) for n in range(readings)])

    def record(at: datetime) -> float:
        episode = Episode.from_row(db.execute("SELECT * FROM episodes WHERE id = ?",
                                              [enrolled["episode_id"]]).fetchone())
        began = time.perf_counter()
        with transaction(db):
            care.record_reading(clinic, patient, episode, {"temperature_c": 38.7}, taken_at=at, source="app", now=at)
        return (time.perf_counter() - began) * 1000

    clock = first + timedelta(minutes=readings)
    record(clock)  # the first reading after the bulk insert works out the kept state (bench/growth.py prints it)
    times: dict[str, list[float]] = {name: [] for name in ROWS}
    try:
        for round_ in range(rounds):
            clock += timedelta(minutes=1)
            times["in order"].append(record(clock))
            times["late (10 min)"].append(record(clock - timedelta(minutes=10, seconds=round_ + 1)))
            clock += timedelta(minutes=1)
            times["next in order"].append(record(clock))
            times["late (2 days)"].append(record(clock - timedelta(days=2, seconds=round_ + 1)))
            clock += timedelta(minutes=1)
            times["next in order after it"].append(record(clock))
    finally:
        db.close()
    return times


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--readings", type=int, default=10_000, help="febrile readings before (default 10000)")
    options.add_argument("--rounds", type=int, default=100, help="readings of each kind (default 100)")
    options.add_argument("--quick", action="store_true", help="2,000 readings, 30 rounds")
    args = options.parse_args()
    if args.quick:
        args.readings, args.rounds = 2_000, 30
    times = run(args.readings, args.rounds)
    base = statistics.median(times["in order"])
    print(f"{args.readings:,} febrile readings, {args.rounds} rounds")
    print(f"{'reading':24s} {'median ms':>10s} {'p90 ms':>8s} {'x in order':>11s}")
    for name in ROWS:
        ms = sorted(times[name])
        median = statistics.median(ms)
        print(f"{name:24s} {median:10.2f} {ms[int(len(ms) * 0.9)]:8.2f} {median / base:11.2f}")


if __name__ == "__main__":
    main()
