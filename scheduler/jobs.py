"""Due work: everything the clock makes happen, run once per call. The database says what is due."""
from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from monitoring import alerts, checkins, episodes, inbound, neuro_checks, operator, voice
from monitoring.clinic import Clinic, open_clinic
from monitoring.store import transaction, utcnow
from scheduler import delivery

log = logging.getLogger("crswatch.scheduler")


def run_due_work(config: dict[str, Any], gateway: delivery.Gateway, limiter: delivery.RateLimiter | None = None,
                 batch: int = 500, clock_step: timedelta | None = None, holder: str = "tick",
                 until: float | None = None, acting: AbstractContextManager[Any] | None = None) -> dict[str, int]:
    """One pass over all due work, in the order that keeps the counts right: the texts handed over by the
    webhooks first (inbound.process_waiting), then episodes that ended stop, pauses that reached their end resume, missed check-ins are counted before new prompts go out, and delivery runs last so every text
    queued by this pass leaves in it.

    `clock_step`: how much further the wall clock moved than the monotonic clock since the caller's
    last pass (the long-running scheduler measures it; a one-off `tick` cannot). The pass ends with the
    scheduler's heartbeat, the last sane time. `until`: when delivery starts no more texts (time.monotonic; the
    scheduler's lease, scheduler.runner), delivery.deliver_due. The long-running scheduler's inbound thread acts
    on handed-over texts too, at once (scheduler.runner); the pass still acts on those still waiting before it
    counts check-ins missed or re-pages, so an answer or an ACK that arrived in time is read first (each text is
    acted on once, whichever gets it). `acting`: held while the pass acts on them, the lock the caller's inbound
    thread holds while it does (scheduler.runner), so the two never parse the same texts side by side and race for
    the write lock: the pass waits for the thread's look, then finds what is left.
    """
    clinic = open_clinic(config)
    try:
        now = utcnow()  # the pass's one reading of the clock, for the steps that take it
        _check_clock(clinic, clock_step, now)
        done = {
            # first: the texts webhooks handed over (a red flag's page leaves in this pass's delivery), acted on as
            # the webhook would have, before the steps the clock makes happen: an answer that arrived before its
            # check-in's deadline is not counted missed, an ACK before the re-page stops it
            "inbound": _act_on_waiting_texts(clinic, now, acting or nullcontext()),
            "episodes_ended": checkins.end_episodes(clinic, now),
            "resumed": episodes.resume_due(clinic, now),
            "missed": checkins.count_missed(clinic, now),
            "reminders": checkins.send_reminders(clinic, now),
            "prompts": checkins.send_prompts(clinic, now),
            "neuro_checks_missed": neuro_checks.count_missed(clinic, now),
            "neuro_checks_scheduled": neuro_checks.schedule(clinic, now),
            "neuro_checks": neuro_checks.send_due(clinic, now),
            # an overdue call goes before the re-page, which would set the next round's call
            "calls": voice.calls_due(clinic, now),
            "handed_over": alerts.hand_over(clinic, now),
            "repages": alerts.page_due(clinic, now),
            "inbound_retried": inbound.process_pending(clinic, now),
        }
        done.update(delivery.deliver_due(clinic, gateway, limiter, batch, until))
        with transaction(clinic.db):
            operator.beat(clinic.db, utcnow(), holder)
        return done
    finally:
        clinic.db.close()


def _act_on_waiting_texts(clinic: Clinic, now: datetime, acting: AbstractContextManager[Any]) -> int:
    """inbound.process_waiting under `acting`, whose failure (a locked database, a bug) is logged and leaves the
    texts waiting for the next pass or look: it never stops the pass, whose delivery sends the pages already queued."""
    try:
        with acting:
            return inbound.process_waiting(clinic, now)
    except Exception:
        log.exception("acting on texts handed over by the webhooks failed; the rest of the pass goes on")
        return 0


def _check_clock(clinic: Clinic, clock_step: timedelta | None, now: datetime) -> None:
    """Record a wall-clock step: measured by the caller, or a heartbeat that lies in the future (the
    clock went back since the last pass, whichever process ran it). `now`: aware UTC, the pass's."""
    if clock_step is None:
        last = operator.heartbeat(clinic.db)
        if last is not None and last - now > operator.CLOCK_STEP_TOLERANCE:
            clock_step = now - last
    if clock_step is not None and abs(clock_step) > operator.CLOCK_STEP_TOLERANCE:
        with transaction(clinic.db):
            operator.clock_stepped(clinic.db, clock_step, now)


def deliver_only(config: dict[str, Any], gateway: delivery.Gateway,
                 limiter: delivery.RateLimiter | None = None) -> dict[str, int]:
    """Just the outbox: run right after a request committed texts, so a page leaves within seconds."""
    clinic = open_clinic(config)
    try:
        return delivery.deliver_due(clinic, gateway, limiter)
    finally:
        clinic.db.close()
