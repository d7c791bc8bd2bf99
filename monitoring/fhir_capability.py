"""The CapabilityStatement: built from what monitoring.fhir_search and the device road really support."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from monitoring import fhir_codes as codes
from monitoring.fhir_search import PAGING, SEARCH

PARAM_TYPES = {"id": "token", "reference": "reference", "date": "date", "token": "token"}
PARAM_DOCS = {
    "_id": "the resource id", "_lastUpdated": "when the resource last changed (prefixes eq, gt, ge, lt, le)",
    "patient": "Patient/<id> or <id>", "subject": "Patient/<id> or <id>",
    "category": "vital-signs or survey (symptoms)", "code": "LOINC code, with or without http://loinc.org|",
    "date": "the effective / start time (prefixes eq, gt, ge, lt, le)", "status": "active, onhold or finished",
    "identifier": "MRN (system|value) or crswatch patient id", "sent": "when the page was sent",
    "effective-time": "when the dose was given",
}
TYPE_DOCS = {
    "Observation": "One per stored vital sign (FHIR vital signs profiles and US Core) and one per set of reported "
                   "symptoms (category survey). create: device tokens only; each is triaged as a patient app "
                   "reading is.",
    "Flag": "An alert to the on-call chain: active while open or acknowledged.",
    "Communication": "A page to a nurse (text or call) with its delivery status and the alert's acknowledgement.",
    "RiskAssessment": "A triage assessment: level as the prediction, SOP reasons as reasonCode.",
    "EpisodeOfCare": "A monitoring episode after a step-up dose.",
    "MedicationAdministration": "A dose taken (patient) or given (staff).",
    "Patient": "US Core Patient; caregivers as contact.", "Device": "A device hub that posts readings.",
}


def capability_statement(base_url: str, version: str, now: datetime) -> dict[str, Any]:
    """What this server does (FHIR R4 CapabilityStatement, kind instance): JSON only, read and search on the
    types in fhir_search.SEARCH with exactly their parameters, create on Observation, transaction and batch.
    Its date is `now` (aware UTC, the caller's). `base_url` the server's FHIR base; `version` crswatch's."""
    resources = []
    for resource_type, spec in SEARCH.items():
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if resource_type == "Observation":
            interactions.append({"code": "create"})
        resources.append({
            "type": resource_type, "documentation": TYPE_DOCS[resource_type], "interaction": interactions,
            "versioning": "no-version", "readHistory": False, "updateCreate": False,
            "searchParam": [{"name": name, "type": PARAM_TYPES[kind], "documentation": PARAM_DOCS[name]}
                            for name, kind in spec.params.items()],
        })
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": now.isoformat(),
        "publisher": "crswatch", "kind": "instance",
        "software": {"name": "crswatch", "version": version},
        "implementation": {"description": "crswatch: home monitoring for CRS after BTCE step-up doses",
                           "url": base_url},
        "fhirVersion": codes.FHIR_VERSION, "format": [codes.MIME, "json"],
        "rest": [{
            "mode": "server",
            "documentation": f"Paging: {', '.join(PAGING[:2])} (Bundle next/previous links). Unknown search "
                             "parameters are refused with 400. Bulk export is a command: flask --app app "
                             "export-fhir --since ISO8601 --out DIR (NDJSON per type).",
            "security": {"cors": False,
                         "description": "Authorization: Bearer <token>. Reads and searches take a staff API token; "
                                        "create and transaction take a device token (one per hub, made on the "
                                        "dashboard's Devices page or with flask --app app device add)."},
            "resource": resources,
            "interaction": [{"code": "transaction", "documentation": "a Bundle of vital-signs Observation "
                             "creates from a device; each entry stands on its own (see docs/fhir.md)"},
                            {"code": "batch"}],
        }],
    }
