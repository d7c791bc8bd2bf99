"""Staff API under /api/v1 (CONTRACT section 4). Validate, call one monitoring function, answer JSON."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

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
from monitoring.grades import grade_body
from monitoring.store import to_text, utcnow
from web import answers
from web.apidoc import documented
from web.context import RowId, audited, clinic, json_body, staff_required, wake_delivery

bp = Blueprint("api", __name__, url_prefix="/api/v1")

bp.record_once(lambda state: state.app.url_map.converters.setdefault("row_id", RowId))  # before the routes
PATIENT = "<row_id:patient_id>"
ALERT = "<row_id:alert_id>"


@bp.post("/patients")
@documented("Enroll a patient and open a monitoring episode; the first check-in is due now", answers.Enrolled,
            "enrolled", status=201, body=bodies.EnrollRequest, errors=(409,), operation_id="enrollPatient")
@staff_required()
def enroll():
    enrolled = patients.enroll(clinic(), json_body(), actor=g.staff["name"], now=utcnow())
    view = views.patient_view(clinic(), enrolled["id"])
    return jsonify({**view, "patient_token": enrolled["patient_token"]}), 201


@bp.get("/patients")
@documented("Patients with an active episode (all=1: every patient)", answers.Patient, "patients by name",
            many=True, query=bodies.PatientsQuery, operation_id="listPatients")
@staff_required()
@audited("api.patients")
def list_patients():
    return jsonify(views.list_patients(clinic(), active_only=request.args.get("all") != "1"))


@bp.get(f"/patients/{PATIENT}")
@documented("One patient: episode, latest assessment, readings newest first", answers.Patient, "the patient",
            operation_id="getPatient")
@staff_required()
@audited("api.patient")
def get_patient(patient_id: int):
    return jsonify(views.patient_view(clinic(), patient_id))


@bp.post(f"/patients/{PATIENT}/doses")
@documented("A new step-up dose: ends the current episode and opens a new one", answers.NewDose,
            "the patient with the new episode", status=201, body=bodies.DoseRequest, operation_id="newDose")
@staff_required()
def new_dose(patient_id: int):
    opened = patients.new_dose(clinic(), patient_id, json_body(), actor=g.staff["name"], now=utcnow())
    return jsonify({**views.patient_view(clinic(), patient_id), "episode_id": opened["episode_id"]}), 201


@bp.post(f"/patients/{PATIENT}/caregivers")
@documented("Add a caregiver (at most 2); they get an explanation text", answers.Caregiver, "the caregiver",
            status=201, body=bodies.CaregiverRequest, errors=(409,), operation_id="addCaregiver")
@staff_required()
def add_caregiver(patient_id: int):
    return jsonify(caregivers.add(clinic(), patient_id, json_body(), actor=g.staff["name"], now=utcnow())), 201


@bp.delete(f"/patients/{PATIENT}/caregivers/<row_id:caregiver_id>")
@documented("Remove a caregiver: no more texts to them; their past texts keep their name", answers.Caregivers,
            "the caregivers left", operation_id="removeCaregiver")
@staff_required()
def remove_caregiver(patient_id: int, caregiver_id: int):
    caregivers.remove(clinic(), patient_id, caregiver_id, actor=g.staff["name"], now=utcnow())
    return jsonify({"caregivers": caregivers.caregivers_view(clinic(), patient_id)})


@bp.post(f"/patients/{PATIENT}/pause")
@documented("Pause check-ins (in hospital, ED or clinic): no prompts and no missed check-ins; a red flag "
            "texted meanwhile still pages", answers.EpisodeChange, "paused", body=bodies.PauseRequest, errors=(409,),
            operation_id="pauseMonitoring")
@staff_required()
def pause(patient_id: int):
    return jsonify(episodes.pause(clinic(), patient_id, json_body(), actor=g.staff["name"], now=utcnow()))


@bp.post(f"/patients/{PATIENT}/resume")
@documented("Resume check-ins; the next prompt is due now", answers.EpisodeChange, "resumed", errors=(409,),
            operation_id="resumeMonitoring")
@staff_required()
def resume(patient_id: int):
    return jsonify(episodes.resume(clinic(), patient_id, actor=g.staff["name"], now=utcnow()))


@bp.post(f"/patients/{PATIENT}/end")
@documented("End monitoring early, with a reason", answers.EpisodeChange, "ended", body=bodies.EndRequest,
            errors=(409,), operation_id="endMonitoring")
@staff_required()
def end(patient_id: int):
    return jsonify(episodes.end(clinic(), patient_id, json_body(), actor=g.staff["name"], now=utcnow()))


@bp.post(f"/patients/{PATIENT}/medications")
@documented("Record a dose given; tocilizumab beyond the SOP's limits is refused (409)", answers.Medication,
            "recorded", status=201, body=bodies.MedicationRequest, errors=(409,), operation_id="giveMedication")
@staff_required()
def give_medication(patient_id: int):
    return jsonify(medications.give(clinic(), patient_id, json_body(), g.staff, utcnow())), 201


@bp.get(f"/patients/{PATIENT}/medications")
@documented("Doses recorded for a patient, newest first", answers.MedicationEntry, "doses", many=True,
            operation_id="listMedications")
@staff_required()
@audited("api.medications")
def list_medications(patient_id: int):
    views.patient_view(clinic(), patient_id, reading_limit=0)  # 404 for an unknown patient
    return jsonify(medications.list_doses(clinic(), patient_id))


@bp.get("/alerts")
@documented("Alerts, newest first", answers.Alert, "alerts", many=True, query=bodies.AlertsQuery, errors=(400,),
            operation_id="listAlerts")
@staff_required()
@audited("api.alerts")
def list_alerts():
    query = bodies.parse(bodies.AlertsQuery, request.args.to_dict())
    created = None
    if request.args.get("since") or request.args.get("until"):
        since, until = history.period(request.args, clinic().tz, utcnow(), default_days=None)
        created = (to_text(since) if since else "", to_text(until))
    return jsonify(alerts.list_alerts(clinic(), query.status, query.patient_id, created=created, level=query.level))


@bp.post(f"/alerts/{ALERT}/ack")
@documented("Acknowledge an alert: paging stops", answers.Alert, "the alert", operation_id="acknowledgeAlert")
@staff_required()
def ack(alert_id: int):
    return jsonify(alerts.acknowledge(clinic(), alert_id, actor=g.staff["name"], now=utcnow()))


@bp.post(f"/alerts/{ALERT}/resolve")
@documented("Resolve an alert with a note and what came of it", answers.Alert, "the alert",
            body=bodies.ResolveRequest, body_required=False, errors=(409,), operation_id="resolveAlert")
@staff_required()
def resolve(alert_id: int):
    body = bodies.parse(bodies.ResolveRequest, json_body())
    return jsonify(alerts.resolve(clinic(), alert_id, actor=g.staff["name"], note=body.note, outcome=body.outcome,
                                  now=utcnow()))


@bp.get("/reports/alerts")
@documented("Response times of the alerts opened in a period (default: the last 30 clinic days)",
            answers.AlertReport, "the figures", query=bodies.ReportQuery, errors=(400,), operation_id="alertReport")
@staff_required()
def alert_report():
    now = utcnow()
    since, until = history.period(request.args, clinic().tz, now)
    return jsonify(reports.alert_report(clinic(), since, until, now))


@bp.get("/messages")
@documented("The message log, oldest first (texts to staff included without patient_id)", answers.Message,
            "messages (at most 1000; page on with after_id)", many=True, query=bodies.MessagesQuery, errors=(400,),
            operation_id="listMessages")
@staff_required()
@audited("api.messages")
def list_messages():
    query = bodies.parse(bodies.MessagesQuery, request.args.to_dict())
    return jsonify(views.list_messages(clinic(), query.patient_id, query.after_id or 0))


@bp.post("/grade")
@documented("ASTCT CRS grade and the SOP's management for it", answers.Grade, "the grade",
            body=bodies.GradeRequest, body_required=False, operation_id="gradeCrs")
@staff_required()
def grade():
    return jsonify(grade_body(json_body()))


@bp.get("/settings")
@documented("The clinic's effective settings (no secrets), overrides and change history", answers.Settings,
            "settings", operation_id="getSettings")
@staff_required()
def get_settings():
    return jsonify(settings.public_view(clinic()))


@bp.put("/settings")
@documented("Change clinic settings (admin only); every change is audited", answers.Settings,
            "the settings after the change", body=answers.SettingsChange, operation_id="changeSettings")
@staff_required("admin")
def put_settings():
    settings.update(clinic(), json_body(), actor=g.staff["name"], now=utcnow())
    return jsonify(settings.public_view(clinic()))


@bp.after_request
def _deliver(response):
    if request.method == "POST" and response.status_code < 400:
        wake_delivery()
    return response
