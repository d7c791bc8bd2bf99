"""Patient app API under /api/v1/me (CONTRACT section 5): a patient sees only their own data."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from monitoring import app_api
from web.context import clinic, json_body, patient_required, wake_delivery

bp = Blueprint("me", __name__, url_prefix="/api/v1/me")


@bp.get("")
@patient_required
def me():
    return jsonify(app_api.me(clinic(), g.patient))


@bp.post("/readings")
@patient_required
def readings():
    answer = app_api.submit_reading(clinic(), g.patient, json_body())
    wake_delivery()
    return jsonify(answer), 201


@bp.post("/medications")
@patient_required
def medications():
    answer = app_api.submit_medication(clinic(), g.patient, json_body())
    wake_delivery()
    return jsonify(answer), 201
