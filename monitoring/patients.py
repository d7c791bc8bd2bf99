"""Enrollment and step-up doses: a patient and their monitoring episodes."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from monitoring import bodies, caregivers
from monitoring.clinic import Clinic, Conflict, NotFound, ServiceError, ValidationError
from monitoring.field_rules import Context
from monitoring.rows import Episode, Patient
from monitoring.staff import new_token, token_hash
from monitoring.store import (
    active_episode,
    dumps,
    from_text,
    insert,
    patient_by_id,
    to_text,
    transaction,
)

ACTIVE_PHONE = "this phone already has an active monitoring episode"


def patient_with_mrn(clinic: Clinic, mrn: str) -> Patient | None:
    """The patient holding this MRN (the clinic's medical record number, unique), or None."""
    return Patient.maybe(clinic.db.execute("SELECT * FROM patients WHERE mrn = ?", [mrn]).fetchone())


def _mrn_taken(patient_id: int) -> Conflict:
    return Conflict(f"mrn already belongs to patient {patient_id}; record a new dose on that patient "
                    "instead of enrolling them again", "mrn")


def _context(clinic: Clinic, now: datetime, form: bool = False) -> Context:
    """What the enrollment rules need from the clinic: the SMS backend (fictional numbers), its date and zone."""
    return {"fictional_ok": clinic.config["sms"]["backend"] == "outbox", "today": clinic.local(now).date(),
            "tz": clinic.tz if form else None, "form": form}


def _enrollment_fields(clinic: Clinic, body: Any, now: datetime, labels: bool = False, form: bool = False
                       ) -> tuple[dict[str, Any], dict[str, ValidationError]]:
    """Each field checked on its own (monitoring.bodies.EnrollRequest), then what needs the clinic: (the values
    that passed, {field: its problem}) in checking order."""
    values, errors = bodies.check(bodies.EnrollRequest, body, _context(clinic, now, form), labels=labels)
    if "phone" in values:
        # A patient's phone may not be a staff or on-call phone: texts from it would be read as the
        # patient's, so that nurse could never ACK a page by text, and would get the patient's prompts.
        from monitoring.staff import staff_by_phone

        if (own := clinic.own_number(values["phone"])) is not None:
            values.pop("phone")
            errors["phone"] = ValidationError(own, "phone")
        elif staff_by_phone(clinic, values["phone"]) is not None:
            errors["phone"] = ValidationError(f"{values.pop('phone')} is a staff or on-call phone; a patient needs "
                                              "a phone of their own", "phone")
        elif (taken := caregivers.monitored_caregivers_phone(clinic, values["phone"])) is not None:
            values.pop("phone")
            errors["phone"] = ValidationError(taken, "phone")
    if values.get("monitoring_hours") is None and "monitoring_hours" not in errors:
        values["monitoring_hours"] = clinic.checkins["monitoring_hours"]
    if values.get("dose_given_at") is None and "dose_given_at" not in errors:
        values["dose_given_at"] = now
    for index, caregiver in enumerate(values.get("caregivers", [])):
        field = f"caregivers[{index}].phone"
        if caregiver.phone == values.get("phone"):
            errors.setdefault(field, ValidationError("a caregiver's phone must not be the patient's own phone", field))
        elif caregiver.phone in [other.phone for other in values["caregivers"][:index]]:
            errors.setdefault(field, ValidationError("the two caregivers need different phones", field))
        elif (taken := clinic.own_number(caregiver.phone)
              or caregivers.patients_own_phone(clinic, caregiver.phone)) is not None:
            errors.setdefault(field, ValidationError(taken, field))
    if "caregivers" in values:
        values["caregivers"] = [{**caregiver.model_dump(), "language": caregiver.language or values.get("language")
                                 or "en"} for caregiver in values["caregivers"]]
    return values, errors


def validate_enrollment(clinic: Clinic, body: Any, form: bool, now: datetime) -> dict[str, Any]:
    """The enrollment's values (monitoring.bodies.EnrollRequest's fields, `dose_given_at` an aware datetime
    defaulting to `now`, `monitoring_hours` to the clinic's); raises the first problem found as a
    ValidationError naming the field (enrollment_errors lists them all). `now` aware UTC from the caller's
    request."""
    values, errors = _enrollment_fields(clinic, body, now, labels=form, form=form)
    if errors:
        raise next(iter(errors.values()))
    return values


def enrollment_errors(clinic: Clinic, body: Any, now: datetime, form: bool = False) -> dict[str, ServiceError]:
    """Every problem enroll() would refuse `body` for, the first one of each field: {} when it would go
    ahead. For forms that show all their errors at once; enroll() and the API still stop at the first.
    A phone already being monitored is a Conflict on "phone". `form`: the body is a posted form
    (bodies.form_body) and the messages are in its words (the fields' labels). `now` aware UTC from the
    caller's request."""
    values, errors = _enrollment_fields(clinic, body, now, labels=form, form=form)
    problems: dict[str, ServiceError] = dict(errors)

    def worded(problem: ServiceError) -> ServiceError:
        if not form or problem.field not in bodies.EnrollRequest.model_fields:
            return problem
        message = problem.message
        if message.startswith(problem.field):
            message = (bodies.EnrollRequest.model_fields[problem.field].title or "") + message[len(problem.field):]
        message = message.replace("the clinic's missed_after_minutes", "the clinic’s “Count as missed "
                                  "after” setting")
        return type(problem)(message[:1].upper() + message[1:], problem.field)

    if form:  # the checks across caregivers say which caregiver, as the fields' own checks do ("Caregiver 1: cell ...")
        for field, problem in problems.items():
            row = re.fullmatch(r"caregivers\[(\d+)\]\.phone", field)
            if row and not problem.message.startswith("Caregiver"):
                message = problem.message[:1].upper() + problem.message[1:]
                problems[field] = type(problem)(f"Caregiver {int(row.group(1)) + 1}: {message}", field)
    if "dose_given_at" in values and "monitoring_hours" in values:
        try:
            check_dose_time(values["dose_given_at"], values["monitoring_hours"], "dose_given_at", now)
        except ValidationError as error:
            problems.setdefault("dose_given_at", worded(error))
    if values.get("checkin_interval_minutes") is not None:
        try:
            _check_interval(clinic, values["checkin_interval_minutes"])
        except ValidationError as error:
            problems.setdefault("checkin_interval_minutes", worded(error))
    if "phone" in values and active_episode_for_phone(clinic, values["phone"]):
        problems.setdefault("phone", worded(Conflict(ACTIVE_PHONE, "phone")))
    if values.get("mrn") and (holder := patient_with_mrn(clinic, values["mrn"])):
        problems.setdefault("mrn", worded(_mrn_taken(holder.id)))
    return problems


def _check_interval(clinic: Clinic, minutes: int | None) -> None:
    missed_after = clinic.checkins["missed_after_minutes"]
    if minutes is not None and minutes <= missed_after:
        # a shorter interval would re-prompt before a silence could ever count as missed
        raise ValidationError(f"checkin_interval_minutes must be longer than the clinic's missed_after_minutes "
                              f"({missed_after})", "checkin_interval_minutes")


def check_dose_time(given_at: datetime, hours: int, field: str, now: datetime) -> None:
    """A dose (`given_at`, aware) whose monitoring window of `hours` is already over at `now`, or more than a
    day ahead of it, is a typo: ValidationError naming `field`."""
    if given_at > now + timedelta(days=1):
        raise ValidationError(f"{field} is more than a day in the future", field)
    if given_at + timedelta(hours=hours) <= now:
        raise ValidationError(f"{field} is more than {hours} h ago: monitoring would already be over", field)


def enroll(clinic: Clinic, body: Any, actor: str, form: bool = False, *, now: datetime) -> dict[str, Any]:
    """Enroll a patient and open their first monitoring episode; the first check-in is due at `now` (aware
    UTC from the caller). `body` as monitoring.bodies.EnrollRequest describes it
    (`form`: a posted form, see enrollment_errors). Returns {"id", "patient_token" (shown once; only its hash
    is stored), "episode_id"}. Errors: ValidationError (400, the field named), Conflict (409: the phone is
    already monitored, or the MRN belongs to another patient)."""
    values = validate_enrollment(clinic, body, form, now)
    check_dose_time(values["dose_given_at"], values["monitoring_hours"], "dose_given_at", now)
    _check_interval(clinic, values["checkin_interval_minutes"])
    token = new_token("pt")
    with transaction(clinic.db):
        if active_episode_for_phone(clinic, values["phone"]):
            raise Conflict(ACTIVE_PHONE, "phone")
        if values["mrn"] and (holder := patient_with_mrn(clinic, values["mrn"])):
            raise _mrn_taken(holder.id)
        patient_id = insert(clinic.db, "patients", {
            "name": values["name"], "phone": values["phone"], "language": values["language"],
            "token_hash": token_hash(token), "baseline_systolic": values["baseline_systolic"],
            "baseline_spo2": values["baseline_spo2"], "high_risk": int(values["high_risk"]),
            "risk_factors": dumps(values["risk_factors"]),
            "checkin_interval_minutes": values["checkin_interval_minutes"], "created_at": to_text(now),
            "mrn": values["mrn"], "birth_date": values["birth_date"],
        })
        episode_id = _open_episode(clinic, patient_id, values["therapy"], values["dose_given_at"],
                                   values["monitoring_hours"], now)
        clinic.audit(actor, "patient.enroll", f"patient:{patient_id}", episode=episode_id)
        patient = patient_by_id(clinic.db, patient_id)
        assert patient is not None  # inserted just above, in this transaction
        for caregiver in values["caregivers"]:
            caregivers.insert_caregiver(clinic, patient, caregiver, actor, now)
    return {"id": patient_id, "patient_token": token, "episode_id": episode_id}


def _open_episode(clinic: Clinic, patient_id: int, therapy: str, dose_given_at: datetime, hours: int,
                  now: datetime) -> int:
    return insert(clinic.db, "episodes", {
        "patient_id": patient_id, "therapy": therapy, "dose_given_at": to_text(dose_given_at),
        "ends_at": to_text(dose_given_at + timedelta(hours=hours)), "status": "active",
        "next_checkin_at": to_text(now), "created_at": to_text(now),
    })


def patient_for_phone(clinic: Clinic, phone: str) -> Patient | None:
    """The patient whose own phone (E.164) this is: the one in an active episode, else the newest patient with it;
    None when no patient has it. A phone is in at most one active episode (enroll refuses a second)."""
    return Patient.maybe(clinic.db.execute(
        "SELECT p.* FROM patients p LEFT JOIN episodes e ON e.patient_id = p.id AND e.status = 'active' "
        "WHERE p.phone = ? ORDER BY e.id IS NULL, p.id DESC LIMIT 1", [phone]).fetchone())


def active_episode_for_phone(clinic: Clinic, phone: str) -> Episode | None:
    """The active episode of the patient whose phone (E.164) this is, or None (store.active_episode)."""
    patient = patient_for_phone(clinic, phone)
    return None if patient is None else active_episode(clinic.db, patient.id)


def new_dose(clinic: Clinic, patient_id: int, body: Any, actor: str, form: bool = False, *,
             now: datetime) -> dict[str, Any]:
    """A new step-up dose (body: monitoring.bodies.DoseRequest; `form`: a posted form, errors in its words):
    close the current episode and open a new one, its first check-in due at `now` (aware UTC from the caller).
    The new window is the dose's `monitoring_hours`, else as long as the last one.
    Returns {"patient_id", "episode_id"}. Errors: ValidationError (400), NotFound (404)."""
    dose = bodies.parse(bodies.DoseRequest, body, {"form": form, "tz": clinic.tz if form else None}, labels=form)
    therapy, given_at = dose.therapy, dose.given_at or now
    with transaction(clinic.db):
        if patient_by_id(clinic.db, patient_id) is None:
            raise NotFound(f"no patient {patient_id}", "patient_id")
        last = clinic.db.execute(
            "SELECT dose_given_at, ends_at FROM episodes WHERE patient_id = ? ORDER BY id DESC LIMIT 1",
            [patient_id]).fetchone()
        # the length the patient was enrolled with, unless this dose says otherwise
        hours = dose.monitoring_hours or (
            round((from_text(last["ends_at"]) - from_text(last["dose_given_at"])).total_seconds() / 3600)
            if last else clinic.checkins["monitoring_hours"])
        check_dose_time(given_at, hours, "given_at", now)
        clinic.db.execute(
            "UPDATE episodes SET status = 'ended', ended_at = ?, next_checkin_at = NULL, checkin_sent_at = NULL "
            "WHERE patient_id = ? AND status = 'active'", [to_text(now), patient_id])
        episode_id = _open_episode(clinic, patient_id, therapy, given_at, hours, now)
        clinic.audit(actor, "patient.dose", f"patient:{patient_id}", episode=episode_id, therapy=therapy)
    return {"patient_id": patient_id, "episode_id": episode_id}


def patient_by_token(clinic: Clinic, token: str) -> Patient | None:
    """The patient whose app token (the bearer token enroll returned) this is, or None."""
    return Patient.maybe(clinic.db.execute("SELECT * FROM patients WHERE token_hash = ?",
                                           [token_hash(token)]).fetchone())
