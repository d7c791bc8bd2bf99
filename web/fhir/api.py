"""FHIR R4 routes: validate the token, call one monitoring function, answer application/fhir+json.

Reads and searches take a staff token; Observation create and Bundles take a device token. Every error
is an OperationOutcome with a 4xx naming the element (monitoring.fhir_outcome), never a 500 page.
"""
from __future__ import annotations

import functools
import json
import logging
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from monitoring import devices, fhir_capability, fhir_search
from monitoring.clinic import ServiceError
from monitoring.fhir_codes import MIME
from monitoring.fhir_outcome import FhirError, operation_outcome, outcome_of
from monitoring.staff import staff_by_token
from monitoring.store import StoreBusy, utcnow
from web.context import bearer, clinic, record_access

PREFIX = "/fhir/r4"
bp = Blueprint("fhir", __name__, url_prefix=PREFIX)
log = logging.getLogger("crswatch.fhir")
TYPES = "<any({}):resource_type>".format(", ".join(f'"{name}"' for name in fhir_search.SEARCH))


@bp.before_request
def _bundle_size():
    """Device hubs post Bundles of many readings: [fhir] max_bundle_kb instead of [web] max_request_kb."""
    if request.method == "POST":
        request.max_content_length = current_app.config["CRS"]["fhir"]["max_bundle_kb"] * 1024


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(resource), status=status, mimetype=MIME, headers=headers)


def outcome_response(message: str, status: int, code: str, expression: str | None = None) -> Response:
    return fhir_response(operation_outcome(message, expression, code), status)


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    return fhir_response(outcome_of(error), error.status)


@bp.errorhandler(StoreBusy)
def _busy(_error):
    response = outcome_response("the service is busy; try again in a few seconds", 503, "transient")
    response.headers["Retry-After"] = "5"
    return response


@bp.errorhandler(HTTPException)
@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(413)
@bp.errorhandler(415)
def _http_error(error: HTTPException):
    return outcome_response(error.description or error.name, error.code or 400,
                            {413: "too-costly", 415: "not-supported"}.get(error.code, "invalid"))


@bp.errorhandler(Exception)
def _unexpected(_error):
    log.exception("FHIR request %s failed: %s %s", g.get("request_id"), request.method, request.path)
    return outcome_response(f"internal error; quote request id {g.get('request_id')} to support", 500, "exception")


def staff_token(view):
    """A staff API token (CONTRACT section 4), as for /api/v1."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        token = bearer()
        staff = staff_by_token(clinic(), token) if token else None
        if staff is None:
            raise FhirError(401, "a valid staff token is required: Authorization: Bearer <token>", code="login")
        g.staff = staff
        return view(*args, **kwargs)
    return wrapped


def device_token(view):
    """A device token (monitoring.devices); a staff token is refused: staff do not post readings here."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        token = bearer()
        device = devices.device_by_token(clinic(), token) if token else None
        if device is None:
            raise FhirError(401, "a valid device token is required: Authorization: Bearer <token> "
                                 "(made on the dashboard's Devices page or with flask --app app device add)",
                            code="login")
        g.device = device
        return view(*args, **kwargs)
    return wrapped


def base_url() -> str:
    return request.host_url.rstrip("/") + PREFIX


@bp.get("/metadata")
def metadata():
    """The CapabilityStatement is public, as FHIR clients read it before they authenticate."""
    try:
        software = version("crswatch")
    except PackageNotFoundError:
        software = "development"
    return fhir_response(fhir_capability.capability_statement(base_url(), software, utcnow()))


@bp.get(f"/{TYPES}/<resource_id>")
@staff_token
def read(resource_type: str, resource_id: str):
    resource = fhir_search.read(clinic(), resource_type, resource_id)
    record_access(f"fhir.{resource_type}.read", _patient_of(resource), resource=f"{resource_type}/{resource_id}")
    return fhir_response(resource)


def _patient_of(resource: dict) -> int | None:
    """The crswatch patient id a FHIR resource is about, for the access log (issue 16)."""
    reference = resource.get("id") if resource.get("resourceType") == "Patient" else (
        (resource.get("subject") or resource.get("patient") or {}).get("reference", "").removeprefix("Patient/"))
    return int(reference) if isinstance(reference, str) and reference.isdigit() and len(reference) < 19 else None


@bp.get(f"/{TYPES}")
@staff_token
def search(resource_type: str):
    params = {name: request.args.getlist(name) for name in request.args}
    page = fhir_search.search(clinic(), resource_type, params)
    patient = (params.get("patient") or params.get("subject") or [""])[0].removeprefix("Patient/")
    record_access(f"fhir.{resource_type}.search", int(patient) if patient.isdigit() and len(patient) < 19 else None,
                  query=sorted(params))
    return fhir_response(searchset(resource_type, params, page))


def searchset(resource_type: str, params: dict, page: fhir_search.Page) -> dict:
    """A Bundle of type searchset with self, first, previous and next links (paging by _offset and _count)."""
    def link(relation: str, offset: int) -> dict:
        query = {name: values for name, values in params.items() if name not in ("_offset", "_count")}
        query.update({"_count": [str(page.count)], "_offset": [str(offset)]})
        return {"relation": relation, "url": f"{base_url()}/{resource_type}?{urlencode(query, doseq=True)}"}

    links = [link("self", page.offset), link("first", 0)]
    if page.offset > 0:
        links.append(link("previous", max(page.offset - page.count, 0)))
    if page.count and page.offset + page.count < page.total:
        links.append(link("next", page.offset + page.count))
    return {
        "resourceType": "Bundle", "type": "searchset", "total": page.total, "link": links,
        "entry": [{"fullUrl": f"{base_url()}/{resource['resourceType']}/{resource['id']}", "resource": resource,
                   "search": {"mode": "match"}} for resource in page.resources],
    }


def fhir_json() -> object:
    """The request's JSON body: FHIR JSON (or plain JSON) only."""
    if request.mimetype not in (MIME, "application/json"):
        raise FhirError(415, f"send the resource as {MIME}", code="not-supported")
    body = request.get_json(silent=True)
    if body is None:
        raise FhirError(400, "the body is not JSON", "Bundle" if request.path.endswith("/r4") else "Observation")
    return body
