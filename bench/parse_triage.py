"""Parse + triage alone: how many replies one core reads and assesses per second, with no I/O.

    .venv/bin/python bench/parse_triage.py [--seconds 3]

Realistic texts (numbers, Fahrenheit and Celsius, blood pressure, symptoms, Spanish, medication
reports, junk) through messages.parse.parse, then triage.assess against a history of 12 readings and
two acetaminophen doses, as care.record_reading does. Prints a table; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

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


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=3.0, help="time per row (default 3)")
    seconds = options.parse_args().seconds
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
