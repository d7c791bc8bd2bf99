"""Enrollment and step-up doses: a patient and their monitoring episodes."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import phonenumbers

from monitoring import caregivers
from monitoring.clinic import Clinic, Conflict, NotFound, ServiceError, ValidationError
from monitoring.config import _is_example_number as is_fictional  # NANP 555-0100..0199, reserved for fiction
from monitoring.staff import new_token, token_hash
from monitoring.store import dumps, from_text, insert, to_text, transaction, utcnow
from triage import PROFILE_RANGES

ENROLL_FIELDS = {"name", "phone", "language", "therapy", "dose_given_at", "baseline_systolic", "baseline_spo2",
                 "high_risk", "risk_factors", "monitoring_hours", "checkin_interval_minutes", "caregivers", "mrn",
                 "birth_date"}
LANGUAGES = ("en", "es")
ACTIVE_PHONE = "this phone already has an active monitoring episode"
# Times outside these years are typos, and years 1 or 9999 overflow the time arithmetic (a 500).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# A medical record number as EHRs print them: letters, digits and a few separators, at most 40 characters.
MRN_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]{0,39}")
EARLIEST_BIRTH = date(1900, 1, 1)


def normalise_phone(value, field: str = "phone", *, fictional_ok: bool = True) -> str:
    """E.164 through phonenumbers; a number without + is read as a US number. A number that cannot exist
    (phonenumbers.is_valid_number: "555-1234" would be +15551234) is refused; the fictional 555-01xx range
    passes only where `fictional_ok` (enrollment: the outbox backend, for demos and tests)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a phone number in E.164 form, like +15555550199", field)
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{field} {value!r} is not a phone number; use E.164 like +15555550199", field) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(f"{field} {value!r} is not a possible phone number; use E.164 like +15555550199", field)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if is_fictional(e164):
        if not fictional_ok:
            raise ValidationError(f"{field} {value!r} is a fictional 555-01xx number: texts to it go nowhere; "
                                  "such numbers work only with the outbox (demo) backend", field)
        return e164
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{field} {value!r} is not a phone number that can exist; check the area code and "
                              "digits (E.164 like +13125550142)", field)
    return e164


def parse_time(value, field: str, default: datetime | None = None) -> datetime:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be an ISO 8601 time with offset, like 2026-03-03T10:00:00-06:00", field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{field} {value!r} is not an ISO 8601 time", field) from None
    if moment.tzinfo is None:
        raise ValidationError(f"{field} must carry its UTC offset, like 2026-03-03T10:00:00-06:00", field)
    if not EARLIEST <= moment < LATEST:
        raise ValidationError(f"{field} {value!r} is outside the years 2000-2099", field)
    return moment


def parse_mrn(value, field: str = "mrn") -> str | None:
    """The medical record number, stripped; None when absent or blank. Unique among patients (enroll checks).
    Shown on staff pages only, never in a text (DESIGN: nurse pages carry no name or date of birth)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not MRN_PATTERN.fullmatch(value.strip()):
        raise ValidationError(f"{field} must be the medical record number: letters, digits, '-', '.' or '/', "
                              "at most 40 characters", field)
    return value.strip()


def parse_birth_date(value, today: date, field: str = "birth_date") -> str | None:
    """A date of birth as ISO text, YYYY-MM-DD; None when absent or blank. Not after `today`, not before 1900."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValidationError(f"{field} must be a date like 1956-04-17 (year-month-day)", field)
    try:
        born = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{field} {value.strip()!r} is not a date on the calendar", field) from None
    if born > today:
        raise ValidationError(f"{field} is in the future", field)
    if born < EARLIEST_BIRTH:
        raise ValidationError(f"{field} is before 1900", field)
    return born.isoformat()


def patient_with_mrn(clinic: Clinic, mrn: str):
    """The patient row holding this MRN, or None."""
    return clinic.db.execute("SELECT * FROM patients WHERE mrn = ?", [mrn]).fetchone()


def _mrn_taken(patient_id: int) -> Conflict:
    return Conflict(f"mrn already belongs to patient {patient_id}; record a new dose on that patient "
                    "instead of enrolling them again", "mrn")


def _int_in(body: dict, field: str, low: int, high: int) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number between {low} and {high}", field)
    if not low <= value <= high:
        raise ValidationError(f"{field} must be between {low} and {high}, not {value}", field)
    return value


def _text(body: dict, field: str, required: bool = True, limit: int = 200) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} is required and must be text", field)
    if len(value) > limit:
        raise ValidationError(f"{field} must be at most {limit} characters", field)
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError(f"{field} must not contain control characters", field)
    return value.strip()


def validate_enrollment(clinic: Clinic, body) -> dict:
    """The enrollment's values; raises the first problem found (enrollment_errors lists them all)."""
    values, errors = _enrollment_fields(clinic, body)
    if errors:
        raise next(iter(errors.values()))
    return values


def _not_a_staff_phone(clinic: Clinic, phone: str) -> str:
    """A patient's phone may not be a staff or on-call phone: texts from it would be read as the
    patient's, so that nurse could never ACK a page by text, and would get the patient's prompts."""
    from monitoring.staff import staff_by_phone

    if phone and staff_by_phone(clinic, phone) is not None:
        raise ValidationError(f"{phone} is a staff or on-call phone; a patient needs a phone of their own", "phone")
    return phone


def _enrollment_fields(clinic: Clinic, body) -> tuple[dict, dict[str, ValidationError]]:
    """Each field checked on its own: (the values that passed, {field: its problem}) in checking order."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", "body")
    values: dict = {}
    errors: dict[str, ValidationError] = {}

    def check(field: str, parse) -> None:
        try:
            values[field] = parse()
        except ValidationError as error:
            errors.setdefault(error.field or field, error)

    unknown = sorted(set(body) - ENROLL_FIELDS)
    if unknown:
        errors[unknown[0]] = ValidationError(
            f"unknown field {unknown[0]!r}; known: {', '.join(sorted(ENROLL_FIELDS))}", unknown[0])
    check("language", lambda: _choice(body.get("language", "en"), LANGUAGES,
                                      ValidationError("language must be 'en' or 'es'", "language")))
    check("high_risk", lambda: _boolean(body.get("high_risk", False), "high_risk"))
    check("risk_factors", lambda: _strings(body.get("risk_factors", []), "risk_factors"))
    low_sbp, high_sbp = PROFILE_RANGES["baseline_systolic"]
    low_spo2, high_spo2 = PROFILE_RANGES["baseline_spo2"]
    check("name", lambda: _text(body, "name"))
    check("phone", lambda: _not_a_staff_phone(clinic, normalise_phone(
        body.get("phone"), fictional_ok=clinic.config["sms"]["backend"] == "outbox")))
    check("therapy", lambda: _text(body, "therapy"))
    check("dose_given_at", lambda: parse_time(body.get("dose_given_at"), "dose_given_at", default=utcnow()))
    check("baseline_systolic", lambda: _int_in(body, "baseline_systolic", int(low_sbp), int(high_sbp)))
    check("baseline_spo2", lambda: _int_in(body, "baseline_spo2", int(low_spo2), int(high_spo2)))
    check("monitoring_hours", lambda: _int_in(body, "monitoring_hours", 1, 24 * 14)
          or clinic.checkins["monitoring_hours"])
    check("checkin_interval_minutes", lambda: _int_in(body, "checkin_interval_minutes", 15, 240))
    check("caregivers", lambda: caregivers.validate_list(body.get("caregivers"), values.get("phone"),
                                                         values.get("language", "en")))
    check("mrn", lambda: parse_mrn(body.get("mrn")))
    check("birth_date", lambda: parse_birth_date(body.get("birth_date"), clinic.local(utcnow()).date()))
    if "risk_factors" in values:
        values["risk_factors"] = [item.strip() for item in values["risk_factors"] if item.strip()]
    return values, errors


def _choice(value, allowed: tuple, error: ValidationError):
    if value not in allowed:
        raise error
    return value


def _boolean(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{field} must be true or false", field)
    return value


def _strings(value, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"{field} must be a list of strings", field)
    return value


def enrollment_errors(clinic: Clinic, body) -> dict[str, ServiceError]:
    """Every problem enroll() would refuse `body` for, the first one of each field: {} when it would go
    ahead. For forms that show all their errors at once; enroll() and the API still stop at the first.
    A phone already being monitored is a Conflict on "phone"."""
    values, errors = _enrollment_fields(clinic, body)
    problems: dict[str, ServiceError] = dict(errors)
    if "dose_given_at" in values and "monitoring_hours" in values:
        try:
            check_dose_time(values["dose_given_at"], values["monitoring_hours"], "dose_given_at")
        except ValidationError as error:
            problems.setdefault("dose_given_at", error)
    if values.get("checkin_interval_minutes") is not None:
        try:
            _check_interval(clinic, values["checkin_interval_minutes"])
        except ValidationError as error:
            problems.setdefault("checkin_interval_minutes", error)
    if "phone" in values and active_episode_for_phone(clinic, values["phone"]):
        problems.setdefault("phone", Conflict(ACTIVE_PHONE, "phone"))
    if values.get("mrn") and (holder := patient_with_mrn(clinic, values["mrn"])):
        problems.setdefault("mrn", _mrn_taken(holder["id"]))
    return problems


def _check_interval(clinic: Clinic, minutes: int | None) -> None:
    missed_after = clinic.checkins["missed_after_minutes"]
    if minutes is not None and minutes <= missed_after:
        # a shorter interval would re-prompt before a silence could ever count as missed
        raise ValidationError(f"checkin_interval_minutes must be longer than the clinic's missed_after_minutes "
                              f"({missed_after})", "checkin_interval_minutes")


def check_dose_time(given_at: datetime, hours: int, field: str) -> None:
    """A dose whose monitoring window is already over, or more than a day ahead, is a typo."""
    now = utcnow()
    if given_at > now + timedelta(days=1):
        raise ValidationError(f"{field} is more than a day in the future", field)
    if given_at + timedelta(hours=hours) <= now:
        raise ValidationError(f"{field} is more than {hours} h ago: monitoring would already be over", field)


def enroll(clinic: Clinic, body, actor: str) -> dict:
    """Enroll a patient and open their first monitoring episode; the first check-in is due now."""
    values = validate_enrollment(clinic, body)
    check_dose_time(values["dose_given_at"], values["monitoring_hours"], "dose_given_at")
    _check_interval(clinic, values["checkin_interval_minutes"])
    token = new_token("pt")
    now = utcnow()
    with transaction(clinic.db):
        if active_episode_for_phone(clinic, values["phone"]):
            raise Conflict(ACTIVE_PHONE, "phone")
        if values["mrn"] and (holder := patient_with_mrn(clinic, values["mrn"])):
            raise _mrn_taken(holder["id"])
        patient_id = insert(clinic.db, "patients", {
            "name": values["name"], "phone": values["phone"], "language": values["language"],
            "token_hash": token_hash(token), "baseline_systolic": values["baseline_systolic"],
            "baseline_spo2": values["baseline_spo2"], "high_risk": int(values["high_risk"]),
            "risk_factors": dumps(values["risk_factors"]),
            "checkin_interval_minutes": values["checkin_interval_minutes"], "created_at": to_text(now),
            "mrn": values["mrn"], "birth_date": values["birth_date"],
        })
        episode_id = _open_episode(clinic, patient_id, values["therapy"], values["dose_given_at"],
                                   values["monitoring_hours"])
        clinic.audit(actor, "patient.enroll", f"patient:{patient_id}", episode=episode_id)
        patient = clinic.db.execute("SELECT * FROM patients WHERE id = ?", [patient_id]).fetchone()
        for caregiver in values["caregivers"]:
            caregivers.insert_caregiver(clinic, patient, caregiver, actor)
    return {"id": patient_id, "patient_token": token, "episode_id": episode_id}


def _open_episode(clinic: Clinic, patient_id: int, therapy: str, dose_given_at: datetime, hours: int) -> int:
    now = utcnow()
    return insert(clinic.db, "episodes", {
        "patient_id": patient_id, "therapy": therapy, "dose_given_at": to_text(dose_given_at),
        "ends_at": to_text(dose_given_at + timedelta(hours=hours)), "status": "active",
        "next_checkin_at": to_text(now), "created_at": to_text(now),
    })


def active_episode_for_phone(clinic: Clinic, phone: str):
    return clinic.db.execute(
        "SELECT e.* FROM episodes e JOIN patients p ON p.id = e.patient_id "
        "WHERE p.phone = ? AND e.status = 'active' ORDER BY e.id DESC LIMIT 1", [phone]
    ).fetchone()


def new_dose(clinic: Clinic, patient_id: int, body, actor: str) -> dict:
    """A new step-up dose: close the current episode and open a new one."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", "body")
    unknown = sorted(set(body) - {"therapy", "given_at", "monitoring_hours"})
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r}; known: given_at, monitoring_hours, therapy", unknown[0])
    therapy = _text(body, "therapy")
    given_at = parse_time(body.get("given_at"), "given_at", default=utcnow())
    with transaction(clinic.db):
        if not clinic.db.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone():
            raise NotFound(f"no patient {patient_id}", "patient_id")
        last = clinic.db.execute(
            "SELECT dose_given_at, ends_at FROM episodes WHERE patient_id = ? ORDER BY id DESC LIMIT 1",
            [patient_id]).fetchone()
        # the length the patient was enrolled with, unless this dose says otherwise
        hours = _int_in(body, "monitoring_hours", 1, 24 * 14) or (
            round((from_text(last["ends_at"]) - from_text(last["dose_given_at"])).total_seconds() / 3600)
            if last else clinic.checkins["monitoring_hours"])
        check_dose_time(given_at, hours, "given_at")
        now = to_text(utcnow())
        clinic.db.execute(
            "UPDATE episodes SET status = 'ended', ended_at = ?, next_checkin_at = NULL, checkin_sent_at = NULL "
            "WHERE patient_id = ? AND status = 'active'", [now, patient_id])
        episode_id = _open_episode(clinic, patient_id, therapy, given_at, hours)
        clinic.audit(actor, "patient.dose", f"patient:{patient_id}", episode=episode_id, therapy=therapy)
    return {"patient_id": patient_id, "episode_id": episode_id}


def patient_by_token(clinic: Clinic, token: str):
    return clinic.db.execute("SELECT * FROM patients WHERE token_hash = ?", [token_hash(token)]).fetchone()
