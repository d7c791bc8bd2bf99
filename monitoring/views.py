"""Read-only shapes of the store for the API and the dashboard (CONTRACT section 4)."""
from __future__ import annotations

from monitoring import caregivers, store
from monitoring.clinic import Clinic, NotFound
from monitoring.episodes import episode_status
from monitoring.rows import Episode
from monitoring.store import iso, loads

__all__ = ["iso"]  # kept here too for the modules that read it from the API's shapes


def episode_view(row: Episode | None, patient=None) -> dict | None:
    """The episode; with its `patient` row the status says paused or opted_out (CONTRACT section 8)."""
    if row is None:
        return None
    return {
        "id": row.id, "therapy": row.therapy, "dose_given_at": iso(row.dose_given_at),
        "ends_at": iso(row.ends_at),
        "status": row.status if patient is None else episode_status(row.status, row.paused_at, patient["opted_out_at"]),
        "next_checkin_at": iso(row.next_checkin_at),
        "checkin_open_since": iso(row.checkin_sent_at), "missed_checkins": row.missed_count,
        "last_answer_at": iso(row.last_answer_at),
        "paused_at": iso(row.paused_at), "pause_reason": row.pause_reason,
        "pause_until": iso(row.pause_until), "ended_at": iso(row.ended_at), "end_reason": row.end_reason,
    }


def reading_view(row) -> dict:
    return {
        "id": row["id"], "taken_at": iso(row["taken_at"]), "temperature_c": row["temperature_c"],
        "systolic": row["systolic"], "diastolic": row["diastolic"], "spo2": row["spo2"],
        "heart_rate": row["heart_rate"], "symptoms": loads(row["symptoms"], []), "source": row["source"],
    }


def assessment_view(row) -> dict | None:
    if row is None:
        return None
    return {"level": row["level"], "reasons": loads(row["reasons"], []),
            "instructions": loads(row["instructions"], []), "assessed_at": iso(row["assessed_at"])}


def current_episode(clinic: Clinic, patient_id: int):
    """The active episode, else the newest one."""
    return store.current_episode(clinic.db, patient_id)


def latest_assessment(clinic: Clinic, patient_id: int):
    return clinic.db.execute(
        "SELECT * FROM assessments WHERE patient_id = ? ORDER BY id DESC LIMIT 1", [patient_id]
    ).fetchone()


def patient_view(clinic: Clinic, patient_id: int, reading_limit: int = 200) -> dict:
    row = clinic.db.execute("SELECT * FROM patients WHERE id = ?", [patient_id]).fetchone()
    if row is None:
        raise NotFound(f"no patient {patient_id}", "patient_id")
    readings = clinic.db.execute(
        "SELECT * FROM readings WHERE patient_id = ? ORDER BY taken_at DESC, id DESC LIMIT ?",
        [patient_id, reading_limit],
    ).fetchall()
    return {
        "id": row["id"], "name": row["name"], "phone": row["phone"], "language": row["language"],
        "baseline_systolic": row["baseline_systolic"], "baseline_spo2": row["baseline_spo2"],
        "high_risk": bool(row["high_risk"]), "risk_factors": loads(row["risk_factors"], []),
        "checkin_interval_minutes": row["checkin_interval_minutes"], "opted_out_at": iso(row["opted_out_at"]),
        "mrn": row["mrn"], "birth_date": row["birth_date"],
        "episode": episode_view(current_episode(clinic, patient_id), row),
        "latest_assessment": assessment_view(latest_assessment(clinic, patient_id)),
        "readings": [reading_view(r) for r in readings],
        "caregivers": caregivers.caregivers_view(clinic, patient_id),
    }


def message_view(row) -> dict:
    return {
        "id": row["id"], "direction": row["direction"], "to": row["to_number"], "from": row["from_number"],
        "body": row["body"], "kind": row["kind"], "patient_id": row["patient_id"], "alert_id": row["alert_id"],
        "caregiver_id": row["caregiver_id"], "status": row["status"], "created_at": iso(row["created_at"]),
        "outcome": row["outcome"],  # a call's: acknowledged, passed, no_answer, machine, or null (CONTRACT 8)
    }


def list_messages(clinic: Clinic, patient_id: int | None = None, after_id: int = 0, limit: int = 1000) -> list[dict]:
    where, params = ["id > ?"], [after_id]
    if patient_id is not None:
        where.append("patient_id = ?")
        params.append(patient_id)
    rows = clinic.db.execute(
        f"SELECT * FROM messages WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", params + [limit]
    ).fetchall()
    return [message_view(row) for row in rows]


def list_patients(clinic: Clinic, active_only: bool = True) -> list[dict]:
    sql = ("SELECT DISTINCT p.id, p.name FROM patients p JOIN episodes e ON e.patient_id = p.id "
           + ("WHERE e.status = 'active' " if active_only else "") + "ORDER BY p.name")
    return [patient_view(clinic, row["id"], reading_limit=50) for row in clinic.db.execute(sql).fetchall()]
