"""Per-request access to the clinic (one database connection per request), bearer auth, access auditing and
JSON errors. Security headers, CSRF and rate limits are web.security's."""
from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import uuid
from collections import OrderedDict

from flask import current_app, g, jsonify, make_response, request
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from monitoring import access, store
from monitoring.clinic import Clinic, ServiceError, open_clinic
from monitoring.patients import patient_by_token
from monitoring.staff import staff_by_token
from monitoring.store import StoreBusy, connect, file_identity, set_write_budget, storage_fault, transaction

log = logging.getLogger("crswatch.web")

MAX_ID = 2**63 - 1  # SQLite integers are 64-bit


class RowId(IntegerConverter):
    """A row id in a path: one past SQLite's range names no row (404), never an OverflowError (500).
    Raised here rather than refused as a non-match, which werkzeug would report as a 405."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


# One connection per worker thread and database, kept between requests: opening costs a connection
# and its pragmas, and closing the last connection to a WAL database checkpoints it, together about a
# third of a webhook's time. A few are kept per thread (tests use a database each).
_local = threading.local()
CACHED_CONNECTIONS = 4


def _connection(path: str):
    cache: OrderedDict = _local.__dict__.setdefault("connections", OrderedDict())
    db = cache.pop(path, None)
    identity = file_identity(path)
    if db is not None and identity is not None and identity != db.file_identity:
        # a file restored in place (docs/operations.md) while the service ran, with no fault met: the kept
        # connection would read and write the replaced file, which nothing else opens (a text stored and acted on
        # there is lost, and the lease read there is not the scheduler's). While it is missing (a copy under way)
        # the kept one goes on: opening would create an empty database in its place.
        try:
            db.close()
        except sqlite3.Error:
            pass
        db = None
    if db is None:
        db = connect(path, busy_timeout_ms=store.WEB_BUSY_TIMEOUT_MS)
        db.file_identity = file_identity(path)
    cache[path] = db
    while len(cache) > CACHED_CONNECTIONS:
        cache.popitem(last=False)[1].close()
    return db


def _discard_connection(path: str) -> None:
    """Close and forget this thread's kept connection to `path`: after a storage fault it may be stuck in a
    bad state, opened read-only, or on a file since replaced (a restored backup); the next request opens anew."""
    db = _local.__dict__.get("connections", {}).pop(path, None)
    if db is not None:
        try:
            db.close()
        except sqlite3.Error:
            pass


def storage_failed() -> None:
    """This request found the storage failing without an error reaching the error handler (/healthz's write
    probe): its kept connection is closed after it, as after a 503 for a storage error (it may have been opened
    while the filesystem was read-only, and would refuse the first write after the fix)."""
    g.storage_fault = True


def forget_connections() -> None:
    """Close this thread's kept connections (tests that change how connections are made)."""
    cache = _local.__dict__.pop("connections", {})
    for db in cache.values():
        db.close()


def clinic() -> Clinic:
    """The clinic on this thread's kept connection; its writes wait at most WEB_WRITE_BUDGET_SECONDS in all
    for the lock in this request, so a webhook answers inside Twilio's 15 s and gunicorn's worker timeout."""
    if "clinic" not in g:
        settings = current_app.config["CRS"]
        db = _connection(settings["database"]["path"])
        set_write_budget(db, store.WEB_WRITE_BUDGET_SECONDS)
        g.clinic = open_clinic(settings, db)
    return g.clinic


def close_clinic(_error=None) -> None:
    opened = g.pop("clinic", None)
    if opened is None:
        return
    try:
        if opened.db.conn.in_transaction:
            opened.db.conn.rollback()  # never hand an open transaction to the next request
    except sqlite3.Error:
        g.storage_fault = True
    if g.pop("storage_fault", False):
        _discard_connection(current_app.config["CRS"]["database"]["path"])


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


# JSON bodies here are flat records (a patient, a reading, a settings patch): a few levels at most.
MAX_JSON_DEPTH = 32


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
    """The request's JSON object, or {} for an empty body.

    Raises ServiceError (400, field "body") naming the problem: not JSON, not an object, or nested deeper than
    MAX_JSON_DEPTH. Every parser failure lands here, including a RecursionError from a deeply nested document,
    which the standard decoder raises instead of a ValueError.
    """
    data = request.get_data(cache=True)
    if not data:
        return {}
    if not request.is_json:
        raise ServiceError("the body must be JSON (Content-Type: application/json)", "body")
    try:
        body = current_app.json.loads(data)
    except RecursionError:
        raise ServiceError(f"the body is nested too deeply (more than {MAX_JSON_DEPTH} levels)", "body") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ServiceError(f"the body is not valid JSON: {_first_line(exc)}", "body") from None
    if not isinstance(body, dict):
        raise ServiceError("the body must be a JSON object", "body")
    if _depth(body) > MAX_JSON_DEPTH:
        raise ServiceError(f"the body is nested too deeply (more than {MAX_JSON_DEPTH} levels)", "body")
    return body


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _depth(value) -> int:
    """How many arrays and objects deep `value` goes, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def register_errors(app) -> None:
    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return error(exc.message, exc.status, exc.field)

    @app.errorhandler(StoreBusy)
    @app.errorhandler(sqlite3.DatabaseError)
    def _storage(exc):
        """A storage fault (a held lock, a full or read-only disk, an I/O error, a damaged file) is the
        server's trouble, not the request's: 503 with Retry-After, which Twilio retries when the webhook
        URL asks it to (docs/operations.md), and one log line naming the fault and what the operator does."""
        fault = storage_fault(exc)
        if fault is None:  # a constraint or a bug: a 500 with its traceback in the log
            return _unexpected(exc)
        path = current_app.config["CRS"]["database"]["path"]
        if fault.name == "locked":
            log.warning("request %s: %s %s answered 503: database %s is locked; %s", g.get("request_id"),
                        request.method, request.path, path, fault.action)
        else:
            g.storage_fault = True
            log.error("request %s: %s %s answered 503: storage fault %s on %s (%s); operator: %s",
                      g.get("request_id"), request.method, request.path, fault.name, path, exc, fault.action)
        response = error("the service is busy; try again in a few seconds" if fault.name == "locked"
                         else "the service cannot store data right now; try again later", 503)
        response[0].headers["Retry-After"] = "5" if fault.name == "locked" else "30"
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
