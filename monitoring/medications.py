"""Doses given by staff (CONTRACT section 4): acetaminophen, dexamethasone, tocilizumab, anakinra, siltuximab."""
from __future__ import annotations

from datetime import timedelta

import triage
from monitoring import bodies
from monitoring.care import record_dose
from monitoring.clinic import Clinic, Conflict, NotFound, ValidationError
from monitoring.store import current_episode, from_text, to_text, transaction, utcnow
from triage.model import Dose


def give(clinic: Clinic, patient_id: int, body, staff: dict, form: bool = False) -> dict:
    """Record a dose given (body: monitoring.bodies.MedicationRequest; `form`: a posted form, errors in its
    words); a tocilizumab dose beyond the SOP's limits is refused (409, rule named)."""
    dose = bodies.parse(bodies.MedicationRequest, body, {"form": form, "tz": clinic.tz if form else None}, labels=form)
    name, dose_mg, weight_kg, given_at = dose.name, dose.dose_mg, dose.weight_kg, dose.given_at or utcnow()
    if given_at > utcnow() + timedelta(minutes=5):
        raise ValidationError("given_at is in the future", "given_at")
    if name == "tocilizumab" and dose_mg is None:
        if weight_kg is None:
            raise ValidationError("tocilizumab needs dose_mg or weight_kg (8 mg/kg IV, SOP 5)", "weight_kg")
        dose_mg = triage.tocilizumab_dose_mg(weight_kg)
    with transaction(clinic.db):
        patient = clinic.db.execute("SELECT * FROM patients WHERE id = ?", [patient_id]).fetchone()
        if patient is None:
            raise NotFound(f"no patient {patient_id}", "patient_id")
        episode = current_episode(clinic.db, patient_id)
        if name == "tocilizumab":
            refusal = refusal_of_tocilizumab(clinic, patient_id, episode, given_at)
            if refusal:
                raise Conflict(refusal, "name")
        medication_id = record_dose(clinic, patient, episode, name, given_at=given_at, dose_mg=dose_mg,
                                    source="staff", weight_kg=weight_kg, staff_id=staff.get("id"))
        clinic.audit(staff["name"], "medication.give", f"patient:{patient_id}", name=name, dose_mg=dose_mg)
    return {"id": medication_id, "patient_id": patient_id, "name": name, "dose_mg": dose_mg,
            "weight_kg": weight_kg, "given_at": given_at.isoformat()}


def _doses(rows) -> list[Dose]:
    return [Dose(name=row["name"], given_at=from_text(row["given_at"]), dose_mg=row["dose_mg"]) for row in rows]


def refusal_of_tocilizumab(clinic: Clinic, patient_id: int, episode, given_at) -> str | None:
    """A CRS event is the monitoring episode the dose falls in (see triage.tocilizumab). Only doses staff
    recorded count: a patient's text mentioning Actemra must never block real treatment."""
    event = clinic.db.execute(
        "SELECT * FROM medications WHERE name = 'tocilizumab' AND source = 'staff' AND episode_id = ?",
        [episode["id"] if episode else -1]).fetchall()
    recent = clinic.db.execute(
        "SELECT * FROM medications WHERE name = 'tocilizumab' AND source = 'staff' AND patient_id = ? "
        "AND given_at >= ?",
        [patient_id, to_text(given_at - timedelta(days=84))]).fetchall()
    return triage.tocilizumab_refusal(_doses(event), _doses(recent), given_at)


def list_doses(clinic: Clinic, patient_id: int) -> list[dict]:
    rows = clinic.db.execute(
        "SELECT * FROM medications WHERE patient_id = ? ORDER BY given_at DESC", [patient_id]).fetchall()
    return [{"id": r["id"], "name": r["name"], "dose_mg": r["dose_mg"], "weight_kg": r["weight_kg"],
             "given_at": from_text(r["given_at"]).isoformat(), "source": r["source"]} for r in rows]
