"""The phone simulator at /simulator: text as a patient (or an on-call nurse) while the outbox backend is on.

A reply goes the road a Twilio webhook takes (monitoring.inbound.receive_sms with a unique sid), so what
the simulator shows is what a real phone would get. With the twilio backend the page does not exist.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from messages.gateways import OutboxGateway
from monitoring import timeline
from monitoring.inbound import receive_sms
from scheduler.jobs import deliver_only
from web.context import clinic, wake_delivery
from web.dashboard.security import protect

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="../templates")
BODY_LIMIT = 1600  # Twilio's own limit for one inbound text


@bp.before_request
def _outbox_only():
    if current_app.config["CRS"]["sms"]["backend"] != "outbox":
        abort(404)


protect(bp)


def _deliver() -> None:
    """Let the scheduler deliver now; with no scheduler running (tests, `tick` setups) deliver here."""
    if current_app.extensions.get("crswatch.runner") is not None:
        wake_delivery()
    else:
        deliver_only(current_app.config["CRS"], OutboxGateway(echo=False))


@bp.get("")
def phone():
    phones = timeline.phones_for_simulator(clinic())
    known = {entry["phone"] for entry in phones}
    chosen = request.args.get("phone")
    if chosen not in known:
        chosen = phones[0]["phone"] if phones else None
    texts = timeline.conversation(clinic(), chosen) if chosen else []
    language = next((entry.get("language", "en") for entry in phones if entry["phone"] == chosen), "en")
    return render_template("simulator.html", title="Phone simulator", phones=phones, chosen=chosen, texts=texts,
                           language=language,
                           clinic_number=current_app.config["CRS"]["sms"]["from_number"], refresh=15)


@bp.post("/send")
def send():
    sender = request.form.get("phone") or ""
    body = (request.form.get("body") or "")[:BODY_LIMIT]
    known = {entry["phone"] for entry in timeline.phones_for_simulator(clinic())}
    if sender not in known:
        abort(404)
    if body.strip():
        received = receive_sms(clinic(), sender=sender, to=current_app.config["CRS"]["sms"]["from_number"],
                               body=body, sid="SIM" + secrets.token_hex(16))
        if not received.duplicate:
            _deliver()
    return redirect(url_for(".phone", phone=sender) + "#phone-screen")
