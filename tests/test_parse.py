"""The reply parser: the formats patients use (DESIGN, acceptance scenarios), and its API.

The broad table of real-world replies is tests/corpus/replies.jsonl (test_parse_corpus.py);
this file holds the formats the design names, one row each, and the rules around them.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from messages.parse import MedicationReport, Parsed, parse

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 3, 13, 0, tzinfo=CHICAGO)  # a Tuesday, 1 PM in the clinic


def acet(dose_mg=None, taken_at=None, asking=False):
    return ("acetaminophen", dose_mg, taken_at, asking)


def meds(parsed: Parsed):
    return tuple((m.name, m.dose_mg, m.taken_at, m.asking) for m in parsed.medications)


# (id, body, expected fields)
ROWS = [
    ("f-bare", "101.2", {"temperature_c": 38.44, "temperature_unit": "F"}),
    ("f-suffix", "101.2F", {"temperature_c": 38.44, "temperature_unit": "F"}),
    ("f-suffix-space", "101.2 f", {"temperature_c": 38.44, "temperature_unit": "F"}),
    ("c-comma", "38,4", {"temperature_c": 38.4, "temperature_unit": "C"}),
    ("c-suffix", "38.4C", {"temperature_c": 38.4, "temperature_unit": "C"}),
    ("c-sentence", "temp is 38.4 C", {"temperature_c": 38.4, "temperature_unit": "C"}),
    ("t-colon", "T:99.8", {"temperature_c": 37.67}),
    ("fever-label", "fever 102", {"temperature_c": 38.89}),
    ("threshold-f", "100.4", {"temperature_c": 38.0}),
    ("below-threshold", "100.3", {"temperature_c": 37.94}),
    ("below-threshold-100-35", "100.35", {"temperature_c": 37.97}),
    ("acceptance-98-6", "98.6", {"temperature_c": 37.0}),
    ("acceptance-37-9", "37.9", {"temperature_c": 37.9, "temperature_unit": "C"}),
    ("all-vitals", "temp 100.9 bp 92/60 o2 95",
     {"temperature_c": 38.28, "systolic": 92, "diastolic": 60, "spo2": 95}),
    ("bp-bare", "88/60", {"systolic": 88, "diastolic": 60, "temperature_c": None}),
    ("bp-over", "bp 88 over 60", {"systolic": 88, "diastolic": 60}),
    ("bp-es", "presion 88/60", {"systolic": 88, "diastolic": 60}),
    ("bp-es-accent", "presión 88/60", {"systolic": 88, "diastolic": 60}),
    ("o2", "o2 89", {"spo2": 89, "temperature_c": None}),
    ("sat-percent", "sat 89%", {"spo2": 89}),
    ("spo2", "spo2 89", {"spo2": 89}),
    ("oxygen", "oxygen 89", {"spo2": 89}),
    ("oxigeno", "oxigeno 89", {"spo2": 89}),
    ("pulse-ox", "pulse ox 89", {"spo2": 89, "heart_rate": None}),
    ("hr", "hr 112", {"heart_rate": 112, "temperature_c": None}),
    ("pulse", "pulse 112", {"heart_rate": 112}),
    ("pulso", "pulso 112", {"heart_rate": 112}),
    ("took-tylenol", "took tylenol", {"medications": (acet(),)}),
    ("took-1000mg", "took 1000 mg tylenol", {"medications": (acet(1000.0),), "temperature_c": None}),
    ("tylenol-650", "tylenol 650", {"medications": (acet(650.0),), "temperature_c": None}),
    ("at-2pm", "acetaminophen at 2pm",
     {"medications": (acet(taken_at=datetime(2026, 3, 2, 14, 0, tzinfo=CHICAGO)),)}),
    ("paracetamol", "paracetamol", {"medications": (acet(),)}),
    ("took-it", "took it 30 min ago", {"medications": (acet(taken_at=NOW - timedelta(minutes=30)),)}),
    ("tome-hace", "tomé tylenol hace 1 hora", {"medications": (acet(taken_at=NOW - timedelta(hours=1)),)}),
    ("mareado", "me siento mareado", {"symptoms": {"dizziness"}}),
    ("acceptance-confused", "101 and I feel confused", {"temperature_c": 38.33, "symptoms": {"confusion"}}),
    ("typo-confussed", "confussed", {"symptoms": {"confusion"}}),
    ("typo-dizy", "dizy", {"symptoms": {"dizziness"}}),
    ("lightheaded-standing", "lightheaded when I stand", {"symptoms": {"dizziness", "orthostatic"}}),
    ("faint-standing", "feel faint standing up", {"symptoms": {"dizziness", "orthostatic"}}),
    ("weak", "weak", {"symptoms": {"weakness"}}),
    ("debil", "débil", {"symptoms": {"weakness"}}),
    ("confundida", "confundido/confundida", {"symptoms": {"confusion"}}),
    ("escalofrios", "escalofríos", {"symptoms": {"chills"}}),
    ("dolor-cabeza", "dolor de cabeza", {"symptoms": {"headache"}}),
    ("sob", "short of breath", {"symptoms": {"shortness_of_breath"}}),
    # break-it pass: "can't breathe" was read, "cannot breathe" answered "Sorry, I could not read that"
    ("cannot-breathe", "I cannot breathe", {"symptoms": {"shortness_of_breath"}}),
    ("can-not-breathe", "can not catch my breath", {"symptoms": {"shortness_of_breath"}}),
    ("couldnt-breathe", "couldn't breathe last night 38.4", {"temperature_c": 38.4, "symptoms": {"shortness_of_breath"}}),
    ("could-not-breathe", "she could not breathe", {"symptoms": {"shortness_of_breath"}}),
    ("no-podia-respirar", "no podía respirar anoche", {"symptoms": {"shortness_of_breath"}}),
    ("no-pude-respirar", "no pude respirar bien", {"symptoms": {"shortness_of_breath"}}),
    ("rash", "rash", {"symptoms": {"rash"}}),
    ("emoji", "🤒🤒 101.5 😩", {"temperature_c": 38.61}),
    ("curly-quotes", "I don\u2019t feel dizzy", {"denied_symptoms": {"dizziness"}, "symptoms": set()}),
    ("extra-spaces", "   temp    38.2     ", {"temperature_c": 38.2}),
    ("empty", "", {"temperature_c": None, "understood": False}),
    ("none", None, {"understood": False}),
    ("implausible-1000", "1000", {"implausible": ("temperature",), "temperature_c": None}),
    ("implausible-o2", "o2 150", {"implausible": ("spo2",), "spo2": None}),
    ("deny-confusion", "no confusion", {"denied_symptoms": {"confusion"}, "symptoms": set()}),
    ("deny-dizzy", "not dizzy", {"denied_symptoms": {"dizziness"}}),
    ("deny-sin", "sin mareos", {"denied_symptoms": {"dizziness"}}),
    ("deny-es", "no me siento confundido", {"denied_symptoms": {"confusion"}, "symptoms": set()}),
    ("deny-list", "no confusion or dizziness", {"denied_symptoms": {"confusion", "dizziness"}}),
    ("ask-en", "can I take tylenol?", {"medications": (acet(asking=True),)}),
    ("ask-es", "¿puedo tomar tylenol?", {"medications": (acet(asking=True),)}),
    ("stop", "STOP", {"command": "stop"}),
    ("stop-sentence", "stop the fever", {"command": None}),
    ("ack", "ACK", {"command": "ack", "command_arg": None}),
    ("ack-id", "ACK 12", {"command": "ack", "command_arg": 12}),
    ("ack-hash", "ack #12", {"command": "ack", "command_arg": 12}),
    ("help", "HELP", {"command": "help"}),
    ("ayuda", "ayuda", {"command": "help"}),
    ("info", "info", {"command": "help"}),
    ("start", "START", {"command": "start"}),
    ("unstop", "unstop", {"command": "start"}),
    ("yes", "Yes", {"command": "start"}),
    *[(f"stop-{w.lower()}", w, {"command": "stop"})
      for w in ("STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "stop all", "Stop.", "PARAR", "cancelar")],
]


@pytest.mark.parametrize("body,expected", [(b, e) for _, b, e in ROWS], ids=[i for i, _, _ in ROWS])
def test_formats(body, expected):
    parsed = parse(body, NOW)
    for name, value in expected.items():
        got = meds(parsed) if name == "medications" else getattr(parsed, name)
        if isinstance(value, set):
            value = frozenset(value)
        assert got == value, f"{name}: {got!r} != {value!r} for {body!r}"


def test_dose_number_is_never_a_temperature():
    assert parse("took 1000 mg tylenol").implausible == ()
    assert parse("took 2 tylenol").temperature_c is None


def test_times_unresolved_without_now():
    report = parse("took tylenol at 2pm").medications[0]
    assert report.taken_at is None and report.taken_at_raw == "at 2pm"


@pytest.mark.parametrize("body,hour_minute,days_back", [
    ("took it at 2pm", (14, 0), 1),  # at 1 PM, 2 PM today has not come: yesterday
    ("took it at 12:30", (12, 30), 0),
    ("took it at 11am", (11, 0), 0),
    ("took it at 14:30", (14, 30), 1),
    ("took it at 2", (2, 0), 0),  # no am/pm: 2 AM today came after 2 PM yesterday
    ("took it at 9", (9, 0), 0),
    ("lo tomé a las 10 de la mañana", (10, 0), 0),
    ("lo tomé a la 1", (13, 0), 0),  # sent at 1 PM: now is the most recent 1 o'clock
])
def test_clock_times_are_the_most_recent_past(body, hour_minute, days_back):
    taken_at = parse(body, NOW).medications[0].taken_at
    expected = (NOW - timedelta(days=days_back)).replace(hour=hour_minute[0], minute=hour_minute[1])
    assert taken_at == expected


def test_relative_time_is_elapsed_time_across_dst():
    now = datetime(2026, 3, 8, 3, 30, tzinfo=CHICAGO)  # DST began at 2:00 this morning
    taken_at = parse("took tylenol an hour ago", now).medications[0].taken_at
    assert now.astimezone(UTC) - taken_at.astimezone(UTC) == timedelta(hours=1)
    assert taken_at.utcoffset() == timedelta(hours=-6)


def test_parsed_is_frozen_and_hashable():
    parsed = parse("101 took tylenol", NOW)
    with pytest.raises(AttributeError):
        parsed.temperature_c = 1  # type: ignore[misc]
    assert isinstance(parsed.medications[0], MedicationReport)
    hash(parsed)


@pytest.mark.parametrize("body,key", [
    ("", "reply_unreadable"),
    ("hello?", "reply_unreadable"),
    ("1000", "reply_measure_again"),
    ("o2 150", "reply_measure_again"),
    ("101", None),
    ("STOP", None),
])
def test_nothing_usable_is_not_understood_and_an_implausible_value_is_kept_as_such(body, key):
    """What a text we cannot use gets is triage.replies' choice (tests/test_reply_keys.py); the reader says
    whether anything was usable and which values no body shows."""
    parsed = parse(body)
    assert parsed.understood == (key is None)
    if key is not None:
        assert bool(parsed.implausible) == (key == "reply_measure_again")


@pytest.mark.parametrize("body, symptoms", [
    pytest.param("weak wifi, temp 98.2", [], id="weak-wifi-is-not-weakness"),
    pytest.param("i feel a bit confused about the instructions, temp 98", [], id="confused-about-instructions"),
    pytest.param("the texts are confusing", [], id="texts-are-confusing"),
    pytest.param("estoy confundida con las instrucciones", [], id="es-confundida-con-instrucciones"),
    pytest.param("I feel weak", ["weakness"], id="weak-person-still-counts"),
    pytest.param("confused, and weak wifi", ["confusion"], id="confused-person-beside-weak-wifi"),
    pytest.param("my car battery is weak", [], id="battery-is-weak"),
    pytest.param("the wifi is weak", [], id="wifi-is-weak"),
    pytest.param("my coffee is weak", [], id="coffee-is-weak"),
    pytest.param("confused about when to text", [], id="confused-about-when-to-text"),
    pytest.param("el wifi está débil", [], id="es-wifi-esta-debil"),
    pytest.param("battery is weak and so am I, really weak", ["weakness"], id="weak-person-beside-weak-battery"),
    pytest.param("he is not acting right", ["confusion"], id="not-acting-right"),
    pytest.param("she's not acting normal", ["confusion"], id="not-acting-normal"),
    pytest.param("no está actuando normal", ["confusion"], id="es-no-esta-actuando-normal"),
])
def test_symptom_words_about_a_thing_are_not_the_persons(body, symptoms):
    """A false urgent page teaches nurses to ignore the pager (found by the break-it pass)."""
    from messages.parse import parse

    assert sorted(parse(body).symptoms) == symptoms


@pytest.mark.parametrize("body, expected", [
    pytest.param("ACK 1O", (False, None), id="letter-o-in-the-id-is-not-alert-1"),
    pytest.param("ACK 1a", (False, None), id="letter-after-the-id"),
    pytest.param("ACK 12 pt dizzy", (True, 12), id="a-note-after-the-id"),
    pytest.param("ACK12", (True, 12), id="no-space"),
])
def test_a_mistyped_ack_id_is_not_read_as_another_alert(body, expected):
    from messages.parse import staff_ack

    assert staff_ack(body) == expected
