"""The staff dashboard: sign-in, alerts, patients, forms, admin settings, and the phone simulator.

`init_app(app)` registers the blueprints, the template helpers and "/" -> /dashboard.
Templates live in web/templates, CSS and JS in web/static (served by the app; no CDN).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, make_response, redirect, request, send_from_directory, url_for
from werkzeug.exceptions import NotFound

from messages.texts import level_label, reason_label, symptom_label
from monitoring.timeline import age
from triage import celsius_to_fahrenheit
from web.api import RowId
from web.context import clinic
from web.dashboard.security import CSRF_FIELD, csrf_token, current_user, not_found_page, secure_headers

WEB = Path(__file__).resolve().parent.parent
SESSION_HOURS = 12  # one shift; then sign in again
DASHBOARD_PATHS = ("/dashboard/", "/simulator/")


def _local(moment, fmt: str = "%a %-d %b, %-I:%M %p") -> str:
    if moment is None:
        return ""
    return clinic().local(moment).strftime(fmt)


def _dashboard_not_found(app: Flask) -> None:
    """A dashboard address no route matched (RowId refuses an id while routing, before any blueprint is
    chosen) gets the dashboard's 404 page; every other address keeps the app's own 404 (JSON for the API)."""
    app_not_found = app.error_handler_spec[None].get(404, {}).get(NotFound)

    @app.errorhandler(404)
    def _not_found(exc):
        if request.path.startswith(DASHBOARD_PATHS) or request.path in ("/dashboard", "/simulator"):
            return secure_headers(make_response(not_found_page()))
        return app_not_found(exc) if app_not_found is not None else exc


def init_app(app: Flask) -> None:
    from web.dashboard import admin, auth, devices, pages, simulator

    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):  # Flask's default: too long here
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=SESSION_HOURS)
    # Ids in dashboard paths are web.api's RowId: past SQLite's 64-bit range is a 404, not an OverflowError.
    app.url_map.converters.setdefault("row_id", RowId)  # before the routes that use it
    for blueprint in (auth.bp, pages.bp, admin.bp, simulator.bp, devices.bp):
        app.register_blueprint(blueprint)
    _dashboard_not_found(app)

    @app.get("/")
    def root():
        return redirect(url_for("dashboard.index"))

    @app.get("/assets/<path:filename>")
    def assets(filename: str):
        response = secure_headers(send_from_directory(WEB / "static", filename, max_age=3600))
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    app.jinja_env.globals.update(csrf_token=csrf_token, csrf_field=CSRF_FIELD, current_user=current_user,
                                 sms_backend=lambda: app.config["CRS"]["sms"]["backend"],
                                 fever_c=lambda: clinic().thresholds.fever_c)
    app.jinja_env.filters.update(
        local=_local, clock=lambda m: _local(m, "%-I:%M %p"), ago=age,
        level_label=lambda code: level_label(code, "en"), reason_label=lambda code: reason_label(code, "en"),
        symptom_label=lambda code: symptom_label(code, "en"),
        fahrenheit=lambda c: f"{celsius_to_fahrenheit(c):.1f}",
    )
