"""A device's FHIR Observation -> the patient it is about and the patient-app reading body it stands for.

Only reading: no database writes (monitoring.device_readings records). The body is then validated and
triaged by the patient app's own functions (monitoring.app_api, CONTRACT section 5), so a device reading
is judged exactly as an app reading. Accepted (FHIR R4 vital signs, US Core):
body temperature 8310-5 (or oral 8331-1, axillary 8328-7, tympanic 8333-7) in Cel or [degF];
blood pressure panel 85354-9 with components 8480-6 and 8462-4 in mm[Hg]; heart rate 8867-4 in /min;
oxygen saturation 59408-5 or 2708-6 in %. Every refusal is a FhirError naming the element.

A reading a body can show is not lost to how a device wrote it: a panel whose diastolic the cuff could not read
(its component absent or with a dataAbsentReason) and a systolic (8480-6) or diastolic (8462-4) posted on its own
are the app's systolic or diastolic alone; a UCUM annotation ('%{saturation}', '{beats}/min') is the unit it
annotates; a whole-number vital given with decimals (SpO2 89.6) is the whole number below it (`_whole`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitoring import app_api
from monitoring import fhir_codes as codes
from monitoring.bodies import EARLIEST, LATEST
from monitoring.clinic import Clinic, ServiceError
from monitoring.fhir_outcome import FhirError
from monitoring.patients import patient_with_mrn
from monitoring.rows import Patient
from monitoring.store import patient_by_id

ACCEPTED_STATUS = ("final", "amended", "corrected")
UNITS: dict[str, dict[str, str | None]] = {"temp": {"Cel": "C", "[degF]": "F"}, "hr": {"/min": None},
                                          "spo2": {"%": None}}
# app body field -> the element a device sent it in
ELEMENTS = {"temperature": "Observation.valueQuantity.value", "temperature.value": "Observation.valueQuantity.value",
            "heart_rate": "Observation.valueQuantity.value", "spo2": "Observation.valueQuantity.value",
            "systolic": "Observation.component[0].valueQuantity.value",
            "diastolic": "Observation.component[1].valueQuantity.value",
            "taken_at": "Observation.effectiveDateTime", "body": "Observation"}
PRESSURE_FIELDS = {codes.SYSTOLIC[0]: "systolic", codes.DIASTOLIC[0]: "diastolic"}
ANNOTATION = re.compile(r"\{[^{}]*\}")  # UCUM section 6: curly braces annotate a unit and do not change it


@dataclass(frozen=True)
class Incoming:
    """One device Observation, understood: whose, which vital (canonical LOINC), when, and its values."""

    patient: Patient
    code: str
    kind: str  # temp | bp | hr | spo2 (fhir_codes.VITALS)
    effective_at: datetime
    values: dict[str, Any]  # as app_api.reading_values returns them


def read_observation(clinic: Clinic, device: dict[str, Any], resource: object, now: datetime) -> Incoming:
    """Validate `resource` (parsed JSON) as a vital-signs Observation (FHIR R4 vital signs profile, US Core)
    from `device` (a devices row as `devices.device_by_token` gives it: its "patient_id" None for a clinic
    device). An effectiveDateTime more than 5 minutes after `now` (aware UTC, the caller's) is refused as
    in the future. Raises FhirError (400 malformed, 403 a device bound to another patient, 422 understood
    but refused) with the FHIRPath of the element at fault."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
        raise FhirError(400, "the resource must be an Observation", "Observation.resourceType")
    if resource.get("status") not in ACCEPTED_STATUS:
        raise FhirError(422, f"status must be one of {', '.join(ACCEPTED_STATUS)} (a reading to act on)",
                        "Observation.status", "value")
    kind, code = _kind(resource)
    effective_at = _effective(resource)
    body: dict[str, Any] = {"taken_at": effective_at.isoformat()}
    elements = dict(ELEMENTS)
    if kind == "bp" and code in PRESSURE_FIELDS:  # a systolic or diastolic Observation of its own
        value, _ = _quantity(resource.get("valueQuantity"), "bp", "Observation.valueQuantity")
        body[PRESSURE_FIELDS[code]] = value
        elements[PRESSURE_FIELDS[code]] = "Observation.valueQuantity.value"
    elif kind == "bp":
        pressure = _pressure(resource)
        body.update({field: value for field, (value, _) in pressure.items()})
        elements.update({field: element for field, (_, element) in pressure.items()})
    else:
        value, unit = _quantity(resource.get("valueQuantity"), kind, "Observation.valueQuantity")
        if kind == "temp":
            body["temperature"] = {"value": value, "unit": unit}
        else:
            body["heart_rate" if kind == "hr" else "spo2"] = value
    patient = _patient(clinic, device, resource.get("subject"))
    try:
        values = app_api.reading_values(body)
        app_api.taken_at(body, now)
    except ServiceError as error:
        raise FhirError(422, error.message, elements.get(error.field or "body", "Observation"), "value") from None
    if values["implausible"]:
        field = min(values["implausible"])
        raise FhirError(422, "the value is outside what a body can show (triage.ranges); measure again",
                        elements.get(field.removesuffix("_c"), "Observation.valueQuantity.value"), "value")
    return Incoming(patient, code, kind, effective_at, values)


def _kind(resource: dict[str, Any]) -> tuple[str, str]:
    """(kind, the kind's canonical LOINC code) from Observation.code."""
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list) or not codings:
        raise FhirError(400, "code.coding is required: a LOINC vital sign code", "Observation.code.coding")
    for coding in codings:
        if not isinstance(coding, dict) or coding.get("system") != codes.LOINC:
            continue
        value = coding.get("code")
        if not isinstance(value, str):
            continue
        if value in codes.TEMPERATURE_CODES:
            return "temp", codes.VITALS["temp"]["loinc"]
        if value == codes.VITALS["bp"]["loinc"] or value in PRESSURE_FIELDS:
            return "bp", value
        if value == codes.VITALS["hr"]["loinc"]:
            return "hr", value
        if value in codes.SPO2_CODES:
            return "spo2", codes.VITALS["spo2"]["loinc"]
    raise FhirError(422, "code must be a LOINC vital sign crswatch triages: 8310-5 (or 8331-1, 8328-7, 8333-7) body "
                         "temperature, 85354-9 blood pressure panel (or 8480-6 systolic, 8462-4 diastolic), 8867-4 heart rate, 59408-5 or 2708-6 "
                         "oxygen saturation", "Observation.code", "code-invalid")


def _effective(resource: dict[str, Any]) -> datetime:
    """When the reading was taken: effectiveDateTime, or effectiveInstant (the same moment, always with its offset;
    FHIR R4 Observation.effective[x]); a period or a timing is no one moment (422)."""
    name = "effectiveDateTime" if "effectiveDateTime" in resource or "effectiveInstant" not in resource \
        else "effectiveInstant"
    text = resource.get(name)
    if text is None:
        other = next((key for key in resource if key.startswith("effective")), None)
        raise FhirError(400 if other is None else 422, "effectiveDateTime is required: when the reading was taken, "
                        "with its offset", f"Observation.{other or 'effectiveDateTime'}", "required")
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) and "T" in text else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not EARLIEST <= moment < LATEST:
        raise FhirError(400, f"{name} must be a dateTime with time and offset, like "
                             "2026-03-03T10:00:00-06:00", f"Observation.{name}")
    return moment


def _quantity(quantity: object, kind: str, element: str) -> tuple[float, str | None]:
    if not isinstance(quantity, dict):
        raise FhirError(400, "valueQuantity is required", element, "required")
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FhirError(400, "valueQuantity.value must be a number", f"{element}.value")
    if quantity.get("system") not in (None, codes.UCUM):
        raise FhirError(422, f"units must be UCUM ({codes.UCUM})", f"{element}.system", "value")
    allowed = UNITS.get(kind, {codes.MMHG: None})
    unit = quantity.get("code", quantity.get("unit"))
    if isinstance(unit, str) and ANNOTATION.sub("", unit):
        unit = ANNOTATION.sub("", unit)  # '%{saturation}' is '%'; '{ratio}' alone is no unit here
    if not isinstance(unit, str) or unit not in allowed:
        raise FhirError(422, f"the unit must be one of {', '.join(allowed)} (UCUM)", f"{element}.code", "value")
    return (value if kind == "temp" else _whole(value)), allowed[unit]


def _whole(value: float) -> float:
    """A whole-number vital (SpO2 %, mmHg, per minute) a device gave with decimals, as the whole number below it:
    every SOP line it meets is a whole number (SOP 5, Grade 1 Home, line 64: "< 90 mm Hg systolic", "10 mm Hg
    below baseline", "new hypoxia (< 90%)"), and x < N exactly when floor(x) < N, so each rule answers as on the
    device's own value; rounding would read 89.6% as a normal 90%. NaN and infinities stay (refused as no whole
    number by app_api's body)."""
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return math.floor(value)
    return value


def _pressure(resource: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """{"systolic" and/or "diastolic": (value, the element holding it)} from a blood pressure panel."""
    components = resource.get("component")
    if not isinstance(components, list):
        raise FhirError(400, "a blood pressure panel needs components 8480-6 and 8462-4", "Observation.component",
                        "required")
    found: dict[str, tuple[float, str]] = {}
    for index, component in enumerate(components):
        code = component.get("code") if isinstance(component, dict) else None
        codings = code.get("coding") if isinstance(code, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if isinstance(coding, dict) and coding.get("system") == codes.LOINC and coding.get("code") in \
                    PRESSURE_FIELDS:
                if "valueQuantity" not in component and "dataAbsentReason" in component:
                    continue  # the cuff could not read this half: the other is still a reading (as the app's)
                element = f"Observation.component[{index}].valueQuantity"
                value, _ = _quantity(component.get("valueQuantity"), "bp", element)
                found[PRESSURE_FIELDS[coding["code"]]] = (value, f"{element}.value")
    if not found:
        raise FhirError(422, "the blood pressure panel has no value in component 8480-6 (systolic) or 8462-4 "
                             "(diastolic)", "Observation.component", "required")
    return found


def _patient(clinic: Clinic, device: dict[str, Any], subject: object) -> Patient:
    """The device's own patient, or (a clinic device) the patient named by MRN or by reference."""
    bound = device["patient_id"]
    if subject is None:
        if bound is None:
            raise FhirError(400, "subject is required from a clinic device: give the patient's MRN as "
                                 "subject.identifier", "Observation.subject", "required")
        own = patient_by_id(clinic.db, bound)
        assert own is not None  # devices.patient_id is a foreign key
        return own
    if not isinstance(subject, dict):
        raise FhirError(400, "subject must be a Reference", "Observation.subject")
    patient = _by_reference(clinic, subject) if "reference" in subject else _by_identifier(clinic, subject)
    if bound is not None and patient.id != bound:
        raise FhirError(403, "this device is bound to another patient", "Observation.subject", "forbidden")
    return patient


def _by_reference(clinic: Clinic, subject: dict[str, Any]) -> Patient:
    text = subject.get("reference")
    number = text.removeprefix("Patient/") if isinstance(text, str) else ""
    row: Patient | None = None
    if number.isascii() and number.isdigit() and len(number) < 19:
        row = patient_by_id(clinic.db, int(number))
    if row is None:
        raise FhirError(422, f"no patient {text!r}", "Observation.subject.reference", "not-found")
    return row


def _by_identifier(clinic: Clinic, subject: dict[str, Any]) -> Patient:
    identifier = subject.get("identifier")
    if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
        raise FhirError(400, "subject.identifier must be {system, value} with the patient's MRN",
                        "Observation.subject.identifier")
    system = identifier.get("system")
    if system not in (None, clinic.config["fhir"]["mrn_system"]):
        raise FhirError(422, f"subject.identifier.system must be the clinic's MRN system "
                             f"{clinic.config['fhir']['mrn_system']}", "Observation.subject.identifier.system",
                        "value")
    row: Patient | None = patient_with_mrn(clinic, identifier["value"])
    if row is None:
        raise FhirError(422, f"no patient with MRN {identifier['value']!r}", "Observation.subject.identifier.value",
                        "not-found")
    return row
