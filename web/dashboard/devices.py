"""Admin page for device hubs: add one (bound to a patient, or to the clinic with patients named by MRN),
show its token once, revoke it. The tokens post readings to /fhir/r4 (docs/fhir.md)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from monitoring import devices
from monitoring.clinic import ServiceError
from monitoring.store import from_text, utcnow
from web.context import clinic
from web.dashboard.security import admin_required, current_user, protect

bp = Blueprint("devices", __name__, url_prefix="/dashboard/devices", template_folder="../templates")
protect(bp)


def _patients() -> list:
    return clinic().db.execute(
        "SELECT DISTINCT p.id, p.name, p.mrn FROM patients p JOIN episodes e ON e.patient_id = p.id "
        "WHERE e.status = 'active' ORDER BY p.name").fetchall()


def _page(errors: dict | None = None, added: dict | None = None, values=None, status: int = 200):
    shown = [{**device, "last_seen": from_text(device["last_seen_at"])} for device in devices.list_devices(clinic())]
    return render_template("devices.html", title="Devices", devices=shown,
                           patients=_patients(), errors=errors or {}, added=added, values=values or {}), status


@bp.get("")
@admin_required
def page():
    return _page()


@bp.post("")
@admin_required
def add():
    form = request.form
    patient = (form.get("patient_id") or "").strip()
    if patient and not (patient.isascii() and patient.isdigit() and len(patient) < 19):
        return _page({"patient_id": "Choose a patient from the list, or the clinic."}, values=form, status=400)
    try:
        added = devices.add_device(clinic(), form.get("name") or "", int(patient) if patient else None,
                                   actor=current_user().name, now=utcnow())
    except ServiceError as error:
        return _page({error.field or "name": error.message}, values=form, status=error.status)
    return _page(added=added, status=201)


@bp.post("/<row_id:device_id>/revoke")
@admin_required
def revoke(device_id: int):
    try:
        devices.revoke_device(clinic(), device_id, actor=current_user().name, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"Device {device_id} revoked: its token no longer works.", "ok")
    return redirect(url_for(".page"))
