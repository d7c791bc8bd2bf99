"""What the API answers, as models: the shapes CONTRACT.md names (sections 4, 5 and 8), for the API document.

The views answer with dicts built by monitoring (views.patient_view, alerts.alert_view ...); these models
only describe them. tests/test_openapi.py and tests/test_schemathesis.py validate real answers against
the document built from them, so a model that drifts from its view fails there. A response names every
key (null where unset), so every field here is required.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema

from monitoring.bodies import LANGUAGES, OUTCOMES, PAUSE_REASONS
from monitoring.field_rules import ISO_TIME
from triage.model import LEVELS, MEDICATIONS, SYMPTOMS

MAX_ID = 2**63 - 1  # SQLite integers are 64-bit

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Time = Annotated[datetime, Field(description=ISO_TIME)]
Phone = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{1,14}$")]
Count = Annotated[int, Field(ge=0)]


def one_of(values: tuple[str, ...], description: str | None = None) -> WithJsonSchema:
    """A string from `values` (the constants the code checks against, so the document cannot drift)."""
    shown: dict[str, Any] = {"type": "string", "enum": list(values)}
    if description:
        shown["description"] = description
    return WithJsonSchema(shown)


Level = Annotated[str, one_of(LEVELS, "lowest to highest (CONTRACT section 6)")]
Reason = Annotated[str, Field(description="a reason code, like fever, hypoxia, missed_checkins "
                                          "(CONTRACT section 6; more codes may be added)")]
Language = Annotated[str, one_of(LANGUAGES)]


class Error(BaseModel):
    """Every error: 4xx and 503."""

    error: str = Field(description="what went wrong and what to do")
    field: str | None = Field(default=None, description="the request field at fault, where there is one")


class Episode(BaseModel):
    id: Id
    therapy: str
    dose_given_at: Time
    ends_at: Time
    status: Literal["active", "paused", "ended", "opted_out"] = Field(
        description="paused: staff paused check-ins; opted_out: the patient texted STOP (not monitored)")
    next_checkin_at: Time | None
    checkin_open_since: Time | None
    missed_checkins: Count
    last_answer_at: Time | None
    paused_at: Time | None
    pause_reason: Annotated[str, one_of(PAUSE_REASONS)] | None
    pause_until: Time | None
    ended_at: Time | None
    end_reason: str | None


class EpisodeChange(BaseModel):
    patient_id: Id
    episode_id: Id
    status: Literal["active", "paused", "ended"]


class Assessment(BaseModel):
    level: Level
    reasons: list[Reason]
    instructions: list[str] = Field(description="instruction keys")
    assessed_at: Time


class Reading(BaseModel):
    id: Id
    taken_at: Time
    temperature_c: float | None
    systolic: int | None
    diastolic: int | None
    spo2: int | None
    heart_rate: int | None
    symptoms: list[Annotated[str, one_of(SYMPTOMS)]]
    source: Literal["sms", "app"]


class Caregiver(BaseModel):
    id: Id
    name: str
    phone: Phone
    language: Language
    relationship: str | None
    opted_out_at: Time | None = Field(description="when they texted STOP (their own texts only)")


class Caregivers(BaseModel):
    caregivers: list[Caregiver]


class Patient(BaseModel):
    id: Id
    name: str
    phone: Phone
    language: Language
    baseline_systolic: int | None
    baseline_spo2: int | None
    high_risk: bool
    risk_factors: list[str]
    checkin_interval_minutes: int | None
    opted_out_at: Time | None
    mrn: str | None = Field(description="medical record number (staff only, never texted)")
    birth_date: Annotated[str, Field(json_schema_extra={"format": "date"})] | None = Field(
        description="date of birth, YYYY-MM-DD (staff only, never texted)")
    episode: Episode | None
    latest_assessment: Assessment | None
    readings: list[Reading] = Field(description="newest first")
    caregivers: list[Caregiver] = Field(description="current caregivers (at most 2), oldest first")


class Enrolled(Patient):
    patient_token: str = Field(description="the patient app's bearer token; shown once")


class NewDose(Patient):
    episode_id: Id


class Medication(BaseModel):
    id: Id
    patient_id: Id
    name: Annotated[str, one_of(MEDICATIONS)]
    dose_mg: float | None
    weight_kg: float | None
    given_at: Time


class MedicationEntry(BaseModel):
    id: Id
    name: str
    dose_mg: float | None
    weight_kg: float | None
    given_at: Time
    source: str = Field(description="staff, sms or app")


class Alert(BaseModel):
    id: Id
    patient_id: Id
    level: Level
    reasons: list[Reason]
    status: Literal["open", "acknowledged", "resolved"]
    created_at: Time
    acknowledged_at: Time | None
    acknowledged_by: str | None
    resolved_at: Time | None
    resolved_by: str | None
    resolution_note: str | None
    outcome: Annotated[str, one_of(OUTCOMES, "what came of it (resolve)")] | None


class Spread(BaseModel):
    median: float | None
    p90: float | None


class AlertReport(BaseModel):
    since: Time
    until: Time = Field(description="not included")
    alerts: Count = Field(description="alerts opened in the period")
    by_level: dict[str, int]
    by_reason: dict[str, int]
    first_page_seconds: Spread = Field(description="from the alert to its first page sent")
    ack_seconds: Spread = Field(description="from the alert to its acknowledgement")
    repaged: Count
    called: Count
    outcomes: dict[str, int]
    unresolved: Count
    patient_days: float = Field(ge=0)
    missed_checkin_alerts_per_patient_day: float | None


class Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: Id
    direction: Literal["in", "out"]
    to: str
    sender: str = Field(alias="from")
    body: str
    kind: Literal["prompt", "reminder", "reply", "alert", "info", "call"]
    patient_id: Id | None
    alert_id: Id | None
    caregiver_id: Id | None = Field(description="the caregiver who wrote or was texted")
    status: str = Field(description="received, processed, queued, sending, sent, delivered, failed, undelivered ...")
    created_at: Time
    outcome: Literal["acknowledged", "passed", "no_answer", "machine"] | None = Field(
        description="a call's outcome (kind call); null for texts and undecided calls")


class Grade(BaseModel):
    grade: int = Field(ge=0, le=4, description="0: CRS criteria not met")
    driver: Literal["none", "fever", "hypotension", "hypoxia"]
    management: list[str]


class Rota(BaseModel):
    clinic_hours: list[str]
    after_hours: list[str]


class OnCall(BaseModel):
    name: str
    phone: str


class Effective(BaseModel):
    clinic: dict[str, Any]
    checkins: dict[str, Any]
    thresholds: dict[str, Any]
    escalation: dict[str, Any]
    rota: Rota
    oncall: list[OnCall]


class Change(BaseModel):
    at: str
    by: str
    key: str


class Settings(BaseModel):
    effective: Effective
    overrides: dict[str, Any] = Field(description="the dashboard's edits over the config file, by dotted key")
    history: list[Change]


class SettingsChange(RootModel[dict[str, Any]]):
    """PUT /api/v1/settings: checked by monitoring.settings (the settings' own model), described here."""

    model_config = ConfigDict(json_schema_extra={
        "minProperties": 1,
        "description": 'dotted keys to new values, like {"thresholds.fever_c": 38.0}; "oncall" takes the whole '
                       "chain. Editable sections: clinic, checkins, thresholds, escalation, rota, oncall.",
        "propertyNames": {"pattern": r"^((clinic|checkins|thresholds|escalation|rota)\.[a-z_]+|oncall)$"},
        "examples": [{"thresholds.fever_c": 38.0, "checkins.interval_minutes": 120,
                      "oncall": [{"name": "Primary nurse", "phone": "+15555550142"}]}]})


class Me(BaseModel):
    id: Id
    name: str
    language: Language
    episode: Episode | None
    latest_assessment: Assessment | None
    next_checkin_at: Time | None
    readings: list[Reading]


class AppAssessment(BaseModel):
    level: Level
    reasons: list[Reason]
    instructions: list[str] = Field(description="what to do, in the patient's language")
    instruction_keys: list[str]
    next_acetaminophen_at: Time | None


class Answer(BaseModel):
    assessment: AppAssessment
    next_checkin_at: Time
