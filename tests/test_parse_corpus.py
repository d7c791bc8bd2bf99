"""The reply corpus (tests/corpus/replies.jsonl): one row, one expectation, one test id.

Every row states the whole reading: a field the row does not name must come back empty (None,
no symptoms, no medicines, nothing implausible, no command), so a number read twice or a symptom
read into a denial fails here. tests/corpus/README.md says how the rows were written.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from messages.parse import parse

CORPUS = Path(__file__).parent / "corpus" / "replies.jsonl"
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 3, 13, 0, tzinfo=CHICAGO)  # every row is read as if sent Tuesday 1 PM
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def fahrenheit_to_c(value) -> float:
    celsius = (Decimal(str(value)) - 32) * 5 / 9
    return float(celsius.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_reading(row: dict) -> dict:
    if "f" in row:
        temperature = (fahrenheit_to_c(row["f"]), "F")
    elif "c" in row:
        temperature = (float(row["c"]), "C")
    else:
        temperature = (None, None)
    systolic, diastolic = row.get("bp", [None, None])
    return {
        "temperature_c": temperature[0],
        "temperature_unit": temperature[1],
        "systolic": systolic,
        "diastolic": diastolic,
        "spo2": row.get("spo2"),
        "heart_rate": row.get("hr"),
        "symptoms": sorted(row.get("sym", [])),
        "denied_symptoms": sorted(row.get("deny", [])),
        "medications": [
            {"name": m["name"], "dose_mg": float(m["mg"]) if "mg" in m else None,
             "taken_at": datetime.fromisoformat(m["at"]).replace(tzinfo=CHICAGO) if "at" in m else None,
             "asking": m.get("ask", False)}
            for m in row.get("meds", [])
        ],
        "implausible": sorted(row.get("imp", [])),
        "command": row.get("cmd"),
        "command_arg": row.get("arg"),
    }


def actual_reading(parsed) -> dict:
    return {
        "temperature_c": parsed.temperature_c,
        "temperature_unit": parsed.temperature_unit,
        "systolic": parsed.systolic,
        "diastolic": parsed.diastolic,
        "spo2": parsed.spo2,
        "heart_rate": parsed.heart_rate,
        "symptoms": sorted(parsed.symptoms),
        "denied_symptoms": sorted(parsed.denied_symptoms),
        "medications": [
            {"name": m.name, "dose_mg": m.dose_mg, "taken_at": m.taken_at, "asking": m.asking}
            for m in parsed.medications
        ],
        "implausible": sorted(parsed.implausible),
        "command": parsed.command,
        "command_arg": parsed.command_arg,
    }


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_corpus(row):
    parsed = parse(row["body"], NOW)
    assert actual_reading(parsed) == expected_reading(row), row.get("why", "")
    if "hint" in row:
        assert parsed.language_hint == row["hint"]
    # Said, not read: thanks / "I feel fine" (`ack`), "no fever" without a number (`nofever`).
    assert parsed.acknowledgement == row.get("ack", False)
    assert parsed.no_fever_claim == row.get("nofever", False)
    has_expectation = any(k in row for k in ("f", "c", "bp", "spo2", "hr", "sym", "deny", "meds", "cmd"))
    assert parsed.understood == has_expectation


def test_corpus_is_broad():
    assert len(ROWS) >= 250
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    languages = [row["lang"] for row in ROWS]
    assert languages.count("es") >= 80 and languages.count("en") >= 150
