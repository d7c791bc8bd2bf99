"""The nurse dashboard under /dashboard: alerts, patients, enrollment, medications, ASTCT grading.

Views stay thin: read with monitoring.timeline, write with one monitoring call, render a template.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from monitoring import alerts, medications, patients, timeline
from monitoring.clinic import NotFound, ServiceError, ValidationError
from monitoring.store import utcnow
from triage.model import MEDICATIONS
from web.api import OXYGEN, grade_body
from web.context import clinic, wake_delivery
from web.dashboard import forms
from web.dashboard.chart import temperature_svg
from web.dashboard.security import current_user, protect, safe_next

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="../templates")
protect(bp)

REFRESH_SECONDS = 30
THERAPIES = ("teclistamab", "elranatamab", "talquetamab", "linvoseltamab", "epcoritamab", "glofitamab",
             "mosunetuzumab", "blinatumomab", "tarlatamab")
OXYGEN_LABELS = {"none": "None (room air)", "low_flow": "Low-flow nasal cannula (6 L/min or less) or blow-by",
                 "high_flow": "High-flow nasal cannula (over 6 L/min), facemask, non-rebreather or Venturi",
                 "positive_pressure": "Positive pressure (CPAP, BiPAP, intubation, ventilation)"}


def _fever_c() -> float:
    return clinic().thresholds.fever_c


@bp.get("")
def index():
    active = timeline.active_alerts(clinic())
    people = timeline.active_patients(clinic())
    for person in people:
        person["chart"] = temperature_svg(person["temperatures"], _fever_c(), compact=True,
                                          title=f"Temperature trend for {person['name']}")
    return render_template("dashboard.html", title="Alerts and patients", open_alerts=active["open"],
                           acknowledged=active["acknowledged"], patients=people, refresh=REFRESH_SECONDS)


@bp.get("/alerts/<int:alert_id>")
def alert(alert_id: int):
    detail = timeline.alert_detail(clinic(), alert_id)
    summary = timeline.patient_summary(clinic(), detail["patient_id"])
    chart = temperature_svg(summary["temperatures"], _fever_c(), title=f"Temperature trend for {summary['name']}",
                            tz=clinic().tz)
    recent = timeline.patient_timeline(clinic(), detail["patient_id"], limit=20)
    return render_template("alert.html", title=f"Alert {alert_id}", alert=detail, patient=summary, chart=chart,
                           items=recent, refresh=REFRESH_SECONDS)


@bp.post("/alerts/<int:alert_id>/ack")
def ack(alert_id: int):
    try:
        alerts.acknowledge(clinic(), alert_id, actor=current_user().name)
        flash(f"Alert {alert_id} acknowledged: paging stopped.", "ok")
    except NotFound:
        flash(f"Alert {alert_id} is not open any more.", "error")
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


@bp.post("/alerts/<int:alert_id>/resolve")
def resolve(alert_id: int):
    note = (request.form.get("note") or "").strip()
    if len(note) > 2000:
        flash("The note must be at most 2000 characters.", "error")
    else:
        try:
            alerts.resolve(clinic(), alert_id, actor=current_user().name, note=note)
            flash(f"Alert {alert_id} resolved.", "ok")
        except ServiceError as error:
            flash(error.message, "error")
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


def _patient_page(patient_id: int, *, status: int = 200, med_errors: dict | None = None, med_values=None,
                  dose_errors: dict | None = None):
    summary = timeline.patient_summary(clinic(), patient_id)
    chart = temperature_svg(summary["temperatures"], _fever_c(), title=f"Temperature trend for {summary['name']}",
                            tz=clinic().tz)
    return render_template(
        "patient.html", title=summary["name"], patient=summary, chart=chart,
        items=timeline.patient_timeline(clinic(), patient_id),
        active_alerts=[a for group in timeline.active_alerts(clinic()).values() for a in group
                       if a["patient_id"] == patient_id],
        toci=timeline.tocilizumab_status(clinic(), patient_id), medications=MEDICATIONS,
        med_errors=med_errors or {}, med_values=med_values or {}, dose_errors=dose_errors or {},
        now_local=forms.local_input_value(utcnow(), clinic().tz), therapies=THERAPIES), status


@bp.get("/patients/<int:patient_id>")
def patient(patient_id: int):
    return _patient_page(patient_id)


@bp.post("/patients/<int:patient_id>/medications")
def give_medication(patient_id: int):
    form = request.form
    user = current_user()
    try:
        body = forms.drop_none({
            "name": forms.text(form, "name"), "dose_mg": forms.number(form, "dose_mg", "Dose (mg)"),
            "weight_kg": forms.number(form, "weight_kg", "Weight (kg)"),
            "given_at": forms.local_time(form, "given_at", clinic().tz, "Given at"),
        })
        given = medications.give(clinic(), patient_id, body, {"id": user.id, "name": user.name})
    except NotFound:
        raise
    except ServiceError as error:
        return _patient_page(patient_id, status=error.status, med_errors={error.field or "name": error.message},
                             med_values=form)
    dose = f" {given['dose_mg']:g} mg" if given["dose_mg"] is not None else ""
    flash(f"Recorded {given['name']}{dose}.", "ok")
    return redirect(url_for(".patient", patient_id=patient_id) + "#timeline")


@bp.post("/patients/<int:patient_id>/doses")
def new_dose(patient_id: int):
    form = request.form
    try:
        body = forms.drop_none({"therapy": forms.text(form, "therapy"),
                                "given_at": forms.local_time(form, "given_at", clinic().tz, "Dose given at")})
        patients.new_dose(clinic(), patient_id, body, actor=current_user().name)
    except NotFound:
        raise
    except ServiceError as error:
        return _patient_page(patient_id, status=error.status, dose_errors={error.field or "therapy": error.message})
    flash("New step-up dose recorded: a new monitoring episode started; the first check-in goes out now.", "ok")
    wake_delivery()
    return redirect(url_for(".patient", patient_id=patient_id))


ENROLL_DEFAULTS = {"language": "en"}


@bp.route("/patients/new", methods=["GET", "POST"])
def enroll():
    tz = clinic().tz
    if request.method == "GET":
        values = {**ENROLL_DEFAULTS, "dose_given_at": forms.local_input_value(utcnow(), tz)}
        return render_template("enroll.html", title="Enroll a patient", values=values, errors={},
                               therapies=THERAPIES, defaults=clinic().checkins)
    form = request.form
    try:
        risk_factors = [item.strip() for item in (form.get("risk_factors") or "").split(",") if item.strip()]
        body = forms.drop_none({
            "name": forms.text(form, "name"), "phone": forms.text(form, "phone"),
            "language": forms.text(form, "language") or "en", "therapy": forms.text(form, "therapy"),
            "dose_given_at": forms.local_time(form, "dose_given_at", tz, "Dose given at"),
            "baseline_systolic": forms.whole_number(form, "baseline_systolic", "Baseline systolic"),
            "baseline_spo2": forms.whole_number(form, "baseline_spo2", "Baseline SpO2"),
            "high_risk": forms.checkbox(form, "high_risk"), "risk_factors": risk_factors,
            "monitoring_hours": forms.whole_number(form, "monitoring_hours", "Monitoring hours"),
            "checkin_interval_minutes": forms.whole_number(form, "checkin_interval_minutes", "Check-in interval"),
        })
        enrolled = patients.enroll(clinic(), body, actor=current_user().name)
    except ServiceError as error:
        return render_template("enroll.html", title="Enroll a patient", values=form,
                               errors={error.field or "name": error.message}, therapies=THERAPIES,
                               defaults=clinic().checkins), error.status
    wake_delivery()
    summary = timeline.patient_summary(clinic(), enrolled["id"])
    return render_template("enrolled.html", title=f"Enrolled {summary['name']}", patient=summary,
                           patient_token=enrolled["patient_token"]), 201


@bp.route("/grade", methods=["GET", "POST"])
def grade():
    values, result, errors, status = {"vasopressors": "0", "oxygen": "none"}, None, {}, 200
    if request.method == "POST":
        form = request.form
        values = form
        try:
            vasopressors = forms.whole_number(form, "vasopressors", "Vasopressors")
            body = forms.drop_none({
                "temperature_c": forms.number(form, "temperature_c", "Temperature"),
                "fever_masked": forms.checkbox(form, "fever_masked"),
                "hypotension": forms.checkbox(form, "hypotension"),
                "vasopressors": 0 if vasopressors is None else vasopressors,
                "vasopressin": forms.checkbox(form, "vasopressin"),
                "oxygen": forms.text(form, "oxygen") or "none",
                "oxygen_lpm": forms.number(form, "oxygen_lpm", "Oxygen flow"),
            })
            result = grade_body(body)
        except ValidationError as error:
            errors, status = {error.field or "temperature_c": error.message}, 400
    return render_template("grade.html", title="ASTCT CRS grading", values=values, result=result, errors=errors,
                           oxygen=[(code, OXYGEN_LABELS[code]) for code in OXYGEN]), status
