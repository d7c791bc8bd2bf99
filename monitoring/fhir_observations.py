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
from typing import Any

import sqlite_utils

from messages.texts import symptom_label
from monitoring import fhir_codes as codes
from monitoring.store import loads
from monitoring.views import iso

SOURCE_TEXT = {"sms": "Reported by the patient by text message", "app": "Reported by the patient in the app",
               "device": "Measured by a device"}
# The columns holding each kind's value: a reading has the kind when one of them is set.
KIND_COLUMNS = {"temp": ("temperature_c",), "bp": ("systolic", "diastolic"), "hr": ("heart_rate",),
                "spo2": ("spo2",)}


def kinds_of(row: sqlite3.Row) -> list[str]:
    """The Observations a reading row yields, in OBSERVATION_KINDS order."""
    found = [kind for kind, columns in KIND_COLUMNS.items() if any(row[c] is not None for c in columns)]
    if loads(row["symptoms"], []) or loads(row["denied_symptoms"], []):
        found.append("sym")
    return found


ORDER = ("resourceType", "id", "meta", "status", "category", "code", "subject", "effectiveDateTime", "issued",
         "performer", "valueQuantity", "note", "device", "component")


def observation(row: sqlite3.Row, kind: str) -> codes.Json:
    """The `kind` Observation of reading `row` (a readings row with a `device_id` column, None unless a device
    posted it), its elements in the order the FHIR specification lists them."""
    resource = _observation(row, kind)
    return {key: resource[key] for key in ORDER if key in resource}


def _observation(row: sqlite3.Row, kind: str) -> codes.Json:
    source = row["source"]
    resource: codes.Json = {
        "resourceType": "Observation", "id": f"{row['id']}-{kind}",
        "meta": {"lastUpdated": iso(row["created_at"]),
                 "tag": [codes.coding(codes.READING_SOURCE, source, SOURCE_TEXT.get(source, source))]},
        "status": "final",
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "effectiveDateTime": iso(row["taken_at"]), "issued": iso(row["created_at"]),
    }
    if row["device_id"] is not None:
        resource["device"] = {"reference": f"Device/{row['device_id']}"}
        resource["performer"] = [{"reference": f"Patient/{row['patient_id']}", "display": "the patient (wearing it)"}]
    else:
        resource["performer"] = [{"reference": f"Patient/{row['patient_id']}",
                                  "display": SOURCE_TEXT.get(source, source)}]
    if kind == "sym":
        resource.update(_symptoms(row))
        return resource
    vital = codes.VITALS[kind]
    resource["meta"]["profile"] = list(vital["profiles"])
    resource["category"] = [_category("vital-signs", "Vital Signs")]
    code = [codes.coding(codes.LOINC, vital["loinc"], vital["display"])]
    if "also" in vital:
        code.insert(0, codes.coding(codes.LOINC, *vital["also"]))
    resource["code"] = {"coding": code, "text": vital["display"]}
    if kind == "bp":
        resource["component"] = [_component(codes.SYSTOLIC, row["systolic"]),
                                 _component(codes.DIASTOLIC, row["diastolic"])]
    elif kind == "temp":
        resource["valueQuantity"] = codes.quantity(row["temperature_c"], "Cel", "C")
        note = _given_as(row)
        if note:
            resource["note"] = [{"text": note}]
    else:
        column = KIND_COLUMNS[kind][0]
        resource["valueQuantity"] = codes.quantity(row[column], vital["unit"], vital["unit_text"])
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


def _given_as(row: sqlite3.Row) -> str | None:
    """The temperature as it was given (value and unit), where the store knows it."""
    unit, given = column(row, "temperature_unit"), column(row, "temperature_given")
    if unit not in ("C", "F"):
        return None
    ucum = "Cel" if unit == "C" else "[degF]"
    if given is None:
        return f"Given in {ucum}"
    return f"Given as {given:g} {ucum}"


def _symptoms(row: sqlite3.Row) -> codes.Json:
    reported = loads(row["symptoms"], [])
    denied = [code for code in loads(row["denied_symptoms"], []) if code not in reported]
    components = [_symptom(code, True) for code in reported] + [_symptom(code, False) for code in denied]
    return {"category": [_category("survey", "Survey")],
            "code": {"coding": [codes.coding(codes.LOINC, *codes.SYMPTOM_LOINC)], "text": "Symptoms reported"},
            "component": components}


def _symptom(code: str, present: bool) -> codes.Json:
    coding = [codes.coding(codes.SYMPTOM, code, symptom_label(code, "en"))]
    if code in codes.SYMPTOM_SNOMED:
        coding.append(codes.coding(codes.SNOMED, *codes.SYMPTOM_SNOMED[code]))
    return {"code": {"coding": coding, "text": symptom_label(code, "en")}, "valueBoolean": present}


def column(row: sqlite3.Row, name: str) -> Any:
    """A column that a newer migration added (None on a row without it)."""
    try:
        return row[name]
    except IndexError:
        return None


READING_SQL = ("SELECT r.*, (SELECT d.device_id FROM device_observations d WHERE d.reading_id = r.id "
               "ORDER BY d.id LIMIT 1) AS device_id FROM readings r")


def reading_row(db: sqlite_utils.Database, reading_id: int) -> sqlite3.Row | None:
    """The readings row with its `device_id` (None unless a device posted it), or None."""
    row: sqlite3.Row | None = db.execute(f"{READING_SQL} WHERE r.id = ?", [reading_id]).fetchone()
    return row
