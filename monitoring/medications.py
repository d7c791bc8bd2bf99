"""Doses given by staff (CONTRACT section 4): acetaminophen, dexamethasone, tocilizumab, anakinra, siltuximab."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import triage
from monitoring import bodies
from monitoring.care import record_dose
from monitoring.clinic import Clinic, Conflict, NotFound, ValidationError
from monitoring.rows import Episode
from monitoring.store import current_episode, from_text, patient_by_id, to_text, transaction
from triage.model import Dose


def give(clinic: Clinic, patient_id: int, body: Any, staff: Mapping[str, Any], now: datetime,
         form: bool = False) -> dict[str, Any]:
    """Record a dose given by `staff` ({"id", "name"}) at `now` (aware UTC, from the caller; the dose's
    `given_at` defaults to it and may be at most 5 minutes after it). `body` as monitoring.bodies.MedicationRequest
    describes it (`form`: a posted form, errors in its words). Tocilizumab without dose_mg is 8 mg/kg of
    weight_kg (SOP line 73); a tocilizumab dose beyond the SOP's limits (line 73: twice per CRS event, 8 h
    apart, three times in 6 weeks) is refused. Returns {"id", "patient_id", "name", "dose_mg", "weight_kg",
    "given_at" (ISO)}. Errors: ValidationError (400), NotFound (404), Conflict (409, the rule named)."""
    dose = bodies.parse(bodies.MedicationRequest, body, {"form": form, "tz": clinic.tz if form else None}, labels=form)
    name, dose_mg, weight_kg, given_at = dose.name, dose.dose_mg, dose.weight_kg, dose.given_at or now
    if given_at > now + timedelta(minutes=5):
        raise ValidationError("given_at is in the future", "given_at")
    if name == "tocilizumab" and dose_mg is None:
        if weight_kg is None:
            raise ValidationError("tocilizumab needs dose_mg or weight_kg (8 mg/kg IV, SOP 5)", "weight_kg")
        dose_mg = triage.tocilizumab_dose_mg(weight_kg)
    with transaction(clinic.db):
        patient = patient_by_id(clinic.db, patient_id)
        if patient is None:
            raise NotFound(f"no patient {patient_id}", "patient_id")
        episode = current_episode(clinic.db, patient_id)
        if name == "tocilizumab":
            refusal = refusal_of_tocilizumab(clinic, patient_id, episode, given_at)
            if refusal:
                raise Conflict(refusal, "name")
        medication_id = record_dose(clinic, patient, episode, name, given_at=given_at, dose_mg=dose_mg,
                                    source="staff", weight_kg=weight_kg, staff_id=staff.get("id"), now=now)
        clinic.audit(staff["name"], "medication.give", f"patient:{patient_id}", name=name, dose_mg=dose_mg)
    return {"id": medication_id, "patient_id": patient_id, "name": name, "dose_mg": dose_mg,
            "weight_kg": weight_kg, "given_at": given_at.isoformat()}


def _doses(rows: Iterable[sqlite3.Row]) -> list[Dose]:
    return [Dose(name=row["name"], given_at=from_text(row["given_at"]), dose_mg=row["dose_mg"]) for row in rows]


def refusal_of_tocilizumab(clinic: Clinic, patient_id: int, episode: Episode | None, given_at: datetime) -> str | None:
    """Why a tocilizumab dose at `given_at` (aware UTC) would break SOP line 73 (no more than twice per CRS
    event, at least 8 h apart, or 3 times within 6 weeks), as triage.tocilizumab_refusal words it; None when it
    may be given. A CRS event is the monitoring episode the dose falls in (`episode`; None: no episode, so no
    dose in the event). Only doses staff recorded count: a patient's text mentioning Actemra must never block
    real treatment."""
    event = clinic.db.execute(
        "SELECT * FROM medications WHERE name = 'tocilizumab' AND source = 'staff' AND episode_id = ?",
        [episode.id if episode else -1]).fetchall()
    recent = clinic.db.execute(
        "SELECT * FROM medications WHERE name = 'tocilizumab' AND source = 'staff' AND patient_id = ? "
        "AND given_at >= ?",
        [patient_id, to_text(given_at - timedelta(days=84))]).fetchall()
    return triage.tocilizumab_refusal(_doses(event), _doses(recent), given_at)


def list_doses(clinic: Clinic, patient_id: int) -> list[dict[str, Any]]:
    """Every dose recorded for the patient (by staff, or reported by the patient), newest first:
    [{"id", "name", "dose_mg" (mg or None), "weight_kg" (kg or None), "given_at" (ISO 8601 UTC), "source"}]."""
    rows = clinic.db.execute(
        "SELECT * FROM medications WHERE patient_id = ? ORDER BY given_at DESC", [patient_id]).fetchall()
    return [{"id": r["id"], "name": r["name"], "dose_mg": r["dose_mg"], "weight_kg": r["weight_kg"],
             "given_at": from_text(r["given_at"]).isoformat(), "source": r["source"]} for r in rows]
