"""Readings from device hubs (FHIR Observations): recorded once, triaged as app readings, told once.

- Each Observation becomes one reading through the patient app's own road (app_api.record ->
  care.record_reading -> triage.assess), so the SOP's rules time it by its own effectiveDateTime: the fever
  run and the acetaminophen interval count from when it was measured, not from when the hub posted it.
- A duplicate (same device, code, effective time and values) is accepted once: a second post answers the first
  one's Observation and changes nothing. Another value for the same moment (a wearable stamping its readings to the
  minute, a 'corrected' Observation) is a reading of its own.
- The alert: triage's level raises or updates the patient's one active alert (monitoring.alerts), so a
  continuous thermometer's sixty febrile readings raise one alert and page once.
- The patient: a device reading has no conversation to answer, so the patient is texted the SOP advice
  (the same template a text reply would use) when it changes, not once a reading: the worst assessment of a
  post is told when its advice differs from the last advice told from a device this episode, when its level
  is higher, or when the same advice was told `acetaminophen_interval_hours` or more (reading time) ago (a new
  dose may be due). A routine reading is never texted. See docs/fhir.md, "Readings from devices".
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitoring import app_api, care, fhir_ingest
from monitoring import fhir_observations as obs
from monitoring.clinic import Clinic, Conflict, ServiceError, ValidationError
from monitoring.fhir_outcome import FhirError
from monitoring.rows import Patient
from monitoring.store import dumps, from_text, insert, to_text, transaction
from triage import replies
from triage.model import LEVELS, Assessment


@dataclass
class Entry:
    """What became of one posted Observation: `status` 201 (created), 200 (a duplicate: the first one's
    resource) or 4xx with `error`."""

    status: int
    resource: dict[str, Any] | None = None
    error: ServiceError | None = None
    effective_at: datetime | None = None
    triaged: Triaged | None = None  # for a new reading


@dataclass(frozen=True)
class Triaged:
    """A new device reading as triaged: whose (the patients row), in which episode, its assessment and when
    the next check-in is due."""

    patient: Patient
    episode_id: int
    assessment: Assessment
    next_checkin: datetime
    effective_at: datetime


@dataclass
class Posted:
    """What a post did: one Entry per resource, in the order given, and the ids of the texts queued to patients."""

    entries: list[Entry] = field(default_factory=list)
    told: list[int] = field(default_factory=list)  # message ids of the texts to patients


def post_observations(clinic: Clinic, device: dict[str, Any], resources: list[Any], now: datetime) -> Posted:
    """Record device Observations (parsed FHIR JSON, as `fhir_ingest.read_observation` reads them; in
    reading-time order, each on its own) and tell each patient at most once (see the module doc). `device` as
    `devices.device_by_token` gives it; `now` (aware UTC, the caller's) is when it was last seen, when each
    reading arrived and when advice was told. Returns one Entry per resource, in the order given (201
    created, 200 a duplicate, 4xx with the FhirError/ServiceError); nothing raised for a bad resource."""
    entries: list[Entry | None] = [None] * len(resources)
    understood = []
    for index, resource in enumerate(resources):
        try:
            understood.append((index, fhir_ingest.read_observation(clinic, device, resource, now)))
        except ServiceError as error:
            entries[index] = Entry(error.status, error=error)
    for index, incoming in sorted(understood, key=lambda pair: (pair[1].effective_at, pair[0])):
        try:
            entries[index] = _record(clinic, device, incoming, now)
        except ServiceError as error:
            entries[index] = Entry(error.status, error=error)
    posted = Posted(entries=[entry for entry in entries if entry is not None])
    with transaction(clinic.db):
        clinic.db.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", [to_text(now), device["id"]])
        by_patient: dict[int, list[Triaged]] = {}
        for entry in posted.entries:
            if entry.triaged is not None:
                by_patient.setdefault(entry.triaged.patient.id, []).append(entry.triaged)
        for triaged in by_patient.values():
            message_ids = tell_patient(clinic, triaged, now)
            posted.told += message_ids
    return posted


def _record(clinic: Clinic, device: dict[str, Any], incoming: fhir_ingest.Incoming, now: datetime) -> Entry:
    key = [device["id"], incoming.code, to_text(incoming.effective_at)]
    value_key = dumps([incoming.values.get(column) for column in obs.KIND_COLUMNS[incoming.kind]])
    try:
        with transaction(clinic.db):
            seen = _seen(clinic, key, incoming)
            if seen is not None:
                return _duplicate(clinic, seen, incoming)
            try:
                assessment, next_checkin = app_api.record(clinic, incoming.patient, incoming.values,
                                                          incoming.effective_at, source="device", now=now)
            except Conflict:
                raise FhirError(422, "the patient has no active monitoring episode; enroll them or record a new "
                                     "dose first", "Observation.subject", "business-rule") from None
            except ValidationError as error:  # taken before the episode's dose (app_api._in_episode)
                raise FhirError(422, error.message.replace("taken_at", "effectiveDateTime"),
                                fhir_ingest.ELEMENTS.get(error.field or "taken_at", "Observation"),
                                "business-rule") from None
            reading = clinic.db.execute(
                "SELECT id, episode_id FROM readings WHERE patient_id = ? ORDER BY id DESC LIMIT 1",
                [incoming.patient.id]).fetchone()
            insert(clinic.db, "device_observations", {
                "device_id": device["id"], "patient_id": incoming.patient.id, "reading_id": reading["id"],
                "code": incoming.code, "effective_at": key[2], "value_key": value_key, "created_at": to_text(now)})
    except sqlite3.IntegrityError:  # the same reading raced in from another request of the same hub
        seen = _seen(clinic, key, incoming)
        if seen is None:  # another constraint, or the racing row's values read differently: never a bare 500
            raise FhirError(409, "this Observation conflicts with one recorded at the same moment; send it again",
                            "Observation.effectiveDateTime", "conflict") from None
        return _duplicate(clinic, seen, incoming)
    return Entry(201, _observation(clinic, reading["id"], incoming.kind), effective_at=incoming.effective_at,
                 triaged=Triaged(incoming.patient, reading["episode_id"], assessment, next_checkin,
                                 incoming.effective_at))


def _seen(clinic: Clinic, key: list[Any], incoming: fhir_ingest.Incoming) -> int | None:
    """The reading this device already posted for this code and moment (`key`) with the same values, or None: another
    value for the same moment (a wearable stamping to the minute, a 'corrected' Observation) is a reading of its own,
    and may be the red flag (SOP 5, Grade 1 Home, line 64)."""
    columns = obs.KIND_COLUMNS[incoming.kind]
    for row in clinic.db.execute(
            f"SELECT d.reading_id, {', '.join('r.' + column for column in columns)} FROM device_observations d "
            "JOIN readings r ON r.id = d.reading_id WHERE d.device_id = ? AND d.code = ? AND d.effective_at = ? "
            "ORDER BY d.id", key):
        if all(row[column] == incoming.values.get(column) for column in columns):
            reading_id: int = row["reading_id"]
            return reading_id
    return None


def _observation(clinic: Clinic, reading_id: int, kind: str) -> dict[str, Any]:
    row = obs.reading_row(clinic.db, reading_id)
    if row is None:  # the reading was recorded in this request, or its device_observations row names it
        raise LookupError(f"no reading {reading_id}")
    return obs.observation(row, kind)


def _duplicate(clinic: Clinic, reading_id: int, incoming: fhir_ingest.Incoming) -> Entry:
    return Entry(200, _observation(clinic, reading_id, incoming.kind), effective_at=incoming.effective_at)


def tell_patient(clinic: Clinic, triaged: list[Triaged], now: datetime) -> list[int]:
    """Text one patient the advice of the worst of these new readings (at least one, all theirs), if it is
    news (see the module doc; triage.replies.device_keys). Inside the caller's transaction; `now` (aware UTC)
    is recorded as when it was told. Returns the ids of the texts queued (none for a routine reading)."""
    worst = max(triaged, key=lambda reading: (LEVELS.index(reading.assessment.level), reading.effective_at))
    patient, episode_id, assessment, next_checkin = (worst.patient, worst.episode_id, worst.assessment,
                                                     worst.next_checkin)
    if assessment.level == "routine" or not assessment.instructions:
        return []
    last = clinic.db.execute("SELECT * FROM device_advice WHERE episode_id = ?", [episode_id]).fetchone()
    news = last is None or _news(clinic, last, assessment, worst.effective_at)
    keys = replies.device_keys(assessment, last["advice"] if last is not None else None, news)
    if not keys:
        return []
    advice = keys[0]
    values = care.text_values(clinic, assessment, next_checkin, patient.language, now=now)
    told = [care.reply_to_patient(clinic, patient, key, values, now=now) for key in keys]
    clinic.db.execute(
        "INSERT INTO device_advice (episode_id, advice, level, reading_at, told_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (episode_id) DO UPDATE SET advice = excluded.advice, level = excluded.level, "
        "reading_at = excluded.reading_at, told_at = excluded.told_at",
        [episode_id, advice, assessment.level, to_text(worst.effective_at), to_text(now)])
    return [message_id for message_id in told if message_id is not None]


def _news(clinic: Clinic, last: sqlite3.Row, assessment: Assessment, reading_at: datetime) -> bool:
    if assessment.instructions[0] != last["advice"]:
        return True
    if LEVELS.index(assessment.level) > LEVELS.index(last["level"]):
        return True
    again_after = timedelta(hours=clinic.thresholds.acetaminophen_interval_hours)
    told_reading_at: str = last["reading_at"]
    return reading_at - from_text(told_reading_at) >= again_after
