"""Staff API under /api/v1 (CONTRACT section 4). Validate, call one monitoring function, answer JSON."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

import triage
from monitoring import (
    alerts,
    bodies,
    caregivers,
    episodes,
    history,
    medications,
    patients,
    reports,
    settings,
    views,
)
from monitoring.clinic import ValidationError
from monitoring.store import to_text
from web.context import audited, clinic, json_body, staff_required, wake_delivery

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_ID = 2**63 - 1  # SQLite integers are 64-bit


class RowId(IntegerConverter):
    """A row id in a path: one past SQLite's range names no row (404), never an OverflowError (500).
    Raised here rather than refused as a non-match, which werkzeug would report as a 405."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


bp.record_once(lambda state: state.app.url_map.converters.setdefault("row_id", RowId))  # before the routes
PATIENT = "<row_id:patient_id>"
ALERT = "<row_id:alert_id>"


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        raise ValidationError(f"{name} must be a whole number", name)
    return int(value)


@bp.post("/patients")
@staff_required()
def enroll():
    enrolled = patients.enroll(clinic(), json_body(), actor=g.staff["name"])
    view = views.patient_view(clinic(), enrolled["id"])
    return jsonify({**view, "patient_token": enrolled["patient_token"]}), 201


@bp.get("/patients")
@staff_required()
@audited("api.patients")
def list_patients():
    return jsonify(views.list_patients(clinic(), active_only=request.args.get("all") != "1"))


@bp.get(f"/patients/{PATIENT}")
@staff_required()
@audited("api.patient")
def get_patient(patient_id: int):
    return jsonify(views.patient_view(clinic(), patient_id))


@bp.post(f"/patients/{PATIENT}/doses")
@staff_required()
def new_dose(patient_id: int):
    opened = patients.new_dose(clinic(), patient_id, json_body(), actor=g.staff["name"])
    return jsonify({**views.patient_view(clinic(), patient_id), "episode_id": opened["episode_id"]}), 201


@bp.post(f"/patients/{PATIENT}/caregivers")
@staff_required()
def add_caregiver(patient_id: int):
    return jsonify(caregivers.add(clinic(), patient_id, json_body(), actor=g.staff["name"])), 201


@bp.delete(f"/patients/{PATIENT}/caregivers/<row_id:caregiver_id>")
@staff_required()
def remove_caregiver(patient_id: int, caregiver_id: int):
    caregivers.remove(clinic(), patient_id, caregiver_id, actor=g.staff["name"])
    return jsonify({"caregivers": caregivers.caregivers_view(clinic(), patient_id)})


@bp.post(f"/patients/{PATIENT}/pause")
@staff_required()
def pause(patient_id: int):
    return jsonify(episodes.pause(clinic(), patient_id, json_body(), actor=g.staff["name"]))


@bp.post(f"/patients/{PATIENT}/resume")
@staff_required()
def resume(patient_id: int):
    return jsonify(episodes.resume(clinic(), patient_id, actor=g.staff["name"]))


@bp.post(f"/patients/{PATIENT}/end")
@staff_required()
def end(patient_id: int):
    return jsonify(episodes.end(clinic(), patient_id, json_body(), actor=g.staff["name"]))


@bp.post(f"/patients/{PATIENT}/medications")
@staff_required()
def give_medication(patient_id: int):
    return jsonify(medications.give(clinic(), patient_id, json_body(), g.staff)), 201


@bp.get(f"/patients/{PATIENT}/medications")
@staff_required()
@audited("api.medications")
def list_medications(patient_id: int):
    views.patient_view(clinic(), patient_id, reading_limit=0)  # 404 for an unknown patient
    return jsonify(medications.list_doses(clinic(), patient_id))


@bp.get("/alerts")
@staff_required()
@audited("api.alerts")
def list_alerts():
    status = request.args.get("status", "open")
    if status not in ("open", "acknowledged", "resolved", "active", "all"):
        raise ValidationError("status must be open, acknowledged, resolved, active or all", "status")
    level = request.args.get("level") or None
    if level is not None and level not in history.LEVEL_CHOICES:
        raise ValidationError(f"level must be one of {', '.join(history.LEVEL_CHOICES)}", "level")
    created = None
    if request.args.get("since") or request.args.get("until"):
        since, until = history.period(request.args, clinic().tz, default_days=None)
        created = (to_text(since) if since else "", to_text(until))
    return jsonify(alerts.list_alerts(clinic(), status, _int_arg("patient_id"), created=created, level=level))


@bp.post(f"/alerts/{ALERT}/ack")
@staff_required()
def ack(alert_id: int):
    return jsonify(alerts.acknowledge(clinic(), alert_id, actor=g.staff["name"]))


@bp.post(f"/alerts/{ALERT}/resolve")
@staff_required()
def resolve(alert_id: int):
    body = bodies.parse(bodies.ResolveBody, json_body())
    return jsonify(alerts.resolve(clinic(), alert_id, actor=g.staff["name"], note=body.note, outcome=body.outcome))


@bp.get("/reports/alerts")
@staff_required()
def alert_report():
    since, until = history.period(request.args, clinic().tz)
    return jsonify(reports.alert_report(clinic(), since, until))


@bp.get("/messages")
@staff_required()
@audited("api.messages")
def list_messages():
    return jsonify(views.list_messages(clinic(), _int_arg("patient_id"), _int_arg("after_id") or 0))


@bp.post("/grade")
@staff_required()
def grade():
    return jsonify(grade_body(json_body()))


def grade_body(body: dict) -> dict:
    """ASTCT grading from a request body (monitoring.bodies.GradeBody; shared by the dashboard form)."""
    asked = bodies.parse(bodies.GradeBody, body)
    try:
        graded = triage.grade(**asked.model_dump())
    except ValueError as error:
        message = str(error)
        field = next((name for name in ("temperature_c", "oxygen_lpm") if name in message), "body")
        raise ValidationError(message, field) from None
    return {"grade": graded.grade, "driver": graded.driver, "management": list(graded.management)}


@bp.get("/settings")
@staff_required()
def get_settings():
    return jsonify(settings.public_view(clinic()))


@bp.put("/settings")
@staff_required("admin")
def put_settings():
    settings.update(clinic(), json_body(), actor=g.staff["name"])
    return jsonify(settings.public_view(clinic()))


@bp.after_request
def _deliver(response):
    if request.method == "POST" and response.status_code < 400:
        wake_delivery()
    return response
