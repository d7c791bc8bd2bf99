"""Due work: everything the clock makes happen, run once per call. The database says what is due."""
from __future__ import annotations

import logging

from monitoring import alerts, checkins, episodes, inbound, outbox
from monitoring.clinic import open_clinic

log = logging.getLogger("crswatch.scheduler")


def run_due_work(config: dict, gateway, limiter=None, batch: int = 500) -> dict:
    """One pass over all due work, in the order that keeps the counts right: episodes that ended stop
    first, pauses that reached their end resume, missed check-ins are counted before new prompts go out, and delivery runs last so every text
    queued by this pass leaves in it."""
    clinic = open_clinic(config)
    try:
        done = {
            "episodes_ended": checkins.end_episodes(clinic),
            "resumed": episodes.resume_due(clinic),
            "missed": checkins.count_missed(clinic),
            "reminders": checkins.send_reminders(clinic),
            "prompts": checkins.send_prompts(clinic),
            "repages": alerts.page_due(clinic),
            "inbound_retried": inbound.process_pending(clinic),
        }
        done.update(outbox.deliver_due(clinic, gateway, limiter, batch))
        return done
    finally:
        clinic.db.close()


def deliver_only(config: dict, gateway, limiter=None) -> dict:
    """Just the outbox: run right after a request committed texts, so a page leaves within seconds."""
    clinic = open_clinic(config)
    try:
        return outbox.deliver_due(clinic, gateway, limiter)
    finally:
        clinic.db.close()
