"""Per-request access to the clinic (one database connection per request), bearer auth, access auditing and
JSON errors. Security headers, CSRF and rate limits are web.security's."""
from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections import OrderedDict

from flask import current_app, g, jsonify, make_response, request
from flask_login import current_user

from monitoring import access
from monitoring.clinic import Clinic, ServiceError, open_clinic
from monitoring.patients import patient_by_token
from monitoring.staff import staff_by_token
from monitoring.store import StoreBusy, connect, transaction

log = logging.getLogger("crswatch.web")


# One connection per worker thread and database, kept between requests: opening costs a connection
# and its pragmas, and closing the last connection to a WAL database checkpoints it, together about a
# third of a webhook's time. A few are kept per thread (tests use a database each).
_local = threading.local()
CACHED_CONNECTIONS = 4


def _connection(path: str):
    cache: OrderedDict = _local.__dict__.setdefault("connections", OrderedDict())
    db = cache.pop(path, None) or connect(path)
    cache[path] = db
    while len(cache) > CACHED_CONNECTIONS:
        cache.popitem(last=False)[1].close()
    return db


def forget_connections() -> None:
    """Close this thread's kept connections (tests that change how connections are made)."""
    cache = _local.__dict__.pop("connections", {})
    for db in cache.values():
        db.close()


def clinic() -> Clinic:
    if "clinic" not in g:
        settings = current_app.config["CRS"]
        g.clinic = open_clinic(settings, _connection(settings["database"]["path"]))
    return g.clinic


def close_clinic(_error=None) -> None:
    opened = g.pop("clinic", None)
    if opened is not None and opened.db.conn.in_transaction:
        opened.db.conn.rollback()  # never hand an open transaction to the next request


def wake_delivery() -> None:
    """Texts were committed: let the scheduler deliver them now rather than at its next poll."""
    runner = current_app.extensions.get("crswatch.runner")
    if runner is not None:
        runner.wakeup()


def error(message: str, status: int, field: str | None = None):
    body = {"error": message}
    if field:
        body["field"] = field
    return jsonify(body), status


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address() -> str | None:
    """The client's address (the proxy's view of it behind `[web] trusted_proxies`), for audit rows."""
    return request.remote_addr


def _refused_token(kind: str, token: str | None) -> None:
    """Record a failed bearer check (never the token): web.security counts these per address and throttles."""
    opened = clinic()
    with transaction(opened.db):
        opened.audit("anonymous", f"{kind}_token.refused", client_address(), path=request.path[:200],
                     method=request.method, sent_token=bool(token))


def staff_required(role: str | None = None):
    """Bearer token of an active staff member; `role='admin'` for clinic settings. A refusal is recorded."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            token = bearer()
            staff = staff_by_token(clinic(), token) if token else None
            if staff is None:
                _refused_token("staff", token)
                return error("a valid staff token is required: Authorization: Bearer <token>", 401)
            if role == "admin" and staff["role"] != "admin":
                return error("this action needs an admin", 403)
            g.staff = staff
            return view(*args, **kwargs)
        return wrapped
    return decorate


def patient_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        token = bearer()
        patient = patient_by_token(clinic(), token) if token else None
        if patient is None:
            _refused_token("patient", token)
            return error("a valid patient token is required: Authorization: Bearer <token>", 401)
        g.patient = patient
        return view(*args, **kwargs)
    return wrapped


def audited(action: str):
    """Record in the access log (monitoring.access) that the signed-in staff member (API token or dashboard
    session) was shown patient data by this view, when it answers below 400. The patient is the view's
    `patient_id`, the patient of its `alert_id`, or the `patient_id` query argument; None for a list."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            if response.status_code < 400:
                record_access(action, _patient_in(kwargs))
            return response
        return wrapped
    return decorate


def _patient_in(view_args: dict) -> int | None:
    if "patient_id" in view_args:
        return view_args["patient_id"]
    if "alert_id" in view_args:
        return access.patient_of_alert(clinic(), view_args["alert_id"])
    value = request.args.get("patient_id", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def record_access(action: str, patient_id: int | None, **detail) -> None:
    """One access-log row for the current request's staff member (see `audited`)."""
    staff = g.get("staff")
    if staff is not None:
        actor, staff_id, detail["via"] = staff["name"], staff["id"], "api"
    elif getattr(current_app, "login_manager", None) is not None and current_user.is_authenticated:
        actor, staff_id, detail["via"] = current_user.name, current_user.id, "dashboard"
    else:  # pragma: no cover - audited views sit behind staff_required or the dashboard's sign-in
        actor, staff_id = "anonymous", None
    if request.headers.get("X-Crswatch-Background") == "1":
        detail["background"] = True
    access.record(clinic(), actor=actor, staff_id=staff_id, action=action, patient_id=patient_id,
                  source=client_address(), **detail)


def json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        if request.content_length in (None, 0) and not request.data:
            return {}
        raise ServiceError("the body must be JSON (Content-Type: application/json)", "body")
    if not isinstance(body, dict):
        raise ServiceError("the body must be a JSON object", "body")
    return body


def register_errors(app) -> None:
    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return error(exc.message, exc.status, exc.field)

    @app.errorhandler(StoreBusy)
    def _busy(exc):
        log.warning("request %s: database busy", g.get("request_id"))
        response = error("the service is busy; try again in a few seconds", 503)
        response[0].headers["Retry-After"] = "5"
        return response

    @app.errorhandler(404)
    def _not_found(exc):
        if request.path.startswith(("/api/", "/sms/")):
            return error("no such endpoint", 404)
        return exc

    @app.errorhandler(405)
    def _method(exc):
        return error("method not allowed here", 405)

    @app.errorhandler(413)
    def _too_large(exc):
        return error("the request body is too large", 413)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            return exc
        log.exception("request %s failed: %s %s", g.get("request_id"), request.method, request.path)
        return error(f"internal error; quote request id {g.get('request_id')} to support", 500)

    app.teardown_appcontext(close_clinic)
