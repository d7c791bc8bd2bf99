"""The rest of the clinic's day on the dashboard: pause, resume and end monitoring; alert history; past
patients and search; the response-time report and its CSV.

Views stay thin: parse the form or query, call one monitoring function, render a template. The API
(web.api) calls the same functions.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from messages.texts import level_label
from monitoring import episodes, history, reports, summary
from monitoring.clinic import NotFound, ServiceError
from monitoring.store import utcnow
from web.context import clinic, wake_delivery
from web.dashboard import forms
from web.dashboard.chart import report_svg
from web.dashboard.security import current_user, protect

bp = Blueprint("workday", __name__, url_prefix="/dashboard", template_folder="../templates")
protect(bp)


def _back(patient_id: int) -> Response:
    """To the patient's page, whose confirmation (the flash) takes focus; no #fragment, which would take it back."""
    return redirect(url_for("dashboard.patient", patient_id=patient_id), code=303)


@bp.post("/patients/<row_id:patient_id>/pause")
def pause(patient_id: int):
    form = request.form
    try:
        body = forms.drop_none({"reason": forms.text(form, "reason"),
                                "until": forms.local_time(form, "until", clinic().tz, "Resume at")})
        paused = episodes.pause(clinic(), patient_id, body, actor=current_user().name, now=utcnow())
    except NotFound:
        raise
    except ServiceError as error:
        flash(_worded(error.message), "error")
        return _back(patient_id)
    until = f" until {forms.local_input_value(_when(paused['until']), clinic().tz).replace('T', ' ')}" \
        if paused["until"] else " until you resume it"
    flash(f"Monitoring paused ({episodes.PAUSE_LABELS[body['reason']]}){until}: no check-ins and no missed-check-in "
          "alerts meanwhile. A red flag the patient texts still pages.", "ok")
    wake_delivery()
    return _back(patient_id)


@bp.post("/patients/<row_id:patient_id>/resume")
def resume(patient_id: int):
    try:
        episodes.resume(clinic(), patient_id, actor=current_user().name, now=utcnow())
    except NotFound:
        raise
    except ServiceError as error:
        flash(_worded(error.message), "error")
        return _back(patient_id)
    flash("Monitoring resumed: the next check-in text goes out now.", "ok")
    wake_delivery()
    return _back(patient_id)


@bp.post("/patients/<row_id:patient_id>/end")
def end(patient_id: int):
    try:
        episodes.end(clinic(), patient_id, {"reason": forms.text(request.form, "end_reason")},
                     actor=current_user().name, now=utcnow())
    except NotFound:
        raise
    except ServiceError as error:
        flash(_worded(error.message), "error")
        return _back(patient_id)
    flash("Monitoring ended: the patient was told the texts have stopped.", "ok")
    wake_delivery()
    return _back(patient_id)


def _worded(message: str) -> str:
    """The service's message in the form's words."""
    for field, label in (("until", "Resume at"), ("reason", "Reason")):
        if message.startswith(field + " "):
            message = label + message[len(field):]
    return message[:1].upper() + message[1:]


def _when(iso_text: str):
    from datetime import datetime

    return datetime.fromisoformat(iso_text)


@bp.get("/history")
def alert_history():
    """Every alert, filtered by status, level, patient and clinic dates."""
    query, errors = history.parse_filters(request.args, clinic().tz, utcnow())
    rows = [] if errors else history.alert_history(clinic(), **query)
    return render_template("history.html", title="Alert history", rows=rows, errors=errors, values=request.args,
                           patients=history.patient_choices(clinic()), statuses=history.STATUSES,
                           levels=history.LEVEL_CHOICES), 400 if errors else 200


@bp.get("/patients")
def patient_list():
    """Patients: search by name, phone or MRN; current or past (ended episodes)."""
    which = request.args.get("show", "current")
    if which not in ("current", "past", "all"):
        which = "current"
    search = (request.args.get("q") or "").strip()[:100]
    return render_template("patients.html", title="Patients", rows=history.find_patients(clinic(), search, which),
                           search=search, show=which)


@bp.get("/reports/alerts")
def report():
    now = utcnow()
    query, errors = reports.parse_period(request.args, clinic().tz, now)
    figures = rows = None
    chart = ""
    if not errors:
        figures = reports.alert_report(clinic(), **query, now=now)
        rows = reports.report_rows(figures, clinic().tz)
        chart = report_svg(figures["by_level"], title="Alerts by level",
                           labels={code: level_label(code, "en") for code in figures["by_level"]})
    return render_template("report.html", title="Alert response times", figures=figures, rows=rows, chart=chart,
                           errors=errors, values=request.args, period=query), 400 if errors else 200


@bp.get("/reports/alerts.csv")
def report_csv():
    now = utcnow()
    query, errors = reports.parse_period(request.args, clinic().tz, now)
    if errors:
        return Response("; ".join(errors.values()) + "\n", status=400, mimetype="text/plain")
    rows = reports.report_rows(reports.alert_report(clinic(), **query, now=now), clinic().tz)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["measure", "value"])
    writer.writerows(rows)
    name = f"crswatch-alerts-{query['since'].date()}-to-{query['until'].date()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/patients/<row_id:patient_id>/summary")
def summary_page(patient_id: int):
    """The episode summary for the chart: print it or save it as PDF from the browser."""
    episode = request.args.get("episode") or None
    if episode is not None and not (episode.isascii() and episode.isdigit() and len(episode) < 19):
        raise NotFound("no such episode", "episode")
    now = utcnow()
    found = summary.episode_summary(clinic(), patient_id, int(episode) if episode else None, now)
    return render_template("summary.html", title=f"Episode summary: {found['patient']['name']}", s=found,
                           printed_at=now)
