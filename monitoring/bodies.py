"""Request bodies as models (pydantic v2): the one description of what the staff API, the patient app
API and the enrollment form accept.

Each field says its type, bounds and label (its title: the form's words) once; its rule
(monitoring.field_rules) reads the value and words the error. The service functions validate through
`parse` (the API's 400 naming the field) or `check` (a form's every error, beside its field);
web/openapi.py builds the API document from the same models.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from monitoring.field_rules import (
    EARLIEST,
    LATEST,
    Checked,
    Context,
    blank_is_none,
    born_on,
    check,
    choice,
    codes,
    e164,
    finite,
    flag,
    form_body,
    measured,
    number,
    parse,
    phone,
    record_number,
    refuse,
    row_id,
    strings,
    text,
    time,
    whole,
)
from triage import PROFILE_RANGES
from triage.model import MEDICATIONS, SYMPTOMS

__all__ = ["EARLIEST", "LATEST", "check", "e164", "form_body", "parse"]

LANGUAGES = ("en", "es")
ALERT_STATUSES = ("open", "acknowledged", "resolved", "active", "all")
ALERT_LEVELS = ("clinician_review", "urgent")  # the levels that open an alert (CONTRACT section 6)
OXYGEN = ("none", "low_flow", "high_flow", "positive_pressure")
PAUSE_REASONS = ("admitted", "in_clinic", "ed", "other")
OUTCOMES = ("home_care", "ed", "clinic", "admitted", "no_action")
MAX_CAREGIVERS = 2


class Body(BaseModel):
    """A request body: unknown fields refused, no type coercion (the rules read the values)."""

    model_config = ConfigDict(strict=True, extra="forbid")


SBP = tuple(int(bound) for bound in PROFILE_RANGES["baseline_systolic"])
SPO2 = tuple(int(bound) for bound in PROFILE_RANGES["baseline_spo2"])


class CaregiverRequest(Body):
    """POST /api/v1/patients/<id>/caregivers, and each of an enrollment's `caregivers` (CONTRACT 8)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Maria Example", "phone": "+15555550188", "language": "es", "relationship": "daughter"}]})
    name: Annotated[str, text(100, blank="{subject} is required and must be text of at most 100 characters",
                              bad="{subject} is required and must be text of at most 100 characters"),
                    Field(title="Caregiver's name")]
    phone: Annotated[str, phone(), Field(title="Caregiver's cell", description="E.164, not the patient's own phone")]
    language: Annotated[str | None, choice(LANGUAGES), Field(title="Caregiver's language",
                                                             description="default: the patient's")] = None
    relationship: Annotated[str | None, text(40, required=False,
                                             blank="{subject} must be text of at most 40 characters, like daughter",
                                             bad="{subject} must be text of at most 40 characters, like daughter"),
                            Field(title="Caregiver's relationship", description="like daughter, husband")] = None


def caregiver_list() -> Checked:
    """A body field holding a list of caregivers ({name, phone, language?, relationship?}); absent or null is an empty list."""
    def parse(value: Any, context: Context) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            refuse("{subject} must be a list of {name, phone, language?, relationship?}")
        if len(value) > MAX_CAREGIVERS:
            refuse(f"{{subject}}: at most {MAX_CAREGIVERS} per patient, not {len(value)}")
        return value
    return Checked(parse, {"maxItems": MAX_CAREGIVERS,
                           "description": "each gets an explanation text; errors name caregivers[i].field"})


class EnrollRequest(Body):
    """POST /api/v1/patients and the enrollment form (CONTRACT sections 4 and 8). Titles are the form's labels."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Pat Example", "phone": "+15555550198", "language": "en", "therapy": "teclistamab",
         "baseline_systolic": 120, "high_risk": False}]})
    name: Annotated[str, text(200), Field(title="Name")]
    phone: Annotated[str, phone(), Field(title="Mobile phone")]
    language: Annotated[str, choice(LANGUAGES), Field(title="Texts in")] = "en"
    therapy: Annotated[str, text(200), Field(title="Therapy", description="e.g. teclistamab")]
    dose_given_at: Annotated[datetime | None, time(), Field(
        title="Step-up dose given at", description="the step-up dose; default now")] = None
    baseline_systolic: Annotated[int | None, whole(*SBP), Field(title="Baseline systolic blood pressure")] = None
    baseline_spo2: Annotated[int | None, whole(*SPO2), Field(title="Baseline SpO2")] = None
    high_risk: Annotated[bool, flag(), Field(title="High risk")] = False
    risk_factors: Annotated[list[str], strings(), Field(title="Risk factors")] = []
    monitoring_hours: Annotated[int | None, whole(1, 24 * 14), Field(
        title="Monitoring hours", description="default: the clinic's [checkins] monitoring_hours")] = None
    checkin_interval_minutes: Annotated[int | None, whole(15, 240), Field(title="Check-in every (minutes)")] = None
    caregivers: Annotated[list[CaregiverRequest], caregiver_list(), Field(title="Caregiver")] = []
    mrn: Annotated[str | None, record_number(), Field(
        title="MRN", description="medical record number, unique among patients (409 when another patient has "
                                 "it); shown on staff pages only, never in a text")] = None
    birth_date: Annotated[str | None, born_on(), Field(
        title="Date of birth", description="date of birth, YYYY-MM-DD, not in the future; staff pages only, "
                                           "never texted")] = None


class DoseRequest(Body):
    """POST /api/v1/patients/<id>/doses: a new step-up dose opens a new episode."""

    therapy: Annotated[str, text(200), Field(title="Therapy")]
    given_at: Annotated[datetime | None, time(), Field(title="Dose given at", description="default now")] = None
    monitoring_hours: Annotated[int | None, whole(1, 24 * 14), Field(
        title="Monitoring hours", description="default: the length of the last episode")] = None


class MedicationRequest(Body):
    """POST /api/v1/patients/<id>/medications: a dose given by staff."""

    name: Annotated[str, choice(MEDICATIONS), Checked(lambda value, context: str(value or "").strip().lower()),
                    Field(title="Medication")]  # the last rule runs first: "Tocilizumab " is tocilizumab
    dose_mg: Annotated[float | None, number(0.1, 5000), Field(title="Dose (mg)")] = None
    weight_kg: Annotated[float | None, number(2, 300), Field(
        title="Weight (kg)", description="tocilizumab without dose_mg: 8 mg/kg (SOP 5)")] = None
    given_at: Annotated[datetime | None, time(), Field(
        title="Given at", description="default now; not in the future")] = None


class PauseRequest(Body):
    """POST /api/v1/patients/<id>/pause."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "admitted"}]})
    reason: Annotated[str, choice(PAUSE_REASONS), Field(title="Reason")]
    until: Annotated[datetime | None, time(), Checked(lambda value, context: None if value == "" else value),
                     Field(title="Until", description="resume by itself then (within 14 days); without it, "
                                                      "until resumed")] = None


class EndRequest(Body):
    """POST /api/v1/patients/<id>/end."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "admitted for CRS grade 2"}]})
    reason: Annotated[str, text(200, blank="{subject} is required: say why, in a few words",
                                bad="{subject} must be plain text of at most 200 characters"), Field(title="Reason")]


class ResolveRequest(Body):
    """POST /api/v1/alerts/<id>/resolve (CONTRACT 8)."""

    note: Annotated[str, Checked(lambda value, context: value.strip() if isinstance(value, str) and len(value) <= 2000
                                 else refuse("{subject} must be text of at most 2000 characters"), {"maxLength": 2000}),
                    Field(title="Note")] = ""
    outcome: Annotated[str | None, choice(OUTCOMES), Field(title="Outcome", description="what came of it")] = None


class GradeRequest(Body):
    """POST /api/v1/grade and the dashboard's grading form: ASTCT grading (SOP section 4 table)."""

    temperature_c: Annotated[float | None, finite("{subject} must be a number"), Field(
        title="Temperature", description="degrees C; 25-45")] = None
    fever_masked: Annotated[bool, flag(), Field(description="antipyretic or anticytokine therapy was given")] = False
    hypotension: Annotated[bool, flag()] = False
    vasopressors: Annotated[int, Checked(lambda value, context: value if type(value) is int and 0 <= value <= 2
                                         else refuse("{subject} must be 0, 1 or 2 (vasopressin not counted)"),
                                         {"enum": [0, 1, 2]}),
                            Field(description="other than vasopressin")] = 0
    vasopressin: Annotated[bool, flag()] = False
    oxygen: Annotated[str, choice(OXYGEN)] = "none"
    oxygen_lpm: Annotated[float | None, finite(), Field(
        description="litres per minute, 0-100; where given it decides low versus high flow")] = None


class Temperature(Body):
    """A temperature as the patient read it."""

    value: Annotated[float, finite(required=True)]
    unit: Annotated[str | None, choice(("C", "F"), '{subject} must be "C" or "F"'), Field(
        description="optional: without it the number is read as a text is (34-43 C, 93-110 F)")] = None


def temperature_object() -> Checked:
    """A body field holding {"value": number, "unit": "C" or "F"} (or null); anything else is refused naming it."""
    def parse(value: Any, context: Context) -> Any:
        if value is not None and (not isinstance(value, dict) or set(value) - {"value", "unit"}):
            refuse('{subject} must be {"value": number, "unit": "C" or "F"}')
        return value
    return Checked(parse)


class ReadingRequest(Body):
    """POST /api/v1/me/readings (CONTRACT 5): at least one value; an implausible one is kept out and named
    (implausible_reading), not refused."""

    model_config = ConfigDict(json_schema_extra={
        "minProperties": 1, "examples": [{"temperature": {"value": 100.9, "unit": "F"}, "systolic": 118,
                                          "diastolic": 76, "spo2": 96, "heart_rate": 88, "symptoms": ["chills"]}]})
    temperature: Annotated[Temperature | None, temperature_object()] = None
    systolic: Annotated[int | None, measured()] = None
    diastolic: Annotated[int | None, measured()] = None
    spo2: Annotated[int | None, measured()] = None
    heart_rate: Annotated[int | None, measured()] = None
    symptoms: Annotated[list[str], codes(SYMPTOMS, f"{{subject}} must be a list of codes from: {', '.join(SYMPTOMS)}")] = []
    taken_at: Annotated[datetime | None, time(), Field(description="default now; not in the future")] = None


class PatientMedicationRequest(Body):
    """POST /api/v1/me/medications: acetaminophen the patient took."""

    name: Annotated[str, choice(("acetaminophen",), "{subject} must be acetaminophen (other medicines are "
                                                    "recorded by the clinic)")]
    dose_mg: Annotated[float | None, number(80, 2000)] = None
    taken_at: Annotated[datetime | None, time(), Field(description="default now; not in the future")] = None




class Query(BaseModel):
    """A query string: parameters this model does not name are ignored (a client's cache buster), except a
    misspelling or shortening of one it names ("patientId", "patient"), refused with a 400 naming it
    (field_rules.parse): a filter dropped without a word would answer with every patient's rows."""

    model_config = ConfigDict(strict=True, extra="ignore")


class PatientsQuery(Query):
    """GET /api/v1/patients."""

    all: Annotated[str | None, Field(description="1 lists patients whose monitoring has ended too",
                                     json_schema_extra={"enum": ["0", "1"]})] = None


class AlertsQuery(Query):
    """GET /api/v1/alerts (CONTRACT 4 and 8)."""

    status: Annotated[str, choice(ALERT_STATUSES, "{subject} must be open, acknowledged, resolved, active or all"),
                      Field(description="active: open or acknowledged")] = "open"
    patient_id: Annotated[int | None, row_id(), Field(description="only this patient's alerts")] = None
    level: Annotated[str | None, choice(ALERT_LEVELS), blank_is_none(),
                     Field(description="only alerts of this level")] = None
    since: Annotated[str | None, Field(description="opened at or after: a clinic date (YYYY-MM-DD) or an ISO time "
                                                   "with offset")] = None
    until: Annotated[str | None, Field(description="opened before: a time, or a date (that whole clinic day "
                                                   "included)")] = None


class ReportQuery(Query):
    """GET /api/v1/reports/alerts."""

    since: Annotated[str | None, Field(description="a clinic date or an ISO time")] = None
    until: Annotated[str | None, Field(description="a clinic date (included) or an ISO time (not included); "
                                                   "default now")] = None


class MessagesQuery(Query):
    """GET /api/v1/messages (CONTRACT 4)."""

    patient_id: Annotated[int | None, row_id(), Field(description="only this patient's texts")] = None
    after_id: Annotated[int | None, row_id(low=0), Field(description="only messages with a larger id")] = None
