"""A phone call when a text is not enough (issue 12, CONTRACT 8): an URGENT alert not acknowledged
within `[escalation] call_after_minutes` calls the nurse it was paged to. Press 1 acknowledges, 2 passes
it to the next person on call at once; anything else or silence repeats once. A machine or no answer
counts as not acknowledged: the alert keeps escalating by text as before.

Timing lives in the database (`alerts.call_due_at`, claimed with a conditional UPDATE in a scheduler
pass, like `alerts.page_due`). Each call is a `messages` row of kind `call`, delivered by the outbox with
the same claim, failure scopes and retries as a page (monitoring.outbox), and carries its `outcome`:
acknowledged, passed, no_answer, machine, or null while nobody has decided.

Every entry point takes `now` (aware UTC) from its caller: the scheduler pass or the Twilio webhook.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from messages.page import spoken_page
from messages.texts import level_label
from monitoring import alerts, pagefacts
from monitoring import config as config_module
from monitoring.clinic import Clinic
from monitoring.outbox import queue_text
from monitoring.rows import Alert, Message
from monitoring.staff import staff_by_phone
from monitoring.store import loads, to_text, transaction

log = logging.getLogger("crswatch.voice")

OUTCOMES = ("acknowledged", "passed", "no_answer", "machine")
# Twilio's AnsweredBy with MachineDetection=Enable (https://www.twilio.com/docs/voice/answering-machine-detection):
# anything but a person. `unknown` is taken as a person: the call then asks for a key, and silence leaves the
# alert unacknowledged anyway.
MACHINE_ANSWERS = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")
# Twilio's final CallStatus values for a call nobody answered (https://www.twilio.com/docs/voice/api/call-resource).
NOT_ANSWERED = ("busy", "no-answer", "failed", "canceled")


def calls_due(clinic: Clinic, now: datetime) -> int:
    """Queue a call for every open urgent alert whose call is due at `now` (a scheduler pass); return how
    many were queued.

    Each alert is claimed with a conditional UPDATE, so two scheduler processes never call twice. The
    call goes to a phone the alert's last page round reached and on call now (_callee). Calls turned off
    since (`call_after_minutes` 0) clear the due time.
    """
    # a due time further ahead than any setting allows can only come from a clock that stepped back
    latest = now + timedelta(minutes=(config_module.describe("escalation.call_after_minutes").high or 0) + 1)
    due = [Alert.from_row(row) for row in clinic.db.execute(
        # the partial index of alerts with a call set, not every open alert (issue 19)
        "SELECT * FROM alerts INDEXED BY alerts_call_due WHERE status = 'open' AND call_due_at IS NOT NULL "
        "AND (call_due_at <= ? OR call_due_at > ?) ORDER BY id", [to_text(now), to_text(latest)]).fetchall()]
    called = 0
    for alert in due:
        with transaction(clinic.db):
            claimed = clinic.db.execute(
                "UPDATE alerts SET call_due_at = NULL WHERE id = ? AND status = 'open' AND call_due_at = ?",
                [alert.id, alert.call_due_at]).rowcount
            if not claimed or alerts.call_after(clinic) is None:
                continue
            callee = _callee(clinic, alert.id, now)
            if callee is None:
                continue
            queue_call(clinic, alert.id, callee, now)
            called += 1
    return called


def _callee(clinic: Clinic, alert_id: int, now: datetime) -> str | None:
    """Whom the call for `alert_id` goes to. Calls follow the chain in force at `now` (docs/operations.md, "Who
    is on call"): of the phones its last page round reached (the pages of one round share their time), those on
    that chain, the one never called about it first, else the one not called for longest, the one paged last on
    a tie. So a round that pages two people calls the one just added to it, and once every round pages the
    whole chain the calls take turns instead of ringing its last person every time. When none of them is on
    call now (the shift changed, the nurse was taken off the rota or revoked), the first person on call now
    whose page for it has not failed; else a phone of that round that may still acknowledge (a fallback staff
    phone paged because the chain's failed: monitoring.staff.staff_by_phone). None when no page reached a phone."""
    latest: dict[str, tuple[str, str]] = {}  # each phone paged: (its latest page's status, that round's time)
    for phone, status, created_at in clinic.db.execute(
            "SELECT to_number, status, created_at FROM messages WHERE alert_id = ? AND kind = 'alert' "
            "AND direction = 'out' ORDER BY id DESC", [alert_id]):
        latest.setdefault(str(phone), (status, created_at))
    reached = {phone: created_at for phone, (status, created_at) in latest.items()
               if status not in ("failed", "undelivered")}
    if not reached:
        return None
    last_round = max(reached.values())
    paged_last = [phone for phone, created_at in reached.items() if created_at == last_round]  # newest first
    on_call = [str(person["phone"]) for person in clinic.oncall_at(now)]
    candidates = [phone for phone in paged_last if phone in on_call]
    if not candidates:
        candidates = [phone for phone in on_call if phone not in latest or phone in reached][:1]
    if not candidates:
        candidates = [phone for phone in paged_last if staff_by_phone(clinic, phone) is not None]
    if not candidates:
        return None
    called = dict(clinic.db.execute(  # each phone's latest call about this alert (ids grow with time)
        "SELECT to_number, MAX(id) FROM messages WHERE alert_id = ? AND kind = 'call' AND direction = 'out' "
        "AND status != 'canceled' GROUP BY to_number", [alert_id]).fetchall())
    return min(candidates, key=lambda phone: called.get(phone, 0))  # min keeps the newest page on a tie


def queue_call(clinic: Clinic, alert_id: int, phone: str, now: datetime) -> int:
    """A call row to `phone` (E.164) in the outbox (inside the caller's transaction); its body is what the
    call says (spoken). Returns its message id."""
    message_id = queue_text(clinic, phone, spoken(clinic, alert_id), "call", alert_id=alert_id, now=now)
    alerts.record_event(clinic, alert_id, "called", now, phone_end=phone[-4:], message_id=message_id)
    return message_id


def spoken(clinic: Clinic, alert_id: int) -> str:
    """What the call says about `alert_id`: its level, the patient's initials and the page's facts
    (messages.page.spoken_page). Raises LookupError for an unknown alert."""
    row = clinic.db.execute(
        "SELECT a.*, p.name AS patient_name FROM alerts a JOIN patients p ON p.id = a.patient_id WHERE a.id = ?",
        [alert_id]).fetchone()
    if row is None:
        raise LookupError(f"no alert {alert_id}")
    alert = Alert.from_row(row)
    facts, _ = pagefacts.facts(clinic, alert, loads(alert.reasons, []))
    return spoken_page(level=level_label(alert.level, "en"), initials=alerts.initials(row["patient_name"]),
                       alert_id=alert_id, facts=facts)


def call_urls(clinic: Clinic, row: Message) -> tuple[str, str | None]:
    """The TwiML URL Twilio fetches for a call row (web.voice /voice/alert/<id>), and its status callback
    (None without `[sms] public_base_url`: Twilio could not reach it)."""
    base = clinic.config["sms"]["public_base_url"] or clinic.dashboard_url()
    base = base.rstrip("/")
    callback = f"{base}/voice/status/{row.alert_id}" if clinic.config["sms"]["public_base_url"] else None
    return f"{base}/voice/alert/{row.alert_id}", callback


# --- what the nurse's phone answers ----------------------------------------------------------------------

def _call_row(clinic: Clinic, alert_id: int, call_sid: str, to: str | None) -> Message | None:
    row = clinic.db.execute("SELECT * FROM messages WHERE kind = 'call' AND alert_id = ? AND sid = ?",
                            [alert_id, call_sid]).fetchone()
    if row is None and to:  # the webhook overtook the commit of the call's sid
        row = clinic.db.execute("SELECT * FROM messages WHERE kind = 'call' AND alert_id = ? AND to_number = ? "
                                "ORDER BY id DESC LIMIT 1", [alert_id, to]).fetchone()
    return Message.maybe(row)


def _settle(clinic: Clinic, call: Message, outcome: str, now: datetime) -> bool:
    """Record the call's outcome once (inside a transaction): False when it already has one."""
    return bool(clinic.db.execute("UPDATE messages SET outcome = ?, updated_at = ? WHERE id = ? AND outcome IS NULL",
                                  [outcome, to_text(now), call.id]).rowcount == 1)


def _alert_status(clinic: Clinic, alert_id: int) -> str | None:
    alert = alerts.get_alert(clinic, alert_id)
    return None if alert is None else alert.status


def answered(clinic: Clinic, alert_id: int, call_sid: str, to: str | None, answered_by: str | None,
             now: datetime) -> str:
    """Twilio asks for the call's TwiML (CallSid, To, AnsweredBy; https://www.twilio.com/docs/voice/answering-machine-detection):
    'machine' (hang up; not acknowledged), 'closed' (the alert was acknowledged or resolved meanwhile),
    'unknown' (no call of ours has this sid and number: the nurse must not be told the alert is handled),
    'not_staff' (the phone called was revoked since: it hears nothing of the alert), else 'ask' (say it, ask
    for a key)."""
    with transaction(clinic.db):
        call = _call_row(clinic, alert_id, call_sid, to)
        if call is None:
            return "unknown"
        if staff_by_phone(clinic, call.to_number) is None:
            return "not_staff"
        if answered_by in MACHINE_ANSWERS:
            if _settle(clinic, call, "machine", now):
                _note(clinic, alert_id, "call_machine", call, now)
            return "machine"
        return "ask" if _alert_status(clinic, alert_id) == "open" else "closed"


def pressed(clinic: Clinic, alert_id: int, call_sid: str, to: str | None, digit: str, now: datetime) -> str:
    """The nurse pressed `digit` (Twilio <Gather> Digits): 'acknowledged' (1), 'passed' (2: the next person
    on call is paged now), 'closed' (the alert is no longer open), 'unknown' (anything else), 'not_ours'
    (no call of ours has this sid and number: nothing is acknowledged), 'not_staff' (the phone called was
    revoked since the call was placed: a key from it changes nothing, as a text ACK from it would not),
    'alone' (2, but nobody else is on call or has a staff phone: nothing changes, the alert stays the nurse's).
    Idempotent: Twilio may post twice, and a second post of the same call changes nothing."""
    with transaction(clinic.db):
        call = _call_row(clinic, alert_id, call_sid, to)
        if call is None:
            return "not_ours"
        if call.outcome in ("acknowledged", "passed"):
            return call.outcome
        if digit not in ("1", "2"):
            return "unknown"
        if _alert_status(clinic, alert_id) != "open":
            return "closed"
        person = staff_by_phone(clinic, call.to_number)
        if person is None:
            return "not_staff"
        actor = person["name"]
        if digit == "1":
            _settle(clinic, call, "acknowledged", now)
            alerts.mark_acknowledged(clinic, alert_id, f"{actor} (call)", now)
            return "acknowledged"
        if not alerts.someone_else_to_page(clinic, call.to_number, now):
            return "alone"
        _settle(clinic, call, "passed", now)
        alerts.page_next_now(clinic, alert_id, now, failed_phone=call.to_number, passed_by=actor)
        return "passed"


def ended(clinic: Clinic, alert_id: int, call_sid: str, to: str | None, status: str,
          answered_by: str | None, now: datetime) -> None:
    """Twilio's status callback at the end of a call (CallStatus, AnsweredBy;
    https://www.twilio.com/docs/voice/api/call-resource): not answered (busy, no-answer, failed, canceled) or
    a machine is recorded; the alert stays open and keeps escalating."""
    with transaction(clinic.db):
        call = _call_row(clinic, alert_id, call_sid, to)
        if call is None:
            return
        outcome = "machine" if answered_by in MACHINE_ANSWERS else ("no_answer" if status in NOT_ANSWERED else None)
        if outcome and _settle(clinic, call, outcome, now):
            _note(clinic, alert_id, f"call_{outcome}", call, now)


def _note(clinic: Clinic, alert_id: int, kind: str, call: Message, now: datetime) -> None:
    alerts.record_event(clinic, alert_id, kind, now, phone_end=call.to_number[-4:], message_id=call.id)
    log.warning("alert %s: call to ...%s not acknowledged (%s); paging goes on", alert_id, call.to_number[-4:],
                kind)

