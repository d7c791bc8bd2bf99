"""Due work at scale: seconds per tick and peak RSS at 1k, 10k and 100k enrolled patients, 10% due.

    .venv/bin/python bench/due_work.py [--sizes 1000,10000,100000] [--due 0.1] [--quick]

Each size gets a fresh database (bulk-inserted straight through sqlite3: setup, not the thing measured)
and its own subprocess, so peak RSS (ru_maxrss) is that tick's alone. In the subprocess the first tick
does the due work (a prompt to each due patient, then delivery through a gateway that only counts); a
outbox delivers a batch per tick, so it ticks on until every prompt is sent; then idle ticks find nothing
due (half the patients have a caregiver whose neuro check is scheduled for tomorrow: nothing to do), the
median of IDLE_TICKS shown. If the idle tick's time grows with the enrolled count, the cost is in scanning,
not work. Prints a table and the growth from the smallest size to the largest, per due patient (tick) and
per text (drain): linear or better is a ratio <= 1.3x; an idle tick's goal is to stay flat (1x).
`--quick`: 1k and 10k. Prints; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)


IDLE_TICKS = 5


class CountingGateway:
    name = "bench"

    def __init__(self):
        self.sent = 0

    def send(self, to, from_, body, kind, status_callback=None) -> str:
        self.sent += 1
        return f"BN{self.sent:030d}"


def config(db_path: str) -> dict:
    """The clinic's defaults, except prompt_spread_minutes = 0: with a spread, most of a burst's prompts are
    queued to leave over the next minutes of real time, which the drain would not wait for (it would stop
    with them still queued) and which the idle ticks would walk (they were not idle)."""
    return {"database": {"path": db_path}, "scheduler": {"enabled": False},
            "sms": {"backend": "outbox", "public_base_url": "https://monitor.example.org", "prompt_spread_minutes": 0},
            "oncall": [{"name": "Primary nurse", "phone": "+15555550142"}]}


def setup(db_path: str, enrolled: int, due_fraction: float) -> None:
    """A migrated database with `enrolled` active episodes, every 1/due_fraction-th one due now, in the steady
    state of a running clinic: every second patient has a caregiver whose next daily neuro check is already
    scheduled (tomorrow's), and the list of episodes whose next check needs scheduling is empty (the
    triggers of migration m013 listed every inserted episode; an earlier tick took them off)."""
    from monitoring.store import connect, migrate

    db = connect(db_path)
    migrate(db)
    db.close()
    now = datetime.now(UTC)
    text = lambda moment: moment.isoformat(timespec="microseconds")
    every = max(1, round(1 / due_fraction)) if due_fraction else enrolled + 1
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        conn.executemany(
            "INSERT INTO patients (id, name, phone, language, token_hash, created_at) VALUES (?, ?, ?, 'en', ?, ?)",
            ((i, f"Bench Patient {i}", f"+1555{i:07d}", f"hash{i}", text(now)) for i in range(1, enrolled + 1)))
        conn.executemany(
            "INSERT INTO episodes (patient_id, therapy, dose_given_at, ends_at, status, next_checkin_at, created_at) "
            "VALUES (?, 'teclistamab', ?, ?, 'active', ?, ?)",
            ((i, text(now - timedelta(hours=2)), text(now + timedelta(hours=70)),
              text(now - timedelta(minutes=1) if i % every == 0 else now + timedelta(minutes=30 + i % 90)),
              text(now)) for i in range(1, enrolled + 1)))
        conn.executemany(
            "INSERT INTO caregivers (patient_id, name, phone, language, created_at) VALUES (?, ?, ?, 'en', ?)",
            ((i, f"Bench Caregiver {i}", f"+1556{i:07d}", text(now)) for i in range(2, enrolled + 1, 2)))
        conn.executemany(
            "INSERT INTO neuro_checks (patient_id, episode_id, status, due_at, created_at) "
            "VALUES (?, ?, 'scheduled', ?, ?)",
            ((i, i, text(now + timedelta(hours=20)), text(now)) for i in range(2, enrolled + 1, 2)))
        conn.execute("DELETE FROM neuro_checks_to_schedule")
    conn.close()


def measure(db_path: str) -> dict:
    """Run in the subprocess: two ticks, then this process's peak RSS."""
    from scheduler.jobs import run_due_work

    settings = config(db_path)
    from monitoring import config as config_module

    settings = config_module.load(settings)
    gateway = CountingGateway()
    started, cpu = time.perf_counter(), time.process_time()
    first = run_due_work(settings, gateway)
    first_seconds, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    drain_ticks, drain_seconds, drain_cpu = 1, first_seconds, first_cpu
    while True:  # delivery takes a batch per tick: tick on until the outbox is empty, then once more idle
        started, cpu = time.perf_counter(), time.process_time()
        done = run_due_work(settings, gateway)
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
        if not done.get("sent"):
            break
        drain_ticks, drain_seconds, drain_cpu = drain_ticks + 1, drain_seconds + elapsed, drain_cpu + used
    idle = [(elapsed, used, done)]
    for _ in range(IDLE_TICKS - 1):
        started, cpu = time.perf_counter(), time.process_time()
        done = run_due_work(settings, gateway)
        idle.append((time.perf_counter() - started, time.process_time() - cpu, done))
    return {"first_seconds": first_seconds, "first_cpu": first_cpu, "prompts": first.get("prompts"),
            "sent": first.get("sent"), "drain_ticks": drain_ticks, "drain_seconds": drain_seconds,
            "drain_cpu": drain_cpu, "total_sent": gateway.sent,
            "idle_seconds": statistics.median(seconds for seconds, _, _ in idle),
            "idle_cpu": statistics.median(used for _, used, _ in idle),
            "idle_work": sum(value for _, _, work in idle for value in work.values() if isinstance(value, int)),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", default="1000,10000,100000", help="enrolled counts, comma-separated")
    options.add_argument("--due", type=float, default=0.1, help="fraction due now (default 0.1)")
    options.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the subprocess's database
    options.add_argument("--quick", action="store_true", help="sizes 1,000 and 10,000")
    args = options.parse_args()
    if args.quick:
        args.sizes = "1000,10000"
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="crswatch-bench-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            path = os.path.join(folder, f"due-{size}.db")
            started = time.perf_counter()
            setup(path, size, args.due)
            setup_seconds = time.perf_counter() - started
            done = subprocess.run([sys.executable, __file__, "--measure", path], capture_output=True, text=True, check=False,
                                  cwd=ROOT)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                raise SystemExit(f"the measuring subprocess for {size} failed")
            rows.append((size, setup_seconds, json.loads(done.stdout.strip().splitlines()[-1])))
            print(f"  {size:,} enrolled: set up in {setup_seconds:.1f} s, measured", flush=True)
    print(f"due work per tick, {args.due:.0%} of enrolled due. first tick: every prompt queued + one delivery "
          f"batch; drain: ticks until all sent; idle: the median of {IDLE_TICKS} ticks with nothing due (idle work: "
          "what they did, 0)")
    print("cpu: this process's CPU time (without the disk's fsync waits, and less sensitive to a busy machine)")
    print(f"{'enrolled':>9}{'due':>8}{'prompts':>9}{'sent':>7}{'tick s':>8}{'cpu s':>7}{'ms/due':>8}{'drain':>7}"
          f"{'drain s':>9}{'cpu s':>7}{'idle tick s':>13}{'cpu s':>7}{'idle work':>11}{'peak RSS MB':>13}")
    for size, _, m in rows:
        due = round(size * args.due)
        print(f"{size:>9,}{due:>8,}{m['prompts']:>9,}{m['sent']:>7,}{m['first_seconds']:>8.2f}{m['first_cpu']:>7.2f}"
              f"{m['first_seconds'] / max(due, 1) * 1000:>8.2f}{m['drain_ticks']:>7}{m['drain_seconds']:>9.2f}"
              f"{m['drain_cpu']:>7.2f}{m['idle_seconds']:>13.4f}{m['idle_cpu']:>7.4f}{m['idle_work']:>11}"
              f"{m['peak_rss_mb']:>13.0f}")
    (small, _, first), (large, _, last) = rows[0], rows[-1]
    per_due = lambda size, m: m["first_seconds"] / max(round(size * args.due), 1)
    per_text = lambda m: m["drain_seconds"] / max(m["total_sent"], 1)
    # the drain's growth from 1,000 queued texts (the size whose due count is 1,000, when run) to the largest
    base_size, _, base = next((r for r in rows if round(r[0] * args.due) == 1000 and r[0] != large), rows[0])
    tick_growth, drain_growth = per_due(large, last) / per_due(small, first), per_text(last) / per_text(base)
    cpu_due = lambda size, m: m["first_cpu"] / max(round(size * args.due), 1)
    cpu_text = lambda m: m["drain_cpu"] / max(m["total_sent"], 1)
    print(f"cpu growth: tick per due patient {cpu_due(large, last) / cpu_due(small, first):.2f}x; drain per text "
          f"{cpu_text(last) / cpu_text(base):.2f}x; idle tick {last['idle_cpu'] / max(first['idle_cpu'], 1e-9):.1f}x")
    print(f"growth: tick per due patient {small:,} -> {large:,} enrolled {tick_growth:.2f}x; drain per text "
          f"{round(base_size * args.due):,} -> {round(large * args.due):,} queued {drain_growth:.2f}x; idle tick "
          f"{last['idle_seconds'] / max(first['idle_seconds'], 1e-9):.1f}x (goal: linear or better, <= 1.3x per "
          f"unit) -> {'met' if max(tick_growth, drain_growth) <= 1.3 else 'missed'}")

if __name__ == "__main__":
    main()
