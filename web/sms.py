"""Twilio webhooks: signed inbound texts and delivery status callbacks (CONTRACT section 3)."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from monitoring import alerts
from monitoring.inbound import receive_sms
from monitoring.store import utcnow
from web.context import clinic, wake_delivery
from web.twilio_signature import valid_signature as _valid_signature

log = logging.getLogger("crswatch.sms")
bp = Blueprint("sms", __name__, url_prefix="/sms")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


WEBHOOK_PATHS = ("/sms/", "/voice/")


class WebhookSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except for Twilio's webhooks (/sms/, /voice/): they carry no cookie and
    keep no session, so they get Flask's null session (reads are empty, a write raises) instead of a signer
    built and a cookie looked for on each text (issue 19)."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(WEBHOOK_PATHS):
            return self.null_session_class()
        return super().open_session(app, request)


def unlimited() -> bool:
    """True for Twilio's signed webhooks (/sms/, /voice/): no rate limit applies to them (Twilio sends every
    patient's text from a few addresses, so a limit by address would drop texts). app.py hands it to
    web.security.exempt: Flask-Limiter's request filter, and its per-request hooks are not run for these paths
    at all (issue 19: they built the limiter's context and resolved an empty set of limits for each text)."""
    return request.path.startswith(WEBHOOK_PATHS)


def _twiml(status: int = 200) -> Response:
    return Response(EMPTY_TWIML, status=status, mimetype="text/xml")


@bp.post("/inbound")
def inbound():
    if not _valid_signature():
        log.warning("inbound text refused: bad or missing X-Twilio-Signature")
        return Response("invalid signature", status=403, mimetype="text/plain")
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    sender = form.get("From", "")
    if not sid or not sender:
        return Response("MessageSid and From are required", status=400, mimetype="text/plain")
    # handed over to a scheduler in another process (the gunicorn deployment: issue 19), acted on here beside our own
    media = form.get("NumMedia", "0")  # pictures of an MMS: counted, never fetched
    received = receive_sms(clinic(), sender=sender, to=form.get("To", ""), body=form.get("Body", ""), sid=sid,
                           hand_over="crswatch.runner" not in current_app.extensions,
                           media=int(media) if media.isascii() and media.isdigit() else 0)
    if not received.duplicate:
        wake_delivery()
    return _twiml()  # replies go through the outbox, never inline, so every text is in the log


@bp.post("/status")
def status():
    if not _valid_signature():
        return Response("invalid signature", status=403, mimetype="text/plain")
    sid = request.form.get("MessageSid", "")
    state = request.form.get("MessageStatus", "")
    if sid and state:
        known = alerts.record_delivery_status(clinic(), sid, state, request.form.get("ErrorCode"), now=utcnow())
        if not known:
            log.info("status callback for an unknown message")
        elif state in ("failed", "undelivered"):
            wake_delivery()  # a failed page may have paged the next person on call: sent now, not at the next poll
    return _twiml()
