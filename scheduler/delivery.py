"""Outbox delivery: take due rows from the outbox, hand each to the SMS gateway, have the outcome recorded.

The queue is monitoring.outbox's (it is the only writer of its rows); this module decides what to try
and when, calls the gateway (messages.gateways), and gives every failure the outbox reports to
monitoring.alerts in the same transaction, so a page that cannot be sent moves the alert on (DESIGN.md:
"scheduler delivers the outbox through messages gateways"; nothing below reaches back up here).

Delivery goes in order of what can be sent (outbox.priority_of): pages, urgent replies, other replies, prompts,
each by age; a text that cannot be sent now (backing off) never holds up the next one, to the same phone
or any other. An account or network failure is retried for every text within seconds and raised to the
operator; a pass stops after a few in a row, so a dead account is probed, not hammered (a sender whose texts
fail while riding in another's waits stops only itself: OUTAGE_FAILURES_PER_PASS).

Unlike the rest of a scheduler pass, delivery reads the clock at each try rather than taking `now` from
its caller: a pass waits on the sender's rate (about one text a second) and on the gateway, so it can
last minutes, and each claim, send and retry time must be the moment it happened.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Protocol

from messages.gateways import GatewayError
from monitoring import alerts, outbox, voice
from monitoring.clinic import Clinic
from monitoring.outbox import DeliveryOutcome
from monitoring.rows import Message
from monitoring.store import transaction, utcnow

log = logging.getLogger("crswatch.outbox")

SLICE = 20  # rows read per look at the queue; a page come due meanwhile is looked for before each send (deliver_due)
# This many account or network failures in a row of the texts a pass paces end it; the rest wait for the next one.
# A text another sender sent in a wait (it rode, deliver_due) counts for its own sender only: this many in a row
# stop that sender riding for the rest of the pass, never the pass (a Messaging Service emptied of numbers must
# not hold the pager number's pages back until the next poll).
OUTAGE_FAILURES_PER_PASS = 3


class Gateway(Protocol):
    """What delivery needs of a gateway (messages.gateways.OutboxGateway, TwilioGateway): the provider's
    id of what it took, or GatewayError."""

    def send(self, to: str, from_: str, body: str, kind: str, status_callback: str | None = None) -> str:
        """Hand a text to the provider (E.164 numbers; `kind` as in outbox.KINDS); its message SID."""
        ...

    def call(self, to: str, from_: str, body: str, url: str, status_callback: str | None = None) -> str:
        """Place a call whose TwiML Twilio fetches from `url` (voice.call_urls); its call SID."""
        ...


class RateLimiter:
    """At most `per_second` sends for each sender, spaced evenly (a Twilio long code takes about 1 message a
    second; a Messaging Service is one sender whose rate is its pool's, messages.gateways.sending_rate), but
    for a page or a call, which may run up to BORROW_SLOTS slots ahead of its sender's pace (`take`)."""

    def __init__(self, per_second: float, own_rates: dict[str, float] | None = None) -> None:
        """`per_second`: each sender's rate; `own_rates`: senders with a rate of their own (the pager number
        beside a Messaging Service's pool: one number's rate, not the pool's), texts a second by sender."""
        self.interval = 1.0 / per_second
        self.intervals = {sender: 1.0 / rate for sender, rate in (own_rates or {}).items()}
        self.next_slot: dict[str, float] = {}

    def free(self, sender: str) -> bool:
        """Whether `sender` may send now."""
        return time.monotonic() >= self.next_slot.get(sender, 0.0)

    def may_borrow(self, sender: str) -> bool:
        """Whether a page or a call may go from `sender` now, ahead of its pace: at most BORROW_SLOTS slots ahead
        of it."""
        return time.monotonic() >= self._borrow_from(sender)

    def _borrow_from(self, sender: str) -> float:
        """When a page from `sender` may next borrow a slot: BORROW_SLOTS slots before its next one."""
        return self.next_slot.get(sender, 0.0) - BORROW_SLOTS * self.intervals.get(sender, self.interval)

    def take(self, sender: str) -> None:
        """Take `sender`'s next slot now, free or not (the wait is paid by the next text from it)."""
        self.next_slot[sender] = max(time.monotonic(), self.next_slot.get(sender, 0.0)) \
            + self.intervals.get(sender, self.interval)

    def wait(self, sender: str = "", urgent: Callable[[], bool] | None = None, borrow: bool = False) -> bool:
        """Sleep until `sender` may send again and take its slot: True (time.monotonic, so a wall-clock step
        changes nothing). With `borrow` (a page or a call), only until it may borrow one (may_borrow): a flood
        of pages is handed over one slot after another, BORROW_SLOTS ahead of the pace, not three at a time
        once the whole debt is paid. With `urgent`, asked every URGENT_POLL_SECONDS while a longer wait lasts:
        when it answers True (another text came due that may go now), the wait ends at once without taking
        the slot: False."""
        while True:
            now = time.monotonic()
            slot = self._borrow_from(sender) if borrow else self.next_slot.get(sender, 0.0)
            if now >= slot:
                break
            if urgent is None or slot - now <= URGENT_POLL_SECONDS:  # a short wait (a fast sender) is slept through
                time.sleep(slot - now)
                continue
            time.sleep(URGENT_POLL_SECONDS)
            if urgent():
                return False
        self.take(sender)
        return True


# A page or a call to a nurse is handed to Twilio at once even while its sender paces a burst, up to this many
# slots ahead of the pace; the texts after it wait the slots it took. Twilio queues what it is handed faster
# than the sender's rate and sends it in order at that rate (error 30001,
# https://www.twilio.com/docs/api/errors/30001), so the page leaves Twilio no later than crswatch's own pacing
# would have sent it, Twilio's queue never holds more than these few, and a crash or an outage of this machine
# after the hand-over can no longer hold the page back. A flood of pages beyond them is handed over a slot
# at a time. The patient's urgent reply does not borrow: handed over early it would keep its place ahead of
# every page that comes after it (Twilio keeps the order), a page behind a reply at the sender; it takes the
# sender's next free slot, which it reaches no later than Twilio would have sent it, and a page overtakes it.
BORROW_SLOTS = 2

# While a sender's rate holds a burst back, the queue is looked at this often for a text that may go now: a
# more urgent one (a page from the pager number, or one borrowing the sender's next slot) or, while the pager
# number paces pages, any text from the idle main number. One indexed read of the queue's front
# (messages_queue, outbox.overtaking).
URGENT_POLL_SECONDS = 0.1


def deliver_due(clinic: Clinic, gateway: Gateway, limiter: RateLimiter | None = None,
                batch: int = 500, until: float | None = None) -> dict[str, int]:
    """Hand due outbox rows to the gateway, at most `batch` of them, each sender paced by `limiter`, and none
    begun after `until` (time.monotonic; the first is always tried, so a pass late to start still delivers);
    return counts of what happened: {"sent", "retrying", "failed", "cut_short"}, cut_short 1 when `batch` or
    `until` ended the pass (texts may be left: scheduler.runner goes round again). A gateway failure never
    raises: it is recorded and acted on (monitoring.alerts.delivery_failed).

    The queue is read a slice at a time in priority order, so a page that arrives during a burst of
    prompts overtakes what is left of it. `batch` counts the texts that spent the pace of the sender delivery
    waited for: a text another sender sent in the meantime (_next_in_slot: the main number's while the pager
    number paces a flood of pages) rides free, so it never ends the pass before the pager's next page.
    """
    counts = {"sent": 0, "retrying": 0, "failed": 0, "cut_short": 0}
    outbox.recover_stale(clinic, utcnow())
    callback = _status_callback(clinic)
    handled: set[int] = set()
    paced = 0
    outages_in_a_row = 0  # of the texts paced: what ends the pass
    riding_outages: dict[str, int] = {}  # of the texts that rode, by sender: what stops that sender riding
    while paced < batch:
        rows = outbox.due(clinic, utcnow(), min(SLICE, batch - paced), handled)
        if not rows:
            break
        for planned in rows:
            if planned.id in handled:  # sent already, having overtaken its slice (_overtaken)
                continue
            if until is not None and handled and time.monotonic() >= until:
                counts["cut_short"] = 1
                return counts
            if planned.priority > outbox.PRIORITY_PAGE and outbox.overtaking(
                    clinic, utcnow(), planned.priority, None, handled) is not None:
                break  # a more urgent row came due since the slice was read (a page, for any sender): it goes next
            # before the claim, so a crash while waiting leaves the row simply queued
            row = _next_in_slot(clinic, limiter, planned, handled, {
                sender for sender, failures in riding_outages.items() if failures >= OUTAGE_FAILURES_PER_PASS
            }) if limiter else planned
            claimed = _claim(clinic, row, handled, in_slot=limiter is not None)
            row = claimed or row
            rode = limiter is not None and _sender(clinic, row) != _sender(clinic, planned)
            row = outbox.in_force(clinic, row)  # from the numbers in [sms] now, whatever it was queued from
            handled.add(row.id)
            outcome = _deliver_one(clinic, gateway, row, callback) if claimed is not None else None
            if outcome is not None:
                counts[outcome.status] += 1
                if outcome.status == "retrying" and outbox.falls_back(clinic, row, outcome.scope):
                    handled.discard(row.id)  # the pager number was refused: from the main number in this pass
                    break
            paced += 0 if rode else 1
            if outcome is not None and rode:  # another sender's failures never end the pass of the one waited for
                outage = outcome.scope in ("account", "network")
                riding_outages[_sender(clinic, row)] = riding_outages.get(_sender(clinic, row), 0) + 1 if outage else 0
            elif outcome is not None:
                outages_in_a_row = outages_in_a_row + 1 if outcome.scope in ("account", "network") else 0
                if outages_in_a_row >= OUTAGE_FAILURES_PER_PASS:
                    log.warning("delivery pass stopped after %s account/network failures in a row; "
                                "the next pass tries again", outages_in_a_row)
                    return counts
            if row.id != planned.id:  # a more urgent row took this slot: the one it passed goes next, in its turn
                break
    counts["cut_short"] = int(paced >= batch)
    return counts


def _next_in_slot(clinic: Clinic, limiter: RateLimiter, row: Message, handled: set[int],
                  grounded: Collection[str] = ()) -> Message:
    """Wait for the slot of `row`'s sender and return the row to send: `row` (a more urgent one for its sender,
    queued meanwhile, takes the slot at the claim: _claim); or, while the wait lasts, another row that may go at
    once: a more urgent one for another sender whose slot is free (a page from the pager number, `[sms]
    pager_number`, while the main number paces a burst of prompts) or a page or call borrowing its sender's next slot (BORROW_SLOTS); and while the
    pager number waits, any row from the main number whose slot is free (a patient's urgent reply behind a
    flood of pages: a row for another sender never delays the pager's). A page or call `row` borrows too, so it
    waits only while its sender is BORROW_SLOTS ahead. A row passed over stays queued and is read again with
    the next slice. No row from a sender in `grounded` goes in the wait (its texts failed for the account or the
    network while riding in this pass: deliver_due)."""
    sender = _sender(clinic, row)
    # while the pager number waits, rows from the other numbers are looked at whatever their priority: the
    # queue's front holds only the pager's own few rows ahead of them (pages and staff texts)
    number = outbox.number_in_force(clinic, row)
    pager = number if clinic.is_pager(number) else None
    elsewhere: list[Message] = []

    def may_go(other: Message) -> bool:
        other_sender = _sender(clinic, other)
        if other_sender in grounded:
            return False
        return (other_sender != sender and limiter.free(other_sender)) or (
            _borrows(other) and limiter.may_borrow(other_sender))

    def urgent() -> bool:
        first = outbox.overtaking(clinic, utcnow(), row.priority, pager, handled)
        if first is not None and first.id != row.id and may_go(first):
            elsewhere.append(first)
            return True
        return False

    if limiter.wait(sender, urgent, borrow=_borrows(row)):
        return row  # or a more urgent row for its sender, which the claim looks for under the lock (_claim)
    limiter.take(_sender(clinic, elsewhere[-1]))
    return elsewhere[-1]


def _borrows(row: Message) -> bool:
    """A page or call to a nurse (outbox.priority_of), which may run ahead of its sender's pace (BORROW_SLOTS)."""
    return row.priority <= outbox.PRIORITY_PAGE


def _claim(clinic: Clinic, row: Message, handled: set[int], in_slot: bool) -> Message | None:
    """Claim the row to send now (outbox.claim: 'sending', one more attempt): `row`, or with `in_slot` (a paced
    pass: `row` took its sender's slot) the row that overtakes it (_overtaken), read under the write lock in the
    claim's own transaction. A red flag acted on as the slot came holds that lock until its page and the
    patient's urgent reply are committed, so the claim sees them: the page takes this slot rather than borrow
    the next, and the reply goes a slot sooner (issue 19: a red flag a few milliseconds before a prompt's slot had
    its reply handed over 2.0004 s after it, bench/red_flag.py part 2). Returns the row claimed, or None when
    another process took it first."""
    with transaction(clinic.db):
        if in_slot:
            row = _overtaken(clinic, row, handled)
        return row if outbox.claim(clinic, row.id, utcnow()) else None


def _overtaken(clinic: Clinic, row: Message, handled: set[int]) -> Message:
    """The row to send in the slot just waited for: `row`, or a more urgent one queued meanwhile for the same
    sender (an urgent reply that arrived while the sender's rate held a burst of prompts back, or a page that
    came due while no look was made: a wait of URGENT_POLL_SECONDS or less is slept through, and a page that
    came due in a longer one has borrowed a slot already, _next_in_slot). It takes this slot, not one after the
    rest of a slice (issue 19); the row it displaces stays queued and is read again with the next slice."""
    # the first row more urgent than `row` (a range of the queue's index), not the queue's front read past every
    # row the pass handled (outbox.due skips them one by one): this read is made under the write lock (_claim)
    first = outbox.overtaking(clinic, utcnow(), row.priority, None, handled)
    if first is not None and _sender(clinic, first) == _sender(clinic, row):
        return first
    return row


def _deliver_one(clinic: Clinic, gateway: Gateway, row: Message, callback: str | None) -> DeliveryOutcome:
    """Send one row claimed (_claim), have the outcome recorded and acted on."""
    try:
        if row.kind == "call":  # the same claim, scopes and retries as a text (monitoring.voice)
            sid = gateway.call(row.to_number, row.from_number, row.body, *voice.call_urls(clinic, row))
        else:
            sid = gateway.send(row.to_number, row.from_number, row.body, row.kind, callback)
    except GatewayError as error:
        return _failed(clinic, row, error)
    except Exception as error:  # a gateway bug must not lose the text: retry it like an outage
        log.exception("gateway raised unexpectedly for message %s", row.id)
        return _failed(clinic, row, GatewayError(type(error).__name__, None, True, "network"))
    with transaction(clinic.db):
        sent_at = utcnow()
        for failure in outbox.record_sent(clinic, row.id, sid, sent_at, row.from_number):
            alerts.delivery_failed(clinic, failure, sent_at)
    return DeliveryOutcome.of(row, "sent", None, row.error_scope is None)


def _failed(clinic: Clinic, row: Message, error: GatewayError) -> DeliveryOutcome:
    """Record a refused try and act on it (page the next nurse, open an `undeliverable` alert) in one commit."""
    with transaction(clinic.db):
        now = utcnow()
        outcome = outbox.record_failure(clinic, row, error.code, error.scope, error.retryable, error.message, now)
        alerts.delivery_failed(clinic, outcome, now)
    return outcome


def _sender(clinic: Clinic, row: Message) -> str:
    """Whose rate a row spends: the Messaging Service's pool for a text when there is one, else its number. The
    pager number (`[sms] pager_number`) always sends as itself, at its own rate: a burst of prompts from the
    main number or the service never holds a page back (messages.gateways.TwilioGateway does the same). The
    number is the one the row leaves from (outbox.in_force): a text queued from a number no longer in [sms]
    spends the pace of the number in force, not a pace of its own beside it."""
    service: str = clinic.config["sms"]["messaging_service_sid"]
    number = outbox.number_in_force(clinic, row)
    own = row.kind == "call" or clinic.is_pager(number)
    return number if own or not service else service


def _status_callback(clinic: Clinic) -> str | None:
    """Where Twilio posts a text's status changes (web.sms /sms/status), or None without a public address."""
    base: str = clinic.config["sms"]["public_base_url"]
    return base.rstrip("/") + "/sms/status" if base else None
