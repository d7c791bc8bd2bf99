"""Twilio Voice webhooks for calls to nurses (issue 12, CONTRACT 8), signed and checked exactly like the SMS
webhooks (web.sms): a bad or missing signature is 403 and changes nothing.

- POST /voice/alert/<alert_id>: the call's TwiML. Twilio asks once it knows who answered (synchronous
  answering-machine detection sends `AnsweredBy`): a machine is hung up on; a person hears the alert and
  is asked for one key. Silence asks once more, then the call ends unacknowledged.
- POST /voice/gather/<alert_id>: the key. 1 acknowledges, 2 passes the alert to the next person on call at
  once (with nobody else on call, the nurse is told so and asked for 1), anything else repeats once.
- POST /voice/status/<alert_id>: how the call ended (busy, no-answer, failed: not answered).

TwiML through the official SDK (`twilio.twiml.voice_response.VoiceResponse`,
https://www.twilio.com/docs/voice/twiml/gather). Idempotent: a second post of the same call changes nothing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from monitoring import voice
from monitoring.store import utcnow
from web.context import clinic, wake_delivery
from web.twilio_signature import valid_signature

log = logging.getLogger("crswatch.voice")
bp = Blueprint("voice", __name__, url_prefix="/voice")

ASK = "Press 1 to acknowledge. Press 2 to pass it to the next nurse on call."
GATHER_SECONDS = 8  # silence this long after the question counts as no key
# A call crswatch has no record of (a stale or forged callback that still carries a valid signature, or a
# record lost to a restore): the nurse must not hear "already acknowledged" when nothing was.
NOT_OURS = ("This call could not be matched to an alert. Nothing was acknowledged. "
            "Check your texts or the dashboard. Goodbye.")
ALONE = "No one else is on call to take this alert. It is still yours. Press 1 to acknowledge."
# The phone called no longer belongs to anyone who may acknowledge (revoked since the page or the call).
NOT_STAFF = "This phone is no longer on the clinic's staff list. Nothing was acknowledged. Goodbye."
VOICE = "Polly.Joanna"  # a clear Amazon Polly voice Twilio offers; <Say> falls back to its default if unavailable


def _refused() -> Response:
    return Response("invalid signature", status=403, mimetype="text/plain")


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _attempt() -> int:
    return 2 if request.args.get("attempt") == "2" else 1


def _ask(response: VoiceResponse, alert_id: int, attempt: int, prefix: str = "",
         question: str | None = None) -> VoiceResponse:
    """Say the alert and ask for a key (or say `question` instead: the nurse has heard the alert); on silence ask
    once more, then end unacknowledged."""
    gather = response.gather(num_digits=1, timeout=GATHER_SECONDS, method="POST",
                             action=url_for(".gather", alert_id=alert_id, attempt=attempt))
    gather.say(question or f"{prefix}{voice.spoken(clinic(), alert_id)} {ASK}", voice=VOICE)
    if attempt == 1:
        response.redirect(url_for(".alert", alert_id=alert_id, attempt=2), method="POST")
    else:
        response.say("No key pressed. The alert is not acknowledged and paging goes on. Goodbye.", voice=VOICE)
        response.hangup()
    return response


def _call_id() -> tuple[str, str | None]:
    return request.form.get("CallSid", ""), request.form.get("To")


@bp.post("/alert/<int:alert_id>")
def alert(alert_id: int) -> Response:
    """The call's TwiML once Twilio knows who answered (AnsweredBy): hang up on a machine, else say the alert
    and ask for a key (https://www.twilio.com/docs/voice/twiml/gather). 403 on a bad signature."""
    if not valid_signature():
        log.warning("voice webhook refused: bad or missing X-Twilio-Signature")
        return _refused()
    sid, to = _call_id()
    response = VoiceResponse()
    attempt = _attempt()
    # the second time round (silence after the first question) a person is on the line already; the alert is
    # read again only while it is still open (another nurse may have taken it meanwhile)
    answered_by = request.form.get("AnsweredBy") if attempt == 1 else None
    state = voice.answered(clinic(), alert_id, sid, to, answered_by, utcnow())
    if state == "ask":
        return _twiml(_ask(response, alert_id, attempt, prefix="Again. " if attempt == 2 else ""))
    if state == "closed":
        response.say("This alert is already acknowledged or resolved. Thank you. Goodbye.", voice=VOICE)
    elif state == "unknown":
        log.warning("voice webhook for alert %s: no call of ours has this CallSid and number", alert_id)
        response.say(NOT_OURS, voice=VOICE)
    elif state == "not_staff":
        response.say(NOT_STAFF, voice=VOICE)
    response.hangup()  # a machine: nothing is left on it (minimum PHI), the alert goes on escalating
    return _twiml(response)


@bp.post("/gather/<int:alert_id>")
def gather(alert_id: int) -> Response:
    """The key the nurse pressed (Digits): 1 acknowledges, 2 passes to the next person on call (or, with
    nobody else on call, says so and asks for 1), anything else asks once more. 403 on a bad signature."""
    if not valid_signature():
        return _refused()
    sid, to = _call_id()
    result = voice.pressed(clinic(), alert_id, sid, to, (request.form.get("Digits") or "")[:1], utcnow())
    response = VoiceResponse()
    if result == "acknowledged":
        response.say(f"Alert {alert_id} acknowledged. Paging stops. Thank you.", voice=VOICE)
    elif result == "passed":
        wake_delivery()
        response.say(f"Alert {alert_id} passed to the next nurse on call. Thank you.", voice=VOICE)
    elif result == "closed":
        response.say("This alert is already acknowledged or resolved. Thank you.", voice=VOICE)
    elif result == "not_ours":
        response.say(NOT_OURS, voice=VOICE)
    elif result == "not_staff":
        response.say(NOT_STAFF, voice=VOICE)
    elif result == "alone":  # nobody to pass it to: it stays hers, asked once more for 1
        return _twiml(_ask(response, alert_id, 2, question=ALONE))
    elif _attempt() == 1:
        return _twiml(_ask(response, alert_id, 2, prefix="Sorry, that key does nothing. "))
    else:
        response.say("The alert is not acknowledged and paging goes on. Goodbye.", voice=VOICE)
    response.hangup()
    return _twiml(response)


@bp.post("/status/<int:alert_id>")
def status(alert_id: int) -> Response:
    """How the call ended (CallStatus, AnsweredBy): recorded; the alert keeps escalating. 403 on a bad
    signature."""
    if not valid_signature():
        return _refused()
    sid, to = _call_id()
    voice.ended(clinic(), alert_id, sid, to, request.form.get("CallStatus", ""), request.form.get("AnsweredBy"),
                utcnow())
    return _twiml(VoiceResponse())
