"""APScheduler only decides *when* due work runs; the database decides *what* is due.

One interval job runs every `[scheduler] poll_seconds` (coalesced, one instance at a time). Before
each run it takes or renews a lease row, so of two processes (gunicorn workers, a second host) only
one works; when the holder dies the lease expires and another takes over. `wakeup()` runs the job
at once, called after a request commits texts so a nurse is paged within seconds; a request served by
another process (gunicorn workers beside `flask --app app scheduler`) cannot call it, so a watch thread
looks at the database every WATCH_SECONDS and wakes the run when a page or a reply came due. Those workers hand
their texts over to a running scheduler through the hand-over queue beside the database (monitoring.inbound,
issue 19): an inbound thread, looking at the queue every INBOUND_LOOK_SECONDS while idle (and woken by the watch
and by wakeups), acts on them while this process holds the lease, and each pass acts on any still queued before
its other work.
"""
from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from messages.gateways import gateway_for, sending_rate
from monitoring import inbound, lease, outbox
from monitoring.clinic import Clinic, open_clinic
from monitoring.store import Database, StoreBusy, file_identity, set_write_budget, utcnow
from scheduler.delivery import Gateway, RateLimiter
from scheduler.jobs import run_due_work

log = logging.getLogger("crswatch.scheduler")
LEASE = lease.SCHEDULER
JOB_ID = "due-work"
# How often the watch looks for texts another process committed (a gunicorn worker's page): a page waits at
# most this long for the run, instead of the poll (`[scheduler] poll_seconds`). A look is one PRAGMA read,
# and one indexed read of the queue's front when the database changed.
WATCH_SECONDS = 0.2
# How often the inbound thread renews the lease at most, while texts keep coming (a pass renews it too): the
# webhooks hand texts over only to a lease renewed within its last half (monitoring.inbound.scheduler_processes).
RENEW_SECONDS = 1.0
# Handed-over texts the inbound thread takes per look (it looks again at once while there were some).
INBOUND_PER_LOOK = 200
# How often the inbound thread, caught up, reads its own hand-over queue connection's PRAGMA data_version (a few
# microseconds): a text a webhook commits is acted on within this, not at the watch's next look (issue 19: under
# load the thread slept up to WATCH_SECONDS each time it caught up, and the texts piled up meanwhile) ...
INBOUND_LOOK_SECONDS = 0.005
# ... while it acted on a text within the last INBOUND_BUSY_SECONDS; quiet longer, every INBOUND_IDLE_LOOK_SECONDS
# (measured, an idle scheduler: 2.5% of a core looking every 5 ms, 0.65% every 50 ms, 0.2% with the watch alone; a
# red flag after a quiet hour is still read within this, not the watch's 0.2 s).
INBOUND_BUSY_SECONDS = 10.0
INBOUND_IDLE_LOOK_SECONDS = 0.05
# While texts keep coming, a look takes what waits at most every INBOUND_GATHER_SECONDS (from the start of the last
# look that took any): the texts a burst brings meanwhile are acted on together, in one transaction, one fsync'd
# commit and one write of each page they share (measured in process: 0.61 ms of CPU a text taken 5 at a time, 0.50
# taken 20 at a time; issue 19). A text after a quiet spell is looked at within INBOUND_LOOK_SECONDS as before; one
# in a burst waits at most this much longer for its look (a red flag's page, p99 under 1 s: bench/red_flag.py).
INBOUND_GATHER_SECONDS = 0.02


class WakeupSkipIsNotLost(logging.Filter):
    """Drops APScheduler's 'Execution of job ... skipped: maximum number of running instances reached' (WARNING):
    it comes whenever `wakeup()` asks for a run while one is in progress, and that run goes round again for the
    wakeup (Runner.run_once), so no work waits. In the console of `make run` it read as lost work. A pass that is
    slow for another reason still shows in /healthz and /metrics (the scheduler's heartbeat age)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the skip warning (dropped), True for every other record of APScheduler's scheduler."""
        return "maximum number of running instances reached" not in str(record.msg)


_apscheduler_log = logging.getLogger("apscheduler.scheduler")
if not any(isinstance(existing, WakeupSkipIsNotLost) for existing in _apscheduler_log.filters):
    _apscheduler_log.addFilter(WakeupSkipIsNotLost())


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
        # Each pass delivers about poll_seconds' worth at that rate (no more than half the lease's worth), then
        # looks again, so a page queued during a burst waits at most one pass; and it starts no text later than
        # half the lease after taking it (lease_half, whatever the texts cost: sends slower than the rate, a flood
        # of pages at the pager number's rate below a pool's): a pass that outlived the lease let a second
        # scheduler take it over and pace the same numbers beside it (twice the rate, the excess queued by Twilio
        # ahead of any later page). A pass cut short goes round again in the same run (run_once), renewing the
        # lease, while texts are left.
        scheduler = config["scheduler"]
        self.lease_half = scheduler["lease_seconds"] / 2
        self.pass_seconds = min(float(scheduler["poll_seconds"]), self.lease_half)
        self.batch = max(1, int(sending_rate(config["sms"]) * self.pass_seconds))
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.lock = threading.Lock()
        self.woken = threading.Event()
        self.last_clocks: tuple[float, float] | None = None  # (wall, monotonic) at the last pass
        self.stopped = threading.Event()
        self.watcher: threading.Thread | None = None
        self.watched: sqlite3.Connection | None = None  # the watch's own connection (watch_once), at its first look
        self.seen_version: int | None = None
        self.watched_file: tuple[int, int] | None = None  # the database file the watch's connection is on
        self.watched_queue: sqlite3.Connection | None = None  # the watch's connection to the hand-over queue file
        self.seen_queue_version: int | None = None
        self.watched_queue_file: tuple[int, int] | None = None  # the queue file the watch's connection is on
        self.queue_watch_failing = False  # its last look failed (logged once)
        self.woken_for = 0  # the newest due page or reply the watch woke the run for (outbox.newest_reply_or_page_due)
        self.acting = threading.Lock()  # held while this process acts on handed-over texts: thread or pass
        self.texts_waiting = threading.Event()  # a webhook handed a text over: the inbound thread acts on it
        self.inbound: threading.Thread | None = None
        self.inbound_clinic: Clinic | None = None  # the inbound thread's own connection, kept between looks
        self.inbound_file: tuple[int, int] | None = None  # the database file it is on (as the watch's)
        self.inbound_queue_version: int | None = None  # _queue_changed's last reading
        self.renewed_at = -RENEW_SECONDS  # time.monotonic of the inbound thread's last try at the lease
        self.holding = False  # what that try found
        self.acted_at = -INBOUND_BUSY_SECONDS  # time.monotonic when the inbound thread last acted on a text
        self.took_at = -INBOUND_GATHER_SECONDS  # time.monotonic when the last look that took texts started
        self.pass_started: float | None = None  # time.monotonic when the run's pass in progress took the lease

    def run_once(self) -> dict[str, int] | None:
        """Run due work while there is news: a wakeup that arrives during a run (APScheduler would skip
        it, one instance at a time) makes this run go round again, so a page never waits for the poll; so does
        a pass cut short by its batch or its time (delivery's cut_short: texts may be left). Not once the runner
        is stopping (shutdown waits for the run: a backlog's 20 passes were about 100 s of a SIGTERM)."""
        done: dict[str, int] | None = None
        for _ in range(20):  # bounded: a steady stream of wakeups still yields to the poll
            if self.stopped.is_set():  # shutdown waits for this run: the pass in progress ends it, not 19 more
                break
            self.woken.clear()
            ran = self._run_locked()
            done = ran or done
            # a pass cut short goes round at once, even at a poll's length: the poll's run that fell due meanwhile
            # was skipped (APScheduler, one instance at a time), and the next is a whole poll away
            more = ran is not None and ran.get("cut_short", 0) == 1
            if not self.woken.is_set() and not more:
                break
        return done

    def _run_locked(self) -> dict[str, int] | None:
        """Run due work if this process holds the lease; None when another process does."""
        with self.lock:
            taken = time.monotonic()  # the lease runs from here at the latest: the pass starts no text past half
            clinic = open_clinic(self.config)
            try:
                held = lease.acquire(clinic, LEASE, self.holder, self.config["scheduler"]["lease_seconds"])
            finally:
                clinic.db.close()
            if not held:
                return None
            self.pass_started = taken
            try:
                return run_due_work(self.config, self.gateway, self.limiter, self.batch,
                                    clock_step=self._clock_step(), holder=self.holder,
                                    until=taken + self.lease_half, acting=self.acting)
            except Exception:
                log.exception("due work failed; the next run tries again")
                return None
            finally:
                self.pass_started = None

    def _clock_step(self) -> timedelta | None:
        """How much further the wall clock moved than the monotonic one since the last pass: a step
        (NTP, a restored VM, a hand-set date), since time itself moves both alike."""
        clocks = (time.time(), time.monotonic())
        last, self.last_clocks = self.last_clocks, clocks
        if last is None:
            return None
        return timedelta(seconds=(clocks[0] - last[0]) - (clocks[1] - last[1]))

    def watch_once(self) -> bool:
        """One look for a commit from another process (a gunicorn worker, which cannot call `wakeup` here):
        when the database changed since the last look (PRAGMA data_version, which moves with every other
        connection's commit, the run's own too): a page, a call or a reply to a person due that is newer than any
        the watch woke the run for (outbox.newest_reply_or_page_due) wakes the run; a text committed to the
        hand-over queue wakes the inbound thread (_watch_queue). Rows the run has seen and left queued (an outage
        stops a pass after a few failures) wait for the poll: a run's commits must not wake the next run, pass after
        pass through an outage's backlog. Returns whether it woke it."""
        path = self.config["database"]["path"]
        identity = file_identity(path)
        if self.watched is not None and identity != self.watched_file:  # a file restored in place: look at it
            self._close_watch()
        if identity is None:  # missing (a restore under way): never create an empty file in its place
            return False
        try:
            self._watch_queue(path)
        except sqlite3.Error:  # a directory or no database in its place: the web acts on texts itself meanwhile,
            if not self.queue_watch_failing:  # and the pages it commits must still wake the run (below)
                log.exception("watching the hand-over queue failed; watching the database for pages goes on")
            self.queue_watch_failing = True
            self._close_queue_watch()
        else:
            self.queue_watch_failing = False
        if self.watched is None:  # autocommit, read only: no statement or transaction can hold a snapshot
            self.watched = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            # a restored file is another history: its ids may lie below the last the watch woke the run for
            self.watched_file, self.seen_version, self.woken_for = identity, None, 0
        # fetchall: a statement left open would hold a read snapshot, in which data_version never moves
        version = int(self.watched.execute("PRAGMA data_version").fetchall()[0][0])
        changed, self.seen_version = version != self.seen_version, version  # the first look is a change
        if not changed:
            return False
        newest = outbox.newest_reply_or_page_due(self.watched, utcnow(), after=self.woken_for)
        if newest is None:
            return False
        self.woken_for = newest
        self.wakeup()
        return True

    def _watch_queue(self, path: str) -> None:
        """Wake the inbound thread when a webhook committed a text to the hand-over queue beside the database at
        `path` since the last look (its PRAGMA data_version moved) and texts are queued (inbound.newest_queued).
        Nothing while the file does not exist (a webhook or the inbound thread creates it; the watch never does)."""
        identity = file_identity(path + inbound.QUEUE_SUFFIX)
        if self.watched_queue is not None and identity != self.watched_queue_file:  # deleted or replaced
            self._close_queue_watch()
            self.texts_waiting.set()  # the inbound thread reads what is left in the old file and opens the new one
        if self.watched_queue is None:
            if identity is None:
                return
            self.watched_queue = sqlite3.connect(path + inbound.QUEUE_SUFFIX, isolation_level=None,
                                                 check_same_thread=False)
            self.seen_queue_version, self.watched_queue_file = None, identity
        version = int(self.watched_queue.execute("PRAGMA data_version").fetchall()[0][0])
        changed, self.seen_queue_version = version != self.seen_queue_version, version
        if changed and inbound.newest_queued(self.watched_queue):
            self.texts_waiting.set()

    def process_inbound_once(self) -> int:
        """Act on up to INBOUND_PER_LOOK texts the webhooks handed over (monitoring.inbound.process_waiting), if
        this process holds the lease (renewed here at most every RENEW_SECONDS, so the webhooks keep handing texts
        over through a long delivery pass), then wake the run to deliver what they queued (a page, a reply).
        Returns how many were acted on: 0 when none waited or another process holds the lease."""
        identity = file_identity(self.config["database"]["path"])
        if self.inbound_clinic is not None and identity != self.inbound_file:  # a file restored in place: use it
            self._close_inbound()
        if identity is None:  # missing (a restore under way): never create an empty file in its place
            return 0
        if self.inbound_clinic is None:
            self.inbound_clinic, self.inbound_file = open_clinic(self.config), identity
        clinic = self.inbound_clinic
        looked = time.monotonic()
        if looked - self.renewed_at >= RENEW_SECONDS:
            if not inbound.queued_anywhere(clinic):
                return 0  # nothing to do: no lease renewed for it
            started = self.pass_started
            # Not while the run's pass has gone on longer than a pass does (it starts no text after half the lease):
            # it is stuck (a send that never returns), and a lease kept alive by the texts coming in would keep
            # the scheduler that takes over a lapsed lease from delivering any page. The lease lapses; the texts
            # already handed over are still acted on here, and the webhooks act on new ones after half a lease.
            # Tried at most every RENEW_SECONDS, held or not: with a runner in each gunicorn worker, a worker whose
            # runner does not hold the lease must not take the write lock for each text it hands over.
            if started is None or looked - started <= self.lease_half:
                self.holding = lease.acquire(clinic, LEASE, self.holder, self.config["scheduler"]["lease_seconds"])
            else:
                self.holding = lease.holds(clinic, LEASE, self.holder, utcnow())
            self.renewed_at = looked
        if not self.holding:
            return 0
        with self.acting:  # the pass acts on waiting texts too (run_due_work): one at a time
            done = inbound.process_waiting(clinic, utcnow(), limit=INBOUND_PER_LOOK)
        if done:
            self._wake_run()  # the thread itself looks again at once while it found texts (_inbound)
        return done

    def _inbound(self) -> None:
        """The inbound thread: acts on handed-over texts as soon as its own look at the hand-over queue (every
        INBOUND_LOOK_SECONDS while texts keep coming, else INBOUND_IDLE_LOOK_SECONDS: _queue_changed), the watch or
        a wakeup sees them, and at least every poll; a failure is logged, and the next look opens a new connection."""
        poll = float(self.config["scheduler"]["poll_seconds"])
        looked = time.monotonic()
        while not self.stopped.is_set():
            busy = time.monotonic() - self.acted_at < INBOUND_BUSY_SECONDS
            pause = INBOUND_LOOK_SECONDS if busy else INBOUND_IDLE_LOOK_SECONDS
            if not self.texts_waiting.wait(pause) and time.monotonic() - looked < poll:
                try:
                    if not self._queue_changed():
                        continue
                except sqlite3.Error:
                    log.exception("reading the hand-over queue's version failed; the next look opens it anew")
                    self._close_inbound()
                    continue
            self.texts_waiting.clear()
            looked = time.monotonic()
            try:
                if self._act_on_queue():
                    self.acted_at = time.monotonic()
            except Exception:
                log.exception("acting on texts handed over by the webhooks failed; the next look tries again")
                self._close_inbound()
        self._close_inbound()

    def _act_on_queue(self) -> bool:
        """process_inbound_once, again while a look took texts out of the hand-over queue (a backlog past
        INBOUND_PER_LOOK), each look INBOUND_GATHER_SECONDS at least after the start of the last that took any (a
        burst's texts gather meanwhile), not while the queue's oldest text stays where it was: texts moved whose
        delete from the queue fails (a read-only or full queue file) are met again and skipped, and looking again at
        once would take the database's write lock round after round (each webhook acting on a text itself waits for
        it); the next look comes when the queue changes, or at the poll. Returns whether it acted on any."""
        acted, oldest = False, _oldest_queued(self.inbound_clinic)
        while not self.stopped.is_set():
            gathering = self.took_at + INBOUND_GATHER_SECONDS - time.monotonic()
            if gathering > 0 and self.stopped.wait(gathering):  # a burst: the texts it brings meanwhile come along
                break
            started = time.monotonic()
            if not self.process_inbound_once():
                break
            self.took_at = started
            acted, before, oldest = True, oldest, _oldest_queued(self.inbound_clinic)
            if oldest is None or oldest == before:  # none left, or those left were met already
                break
        return acted

    def _queue_changed(self) -> bool:
        """Whether a webhook committed to the hand-over queue since the inbound thread last asked (the PRAGMA
        data_version of its own connection to it, which moves with every other connection's commit); False before
        its first look opened the queue."""
        clinic = self.inbound_clinic
        if clinic is None:
            return False
        queue = getattr(clinic.db, "hand_over_queue", None)
        if queue is None:
            return False
        if inbound.queue_file_moved(clinic):  # deleted or replaced: a look opens the file there (and reads the old)
            return True
        version = int(queue.conn.execute("PRAGMA data_version").fetchall()[0][0])
        changed, self.inbound_queue_version = version != self.inbound_queue_version, version
        return changed

    def _close_inbound(self) -> None:
        opened, self.inbound_clinic = self.inbound_clinic, None
        _close_quietly(opened.db if opened is not None else None)

    def _watch(self) -> None:
        """The watch's thread: a look every WATCH_SECONDS until shutdown; a failed look is logged, never fatal."""
        failing = False
        while not self.stopped.wait(WATCH_SECONDS):
            try:
                self.watch_once()
                failing = False
            except Exception:
                if not failing:  # once, not five times a second
                    log.exception("watching the database for texts to send failed; the poll still runs")
                failing = True
                self._close_watch()  # the next look opens the file anew (a storage fault, a repaired mount)
        self._close_watch()

    def _close_watch(self) -> None:
        watched, self.watched = self.watched, None
        self._close_queue_watch()
        _close_quietly(watched)

    def _close_queue_watch(self) -> None:
        queue, self.watched_queue = self.watched_queue, None
        _close_quietly(queue)

    def start(self) -> None:
        """Start the interval job (its first run at once), and the watch for texts other processes commit."""
        self.scheduler.add_job(self.run_once, "interval", seconds=self.config["scheduler"]["poll_seconds"],
                               id=JOB_ID, coalesce=True, max_instances=1, next_run_time=datetime.now(UTC),
                               misfire_grace_time=None)
        self.scheduler.start()
        self.watcher = threading.Thread(target=self._watch, name="crswatch-watch", daemon=True)
        self.watcher.start()
        self.inbound = threading.Thread(target=self._inbound, name="crswatch-inbound", daemon=True)
        self.inbound.start()
        log.info("scheduler started (every %ss, holder %s)", self.config["scheduler"]["poll_seconds"], self.holder)

    def wakeup(self) -> None:
        """Run due work now (a request committed texts): a page leaves within seconds, not at the next poll."""
        self.texts_waiting.set()  # a text this process's webhook handed over (the watch sees other processes')
        self._wake_run()

    def _wake_run(self) -> None:
        self.woken.set()
        if self.scheduler.running:
            try:
                self.scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))
            except Exception:  # the job is between runs being rescheduled: the next poll picks it up
                log.debug("wakeup skipped", exc_info=True)

    def shutdown(self) -> None:
        """Stop the job, the watch and the inbound thread (after the look it is in), waiting for a run in progress,
        give up the lease, then act on the texts the webhooks handed over meanwhile (_act_on_last_texts). What it
        does after the run waits STOP_WRITE_SECONDS in all for the write locks, and a storage fault met there is
        logged, not raised: the process still exits (the lease lapses by itself, texts left queued wait as
        before)."""
        self.stopped.set()
        self.texts_waiting.set()
        if self.watcher is not None:
            self.watcher.join()
        if self.inbound is not None:
            self.inbound.join()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if file_identity(self.config["database"]["path"]) is None:  # a restore under way: never an empty file there
            log.error("the database file is missing as the scheduler stops (a restore?): its lease lapses by itself")
            return
        try:
            clinic = open_clinic(self.config)
        except (sqlite3.Error, StoreBusy):
            log.exception("the database cannot be opened as the scheduler stops: its lease lapses by itself")
            return
        if isinstance(clinic.db, Database):  # always (monitoring.store.connect); a bare one has no budget
            set_write_budget(clinic.db, STOP_WRITE_SECONDS)
        try:
            held = lease.holds(clinic, LEASE, self.holder, utcnow())
            lease.release(clinic, LEASE, self.holder)
        except (sqlite3.Error, StoreBusy):  # locked past the budget (a stuck writer), read-only, full
            log.exception("giving the scheduler's lease up failed as it stops: it lapses %s s after its last renewal, "
                          "and texts handed over meanwhile wait for a webhook, the next scheduler or the tick",
                          self.config["scheduler"]["lease_seconds"])
            clinic.db.close()
            return
        try:
            if held:  # webhooks hand texts over while texts keep coming: they may still commit one, so look longer
                recently = time.monotonic() - self.acted_at < INBOUND_BUSY_SECONDS
                _act_on_last_texts(clinic, LAST_LOOK_SECONDS if recently else 0.0)
        finally:
            clinic.db.close()


# How long in all a stopping scheduler waits for the database's and the hand-over queue's write locks once its run
# has ended (giving its lease up, its last looks): held by something stuck (a sqlite3 shell, a backup), each
# transaction waited its busy timeout three times (about 40 s), and a deploy's stop timeout (Docker's 10 s)
# killed the process mid-look. A SIGTERM now takes the run in progress, then at most this and the last looks.
STOP_WRITE_SECONDS = 5.0


# How long a stopping scheduler, its lease given up, still looks at the hand-over queue: a webhook that read the
# lease just before it went commits within its wait for the queue's lock (monitoring.inbound.QUEUE_WAIT_SECONDS),
# and a moment to read the form and the lease before that.
LAST_LOOK_SECONDS = inbound.QUEUE_WAIT_SECONDS + 0.5


def _act_on_last_texts(clinic: Clinic, window: float) -> None:
    """Act on the texts webhooks handed over while the scheduler was stopping (after the inbound thread's last look,
    during the run it waited for) and, for `window` s (LAST_LOOK_SECONDS while texts were coming, else one look,
    and longer once a look found one), until they see the lease given up: the page and reply each
    causes wait in the outbox for the next scheduler, a restart's first pass, and the dashboard and the alert's
    escalation see them. Left in the queue, a red flag waited unread for the next text from anyone (a quiet night:
    hours), the next scheduler, or the tick. The looks end when another scheduler has taken the lease over (the
    webhooks hand texts over to it: looking while texts came went on for as long as they came), and when a look
    leaves the queue's oldest text where it was (moved but not deleted: a read-only or full queue file, its lock
    held; met again, such texts are skipped and counted, and the looks went round for ever, as the inbound
    thread's would: Runner._act_on_queue). The queue's deletes wait no longer for its lock than the database's
    transactions do (clinic.db's write budget). A failure is logged: what is left waits as before."""
    deadline = time.monotonic() + window
    acted = 0
    try:
        queue = inbound.hand_over_queue(clinic)
        budget = getattr(clinic.db, "write_deadline", None)
        if queue is not None and budget is not None:
            set_write_budget(queue, max(0.0, budget - time.monotonic()))
        while True:
            if inbound.scheduler_processes(clinic, utcnow()):  # another took the lease over: what is queued is its
                break
            oldest = _oldest_queued(clinic)
            done = inbound.process_waiting(clinic, utcnow())
            if done and not acted:
                deadline = max(deadline, time.monotonic() + LAST_LOOK_SECONDS)
            acted += done
            if done and oldest is not None and _oldest_queued(clinic) == oldest:
                log.warning("texts moved from the hand-over queue could not be deleted from it as the scheduler "
                            "stopped; the next scheduler or webhook skips and deletes them")
                break
            if not done and time.monotonic() >= deadline:
                break
            if not done:
                time.sleep(0.05)
    except Exception:
        log.exception("acting on the texts handed over while the scheduler stopped failed; the next scheduler, a "
                      "webhook finding none, or the tick acts on them")
        return
    if acted:
        log.info("acted on %s texts handed over while the scheduler stopped; their replies and pages leave with the "
                 "next scheduler or tick", acted)


def _oldest_queued(clinic: Clinic | None) -> str | None:
    """The MessageSid of the oldest text in the hand-over queue connection kept with `clinic`'s database (None:
    none, or not open); not its id, which SQLite gives again to a text queued once the queue was emptied."""
    queue = getattr(clinic.db, "hand_over_queue", None) if clinic is not None else None
    if queue is None:
        return None
    rows = queue.conn.execute("SELECT sid FROM inbound ORDER BY id LIMIT 1").fetchall()
    return str(rows[0][0]) if rows else None


def _close_quietly(connection: Any) -> None:
    """Close a connection (sqlite3's or sqlite-utils') that may be broken already (a storage fault, a file
    replaced): its error changes nothing, the next look opens a new one. None: nothing open."""
    if connection is not None:
        try:
            connection.close()
        except sqlite3.Error:
            pass
