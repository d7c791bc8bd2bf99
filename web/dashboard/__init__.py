"""The staff dashboard: sign-in, alerts, patients, forms, admin settings, and the phone simulator.

`init_app(app)` registers the blueprints, the template helpers and "/" -> /dashboard.
Templates live in web/templates, CSS and JS in web/static (served by the app; no CDN).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, g, redirect, request, send_from_directory, url_for
from werkzeug.exceptions import NotFound

from messages.texts import level_label, reason_label, symptom_label
from monitoring.episodes import PAUSE_LABELS
from monitoring.reports import OUTCOME_LABELS
from monitoring.store import from_text, utcnow
from monitoring.timeline import age
from triage import celsius_to_fahrenheit
from web.context import RowId, clinic
from web.dashboard.security import CSRF_FIELD, current_user, idle_timeout, init_login, not_found_page

WEB = Path(__file__).resolve().parent.parent
DASHBOARD_PATHS = ("/dashboard/", "/simulator/")


def _local(moment, fmt: str = "%a %-d %b, %-I:%M %p") -> str:
    if moment is None:
        return ""
    return clinic().local(moment).strftime(fmt)


def _operator_notices() -> list[str]:
    """What every dashboard page says at the top while the paging path is not working (issue 11.5)."""
    from monitoring.health import problems

    return problems(clinic(), request_now())


def _dashboard_not_found(app: Flask) -> None:
    """A dashboard address no route matched (RowId refuses an id while routing, before any blueprint is
    chosen) gets the dashboard's 404 page; every other address keeps the app's own 404 (JSON for the API)."""
    app_not_found = app.error_handler_spec[None].get(404, {}).get(NotFound)

    @app.errorhandler(404)
    def _not_found(exc):
        if request.path.startswith(DASHBOARD_PATHS) or request.path in ("/dashboard", "/simulator"):
            return not_found_page()
        return app_not_found(exc) if app_not_found is not None else exc


def request_now() -> datetime:
    """The clock, read once per request (aware UTC): every "4 min ago" on one page counts from one instant."""
    if "now" not in g:
        g.now = utcnow()
    now: datetime = g.now
    return now


def _ago(moment) -> str:
    """'4 min ago', '2 h ago', or 'just now' (never 'just now ago')."""
    said = age(moment, request_now())
    return said if said in ("", "just now") else f"{said} ago"


def grade_inputs_text(inputs: dict) -> str:
    """A recorded grade's inputs in words: 'temperature 38.6 C, hypotension, 1 vasopressor, oxygen low flow 2 L/min'."""
    parts = []
    if inputs.get("temperature_c") is not None:
        parts.append(f"temperature {inputs['temperature_c']:.1f} C")
    if inputs.get("fever_masked"):
        parts.append("fever masked by antipyretic or anticytokine therapy")
    if inputs.get("hypotension"):
        parts.append("hypotension")
    if inputs.get("vasopressors"):
        parts.append(f"{inputs['vasopressors']} vasopressor{'s' if inputs['vasopressors'] > 1 else ''}")
    if inputs.get("vasopressin"):
        parts.append("vasopressin")
    oxygen = inputs.get("oxygen", "none")
    parts.append("room air" if oxygen == "none" else "oxygen " + oxygen.replace("_", " ")
                 + (f" {inputs['oxygen_lpm']:g} L/min" if inputs.get("oxygen_lpm") is not None else ""))
    return ", ".join(parts)


def init_app(app: Flask) -> None:
    from web.dashboard import access, admin, auth, devices, pages, simulator, workday
    from web.security import limit_signin

    # The cookie lasts as long as a sign-in may; the database session decides (web.dashboard.security).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["CRS"]["web"]["session_hours"])
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    init_login(app)
    limit_signin(app.extensions["crswatch.limiter"], auth.bp)
    # Ids in dashboard paths are web.context's RowId: past SQLite's 64-bit range is a 404, not an OverflowError.
    app.url_map.converters.setdefault("row_id", RowId)  # before the routes that use it
    for blueprint in (auth.bp, pages.bp, admin.bp, access.bp, simulator.bp, workday.bp, devices.bp):
        app.register_blueprint(blueprint)
    _dashboard_not_found(app)

    @app.get("/")
    def root():
        return redirect(url_for("dashboard.index"))

    @app.get("/assets/<path:filename>")
    def assets(filename: str):
        response = send_from_directory(WEB / "static", filename, max_age=3600)
        response.headers["Cache-Control"] = "public, max-age=3600"  # no patient data: web.security keeps it
        return response

    app.jinja_env.globals.update(operator_notices=_operator_notices)
    app.jinja_env.globals.update(csrf_field=CSRF_FIELD, current_user=current_user,  # csrf_token(): Flask-WTF
                                 idle_seconds=lambda: int(idle_timeout().total_seconds()),
                                 sms_backend=lambda: app.config["CRS"]["sms"]["backend"],
                                 fever_c=lambda: clinic().thresholds.fever_c, outcome_labels=OUTCOME_LABELS,
                                 pause_labels=PAUSE_LABELS)
    app.jinja_env.filters.update(
        local=_local, clock=lambda m: _local(m, "%-I:%M %p"), ago=_ago,
        level_label=lambda code: level_label(code, "en"), reason_label=lambda code: reason_label(code, "en"),
        symptom_label=lambda code: symptom_label(code, "en"),
        fahrenheit=lambda c: f"{celsius_to_fahrenheit(c):.1f}",
        local_text=lambda text: _local(from_text(text)) if text else "", grade_inputs=grade_inputs_text,
    )
