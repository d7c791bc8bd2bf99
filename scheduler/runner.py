"""APScheduler only decides *when* due work runs; the database decides *what* is due.

One interval job runs every `[scheduler] poll_seconds` (coalesced, one instance at a time). Before
each run it takes or renews a lease row, so of two processes (gunicorn workers, a second host) only
one works; when the holder dies the lease expires and another takes over. `wakeup()` runs the job
at once, called after a request commits texts so a nurse is paged within seconds.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from messages.gateways import gateway_for, sending_rate
from monitoring import lease
from monitoring.clinic import open_clinic
from scheduler.delivery import Gateway, RateLimiter
from scheduler.jobs import run_due_work

log = logging.getLogger("crswatch.scheduler")
LEASE = "scheduler"
JOB_ID = "due-work"


class Runner:
    """The process's scheduler: due work every poll, at once on wakeup, only while holding the lease."""

    def __init__(self, config: dict[str, Any], gateway: Gateway | None = None):
        self.config = config
        self.gateway = gateway or gateway_for(config)
        # The sender's rate limit holds for both backends, so a demo behaves like the real thing; a
        # Messaging Service's pool sends at the rate of all its senders; the pager number (pages, calls and
        # texts to staff) at one number's rate, beside it.
        pager: str = config["sms"].get("pager_number", "")
        self.limiter = RateLimiter(sending_rate(config["sms"]),
                                   {pager: float(config["sms"]["max_per_second"])} if pager else None)
        # Each run delivers about poll_seconds' worth at that rate, then looks again, so a page queued
        # during a burst waits at most one run.
        self.batch = max(1, int(sending_rate(config["sms"]) * config["scheduler"]["poll_seconds"]))
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.lock = threading.Lock()
        self.woken = threading.Event()
        self.last_clocks: tuple[float, float] | None = None  # (wall, monotonic) at the last pass

    def run_once(self) -> dict[str, int] | None:
        """Run due work while there is news: a wakeup that arrives during a run (APScheduler would skip
        it, one instance at a time) makes this run go round again, so a page never waits for the poll."""
        done: dict[str, int] | None = None
        for _ in range(20):  # bounded: a steady stream of wakeups still yields to the poll
            self.woken.clear()
            done = self._run_locked() or done
            if not self.woken.is_set():
                break
        return done

    def _run_locked(self) -> dict[str, int] | None:
        """Run due work if this process holds the lease; None when another process does."""
        with self.lock:
            clinic = open_clinic(self.config)
            try:
                held = lease.acquire(clinic, LEASE, self.holder, self.config["scheduler"]["lease_seconds"])
            finally:
                clinic.db.close()
            if not held:
                return None
            try:
                return run_due_work(self.config, self.gateway, self.limiter, self.batch,
                                    clock_step=self._clock_step(), holder=self.holder)
            except Exception:
                log.exception("due work failed; the next run tries again")
                return None

    def _clock_step(self) -> timedelta | None:
        """How much further the wall clock moved than the monotonic one since the last pass: a step
        (NTP, a restored VM, a hand-set date), since time itself moves both alike."""
        clocks = (time.time(), time.monotonic())
        last, self.last_clocks = self.last_clocks, clocks
        if last is None:
            return None
        return timedelta(seconds=(clocks[0] - last[0]) - (clocks[1] - last[1]))

    def start(self) -> None:
        """Start the interval job (its first run at once)."""
        self.scheduler.add_job(self.run_once, "interval", seconds=self.config["scheduler"]["poll_seconds"],
                               id=JOB_ID, coalesce=True, max_instances=1, next_run_time=datetime.now(UTC),
                               misfire_grace_time=None)
        self.scheduler.start()
        log.info("scheduler started (every %ss, holder %s)", self.config["scheduler"]["poll_seconds"], self.holder)

    def wakeup(self) -> None:
        """Run due work now (a request committed texts): a page leaves within seconds, not at the next poll."""
        self.woken.set()
        if self.scheduler.running:
            try:
                self.scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))
            except Exception:  # the job is between runs being rescheduled: the next poll picks it up
                log.debug("wakeup skipped", exc_info=True)

    def shutdown(self) -> None:
        """Stop the job, waiting for a run in progress, and give up the lease."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        clinic = open_clinic(self.config)
        try:
            lease.release(clinic, LEASE, self.holder)
        finally:
            clinic.db.close()
