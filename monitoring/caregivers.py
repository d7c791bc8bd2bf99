"""Caregivers: up to two people who may answer for a patient and get the texts that matter most.

Issue 13 (CONTRACT section 8). A caregiver is enrolled with the patient or added later, gets an
explanation text when added (who writes, why, that they may answer, STOP; and the SOP's safety-net
signs with the clinic's phone), answers check-ins for the patient (monitoring.caregiver_texts),
gets urgent replies, missed-check-in reminders and the episode's end (monitoring.care), and the daily
neuro check (monitoring.neuro_checks). Removing one keeps the row (`removed_at`) so the texts they
wrote keep their sender.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from monitoring import bodies, care
from monitoring.bodies import MAX_CAREGIVERS
from monitoring.clinic import Clinic, Conflict, NotFound, ValidationError
from monitoring.rows import Patient
from monitoring.store import from_text, insert, patient_by_id, patient_name_by_phone, to_text, transaction

FIELDS = tuple(bodies.CaregiverRequest.model_fields)


def caregiver_view(row: sqlite3.Row) -> dict[str, Any]:
    """A caregivers row as the API shows it: {"id", "name", "phone" (E.164), "language", "relationship",
    "opted_out_at" (ISO 8601 or None)} (CONTRACT section 8)."""
    opted_out = from_text(row["opted_out_at"])
    return {"id": row["id"], "name": row["name"], "phone": row["phone"], "language": row["language"],
            "relationship": row["relationship"], "opted_out_at": opted_out.isoformat() if opted_out else None}


def insert_caregiver(clinic: Clinic, patient: Patient, values: dict[str, Any], actor: str,
                     now: datetime) -> int:
    """Store a caregiver of `patient` (`values`: {"name", "phone" E.164, "language", "relationship"}, checked
    by monitoring.bodies.CaregiverRequest) and queue their explanation texts, inside the caller's transaction.
    `now` aware UTC from the caller's request. Returns the caregiver's id."""
    caregiver_id = insert(clinic.db, "caregivers", {
        "patient_id": patient.id, "name": values["name"], "phone": values["phone"],
        "language": values["language"], "relationship": values["relationship"], "created_at": to_text(now),
    })
    clinic.audit(actor, "caregiver.add", f"patient:{patient.id}", caregiver=caregiver_id)
    caregiver = clinic.db.execute("SELECT * FROM caregivers WHERE id = ?", [caregiver_id]).fetchone()
    values = care.text_values(clinic, language=caregiver["language"], now=now)
    # Who writes, why, that they may answer, STOP; then the SOP 5 Grade 1 home safety net (SOP line 64:
    # "recontact the clinic urgently or present to ED if ...") with the clinic's phone.
    care.text_caregiver(clinic, caregiver, patient, "caregiver_welcome", values, now=now)
    care.text_caregiver(clinic, caregiver, patient, "caregiver_signs", values, now=now)
    return caregiver_id


def patients_own_phone(clinic: Clinic, phone: str) -> str | None:
    """Why `phone` (E.164) cannot be a caregiver's: it is a patient's own phone, whose texts are always read as that
    patient's (monitoring.inbound reads the patient first), never as a caregiver's; else None."""
    patient = patient_name_by_phone(clinic.db, phone)
    if patient is None:
        return None
    return f"{phone} is the phone of patient {patient}: texts from it are read as theirs, never as a caregiver's"


def monitored_caregivers_phone(clinic: Clinic, phone: str) -> str | None:
    """Why `phone` (E.164) cannot be a new patient's own: a caregiver of a patient being monitored has it, and
    once it is a patient's, that caregiver's answers would be read as the new patient's; else None."""
    row = clinic.db.execute(
        "SELECT c.name AS caregiver, p.name AS patient FROM caregivers c JOIN patients p ON p.id = c.patient_id "
        "WHERE c.phone = ? AND c.removed_at IS NULL AND EXISTS (SELECT 1 FROM episodes e WHERE e.patient_id = "
        "c.patient_id AND e.status = 'active') ORDER BY c.id DESC LIMIT 1", [phone]).fetchone()
    if row is None:
        return None
    return (f"{phone} is the phone of {row['caregiver']}, caregiver of {row['patient']}; a patient needs a phone of "
            "their own (or remove that caregiver first)")


def add(clinic: Clinic, patient_id: int, body: Any, actor: str, now: datetime, form: bool = False) -> dict[str, Any]:
    """POST /api/v1/patients/<id>/caregivers: add one (monitoring.bodies.CaregiverRequest); 409 past MAX_CAREGIVERS
    or for a phone already caring for this patient, 400 (ValidationError naming the field) for a bad body or the
    patient's own phone, 404 for no patient. Returns the caregiver's view (caregiver_view). `now` aware UTC
    from the caller. `form`: errors in the form's words."""
    with transaction(clinic.db):
        patient = patient_by_id(clinic.db, patient_id)
        if patient is None:
            raise NotFound(f"no patient {patient_id}", "patient_id")
        caregiver = bodies.parse(bodies.CaregiverRequest, body, {"form": form}, labels=form)
        values = {**caregiver.model_dump(), "language": caregiver.language or patient.language}
        if values["phone"] == patient.phone:
            raise ValidationError(f"{'A' if form else 'a'} caregiver's phone must not be the patient's own phone", "phone")
        if (taken := clinic.own_number(values["phone"]) or patients_own_phone(clinic, values["phone"])) is not None:
            raise ValidationError(taken, "phone")
        current = care.caregivers_of(clinic, patient_id, reachable=False)
        if len(current) >= MAX_CAREGIVERS:
            raise Conflict(f"a patient has at most {MAX_CAREGIVERS} caregivers; remove one first", "caregivers")
        if any(row["phone"] == values["phone"] for row in current):
            raise Conflict("this phone is already a caregiver for this patient", "phone")
        caregiver_id = insert_caregiver(clinic, patient, values, actor, now)
        return caregiver_view(clinic.db.execute("SELECT * FROM caregivers WHERE id = ?", [caregiver_id]).fetchone())


def remove(clinic: Clinic, patient_id: int, caregiver_id: int, actor: str, now: datetime) -> None:
    """DELETE /api/v1/patients/<id>/caregivers/<caregiver_id>: they get no more texts from `now` (aware UTC,
    from the caller); their past texts keep their name. NotFound (404) for a caregiver not (or no longer) this
    patient's."""
    with transaction(clinic.db):
        removed = clinic.db.execute(
            "UPDATE caregivers SET removed_at = ? WHERE id = ? AND patient_id = ? AND removed_at IS NULL",
            [to_text(now), caregiver_id, patient_id]).rowcount
        if not removed:
            raise NotFound(f"patient {patient_id} has no caregiver {caregiver_id}", "caregiver_id")
        clinic.audit(actor, "caregiver.remove", f"patient:{patient_id}", caregiver=caregiver_id)


def caregivers_view(clinic: Clinic, patient_id: int) -> list[dict[str, Any]]:
    """The patient's caregivers, removed ones left out, oldest first, as caregiver_view shows each."""
    return [caregiver_view(row) for row in care.caregivers_of(clinic, patient_id, reachable=False)]
