"""The transactional outbox: every text is a row written with the change that caused it, then delivered.

Delivery order is per recipient (a later text never overtakes an earlier one to the same phone),
retryable failures back off exponentially with jitter for `[sms] retry_for_minutes`, and a
permanent failure opens an `undeliverable` alert (patient texts) or pages the next person on call
(nurse texts).
"""
from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from messages.gateways import GatewayError, classify
from monitoring.clinic import Clinic
from monitoring.store import from_text, insert, to_text, transaction, utcnow

log = logging.getLogger("crswatch.outbox")

KINDS = ("prompt", "reminder", "reply", "alert", "info")
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 600
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


def deliver_due(clinic: Clinic, gateway, limiter: RateLimiter | None = None, batch: int = 500) -> dict:
    """Hand due outbox rows to the gateway, at most `batch` of them; return counts of what happened.

    The queue is read a slice at a time, pages first, so a nurse's page that arrives during a burst
    of prompts overtakes what is left of the burst; texts to one recipient keep their order.
    """
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    _recover_stale(clinic, utcnow())
    callback = _status_callback(clinic)
    handled: set[int] = set()
    while len(handled) < batch:
        now = to_text(utcnow())
        rows = [row for row in clinic.db.execute(
            "SELECT * FROM messages WHERE direction = 'out' AND status = 'queued' AND next_attempt_at <= ? "
            "ORDER BY to_number IN (SELECT to_number FROM messages WHERE direction = 'out' AND status = 'queued' "
            "AND kind = 'alert') DESC, id LIMIT ?", [now, SLICE + len(handled)]).fetchall()
            if row["id"] not in handled][:min(SLICE, batch - len(handled))]
        if not rows:
            break
        # Recipients with an earlier text still waiting out a backoff: hold their later texts.
        held = {row["to_number"]: row["id"] for row in clinic.db.execute(
            "SELECT to_number, MIN(id) AS id FROM messages WHERE direction = 'out' AND status = 'queued' "
            "AND next_attempt_at > ? GROUP BY to_number", [now]).fetchall()}
        for row in rows:
            handled.add(row["id"])
            to = row["to_number"]
            if to in held and held[to] < row["id"]:
                continue
            outcome = _deliver_one(clinic, gateway, limiter, row, callback)
            if outcome is None:
                continue
            counts[outcome] += 1
            if outcome != "sent":
                held.setdefault(to, row["id"])
    return counts


def _deliver_one(clinic: Clinic, gateway, limiter: RateLimiter | None, row, callback: str | None) -> str | None:
    """Claim one row, send it, record the outcome: 'sent', 'retrying', 'failed', or None if another took it."""
    db = clinic.db
    if limiter:
        limiter.wait()  # before the claim, so a crash while waiting leaves the row simply queued
    with transaction(db):
        claimed = db.execute(
            "UPDATE messages SET status = 'sending', attempts = attempts + 1, updated_at = ?, "
            "first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ? AND status = 'queued'",
            [to_text(utcnow()), to_text(utcnow()), row["id"]],
        ).rowcount
    if not claimed:
        return None
    try:
        sid = gateway.send(row["to_number"], row["from_number"], row["body"], row["kind"], callback)
    except GatewayError as error:
        return _failed(clinic, row, error)
    except Exception as error:  # a gateway bug must not lose the text: retry it like an outage
        log.exception("gateway raised unexpectedly for message %s", row["id"])
        return _failed(clinic, row, GatewayError(type(error).__name__, None, True))
    with transaction(db):
        db.execute(
            "UPDATE messages SET status = 'sent', sid = ?, sent_at = ?, updated_at = ? WHERE id = ?",
            [sid, to_text(utcnow()), to_text(utcnow()), row["id"]],
        )
    return "sent"


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
    retry_at = _retry_at(clinic, row["id"]) if error.retryable else None
    with transaction(db):
        if retry_at is not None:
            db.execute(
                "UPDATE messages SET status = 'queued', next_attempt_at = ?, error_code = ?, error_message = ?, "
                "updated_at = ? WHERE id = ?",
                [to_text(retry_at), error.code, error.message, to_text(now), row["id"]],
            )
            log.warning("message %s: retryable failure (%s), next try at %s", row["id"], error.code, retry_at)
            return "retrying"
        db.execute(
            "UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
            [error.code, error.message, to_text(now), row["id"]],
        )
        log.error("message %s: failed for good (%s)", row["id"], error.code)
        delivery_failed(clinic, row["id"])
    return "failed"


def delivery_failed(clinic: Clinic, message_id: int) -> None:
    """A text failed for good: tell someone (inside the caller's transaction)."""
    from monitoring import alerts  # the alert layer queues texts through this module

    row = clinic.db.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone()
    if row["kind"] == "alert" and row["alert_id"]:
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


CALLBACK_STATES = ("sent", "delivered", "read", "undelivered", "failed")


def record_status(clinic: Clinic, sid: str, status: str, error_code: str | None) -> bool:
    """A Twilio status callback: update the row; a permanent failure tells someone. False if unknown sid."""
    code = int(error_code) if error_code and error_code.isascii() and error_code.isdigit() else None
    with transaction(clinic.db):
        row = clinic.db.execute("SELECT id, status FROM messages WHERE sid = ? AND direction = 'out'", [sid]).fetchone()
        if row is None:
            return False
        if status not in CALLBACK_STATES or row["status"] not in ("sent", "delivered", "read"):
            # Twilio also reports queued/sending/accepted; only outcomes are taken, and a row never
            # moves backwards (a late "queued" must not put a sent text back in the queue)
            return True
        clinic.db.execute(
            "UPDATE messages SET status = ?, error_code = COALESCE(?, error_code), updated_at = ? WHERE id = ?",
            [status, code, to_text(utcnow()), row["id"]],
        )
        if status in ("failed", "undelivered"):
            _carrier_failed(clinic, row["id"], code)
    return True


def _carrier_failed(clinic: Clinic, message_id: int, code: int | None) -> None:
    """Twilio accepted the text but the carrier did not deliver it: retry a passing fault (30008, queue
    overflow) with backoff inside the retry window, else tell someone (inside the caller's transaction)."""
    retry_at = _retry_at(clinic, message_id) if classify(code, None) else None
    if retry_at is not None:
        clinic.db.execute(
            "UPDATE messages SET status = 'queued', next_attempt_at = ?, updated_at = ? WHERE id = ?",
            [to_text(retry_at), to_text(utcnow()), message_id])
        return
    delivery_failed(clinic, message_id)
