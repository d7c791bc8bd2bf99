"""The nurse dashboard under /dashboard: alerts, patients, enrollment, medications, ASTCT grading.

Views stay thin: read with monitoring.timeline, write with one monitoring call, render a template.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from monitoring import alerts, bodies, caregivers, medications, patients, rota, timeline, workspace
from monitoring import grades as grading
from monitoring.app_api import to_celsius
from monitoring.bodies import OXYGEN
from monitoring.clinic import Conflict, NotFound, ServiceError, ValidationError
from monitoring.grades import grade_body
from monitoring.reports import OUTCOME_LABELS
from monitoring.store import utcnow
from triage.model import MEDICATIONS
from web.context import audited, clinic, wake_delivery
from web.dashboard import forms
from web.dashboard.chart import temperature_svg
from web.dashboard.security import current_user, protect, safe_next

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="../templates")
protect(bp)

REFRESH_SECONDS = 30
THERAPIES = ("teclistamab", "elranatamab", "talquetamab", "linvoseltamab", "epcoritamab", "glofitamab",
             "mosunetuzumab", "blinatumomab", "tarlatamab")
# The kind first, so a phone's narrow select still shows which one is chosen (SOP 4 hypoxia row and footnote).
OXYGEN_LABELS = {"none": "None (room air)", "low_flow": "Low flow: cannula 6 L/min or less, or blow-by",
                 "high_flow": "High flow: cannula over 6 L/min, facemask, non-rebreather, Venturi",
                 "positive_pressure": "Positive pressure: CPAP, BiPAP, intubation, ventilation"}


def _fever_c() -> float:
    return clinic().thresholds.fever_c


@bp.get("")
@audited("dashboard.patients")
def index():
    active = timeline.active_alerts(clinic())
    people = timeline.active_patients(clinic())
    for person in people:
        person["chart"] = temperature_svg(person["temperatures"], _fever_c(), compact=True,
                                          title=f"Temperature trend for {person['name']}")
    return render_template("dashboard.html", title="Alerts and patients", open_alerts=active["open"],
                           acknowledged=active["acknowledged"], patients=people, refresh=REFRESH_SECONDS,
                           on_call=rota.on_call_now(clinic(), utcnow()))


def _spo2_floor(patient: dict) -> int:
    """The patient's own floor (triage.rules.spo2_floor: the clinic's, or a lower baseline)."""
    floor = clinic().thresholds.spo2_floor
    return min(floor, patient["baseline_spo2"]) if patient.get("baseline_spo2") is not None else floor


# The resolve outcomes as the nurse reads them (CONTRACT 8: home_care, ed, clinic, admitted, no_action).
RESOLVE_OUTCOMES = {"home_care": "Advised home care", "ed": "Sent to the ED", "clinic": "Seen in clinic",
                    "admitted": "Admitted", "no_action": "No action needed"}


@bp.get("/alerts/<row_id:alert_id>")
@audited("dashboard.alert")
def alert(alert_id: int):
    detail = timeline.alert_detail(clinic(), alert_id)
    summary = timeline.patient_summary(clinic(), detail["patient_id"])
    chart = temperature_svg(summary["temperatures"], _fever_c(), title=f"Temperature trend for {summary['name']}",
                            tz=clinic().tz)
    recent = timeline.patient_timeline(clinic(), detail["patient_id"], limit=20)
    work = workspace.alert_workspace(clinic(), alert_id, detail["patient_id"])
    return render_template("alert.html", title=f"Alert {alert_id}", alert=detail, patient=summary, chart=chart,
                           items=recent, work=work, outcomes=RESOLVE_OUTCOMES, floor=_spo2_floor(summary), sbp_floor=clinic().thresholds.systolic_floor,
                           refresh=REFRESH_SECONDS)


@bp.post("/alerts/<row_id:alert_id>/ack")
def ack(alert_id: int):
    try:
        alerts.acknowledge(clinic(), alert_id, actor=current_user().name, now=utcnow())
        flash(f"Alert {alert_id} acknowledged: paging stopped.", "ok")
    except NotFound:
        flash(f"Alert {alert_id} is not open any more.", "error")
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


@bp.post("/alerts/<row_id:alert_id>/resolve")
def resolve(alert_id: int):
    note = (request.form.get("note") or "").strip()
    if len(note) > 2000:
        flash("The note must be at most 2000 characters.", "error")
    else:
        try:
            outcome = request.form.get("outcome") or None
            alerts.resolve(clinic(), alert_id, actor=current_user().name, note=note, outcome=outcome, now=utcnow())
            flash(f"Alert {alert_id} resolved" + (f": {OUTCOME_LABELS[outcome]}." if outcome else "."), "ok")
        except ServiceError as error:
            flash(error.message, "error")
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


def _patient_page(patient_id: int, now: datetime, *, status: int = 200, med_errors: dict | None = None, med_values=None,
                  dose_errors: dict | None = None, patient_token: str | None = None,
                  caregiver_errors: dict | None = None, caregiver_values=None):
    now = utcnow()
    summary = timeline.patient_summary(clinic(), patient_id)
    chart = temperature_svg(summary["temperatures"], _fever_c(), title=f"Temperature trend for {summary['name']}",
                            tz=clinic().tz)
    return render_template(
        "patient.html", title=summary["name"], patient=summary, chart=chart,
        items=timeline.patient_timeline(clinic(), patient_id),
        active_alerts=[a for group in timeline.active_alerts(clinic()).values() for a in group
                       if a["patient_id"] == patient_id],
        toci=timeline.tocilizumab_status(clinic(), patient_id, now), medications=MEDICATIONS,
        med_errors=med_errors or {}, med_values=med_values or {}, dose_errors=dose_errors or {},
        now_local=forms.local_input_value(now, clinic().tz), therapies=THERAPIES,
        patient_token=patient_token, caregivers=timeline.caregivers(clinic(), patient_id),
        max_caregivers=caregivers.MAX_CAREGIVERS, caregiver_errors=caregiver_errors or {},
        caregiver_values=caregiver_values or {}), status


@bp.get("/patients/<row_id:patient_id>")
@audited("dashboard.patient")
def patient(patient_id: int):
    # the patient's app token, shown once, on the page enroll() redirects to (and gone from the session after)
    enrolled = session.pop("enrolled_token") if "enrolled_token" in session else None
    token = enrolled["token"] if enrolled and enrolled.get("patient_id") == patient_id else None
    return _patient_page(patient_id, utcnow(), patient_token=token)


@bp.post("/patients/<row_id:patient_id>/medications")
def give_medication(patient_id: int):
    form, now = request.form, utcnow()
    user = current_user()
    try:
        given = medications.give(clinic(), patient_id, bodies.form_body(form, bodies.MedicationRequest.model_fields),
                                 {"id": user.id, "name": user.name}, now, form=True)
    except NotFound:
        raise
    except ServiceError as error:
        return _patient_page(patient_id, now, status=error.status, med_errors={error.field or "name": error.message},
                             med_values=form)
    dose = f" {given['dose_mg']:g} mg" if given["dose_mg"] is not None else ""
    flash(f"Recorded {given['name']}{dose}.", "ok")
    return redirect(url_for(".patient", patient_id=patient_id) + "#timeline")


@bp.post("/patients/<row_id:patient_id>/doses")
def new_dose(patient_id: int):
    form, now = request.form, utcnow()
    try:
        patients.new_dose(clinic(), patient_id, bodies.form_body(form, bodies.DoseRequest.model_fields),
                          actor=current_user().name, form=True, now=now)
    except NotFound:
        raise
    except ServiceError as error:
        return _patient_page(patient_id, now, status=error.status, dose_errors={error.field or "therapy": error.message})
    flash("New step-up dose recorded: a new monitoring episode started; the first check-in goes out now.", "ok")
    wake_delivery()
    return redirect(url_for(".patient", patient_id=patient_id))


@bp.post("/patients/<row_id:patient_id>/caregivers")
def add_caregiver(patient_id: int):
    form, now = request.form, utcnow()
    try:
        added = caregivers.add(clinic(), patient_id, bodies.form_body(form, caregivers.FIELDS),
                               actor=current_user().name, now=now, form=True)
    except NotFound:
        raise
    except ServiceError as error:
        return _patient_page(patient_id, now, status=error.status, caregiver_values=form,
                             caregiver_errors={error.field or "name": error.message})
    flash(f"Added {added['name']} as a caregiver: they were texted who we are and what to watch for.", "ok")
    wake_delivery()
    return redirect(url_for(".patient", patient_id=patient_id) + "#caregivers")


@bp.post("/patients/<row_id:patient_id>/caregivers/<row_id:caregiver_id>/remove")
def remove_caregiver(patient_id: int, caregiver_id: int):
    try:
        caregivers.remove(clinic(), patient_id, caregiver_id, actor=current_user().name, now=utcnow())
        flash("Caregiver removed: they get no more texts.", "ok")
    except NotFound:
        flash("That caregiver was already removed.", "error")
    return redirect(url_for(".patient", patient_id=patient_id) + "#caregivers")


ENROLL_DEFAULTS = {"language": "en"}


def _enroll_page(values, errors: dict, status: int = 200, enrolled_on_phone: dict | None = None):
    return render_template("enroll.html", title="Enroll a patient", values=values, errors=errors,
                           therapies=THERAPIES, defaults=clinic().checkins,
                           enrolled_on_phone=enrolled_on_phone), status


@bp.route("/patients/new", methods=["GET", "POST"])
def enroll():
    if request.method == "GET":
        return _enroll_page({**ENROLL_DEFAULTS, "dose_given_at": forms.local_input_value(utcnow(), clinic().tz)}, {})
    body = bodies.form_body(request.form, bodies.EnrollRequest.model_fields, rows={"caregivers": caregivers.FIELDS})
    now = utcnow()
    problems = patients.enrollment_errors(clinic(), body, form=True, now=now)
    try:
        if not problems:
            enrolled = patients.enroll(clinic(), body, actor=current_user().name, form=True, now=now)
    except ServiceError as error:  # a race the checks above could not see
        problems = {error.field or "name": error}
    if problems:
        errors = {field: problem.message for field, problem in problems.items()}
        return _enroll_error_page(body, errors, problems)
    wake_delivery()
    session["enrolled_token"] = {"patient_id": enrolled["id"], "token": enrolled["patient_token"]}
    flash(f"Enrolled {body['name']}: monitoring started, the first check-in text goes out now.", "ok")
    return redirect(url_for(".patient", patient_id=enrolled["id"]), code=303)  # a reload does not enroll again


def _enroll_error_page(body: dict, errors: dict, problems: dict):
    """The form again with every error; a phone already monitored links to that patient."""
    conflict = problems.get("phone")
    enrolled_on_phone = None
    if isinstance(conflict, Conflict):
        episode = patients.active_episode_for_phone(clinic(), bodies.e164(body["phone"]))
        if episode is not None:
            enrolled_on_phone = timeline.patient_summary(clinic(), episode.patient_id)
    status = 409 if all(isinstance(problems.get(field), Conflict) for field in errors) else 400
    return _enroll_page(request.form, errors, status, enrolled_on_phone)


@bp.route("/grade", methods=["GET", "POST"])
def grade():
    """The ASTCT grading form; opened from a patient's page (?patient_id=) it records the grade on their timeline."""
    form = request.form if request.method == "POST" else request.args
    patient = None
    patient_id = form.get("patient_id") or None
    if patient_id is not None:
        if not (patient_id.isascii() and patient_id.isdigit() and len(patient_id) < 19):
            raise NotFound("no such patient", "patient_id")
        patient = timeline.patient_summary(clinic(), int(patient_id))
    values, result, errors, status = {"vasopressors": "0", "oxygen": "none", "temperature_unit": "C"}, None, {}, 200
    if request.method == "POST":
        values = form
        try:
            body = _grade_form_body(form)
            result = grade_body(body)
        except ValidationError as error:
            errors, status = {error.field or "temperature_c": error.message}, 400
        if result is not None and patient is not None:
            grading.record_grade(clinic(), patient["id"], {**body, "temperature_entered": form.get("temperature_c"),
                                                          "temperature_unit": form.get("temperature_unit") or "C"},
                                 result, actor=current_user().name)
            flash(f"Grade {result['grade']} recorded on {patient['name']}'s timeline.", "ok")
            return redirect(url_for(".patient", patient_id=patient["id"]), code=303)
    return render_template("grade.html", title="ASTCT CRS grading", values=values, result=result, errors=errors,
                           oxygen=[(code, OXYGEN_LABELS[code]) for code in OXYGEN], patient=patient), status


def _grade_form_body(form) -> dict:
    """The form as the grading body: the temperature in C whichever unit was chosen; ValidationError naming
    the field when a number is not one, a Celsius reading looks like Fahrenheit, or nothing was entered."""
    vasopressors = forms.whole_number(form, "vasopressors", "Vasopressors")
    temperature = forms.number(form, "temperature_c", "Temperature")
    unit = form.get("temperature_unit") or "C"
    if unit not in ("C", "F"):
        raise ValidationError("Choose °C or °F for the temperature", "temperature_unit")
    if temperature is not None:
        if unit == "C" and 93 <= temperature <= 110:
            raise ValidationError(f"{temperature:g} °C cannot be a body temperature: did you mean {temperature:g} °F? "
                                  "Choose °F as the unit", "temperature_c")
        if unit == "F":
            if not 77 <= temperature <= 113:
                raise ValidationError(f"{temperature:g} °F is outside 77-113 °F; check the number and the unit",
                                      "temperature_c")
            temperature = to_celsius(temperature, "F")
    body = forms.drop_none({
        "temperature_c": temperature, "fever_masked": forms.checkbox(form, "fever_masked"),
        "hypotension": forms.checkbox(form, "hypotension"), "vasopressors": 0 if vasopressors is None else vasopressors,
        "vasopressin": forms.checkbox(form, "vasopressin"), "oxygen": forms.text(form, "oxygen") or "none",
        "oxygen_lpm": forms.number(form, "oxygen_lpm", "Oxygen flow"),
    })
    found = (body.get("fever_masked") or body.get("hypotension") or body.get("vasopressors") or body.get("vasopressin")
             or body.get("oxygen") != "none")
    if temperature is None and not found:
        raise ValidationError("Enter the temperature (fever is 38.0 °C or 100.4 °F or more), and what else you found: "
                              "hypotension, vasopressors or oxygen. With nothing entered there is nothing to grade.",
                              "temperature_c")
    return body
