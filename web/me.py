"""Patient app API under /api/v1/me (CONTRACT section 5): a patient sees only their own data."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from monitoring import app_api, bodies
from monitoring.store import utcnow
from web import answers
from web.apidoc import documented
from web.context import clinic, json_body, patient_required, wake_delivery

bp = Blueprint("me", __name__, url_prefix="/api/v1/me")


@bp.get("")
@documented("My episode, latest assessment, next check-in and readings", answers.Me, "me", operation_id="getMe")
@patient_required
def me():
    return jsonify(app_api.me(clinic(), g.patient))


@bp.post("/readings")
@documented("Report a reading; triaged exactly as a text would be", answers.Answer, "the assessment and what to do",
            status=201, body=bodies.ReadingRequest, errors=(409, 422), operation_id="submitReading",
            headers=("Idempotency-Key",))
@patient_required
def readings():
    key = app_api.idempotency_key(request.headers.get("Idempotency-Key"))
    answer, replayed = app_api.submit_reading(clinic(), g.patient, json_body(), utcnow(), key)
    return _answered(answer, replayed)


@bp.post("/medications")
@documented("Report acetaminophen taken", answers.Answer, "the assessment and what to do", status=201,
            body=bodies.PatientMedicationRequest, errors=(409, 422), operation_id="submitMedication",
            headers=("Idempotency-Key",))
@patient_required
def medications():
    key = app_api.idempotency_key(request.headers.get("Idempotency-Key"))
    answer, replayed = app_api.submit_medication(clinic(), g.patient, json_body(), utcnow(), key)
    return _answered(answer, replayed)


def _answered(answer: dict, replayed: bool):
    """201 with the answer; a retry answered from its Idempotency-Key says so (`Idempotent-Replayed: true`, as
    Stripe's API does) and queued nothing, so nothing is woken."""
    if replayed:
        return jsonify(answer), 201, {"Idempotent-Replayed": "true"}
    wake_delivery()
    return jsonify(answer), 201
