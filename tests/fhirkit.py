"""Helpers for the FHIR tests: R4B validation, device tokens, vital-sign Observations as a hub sends them."""
from __future__ import annotations

from datetime import datetime

from conftest import auth
from fhir.resources.R4B import get_fhir_model_class

MIME = "application/fhir+json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "vital-signs"}]}]


def valid(resource: dict) -> dict:
    """`resource` validates against the fhir.resources R4B model of its type (raises pydantic's error if not)."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    if resource["resourceType"] == "Bundle":
        for entry in resource.get("entry", []):
            for part in ("resource",):
                if entry.get(part):
                    valid(entry[part])
            if entry.get("response", {}).get("outcome"):
                valid(entry["response"]["outcome"])
    return resource


def add_device(runner, name: str = "Thermometer 1", patient_id: int | None = None) -> str:
    args = ["device", "add", name] + (["--patient", str(patient_id)] if patient_id else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def quantity(value, code: str) -> dict:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def observation(kind: str, value, at: datetime, *, unit: str | None = None, subject: dict | None = None) -> dict:
    """A vital-signs Observation as a device hub posts it. `kind` temp, bp ((systolic, diastolic)), hr, spo2."""
    codes = {"temp": "8310-5", "bp": "85354-9", "hr": "8867-4", "spo2": "59408-5"}
    units = {"temp": "Cel", "hr": "/min", "spo2": "%"}
    resource = {"resourceType": "Observation", "status": "final", "category": VITAL_SIGNS,
                "code": {"coding": [{"system": LOINC, "code": codes[kind]}]}, "effectiveDateTime": at.isoformat()}
    if kind == "bp":
        resource["component"] = [
            {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": quantity(value[0], "mm[Hg]")},
            {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "valueQuantity": quantity(value[1], "mm[Hg]")}]
    else:
        resource["valueQuantity"] = quantity(value, unit or units[kind])
    if subject is not None:
        resource["subject"] = subject
    return resource


def transaction(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [{"resource": resource, "request": {"method": "POST", "url": "Observation"}}
                      for resource in resources]}


def post(client, token: str, resource: dict, path: str = "/fhir/r4/Observation"):
    return client.post(path, json=resource, headers={**auth(token), "Content-Type": MIME})


def get(client, token: str, path: str, **query):
    response = client.get(f"/fhir/r4/{path}", query_string=query, headers=auth(token))
    assert response.mimetype == MIME, response.data[:200]
    return response


def search_all(client, token: str, resource_type: str, **query) -> list[dict]:
    """Every resource a search finds, following the Bundle's next links; each page validated."""
    response = get(client, token, resource_type, **query)
    found = []
    while True:
        assert response.status_code == 200, response.get_json()
        bundle = valid(response.get_json())
        assert bundle["type"] == "searchset"
        found += [entry["resource"] for entry in bundle.get("entry", [])]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            return found
        response = client.get(following[0].replace("http://localhost", ""), headers=auth(token))


def issue(response) -> dict:
    """The single issue of an OperationOutcome answer (validated)."""
    body = valid(response.get_json())
    assert body["resourceType"] == "OperationOutcome" and len(body["issue"]) == 1, body
    return body["issue"][0]
