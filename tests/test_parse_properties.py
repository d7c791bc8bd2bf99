"""No text body ever crashes the parser, and what it returns always makes sense.

10,000 bodies: random unicode, and corpus replies (tests/corpus/replies.jsonl) mutated the way
phones and people mangle them (typos, dropped or doubled characters, emoji, autocorrect case,
two replies run together, curly quotes, stray numbers).
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messages.parse import (
    DIASTOLIC_RANGE,
    HEART_RATE_RANGE,
    SPO2_RANGE,
    SYSTOLIC_RANGE,
    Parsed,
    parse,
)
from messages.reading.model import OTHER_MEDICINES
from triage.model import MEDICATIONS, SYMPTOMS
from triage.ranges import plausible

CORPUS = Path(__file__).parent / "corpus" / "replies.jsonl"
BODIES = [json.loads(line)["body"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
NOW = datetime(2026, 3, 3, 13, 0, tzinfo=ZoneInfo("America/Chicago"))
NOISE = st.sampled_from(list("0123456789.,/%°º:;-!?¿¡'\"\u2019\u201c\u201d #@xXfFcC ") +
                        ["🤒", "👍", "😂", "\U0001F321", "\u200d", "\n", "  ", "mg", "o2", "bp", "no ", "not ",
                         "ago", "at ", "hace ", "tylenol", "ACK", "STOP", "101", "38,5", "/60", "?"])


@st.composite
def mutated(draw) -> str:
    body = draw(st.sampled_from(BODIES))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "case", "join", "swap"]))
        position = draw(st.integers(0, len(body)))
        if kind == "insert":
            body = body[:position] + draw(NOISE) + body[position:]
        elif kind == "delete":
            body = body[:position] + body[position + draw(st.integers(1, 3)):]
        elif kind == "duplicate":
            body = body[:position] + body[position:position + 3] * 2 + body[position + 3:]
        elif kind == "case":
            body = body.upper() if draw(st.booleans()) else body.swapcase()
        elif kind == "join":
            body = body + draw(st.sampled_from([" ", ", ", ". ", "\n", " y ", " and "])) + draw(
                st.sampled_from(BODIES))
        elif kind == "swap" and position + 1 < len(body):
            body = body[:position] + body[position + 1] + body[position] + body[position + 2:]
    return body


BODY = st.one_of(
    mutated(),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="ascii"), max_size=120),
    st.lists(st.one_of(NOISE, st.sampled_from(BODIES)), max_size=8).map("".join),
    st.none(),
)


def check(parsed: Parsed) -> None:
    """What every parse promises, whatever the body."""
    assert isinstance(parsed, Parsed)
    assert isinstance(parsed.understood, bool)
    assert (parsed.temperature_c is None) == (parsed.temperature_unit is None) == (parsed.temperature_raw is None)
    if parsed.temperature_c is not None:
        assert plausible("temperature_c", parsed.temperature_c)  # triage.ranges: 34-43 C, the one definition
        assert round(parsed.temperature_c, 2) == parsed.temperature_c  # 0.01 C, see messages.parse
    if parsed.systolic is not None:
        assert SYSTOLIC_RANGE[0] <= parsed.systolic <= SYSTOLIC_RANGE[1]
    if parsed.diastolic is not None:
        assert DIASTOLIC_RANGE[0] <= parsed.diastolic <= DIASTOLIC_RANGE[1] and parsed.systolic > parsed.diastolic
    if parsed.spo2 is not None:
        assert SPO2_RANGE[0] <= parsed.spo2 <= SPO2_RANGE[1]
    if parsed.heart_rate is not None:
        assert HEART_RATE_RANGE[0] <= parsed.heart_rate <= HEART_RATE_RANGE[1]
    assert parsed.symptoms <= set(SYMPTOMS) and parsed.denied_symptoms <= set(SYMPTOMS)
    assert not parsed.symptoms & parsed.denied_symptoms
    fields = {"temperature": parsed.temperature_c, "blood_pressure": parsed.systolic, "spo2": parsed.spo2,
              "heart_rate": parsed.heart_rate}
    for name in parsed.implausible:
        assert fields[name] is None  # never both believed and disbelieved
    for report in parsed.medications:
        assert report.name in (*MEDICATIONS, *OTHER_MEDICINES)
        assert report.dose_mg is None or report.dose_mg > 0
        assert not (report.asking and report.taken_at is not None)
        assert report.taken_at is None or report.taken_at <= NOW
    assert parsed.command in (None, "help", "stop", "start", "ack")
    if parsed.command is not None:
        assert not parsed.has_values and not parsed.symptoms and not parsed.medications
    assert parsed.command_arg is None or parsed.command == "ack"
    assert parsed.language_hint in (None, "en", "es")
    if parsed.acknowledgement:  # a thank-you only when nothing else was read
        assert not parsed.understood and not parsed.implausible
    if parsed.no_fever_claim:  # said, not read: never beside a temperature
        assert parsed.temperature_c is None and "temperature" not in parsed.implausible


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODY)
def test_any_body_parses_or_asks_for_clarification(body):
    parsed = parse(body, NOW)
    check(parsed)
    assert parse(body, NOW) == parsed  # pure: the same text reads the same
    check(parse(body))  # and without a clock


PAST = ["was {} yesterday", "{} last night", "{} an hour ago", "it was {} earlier", "ayer {}", "anoche {}",
        "tenia {}", "{} this morning"]
CURRENT = ["{} now", "now {}", "currently {}", "{} right now", "ahora {}", "hoy {}", "ahorita {}",
           "en este momento {}"]
TEMPS_F = st.decimals(min_value=95, max_value=106, places=1)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(PAST), st.sampled_from(CURRENT), TEMPS_F, TEMPS_F, st.booleans())
def test_the_current_temperature_wins_over_a_past_one(past, current, before, now, current_first):
    clauses = [past.format(before), current.format(now)]
    body = ", ".join(reversed(clauses) if current_first else clauses)
    assert parse(body, NOW).temperature_raw == str(now)
    assert parse(f"from {before} to {now}", NOW).temperature_raw == str(now)
    assert parse(f"bajo de {before} a {now}", NOW).temperature_raw == str(now)


@settings(max_examples=300, deadline=None)
@given(TEMPS_F, TEMPS_F, st.sampled_from([", ", " then ", " y luego ", ". ", " and "]))
def test_with_no_current_marked_the_highest_temperature_wins(first, second, joiner):
    assert parse(f"{first}{joiner}{second}", NOW).temperature_raw == str(max(first, second))
