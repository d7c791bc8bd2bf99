"""Store rows -> FHIR R4 resources (plain dicts, JSON-ready). Read-only: nothing here writes.

Each builder names the profile it follows; docs/fhir.md shows an example of each. Times are the
store's UTC instants with their offset. Patients, episodes, alerts and messages come as `monitoring.rows`
typed rows; medications, assessments and devices as their sqlite3.Row. Observations are built in monitoring.fhir_observations.
"""
from __future__ import annotations

import sqlite3

from messages.texts import level_label, reason_label
from monitoring import fhir_codes as codes
from monitoring.clinic import Clinic
from monitoring.rows import Alert, Episode, Message, Patient
from monitoring.store import loads
from monitoring.views import iso

ACTIVE_ALERT = ("open", "acknowledged")
# messages.status -> Communication.status (FHIR R4 event-status)
COMMUNICATION_STATUS = {"queued": "preparation", "sending": "in-progress", "sent": "completed",
                        "delivered": "completed", "failed": "not-done", "undelivered": "not-done"}
EPISODE_STATUS = {"active": "active", "paused": "onhold", "ended": "finished", "opted_out": "finished"}


def ref(kind: str, row_id: int | str) -> codes.Json:
    """A relative Reference: {"reference": "Patient/7"}."""
    return {"reference": f"{kind}/{row_id}"}


def _meta(last_updated: str | None, profiles: list[str] | None = None) -> codes.Json:
    meta: codes.Json = {"lastUpdated": iso(last_updated)}
    if profiles:
        meta["profile"] = profiles
    return meta


def _name(text: str) -> codes.Json:
    """US Core wants a family or a given name; the store keeps one line: the last word is the family name."""
    words = text.split()
    name: codes.Json = {"text": text, "family": words[-1]}
    if len(words) > 1:
        name["given"] = words[:-1]
    return name


def patient(clinic: Clinic, row: Patient) -> codes.Json:
    """US Core Patient (us-core-patient): crswatch's id and the MRN (the clinic's `fhir.mrn_system`) as
    identifiers, name, mobile phone, language (BCP 47), birth date when known, caregivers as contacts.
    Sex is not collected, so gender is 'unknown' (US Core requires the element)."""
    identifiers: list[codes.Json] = [{"system": codes.CRS_PATIENT_ID, "value": str(row.id)}]
    mrn = row.mrn
    if mrn:
        identifiers.insert(0, {
            "use": "usual", "type": codes.concept(codes.IDENTIFIER_TYPE, "MR", "Medical record number"),
            "system": clinic.config["fhir"]["mrn_system"], "value": mrn})
    resource: codes.Json = {
        "resourceType": "Patient", "id": str(row.id),
        "meta": _meta(row.created_at, [f"{codes.US_CORE}/us-core-patient"]),
        "identifier": identifiers, "active": True, "name": [_name(row.name)],
        "telecom": [{"system": "phone", "value": row.phone, "use": "mobile"}],
        "gender": "unknown",
        "communication": [{"language": codes.concept(codes.BCP47, row.language,
                                                     {"en": "English", "es": "Spanish"}[row.language]),
                           "preferred": True}],
    }
    birth_date = row.birth_date
    if birth_date:
        resource["birthDate"] = birth_date
    contacts = [_contact(caregiver) for caregiver in caregivers(clinic, row.id)]
    if contacts:
        resource["contact"] = contacts
    return resource


def caregivers(clinic: Clinic, patient_id: int) -> list[sqlite3.Row]:
    """The patient's current caregivers (CONTRACT section 8; removed ones are kept with removed_at)."""
    rows: list[sqlite3.Row] = clinic.db.execute(
        "SELECT * FROM caregivers WHERE patient_id = ? AND removed_at IS NULL ORDER BY id", [patient_id]).fetchall()
    return rows


def _contact(row: sqlite3.Row) -> codes.Json:
    relationship: codes.Json = {"coding": [codes.coding(codes.CONTACT_RELATIONSHIP, "CP", "Contact person")]}
    if row["relationship"]:
        relationship["text"] = row["relationship"]
    return {"relationship": [relationship], "name": {"text": row["name"]},
            "telecom": [{"system": "phone", "value": row["phone"], "use": "mobile"}]}


def episode_of_care(row: Episode) -> codes.Json:
    """One monitoring episode as an EpisodeOfCare (FHIR R4 base): the period starts at the step-up dose and
    ends when it ended (or its planned end); the status as EPISODE_STATUS maps it; the type names the therapy."""
    status = EPISODE_STATUS.get(row.status, "finished")
    period = {"start": iso(row.dose_given_at)}
    if status == "finished":
        period["end"] = iso(row.ended_at or row.ends_at)
    return {
        "resourceType": "EpisodeOfCare", "id": str(row.id), "meta": _meta(row.ended_at or row.created_at),
        "status": status,
        "type": [{"text": f"CRS home monitoring after {row.therapy} (dose given {iso(row.dose_given_at)}, "
                          f"planned to end {iso(row.ends_at)})"}],
        "patient": ref("Patient", row.patient_id), "period": period,
    }


def flag(row: Alert) -> codes.Json:
    """An alert as a Flag (FHIR R4 base): active while open or acknowledged, inactive once resolved; the
    period from when it opened to when it was resolved; the code says level and reasons."""
    reasons = loads(row.reasons, [])
    text = f"CRS alert, {level_label(row.level, 'en').lower()}: " + ", ".join(
        reason_label(code, "en") for code in reasons)
    period = {"start": iso(row.created_at)}
    if row.resolved_at:
        period["end"] = iso(row.resolved_at)
    return {
        "resourceType": "Flag", "id": str(row.id), "meta": _meta(row.updated_at),
        "status": "active" if row.status in ACTIVE_ALERT else "inactive",
        "category": [codes.concept(codes.FLAG_CATEGORY, "clinical", "Clinical")],
        "code": {"coding": [codes.coding(codes.TRIAGE_LEVEL, row.level, codes.LEVEL_DISPLAY[row.level])],
                 "text": text},
        "subject": ref("Patient", row.patient_id), "period": period,
    }


def communication(clinic: Clinic, row: Message, alert: Alert | None) -> codes.Json:
    """One page to a nurse (a text of kind 'alert' or a call) as a Communication (FHIR R4 base): to whom
    (tel: URI and name), its delivery status (COMMUNICATION_STATUS), the alert it is about, and the alert's
    acknowledgement (who and when) as a note."""
    resource: codes.Json = {
        "resourceType": "Communication", "id": str(row.id), "meta": _meta(row.updated_at),
        "status": COMMUNICATION_STATUS.get(row.status, "unknown"),
        "category": [codes.concept(codes.COMMUNICATION_CATEGORY, "alert", "Alert")],
        "recipient": [{"identifier": {"system": "urn:ietf:rfc:3966", "value": f"tel:{row.to_number}"},
                       "display": recipient_name(clinic, row.to_number)}],
        "payload": [{"contentString": row.body}],
    }
    if row.status in ("failed", "undelivered"):
        resource["statusReason"] = {"text": f"{row.error_code or ''} {row.error_message or ''}".strip()
                                    or "delivery failed"}
    if row.sent_at:
        resource["sent"] = iso(row.sent_at)
    if alert is not None:
        resource["subject"] = ref("Patient", alert.patient_id)
        resource["about"] = [ref("Flag", alert.id)]
        if alert.acknowledged_at:
            resource["note"] = [{"authorString": alert.acknowledged_by or "staff",
                                 "time": iso(alert.acknowledged_at),
                                 "text": f"Alert {alert.id} acknowledged by {alert.acknowledged_by}"}]
    return resource


def recipient_name(clinic: Clinic, phone: str) -> str:
    """Who has this phone: a staff member, else a person of the on-call chain, else "on call"."""
    row = clinic.db.execute("SELECT name FROM staff WHERE phone = ? ORDER BY active DESC, id LIMIT 1",
                            [phone]).fetchone()
    if row:
        return str(row["name"])
    return next((person["name"] for person in clinic.oncall if person["phone"] == phone), "on call")


SELF_REPORTED = {"sms": "the patient, by text message", "app": "the patient, in the app"}


def medication_administration(row: sqlite3.Row, staff_name: str | None = None) -> codes.Json:
    """A dose given or taken: the medicine (RxNorm where it has an ingredient code), when, how much, and who
    reported it (the patient by text or app, or a staff member)."""
    name = row["name"]
    medication = {"text": name}
    if name in codes.MEDICATION_RXNORM:
        medication["coding"] = [codes.coding(codes.RXNORM, codes.MEDICATION_RXNORM[name], name)]
    if row["source"] in SELF_REPORTED:
        performer = {**ref("Patient", row["patient_id"]), "display": SELF_REPORTED[row["source"]]}
    else:
        performer = {"display": staff_name or row["source"]}
    resource: codes.Json = {
        "resourceType": "MedicationAdministration", "id": str(row["id"]), "meta": _meta(row["created_at"]),
        "status": "completed", "medicationCodeableConcept": medication,
        "subject": ref("Patient", row["patient_id"]), "effectiveDateTime": iso(row["given_at"]),
        "performer": [{"actor": performer}],
    }
    if row["episode_id"]:
        resource["context"] = ref("EpisodeOfCare", row["episode_id"])
    if row["dose_mg"] is not None:
        resource["dosage"] = {"dose": codes.quantity(row["dose_mg"], "mg")}
    if row["weight_kg"] is not None:
        resource["note"] = [{"text": f"Dosed for a weight of {row['weight_kg']:g} kg"}]
    return resource


def risk_assessment(row: sqlite3.Row, basis: list[codes.Json]) -> codes.Json:
    """One triage assessment: the level as the predicted outcome (with a qualitative risk), the SOP reason
    codes as reasonCode, and the Observations (or the dose) it judged as basis."""
    level = row["level"]
    reasons = loads(row["reasons"], [])
    resource: codes.Json = {
        "resourceType": "RiskAssessment", "id": str(row["id"]), "meta": _meta(row["assessed_at"]),
        "status": "final", "subject": ref("Patient", row["patient_id"]),
        "occurrenceDateTime": iso(row["assessed_at"]),
        "method": {"text": "crswatch triage: the clinic's SOP for CRS after bispecific T-cell engager step-up doses"},
        "prediction": [{
            "outcome": codes.concept(codes.TRIAGE_LEVEL, level, codes.LEVEL_DISPLAY[level]),
            "qualitativeRisk": codes.concept(codes.RISK_PROBABILITY, codes.LEVEL_RISK[level]),
        }],
    }
    if reasons:
        resource["reasonCode"] = [codes.concept(codes.TRIAGE_REASON, code, reason_label(code, "en"))
                                  for code in reasons]
    if basis:
        resource["basis"] = basis
    return resource


def device(row: sqlite3.Row) -> codes.Json:
    """A device hub or thermometer that posts readings (monitoring.devices)."""
    resource: codes.Json = {
        "resourceType": "Device", "id": str(row["id"]), "meta": _meta(row["revoked_at"] or row["created_at"]),
        "status": "inactive" if row["revoked_at"] else "active",
        "deviceName": [{"name": row["name"], "type": "user-friendly-name"}],
    }
    if row["patient_id"]:
        resource["patient"] = ref("Patient", row["patient_id"])
    return resource
