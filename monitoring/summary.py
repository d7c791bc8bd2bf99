"""One monitoring episode as the chart needs it (the printable summary a nurse files in the EHR). Read-only.

Everything in the episode, oldest first: the patient's identifiers, the therapy and dose time, every
reading with its assessment, medications, every alert with its pages, acknowledgement, outcome and note,
the ASTCT grades recorded, pauses, and the texts both ways.
"""
from __future__ import annotations

from typing import Any

from monitoring.clinic import Clinic, NotFound
from monitoring.episodes import episode_status
from monitoring.grades import grades_for
from monitoring.rows import Episode
from monitoring.store import current_episode, from_text, loads, to_text, utcnow
from monitoring.timeline import _monitoring_changes, _paged


def episode_summary(clinic: Clinic, patient_id: int, episode_id: int | None = None) -> dict[str, Any]:
    """{"patient", "episode", "readings", "medications", "alerts", "grades", "changes", "texts", "episodes"}
    (times aware UTC). Without `episode_id`: the active episode, else the newest. NotFound otherwise."""
    db = clinic.db
    patient = db.execute("SELECT * FROM patients WHERE id = ?", [patient_id]).fetchone()
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
    stop = episode.ended_at or to_text(utcnow())
    readings = [{
        "taken_at": from_text(row["taken_at"]), "temperature_c": row["temperature_c"], "systolic": row["systolic"],
        "diastolic": row["diastolic"], "spo2": row["spo2"], "heart_rate": row["heart_rate"],
        "symptoms": loads(row["symptoms"], []), "source": row["source"], "level": row["level"],
        "reasons": loads(row["reasons"], []) if row["reasons"] else [],
    } for row in db.execute(
        "SELECT r.*, a.level, a.reasons FROM readings r LEFT JOIN assessments a ON a.id = "
        "(SELECT id FROM assessments WHERE reading_id = r.id ORDER BY id DESC LIMIT 1) "
        "WHERE r.episode_id = ? ORDER BY r.taken_at, r.id", [episode.id])]
    medications = [{"given_at": from_text(row["given_at"]), "name": row["name"], "dose_mg": row["dose_mg"],
                    "weight_kg": row["weight_kg"], "source": row["source"], "by": row["staff_name"]}
                   for row in db.execute(
                       "SELECT m.*, s.name AS staff_name FROM medications m LEFT JOIN staff s ON s.id = m.recorded_by "
                       "WHERE m.episode_id = ? ORDER BY m.given_at, m.id", [episode.id])]
    alert_rows = db.execute("SELECT * FROM alerts WHERE episode_id = ? ORDER BY created_at, id", [episode.id]).fetchall()
    paged = _paged(clinic, [row["id"] for row in alert_rows])
    alerts = [{"id": row["id"], "level": row["level"], "reasons": loads(row["reasons"], []), "status": row["status"],
               "created_at": from_text(row["created_at"]), "paged": paged[row["id"]],
               "acknowledged_at": from_text(row["acknowledged_at"]), "acknowledged_by": row["acknowledged_by"],
               "resolved_at": from_text(row["resolved_at"]), "resolved_by": row["resolved_by"],
               "outcome": row["outcome"], "note": row["resolution_note"]} for row in alert_rows]
    texts = [{"at": from_text(row["created_at"]), "direction": row["direction"], "kind": row["kind"],
              "body": row["body"], "status": row["status"]}
             for row in db.execute("SELECT * FROM messages WHERE patient_id = ? AND created_at >= ? AND created_at <= ? "
                                   "ORDER BY id", [patient_id, start, stop])]
    changes = [item for item in reversed(_monitoring_changes(clinic, patient_id, 500))
               if start <= to_text(item["at"]) <= stop]
    episodes = [{"id": row["id"], "therapy": row["therapy"], "dose_given_at": from_text(row["dose_given_at"])}
                for row in db.execute("SELECT id, therapy, dose_given_at FROM episodes WHERE patient_id = ? ORDER BY id",
                                      [patient_id])]
    return {
        "patient": {"id": patient["id"], "name": patient["name"], "mrn": patient["mrn"],
                    "birth_date": patient["birth_date"], "phone": patient["phone"], "language": patient["language"],
                    "baseline_systolic": patient["baseline_systolic"], "baseline_spo2": patient["baseline_spo2"],
                    "high_risk": bool(patient["high_risk"]), "risk_factors": loads(patient["risk_factors"], [])},
        "episode": {"id": episode.id, "therapy": episode.therapy,
                    "dose_given_at": from_text(episode.dose_given_at), "ends_at": from_text(episode.ends_at),
                    "ended_at": from_text(episode.ended_at), "end_reason": episode.end_reason,
                    "status": episode_status(episode.status, episode.paused_at, patient["opted_out_at"])},
        "readings": readings, "medications": medications, "alerts": alerts,
        "grades": grades_for(clinic, patient_id, episode.id), "changes": changes, "texts": texts,
        "episodes": episodes,
    }
