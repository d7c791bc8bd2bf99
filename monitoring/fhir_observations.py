"""A stored reading -> its FHIR R4 Observations: one per vital sign, plus one for reported symptoms.

Vital signs follow the FHIR R4 Vital Signs profiles and US Core (hl7.org/fhir/us/core):
body temperature 8310-5 in Cel (the value as the patient or device gave it kept in a note), the blood
pressure panel 85354-9 with 8480-6 / 8462-4 in mm[Hg], heart rate 8867-4 in /min, and oxygen saturation
coded 2708-6 and 59408-5 in %. Symptoms are an Observation (LOINC 75325-1 "Symptom", category survey)
with one component per symptom: valueBoolean true where reported, false where denied.
Ids are "<reading id>-<kind>", kind one of temp, bp, hr, spo2, sym.
"""
from __future__ import annotations

import sqlite3

import sqlite_utils

from messages.texts import symptom_label
from monitoring import fhir_codes as codes
from monitoring.rows import Reading
from monitoring.store import loads
from monitoring.views import iso

SOURCE_TEXT = {"sms": "Reported by the patient by text message", "app": "Reported by the patient in the app",
               "device": "Measured by a device"}
# The columns holding each kind's value: a reading has the kind when one of them is set.
KIND_COLUMNS = {"temp": ("temperature_c",), "bp": ("systolic", "diastolic"), "hr": ("heart_rate",),
                "spo2": ("spo2",)}


def kinds_of(row: sqlite3.Row | Reading) -> list[str]:
    """The Observations a reading (a readings row, or its typed row) yields, in OBSERVATION_KINDS order:
    temp, bp, hr, spo2 for each vital it holds, sym when it reports or denies a symptom."""
    reading = row if isinstance(row, Reading) else Reading.from_row(row)
    found = [kind for kind, columns in KIND_COLUMNS.items()
             if any(getattr(reading, c) is not None for c in columns)]
    if loads(reading.symptoms, []) or loads(reading.denied_symptoms, []):
        found.append("sym")
    return found


ORDER = ("resourceType", "id", "meta", "status", "category", "code", "subject", "effectiveDateTime", "issued",
         "performer", "valueQuantity", "note", "device", "component")


def observation(row: sqlite3.Row, kind: str) -> codes.Json:
    """The `kind` Observation (temp | bp | hr | spo2 | sym; FHIR R4 vital signs profiles and US Core, see the
    module doc) of reading `row` (as `reading_row` gives it: a readings row with a `device_id` column, None
    unless a device posted it), its elements in the order the FHIR specification lists them."""
    resource = _observation(Reading.from_row(row), row["device_id"], kind)
    return {key: resource[key] for key in ORDER if key in resource}


def _observation(reading: Reading, device_id: int | None, kind: str) -> codes.Json:
    source = reading.source
    resource: codes.Json = {
        "resourceType": "Observation", "id": f"{reading.id}-{kind}",
        "meta": {"lastUpdated": iso(reading.created_at),
                 "tag": [codes.coding(codes.READING_SOURCE, source, SOURCE_TEXT.get(source, source))]},
        "status": "final",
        "subject": {"reference": f"Patient/{reading.patient_id}"},
        "effectiveDateTime": iso(reading.taken_at), "issued": iso(reading.created_at),
    }
    if device_id is not None:
        resource["device"] = {"reference": f"Device/{device_id}"}
        resource["performer"] = [{"reference": f"Patient/{reading.patient_id}", "display": "the patient (wearing it)"}]
    else:
        resource["performer"] = [{"reference": f"Patient/{reading.patient_id}",
                                  "display": SOURCE_TEXT.get(source, source)}]
    if kind == "sym":
        resource.update(_symptoms(reading))
        return resource
    vital = codes.VITALS[kind]
    resource["meta"]["profile"] = list(vital["profiles"])
    resource["category"] = [_category("vital-signs", "Vital Signs")]
    code = [codes.coding(codes.LOINC, vital["loinc"], vital["display"])]
    if "also" in vital:
        code.insert(0, codes.coding(codes.LOINC, *vital["also"]))
    resource["code"] = {"coding": code, "text": vital["display"]}
    if kind == "bp":
        resource["component"] = [_component(codes.SYSTOLIC, reading.systolic),
                                 _component(codes.DIASTOLIC, reading.diastolic)]
    elif kind == "temp":
        if reading.temperature_c is None:  # never: a reading has a temp Observation only with a temperature (kinds_of)
            raise ValueError(f"reading {reading.id} has no temperature")
        resource["valueQuantity"] = codes.quantity(reading.temperature_c, "Cel", "C")
        notes = [note for note in (_given_as(reading), _said_earlier(reading)) if note]
        if notes:
            resource["note"] = [{"text": note} for note in notes]
    else:
        column = KIND_COLUMNS[kind][0]
        resource["valueQuantity"] = codes.quantity(getattr(reading, column), vital["unit"], vital["unit_text"])
    return resource


def _category(code: str, display: str) -> codes.Json:
    return {"coding": [codes.coding(codes.OBSERVATION_CATEGORY, code, display)], "text": display}


def _component(loinc: tuple[str, str], value: int | None) -> codes.Json:
    component = {"code": {"coding": [codes.coding(codes.LOINC, *loinc)], "text": loinc[1]}}
    if value is None:  # a systolic pressure without its diastolic (vital signs: value or a reason it is absent)
        component["dataAbsentReason"] = codes.concept(codes.DATA_ABSENT, "unknown", "Unknown")
    else:
        component["valueQuantity"] = codes.quantity(value, codes.MMHG, "mmHg")
    return component


def _given_as(reading: Reading) -> str | None:
    """The temperature as it was given (value and unit), where the store knows it."""
    unit, given = reading.temperature_unit, reading.temperature_given
    if unit not in ("C", "F"):
        return None
    ucum = "Cel" if unit == "C" else "[degF]"
    if given is None:
        return f"Given in {ucum}"
    return f"Given as {given:g} {ucum}"


def _said_earlier(reading: Reading) -> str | None:
    """A fever a text gave as earlier than its current temperature (monitoring.care._record_earlier_fevers): said so,
    with the words that timed it, and whether effectiveDateTime is the time the text gave or only the latest it can
    have been (a receiving system must not read it as measured at that minute)."""
    if reading.said_earlier is None:
        return None
    words = f' ("{reading.said_earlier}")' if reading.said_earlier else ""
    if reading.earlier_timed:
        return f"Reported by text as an earlier temperature{words}, at the time the text gave"
    return (f"Reported by text as an earlier temperature{words}; the text gave no time: effectiveDateTime is the "
            "latest it can have been")


def _symptoms(reading: Reading) -> codes.Json:
    reported = loads(reading.symptoms, [])
    denied = [code for code in loads(reading.denied_symptoms, []) if code not in reported]
    components = [_symptom(code, True) for code in reported] + [_symptom(code, False) for code in denied]
    return {"category": [_category("survey", "Survey")],
            "code": {"coding": [codes.coding(codes.LOINC, *codes.SYMPTOM_LOINC)], "text": "Symptoms reported"},
            "component": components}


def _symptom(code: str, present: bool) -> codes.Json:
    coding = [codes.coding(codes.SYMPTOM, code, symptom_label(code, "en"))]
    if code in codes.SYMPTOM_SNOMED:
        coding.append(codes.coding(codes.SNOMED, *codes.SYMPTOM_SNOMED[code]))
    return {"code": {"coding": coding, "text": symptom_label(code, "en")}, "valueBoolean": present}


READING_SQL = ("SELECT r.*, (SELECT d.device_id FROM device_observations d WHERE d.reading_id = r.id "
               "ORDER BY d.id LIMIT 1) AS device_id FROM readings r")


def reading_row(db: sqlite_utils.Database, reading_id: int) -> sqlite3.Row | None:
    """The readings row with its `device_id` (None unless a device posted it), or None."""
    row: sqlite3.Row | None = db.execute(f"{READING_SQL} WHERE r.id = ?", [reading_id]).fetchone()
    return row
