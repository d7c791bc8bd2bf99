"""The API's own description: an OpenAPI 3.1 document for /api/v1, served at GET /api/v1/openapi.json.

Built, not written: each view says what it does with `@documented` (summary, request body, answer, the
errors it may give), the request bodies and query strings are monitoring.bodies' models, the answers
web.answers' models, and the paths and methods are the blueprints' own routes. Their JSON schemas are
assembled here, in one place (pydantic's `models_json_schema`). It is the contract a mobile team builds
on (docs/api.md says how); tests/test_openapi.py validates real responses against it and
tests/test_schemathesis.py fuzzes every operation with it, so it stays true. OpenAPI 3.1 schemas are
JSON Schema 2020-12: `null` is a type.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from monitoring.app_api import IDEMPOTENCY_KEY_LONGEST
from web import api, me
from web.answers import MAX_ID, Error
from web.apidoc import Operation

bp = Blueprint("openapi", __name__)

API = "/api/v1"
REF = "#/components/schemas/{model}"

ERRORS = {
    "400": "bad input: the field is named",
    "401": "no or a wrong bearer token",
    "403": "the token's role may not do this",
    "404": "no such patient, alert or endpoint",
    "409": "conflicts with the current state (the error says which rule)",
    "413": "the request body is too large",
    "422": "an Idempotency-Key sent again with another request (send a new key with each new report)",
    "429": "too many requests (or failed token checks) from this client: retry after the Retry-After seconds",
    "503": "the database is busy or its storage failed (full, read-only, damaged); retry after the Retry-After seconds",
}
# The request headers a view reads (`documented(headers=...)`), each with what the answer says of it: a client
# generated from the document without them could not send the patient app's Idempotency-Key, and a dose
# retried after a lost answer was two doses.
HEADERS = {
    "Idempotency-Key": (
        {"name": "Idempotency-Key", "in": "header", "required": False,
         "description": "a new unique value (a UUID) for each report, the same one with every retry of it: a request "
                        "whose key was sent in the last 24 hours is answered as the first was (said as of now) and "
                        "records nothing again; after monitoring has ended it is 409, as a new report is; the key "
                        "with another report is 422, a malformed key 400 (docs/api.md)",
         "example": "3f0c9b1e-7a52-4c59-9f0e-5d7c1a2b4e60",
         "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_LONGEST,
                    "pattern": "^[!-~]+$"}},
        {"Idempotent-Replayed": {"description": "true when this is the answer to an earlier request with the same "
                                                "Idempotency-Key (nothing was recorded again)",
                                 "schema": {"type": "string", "enum": ["true"]}}}),
}

# What a path parameter names, by its name in the route.
PATH_IDS = {"patient_id": "the patient's id", "alert_id": "the alert's id", "caregiver_id": "the caregiver's id"}


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": REF.format(model=model.__name__)}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _parameters(path: str, query: type[BaseModel] | None, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    shown = [{"name": name, "in": "path", "required": True, "description": PATH_IDS[name], "example": 1,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
             for name in re.findall(r"\{([a-z_]+)\}", path)]
    if query is not None:
        for name, schema in schemas[query.__name__]["properties"].items():
            schema = {key: value for key, value in schema.items() if key != "title"}
            if "anyOf" in schema:  # an absent parameter is the null: show the value's own schema
                value = next(branch for branch in schema.pop("anyOf") if branch.get("type") != "null")
                schema = {**value, **{key: v for key, v in schema.items() if key != "default" or v is not None}}
            description = schema.pop("description", "")
            shown.append({"name": name, "in": "query", "required": False, "schema": schema,
                          "description": description})
    return shown


def _operation(operation: Operation, path: str, security: str, schemas: dict[str, Any]) -> dict[str, Any]:
    answer = _ref(operation.answer)
    if operation.many:
        answer = {"type": "array", "items": answer}
    codes = {*operation.errors, "401", "429", "503", *(("403",) if security == "staffToken" else ())}
    if operation.body is not None:
        codes |= {"400", "413"}
    if "{" in path:
        codes.add("404")
    shown: dict[str, Any] = {
        "operationId": operation.operation_id, "summary": operation.summary, "tags": [
            "patient app" if security == "patientToken" else "staff"], "security": [{security: []}],
        "responses": {operation.status: {"description": operation.description, "content": _content(answer),
                                         **_answer_headers(operation.headers)},
                      **{code: {"$ref": f"#/components/responses/E{code}"} for code in sorted(codes)}},
    }
    if operation.body is not None:
        shown["requestBody"] = {"required": operation.body_required, "content": _content(_ref(operation.body))}
    parameters = _parameters(path, operation.query, schemas) + [HEADERS[name][0] for name in operation.headers]
    if parameters:
        shown["parameters"] = parameters
    return shown


def _answer_headers(names: tuple[str, ...]) -> dict[str, Any]:
    shown = {header: spec for name in names for header, spec in HEADERS[name][1].items()}
    return {"headers": shown} if shown else {}


def _routes() -> list[tuple[str, str, str, Operation]]:
    """(path template, method, security scheme, operation) for every documented route of the API's blueprints."""
    app = Flask(__name__)
    app.register_blueprint(api.bp)
    app.register_blueprint(me.bp)
    found = []
    for rule in app.url_map.iter_rules():
        operation = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if operation is None:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        security = "patientToken" if rule.endpoint.startswith("me.") else "staffToken"
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        found += [(path, method.lower(), security, operation) for method in methods]
    return found


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (a fresh copy each call)."""
    routes = _routes()
    models: set[type[BaseModel]] = {Error}
    for *_, operation in routes:
        models |= {model for model in (operation.answer, operation.body, operation.query) if model is not None}
    _, top = models_json_schema([(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
                                ref_template=REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for path, method, security, operation in routes:
        paths.setdefault(path, {})[method] = _operation(operation, path, security, schemas)
    for query in {operation.query for *_, operation in routes if operation.query is not None}:
        del schemas[query.__name__]  # shown as parameters, not as a schema
    return {
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
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {f"E{code}": {"description": text, "content": _content(_ref(Error))}
                          for code, text in ERRORS.items()},
            "securitySchemes": {
                "staffToken": {"type": "http", "scheme": "bearer", "description": "a staff API token (nurse or admin)"},
                "patientToken": {"type": "http", "scheme": "bearer",
                                 "description": "the patient_token returned when the patient was enrolled"},
            },
        },
    }


@bp.get(f"{API}/openapi.json")
def openapi_json() -> Response:
    return jsonify(document())
