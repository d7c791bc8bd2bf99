"""Twilio webhooks: signed inbound texts and delivery status callbacks (CONTRACT section 3)."""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator

from monitoring import alerts
from monitoring.inbound import receive_sms
from web.context import clinic, wake_delivery

log = logging.getLogger("crswatch.sms")
bp = Blueprint("sms", __name__, url_prefix="/sms")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed_url() -> str:
    """The URL Twilio signed: public_base_url + path (and query) behind a proxy, else the request URL."""
    base = current_app.config["CRS"]["sms"]["public_base_url"]
    if not base:
        return request.url
    query = request.query_string.decode()
    return base.rstrip("/") + request.path + (f"?{query}" if query else "")


def _valid_signature() -> bool:
    sms = current_app.config["CRS"]["sms"]
    token = sms["twilio"]["auth_token"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = _signed_url()
    # Twilio's connection overrides ride on the webhook URL as a fragment, which never reaches us;
    # whether Twilio signs the URL with or without it is not documented, so both are accepted (both
    # are signed with the auth token: nothing unsigned gets through).
    urls = [url] + ([f"{url}#{sms['webhook_overrides'].lstrip('#')}"] if sms["webhook_overrides"] else [])
    validator = RequestValidator(token)
    # Over exactly the parameters received: a key Twilio sends twice (AddOns) keeps both values, as
    # Twilio signed them (the SDK reads a MultiDict through getlist).
    form = request.form
    if "bodySHA256" not in url and hmac.compare_digest(validator.compute_signature(url, form).encode(), signature.encode()):
        # Twilio signs the webhook URL as configured, so this one HMAC answers nearly every real text; the
        # SDK's validate (both port forms of each candidate, two HMACs each) is for the rest (issue 19).
        return True
    return any(validator.validate(candidate, form, signature) for candidate in urls)


def unlimited() -> bool:
    """Flask-Limiter's request filter for Twilio's signed webhooks (/sms/, /voice/): no rate limit applies to
    them (Twilio sends every patient's text from a few addresses, so a limit by address would drop texts), and
    the filter says so before the limiter resolves an empty set of limits for each text (issue 19: about a
    twentieth of a text's CPU)."""
    return request.path.startswith(("/sms/", "/voice/"))


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
    received = receive_sms(clinic(), sender=sender, to=form.get("To", ""), body=form.get("Body", ""), sid=sid)
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
        known = alerts.record_delivery_status(clinic(), sid, state, request.form.get("ErrorCode"))
        if not known:
            log.info("status callback for an unknown message")
    return _twiml()
