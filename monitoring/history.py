"""The clinic's history: every alert with who acknowledged and resolved it, when, and what came of it;
patients current and past, found by name, phone or MRN. Read-only.

Dates in filters are the clinic's calendar days: `since=2026-03-02&until=2026-03-03` is from midnight
at the start of the 2nd to midnight at the end of the 3rd, clinic time. An ISO time with an offset is
taken as it is. Times come back as aware datetimes (UTC); the web layer shows them in clinic time.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitoring.clinic import Clinic, ValidationError
from monitoring.episodes import episode_status
from monitoring.rows import Alert, Patient
from monitoring.store import from_text, loads, to_text
from monitoring.timeline import paged_by
from triage.model import LEVELS

STATUSES = ("all", "open", "active", "acknowledged", "resolved")
LEVEL_CHOICES = ("clinician_review", "urgent")
DEFAULT_DAYS = 30
HISTORY_LIMIT = 1000


def parse_bound(value: str | None, field: str, tz: ZoneInfo, *, end: bool) -> datetime | None:
    """A date (YYYY-MM-DD, a clinic day: its start, or for an end the start of the next day) or an ISO
    time with offset -> an aware datetime; None when blank. ValidationError naming `field` otherwise."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{field} {value!r} is not a date on the calendar", field) from None
        if not 2000 <= day.year <= 2099:
            raise ValidationError(f"{field} must be in the years 2000-2099", field)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=tz)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{field} must be a date like 2026-03-03 or a time like 2026-03-03T10:00:00-06:00",
                              field) from None
    if moment.tzinfo is None:
        raise ValidationError(f"{field} must carry its UTC offset, like 2026-03-03T10:00:00-06:00", field)
    if not 2000 <= moment.year <= 2099:
        raise ValidationError(f"{field} must be in the years 2000-2099", field)
    return moment


def period(args: Mapping[str, str], tz: ZoneInfo, now: datetime,
           default_days: int | None = DEFAULT_DAYS) -> tuple[datetime | None, datetime | None]:
    """(since, until) from query args `since` and `until` (each as `parse_bound`); without `until`, the end of
    `now`'s day (aware UTC, read by the caller; clinic time `tz`); without `since`, `default_days` clinic days
    up to until (None: no lower bound). `until` is never None. ValidationError naming the field when a bound
    is not a date or time, or when until is not after since."""
    since = parse_bound(args.get("since"), "since", tz, end=False)
    until = parse_bound(args.get("until"), "until", tz, end=True)
    if until is None:
        until = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(0), tzinfo=tz)
    if since is None and default_days is not None:
        since = datetime.combine(until.astimezone(tz).date() - timedelta(days=default_days), time(0), tzinfo=tz)
    if since is not None and until <= since:
        raise ValidationError("until must be after since", "until")
    return since, until


def parse_filters(args: Mapping[str, str], tz: ZoneInfo,
                  now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """The history page's query (status, level, patient_id, since, until) -> (`alert_history` keyword
    arguments, {field: problem in the form's words}) with every problem; `now` (aware UTC) as for `period`."""
    query: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = args.get("status") or "all"
    if status not in STATUSES:
        errors["status"] = f"Status must be one of {', '.join(STATUSES)}"
    query["status"] = status
    level = args.get("level") or None
    if level is not None and level not in LEVELS:
        errors["level"] = f"Level must be one of {', '.join(LEVEL_CHOICES)}"
    query["level"] = level
    patient = args.get("patient_id") or None
    if patient is not None and not (patient.isascii() and patient.isdigit() and len(patient) < 19):
        errors["patient_id"] = "Patient must be chosen from the list"
    query["patient_id"] = int(patient) if patient and "patient_id" not in errors else None
    query["since"], query["until"], bound_errors = period_with_errors(args, tz, now)
    errors.update(bound_errors)
    return query, errors


BOUND_LABELS = {"since": "From", "until": "To"}


def period_with_errors(args: Mapping[str, str], tz: ZoneInfo,
                       now: datetime) -> tuple[datetime | None, datetime | None, dict[str, str]]:
    """For forms: `period` as (since, until, {}), or (None, None, {field: problem in the form's words ("From",
    "To")}) with a problem for each bad bound. `now` aware UTC, read by the caller."""
    errors: dict[str, str] = {}
    for field in ("since", "until"):
        try:
            parse_bound(args.get(field), field, tz, end=field == "until")
        except ValidationError as error:
            errors[field] = BOUND_LABELS[field] + error.message[len(field):]
    if errors:
        return None, None, errors
    try:
        since, until = period(args, tz, now)
    except ValidationError as error:
        return None, None, {error.field or "until": "To must be on or after From"}
    return since, until, {}


def alert_history(clinic: Clinic, *, status: str = "all", level: str | None = None, patient_id: int | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """Alerts newest first, each {"id", "patient_id", "patient_name", "mrn", "level", "reasons", "status",
    "created_at", "paged": [{"name", "at"}], "acknowledged_at", "acknowledged_by", "resolved_at",
    "resolved_by", "outcome", "resolution_note"} (times aware UTC). `since` <= created_at < `until`."""
    where: list[str] = []
    params: list[str | int] = []
    if status == "open":
        where.append("a.status = 'open'")
    elif status == "active":
        where.append("a.status IN ('open', 'acknowledged')")
    elif status != "all":
        where.append("a.status = ?")
        params.append(status)
    if level:
        where.append("a.level = ?")
        params.append(level)
    if patient_id is not None:
        where.append("a.patient_id = ?")
        params.append(patient_id)
    if since is not None:
        where.append("a.created_at >= ?")
        params.append(to_text(since))
    if until is not None:
        where.append("a.created_at < ?")
        params.append(to_text(until))
    rows = clinic.db.execute(
        "SELECT a.*, p.name AS patient_name, p.mrn FROM alerts a JOIN patients p ON p.id = a.patient_id"
        + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY a.created_at DESC, a.id DESC LIMIT ?",
        [*params, limit]).fetchall()
    alerts = [(Alert.from_row(row), row["patient_name"], row["mrn"]) for row in rows]
    paged = paged_by(clinic, [alert.id for alert, _, _ in alerts])
    return [{
        "id": alert.id, "patient_id": alert.patient_id, "patient_name": name, "mrn": mrn,
        "level": alert.level, "reasons": loads(alert.reasons, []), "status": alert.status,
        "created_at": from_text(alert.created_at), "paged": paged[alert.id],
        "acknowledged_at": from_text(alert.acknowledged_at), "acknowledged_by": alert.acknowledged_by,
        "resolved_at": from_text(alert.resolved_at), "resolved_by": alert.resolved_by,
        "outcome": alert.outcome, "resolution_note": alert.resolution_note,
    } for alert, name, mrn in alerts]


def patient_choices(clinic: Clinic) -> list[dict[str, Any]]:
    """Every patient for a filter list: {"id", "label"}; the MRN or date of birth tells two of a name apart."""
    patients = map(Patient.from_row, clinic.db.execute("SELECT * FROM patients ORDER BY name COLLATE NOCASE, id"))
    return [{"id": patient.id, "label": patient.name + (f" (MRN {patient.mrn})" if patient.mrn else
                                                        f" (born {patient.birth_date})" if patient.birth_date else "")}
            for patient in patients]


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def find_patients(clinic: Clinic, search: str = "", show: str = "current", limit: int = 200) -> list[dict[str, Any]]:
    """Patients by name, newest episode first within a name: {"id", "name", "mrn", "birth_date", "phone",
    "therapy", "dose_given_at", "ended_at", "end_reason", "monitoring"}. `show`: current (an active
    episode), past (every episode ended) or all. `search` matches part of the name or MRN (any case), or
    the phone's digits (at least 4 of them). "monitoring" as `episodes.episode_status` of the newest episode."""
    where: list[str] = []
    params: list[str | int] = []
    if show == "current":
        where.append("e.status = 'active'")
    elif show == "past":
        where.append("NOT EXISTS (SELECT 1 FROM episodes x WHERE x.patient_id = p.id AND x.status = 'active')")
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses = ["lower(p.name) LIKE ? ESCAPE '\\'", "lower(COALESCE(p.mrn, '')) LIKE ? ESCAPE '\\'"]
        params.extend([pattern, pattern])
        digits = _digits(search)
        if len(digits) >= 4:
            clauses.append("p.phone LIKE ?")
            params.append(f"%{digits}%")
        where.append("(" + " OR ".join(clauses) + ")")
    rows = clinic.db.execute(
        "SELECT p.*, e.id AS episode_id, e.status AS episode_state, e.therapy, e.dose_given_at, e.ended_at, "
        "e.end_reason, e.paused_at FROM patients p JOIN episodes e ON e.id = (SELECT id FROM episodes "
        "WHERE patient_id = p.id ORDER BY status = 'active' DESC, id DESC LIMIT 1)"
        + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY p.name COLLATE NOCASE, p.id DESC LIMIT ?",
        [*params, limit]).fetchall()
    found = []
    for row in rows:
        patient = Patient.from_row(row)  # p.* comes first, so id, name ... are the patient's
        found.append({
            "id": patient.id, "name": patient.name, "mrn": patient.mrn, "birth_date": patient.birth_date,
            "phone": patient.phone, "therapy": row["therapy"], "dose_given_at": from_text(row["dose_given_at"]),
            "ended_at": from_text(row["ended_at"]), "end_reason": row["end_reason"],
            "monitoring": episode_status(row["episode_state"], row["paused_at"], patient.opted_out_at),
        })
    return found
