"""The transactional outbox: every text is a row written with the change that caused it, then delivered.

Delivery goes in order of what can be sent: pages first, then replies, then prompts, each by age; a
text that cannot be sent now (backing off) never holds up the next one, to the same phone or any
other. What happens on a failure depends on its scope (messages.gateways):
- account or network: nothing is wrong with the text or the phone. Every such text is tried again
  within seconds, for as long as it takes, and the operator is told at once (monitoring.operator);
  a pass stops after a few in a row, so a dead account is probed, not hammered;
- message or recipient, retryable (30008): exponential backoff with jitter for
  `[sms] retry_for_minutes`; a nurse's page that fails twice also pages the next person on call now;
- message or recipient, final (21211, 21610, 30003 ...): an `undeliverable` alert for a patient text,
  the next person on call at once for a page.
"""
from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from messages.gateways import RETRYABLE_CODES, GatewayError
from monitoring import operator
from monitoring.clinic import Clinic
from monitoring.store import from_text, insert, to_text, transaction, utcnow

log = logging.getLogger("crswatch.outbox")

KINDS = ("prompt", "reminder", "reply", "alert", "info", "call")  # call: a voice call to a nurse (monitoring.voice)
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 600
# An account or network failure: every text again this soon (+-20%), so a five-minute outage costs
# a page at most this long once Twilio answers again.
OUTAGE_RETRY_SECONDS = 15
# This many account or network failures in a row end a pass; the rest wait for the next one.
OUTAGE_FAILURES_PER_PASS = 3
# No retry is ever scheduled further ahead than this: a later next_attempt_at can only come from a
# wall clock that stepped back, and is taken as due now.
LATEST_RETRY = timedelta(seconds=BACKOFF_MAX_SECONDS * 1.2 + 60)
STALE_SENDING = timedelta(seconds=60)  # a send takes at most the 10 s HTTP timeout


def queue_text(clinic: Clinic, to: str, body: str, kind: str, *, patient_id: int | None = None,
               alert_id: int | None = None, staff_id: int | None = None) -> int:
    """Queue a text inside the caller's transaction; return its message id."""
    assert kind in KINDS, kind
    now = to_text(utcnow())
    return insert(clinic.db, "messages", {
        "direction": "out", "to_number": to, "from_number": clinic.from_number, "body": body, "kind": kind,
        "patient_id": patient_id, "alert_id": alert_id, "staff_id": staff_id, "status": "queued",
        "next_attempt_at": now, "created_at": now, "updated_at": now,
    })


def backoff_seconds(attempts: int) -> float:
    """30 s, 60 s, 120 s ... capped at 10 min, each +-20% so a burst of failures does not retry in step."""
    base = min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return base * random.uniform(0.8, 1.2)


class RateLimiter:
    """At most `per_second` sends, spaced evenly (Twilio long codes take about 1 message a second)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self.next_slot = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self.next_slot:
            time.sleep(self.next_slot - now)
        self.next_slot = max(now, self.next_slot) + self.interval


SLICE = 20  # rows read per look at the queue: a page queued during a burst waits at most this many sends
# Pages and calls to nurses, then replies and notices, then prompts and reminders; by age within each.
PRIORITY = "CASE kind WHEN 'alert' THEN 0 WHEN 'call' THEN 0 WHEN 'reply' THEN 1 WHEN 'info' THEN 1 ELSE 2 END"


def deliver_due(clinic: Clinic, gateway, limiter: RateLimiter | None = None, batch: int = 500) -> dict:
    """Hand due outbox rows to the gateway, at most `batch` of them; return counts of what happened:
    {"sent", "retrying", "failed"}.

    The queue is read a slice at a time in priority order, so a page that arrives during a burst of
    prompts overtakes what is left of it. A row whose retry time lies further ahead than any backoff
    (the wall clock stepped back) counts as due.
    """
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    _recover_stale(clinic, utcnow())
    callback = _status_callback(clinic)
    handled: set[int] = set()
    outages_in_a_row = 0
    while len(handled) < batch:
        now = utcnow()
        rows = [row for row in clinic.db.execute(
            # messages_queue (migration 10) holds the queued texts in this order: a slice is read off its
            # front, never by sorting the queue (issue 19); keep its expression equal to PRIORITY
            "SELECT * FROM messages INDEXED BY messages_queue WHERE direction = 'out' AND status = 'queued' "
            f"AND (next_attempt_at <= ? OR next_attempt_at > ?) ORDER BY {PRIORITY}, id LIMIT ?",
            [to_text(now), to_text(now + LATEST_RETRY), SLICE + len(handled)]).fetchall()
            if row["id"] not in handled][:min(SLICE, batch - len(handled))]
        if not rows:
            break
        for row in rows:
            handled.add(row["id"])
            outcome, scope = _deliver_one(clinic, gateway, limiter, row, callback)
            if outcome is None:
                continue
            counts[outcome] += 1
            outages_in_a_row = outages_in_a_row + 1 if scope in ("account", "network") else 0
            if outages_in_a_row >= OUTAGE_FAILURES_PER_PASS:
                log.warning("delivery pass stopped after %s account/network failures in a row; "
                            "the next pass tries again", outages_in_a_row)
                return counts
    return counts


def _deliver_one(clinic: Clinic, gateway, limiter: RateLimiter | None, row,
                 callback: str | None) -> tuple[str | None, str | None]:
    """Claim one row, send it, record the outcome: ('sent' | 'retrying' | 'failed', the failure's scope),
    or (None, None) if another process took the row."""
    db = clinic.db
    if limiter:
        limiter.wait()  # before the claim, so a crash while waiting leaves the row simply queued
    now = to_text(utcnow())
    with transaction(db):
        claimed = db.execute(
            "UPDATE messages SET status = 'sending', attempts = attempts + 1, updated_at = ?, "
            "first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ? AND status = 'queued'",
            [now, now, row["id"]],
        ).rowcount
    if not claimed:
        return None, None
    try:
        if row["kind"] == "call":  # the same claim, scopes and retries as a text (monitoring.voice)
            from monitoring import voice

            sid = gateway.call(row["to_number"], row["from_number"], row["body"], *voice.call_urls(clinic, row))
        else:
            sid = gateway.send(row["to_number"], row["from_number"], row["body"], row["kind"], callback)
    except GatewayError as error:
        return _failed(clinic, row, error), error.scope
    except Exception as error:  # a gateway bug must not lose the text: retry it like an outage
        log.exception("gateway raised unexpectedly for message %s", row["id"])
        error = GatewayError(type(error).__name__, None, True, "network")
        return _failed(clinic, row, error), error.scope
    sent_at = utcnow()
    with transaction(db):
        db.execute(
            "UPDATE messages SET status = 'sent', sid = ?, sent_at = ?, updated_at = ?, error_scope = NULL "
            "WHERE id = ?", [sid, to_text(sent_at), to_text(sent_at), row["id"]],
        )
        operator.gateway_succeeded(db, sent_at)
        _apply_early_callbacks(clinic, sid)
    return "sent", None


def _status_callback(clinic: Clinic) -> str | None:
    base = clinic.config["sms"]["public_base_url"]
    return base.rstrip("/") + "/sms/status" if base else None


def _retry_at(clinic: Clinic, message_id: int):
    """When a failed text may be tried again (backoff on its attempts), or None past the retry window."""
    row = clinic.db.execute("SELECT attempts, first_attempt_at FROM messages WHERE id = ?", [message_id]).fetchone()
    now = utcnow()
    retry_at = now + timedelta(seconds=backoff_seconds(row["attempts"]))
    started = from_text(row["first_attempt_at"]) or now
    window = timedelta(minutes=clinic.config["sms"]["retry_for_minutes"])
    return retry_at if retry_at - started <= window else None


def _failed(clinic: Clinic, row, error: GatewayError) -> str:
    now = utcnow()
    db = clinic.db
    with transaction(db):
        operator.gateway_failed(db, error.code, error.scope, error.message, now)
        if error.scope in ("account", "network"):
            # Not this text's fault nor its phone's: again soon, with no retry window running (the
            # window starts again at the first failure that is the text's own).
            retry_at = now + timedelta(seconds=OUTAGE_RETRY_SECONDS * random.uniform(0.8, 1.2))
            db.execute(
                "UPDATE messages SET status = 'queued', next_attempt_at = ?, error_code = ?, error_message = ?, "
                "error_scope = ?, first_attempt_at = NULL, updated_at = ? WHERE id = ?",
                [to_text(retry_at), error.code, error.message, error.scope, to_text(now), row["id"]])
            _page_failing(clinic, row, error)
            return "retrying"
        retry_at = _retry_at(clinic, row["id"]) if error.retryable else None
        if retry_at is not None:
            db.execute(
                "UPDATE messages SET status = 'queued', next_attempt_at = ?, error_code = ?, error_message = ?, "
                "error_scope = ?, updated_at = ? WHERE id = ?",
                [to_text(retry_at), error.code, error.message, error.scope, to_text(now), row["id"]],
            )
            log.warning("message %s: retryable failure (%s), next try at %s", row["id"], error.code, retry_at)
            _page_failing(clinic, row, error)
            return "retrying"
        db.execute(
            "UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, error_scope = ?, "
            "updated_at = ? WHERE id = ?",
            [error.code, error.message, error.scope, to_text(now), row["id"]],
        )
        log.error("message %s: failed for good (%s)", row["id"], error.code)
        delivery_failed(clinic, row["id"])
    return "failed"


def _page_failing(clinic: Clinic, row, error: GatewayError) -> None:
    """A page failed again (`row` is as it was before this try): keep trying it, and page the next
    person on call now, once per page. Only when the failure is the phone's own or other texts are
    getting through: while the whole account is refused, a page to the next nurse would fail the same
    way, and marching every alert up the chain would flood everyone once the account is back."""
    from monitoring import alerts  # the alert layer queues texts through this module

    if row["kind"] != "alert" or not row["alert_id"] or row["error_scope"] is None:
        return  # not a page, or its first failure
    if error.scope in ("account", "network"):
        success = operator.gateway_health(clinic.db).last_success_at
        if success is None or success <= from_text(row["created_at"]):
            return
    already = clinic.db.execute(
        "SELECT 1 FROM alert_events WHERE alert_id = ? AND kind = 'page_failing' "
        "AND json_extract(detail, '$.message_id') = ?", [row["alert_id"], row["id"]]).fetchone()
    if already is None:
        alerts.page_next_now(clinic, row["alert_id"], failed_phone=row["to_number"], message_id=row["id"])


def delivery_failed(clinic: Clinic, message_id: int) -> None:
    """A text failed for good: tell someone (inside the caller's transaction)."""
    from monitoring import alerts  # the alert layer queues texts through this module

    row = clinic.db.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone()
    if row["kind"] == "call":
        log.error("call %s to a nurse could not be placed; the alert keeps paging by text", message_id)
    elif row["kind"] == "alert" and row["alert_id"]:
        alerts.page_next_now(clinic, row["alert_id"], failed_phone=row["to_number"])
    elif row["patient_id"]:
        alerts.raise_alert(clinic, row["patient_id"], "clinician_review", ["undeliverable"])


def _recover_stale(clinic: Clinic, now) -> None:
    """Rows left 'sending' by a crash between the claim and the gateway's answer are queued again.

    Twilio's API has no idempotency key, so exactly-once is not to be had: at-least-once is chosen,
    because a lost urgent reply or page is worse than a repeated one. The window is the few
    milliseconds between the gateway's answer and the commit that marks the row sent.
    """
    cutoff = to_text(now - STALE_SENDING)
    with transaction(clinic.db):
        recovered = clinic.db.execute(
            "UPDATE messages SET status = 'queued', next_attempt_at = ?, updated_at = ?, "
            "error_message = 'interrupted while sending; sent again' WHERE status = 'sending' AND updated_at < ?",
            [to_text(now), to_text(now), cutoff]).rowcount
    if recovered:
        log.warning("%s texts were interrupted mid-send by a crash and are queued again", recovered)


# Twilio's message states in the order they happen; a callback never moves a row backwards (callbacks
# arrive out of order: "delivered" before "sent"). failed and undelivered are final.
# https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
STATUS_ORDER = {"queued": 0, "accepted": 0, "sending": 0, "sent": 1, "delivered": 2, "read": 3}
FINAL_FAILURES = ("failed", "undelivered")
EARLY_CALLBACKS_KEPT = timedelta(days=1)


def record_status(clinic: Clinic, sid: str, status: str, error_code: str | None) -> bool:
    """A Twilio status callback: move the row forward; a carrier failure tells someone.

    A callback for a sid not recorded yet (it can overtake the commit of the send's answer) is kept
    and applied when the sid is recorded. Returns False for such an unknown sid.
    """
    now = utcnow()
    with transaction(clinic.db):
        row = clinic.db.execute("SELECT id, status FROM messages WHERE sid = ? AND direction = 'out'", [sid]).fetchone()
        if row is None:
            if status in STATUS_ORDER or status in FINAL_FAILURES:
                clinic.db.execute(
                    "DELETE FROM early_status_callbacks WHERE received_at < ?", [to_text(now - EARLY_CALLBACKS_KEPT)])
                insert(clinic.db, "early_status_callbacks",
                       {"sid": sid, "status": status, "error_code": error_code, "received_at": to_text(now)})
            return False
        _apply_status(clinic, row, status, error_code)
    return True


def _apply_status(clinic: Clinic, row, status: str, error_code: str | None) -> None:
    """Inside the caller's transaction: only forward moves from a sent row, failures only before delivery."""
    code = int(error_code) if error_code and error_code.isascii() and error_code.isdigit() else None
    current = row["status"]
    if current not in ("sent", "delivered", "read"):
        return  # queued again, failed, or still sending: a late callback of an earlier try changes nothing
    if status in FINAL_FAILURES:
        if current != "sent":
            return  # delivered is final too: a failure cannot follow it
    elif STATUS_ORDER.get(status, -1) <= STATUS_ORDER[current]:
        return
    clinic.db.execute(
        "UPDATE messages SET status = ?, error_code = COALESCE(?, error_code), updated_at = ? WHERE id = ?",
        [status, code, to_text(utcnow()), row["id"]],
    )
    if status in FINAL_FAILURES:
        _carrier_failed(clinic, row["id"], code)


def _apply_early_callbacks(clinic: Clinic, sid: str) -> None:
    """Callbacks that arrived before this sid was recorded, in the order they came (inside a transaction)."""
    early = clinic.db.execute(
        "SELECT id, status, error_code FROM early_status_callbacks WHERE sid = ? ORDER BY id", [sid]).fetchall()
    for callback in early:
        row = clinic.db.execute("SELECT id, status FROM messages WHERE sid = ?", [sid]).fetchone()
        _apply_status(clinic, row, callback["status"], callback["error_code"])
    if early:
        clinic.db.execute("DELETE FROM early_status_callbacks WHERE sid = ?", [sid])


def _carrier_failed(clinic: Clinic, message_id: int, code: int | None) -> None:
    """Twilio accepted the text but the carrier did not deliver it: retry a passing fault (30008, queue
    overflow) with backoff inside the retry window, else tell someone (inside the caller's transaction)."""
    retry_at = _retry_at(clinic, message_id) if code in RETRYABLE_CODES else None
    if retry_at is not None:
        clinic.db.execute(
            "UPDATE messages SET status = 'queued', next_attempt_at = ?, updated_at = ? WHERE id = ?",
            [to_text(retry_at), to_text(utcnow()), message_id])
        return
    delivery_failed(clinic, message_id)
