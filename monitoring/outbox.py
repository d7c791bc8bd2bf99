"""The transactional outbox: every text is a row written with the change that caused it; this module owns
the queue (queue a text, read what is due, claim a row, record how a try went), and is the only writer
of its rows. Delivery itself (taking due rows, calling the gateway) is scheduler.delivery's: it hands
each outcome back here to be recorded, and a failure comes back as a DeliveryOutcome that the caller
gives to monitoring.alerts, so nothing here reaches up to the alert layer (DESIGN.md, the flow).

What a failure does depends on its scope (messages.gateways):
- account or network: nothing is wrong with the text or the phone. Every such text is tried again
  within seconds, for as long as it takes, and the operator is told at once (monitoring.operator);
- message or recipient, retryable (30008): exponential backoff with jitter for
  `[sms] retry_for_minutes`; a nurse's page that fails twice also pages the next person on call now;
- message or recipient, final (21211, 21610, 30003 ...): an `undeliverable` alert for a patient text,
  the next person on call at once for a page.
"""
from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from messages.gateways import (
    PERMANENT_CODES,
    RECIPIENT_RETRY_CODES,
    RETRYABLE_CODES,
    SENDER_BLOCKED_CODES,
    scope_of,
)
from monitoring import operator
from monitoring.clinic import Clinic
from monitoring.rows import Message
from monitoring.staff import staff_by_phone
from monitoring.store import Database, from_text, insert, to_text, transaction

log = logging.getLogger("crswatch.outbox")

KINDS = ("prompt", "reminder", "reply", "alert", "info", "call")  # call: a voice call to a nurse (monitoring.voice)
STAFF_KINDS = ("alert", "call")  # always to a nurse: sent from the pager number (queue_text)
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 600
# An account or network failure: every text again this soon (+-20%), so a five-minute outage costs
# a page at most this long once Twilio answers again.
OUTAGE_RETRY_SECONDS = 15
# No retry is ever scheduled further ahead than this: a later next_attempt_at can only come from a
# wall clock that stepped back, and is taken as due now.
LATEST_RETRY = timedelta(seconds=BACKOFF_MAX_SECONDS * 1.2 + 60)
STALE_SENDING = timedelta(seconds=60)  # a send takes at most the 10 s HTTP timeout


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of one try at an outbound row, for the caller to act on (monitoring.alerts).

    `status`: 'sent', 'retrying' (queued again) or 'failed' (for good); `scope`: the failure's scope
    (messages.gateways.SCOPES) or None; `first_failure`: the row had no failure recorded before this one;
    `created_at`: when the row was queued (stored UTC text)."""

    message_id: int
    kind: str
    status: str
    scope: str | None
    to_number: str
    patient_id: int | None
    alert_id: int | None
    created_at: str
    first_failure: bool

    @property
    def is_page(self) -> bool:
        """A text page to a nurse about an alert (calls are told apart: kind 'call')."""
        return self.kind == "alert" and self.alert_id is not None

    @classmethod
    def of(cls, row: Message, status: str, scope: str | None, first_failure: bool) -> DeliveryOutcome:
        """The outcome for a `messages` row as it was before the try."""
        return cls(message_id=row.id, kind=row.kind, status=status, scope=scope, to_number=row.to_number,
                   patient_id=row.patient_id, alert_id=row.alert_id, created_at=row.created_at,
                   first_failure=first_failure)


def message(clinic: Clinic, message_id: int) -> Message | None:
    """The `messages` row `message_id` (a text in or out, or a call), or None."""
    return Message.maybe(clinic.db.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone())


def failed_for_good(clinic: Clinic, message_id: int) -> DeliveryOutcome:
    """The outcome of a row that can never be delivered (status 'failed'), for monitoring.alerts.
    Raises LookupError for an unknown id."""
    row = message(clinic, message_id)
    if row is None:
        raise LookupError(f"no message {message_id}")
    return DeliveryOutcome.of(row, "failed", row.error_scope, row.error_scope is None)


# Delivery order (issue 19, "urgent first at the sender"), lowest first, each by age: pages and calls to
# nurses; the patient's urgent replies (messages.texts.SEND_FIRST: go to the ED, call the clinic now, the
# red-flag signs); other replies and notices; prompts and reminders. Stored on the row when it is queued.
PRIORITY_PAGE, PRIORITY_URGENT, PRIORITY_REPLY, PRIORITY_ROUTINE = 0, 1, 2, 3


def priority_of(kind: str, urgent: bool = False) -> int:
    """The delivery tier of a text of `kind` (KINDS); `urgent`: an urgent reply or notice to a patient or
    caregiver (it is never put behind routine replies)."""
    if kind in ("alert", "call"):
        return PRIORITY_PAGE
    if urgent:
        return PRIORITY_URGENT
    return PRIORITY_REPLY if kind in ("reply", "info") else PRIORITY_ROUTINE


def queue_text(clinic: Clinic, to: str, body: str, kind: str, *, patient_id: int | None = None,
               alert_id: int | None = None, staff_id: int | None = None, urgent: bool = False,
               to_staff: bool = False, send_after: datetime | None = None, now: datetime) -> int:
    """Queue a text to `to` (E.164) inside the caller's transaction; return its message id. `kind` one of
    KINDS (AssertionError otherwise: a bug, never input); `urgent` puts a reply ahead of every other reply
    (priority_of); `to_staff` (implied by a page, a call or a `staff_id`) sends it from the clinic's pager
    number (Clinic.pager_number), the one a nurse's phone knows as the pager; `send_after` holds it until then
    (prompts spread over a burst); `now` the caller's time (aware UTC), when it was queued."""
    assert kind in KINDS, kind
    queued_at = to_text(now)
    staff = to_staff or staff_id is not None or kind in STAFF_KINDS
    return insert(clinic.db, "messages", {
        "direction": "out", "to_number": to, "from_number": clinic.pager_number if staff else clinic.from_number,
        "body": body, "kind": kind,
        "patient_id": patient_id, "alert_id": alert_id, "staff_id": staff_id, "status": "queued",
        "priority": priority_of(kind, urgent),
        "next_attempt_at": to_text(send_after) if send_after else queued_at, "created_at": queued_at,
        "updated_at": queued_at,
    })


def withdraw_pages(clinic: Clinic, alert_id: int, now: datetime) -> int:
    """Pages and calls about `alert_id` still waiting to go (queued: due, backing off, or held by an outage) are
    not sent (status 'canceled'), inside the caller's transaction: the alert was acknowledged or resolved, and
    a nurse woken at night by "URGENT NOT ACKED" for an alert already taken learns to ignore the pager.
    Returns how many."""
    withdrawn: int = clinic.db.execute(
        "UPDATE messages SET status = 'canceled', updated_at = ? WHERE alert_id = ? AND kind IN ('alert', 'call') "
        "AND direction = 'out' AND status = 'queued'", [to_text(now), alert_id]).rowcount
    return withdrawn


def backoff_seconds(attempts: int) -> float:
    """30 s, 60 s, 120 s ... capped at 10 min, each +-20% so a burst of failures does not retry in step."""
    base = float(min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))
    return base * random.uniform(0.8, 1.2)


def newest_reply_or_page_due(db: Database | sqlite3.Connection, now: datetime, after: int = 0) -> int | None:
    """The id of the newest page, call or reply to a person (priority_of: PRIORITY_REPLY or more urgent) queued
    and due at `now` (aware UTC) and newer than `after` (a messages id), or None: what a scheduler in another
    process is woken for (scheduler.runner's watch, `after` the newest it woke the run for), not the prompts it
    queues itself; the newest, so the watch tells a text another process committed from one its own run already
    tried and left to the poll (an outage's backlog). Reads each tier's end of messages_queue down to `after`,
    never the queue: a backlog of replies (a long code's 1 text a second behind a burst, an outage) is passed
    over; read as one range of the index, 8,000 queued replies made each of the watch's looks 5.4 ms (issue 19)."""
    tiers = ", ".join(f"({priority})" for priority in range(PRIORITY_REPLY + 1))
    rows = db.execute(
        f"WITH tiers (priority) AS (VALUES {tiers}) SELECT MAX((SELECT id FROM messages INDEXED BY messages_queue "
        "WHERE direction = 'out' AND status = 'queued' AND priority = tiers.priority AND id > ? "
        "AND next_attempt_at <= ? ORDER BY id DESC LIMIT 1)) FROM tiers", [after, to_text(now)]).fetchall()
    newest: int | None = rows[0][0]  # read to the end: an open statement would keep a caller's read snapshot
    return newest


def due(clinic: Clinic, now: datetime, limit: int, skip: Iterable[int] = ()) -> list[Message]:
    """Up to `limit` queued outbound rows that may be tried at `now`, in delivery order (priority_of, then
    age), leaving out the ids in `skip` (rows the caller has handled this pass). A row whose retry time
    lies further ahead than any backoff (the wall clock stepped back) counts as due."""
    skipped = set(skip)
    rows = clinic.db.execute(
        # messages_queue (migration m010) holds the queued texts in this order: the slice is read off its
        # front, never by sorting the queue (issue 19)
        "SELECT * FROM messages INDEXED BY messages_queue WHERE direction = 'out' AND status = 'queued' "
        "AND (next_attempt_at <= ? OR next_attempt_at > ?) ORDER BY priority, id LIMIT ?",
        [to_text(now), to_text(now + LATEST_RETRY), limit + len(skipped)]).fetchall()
    return [Message.from_row(row) for row in rows if row["id"] not in skipped][:limit]


def overtaking(clinic: Clinic, now: datetime, priority: int, not_from: str | None,
               skip: Iterable[int] = ()) -> Message | None:
    """The first queued outbound row due at `now`, in delivery order, that is more urgent than `priority` or,
    with `not_from`, from another number than `not_from`, leaving out the ids in `skip`; or None: what may
    overtake a text while its sender's rate holds it back (scheduler.delivery). One read of the queue's front
    (messages_queue): more urgent rows only are a range of the index; with `not_from` (the pager number, whose
    rows are pages and staff texts, a few) the read passes over that number's rows at the front."""
    skipped = set(skip)
    wanted = "priority < ?" + (" OR from_number != ?" if not_from is not None else "")
    rows = clinic.db.execute(
        "SELECT * FROM messages INDEXED BY messages_queue WHERE direction = 'out' AND status = 'queued' "
        f"AND ({wanted}) AND (next_attempt_at <= ? OR next_attempt_at > ?) ORDER BY priority, id LIMIT ?",
        [priority, *([not_from] if not_from is not None else []), to_text(now), to_text(now + LATEST_RETRY),
         1 + len(skipped)]).fetchall()
    return next((Message.from_row(row) for row in rows if row["id"] not in skipped), None)


def claim(clinic: Clinic, message_id: int, now: datetime) -> bool:
    """Mark a queued row 'sending' (one more attempt) in its own transaction; False if another process
    took it first. A row left 'sending' by a crash is queued again by recover_stale."""
    with transaction(clinic.db):
        return bool(clinic.db.execute(
            "UPDATE messages SET status = 'sending', attempts = attempts + 1, updated_at = ?, "
            "first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ? AND status = 'queued'",
            [to_text(now), to_text(now), message_id]).rowcount)


def record_sent(clinic: Clinic, message_id: int, sid: str, sent_at: datetime,
                from_number: str | None = None) -> list[DeliveryOutcome]:
    """The gateway took the row (`sid`, Twilio's message or call SID; `from_number`, the number it went
    from): mark it sent, tell the operator the account (and the pager number, when it went from that) works,
    and apply status callbacks that arrived before the sid was recorded. Returns the failures those
    callbacks reported (the caller gives them to monitoring.alerts in the same transaction)."""
    with transaction(clinic.db):
        clinic.db.execute(
            "UPDATE messages SET status = 'sent', sid = ?, sent_at = ?, updated_at = ?, error_scope = NULL "
            "WHERE id = ?", [sid, to_text(sent_at), to_text(sent_at), message_id])
        others = {clinic.from_number, clinic.pager_number} - {from_number} if from_number is not None else set()
        operator.gateway_succeeded(clinic.db, sent_at, others)
        if clinic.is_pager(from_number):
            operator.pager_worked(clinic.db, sent_at)
        return _apply_early_callbacks(clinic, sid, sent_at)


def record_failure(clinic: Clinic, row: Message, code: int | None, scope: str, retryable: bool, message: str,
                   now: datetime) -> DeliveryOutcome:
    """The gateway refused `row` (as it was before this try) with Twilio error `code` (None when not
    reached) of `scope` (messages.gateways.SCOPES): queue it again or fail it for good, count it for the
    operator, and return what happened. Runs in the caller's transaction when there is one, so the caller
    can act on the outcome (monitoring.alerts.delivery_failed) in the same commit."""
    db = clinic.db
    first_failure = row.error_scope is None
    if scope == "message" and code not in PERMANENT_CODES | RECIPIENT_RETRY_CODES \
            and falls_back(clinic, row, "account"):
        # a refusal crswatch does not know (scope_of counts any 400 as the text's own) of a text from the pager
        # number: the number is the likelier culprit; failed for good, a page would march up the on-call chain
        # from it, each nurse's refused alike. As the sender's: from from_number at once (fails there if not).
        scope = "account"
    fallback = falls_back(clinic, row, scope)
    with transaction(db):
        if fallback:  # the pager number's own trouble, not the account's
            operator.pager_refused(db, code, message, now, number=row.from_number)
        else:
            operator.gateway_failed(db, code, scope, message, now, row.from_number)
        if scope in ("account", "network"):
            # Not this text's fault nor its phone's: again soon, with no retry window running (the
            # window starts again at the first failure that is the text's own).
            sender = clinic.from_number if fallback else row.from_number
            if fallback:
                log.warning("message %s: the pager number ending %s was refused (%s); trying from the number "
                            "ending %s", row.id, row.from_number[-4:], code, sender[-4:])
            # from the main number at once when the pager's was refused: that number's own answer is not known yet
            retry_at = now if fallback else now + timedelta(seconds=OUTAGE_RETRY_SECONDS * random.uniform(0.8, 1.2))
            db.execute(
                "UPDATE messages SET status = 'queued', next_attempt_at = ?, error_code = ?, error_message = ?, "
                "error_scope = ?, first_attempt_at = NULL, updated_at = ?, from_number = ? WHERE id = ?",
                [to_text(retry_at), code, message, scope, to_text(now), sender, row.id])
            return DeliveryOutcome.of(row, "retrying", scope, first_failure)
        backoff_until = _retry_at(clinic, row.id, now) if retryable else None
        if backoff_until is not None:
            db.execute(
                "UPDATE messages SET status = 'queued', next_attempt_at = ?, error_code = ?, error_message = ?, "
                "error_scope = ?, updated_at = ? WHERE id = ?",
                [to_text(backoff_until), code, message, scope, to_text(now), row.id])
            log.warning("message %s: retryable failure (%s), next try at %s", row.id, code, backoff_until)
            return DeliveryOutcome.of(row, "retrying", scope, first_failure)
        db.execute(
            "UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, error_scope = ?, "
            "updated_at = ? WHERE id = ?",
            [code, message, scope, to_text(now), row.id])
        log.error("message %s: failed for good (%s)", row.id, code)
        return DeliveryOutcome.of(row, "failed", scope, first_failure)


def in_force(clinic: Clinic, row: Message) -> Message:
    """`row` from a number the clinic sends from now: a text queued from a number no longer in the settings
    (`[sms] pager_number` changed or removed, `from_number` changed, the service restarted with it queued) goes
    from the pager number to staff (a page, a call, a text to a staff or on-call phone), else from
    `from_number`: never from a number a nurse's phone no longer lets through Do Not Disturb, nor retried for
    ever from a number Twilio has released. Stored on the row (its own transaction) when it changes."""
    sender = number_in_force(clinic, row)
    if sender == row.from_number:
        return row
    with transaction(clinic.db):
        clinic.db.execute("UPDATE messages SET from_number = ? WHERE id = ?", [sender, row.id])
    log.warning("message %s was queued from the number ending %s, no longer in [sms]; sent from the number "
                "ending %s", row.id, row.from_number[-4:], sender[-4:])
    return replace(row, from_number=sender)


def number_in_force(clinic: Clinic, row: Message) -> str:
    """The number `row` leaves from (in_force), without storing it: whose pace it spends (scheduler.delivery)."""
    if row.from_number in (clinic.from_number, clinic.pager_number):
        return row.from_number
    staff = row.staff_id is not None or row.kind in STAFF_KINDS or staff_by_phone(clinic, row.to_number) is not None
    return clinic.pager_number if staff else clinic.from_number


def falls_back(clinic: Clinic, row: Message, scope: str | None) -> bool:
    """Whether `row`, refused with a failure of `scope`, goes again from `from_number` at once: a page, call or
    staff text the account refused from the pager number (a number released, not SMS- or voice-capable, its
    queue full: Twilio 21606, 21212, 21611 ...), so a second number never stands between a red flag
    and the nurse. Anything else keeps its number."""
    return scope == "account" and clinic.is_pager(row.from_number)


def _retry_at(clinic: Clinic, message_id: int, now: datetime) -> datetime | None:
    """When a failed text may be tried again (backoff on its attempts), or None past the retry window."""
    row = message(clinic, message_id)
    assert row is not None, message_id  # being recorded, inside the caller's transaction
    retry_at = now + timedelta(seconds=backoff_seconds(row.attempts))
    started = from_text(row.first_attempt_at) or now
    window = timedelta(minutes=clinic.config["sms"]["retry_for_minutes"])
    return retry_at if retry_at - started <= window else None


def recover_stale(clinic: Clinic, now: datetime) -> int:
    """Rows left 'sending' by a crash between the claim and the gateway's answer are queued again;
    returns how many.

    Twilio's API has no idempotency key, so exactly-once is not to be had: at-least-once is chosen,
    because a lost urgent reply or page is worse than a repeated one. The window is the few
    milliseconds between the gateway's answer and the commit that marks the row sent.
    """
    cutoff = to_text(now - STALE_SENDING)
    with transaction(clinic.db):
        recovered: int = clinic.db.execute(
            "UPDATE messages SET status = 'queued', next_attempt_at = ?, updated_at = ?, "
            "error_message = 'interrupted while sending; sent again' WHERE direction = 'out' AND status = 'sending' "
            "AND updated_at < ?",
            [to_text(now), to_text(now), cutoff]).rowcount
    if recovered:
        log.warning("%s texts were interrupted mid-send by a crash and are queued again", recovered)
    return recovered

# Twilio's message states in the order they happen; a callback never moves a row backwards (callbacks
# arrive out of order: "delivered" before "sent"). failed and undelivered are final.
# https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
STATUS_ORDER = {"queued": 0, "accepted": 0, "sending": 0, "sent": 1, "delivered": 2, "read": 3}
FINAL_FAILURES = ("failed", "undelivered")
EARLY_CALLBACKS_KEPT = timedelta(days=1)


def record_status(clinic: Clinic, sid: str, status: str, error_code: str | None,
                  now: datetime) -> list[DeliveryOutcome] | None:
    """A Twilio status callback (MessageSid, MessageStatus, ErrorCode, received at `now`): move the row
    forward (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status). Returns the
    carrier failures it reports (final, or retried: 'retrying', for the caller to give to monitoring.alerts in
    the same transaction), or None for a sid not recorded yet: such a callback (it can overtake the commit of the
    send's answer) is kept and applied when the sid is recorded (record_sent).
    """
    with transaction(clinic.db):
        row = Message.maybe(
            clinic.db.execute("SELECT * FROM messages WHERE sid = ? AND direction = 'out'", [sid]).fetchone())
        if row is None:
            if status in STATUS_ORDER or status in FINAL_FAILURES:
                clinic.db.execute(
                    "DELETE FROM early_status_callbacks WHERE received_at < ?", [to_text(now - EARLY_CALLBACKS_KEPT)])
                insert(clinic.db, "early_status_callbacks",
                       {"sid": sid, "status": status, "error_code": error_code, "received_at": to_text(now)})
            return None
        failure = _apply_status(clinic, row, status, error_code, now)
    return [failure] if failure else []


def _apply_status(clinic: Clinic, row: Message, status: str, error_code: str | None,
                  now: datetime) -> DeliveryOutcome | None:
    """Inside the caller's transaction: only forward moves from a sent row, failures only before delivery.
    Returns the outcome when the carrier failed the text (for good, or retried)."""
    code = int(error_code) if error_code and error_code.isascii() and error_code.isdigit() else None
    current = row.status
    if current not in ("sent", "delivered", "read"):
        return None  # queued again, failed, or still sending: a late callback of an earlier try changes nothing
    if status in FINAL_FAILURES:
        if current != "sent":
            return None  # delivered is final too: a failure cannot follow it
    elif STATUS_ORDER.get(status, -1) <= STATUS_ORDER[current]:
        return None
    clinic.db.execute(
        "UPDATE messages SET status = ?, error_code = COALESCE(?, error_code), updated_at = ? WHERE id = ?",
        [status, code, to_text(now), row.id],
    )
    if status in FINAL_FAILURES:
        return _carrier_failed(clinic, row.id, code, now)
    if clinic.is_pager(row.from_number):  # delivered: the carriers take the pager
        operator.pager_worked(clinic.db, now, delivered=True)
    return None


def _apply_early_callbacks(clinic: Clinic, sid: str, now: datetime) -> list[DeliveryOutcome]:
    """Callbacks that arrived before this sid was recorded, in the order they came (inside a transaction);
    returns the failures they report."""
    early = clinic.db.execute(
        "SELECT id, status, error_code FROM early_status_callbacks WHERE sid = ? ORDER BY id", [sid]).fetchall()
    failures: list[DeliveryOutcome] = []
    for callback in early:
        row = Message.from_row(clinic.db.execute("SELECT * FROM messages WHERE sid = ?", [sid]).fetchone())
        failure = _apply_status(clinic, row, callback["status"], callback["error_code"], now)
        if failure:
            failures.append(failure)
    if early:
        clinic.db.execute("DELETE FROM early_status_callbacks WHERE sid = ?", [sid])
    return failures


def _carrier_failed(clinic: Clinic, message_id: int, code: int | None, now: datetime) -> DeliveryOutcome | None:
    """Twilio accepted the text but the carrier did not deliver it (inside the caller's transaction): a passing
    fault (30008, queue overflow) is retried with backoff inside the retry window, and its outcome is
    'retrying' like a refused try's (record_failure), so a nurse's page the carrier fails a second time pages
    the next person on call at once (monitoring.alerts._page_failing); else the outcome of a text failed for good.
    A staff text blocked for the pager number itself (SENDER_BLOCKED_CODES: not registered, not verified) goes
    again at once from `from_number`, as a new row, and the operator is told (None): the nurse's phone is fine,
    and the same number would block the next nurse's page too."""
    row = message(clinic, message_id)
    if code in SENDER_BLOCKED_CODES and row is not None and falls_back(clinic, row, "account"):
        operator.pager_refused(clinic.db, code, f"carriers block texts from the pager number (status callback, "
                                                f"code {code})", now, carrier=True, number=row.from_number)
        resent = insert(clinic.db, "messages", {
            "direction": "out", "to_number": row.to_number, "from_number": clinic.from_number, "body": row.body,
            "kind": row.kind, "patient_id": row.patient_id, "alert_id": row.alert_id, "staff_id": row.staff_id,
            "status": "queued", "priority": row.priority, "next_attempt_at": to_text(now),
            "created_at": row.created_at, "updated_at": to_text(now)})
        log.warning("message %s: blocked for the pager number ending %s (%s); sent again as message %s from the "
                    "number ending %s", row.id, row.from_number[-4:], code, resent, clinic.from_number[-4:])
        return None
    retry_at = _retry_at(clinic, message_id, now) if code in RETRYABLE_CODES else None
    if retry_at is not None:
        row = message(clinic, message_id)
        assert row is not None, message_id  # being recorded, inside the caller's transaction
        scope = scope_of(code, None)
        clinic.db.execute(
            "UPDATE messages SET status = 'queued', next_attempt_at = ?, error_scope = ?, updated_at = ? WHERE id = ?",
            [to_text(retry_at), scope, to_text(now), message_id])
        # each send counts an attempt (claim), so a row sent more than once has failed before this failure
        return DeliveryOutcome.of(row, "retrying", scope, first_failure=row.attempts <= 1)
    return failed_for_good(clinic, message_id)
