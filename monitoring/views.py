"""Read-only shapes of the store for the API and the dashboard (CONTRACT section 4).

Times come back as ISO 8601 text with offset (`store.iso`), as the API sends them; patients, episodes,
readings and messages are read as `monitoring.rows` typed rows. Nothing here writes or reads the clock.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from monitoring import caregivers, store
from monitoring.clinic import Clinic, NotFound
from monitoring.episodes import episode_status
from monitoring.rows import Episode, Message, Reading
from monitoring.store import iso, loads, patient_by_id

__all__ = ["iso"]  # kept here too for the modules that read it from the API's shapes

View = dict[str, Any]
"""One resource as the API sends it (CONTRACT section 4): plain JSON values, times ISO 8601 with offset."""


def episode_view(episode: Episode | None, status: str | None = None) -> View | None:
    """The API's Episode (CONTRACT sections 4 and 8): {"id", "therapy", "dose_given_at", "ends_at", "status",
    "next_checkin_at", "checkin_open_since", "missed_checkins", "last_answer_at", "paused_at", "pause_reason",
    "pause_until", "ended_at", "end_reason"}; None for no episode. `status` is what
    `episodes.episode_status` says of it with its patient (paused, opted_out ...); without it, the stored status."""
    if episode is None:
        return None
    return {
        "id": episode.id, "therapy": episode.therapy, "dose_given_at": iso(episode.dose_given_at),
        "ends_at": iso(episode.ends_at),
        "status": status if status is not None else episode.status,
        "next_checkin_at": iso(episode.next_checkin_at),
        "checkin_open_since": iso(episode.checkin_sent_at), "missed_checkins": episode.missed_count,
        "last_answer_at": iso(episode.last_answer_at),
        "paused_at": iso(episode.paused_at), "pause_reason": episode.pause_reason,
        "pause_until": iso(episode.pause_until), "ended_at": iso(episode.ended_at), "end_reason": episode.end_reason,
    }


def reading_view(reading: Reading) -> View:
    """The API's Reading: {"id", "taken_at", "temperature_c" (degrees C), "systolic", "diastolic" (mmHg),
    "spo2" (%), "heart_rate" (per minute), "symptoms" (keys), "source" (sms | app | device | staff)}."""
    return {
        "id": reading.id, "taken_at": iso(reading.taken_at), "temperature_c": reading.temperature_c,
        "systolic": reading.systolic, "diastolic": reading.diastolic, "spo2": reading.spo2,
        "heart_rate": reading.heart_rate, "symptoms": loads(reading.symptoms, []), "source": reading.source,
    }


def assessment_view(row: sqlite3.Row | None) -> View | None:
    """The API's Assessment from a row of `assessments`: {"level", "reasons" (keys), "instructions" (keys),
    "assessed_at"}; None for no row."""
    if row is None:
        return None
    return {"level": row["level"], "reasons": loads(row["reasons"], []),
            "instructions": loads(row["instructions"], []), "assessed_at": iso(row["assessed_at"])}


def current_episode(clinic: Clinic, patient_id: int) -> Episode | None:
    """The active episode, else the newest one (`store.current_episode`); None for a patient never monitored."""
    return store.current_episode(clinic.db, patient_id)


def latest_assessment(clinic: Clinic, patient_id: int) -> sqlite3.Row | None:
    """The patient's newest row of `assessments`, or None."""
    row: sqlite3.Row | None = clinic.db.execute(
        "SELECT * FROM assessments WHERE patient_id = ? ORDER BY id DESC LIMIT 1", [patient_id]
    ).fetchone()
    return row


def patient_view(clinic: Clinic, patient_id: int, reading_limit: int = 200) -> View:
    """The API's Patient (CONTRACT section 4): {"id", "name", "phone", "language", "baseline_systolic" (mmHg),
    "baseline_spo2" (%), "high_risk", "risk_factors" (keys), "checkin_interval_minutes", "opted_out_at", "mrn",
    "birth_date", "episode" (`episode_view` of the current episode, its status as `episode_status` says),
    "latest_assessment", "readings" (the newest `reading_limit`, newest first), "caregivers"}.
    NotFound (patient_id) for no such patient."""
    patient = patient_by_id(clinic.db, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id}", "patient_id")
    readings = clinic.db.execute(
        "SELECT * FROM readings WHERE patient_id = ? ORDER BY taken_at DESC, id DESC LIMIT ?",
        [patient_id, reading_limit],
    ).fetchall()
    episode = current_episode(clinic, patient_id)
    return {
        "id": patient.id, "name": patient.name, "phone": patient.phone, "language": patient.language,
        "baseline_systolic": patient.baseline_systolic, "baseline_spo2": patient.baseline_spo2,
        "high_risk": bool(patient.high_risk), "risk_factors": loads(patient.risk_factors, []),
        "checkin_interval_minutes": patient.checkin_interval_minutes, "opted_out_at": iso(patient.opted_out_at),
        "mrn": patient.mrn, "birth_date": patient.birth_date,
        "episode": episode_view(episode, None if episode is None else
                                episode_status(episode.status, episode.paused_at, patient.opted_out_at)),
        "latest_assessment": assessment_view(latest_assessment(clinic, patient_id)),
        "readings": [reading_view(Reading.from_row(r)) for r in readings],
        "caregivers": caregivers.caregivers_view(clinic, patient_id),
    }


def message_view(message: Message) -> View:
    """The API's Message (CONTRACT sections 4 and 8): {"id", "direction" (in | out), "to", "from" (E.164),
    "body", "kind", "patient_id", "alert_id", "caregiver_id", "status", "created_at", "outcome"}."""
    return {
        "id": message.id, "direction": message.direction, "to": message.to_number, "from": message.from_number,
        "body": message.body, "kind": message.kind, "patient_id": message.patient_id, "alert_id": message.alert_id,
        "caregiver_id": message.caregiver_id, "status": message.status, "created_at": iso(message.created_at),
        "outcome": message.outcome,  # a call's: acknowledged, passed, no_answer, machine, or null (CONTRACT 8)
    }


def list_messages(clinic: Clinic, patient_id: int | None = None, after_id: int = 0, limit: int = 1000) -> list[View]:
    """The message log oldest first, as `message_view`: ids after `after_id` (to page on), at most `limit`,
    only the patient's when `patient_id` is given."""
    where, params = ["id > ?"], [after_id]
    if patient_id is not None:
        where.append("patient_id = ?")
        params.append(patient_id)
    rows = clinic.db.execute(
        f"SELECT * FROM messages WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", params + [limit]
    ).fetchall()
    return [message_view(Message.from_row(row)) for row in rows]


def list_patients(clinic: Clinic, active_only: bool = True) -> list[View]:
    """Every patient in an active episode (or every patient ever monitored), by name, as `patient_view` with
    their newest 50 readings."""
    sql = ("SELECT DISTINCT p.id, p.name FROM patients p JOIN episodes e ON e.patient_id = p.id "
           + ("WHERE e.status = 'active' " if active_only else "") + "ORDER BY p.name")
    return [patient_view(clinic, row["id"], reading_limit=50) for row in clinic.db.execute(sql).fetchall()]
