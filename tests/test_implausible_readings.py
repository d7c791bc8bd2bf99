"""Fault 5 of issue 14, monitoring side: a value no body shows is kept as the patient's text and as a flag,
never as a clinical value. "109.9" (read by the parser as 43.28 C, above triage.ranges' 43.0 C) gets "measure
again", and nothing clinical follows from it: no stored temperature, no hourly febrile check-ins, no point on
the chart, no FHIR Observation, nothing in the app API's `readings`. Whatever the parser makes of a text, and
whichever road a reading takes (text, app, device), triage.ranges is the one source of what is plausible.
"""
from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from conftest import PATIENT_PHONE, START, auth, texts_to

from monitoring.store import connect


def _patient(client, token, patient_id) -> dict:
    return client.get(f"/api/v1/patients/{patient_id}", headers=auth(token)).get_json()


def _rows(config, sql: str, *args) -> list:
    return connect(config["database"]["path"]).execute(sql, args).fetchall()


def _at(clock, minutes: int) -> None:
    clock.move_to(START + timedelta(minutes=minutes))


@pytest.mark.parametrize("body", [
    pytest.param("109.9", id="fahrenheit-just-above-the-range"),
    pytest.param("temp 109.9", id="labelled"),
    pytest.param("109.6 F", id="with-its-unit"),
])
def test_an_implausible_temperature_is_the_text_and_a_flag_never_a_reading(
        client, admin_token, patient, phone, clock, config, body):
    _at(clock, 5)
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    phone.text(body)
    replies = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[before:]]
    assert replies and replies[0].startswith("That reading does not look right")
    assert not any("fever" in reply.lower() for reply in replies)

    # the text is kept, and the flag is on its assessment
    kept = _rows(config, "SELECT body, processed_at FROM messages WHERE direction = 'in'")
    assert [row["body"] for row in kept] == [body] and kept[0]["processed_at"]
    view = _patient(client, admin_token, patient["id"])
    assert view["latest_assessment"]["reasons"] == ["implausible_reading"]
    # no clinical value: not in the readings table, the staff API, the app API, the chart or FHIR
    assert _rows(config, "SELECT * FROM readings WHERE temperature_c IS NOT NULL") == []
    assert view["readings"] == []
    me = client.get("/api/v1/me", headers=auth(patient["patient_token"])).get_json()
    assert me["readings"] == []
    bundle = client.get(f"/fhir/r4/Observation?patient={patient['id']}", headers=auth(admin_token)).get_json()
    assert bundle.get("entry", []) == []
    # the check-in cadence stays the patient's own (every 2 h), not hourly as for a fever (SOP 5 Grade 1: 1-2 h)
    assert view["episode"]["next_checkin_at"] == (START + timedelta(minutes=125)).astimezone(UTC).isoformat()


def test_a_later_normal_reading_is_not_read_against_an_implausible_one(client, admin_token, patient, phone, clock):
    _at(clock, 5)
    phone.text("109.9")
    _at(clock, 10)
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    phone.text("98.6")
    replies = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[before:]]
    assert replies == [replies[0]] and replies[0].startswith("Thank you. No fever now.")
    view = _patient(client, admin_token, patient["id"])
    assert [reading["temperature_c"] for reading in view["readings"]] == [37.0]


def test_monitoring_guards_whatever_the_parser_returns(app, client, admin_token, patient, clock, config):
    """A caller (a parser, a future road) that hands monitoring an out-of-range value unmarked: it is blanked
    and flagged on the way into the store (triage.ranges), never stored as a reading."""
    from monitoring import care
    from monitoring.clinic import open_clinic
    from monitoring.store import active_episode, patient_by_id, transaction

    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):
        db_patient = patient_by_id(clinic.db, patient["id"])
        episode = active_episode(clinic.db, patient["id"])
        assessment, next_checkin = care.record_reading(
            clinic, db_patient, episode, {"temperature_c": 43.28, "spo2": 97, "heart_rate": 400},
            taken_at=START, source="sms", now=START)
    clinic.db.close()
    assert "implausible_reading" in assessment.reasons and "fever" not in assessment.reasons
    rows = _rows(config, "SELECT temperature_c, spo2, heart_rate, implausible FROM readings")
    assert [tuple(row) for row in rows] == [(None, 97, None, '["heart_rate", "temperature_c"]')]
    assert next_checkin == START + timedelta(minutes=120)


@pytest.mark.parametrize("temperature", [
    pytest.param({"value": 109.9}, id="no-unit-above-both-ranges"),
    pytest.param({"value": 109.9, "unit": "F"}, id="fahrenheit"),
    pytest.param({"value": 43.1}, id="no-unit-just-above-celsius"),
    pytest.param({"value": 93.1}, id="no-unit-just-below-fahrenheit"),
])
def test_the_app_reads_temperatures_by_the_same_ranges(client, admin_token, patient, config, temperature):
    response = client.post("/api/v1/me/readings", json={"temperature": temperature},
                           headers=auth(patient["patient_token"]))
    assert response.status_code == 201
    assert response.get_json()["assessment"]["reasons"] == ["implausible_reading"]
    assert _rows(config, "SELECT * FROM readings") == []


def test_the_app_unit_guess_comes_from_triage_ranges():
    from monitoring.app_api import to_celsius

    assert to_celsius(109.4, None) == 43.0  # the top of triage.ranges' range, in F
    assert to_celsius(109.5, None) is None
    assert to_celsius(93.2, None) == 34.0
    assert to_celsius(93.1, None) is None
    assert to_celsius(43.0, None) == 43.0
    assert to_celsius(100.4, "F") == 38.0


def test_the_migration_blanks_implausible_values_stored_before(app, patient, config):
    """Readings stored before the guard: out of triage.ranges' PLAUSIBLE_RANGES, the value becomes the flag."""
    from monitoring.migrations import m011_implausible_readings_blanked as blank_implausible
    from monitoring.store import dumps
    from triage.ranges import PLAUSIBLE_RANGES, plausible

    db = connect(config["database"]["path"])
    episode = db.execute("SELECT id FROM episodes").fetchone()[0]
    cases = []
    for field in ("temperature_c", "systolic", "diastolic", "spo2", "heart_rate"):
        low, high = PLAUSIBLE_RANGES[field]
        step = 0.01 if field == "temperature_c" else 1
        cases += [(field, value) for value in (low - step, low, high, high + step)]
    for field, value in cases:
        db.execute(f"INSERT INTO readings (patient_id, episode_id, taken_at, {field}, source, created_at) "
                   "VALUES (?, ?, ?, ?, 'sms', ?)", [patient["id"], episode, START.isoformat(), value,
                                                     START.isoformat()])
    db.execute("INSERT INTO readings (patient_id, episode_id, taken_at, temperature_c, implausible, source, "
               "created_at) VALUES (?, ?, ?, 43.28, ?, 'sms', ?)",
               [patient["id"], episode, START.isoformat(), dumps(["temperature_c"]), START.isoformat()])
    db.commit()
    blank_implausible(db)  # the migration's own function, run again on rows stored the old way
    db.commit()
    rows = db.execute("SELECT * FROM readings ORDER BY id").fetchall()
    for (field, value), row in zip(cases, rows, strict=False):
        if plausible(field, value):
            assert row[field] == value and row["implausible"] == "[]", (field, value)
        else:
            assert row[field] is None and row["implausible"] == f'["{field}"]', (field, value)
    assert rows[-1]["temperature_c"] is None and rows[-1]["implausible"] == '["temperature_c"]'  # flagged once
