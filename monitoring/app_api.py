"""The patient app's road into care: the same triage as a text, answered in JSON instead of SMS (CONTRACT
section 5). `patient` is the caller's row of `patients` (the app's bearer token names it); the clock is the
caller's: `now` is aware UTC, read once per request."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import triage
from monitoring import alerts, bodies, care, views
from monitoring.clinic import Clinic, Conflict, Unprocessable, ValidationError
from monitoring.rows import Episode, Patient
from monitoring.store import active_episode, dumps, from_text, loads, to_text, transaction
from triage.acetaminophen import fever_advice
from triage.model import Assessment
from triage.ranges import temperature_celsius, temperature_unit
from triage.replies import FEVER_ADVICE

WHOLE_NUMBERS = ("systolic", "diastolic", "spo2", "heart_rate")
Report = bodies.ReadingRequest | bodies.PatientMedicationRequest  # what an Idempotency-Key is sent with
FUTURE_ALLOWANCE = timedelta(minutes=5)  # a phone's clock a little ahead of ours is not "the future"


def _active_episode(clinic: Clinic, patient: Patient) -> Episode:
    episode = active_episode(clinic.db, patient.id)
    if episode is None:
        raise Conflict("monitoring has ended for you; call the clinic if you feel unwell", "episode")
    return episode


def taken_at(body: object, now: datetime) -> datetime:
    """When the reading or dose in `body` (its "taken_at", ISO 8601 with offset) was taken: `now` (aware UTC)
    when not given. ValidationError (taken_at) for a time more than 5 minutes after `now`, or as
    `bodies.ReadingRequest` refuses it."""
    return _taken_at(bodies.parse(bodies.ReadingRequest, body), now)


def _taken_at(report: Report, now: datetime) -> datetime:
    taken = report.taken_at or now
    if taken > now + FUTURE_ALLOWANCE:
        raise ValidationError("taken_at is in the future", "taken_at")
    return taken


def to_celsius(value: float, unit: str | None) -> float | None:
    """Degrees C from an app or device temperature, by triage.ranges (the one source, issue 14 fault 5): no
    unit means the range decides (C at 34-43, F at 93.2-109.4); F is rounded half up to 0.01 C, exactly as a
    text is read, so an app reading and the same number texted are triaged alike. None when the number
    fits neither range."""
    return temperature_celsius(value, unit)


def reading_values(body: object) -> dict[str, Any]:
    """Validate an app reading body (monitoring.bodies.ReadingRequest) -> {"implausible": set of fields kept
    out, "symptoms": set of keys, and each plausible value given: "temperature_c" (degrees C) with
    "temperature_given" and "temperature_unit" (C | F, as the patient gave it), "systolic", "diastolic" (mmHg),
    "spo2" (%), "heart_rate" (per minute)}; implausible values (triage.plausible) are kept out and named, as
    for a text. ValidationError naming the field for a malformed body, or "body" when it says nothing."""
    return _reading_values(bodies.parse(bodies.ReadingRequest, body))


def _reading_values(reading: bodies.ReadingRequest) -> dict[str, Any]:
    values: dict[str, Any] = {"implausible": set(), "symptoms": set(reading.symptoms)}
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
        number = getattr(reading, field)
        if number is None:
            continue
        if triage.plausible(field, number):
            values[field] = number
        else:
            values["implausible"].add(field)
    if not (set(values) - {"implausible", "symptoms"}) and not values["symptoms"] and not values["implausible"]:
        raise ValidationError("send at least one value: temperature, systolic, spo2, heart_rate or symptoms", "body")
    return values


def submit_reading(clinic: Clinic, patient: Patient, body: object, now: datetime,
                   idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
    """POST /api/v1/me/readings: validate (`reading_values`, `taken_at` against `now`), triage and record it
    in the patient's active episode; the answer as `_answer` gives it ({"assessment": {"level", "reasons",
    "instructions" (texts in the patient's language), "instruction_keys", "next_acetaminophen_at"},
    "next_checkin_at"}), and whether it is the answer to an earlier request with the same `idempotency_key`
    (replayed_answer: nothing recorded again). ValidationError naming the field; Conflict (episode) when
    monitoring has ended, a retry's too; Unprocessable (Idempotency-Key) for a key sent before with another body."""
    reading = bodies.parse(bodies.ReadingRequest, body)
    values = _reading_values(reading)
    taken = _taken_at(reading, now)
    with transaction(clinic.db):
        clinic.refresh()  # triaged (a replay's acetaminophen advice too) by the settings in force now
        episode = _active_episode(clinic, patient)
        replayed = replayed_answer(clinic, patient, episode, idempotency_key, "readings", reading, now)
        if replayed is not None:
            return replayed, True
        again = _sent_again(clinic, patient, episode, values, taken if reading.taken_at is not None else None, now)
        assessment, next_checkin = again or _record(clinic, patient, episode, values, taken, "app", now=now)
        answer = _answer(clinic, patient, assessment, next_checkin, now)
        _keep_answer(clinic, patient, idempotency_key, "readings", reading, answer, now)
    return answer, False


# The patient app's Idempotency-Key (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/):
# a unique value the app sends with each report and again with its retries; the first answer is kept this long.
IDEMPOTENCY_KEEP = timedelta(hours=24)
IDEMPOTENCY_KEY_LONGEST = 255


def idempotency_key(header: str | None) -> str | None:
    """The Idempotency-Key header's value (None without one): 1-255 visible ASCII characters, a UUID as a rule;
    a value in double quotes (the draft's Structured Field string) has them taken off. ValidationError
    (Idempotency-Key) for an empty, overlong or non-ASCII value."""
    if header is None:
        return None
    value = header.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > IDEMPOTENCY_KEY_LONGEST or not all("!" <= char <= "~" for char in value):
        raise ValidationError(f"Idempotency-Key must be 1-{IDEMPOTENCY_KEY_LONGEST} visible ASCII characters (a "
                              "UUID); send a new one with each report and the same one with its retries",
                              "Idempotency-Key")
    return value


def _request_hash(endpoint: str, report: Report) -> str:
    """What a key was first sent with: the endpoint and the report as validated, as canonical JSON, so equal
    reports hash alike however the app wrote them: key order, spacing, 1000 or 1000.0 mg, taken_at with "Z",
    "+00:00" or another offset for the same instant, the symptoms in any order (an app whose retry serialises its
    report again was refused 422 as another report)."""
    fields = report.model_dump(mode="json")
    if report.taken_at is not None:
        fields["taken_at"] = report.taken_at.astimezone(UTC).isoformat()
    if isinstance(report, bodies.ReadingRequest):
        fields["symptoms"] = sorted(set(report.symptoms))  # a set to triage (reading_values)
    return hashlib.sha256(dumps({"endpoint": endpoint, "body": fields}).encode()).hexdigest()


def replayed_answer(clinic: Clinic, patient: Patient, episode: Episode, key: str | None, endpoint: str,
                    report: Report, now: datetime) -> dict[str, Any] | None:
    """Inside the caller's write transaction, `episode` the patient's active one (`_active_episode`: a retry once
    monitoring has ended is refused as a new report is, 409): the answer the patient's report with Idempotency-Key
    `key` got within IDEMPOTENCY_KEEP of `now` (aware UTC), said again as of now (`_as_of_now`), or None (no key,
    or none kept since the episode began: the report is new). Unprocessable (Idempotency-Key) when the key came
    with another endpoint or report: a new report under an old key would be answered with the old report's
    advice."""
    if key is None:
        return None
    row = clinic.db.execute(
        "SELECT request_hash, answer, created_at FROM idempotency_keys WHERE patient_id = ? AND idempotency_key = ? "
        "AND created_at >= ?", [patient.id, key, to_text(now - IDEMPOTENCY_KEEP)]).fetchone()
    if row is None or row["created_at"] < episode.created_at:
        # none, or kept in the monitoring before this step-up dose's: a report of this window is new (triaged, its
        # red flag paged), as a key older than IDEMPOTENCY_KEEP is; _keep_answer keeps it under the key instead
        return None
    if row["request_hash"] != _request_hash(endpoint, report):
        raise Unprocessable("this Idempotency-Key was sent before with another report; send a new key with each "
                            "new report", "Idempotency-Key")
    return _as_of_now(clinic, patient, episode, loads(row["answer"], {}), row["created_at"], now)


def _as_of_now(clinic: Clinic, patient: Patient, episode: Episode, answer: dict[str, Any], kept_at: str,
               now: datetime) -> dict[str, Any]:
    """A kept answer said again at `now`: its level, reasons and instructions (the first fever's safety net with
    them), with the next check-in the episode now has (a report since moved it; the app sets its reminder by it),
    rendered anew (`_answer`) so the texts name that check-in and say a time as today's or tomorrow's as of now.
    When a dose was recorded since the answer was kept and the answer gave acetaminophen advice, that advice and
    its time are worked out again with the dose (triage.acetaminophen.fever_advice, SOP 5 Grade 1 Home, line 64:
    repeat >= 6-8 h later): a fever's "take 650-1000 mg of acetaminophen now", replayed a minute after the patient
    reported a dose, told them to take a second one."""
    kept = answer["assessment"]
    keys = tuple(kept["instruction_keys"])
    next_dose_at = from_text(kept.get("next_acetaminophen_at"))
    if next_dose_at is not None and clinic.db.execute(  # none: no acetaminophen advice in it (no fever, no dose)
            "SELECT 1 FROM medications WHERE patient_id = ? AND created_at > ? LIMIT 1",
            [patient.id, kept_at]).fetchone() is not None:
        advice, next_dose_at = fever_advice(clinic.thresholds, care.episode_doses(clinic, patient.id, episode), now)
        keys = tuple(advice if key in FEVER_ADVICE else key for key in keys)
    assessment = Assessment(kept["level"], tuple(kept["reasons"]), keys, next_acetaminophen_at=next_dose_at)
    due = episode.next_checkin_at
    return _answer(clinic, patient, assessment, from_text(due) if due else from_text(answer["next_checkin_at"]), now)


def _keep_answer(clinic: Clinic, patient: Patient, key: str | None, endpoint: str, report: Report,
                 answer: dict[str, Any], now: datetime) -> None:
    """Keep `answer` under the patient's `key` (nothing without one), in the caller's transaction, and forget every
    patient's keys older than IDEMPOTENCY_KEEP (idempotency_keys_created: the few older than a day are a range), so
    the answers kept for a patient whose monitoring ended go too, not only at their owner's next keyed report."""
    if key is None:
        return
    clinic.db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [to_text(now - IDEMPOTENCY_KEEP)])
    clinic.db.execute(
        "INSERT INTO idempotency_keys (patient_id, idempotency_key, request_hash, answer, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (patient_id, idempotency_key) DO UPDATE SET "
        "request_hash = excluded.request_hash, answer = excluded.answer, created_at = excluded.created_at",
        [patient.id, key, _request_hash(endpoint, report), dumps(answer), to_text(now)])


# The app sends a reading again when the answer was lost on the way back (a timeout, a tunnel): the same values
# arriving this soon after, with nothing recorded for the patient in between, are that reading.
SENT_AGAIN_WITHIN = timedelta(minutes=2)


def _sent_again(clinic: Clinic, patient: Patient, episode: Episode, values: dict[str, Any],
                taken: datetime | None, now: datetime) -> tuple[Assessment, datetime] | None:
    """When `values` (reading_values) are the patient's newest app reading sent again (within SENT_AGAIN_WITHIN of
    `now`, at the same `taken` time, or both times "now" when `taken` is None): its stored assessment and the next
    check-in, so the retry shows the first answer whole (the first fever's safety net, SOP 5 Grade 1 Home, line 64,
    goes with the first answer only) and the reading is stored once. None, and the reading is recorded anew, when
    anything was recorded for the patient since (a dose: the advice on acetaminophen may have changed), or when the
    alert the first raised is no longer active (resolved: the same red flag again must page again)."""
    row = clinic.db.execute(
        "SELECT r.*, a.level, a.reasons AS assessed_reasons, a.instructions FROM assessments a "
        "JOIN readings r ON r.id = a.reading_id WHERE a.patient_id = ? ORDER BY a.id DESC LIMIT 1",
        [patient.id]).fetchone()
    if row is None or row["source"] != "app" or row["episode_id"] != episode.id or row["created_at"] < to_text(
            now - SENT_AGAIN_WITHIN):
        return None
    if row["taken_at"] != (to_text(taken) if taken is not None else row["created_at"]):
        return None
    if any(row[field] != values.get(field) for field in care.VITALS) or loads(row["symptoms"], []) != sorted(
            values["symptoms"]) or loads(row["implausible"], []) != sorted(values["implausible"]):
        return None
    if clinic.db.execute("SELECT 1 FROM medications WHERE patient_id = ? AND created_at >= ? LIMIT 1",
                         [patient.id, row["created_at"]]).fetchone() is not None:
        return None
    if row["level"] in care.ALERT_LEVELS and alerts.active_alert(clinic, patient.id) is None:
        return None
    reasons: list[str] = loads(row["assessed_reasons"], [])
    next_dose_at = None
    if "fever" in reasons:  # when acetaminophen is allowed, as triage worked it out for this fever (doses up to now)
        fever = triage.Reading(taken_at=from_text(row["taken_at"]), temperature_c=row["temperature_c"])
        next_dose_at = triage.assess(
            clinic.thresholds, care.profile(patient, episode),
            triage.History(doses=care.episode_doses(clinic, patient.id, episode)), fever, now,
            clinic.hours).next_acetaminophen_at
    assessment = Assessment(row["level"], tuple(reasons), tuple(loads(row["instructions"], [])),
                            next_acetaminophen_at=next_dose_at)
    due = episode.next_checkin_at
    return assessment, (from_text(due) if due else care.answer_checkin(clinic, patient, episode, now=now))


def record(clinic: Clinic, patient: Patient, values: dict[str, Any], taken: datetime,
           source: str = "app", *, now: datetime) -> tuple[Assessment, datetime]:
    """Triage one reading (`values` as reading_values returns them, taken at `taken`, aware) in the patient's
    active episode: the road the app takes, and device Observations too (monitoring.device_readings). Joins
    the caller's transaction; `now` (aware UTC, the caller's request's) is when it is triaged. Returns (the
    assessment, when the next check-in is due). Raises Conflict (episode) when monitoring has ended, ValidationError
    (taken_at) for a reading taken before the episode's step-up dose (`_in_episode`)."""
    with transaction(clinic.db):
        clinic.refresh()  # triaged by the settings in force as the write lock is taken, not as the request began
        return _record(clinic, patient, _active_episode(clinic, patient), values, taken, source, now=now)


def _record(clinic: Clinic, patient: Patient, episode: Episode, values: dict[str, Any], taken: datetime,
            source: str, *, now: datetime) -> tuple[Assessment, datetime]:
    """`record` in the caller's write transaction, `episode` the patient's active one as the caller read it there."""
    _in_episode(episode, taken)
    # the app shows the patient every instruction, so the nurse's page repeats them all
    return care.record_reading(clinic, patient, episode, values, taken_at=taken, source=source,
                               shown="app" if source == "app" else "text", now=now)


def _in_episode(episode: Episode, taken: datetime) -> None:
    """A reading taken before the episode's step-up dose (less FUTURE_ALLOWANCE: a phone's clock a little behind)
    is no reading of this episode: filed in it, a hub's backlog from the week before made every later sign "symptoms
    over 7 days" (SOP 4 Workup, line 41) and told the patient to take acetaminophen now for an old fever.
    ValidationError (taken_at)."""
    began = from_text(episode.dose_given_at)
    if taken < began - FUTURE_ALLOWANCE:
        raise ValidationError(f"taken_at is before this monitoring began (the step-up dose at {began.isoformat()}); "
                              "send readings taken since", "taken_at")


def submit_medication(clinic: Clinic, patient: Patient, body: object, now: datetime,
                      idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
    """POST /api/v1/me/medications: acetaminophen the patient took (`bodies.PatientMedicationRequest`; dose_mg
    in mg; taken_at defaults to `now`, aware UTC, and may not be more than 5 minutes after it), checked
    against the SOP's interval and daily total (care.patient_acetaminophen), answered as `submit_reading`
    (a retry with the same `idempotency_key` gets the first answer and records no second dose).
    ValidationError naming the field; Conflict (episode) when monitoring has ended, a retry's too; Unprocessable
    (Idempotency-Key) for a key sent before with another body."""
    dose = bodies.parse(bodies.PatientMedicationRequest, body)
    given_at = _taken_at(dose, now)
    with transaction(clinic.db):
        clinic.refresh()  # the SOP's acetaminophen limits in force now (a replay's too)
        episode = _active_episode(clinic, patient)
        replayed = replayed_answer(clinic, patient, episode, idempotency_key, "medications", dose, now)
        if replayed is not None:
            return replayed, True
        assessment = care.patient_acetaminophen(clinic, patient, episode, given_at=given_at, dose_mg=dose.dose_mg,
                                                asking=False, source="app", now=now)
        next_checkin = care.answer_checkin(clinic, patient, episode, now=now)
        answer = _answer(clinic, patient, assessment, next_checkin, now)
        _keep_answer(clinic, patient, idempotency_key, "medications", dose, answer, now)
    return answer, False


def _answer(clinic: Clinic, patient: Patient, assessment: Assessment, next_checkin: datetime,
            now: datetime) -> dict[str, Any]:
    return {"assessment": {
        "level": assessment.level, "reasons": list(assessment.reasons),
        "instructions": care.instruction_texts(clinic, patient, assessment, next_checkin, now),
        "instruction_keys": list(assessment.instructions),
        "next_acetaminophen_at": assessment.next_acetaminophen_at.isoformat()
        if assessment.next_acetaminophen_at else None,
    }, "next_checkin_at": next_checkin.isoformat()}


def me(clinic: Clinic, patient: Patient) -> dict[str, Any]:
    """GET /api/v1/me: {"id", "name", "language", "episode", "latest_assessment", "next_checkin_at",
    "readings" (the newest 50)}, each as `views.patient_view` shapes it."""
    view = views.patient_view(clinic, patient.id, reading_limit=50)
    episode = view["episode"]
    return {"id": view["id"], "name": view["name"], "language": view["language"], "episode": episode,
            "latest_assessment": view["latest_assessment"],
            "next_checkin_at": episode["next_checkin_at"] if episode else None, "readings": view["readings"]}
