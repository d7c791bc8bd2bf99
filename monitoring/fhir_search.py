"""FHIR R4 read and search over the store: search parameters -> SQL -> resources, one page at a time.

Supported per type in SEARCH (the CapabilityStatement is built from it, so it cannot claim more).
Dates: `date=ge2026-03-03T10:00:00-06:00`, prefixes eq (default), gt, ge, lt, le; a value of year, month
or day precision covers that whole span, in the clinic's time zone. Tokens: `code=http://loinc.org|8310-5`
or `code=8310-5`, a comma between values means "or". References: `patient=7` or `patient=Patient/7`.
Unknown parameters are refused (400 naming the parameter) rather than silently ignored.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from monitoring import fhir_codes as codes
from monitoring import fhir_observations as obs
from monitoring import fhir_resources as build
from monitoring.clinic import Clinic, NotFound, ValidationError
from monitoring.rows import Alert, Episode, Message, Patient
from monitoring.store import to_text

DEFAULT_COUNT = 50
MAX_COUNT = 500
PAGING = ("_count", "_offset", "_format")
PREFIXES = ("eq", "gt", "ge", "lt", "le")


@dataclass(frozen=True)
class Spec:
    """How one resource type is searched: its table, and the SQL column (or expression) behind each parameter."""

    table: str
    order: str
    params: dict[str, str] = field(default_factory=dict)  # name -> kind: reference, date, token, id
    columns: dict[str, str] = field(default_factory=dict)  # name -> SQL column or expression with "?"
    where: str = "1 = 1"


PATIENT_OF_ALERT = "alert_id IN (SELECT id FROM alerts WHERE patient_id = ?)"
SEARCH: dict[str, Spec] = {
    "Patient": Spec("patients", "id", {"_id": "id", "identifier": "token", "_lastUpdated": "date"},
                    {"_id": "id", "_lastUpdated": "created_at"}),
    "EpisodeOfCare": Spec("episodes", "id", {"_id": "id", "patient": "reference", "status": "token",
                                             "date": "date", "_lastUpdated": "date"},
                          {"_id": "id", "patient": "patient_id = ?", "date": "dose_given_at",
                           "_lastUpdated": "COALESCE(ended_at, created_at)"}),
    "Observation": Spec("readings", "taken_at", {"patient": "reference", "subject": "reference",
                                                 "category": "token", "code": "token", "date": "date",
                                                 "_lastUpdated": "date"},
                        {"patient": "r.patient_id = ?", "subject": "r.patient_id = ?", "date": "r.taken_at",
                         "_lastUpdated": "r.created_at"}),
    "Flag": Spec("alerts", "id", {"_id": "id", "patient": "reference", "date": "date", "_lastUpdated": "date"},
                 {"_id": "id", "patient": "patient_id = ?", "date": "created_at", "_lastUpdated": "updated_at"}),
    "Communication": Spec("messages", "id", {"_id": "id", "patient": "reference", "subject": "reference",
                                             "sent": "date", "_lastUpdated": "date"},
                          {"_id": "id", "patient": PATIENT_OF_ALERT, "subject": PATIENT_OF_ALERT,
                           "sent": "sent_at", "_lastUpdated": "updated_at"},
                          where="direction = 'out' AND kind IN ('alert', 'call')"),
    "MedicationAdministration": Spec("medications", "given_at", {"_id": "id", "patient": "reference",
                                                                 "effective-time": "date", "_lastUpdated": "date"},
                                     {"_id": "id", "patient": "patient_id = ?", "effective-time": "given_at",
                                      "_lastUpdated": "created_at"}),
    "RiskAssessment": Spec("assessments", "id", {"_id": "id", "patient": "reference", "date": "date",
                                                 "_lastUpdated": "date"},
                           {"_id": "id", "patient": "patient_id = ?", "date": "assessed_at",
                            "_lastUpdated": "assessed_at"}),
    "Device": Spec("devices", "id", {"_id": "id", "patient": "reference", "_lastUpdated": "date"},
                   {"_id": "id", "patient": "patient_id = ?", "_lastUpdated": "COALESCE(revoked_at, created_at)"}),
}


SqlArgs = list[Any]  # the values for a clause's "?" marks, in order


@dataclass
class Page:
    """One page of a search: the resources (FHIR JSON), how many match in all, and the page's place in them."""

    resources: list[codes.Json]
    total: int
    offset: int
    count: int


def search(clinic: Clinic, resource_type: str, params: dict[str, list[str]]) -> Page:
    """One page of `resource_type` (a key of SEARCH) matching `params` ({name: [values]}, as a query string
    gives them; FHIR R4 search: the parameters SEARCH lists, `_count` at most MAX_COUNT (default DEFAULT_COUNT),
    `_offset`, `_format` json), in the type's order.

    Raises ValidationError naming the parameter for an unknown parameter or a value it cannot read."""
    spec = SEARCH[resource_type]
    unknown = sorted(set(params) - set(spec.params) - set(PAGING))
    if unknown:
        raise ValidationError(f"{resource_type} search does not support the parameter {unknown[0]!r}; supported: "
                              f"{', '.join(sorted(spec.params))}, _count", unknown[0])
    count = _whole(params, "_count", DEFAULT_COUNT, 0, MAX_COUNT)
    offset = _whole(params, "_offset", 0, 0, 10**9)
    if params.get("_format", ["json"])[-1] not in ("json", "application/json", "application/fhir+json"):
        raise ValidationError("_format: only json is served", "_format")
    if resource_type == "Observation":
        return _observations(clinic, spec, params, count, offset)
    where: list[str] = [spec.where]
    args: SqlArgs = []
    for name, values in params.items():
        if name in PAGING:
            continue
        for value in values:
            clause, more = _clause(clinic, resource_type, spec, name, value)
            where.append(clause)
            args += more
    sql = f"FROM {spec.table} WHERE {' AND '.join(where)}"
    total = clinic.db.execute(f"SELECT COUNT(*) {sql}", args).fetchone()[0]
    rows = clinic.db.execute(f"SELECT * {sql} ORDER BY {spec.order}, id LIMIT ? OFFSET ?",
                             args + [count, offset]).fetchall()
    return Page([to_resource(clinic, resource_type, row) for row in rows], total, offset, count)


def _whole(params: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    value = (params.get(name) or [""])[-1]
    if value == "":
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}", name)
    return int(value)


def _clause(clinic: Clinic, resource_type: str, spec: Spec, name: str, value: str) -> tuple[str, SqlArgs]:
    kind = spec.params[name]
    column = spec.columns.get(name, name)
    if kind == "id":
        return f"{column} = ?", [_row_id(value, name)]
    if kind == "reference":
        return column, [_reference(value, name)]
    if kind == "date":
        return date_clause(clinic, column, value, name)
    if resource_type == "Patient" and name == "identifier":
        return _identifier(clinic, value)
    if resource_type == "EpisodeOfCare" and name == "status":
        stored = [stored for stored, fhir in build.EPISODE_STATUS.items() if fhir in value.split(",")]
        if not stored:
            raise ValidationError("status must be active, onhold or finished", "status")
        return f"status IN ({', '.join('?' for _ in stored)})", stored
    raise ValidationError(f"{name} cannot be searched on {resource_type}", name)  # pragma: no cover


def _row_id(value: str, name: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > 2**63 - 1:
        raise ValidationError(f"{name} must be a resource id (a whole number)", name)
    return int(value)


def _reference(value: str, name: str) -> int:
    """'7', 'Patient/7' or 'https://host/fhir/r4/Patient/7' -> 7."""
    match = re.fullmatch(r"(?:(?:https?://[^\s]+/)?Patient/)?(\d{1,19})", value)
    if not match or int(match.group(1)) > 2**63 - 1:
        raise ValidationError(f"{name} must be a Patient reference like Patient/7, not {value!r}", name)
    return int(match.group(1))


def _identifier(clinic: Clinic, value: str) -> tuple[str, SqlArgs]:
    system: str | None
    system, bar, code = value.rpartition("|")
    if not bar:
        system, code = None, value
    clauses: list[str] = []
    args: SqlArgs = []
    if system in (None, "", codes.CRS_PATIENT_ID) and code.isascii() and code.isdigit():
        clauses.append("id = ?")
        args.append(int(code))
    if system in (None, "", clinic.config["fhir"]["mrn_system"]):
        clauses.append("mrn = ?")
        args.append(code)
    return "(" + (" OR ".join(clauses) or "0") + ")", args


def date_clause(clinic: Clinic, column: str, value: str, name: str) -> tuple[str, SqlArgs]:
    """(SQL clause, its arguments): `column` (stored UTC text) against a FHIR date search value with an
    optional prefix (eq, gt, ge, lt, le; FHIR R4 search, date), the span as `date_range` reads it.
    ValidationError naming `name` for a value it cannot read."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    start, end = date_range(clinic, value[2:] if value[:2] in PREFIXES else value, name)
    low, high = to_text(start), to_text(end)
    return {"eq": (f"({column} >= ? AND {column} < ?)", [low, high]), "ge": (f"{column} >= ?", [low]),
            "gt": (f"{column} >= ?", [high]), "lt": (f"{column} < ?", [low]),
            "le": (f"{column} < ?", [high])}[prefix]


def date_range(clinic: Clinic, text: str, name: str) -> tuple[datetime, datetime]:
    """The span a FHIR date(Time) covers: [start, end). Year, month and day are in the clinic's zone."""
    problem = ValidationError(f"{name} must be a FHIR date or a dateTime with its offset in the years 2000-2099, "
                              f"like ge2026-03-03T10:00:00-06:00, not {text!r}", name)
    if not re.match(r"20\d\d(-|$)", text):  # years 2000-2099 only, as everywhere (monitoring.patients)
        raise problem
    try:
        if re.fullmatch(r"\d{4}", text):
            start = datetime(int(text), 1, 1, tzinfo=clinic.tz)
            return start, start.replace(year=start.year + 1)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            start = datetime(int(text[:4]), int(text[5:]), 1, tzinfo=clinic.tz)
            return start, (start + timedelta(days=32)).replace(day=1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = datetime.fromisoformat(text).date()
            start = datetime.combine(day, time(), tzinfo=clinic.tz)
            return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=clinic.tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise problem
    return moment, moment + timedelta(microseconds=1)


def _observations(clinic: Clinic, spec: Spec, params: dict[str, list[str]], count: int, offset: int) -> Page:
    """Observations are a reading's vitals, so the search unites one SELECT per kind of Observation."""
    kinds = set(codes.OBSERVATION_KINDS)
    for value in params.get("category", []):
        wanted = {term.rpartition("|")[2] for term in value.split(",")}
        kinds &= ({"temp", "bp", "hr", "spo2"} if "vital-signs" in wanted else set()) | (
            {"sym"} if "survey" in wanted else set())
    for value in params.get("code", []):
        chosen = set()
        for term in value.split(","):
            system, bar, code = term.rpartition("|")
            if bar and system not in ("", codes.LOINC):
                continue
            chosen |= {codes.CODE_KINDS[code]} if code in codes.CODE_KINDS else set()
        kinds &= chosen
    where: list[str] = []
    args: SqlArgs = []
    for name in ("patient", "subject", "date", "_lastUpdated"):
        for value in params.get(name, []):
            clause, more = _clause(clinic, "Observation", spec, name, value)
            where.append(clause)
            args += more
    selects: list[str] = []
    all_args: SqlArgs = []
    for order, kind in enumerate(codes.OBSERVATION_KINDS):
        if kind not in kinds:
            continue
        present = ("(r.symptoms != '[]' OR r.denied_symptoms != '[]')" if kind == "sym" else
                   " OR ".join(f"r.{column} IS NOT NULL" for column in obs.KIND_COLUMNS[kind]))
        selects.append(f"SELECT r.id AS rid, '{kind}' AS kind, {order} AS kind_order, r.taken_at AS at "
                       f"FROM readings r WHERE ({present})" + "".join(f" AND {c}" for c in where))
        all_args += args
    if not selects:
        return Page([], 0, offset, count)
    union = " UNION ALL ".join(selects)
    total = clinic.db.execute(f"SELECT COUNT(*) FROM ({union})", all_args).fetchone()[0]
    keys = clinic.db.execute(f"SELECT rid, kind FROM ({union}) ORDER BY at, rid, kind_order LIMIT ? OFFSET ?",
                             all_args + [count, offset]).fetchall()
    rows: dict[int, sqlite3.Row] = {}
    for key in keys:
        if key["rid"] not in rows:
            row = obs.reading_row(clinic.db, key["rid"])
            if row is None:  # pragma: no cover  (the union just found it)
                raise LookupError(f"no reading {key['rid']}")
            rows[key["rid"]] = row
    return Page([obs.observation(rows[key["rid"]], key["kind"]) for key in keys], total, offset, count)


def to_resource(clinic: Clinic, resource_type: str, row: sqlite3.Row) -> codes.Json:
    """The resource for one row (`SELECT *`) of the type's table (Observation aside: see read()): Patient,
    EpisodeOfCare, Flag and Communication from the typed rows (monitoring.rows), the others from the row.
    KeyError for a type not in SEARCH."""
    if resource_type == "Patient":
        return build.patient(clinic, Patient.from_row(row))
    if resource_type == "EpisodeOfCare":
        return build.episode_of_care(Episode.from_row(row))
    if resource_type == "Flag":
        return build.flag(Alert.from_row(row))
    if resource_type == "Communication":
        message = Message.from_row(row)
        alert = Alert.maybe(clinic.db.execute("SELECT * FROM alerts WHERE id = ?", [message.alert_id]).fetchone())
        return build.communication(clinic, message, alert)
    if resource_type == "MedicationAdministration":
        staff = clinic.db.execute("SELECT name FROM staff WHERE id = ?", [row["recorded_by"]]).fetchone()
        return build.medication_administration(row, staff["name"] if staff else None)
    if resource_type == "RiskAssessment":
        return build.risk_assessment(row, _basis(clinic, row))
    if resource_type == "Device":
        return build.device(row)
    raise KeyError(resource_type)


def _basis(clinic: Clinic, row: sqlite3.Row) -> list[codes.Json]:
    if row["reading_id"]:
        reading = obs.reading_row(clinic.db, row["reading_id"])
        if reading is not None:
            return [build.ref("Observation", f"{reading['id']}-{kind}") for kind in obs.kinds_of(reading)]
    if row["medication_id"]:
        return [build.ref("MedicationAdministration", row["medication_id"])]
    return []


def read(clinic: Clinic, resource_type: str, resource_id: str) -> codes.Json:
    """One resource (FHIR R4 read) by type (a key of SEARCH, or Observation) and id ("7", or "7-temp" for an
    Observation: the reading and its kind); NotFound (naming the id) when there is none."""
    missing = NotFound(f"{resource_type}/{resource_id} is not known here", "id")
    if resource_type == "Observation":
        match = re.fullmatch(r"(\d{1,18})-(temp|bp|hr|spo2|sym)", resource_id)
        if match is None:
            raise missing
        reading = obs.reading_row(clinic.db, int(match.group(1)))
        if reading is None or match.group(2) not in obs.kinds_of(reading):
            raise missing
        return obs.observation(reading, match.group(2))
    if not re.fullmatch(r"\d{1,18}", resource_id):
        raise missing
    spec = SEARCH[resource_type]
    row = clinic.db.execute(f"SELECT * FROM {spec.table} WHERE id = ? AND {spec.where}",
                            [int(resource_id)]).fetchone()
    if row is None:
        raise missing
    return to_resource(clinic, resource_type, row)
