"""The API's own description: an OpenAPI 3.1 document for /api/v1, served at GET /api/v1/openapi.json.

It is the contract a mobile team builds on (docs/api.md says how). tests/test_openapi.py validates
real responses against its schemas and tests/test_schemathesis.py fuzzes every operation with it,
so the document stays true. OpenAPI 3.1 schemas are JSON Schema 2020-12: `null` is a type.
"""
from __future__ import annotations

import copy

from flask import Blueprint, jsonify

from monitoring.alerts import OUTCOMES
from monitoring.bodies import PAUSE_REASONS
from triage import PROFILE_RANGES
from triage.model import LEVELS, MEDICATIONS, SYMPTOMS

bp = Blueprint("openapi", __name__)

API = "/api/v1"
ISO_TIME = {"type": "string", "format": "date-time",
            "description": "ISO 8601 with a UTC offset, like 2026-03-03T10:00:00-06:00"}
INT_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def nullable(schema: dict) -> dict:
    """The schema, or null (JSON Schema 2020-12 spelling)."""
    shown = dict(schema)
    kind = shown.get("type")
    if "$ref" in shown:
        return {"anyOf": [shown, {"type": "null"}]}
    if "enum" in shown:
        shown["enum"] = [*shown["enum"], None]
    shown["type"] = [*(kind if isinstance(kind, list) else [kind]), "null"]
    return shown


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: list[str] | None = None, closed: bool = False, **extra) -> dict:
    """An object; `required` defaults to every property (responses name every key, null where unset)."""
    schema = {"type": "object", "properties": properties,
              "required": list(properties) if required is None else required, **extra}
    if closed:
        schema["additionalProperties"] = False
    return schema


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


LEVEL = {"type": "string", "enum": list(LEVELS), "description": "lowest to highest (CONTRACT section 6)"}
REASON = {"type": "string", "description": "a reason code, like fever, hypoxia, missed_checkins "
                                           "(CONTRACT section 6; more codes may be added)"}

SCHEMAS: dict[str, dict] = {
    "Error": obj({
        "error": {"type": "string", "description": "what went wrong and what to do"},
        "field": {"type": "string", "description": "the request field at fault, where there is one"},
    }, required=["error"]),
    "Episode": obj({
        "id": INT_ID, "therapy": {"type": "string"}, "dose_given_at": ISO_TIME, "ends_at": ISO_TIME,
        "status": {"type": "string", "enum": ["active", "paused", "ended", "opted_out"],
                   "description": "paused: staff paused check-ins; opted_out: the patient texted STOP "
                                  "(not monitored)"},
        "next_checkin_at": nullable(ISO_TIME), "checkin_open_since": nullable(ISO_TIME),
        "missed_checkins": {"type": "integer", "minimum": 0}, "last_answer_at": nullable(ISO_TIME),
        "paused_at": nullable(ISO_TIME), "pause_reason": nullable({"type": "string", "enum": list(PAUSE_REASONS)}),
        "pause_until": nullable(ISO_TIME), "ended_at": nullable(ISO_TIME), "end_reason": {"type": ["string", "null"]},
    }),
    "PauseRequest": obj({
        "reason": {"type": "string", "enum": list(PAUSE_REASONS)},
        "until": {**ISO_TIME, "description": "resume by itself then (within 14 days); without it, until resumed"},
    }, required=["reason"], closed=True, examples=[{"reason": "admitted"}]),
    "EndRequest": obj({"reason": {"type": "string", "minLength": 1, "maxLength": 200}}, required=["reason"],
                      closed=True, examples=[{"reason": "admitted for CRS grade 2"}]),
    "EpisodeChange": obj({
        "patient_id": INT_ID, "episode_id": INT_ID,
        "status": {"type": "string", "enum": ["active", "paused", "ended"]},
    }, required=["patient_id", "episode_id", "status"]),
    "Assessment": obj({
        "level": LEVEL, "reasons": array(REASON),
        "instructions": array({"type": "string", "description": "instruction key"}), "assessed_at": ISO_TIME,
    }),
    "Reading": obj({
        "id": INT_ID, "taken_at": ISO_TIME, "temperature_c": {"type": ["number", "null"]},
        "systolic": {"type": ["integer", "null"]}, "diastolic": {"type": ["integer", "null"]},
        "spo2": {"type": ["integer", "null"]}, "heart_rate": {"type": ["integer", "null"]},
        "symptoms": array({"type": "string", "enum": list(SYMPTOMS)}),
        "source": {"type": "string", "enum": ["sms", "app"]},
    }),
    "Patient": obj({
        "id": INT_ID, "name": {"type": "string"}, "phone": {"type": "string", "pattern": r"^\+[1-9][0-9]{1,14}$"},
        "language": {"type": "string", "enum": ["en", "es"]},
        "baseline_systolic": {"type": ["integer", "null"]}, "baseline_spo2": {"type": ["integer", "null"]},
        "high_risk": {"type": "boolean"}, "risk_factors": array({"type": "string"}),
        "checkin_interval_minutes": {"type": ["integer", "null"]}, "opted_out_at": nullable(ISO_TIME),
        "mrn": {"type": ["string", "null"], "description": "medical record number (staff only, never texted)"},
        "birth_date": {"type": ["string", "null"], "format": "date",
                       "description": "date of birth, YYYY-MM-DD (staff only, never texted)"},
        "episode": nullable(ref("Episode")), "latest_assessment": nullable(ref("Assessment")),
        "readings": {**array(ref("Reading")), "description": "newest first"},
        "caregivers": {**array(ref("Caregiver")), "description": "current caregivers (at most 2), oldest first"},
    }),
    "Caregiver": obj({
        "id": INT_ID, "name": {"type": "string"}, "phone": {"type": "string", "pattern": r"^\+[1-9][0-9]{1,14}$"},
        "language": {"type": "string", "enum": ["en", "es"]}, "relationship": {"type": ["string", "null"]},
        "opted_out_at": {**nullable(ISO_TIME), "description": "when they texted STOP (their own texts only)"},
    }),
    "CaregiverRequest": obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "phone": {"type": "string", "description": "E.164, not the patient's own phone"},
        "language": {"type": "string", "enum": ["en", "es"], "description": "default: the patient's"},
        "relationship": {"type": ["string", "null"], "maxLength": 40, "description": "like daughter, husband"},
    }, required=["name", "phone"], closed=True,
        examples=[{"name": "Maria Example", "phone": "+15555550188", "language": "es", "relationship": "daughter"}]),
    "Caregivers": obj({"caregivers": array(ref("Caregiver"))}),
    "EnrollRequest": obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "phone": {"type": "string", "description": "E.164, like +15555550199 (a number without + is read as US)"},
        "language": {"type": "string", "enum": ["en", "es"], "default": "en"},
        "therapy": {"type": "string", "minLength": 1, "maxLength": 200, "description": "e.g. teclistamab"},
        "dose_given_at": {**ISO_TIME, "description": "the step-up dose; default now"},
        "baseline_systolic": {"type": ["integer", "null"], "minimum": int(PROFILE_RANGES["baseline_systolic"][0]),
                              "maximum": int(PROFILE_RANGES["baseline_systolic"][1])},
        "baseline_spo2": {"type": ["integer", "null"], "minimum": int(PROFILE_RANGES["baseline_spo2"][0]),
                          "maximum": int(PROFILE_RANGES["baseline_spo2"][1])},
        "high_risk": {"type": "boolean", "default": False},
        "risk_factors": array({"type": "string"}),
        "monitoring_hours": {"type": ["integer", "null"], "minimum": 1, "maximum": 336},
        "checkin_interval_minutes": {"type": ["integer", "null"], "minimum": 15, "maximum": 240},
        "caregivers": {**array(ref("CaregiverRequest")), "maxItems": 2,
                       "description": "each gets an explanation text; errors name caregivers[i].field"},
        "mrn": {"type": ["string", "null"], "pattern": r"^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$",
                "description": "medical record number, unique among patients (409 when another patient has it); "
                               "shown on staff pages only, never in a text"},
        "birth_date": {"type": ["string", "null"], "format": "date",
                       "description": "date of birth, YYYY-MM-DD, not in the future; staff pages only, never texted"},
    }, required=["name", "phone", "therapy"], closed=True,
        examples=[{"name": "Pat Example", "phone": "+15555550198", "language": "en", "therapy": "teclistamab",
                   "baseline_systolic": 120, "high_risk": False}]),
    "Enrolled": {"allOf": [ref("Patient"), obj({
        "patient_token": {"type": "string", "description": "the patient app's bearer token; shown once"},
    })]},
    "DoseRequest": obj({
        "therapy": {"type": "string", "minLength": 1, "maxLength": 200},
        "given_at": {**ISO_TIME, "description": "default now"},
    }, required=["therapy"]),
    "NewDose": {"allOf": [ref("Patient"), obj({"episode_id": INT_ID})]},
    "MedicationRequest": obj({
        "name": {"type": "string", "enum": list(MEDICATIONS)},
        "dose_mg": {"type": ["number", "null"], "minimum": 0.1, "maximum": 5000},
        "weight_kg": {"type": ["number", "null"], "minimum": 2, "maximum": 300,
                      "description": "tocilizumab without dose_mg: 8 mg/kg (SOP 5)"},
        "given_at": {**ISO_TIME, "description": "default now; not in the future"},
    }, required=["name"], closed=True),
    "Medication": obj({
        "id": INT_ID, "patient_id": INT_ID, "name": {"type": "string", "enum": list(MEDICATIONS)},
        "dose_mg": {"type": ["number", "null"]}, "weight_kg": {"type": ["number", "null"]}, "given_at": ISO_TIME,
    }),
    "MedicationEntry": obj({
        "id": INT_ID, "name": {"type": "string"}, "dose_mg": {"type": ["number", "null"]},
        "weight_kg": {"type": ["number", "null"]}, "given_at": ISO_TIME,
        "source": {"type": "string", "description": "staff, sms or app"},
    }),
    "Alert": obj({
        "id": INT_ID, "patient_id": INT_ID, "level": LEVEL, "reasons": array(REASON),
        "status": {"type": "string", "enum": ["open", "acknowledged", "resolved"]},
        "created_at": ISO_TIME, "acknowledged_at": nullable(ISO_TIME), "acknowledged_by": {"type": ["string", "null"]},
        "resolved_at": nullable(ISO_TIME), "resolved_by": {"type": ["string", "null"]},
        "resolution_note": {"type": ["string", "null"]},
        "outcome": nullable({"type": "string", "enum": list(OUTCOMES), "description": "what came of it (resolve)"}),
    }),
    "ResolveRequest": obj({"note": {"type": "string", "maxLength": 2000},
                           "outcome": {"type": "string", "enum": list(OUTCOMES)}}, required=[], closed=True),
    "AlertReport": obj({
        "since": ISO_TIME, "until": {**ISO_TIME, "description": "not included"},
        "alerts": {"type": "integer", "minimum": 0, "description": "alerts opened in the period"},
        "by_level": {"type": "object", "additionalProperties": {"type": "integer"}},
        "by_reason": {"type": "object", "additionalProperties": {"type": "integer"}},
        "first_page_seconds": obj({"median": {"type": ["number", "null"]}, "p90": {"type": ["number", "null"]}},
                                  description="from the alert to its first page sent"),
        "ack_seconds": obj({"median": {"type": ["number", "null"]}, "p90": {"type": ["number", "null"]}},
                           description="from the alert to its acknowledgement"),
        "repaged": {"type": "integer", "minimum": 0}, "called": {"type": "integer", "minimum": 0},
        "outcomes": {"type": "object", "additionalProperties": {"type": "integer"}},
        "unresolved": {"type": "integer", "minimum": 0}, "patient_days": {"type": "number", "minimum": 0},
        "missed_checkin_alerts_per_patient_day": {"type": ["number", "null"]},
    }),
    "Message": obj({
        "id": INT_ID, "direction": {"type": "string", "enum": ["in", "out"]},
        "to": {"type": "string"}, "from": {"type": "string"}, "body": {"type": "string"},
        "kind": {"type": "string", "enum": ["prompt", "reminder", "reply", "alert", "info", "call"]},
        "patient_id": nullable(INT_ID), "alert_id": nullable(INT_ID),
        "caregiver_id": {**nullable(INT_ID), "description": "the caregiver who wrote or was texted"},
        "status": {"type": "string", "description": "received, processed, queued, sending, sent, delivered, "
                                                   "failed, undelivered ..."},
        "created_at": ISO_TIME,
        "outcome": {"type": ["string", "null"], "enum": ["acknowledged", "passed", "no_answer", "machine", None],
                    "description": "a call's outcome (kind call); null for texts and undecided calls"},
    }),
    "GradeRequest": obj({
        "temperature_c": {"type": ["number", "null"], "minimum": 25, "maximum": 45},
        "fever_masked": {"type": "boolean", "description": "antipyretic or anticytokine therapy was given"},
        "hypotension": {"type": "boolean"},
        "vasopressors": {"type": "integer", "enum": [0, 1, 2], "description": "other than vasopressin"},
        "vasopressin": {"type": "boolean"},
        "oxygen": {"type": "string", "enum": ["none", "low_flow", "high_flow", "positive_pressure"]},
        "oxygen_lpm": {"type": ["number", "null"], "minimum": 0, "maximum": 100,
                       "description": "litres per minute; where given it decides low versus high flow"},
    }, required=[]),
    "Grade": obj({
        "grade": {"type": "integer", "minimum": 0, "maximum": 4, "description": "0: CRS criteria not met"},
        "driver": {"type": "string", "enum": ["none", "fever", "hypotension", "hypoxia"]},
        "management": array({"type": "string"}),
    }),
    "Settings": obj({
        "effective": obj({
            "clinic": {"type": "object"}, "checkins": {"type": "object"}, "thresholds": {"type": "object"},
            "escalation": {"type": "object"},
            "rota": obj({"clinic_hours": array({"type": "string"}), "after_hours": array({"type": "string"})},
                        required=["clinic_hours", "after_hours"]),
            "oncall": array(obj({"name": {"type": "string"}, "phone": {"type": "string"}}, required=["name", "phone"])),
        }),
        "overrides": {"type": "object", "description": "the dashboard's edits over the config file, by dotted key"},
        "history": array(obj({"at": {"type": "string"}, "by": {"type": "string"}, "key": {"type": "string"}},
                             required=["at", "by", "key"])),
    }),
    "SettingsChange": {
        "type": "object", "minProperties": 1,
        "description": 'dotted keys to new values, like {"thresholds.fever_c": 38.0}; "oncall" takes the '
                       "whole chain. Editable sections: clinic, checkins, thresholds, escalation, rota, oncall.",
        "propertyNames": {"pattern": r"^((clinic|checkins|thresholds|escalation|rota)\.[a-z_]+|oncall)$"},
        "examples": [{"thresholds.fever_c": 38.0, "checkins.interval_minutes": 120,
                      "oncall": [{"name": "Primary nurse", "phone": "+15555550142"}]}],
    },
    "Me": obj({
        "id": INT_ID, "name": {"type": "string"}, "language": {"type": "string", "enum": ["en", "es"]},
        "episode": nullable(ref("Episode")), "latest_assessment": nullable(ref("Assessment")),
        "next_checkin_at": nullable(ISO_TIME), "readings": array(ref("Reading")),
    }),
    "ReadingRequest": obj({
        "temperature": obj({"value": {"type": "number"}, "unit": {
            "type": "string", "enum": ["C", "F"],
            "description": "optional: without it the number is read as a text is (34-43 C, 93-110 F)"}},
                           required=["value"], closed=True),
        "systolic": {"type": ["integer", "null"]}, "diastolic": {"type": ["integer", "null"]},
        "spo2": {"type": ["integer", "null"]}, "heart_rate": {"type": ["integer", "null"]},
        "symptoms": array({"type": "string", "enum": list(SYMPTOMS)}),
        "taken_at": {**ISO_TIME, "description": "default now; not in the future"},
    }, required=[], closed=True, minProperties=1,
        examples=[{"temperature": {"value": 100.9, "unit": "F"}, "systolic": 118, "diastolic": 76, "spo2": 96,
                   "heart_rate": 88, "symptoms": ["chills"]}],
        description="at least one value; an implausible one is kept out and named (implausible_reading)"),
    "PatientMedicationRequest": obj({
        "name": {"type": "string", "enum": ["acetaminophen"]},
        "dose_mg": {"type": ["number", "null"], "minimum": 80, "maximum": 2000},
        "taken_at": {**ISO_TIME, "description": "default now; not in the future"},
    }, required=["name"], closed=True),
    "Answer": obj({
        "assessment": obj({
            "level": LEVEL, "reasons": array(REASON),
            "instructions": {**array({"type": "string"}), "description": "what to do, in the patient's language"},
            "instruction_keys": array({"type": "string"}),
            "next_acetaminophen_at": nullable(ISO_TIME),
        }),
        "next_checkin_at": ISO_TIME,
    }),
}

ERRORS = {
    "400": "bad input: the field is named",
    "401": "no or a wrong bearer token",
    "403": "the token's role may not do this",
    "404": "no such patient, alert or endpoint",
    "409": "conflicts with the current state (the error says which rule)",
    "413": "the request body is too large",
    "429": "too many requests (or failed token checks) from this client: retry after the Retry-After seconds",
    "503": "the database is busy or its storage failed (full, read-only, damaged); retry after the Retry-After seconds",
}


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def responses(ok: str, schema: dict, description: str, errors: tuple[str, ...]) -> dict:
    shown = {ok: {"description": description, "content": json_content(schema)}}
    for code in errors:
        shown[code] = {"$ref": f"#/components/responses/E{code}"}
    return shown


def operation(summary: str, ok: str, schema: dict, description: str, *, tag: str, security: str,
              body: str | None = None, body_required: bool = True, errors: tuple[str, ...] = (),
              parameters: list[dict] | None = None, operation_id: str) -> dict:
    auth_errors = ("401", "403") if security == "staffToken" else ("401",)
    shown = {
        "operationId": operation_id, "summary": summary, "tags": [tag], "security": [{security: []}],
        "responses": responses(ok, schema, description, tuple(sorted({*auth_errors, *errors, "429", "503"}))),
    }
    if body:
        shown["requestBody"] = {"required": body_required, "content": json_content(ref(body))}
    if parameters:
        shown["parameters"] = parameters
    return shown


def path_id(name: str, what: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": INT_ID, "description": what, "example": 1}


def query(name: str, schema: dict, what: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": what}


PATIENT_ID = path_id("patient_id", "the patient's id")
ALERT_ID = path_id("alert_id", "the alert's id")
WRITE = ("400", "413")


def _paths() -> dict:
    staff = {"tag": "staff", "security": "staffToken"}
    me = {"tag": "patient app", "security": "patientToken"}
    return {
        f"{API}/patients": {
            "post": operation("Enroll a patient and open a monitoring episode; the first check-in is due now",
                              "201", ref("Enrolled"), "enrolled", body="EnrollRequest", errors=(*WRITE, "409"),
                              operation_id="enrollPatient", **staff),
            "get": operation("Patients with an active episode (all=1: every patient)", "200",
                             array(ref("Patient")), "patients by name",
                             parameters=[query("all", {"type": "string", "enum": ["0", "1"]},
                                               "1 lists patients whose monitoring has ended too")],
                             operation_id="listPatients", **staff),
        },
        f"{API}/patients/{{patient_id}}": {
            "get": operation("One patient: episode, latest assessment, readings newest first", "200",
                             ref("Patient"), "the patient", parameters=[PATIENT_ID], errors=("404",),
                             operation_id="getPatient", **staff),
        },
        f"{API}/patients/{{patient_id}}/doses": {
            "post": operation("A new step-up dose: ends the current episode and opens a new one", "201",
                              ref("NewDose"), "the patient with the new episode", body="DoseRequest",
                              parameters=[PATIENT_ID], errors=(*WRITE, "404"), operation_id="newDose", **staff),
        },
        f"{API}/patients/{{patient_id}}/caregivers": {
            "post": operation("Add a caregiver (at most 2); they get an explanation text", "201", ref("Caregiver"),
                              "the caregiver", body="CaregiverRequest", parameters=[PATIENT_ID],
                              errors=(*WRITE, "404", "409"), operation_id="addCaregiver", **staff),
        },
        f"{API}/patients/{{patient_id}}/caregivers/{{caregiver_id}}": {
            "delete": operation("Remove a caregiver: no more texts to them; their past texts keep their name", "200",
                                ref("Caregivers"), "the caregivers left",
                                parameters=[PATIENT_ID, path_id("caregiver_id", "the caregiver's id")],
                                errors=("404",), operation_id="removeCaregiver", **staff),
        },
        f"{API}/patients/{{patient_id}}/pause": {
            "post": operation("Pause check-ins (in hospital, ED or clinic): no prompts and no missed check-ins; "
                              "a red flag texted meanwhile still pages", "200", ref("EpisodeChange"), "paused",
                              body="PauseRequest", parameters=[PATIENT_ID], errors=(*WRITE, "404", "409"),
                              operation_id="pauseMonitoring", **staff),
        },
        f"{API}/patients/{{patient_id}}/resume": {
            "post": operation("Resume check-ins; the next prompt is due now", "200", ref("EpisodeChange"), "resumed",
                              parameters=[PATIENT_ID], errors=("404", "409"), operation_id="resumeMonitoring",
                              **staff),
        },
        f"{API}/patients/{{patient_id}}/end": {
            "post": operation("End monitoring early, with a reason", "200", ref("EpisodeChange"), "ended",
                              body="EndRequest", parameters=[PATIENT_ID], errors=(*WRITE, "404", "409"),
                              operation_id="endMonitoring", **staff),
        },
        f"{API}/patients/{{patient_id}}/medications": {
            "post": operation("Record a dose given; tocilizumab beyond the SOP's limits is refused (409)", "201",
                              ref("Medication"), "recorded", body="MedicationRequest", parameters=[PATIENT_ID],
                              errors=(*WRITE, "404", "409"), operation_id="giveMedication", **staff),
            "get": operation("Doses recorded for a patient, newest first", "200", array(ref("MedicationEntry")),
                             "doses", parameters=[PATIENT_ID], errors=("404",), operation_id="listMedications",
                             **staff),
        },
        f"{API}/alerts": {
            "get": operation("Alerts, newest first", "200", array(ref("Alert")), "alerts",
                             parameters=[
                                 query("status", {"type": "string", "default": "open",
                                                  "enum": ["open", "acknowledged", "resolved", "active", "all"]},
                                       "active: open or acknowledged"),
                                 query("patient_id", INT_ID, "only this patient's alerts"),
                                 query("level", {"type": "string", "enum": ["clinician_review", "urgent"]},
                                       "only alerts of this level"),
                                 query("since", {"type": "string"}, "opened at or after: a clinic date "
                                                                    "(YYYY-MM-DD) or an ISO time with offset"),
                                 query("until", {"type": "string"}, "opened before: a time, or a date "
                                                                    "(that whole clinic day included)")],
                             errors=("400",), operation_id="listAlerts", **staff),
        },
        f"{API}/alerts/{{alert_id}}/ack": {
            "post": operation("Acknowledge an alert: paging stops", "200", ref("Alert"), "the alert",
                              parameters=[ALERT_ID], errors=("404",), operation_id="acknowledgeAlert", **staff),
        },
        f"{API}/alerts/{{alert_id}}/resolve": {
            "post": operation("Resolve an alert with a note and what came of it", "200", ref("Alert"), "the alert",
                              body="ResolveRequest", body_required=False, parameters=[ALERT_ID],
                              errors=(*WRITE, "404", "409"), operation_id="resolveAlert", **staff),
        },
        f"{API}/reports/alerts": {
            "get": operation("Response times of the alerts opened in a period (default: the last 30 clinic days)",
                             "200", ref("AlertReport"), "the figures",
                             parameters=[query("since", {"type": "string"}, "a clinic date or an ISO time"),
                                         query("until", {"type": "string"}, "a clinic date (included) or an ISO "
                                                                            "time (not included); default now")],
                             errors=("400",), operation_id="alertReport", **staff),
        },
        f"{API}/messages": {
            "get": operation("The message log, oldest first (texts to staff included without patient_id)", "200",
                             array(ref("Message")), "messages (at most 1000; page on with after_id)",
                             parameters=[query("patient_id", INT_ID, "only this patient's texts"),
                                         query("after_id", {"type": "integer", "minimum": 0,
                                                            "maximum": 2**63 - 1},
                                               "only messages with a larger id")],
                             errors=("400",), operation_id="listMessages", **staff),
        },
        f"{API}/grade": {
            "post": operation("ASTCT CRS grade and the SOP's management for it", "200", ref("Grade"), "the grade",
                              body="GradeRequest", body_required=False, errors=WRITE, operation_id="gradeCrs",
                              **staff),
        },
        f"{API}/settings": {
            "get": operation("The clinic's effective settings (no secrets), overrides and change history", "200",
                             ref("Settings"), "settings", operation_id="getSettings", **staff),
            "put": operation("Change clinic settings (admin only); every change is audited", "200",
                             ref("Settings"), "the settings after the change", body="SettingsChange",
                             errors=WRITE, operation_id="changeSettings", **staff),
        },
        f"{API}/me": {
            "get": operation("My episode, latest assessment, next check-in and readings", "200", ref("Me"), "me",
                             operation_id="getMe", **me),
        },
        f"{API}/me/readings": {
            "post": operation("Report a reading; triaged exactly as a text would be", "201", ref("Answer"),
                              "the assessment and what to do", body="ReadingRequest",
                              errors=(*WRITE, "409"), operation_id="submitReading", **me),
        },
        f"{API}/me/medications": {
            "post": operation("Report acetaminophen taken", "201", ref("Answer"), "the assessment and what to do",
                              body="PatientMedicationRequest", errors=(*WRITE, "409"),
                              operation_id="submitMedication", **me),
        },
    }


def document() -> dict:
    """The whole OpenAPI 3.1 document (a fresh copy each call)."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "crswatch API", "version": "1",
            "description": "Staff API and patient app API of crswatch (home monitoring for cytokine release "
                           "syndrome). Errors are JSON {\"error\", \"field\"?}. See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": "staff", "description": "clinic staff: token from `flask --app app staff add`"},
                 {"name": "patient app", "description": "a patient's own data: token returned at enrollment"}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "responses": {f"E{code}": {"description": text, "content": json_content(ref("Error"))}
                          for code, text in ERRORS.items()},
            "securitySchemes": {
                "staffToken": {"type": "http", "scheme": "bearer",
                               "description": "a staff API token (nurse or admin)"},
                "patientToken": {"type": "http", "scheme": "bearer",
                                 "description": "the patient_token returned when the patient was enrolled"},
            },
        },
    })


@bp.get(f"{API}/openapi.json")
def openapi_json():
    return jsonify(document())
