"""The codes and profiles crswatch's FHIR R4 resources use, in one place (docs/fhir.md lists them).

Sources: FHIR R4 Vital Signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html), US Core
Observation profiles (hl7.org/fhir/us/core), LOINC, UCUM, RxNorm ingredient codes, SNOMED CT findings.
Codes crswatch makes up itself (triage levels and reasons, reading sources) are in its own code
systems under CRS_SYSTEM; they are not published terminology.
"""
from __future__ import annotations

from typing import Any

Json = dict[str, Any]  # a FHIR resource or element, as JSON

FHIR_VERSION = "4.0.1"
MIME = "application/fhir+json"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
COMMUNICATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
CONTACT_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/v2-0131"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
BCP47 = "urn:ietf:bcp:47"

CRS_SYSTEM = "https://crswatch.org/fhir/CodeSystem"
CRS_PATIENT_ID = "https://crswatch.org/fhir/NamingSystem/patient-id"
TRIAGE_LEVEL = f"{CRS_SYSTEM}/triage-level"
TRIAGE_REASON = f"{CRS_SYSTEM}/triage-reason"
READING_SOURCE = f"{CRS_SYSTEM}/reading-source"
SYMPTOM = f"{CRS_SYSTEM}/symptom"

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
CORE = "http://hl7.org/fhir/StructureDefinition"

# The vital signs one reading row can hold: key -> what its Observation is.
VITALS: dict[str, dict[str, Any]] = {
    "temp": {"loinc": "8310-5", "display": "Body temperature", "unit": "Cel", "unit_text": "C",
             "profiles": [f"{CORE}/bodytemp", f"{US_CORE}/us-core-body-temperature"]},
    "bp": {"loinc": "85354-9", "display": "Blood pressure panel with all children optional",
           "profiles": [f"{CORE}/bp", f"{US_CORE}/us-core-blood-pressure"]},
    "hr": {"loinc": "8867-4", "display": "Heart rate", "unit": "/min", "unit_text": "beats/minute",
           "profiles": [f"{CORE}/heartrate", f"{US_CORE}/us-core-heart-rate"]},
    "spo2": {"loinc": "59408-5", "display": "Oxygen saturation in Arterial blood by Pulse oximetry",
             "also": ("2708-6", "Oxygen saturation in Arterial blood"), "unit": "%", "unit_text": "%",
             "profiles": [f"{CORE}/oxygensat", f"{US_CORE}/us-core-pulse-oximetry"]},
}
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
MMHG = "mm[Hg]"
SYMPTOM_LOINC = ("75325-1", "Symptom")
# Temperature codes a device may send: body temperature and its site-specific children, all read as one.
TEMPERATURE_CODES = {"8310-5", "8331-1", "8328-7", "8333-7"}  # body, oral, axillary, tympanic
SPO2_CODES = {"59408-5", "2708-6"}
OBSERVATION_KINDS = ("temp", "bp", "hr", "spo2", "sym")
# Which kinds each searchable code finds (components find their panel).
CODE_KINDS: dict[str, str] = {
    "8310-5": "temp", "85354-9": "bp", "8480-6": "bp", "8462-4": "bp", "8867-4": "hr", "59408-5": "spo2",
    "2708-6": "spo2", "75325-1": "sym",
}

# SNOMED CT findings for the symptom codes where one fits exactly; every symptom also has crswatch's code.
SYMPTOM_SNOMED: dict[str, tuple[str, str]] = {
    "confusion": ("286933003", "Confusional state"),
    "weakness": ("13791008", "Asthenia"),
    "dizziness": ("404640003", "Dizziness"),
    "chills": ("43724002", "Chill"),
    "shortness_of_breath": ("267036007", "Dyspnea"),
    "nausea": ("422587007", "Nausea"),
    "headache": ("25064002", "Headache"),
    "myalgia": ("68962001", "Muscle pain"),
}

# RxNorm ingredient concepts for the medicines crswatch records (triage.model.MEDICATIONS).
MEDICATION_RXNORM: dict[str, str] = {
    "acetaminophen": "161", "dexamethasone": "3264", "tocilizumab": "612865", "anakinra": "72435",
}

# Triage level -> the RiskAssessment's qualitative risk (how likely the patient needs care now).
LEVEL_RISK = {"routine": "negligible", "home_care": "low", "clinician_review": "moderate", "urgent": "high"}
LEVEL_DISPLAY = {"routine": "Routine", "home_care": "Home care", "clinician_review": "Clinician review",
                 "urgent": "Urgent"}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A FHIR Coding."""
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept of one coding; its text is `text`, else the display."""
    value: Json = {"coding": [coding(system, code, display)]}
    if text or display:
        value["text"] = text or display
    return value


def quantity(value: float, unit_code: str, unit_text: str | None = None) -> dict[str, Any]:
    """A UCUM Quantity: `unit_code` like Cel, mm[Hg], /min, %, mg; `unit_text` the human unit."""
    return {"value": value, "unit": unit_text or unit_code, "system": UCUM, "code": unit_code}
