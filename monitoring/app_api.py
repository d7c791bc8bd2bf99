"""The patient app's road into care: the same triage as a text, answered in JSON instead of SMS."""
from __future__ import annotations

from datetime import datetime, timedelta

import triage
from monitoring import bodies, care, views
from monitoring.clinic import Clinic, Conflict, ValidationError
from monitoring.rows import Episode, Patient
from monitoring.store import active_episode, transaction, utcnow
from triage.model import Assessment
from triage.ranges import temperature_celsius, temperature_unit

WHOLE_NUMBERS = ("systolic", "diastolic", "spo2", "heart_rate")


def _active_episode(clinic: Clinic, patient: Patient) -> Episode:
    episode = active_episode(clinic.db, patient.id)
    if episode is None:
        raise Conflict("monitoring has ended for you; call the clinic if you feel unwell", "episode")
    return episode


def taken_at(body: dict):
    """When the reading or dose was taken (now when not given); a time in the future is refused."""
    taken_at = bodies.parse(bodies.ReadingRequest, body).taken_at or utcnow()
    if taken_at > utcnow() + timedelta(minutes=5):
        raise ValidationError("taken_at is in the future", "taken_at")
    return taken_at


def to_celsius(value: float, unit: str | None) -> float | None:
    """Degrees C from an app or device temperature, by triage.ranges (the one source, issue 14 fault 5): no
    unit means the range decides (C at 34-43, F at 93.2-109.4); F is rounded half up to 0.01 C, exactly as a
    text is read, so an app reading and the same number texted are triaged alike. None when the number
    fits neither range."""
    return temperature_celsius(value, unit)


def reading_values(body) -> dict:
    """Validate an app reading body (monitoring.bodies.ReadingRequest); implausible values are kept out and
    named, as for a text."""
    reading = bodies.parse(bodies.ReadingRequest, body)
    values: dict = {"implausible": set(), "symptoms": set(reading.symptoms)}
    if reading.temperature is not None:
        value, unit = reading.temperature.value, reading.temperature.unit
        celsius = to_celsius(value, unit)
        if celsius is not None and triage.plausible("temperature_c", celsius):
            values["temperature_c"] = celsius
            # as given, for the record (the FHIR Observation keeps the patient's own unit)
            values["temperature_given"] = value
            values["temperature_unit"] = unit or temperature_unit(value)
        else:
            values["implausible"].add("temperature_c")
    for field in WHOLE_NUMBERS:
        value = getattr(reading, field)
        if value is None:
            continue
        if triage.plausible(field, value):
            values[field] = value
        else:
            values["implausible"].add(field)
    if not (set(values) - {"implausible", "symptoms"}) and not values["symptoms"] and not values["implausible"]:
        raise ValidationError("send at least one value: temperature, systolic, spo2, heart_rate or symptoms", "body")
    return values


def submit_reading(clinic: Clinic, patient, body) -> dict:
    values = reading_values(body)
    assessment, next_checkin = record(clinic, patient, values, taken_at(body))
    return _answer(clinic, patient, assessment, next_checkin)


def record(clinic: Clinic, patient, values: dict, taken: datetime, source: str = "app") -> tuple[Assessment, datetime]:
    """Triage one reading (`values` as reading_values returns them) in the patient's active episode: the road
    the app takes, and device Observations too (monitoring.device_readings). Joins the caller's transaction.
    Raises Conflict when monitoring has ended."""
    with transaction(clinic.db):
        episode = _active_episode(clinic, patient)
        # the app shows the patient every instruction, so the nurse's page repeats them all
        return care.record_reading(clinic, patient, episode, values, taken_at=taken, source=source,
                                   shown="app" if source == "app" else "text")


def submit_medication(clinic: Clinic, patient, body) -> dict:
    dose = bodies.parse(bodies.PatientMedicationRequest, body)
    dose_mg, given_at = dose.dose_mg, dose.taken_at or utcnow()
    if given_at > utcnow() + timedelta(minutes=5):
        raise ValidationError("taken_at is in the future", "taken_at")
    with transaction(clinic.db):
        episode = _active_episode(clinic, patient)
        assessment = care.patient_acetaminophen(clinic, patient, episode, given_at=given_at, dose_mg=dose_mg,
                                                asking=False, source="app")
        next_checkin = care.answer_checkin(clinic, patient, episode)
    return _answer(clinic, patient, assessment, next_checkin)


def _answer(clinic: Clinic, patient, assessment, next_checkin) -> dict:
    return {"assessment": {
        "level": assessment.level, "reasons": list(assessment.reasons),
        "instructions": care.instruction_texts(clinic, patient, assessment, next_checkin),
        "instruction_keys": list(assessment.instructions),
        "next_acetaminophen_at": assessment.next_acetaminophen_at.isoformat()
        if assessment.next_acetaminophen_at else None,
    }, "next_checkin_at": next_checkin.isoformat()}


def me(clinic: Clinic, patient) -> dict:
    view = views.patient_view(clinic, patient.id, reading_limit=50)
    episode = view["episode"]
    return {"id": view["id"], "name": view["name"], "language": view["language"], "episode": episode,
            "latest_assessment": view["latest_assessment"],
            "next_checkin_at": episode["next_checkin_at"] if episode else None, "readings": view["readings"]}
