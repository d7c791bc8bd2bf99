"""The phone simulator at /simulator: text as a patient (or an on-call nurse) while the outbox backend is on.

A reply goes the road a Twilio webhook takes (monitoring.inbound.receive_sms with a unique sid), so what
the simulator shows is what a real phone would get. A call to a nurse (issue 12) shows as a ringing call
with the keys 1 and 2 and "no answer", which take the road of Twilio's voice webhooks (monitoring.voice),
so the whole loop runs with no account. With the twilio backend the page does not exist.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from messages.gateways import OutboxGateway
from monitoring import timeline, voice
from monitoring.inbound import receive_sms
from monitoring.store import utcnow
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


CALL_ANSWERS = {"1": "1", "2": "2", "no_answer": None}


@bp.post("/call/<row_id:message_id>")
def answer_call(message_id: int):
    """The nurse answers a simulated call: key 1, key 2, or lets it ring out (Twilio's no-answer)."""
    choice = request.form.get("key") or ""
    row = clinic().db.execute("SELECT * FROM messages WHERE id = ? AND kind = 'call'", [message_id]).fetchone()
    if row is None or choice not in CALL_ANSWERS or not row["sid"]:
        abort(404)
    if choice == "no_answer":
        voice.ended(clinic(), row["alert_id"], row["sid"], row["to_number"], "no-answer", None, utcnow())
    else:
        voice.pressed(clinic(), row["alert_id"], row["sid"], row["to_number"], choice, utcnow())
        _deliver()
    return redirect(url_for(".phone", phone=row["to_number"]) + "#phone-screen")
