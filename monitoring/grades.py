"""ASTCT grades recorded on a patient: the grade, its inputs, who graded and when (on the timeline)."""
from __future__ import annotations

from typing import Any

import triage
from monitoring import bodies
from monitoring.clinic import Clinic, NotFound, ValidationError
from monitoring.store import current_episode, dumps, insert, patient_by_id, to_text, transaction, utcnow


def record_grade(clinic: Clinic, patient_id: int, inputs: dict[str, Any], graded: dict[str, Any], actor: str) -> int:
    """Store a grade from an in-person evaluation (SOP 4 grading table) on the patient's current episode.

    `inputs`: the grading body (temperature_c, fever_masked, hypotension, vasopressors, vasopressin, oxygen,
    oxygen_lpm, and the temperature as entered: temperature_entered, temperature_unit); `graded`: {"grade",
    "driver"} from triage.grade. Returns the row id; NotFound for an unknown patient."""
    with transaction(clinic.db):
        if patient_by_id(clinic.db, patient_id) is None:
            raise NotFound(f"no patient {patient_id}", "patient_id")
        episode = current_episode(clinic.db, patient_id)
        grade_id = insert(clinic.db, "grades", {
            "patient_id": patient_id, "episode_id": episode.id if episode else None, "grade": graded["grade"],
            "driver": graded["driver"], "inputs": dumps(inputs), "graded_by": actor, "graded_at": to_text(utcnow())})
        clinic.audit(actor, "patient.grade", f"patient:{patient_id}", grade=graded["grade"], grade_id=grade_id)
    return grade_id


def grades_for(clinic: Clinic, patient_id: int, episode_id: int | None = None) -> list[dict[str, Any]]:
    """Recorded grades oldest first: {"id", "grade", "driver", "inputs", "graded_by", "graded_at"}."""
    from monitoring.store import from_text, loads

    sql, params = "SELECT * FROM grades WHERE patient_id = ?", [patient_id]
    if episode_id is not None:
        sql += " AND episode_id = ?"
        params.append(episode_id)
    return [{"id": row["id"], "grade": row["grade"], "driver": row["driver"], "inputs": loads(row["inputs"], {}),
             "graded_by": row["graded_by"], "graded_at": from_text(row["graded_at"])}
            for row in clinic.db.execute(sql + " ORDER BY id", params)]


def grade_body(body: dict[str, Any]) -> dict[str, Any]:
    """ASTCT grading (SOP 4 grading table, triage.grade) from a request body (monitoring.bodies.GradeRequest:
    temperature_c, fever_masked, hypotension, vasopressors (0-2), vasopressin, oxygen (one of OXYGEN),
    oxygen_lpm). Returns {"grade", "driver", "management"}; ValidationError naming the field for a bad one.
    Shared by the staff API and the dashboard form."""
    asked = bodies.parse(bodies.GradeRequest, body)
    try:
        graded = triage.grade(**asked.model_dump())
    except ValueError as error:
        message = str(error)
        field = next((name for name in ("temperature_c", "oxygen_lpm") if name in message), "body")
        raise ValidationError(message, field) from None
    return {"grade": graded.grade, "driver": graded.driver, "management": list(graded.management)}
