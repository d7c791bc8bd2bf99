"""One monitoring episode as the chart needs it (the printable summary a nurse files in the EHR). Read-only.

Everything in the episode, oldest first: the patient's identifiers, the therapy and dose time, every
reading with its assessment, medications, every alert with its pages, acknowledgement, outcome and note,
the ASTCT grades recorded, pauses, and the texts both ways.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from monitoring.clinic import Clinic, NotFound
from monitoring.episodes import episode_status
from monitoring.grades import grades_for
from monitoring.rows import Alert, Episode, Message, Reading
from monitoring.store import current_episode, from_text, loads, patient_by_id, to_text
from monitoring.timeline import monitoring_changes, paged_by


def episode_summary(clinic: Clinic, patient_id: int, episode_id: int | None, now: datetime) -> dict[str, Any]:
    """{"patient", "episode", "readings", "medications", "alerts", "grades", "changes", "texts", "episodes"}
    (times aware UTC), everything oldest first. Without `episode_id`: the current episode
    (`store.current_episode`). NotFound (patient_id, or episode) for no such patient or episode of theirs.
    `now` (aware UTC, the caller's) closes the window of an episode still running: its texts and changes
    are those from the episode's start to its end, or to `now`."""
    db = clinic.db
    patient = patient_by_id(db, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id}", "patient_id")
    if episode_id is None:
        episode = current_episode(db, patient_id)
    else:
        episode = Episode.maybe(db.execute("SELECT * FROM episodes WHERE id = ? AND patient_id = ?",
                                           [episode_id, patient_id]).fetchone())
    if episode is None:
        raise NotFound(f"no episode {episode_id or ''} for patient {patient_id}".replace("  ", " "), "episode")
    start = episode.created_at
    stop = episode.ended_at or to_text(now)
    readings = [{
        "taken_at": from_text(reading.taken_at), "temperature_c": reading.temperature_c,
        "systolic": reading.systolic, "diastolic": reading.diastolic, "spo2": reading.spo2,
        "heart_rate": reading.heart_rate, "symptoms": loads(reading.symptoms, []), "source": reading.source,
        "level": level, "reasons": loads(reasons, []) if reasons else [],
    } for reading, level, reasons in ((Reading.from_row(row), row["level"], row["reasons"]) for row in db.execute(
        "SELECT r.*, a.level, a.reasons FROM readings r LEFT JOIN assessments a ON a.id = "
        "(SELECT id FROM assessments WHERE reading_id = r.id ORDER BY id DESC LIMIT 1) "
        "WHERE r.episode_id = ? ORDER BY r.taken_at, r.id", [episode.id]))]
    medications = [{"given_at": from_text(row["given_at"]), "name": row["name"], "dose_mg": row["dose_mg"],
                    "weight_kg": row["weight_kg"], "source": row["source"], "by": row["staff_name"]}
                   for row in db.execute(
                       "SELECT m.*, s.name AS staff_name FROM medications m LEFT JOIN staff s ON s.id = m.recorded_by "
                       "WHERE m.episode_id = ? ORDER BY m.given_at, m.id", [episode.id])]
    alert_rows = [Alert.from_row(row) for row in db.execute(
        "SELECT * FROM alerts WHERE episode_id = ? ORDER BY created_at, id", [episode.id])]
    paged = paged_by(clinic, [alert.id for alert in alert_rows])
    alerts = [{"id": alert.id, "level": alert.level, "reasons": loads(alert.reasons, []), "status": alert.status,
               "created_at": from_text(alert.created_at), "paged": paged[alert.id],
               "acknowledged_at": from_text(alert.acknowledged_at), "acknowledged_by": alert.acknowledged_by,
               "resolved_at": from_text(alert.resolved_at), "resolved_by": alert.resolved_by,
               "outcome": alert.outcome, "note": alert.resolution_note} for alert in alert_rows]
    texts = [{"at": from_text(message.created_at), "direction": message.direction, "kind": message.kind,
              "body": message.body, "status": message.status, "pictures": message.media_count}
             for message in map(Message.from_row, db.execute(
                 "SELECT * FROM messages WHERE patient_id = ? AND created_at >= ? AND created_at <= ? ORDER BY id",
                 [patient_id, start, stop]))]
    changes = [item for item in reversed(monitoring_changes(clinic, patient_id, 500))
               if start <= to_text(item["at"]) <= stop]
    episodes = [{"id": row["id"], "therapy": row["therapy"], "dose_given_at": from_text(row["dose_given_at"])}
                for row in db.execute("SELECT id, therapy, dose_given_at FROM episodes WHERE patient_id = ? ORDER BY id",
                                      [patient_id])]
    return {
        "patient": {"id": patient.id, "name": patient.name, "mrn": patient.mrn,
                    "birth_date": patient.birth_date, "phone": patient.phone, "language": patient.language,
                    "baseline_systolic": patient.baseline_systolic, "baseline_spo2": patient.baseline_spo2,
                    "high_risk": bool(patient.high_risk), "risk_factors": loads(patient.risk_factors, [])},
        "episode": {"id": episode.id, "therapy": episode.therapy,
                    "dose_given_at": from_text(episode.dose_given_at), "ends_at": from_text(episode.ends_at),
                    "ended_at": from_text(episode.ended_at), "end_reason": episode.end_reason,
                    "status": episode_status(episode.status, episode.paused_at, patient.opted_out_at)},
        "readings": readings, "medications": medications, "alerts": alerts,
        "grades": grades_for(clinic, patient_id, episode.id), "changes": changes, "texts": texts,
        "episodes": episodes,
    }
