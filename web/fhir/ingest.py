"""Device hubs post readings: POST /fhir/r4/Observation (one) and POST /fhir/r4 (a transaction or batch Bundle).

Thin: the Bundle's shape is checked here; each Observation is read, recorded, triaged and told by
monitoring.device_readings (the patient app's road into triage).
"""
from __future__ import annotations

from flask import g

from monitoring import device_readings
from monitoring.fhir_outcome import FhirError, outcome_of
from monitoring.store import utcnow
from web.context import clinic, wake_delivery
from web.fhir.api import base_url, bp, device_token, fhir_json, fhir_response

MAX_ENTRIES = 1000
REASONS = {200: "200 OK", 201: "201 Created"}


@bp.post("/Observation")
@device_token
def create_observation():
    posted = device_readings.post_observations(clinic(), g.device, [fhir_json()], utcnow())
    wake_delivery()
    entry = posted.entries[0]
    if entry.error is not None:
        raise entry.error
    return fhir_response(entry.resource, entry.status, {"Location": _location(entry.resource)})


@bp.post("")
@device_token
def bundle():
    body = fhir_json()
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise FhirError(400, "POST a Bundle of type transaction or batch here", "Bundle.resourceType")
    kind = body.get("type")
    if kind not in ("transaction", "batch"):
        raise FhirError(422, "Bundle.type must be transaction or batch", "Bundle.type", "value")
    entries = body.get("entry", [])
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise FhirError(400 if not isinstance(entries, list) else 413,
                        f"Bundle.entry must be a list of at most {MAX_ENTRIES} entries", "Bundle.entry")
    resources, refused = [], {}
    for index, entry in enumerate(entries):
        try:
            resources.append((index, _resource(entry, index)))
        except FhirError as error:
            refused[index] = error
    posted = device_readings.post_observations(clinic(), g.device, [resource for _, resource in resources],
                                                utcnow())
    wake_delivery()
    answers = dict(zip([index for index, _ in resources], posted.entries, strict=True))
    response_entries = []
    for index in range(len(entries)):
        if index in refused:
            response_entries.append(_refused(refused[index], index))
            continue
        answer = answers[index]
        if answer.error is not None:
            response_entries.append(_refused(answer.error, index))
        else:
            response_entries.append({
                "fullUrl": f"{base_url()}/Observation/{answer.resource['id']}", "resource": answer.resource,
                "response": {"status": REASONS[answer.status], "location": _location(answer.resource),
                             "lastModified": answer.resource["meta"]["lastUpdated"]}})
    return fhir_response({"resourceType": "Bundle", "type": f"{kind}-response", "entry": response_entries})


def _resource(entry, index: int) -> dict:
    where = f"Bundle.entry[{index}]"
    if not isinstance(entry, dict):
        raise FhirError(400, "each entry must be an object", where)
    request = entry.get("request")
    if not isinstance(request, dict) or request.get("method") != "POST" or str(
            request.get("url", "")).split("?")[0] not in ("Observation", "Observation/"):
        raise FhirError(422, "each entry must be a create: request {method: POST, url: Observation}",
                        f"{where}.request", "not-supported")
    return entry.get("resource")


def _refused(error, index: int) -> dict:
    where = f"Bundle.entry[{index}].resource"
    if error.field and error.field.startswith("Bundle."):
        outcome = outcome_of(error)
    else:
        outcome = outcome_of(error, prefix=where)
    return {"response": {"status": f"{error.status}", "outcome": outcome}}


def _location(resource: dict) -> str:
    return f"Observation/{resource['id']}"
