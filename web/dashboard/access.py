"""The access audit page at /dashboard/access (admins): who looked at which patient's data, when, from where."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request

from monitoring import access, staff
from web.context import clinic, record_access
from web.dashboard.security import admin_required, protect

bp = Blueprint("access", __name__, url_prefix="/dashboard", template_folder="../templates")
protect(bp)

ACTIONS = {  # what each access-log action showed, in the admin's words
    "dashboard.patients": "Dashboard list", "dashboard.patient": "Patient page", "dashboard.alert": "Alert page",
    "api.patients": "API: patient list", "api.patient": "API: patient and readings",
    "api.medications": "API: medications", "api.alerts": "API: alerts", "api.messages": "API: texts",
    "access.search": "Access log search",
}


def _id_arg(name: str) -> int | None:
    value = (request.args.get(name) or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _day_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None


@bp.get("/access")
@admin_required
def access_page():
    patient_id, staff_id = _id_arg("patient_id"), _id_arg("staff_id")
    since_day, until_day = _day_arg("since"), _day_arg("until")
    tz = clinic().tz
    since = datetime.combine(since_day, time(0), tz) if since_day else None
    until = datetime.combine(until_day + timedelta(days=1), time(0), tz) if until_day else None
    rows = access.search(clinic(), patient_id=patient_id, staff_id=staff_id, since=since, until=until,
                         before_id=_id_arg("before"))
    if patient_id is not None or staff_id is not None:  # searching the log is itself an access
        record_access("access.search", patient_id, searched_staff_id=staff_id)
    people = staff.list_staff(clinic())
    patients = sorted(_patients(), key=lambda p: p["name"].casefold())
    older = {**request.args.to_dict(), "before": rows[-1]["id"]} if len(rows) == access.PAGE_SIZE else None
    return render_template("access.html", title="Access log", rows=rows, actions=ACTIONS, people=people,
                           patients=patients, patient_id=patient_id, staff_id=staff_id,
                           since=since_day.isoformat() if since_day else "",
                           until=until_day.isoformat() if until_day else "", older=older)


def _patients() -> list[dict]:
    """Patients to pick from: everyone ever enrolled (an audit looks back past the episode)."""
    return [dict(row) for row in clinic().db.execute("SELECT id, name FROM patients").fetchall()]
