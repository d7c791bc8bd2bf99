"""Parse + triage alone: how many replies one core reads and assesses per second, with no I/O.

    .venv/bin/python bench/parse_triage.py [--seconds 3]
    .venv/bin/python bench/parse_triage.py --compare 9a3d9cf [--rounds 5] [--seconds 2]

Realistic texts (numbers, Fahrenheit and Celsius, blood pressure, symptoms, Spanish, medication
reports, junk) through messages.parse.parse, then triage.assess against a history of 12 readings and
two acetaminophen doses, as care.record_reading does. Prints a table; asserts nothing.

`--compare COMMIT` reads the same texts with this tree's parser and with COMMIT's (checked out with
`git worktree add` in a temporary directory, removed after), each in its own process, alternating
A and B for `--rounds` rounds so that both see the same load on a shared machine, timing CPU rather
than wall time, and prints each one's median replies/s and their ratio (this tree / COMMIT; at least
1.0 means no slower).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

HERE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
if "--tree" in sys.argv:  # a child of --compare: import the parser of the tree it was given
    sys.path.insert(0, os.path.abspath(sys.argv[sys.argv.index("--tree") + 1]))
else:
    sys.path.insert(0, HERE)

import triage
from messages.parse import parse
from triage.model import ClinicHours, Dose, History, Profile, Reading, Thresholds

TEXTS = [
    "98.6", "101.2", "38,4", "temp 100.9 bp 92/60 o2 95", "o2 85", "temp 99.1 hr 88", "100.4F",
    "took 1000 mg tylenol", "me siento mareado", "fiebre 38.5 presion 90/60", "bp 84/50 confused",
    "I feel fine, 98.2", "chills and headache temp 101", "can I take tylenol?", "STOP", "HELP",
    "spo2 96 pulse 110 temp 37.9", "no fever, no dizziness", "asdf", "102.3 weak and dizzy",
]
NOW = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)


def reading_from(parsed, now: datetime) -> Reading:
    return Reading(taken_at=now, temperature_c=parsed.temperature_c, systolic=parsed.systolic,
                   diastolic=parsed.diastolic, spo2=parsed.spo2, heart_rate=parsed.heart_rate,
                   symptoms=frozenset(parsed.symptoms), denied_symptoms=frozenset(parsed.denied_symptoms))


def history() -> History:
    start = NOW - timedelta(hours=24)
    readings = tuple(Reading(taken_at=start + timedelta(hours=2 * i), temperature_c=37.0 + (i % 5) * 0.4,
                             systolic=118, diastolic=76, spo2=97, heart_rate=80) for i in range(12))
    doses = (Dose("acetaminophen", NOW - timedelta(hours=9), 1000.0),
             Dose("acetaminophen", NOW - timedelta(hours=3), 650.0))
    return History(readings=readings, doses=doses)


def measure(label: str, work, seconds: float) -> tuple[str, int, float]:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in TEXTS:
            work(text)
        done += len(TEXTS)
    elapsed = time.perf_counter() - started
    return label, done, elapsed


def parse_rate(seconds: float) -> float:
    """Replies parsed per second of CPU time by the imported parser (`messages.parse.parse`). CPU time,
    not wall time: on a shared machine another process's work does not count against this one."""
    for text in TEXTS:  # warm up: regexes compiled, caches filled, as in a running app
        parse(text, NOW)
    done, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for text in TEXTS:
            parse(text, NOW)
        done += len(TEXTS)
    return done / (time.process_time() - started)


def compare(commit: str, rounds: int, seconds: float) -> None:
    """Parse throughput of this tree against `commit`'s, side by side in one run (see the docstring)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", HERE, *args], check=True, capture_output=True, text=True).stdout.strip()

    label = git("rev-parse", "--short", commit)
    other = tempfile.mkdtemp(prefix="crswatch-bench-")
    print(f"checking out {label} in {other} (git worktree) ...", flush=True)
    git("worktree", "add", "--detach", other, commit)
    try:
        trees = {f"this tree ({git('rev-parse', '--short', 'HEAD')}{'+' if git('status', '--porcelain', '--', 'messages', 'triage') else ''})": HERE,
                 f"before ({label})": other}
        rates: dict[str, list[float]] = {name: [] for name in trees}
        for round_number in range(rounds):
            order = list(trees.items()) if round_number % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                child = subprocess.run(
                    [sys.executable, os.path.abspath(__file__), "--parse-only", "--tree", tree, "--seconds", str(seconds)],
                    check=True, capture_output=True, text=True, cwd=tree)
                rates[name].append(float(child.stdout.strip()))
            print(f"  round {round_number + 1}/{rounds}: " + ", ".join(f"{name} {values[-1]:,.0f}/s"
                                                                   for name, values in rates.items()), flush=True)
    finally:
        git("worktree", "remove", "--force", other)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"parse throughput, same {len(TEXTS)} texts, {rounds} alternating rounds of {seconds:g} s CPU (median)")
    for name, rate in medians.items():
        print(f"  {name:<28}{rate:>12,.0f} replies/s{1e6 / rate:>10.1f} us/reply")
    now_rate, before_rate = medians.values()
    print(f"  ratio this/before: {now_rate / before_rate:.2f}")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=3.0, help="time per row (default 3)")
    options.add_argument("--compare", metavar="COMMIT", help="also time COMMIT's parser, side by side")
    options.add_argument("--rounds", type=int, default=5, help="alternating rounds for --compare (default 5)")
    options.add_argument("--parse-only", action="store_true", help=argparse.SUPPRESS)
    options.add_argument("--tree", help=argparse.SUPPRESS)
    args = options.parse_args()
    seconds = args.seconds
    if args.parse_only:
        print(parse_rate(seconds))
        return
    if args.compare:
        compare(args.compare, args.rounds, seconds)
        return
    thresholds, hours, past = Thresholds(), ClinicHours(), history()
    profile = Profile(dose_given_at=NOW - timedelta(hours=30), baseline_systolic=120)

    def parse_only(text):
        parse(text, NOW)

    def triage_only(parsed):
        triage.assess(thresholds, profile, past, reading_from(parsed, NOW), NOW, hours)

    parsed_texts = {text: parse(text, NOW) for text in TEXTS}

    def both(text):
        triage.assess(thresholds, profile, past, reading_from(parse(text, NOW), NOW), NOW, hours)

    rows = [measure("parse", parse_only, seconds),
            measure("triage.assess", lambda text: triage_only(parsed_texts[text]), seconds),
            measure("parse + triage", both, seconds)]
    print(f"parse + triage on one core ({len(TEXTS)} realistic texts in rotation, {seconds:g} s per row)")
    print(f"{'stage':<16}{'replies':>10}{'replies/s':>12}{'us/reply':>10}")
    for label, done, elapsed in rows:
        print(f"{label:<16}{done:>10}{done / elapsed:>12,.0f}{elapsed / done * 1e6:>10.1f}")


if __name__ == "__main__":
    main()
