"""FHIR R4 under /fhir/r4 (CONTRACT section 8; docs/fhir.md): reads and searches for staff, Observation
create and transaction Bundles for device hubs, and the `export-fhir` and `device` commands.

`init_app(app)` registers all of it, Flask-tutorial style; app.py only calls it.
"""
from __future__ import annotations

from flask import Flask, request

from web.fhir import cli, ingest  # noqa: F401 (ingest: the device road; importing it adds its POST routes to bp)
from web.fhir.api import PREFIX, bp, outcome_response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    cli.init_app(app)
    # Routing errors (no such path, wrong method) happen before a blueprint is chosen: answer those under
    # /fhir/ with an OperationOutcome and leave every other path to the handler already registered.
    for code, message in ((404, "no such FHIR endpoint; see GET /fhir/r4/metadata"),
                          (405, "method not allowed here; see GET /fhir/r4/metadata")):
        _route_error(app, code, message)


def _route_error(app: Flask, code: int, message: str) -> None:
    previous = app.error_handler_spec[None].get(code, {})
    handler = next(iter(previous.values()), None)

    def handle(exc):
        if request.path.startswith(PREFIX + "/") or request.path == PREFIX:
            return outcome_response(message, code, "not-found" if code == 404 else "not-supported")
        return handler(exc) if handler is not None else exc

    app.register_error_handler(code, handle)
