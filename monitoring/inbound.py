"""A text arrives: keep it first, then understand it and act.

`receive_sms` commits the inbound row before anything else, so a failure later on loses nothing:
the row stays unprocessed and `process_pending` (run by every tick) tries it again.

Who acts on it (issue 19): in a gunicorn worker (no scheduler of its own), while the scheduler in its own
process holds its lease, freshly renewed (it delivers every reply and page, so nothing the text causes leaves
without it), the webhook commits the text to the hand-over queue, a file beside the database with its own write
lock (hand_over_queue), answers Twilio right after that commit, and so hands the text over. The scheduler's
inbound thread, woken by its watch within WATCH_SECONDS, moves every queued text into messages and acts on it
(`process_waiting`), several to a transaction, and wakes the run to deliver what they queued; each pass acts on
any still queued before its other work. Otherwise (`serve`, its scheduler in the same process; the simulator;
the cron `flask tick`; a scheduler that died) the request acts on the text itself, and a worker first takes
over what a dead scheduler left waiting. Each text is acted on once, whoever gets it: the transaction that acts
on it marks it processed, and skips a text already marked.

Two times (issue 18: the clock is read once per request or pass, then passed down): when the text ARRIVED
(its row's `created_at`, the receive commit's time), which times its readings and doses, resolves "30 min
ago" and routes a caregiver's text; and when it is PROCESSED (`now`, read once as processing starts, or the
tick's time for a text the tick retries), which the assessment, the alert, the check-in and the replies take.
"""
from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from messages.concern import concern
from messages.parse import (
    MedicationReport,
    Parsed,
    open_decimal,
    opt_command,
    parse,
    staff_ack,
    staff_ack_all,
)
from messages.texts import render
from monitoring import alerts, care, caregiver_texts, lease, operator, patients
from monitoring.clinic import Clinic
from monitoring.outbox import queue_text
from monitoring.rows import Episode, Patient
from monitoring.staff import staff_by_phone
from monitoring.store import (
    Database,
    StoreBusy,
    active_episode,
    connect,
    file_identity,
    from_text,
    patient_by_id,
    set_write_budget,
    storage_fault,
    to_text,
    transaction,
    utcnow,
)
from triage import replies
from triage.model import Assessment

log = logging.getLogger("crswatch.inbound")

MAX_PROCESSING_ATTEMPTS = 3
# A number sending more than this many texts a minute (a stuck phone, a robot, abuse) has the rest
# stored at once but processed by the scheduler, PENDING_PER_SENDER a pass: never lost, and never
# crowding out the other patients' texts.
INBOUND_BURST = 30
INBOUND_BURST_WINDOW = timedelta(minutes=1)
PENDING_PER_SENDER = 10
UNKNOWN_SENDER_QUIET = timedelta(hours=24)  # one generic reply a day, so two robots never ping-pong
# Texts one transaction of `process_waiting` acts on at most, and the time it keeps the database's write lock
# before it commits what it has. The webhooks that hand texts over never wait for that lock (their commit is to
# the hand-over queue's own file); what does is the scheduler's delivery, a status callback, the dashboard, the
# app's API: a few milliseconds. A shorter hold for a steady trickle (1.5 ms, when webhooks still committed
# to the database) capped the scheduler at about 2 texts a commit, each commit an fsync, plus the pause below:
# bench/webhook.py --quick, alternated: acted on 632/s and 686/s while 661/s and 766/s were answered; with this
# one hold throughout, 684/s and 697/s of 688/s and 702/s, and 7-8 ms from arrival to acted on at p99.
WAITING_BATCH = 128
WAITING_BATCH_SECONDS = 0.015
# The pause between two such transactions of one look (a backlog the hold cut), so another writer waiting for
# the lock (it looks every 0.2 ms: monitoring.store's writers' queue) takes it before the next.
WAITING_YIELD_SECONDS = 0.001
# How far after a pass's time a waiting text may have been stored by a webhook racing the pass (it waits for the
# next pass); one stored further ahead arrived before the wall clock stepped back (process_waiting).
ARRIVED_AHEAD = timedelta(seconds=1)
# Texts a webhook that finds no live scheduler takes over from a dead one's hand-over queue, beside its own.
ADOPTED_PER_TEXT = 5


@dataclass
class Received:
    """What `receive_sms` did: the stored text's messages id (None for a duplicate or a text handed over), whether
    Twilio sent a MessageSid already stored (a webhook retry: nothing is stored or done again), and the text's id
    in the hand-over queue (None: not handed over)."""

    message_id: int | None
    duplicate: bool
    queued: int | None = None


@dataclass(frozen=True)
class _Known:
    """What receive_sms read and stored, for process to use instead of reading it again (issue 19), valid
    while no other connection has committed since `data_version` (SQLite's PRAGMA data_version, read before
    the first of those reads)."""

    message: sqlite3.Row
    own: Patient | None
    cared: caregiver_texts.Cared | None  # None: not looked up (the phone is a patient's own)
    data_version: int
    # texts the sender sent in care.REPLY_WINDOW, this one included, counted with the flood limit's as it arrived
    # (care.reply_budget_spent: a throttle), used whatever data_version says
    sent_in_reply_window: int


@dataclass(frozen=True)
class _Ahead:
    """A text parsed before its transaction takes the write lock (issue 19): parse is pure (the body and the
    local time it arrived), and every text's work under the lock holds up every other worker's text. Used
    only for that same body and arrival time (a lone digit completing the text before it is parsed inside)."""

    body: str
    created_at: str
    parsed: Parsed
    said: replies.Said  # _said of the parsed body: what replies need of it (the concern too)
    # the clinic's settings_version it was parsed by (its time zone): an edit taken in since (Clinic.refresh, by
    # this text's transaction or an earlier text's in the same batch) means it is parsed again inside
    settings_version: int | None = None


def _parse_ahead(clinic: Clinic, message: sqlite3.Row) -> _Ahead | None:
    body = message["body"]
    if body is None or _LONE_DIGIT.match(body):
        return None
    parsed = parse(body, clinic.local(from_text(message["created_at"])))
    return _Ahead(body, message["created_at"], parsed, _said(parsed, body, message), clinic.settings_version)


def _data_version(clinic: Clinic) -> int:
    """Changes when another connection commits (never for this connection's own commits)."""
    return int(clinic.db.conn.execute("PRAGMA data_version").fetchone()[0])


# Twilio's most media in one MMS (NumMedia; https://www.twilio.com/docs/messaging/guides/webhook-request). A
# count past it is stored as this: a NumMedia past SQLite's integer failed the insert, and the text with it.
MAX_MEDIA = 10


def receive_sms(clinic: Clinic, *, sender: str, to: str, body: str, sid: str, hand_over: bool = False,
                media: int = 0) -> Received:
    """Store an inbound text, then process it. `sender` / `to` E.164, `body` the text, `sid` Twilio's
    MessageSid: the webhook's From, To, Body and MessageSid
    (https://www.twilio.com/docs/messaging/guides/webhook-request). Idempotent on the sid (Twilio retries a
    webhook it got no answer to). The row is committed first, at the arrival time read here; processing then
    reads the clock once (its `now`). A number sending INBOUND_BURST texts a minute has the rest deferred to
    the tick, unless the text may be a red flag. Never raises for a processing failure: the text is kept,
    the failure counted, and the tick retries it (MAX_PROCESSING_ATTEMPTS, then a clinician_review alert).
    `hand_over`: the caller has no scheduler in its own process (a gunicorn worker beside `flask --app app
    scheduler`): while the scheduler elsewhere runs (scheduler_processes), the text is committed to the hand-over
    queue (hand_over_queue) and left to it, and this returns at that commit. False (the simulator, `serve` with
    its own scheduler, whose thread acting at once is quickest and gains no core by handing over): acted on here.
    `media`: the pictures (or other media) the text carried, Twilio's NumMedia (an MMS); only counted (within
    0-MAX_MEDIA), never fetched. Raises sqlite3.DatabaseError or StoreBusy when the text cannot be stored (the
    webhook answers 503 and Twilio sends it again)."""
    arrived = utcnow()
    stamp = to_text(arrived)
    media = min(max(0, media), MAX_MEDIA)
    if hand_over and scheduler_processes(clinic, arrived):
        queue = _hand_over_queue_or_none(clinic)
        if queue is not None:  # the scheduler moves it into messages and acts on it: process_waiting
            try:
                queued = _queue_text(queue, sender=sender, to=to, body=body, sid=sid, media=media, stamp=stamp)
            except (sqlite3.Error, StoreBusy):  # locked past its wait, full, read-only: the database may still take it
                log.exception("the hand-over queue refused text %s; storing it and acting on it here", sid)
            else:
                if queue_file_moved(clinic):
                    # its file was deleted or replaced as the text was committed: it may sit where no scheduler
                    # looks; stored and acted on here (a scheduler that still reads that file skips it: _take_in)
                    log.error("the hand-over queue's file was replaced as text %s was committed to it; acting on it "
                              "here", sid)
                elif scheduler_processes(clinic, utcnow()):
                    return queued
                else:
                    # read again after the commit: the scheduler gave its lease up (stopped) since it was read above,
                    # and its last look may have come before this commit (a quiet night: the text waited for the
                    # next text from anyone). Acted on here, with what it left queued before it (_adopt_waiting);
                    # whoever moves it first acts on it (_take_in), the other skips it.
                    log.warning("the scheduler stopped as text %s was handed over to it; acting on it here", sid)
    # Read before the write lock (issue 19: every worker's text waits while one holds it), each read safe to
    # be a moment old: a MessageSid stored since is refused by messages.sid's UNIQUE constraint at the INSERT
    # (IntegrityError: a duplicate, as below); who the phone belongs to is as of the text's arrival, as the
    # row's patient_id always was (process reads it again under the lock unless nothing was committed since:
    # `version`, read first, so any commit after these reads invalidates them); the flood count is a throttle,
    # and a text from the same number committed meanwhile only moves it by one (the reply budget's count, taken
    # with it, is one too: care.reply_budget_spent). patient_id's foreign key cannot fail on a patient read
    # here: patients are never deleted.
    if hand_over:  # no live scheduler: what a dead one left queued was sent before this text, so taken in first
        _adopt_waiting(clinic, arrived)
    version = _data_version(clinic)
    if clinic.db.execute("SELECT 1 FROM messages WHERE sid = ?", [sid]).fetchone():
        return Received(None, True)
    arrival = _arrival(clinic, sender, body, arrived)
    try:
        with transaction(clinic.db):
            message = _store(clinic, arrival, sender=sender, to=to, body=body, sid=sid, media=media, stamp=stamp,
                             now_stamp=stamp)
    except sqlite3.IntegrityError:  # the same MessageSid raced in on another worker
        return Received(None, True)
    message_id = message["id"]
    if arrival.deferred:  # left to the tick (_store said so in the log)
        return Received(message_id, False)
    known = _Known(message, arrival.own, arrival.cared, version, arrival.in_reply_window + 1)
    now = utcnow()  # the processing's one reading of the clock
    try:
        process(clinic, message_id, known, now=now, received={sender: arrival.in_reply_window + 1})
    except Exception:
        log.exception("inbound message %s kept but not processed; the next tick retries it", message_id)
        _note_failure(clinic, message_id, now)
    return Received(message_id, False)


@dataclass(frozen=True)
class _Arrival:
    """Who sent a text and how many its number had sent, read as it arrived (receive_sms) or as the scheduler
    takes it from the hand-over queue (_take_in): `own` the phone's patient, `cared` the patients it is a
    caregiver for (None: not looked up), `patient` the one the text is stored against; `recent` its number's
    texts in INBOUND_BURST_WINDOW before it, `in_reply_window` in care.REPLY_WINDOW; `deferred`: past the flood
    limit and no red flag in it (the tick works it off)."""

    own: Patient | None
    cared: caregiver_texts.Cared | None
    patient: Patient | None
    recent: int
    in_reply_window: int
    deferred: bool


def _arrival(clinic: Clinic, sender: str, body: str, arrived: datetime) -> _Arrival:
    """Who sent the text and the flood count (_Arrival), as of now. `arrived`: aware UTC, when it arrived."""
    # the patient with an active episode on this phone, else the newest patient with it; else the one
    # patient this phone is a caregiver for (None when it cares for several: caregiver_texts asks which)
    own = _own_patient(clinic, sender)
    cared = caregiver_texts.cared_for(clinic, sender) if own is None else None
    patient = own if own is not None else (cared[0][0] if cared is not None and len(cared) == 1 else None)
    recent, in_reply_window = clinic.db.execute(
        "SELECT COUNT(*) FILTER (WHERE created_at >= ?), COUNT(*) FROM messages "
        "WHERE direction = 'in' AND from_number = ? AND created_at >= ?",
        [to_text(arrived - INBOUND_BURST_WINDOW), sender,
         to_text(arrived - max(INBOUND_BURST_WINDOW, care.REPLY_WINDOW))]).fetchone()
    deferred = recent >= INBOUND_BURST and not _may_be_red_flag(clinic, body, arrived)
    return _Arrival(own, cared, patient, int(recent), int(in_reply_window), deferred)


def _store(clinic: Clinic, arrival: _Arrival, *, sender: str, to: str, body: str, sid: str, media: int,
           stamp: str, now_stamp: str) -> sqlite3.Row:
    """INSERT the inbound text into messages, inside the caller's transaction: 'deferred' past the flood limit,
    else 'received' (acted on next, in the same or the next transaction). Its row as stored (defaults too,
    without reading it back). `stamp`: when it arrived (created_at); `now_stamp`: when it is stored (updated_at).
    Raises sqlite3.IntegrityError for a MessageSid stored already."""
    patient = arrival.patient
    row: sqlite3.Row = clinic.db.conn.execute(
        "INSERT INTO messages (direction, to_number, from_number, body, kind, patient_id, status, sid, "
        "created_at, updated_at, media_count) VALUES ('in', ?, ?, ?, 'reply', ?, ?, ?, ?, ?, ?) RETURNING *",
        [to, sender, body, patient.id if patient else None, "deferred" if arrival.deferred else "received",
         sid, stamp, now_stamp, media]).fetchall()[0]  # read to the end: no statement left open at COMMIT
    if arrival.deferred:
        log.warning("inbound message %s deferred: its number sent %s texts in a minute", row["id"], arrival.recent)
    return row


def scheduler_processes(clinic: Clinic, now: datetime) -> bool:
    """Whether a scheduler is running to act on a text handed over to it (the hand-over queue): its lease is held
    and was renewed within the last half lease (a pass renews it; one that has not for that long is dead, stuck
    or in a long delivery pass, and the webhook acts on the text itself). `now`: aware UTC. One read of the
    lease row (monitoring.lease.held)."""
    seconds = int(clinic.config["scheduler"]["lease_seconds"])
    return lease.held(clinic, lease.SCHEDULER, now, seconds, renewed_within=seconds / 2)


# The hand-over queue (issue 19): while a scheduler runs in its own process, a gunicorn worker commits each text
# to this SQLite file beside the database (its path + QUEUE_SUFFIX; WAL, synchronous=FULL: on disk before the
# 200, as in the database itself) and answers. The file has its own write lock, so a webhook never waits for a
# scheduler transaction acting on texts, nor that transaction for a webhook. The scheduler moves each queued text
# into messages in the transaction that acts on it (_take_in: a MessageSid already in messages, a move a crash
# left in the queue, is skipped, so no text is acted on twice), then deletes what it moved from the queue.
QUEUE_SUFFIX = "-inbound"
# The longest a webhook waits for the queue's write lock before it stores the text in the database instead: a
# webhook or the scheduler's delete holds it well under a millisecond; held longer, something is stuck on it.
QUEUE_WAIT_SECONDS = 1.0
_QUEUE_SCHEMA = ("CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, "
                 "from_number TEXT NOT NULL, to_number TEXT NOT NULL, body TEXT NOT NULL, "
                 "media_count INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)")


def hand_over_queue(clinic: Clinic) -> Database | None:
    """The connection to the clinic's hand-over queue file (QUEUE_SUFFIX), opened (and the file and its table
    created) on first use and kept with the clinic's database connection; None for an in-memory database. Raises
    sqlite3.DatabaseError when the file cannot be opened or created (a read-only or full disk)."""
    db = clinic.db
    if not isinstance(db, Database):  # a bare sqlite-utils connection (never this module's connect): no queue
        return None
    path = clinic.config["database"]["path"]
    if path == ":memory:":
        return None
    # the file deleted, replaced (a restore, a copy) or made a directory since it was opened: a commit on the kept
    # connection would go to a file no one else opens, a text answered 200 and never read; it is kept aside for
    # what was committed to it before (_moved_queue) and the file at the path is opened
    _moved_queue(clinic)
    if db.hand_over_queue is None:
        queue = connect(path + QUEUE_SUFFIX, busy_timeout_ms=db.busy_timeout_ms)
        try:
            queue.conn.execute(_QUEUE_SCHEMA)
        except sqlite3.Error:
            queue.close()
            raise
        db.hand_over_queue, db.hand_over_file = queue, file_identity(path + QUEUE_SUFFIX)
    return db.hand_over_queue


def queued_anywhere(clinic: Clinic) -> bool:
    """Whether a text waits in the hand-over queue, or in a connection kept to a queue file since deleted or
    replaced (_moved_queue). Opens the queue (hand_over_queue). One read of each queue's end."""
    try:
        queue = hand_over_queue(clinic)
    except sqlite3.Error:  # a directory in its place: what the old file still holds is read all the same
        moved = clinic.db.hand_over_moved if isinstance(clinic.db, Database) else None
        if moved is None:
            raise
        log.exception("the hand-over queue beside the database cannot be opened")
        queue = None
    moved = clinic.db.hand_over_moved if isinstance(clinic.db, Database) else None
    return any(newest_queued(each.conn) for each in (queue, moved) if each is not None)


def queue_file_moved(clinic: Clinic) -> bool:
    """Whether the hand-over queue connection kept with the clinic's database is no longer on the file at the
    queue's path (deleted, replaced, made a directory): the next hand_over_queue opens the file there."""
    db = clinic.db
    if not isinstance(db, Database) or db.hand_over_queue is None:
        return False
    return file_identity(clinic.config["database"]["path"] + QUEUE_SUFFIX) != db.hand_over_file


def _moved_queue(clinic: Clinic) -> Database | None:
    """The scheduler's hand-over queue connection whose file is no longer at the queue's path (deleted, replaced):
    the texts webhooks committed to it before they saw that are still read from it (process_waiting), until none
    is left. None when there is no such connection."""
    db = clinic.db
    if not isinstance(db, Database):
        return None
    if queue_file_moved(clinic):
        if db.hand_over_moved is not None:  # replaced twice before the first was emptied: the older one goes
            db.hand_over_moved.close()
        db.hand_over_moved, db.hand_over_queue = db.hand_over_queue, None
    return db.hand_over_moved


def queue_file_exists(database_path: str) -> bool:
    """Whether the hand-over queue file beside the database at `database_path` exists (a reader never creates it)."""
    return os.path.exists(database_path + QUEUE_SUFFIX)


def _hand_over_queue_or_none(clinic: Clinic) -> Database | None:
    """hand_over_queue, or None when the file cannot be opened: the webhook then stores and acts on the text in
    the database itself, as without a scheduler (a full disk fails that store too, answered 503)."""
    try:
        return hand_over_queue(clinic)
    except sqlite3.Error:
        log.exception("the hand-over queue beside the database cannot be opened; acting on the text here")
        return None


def _queue_text(queue: Database, *, sender: str, to: str, body: str, sid: str, media: int, stamp: str) -> Received:
    """Commit the text to the hand-over queue (one fsync'd commit); a MessageSid queued already is a duplicate
    (a retry of a text moved on since is skipped by the scheduler: _take_in). Waits at most QUEUE_WAIT_SECONDS
    for the queue's write lock (its writers hold it a moment each), then raises StoreBusy: the webhook stores the
    text in the database instead, within its own request's budget."""
    set_write_budget(queue, QUEUE_WAIT_SECONDS)
    with transaction(queue):
        rows = queue.conn.execute(
            "INSERT INTO inbound (sid, from_number, to_number, body, media_count, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sid) DO NOTHING RETURNING id",
            [sid, sender, to, body, media, stamp]).fetchall()
    return Received(None, not rows, queued=int(rows[0][0]) if rows else None)


def queued_texts(queue: Database, limit: int, arrived_by: datetime | None = None) -> list[sqlite3.Row]:
    """The texts in the hand-over queue, oldest first, at most `limit`; with `arrived_by` (aware UTC), those before
    the first that arrived after it, but no more than ARRIVED_AHEAD after it (it waits for the next pass:
    process_waiting). Not the texts behind that one: sent after it (a "7" that completes its "Temp 100."), they are
    acted on after it, though the wall clock stepped back between them and gave them an earlier arrival."""
    rows: list[sqlite3.Row] = queue.conn.execute("SELECT * FROM inbound ORDER BY id LIMIT ?", [limit]).fetchall()
    if arrived_by is None:
        return rows
    low, high = to_text(arrived_by), to_text(arrived_by + ARRIVED_AHEAD)
    return next((rows[:at] for at, row in enumerate(rows) if low < row["created_at"] <= high), rows)


def _take_in(clinic: Clinic, row: sqlite3.Row, now: datetime) -> _Known | None:
    """Move a queued text (`row`, the queue's) into messages, inside the caller's write transaction, as
    receive_sms stores one: who sent it and the flood count as of now, its arrival time its own. What was read and
    stored, for `process` (None: its MessageSid is in messages already, moved before a crash or stored by a
    webhook acting on a retry of it: nothing to do). `now`: aware UTC, the pass's time."""
    if clinic.db.conn.execute("SELECT 1 FROM messages WHERE sid = ?", [row["sid"]]).fetchall():
        return None
    version = _data_version(clinic)
    arrival = _arrival(clinic, row["from_number"], row["body"], from_text(row["created_at"]))
    message = _store(clinic, arrival, sender=row["from_number"], to=row["to_number"], body=row["body"],
                     sid=row["sid"], media=row["media_count"], stamp=row["created_at"], now_stamp=to_text(now))
    return _Known(message, arrival.own, arrival.cared, version, arrival.in_reply_window + 1)


def _act_on_queued(clinic: Clinic, row: sqlite3.Row, now: datetime, ahead: _Ahead | None = None) -> None:
    """Move a queued text into messages and act on it (a deferred one is left to the tick), inside the caller's
    write transaction. Raises what a bug raises: the caller rolls it back and keeps it (_keep_failed)."""
    known = _take_in(clinic, row, now)
    if known is not None and known.message["status"] != "deferred":
        process(clinic, known.message["id"], known, now=now, ahead=ahead)


def _act_on_queued_alone(clinic: Clinic, row: sqlite3.Row, now: datetime, ahead: _Ahead | None = None) -> int | None:
    """_act_on_queued in a savepoint of its own, inside the caller's write transaction: a text whose processing
    raises is rolled back alone and kept unprocessed (_keep_failed), and the texts beside it in the transaction
    commit. Returns the kept text's messages id, for the caller to count after its commit (_note_failure), else
    None. Raises a storage fault met while keeping it (the caller's transaction fails, the texts stay queued)."""
    clinic.db.conn.execute("SAVEPOINT queued_text")
    kept = None
    try:
        _act_on_queued(clinic, row, now, ahead)
    except Exception:
        log.exception("inbound text %s kept but not processed; the tick retries it", row["sid"])
        clinic.db.conn.execute("ROLLBACK TO queued_text")
        kept = _keep_failed(clinic, row, now)
    clinic.db.conn.execute("RELEASE queued_text")
    return kept


def _keep_failed(clinic: Clinic, row: sqlite3.Row, now: datetime) -> int | None:
    """A queued text whose processing raised (and was rolled back): stored in messages unprocessed, inside the
    caller's transaction, for the tick's retries (_note_failure, process_pending). Its messages id, or None when
    its MessageSid is there already. When even taking it in raises (a bug reading who sent it or counting its
    number's texts), it is stored bare (no patient: the retries read the sender again) rather than fail the
    caller's whole transaction, look after look, with every text queued behind it unread; a storage fault (a full
    disk) is raised: the caller's transaction fails and the texts stay queued, uncounted."""
    clinic.db.conn.execute("SAVEPOINT kept_text")
    try:
        known = _take_in(clinic, row, now)
    except Exception as error:
        if storage_fault(error) is not None:  # a full disk, a lock: the caller's transaction fails
            raise
        log.exception("inbound text %s could not be taken in; kept without its sender read, for the tick's retries",
                      row["sid"])
        clinic.db.conn.execute("ROLLBACK TO kept_text")
        message = _store(clinic, _Arrival(None, None, None, 0, 0, False), sender=row["from_number"],
                         to=row["to_number"], body=row["body"], sid=row["sid"], media=row["media_count"],
                         stamp=row["created_at"], now_stamp=to_text(now))
        clinic.db.conn.execute("RELEASE kept_text")
        return int(message["id"])
    clinic.db.conn.execute("RELEASE kept_text")
    return None if known is None else int(known.message["id"])


def _forget_queued(queue: Database, sids: list[str]) -> None:
    """Delete moved texts from the hand-over queue, by MessageSid (each is in messages once the move committed).
    Not by the queue's id: another scheduler (a lease handed over mid-batch) or an adopting webhook may have met
    a moved row, skipped it and deleted it before this delete, and SQLite gives a freed id to the next text
    queued, which this delete would then remove unmoved (a text answered 200 and never read). Not fsync'd
    (synchronous=NORMAL for this commit): a delete lost to a power cut leaves a text whose MessageSid is in
    messages, skipped when met again (_take_in)."""
    if not sids:
        return
    try:
        queue.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            with transaction(queue):
                queue.conn.execute(f"DELETE FROM inbound WHERE sid IN ({', '.join('?' * len(sids))})", sids)
        finally:
            queue.conn.execute("PRAGMA synchronous = FULL")
    except (sqlite3.Error, StoreBusy):  # harmless: met again, they are skipped and deleted then
        log.warning("%s texts moved from the hand-over queue could not be deleted from it; deleted when met again",
                    len(sids), exc_info=True)


def _adopt_waiting(clinic: Clinic, now: datetime) -> int:
    """Texts handed over to a scheduler that stopped before acting on them (its lease lapsed: this webhook
    processes its own text), the oldest first, ADOPTED_PER_TEXT of them: each webhook after takes a
    few more, so nothing waits for a scheduler that is not coming back. They were sent before the webhook's own
    text, so they are taken in and acted on before it is stored, as in their requests (a "Temp 100." before the
    "7" that completes it is asked about first; each counts toward the reply budget as it arrived). `now`: aware
    UTC, the webhook's time. One read of the hand-over queue when there are none (none while it cannot be opened).
    Returns how many were tried; a failure is kept and counted, or left queued (a storage fault), never raised."""
    queue = _hand_over_queue_or_none(clinic)
    if queue is None:
        return 0
    waiting = queued_texts(queue, ADOPTED_PER_TEXT)
    for row in waiting:
        try:
            with transaction(clinic.db):
                failed = _act_on_queued_alone(clinic, row, now)
        except Exception:  # not even kept (a storage fault): left queued, for the next webhook or scheduler
            log.exception("inbound text %s (left queued by a scheduler) could not be taken in", row["sid"])
            continue
        if failed is not None:
            _note_failure(clinic, failed, now)
        _forget_queued(queue, [row["sid"]])
    return len(waiting)


def _may_be_red_flag(clinic: Clinic, body: str, arrived: datetime) -> bool:
    """The cheap read a flooded text gets on arrival: a symptom, a plea for help, a low pressure or
    saturation, or a fever (one said as earlier too) means it is triaged and paged now, flood or not; only the rest
    waits.
    `arrived`: aware UTC, when the text arrived."""
    try:
        parsed = parse(body, clinic.local(arrived))
    except Exception:  # the parser never raises on any text (a property test); if it ever does, act now
        log.exception("parse failed on a flooded text; processing it at once")
        return True
    floors = clinic.thresholds
    return bool(
        (parsed.symptoms - parsed.denied_symptoms) or concern(body)
        or (parsed.spo2 is not None and parsed.spo2 < floors.spo2_floor)
        or (parsed.systolic is not None and parsed.systolic < floors.systolic_floor)
        or (parsed.temperature_c is not None and parsed.temperature_c >= floors.fever_c)
        # "101 at 2pm, now 99": a fever all the same (SOP 4 Grading), a high-risk patient's urgent (SOP 5 Grade 1)
        or any(fever.temperature_c >= floors.fever_c for fever in parsed.earlier_fevers))


def _own_patient(clinic: Clinic, phone: str) -> Patient | None:
    return patients.patient_for_phone(clinic, phone)


def _note_failure(clinic: Clinic, message_id: int, now: datetime) -> None:
    """Count a failed processing of the text; after MAX_PROCESSING_ATTEMPTS it is given up (status error)
    and, for a patient's text, a clinician_review alert asks a person to read it. `now`: aware UTC, the
    failed processing's time."""
    with transaction(clinic.db):
        clinic.db.execute("UPDATE messages SET attempts = attempts + 1, updated_at = ? WHERE id = ?",
                          [to_text(now), message_id])
        row = clinic.db.execute("SELECT attempts, patient_id FROM messages WHERE id = ?", [message_id]).fetchone()
        if row["attempts"] >= MAX_PROCESSING_ATTEMPTS:
            clinic.db.execute("UPDATE messages SET status = 'error', processed_at = ? WHERE id = ?",
                              [to_text(now), message_id])
            if row["patient_id"]:  # a person must read what the machine could not
                alerts.raise_alert(clinic, row["patient_id"], "clinician_review", ["unprocessed_message"],
                                   message_id=message_id, now=now)


def process_pending(clinic: Clinic, now: datetime, settle_seconds: int = 30) -> int:
    """Process the texts left unprocessed: deferred by a flood from their number, or interrupted by a crash or
    a bug (those older than `settle_seconds` s, so a text still being processed by its webhook is left alone).
    Each number gets at most PENDING_PER_SENDER a pass, so one flood is worked off without crowding out
    anyone else. `now`: aware UTC, the tick's time, which each text is processed at. Returns how many were
    tried; a failure is counted (`_note_failure`), never raised."""
    cutoff = to_text(now - timedelta(seconds=settle_seconds))
    # one stored more than ARRIVED_AHEAD after `now` arrived before the wall clock stepped back: retried now, not
    # once the clock has caught up with it (whoever acts on it first marks it: acted on once)
    rows = clinic.db.execute(
        "SELECT id, from_number, status FROM messages WHERE direction = 'in' AND processed_at IS NULL "
        "AND (created_at <= ? OR status = 'deferred' OR created_at > ?) ORDER BY id",
        [cutoff, to_text(now + ARRIVED_AHEAD)]).fetchall()
    per_sender: dict[str, int] = {}
    chosen: list[sqlite3.Row] = []
    for row in rows:
        per_sender[row["from_number"]] = per_sender.get(row["from_number"], 0) + 1
        if per_sender[row["from_number"]] <= PENDING_PER_SENDER:
            chosen.append(row)
    for row in chosen:
        try:
            process(clinic, row["id"], now=now)
        except Exception:
            log.exception("inbound message %s failed again", row["id"])
            _note_failure(clinic, row["id"], now)
    return len(chosen)


def newest_queued(conn: sqlite3.Connection) -> int:
    """The id of the newest text in the hand-over queue (`conn`: a connection to the queue file), or 0: the
    scheduler's watch (scheduler.runner) wakes its inbound thread when it is not 0, and that thread renews its
    lease only then. One read of the queue's end."""
    try:
        rows = conn.execute("SELECT MAX(id) FROM inbound").fetchall()  # to the end: no open snapshot
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):  # the file is being created: its table commits next
            return 0
        raise
    return int(rows[0][0] or 0)


def process_waiting(clinic: Clinic, now: datetime, limit: int = 1000) -> int:
    """Act on the texts webhooks handed over to the scheduler (the hand-over queue: receive_sms while a scheduler
    runs), oldest first, at most `limit` (the run goes round again for more). Each is moved into messages in the
    transaction that acts on it (_take_in), and several share one transaction, so one fsync'd commit covers them
    (issue 19): up to WAITING_BATCH, or as many as the lock's budget allows (below), each parsed before the lock
    is taken; after the commit they leave the queue. Each text is acted on inside a savepoint: a text whose
    processing raises is rolled back alone, stored unprocessed, counted (`_note_failure`) and left to the tick's
    retries (`process_pending`), and the others commit. `now`: aware UTC, the pass's time, which each text is
    processed at (its arrival time is its own; one that arrived after `now` waits for the next pass, which
    the watch wakes for, so none is processed before it arrived, unless it was stored more than ARRIVED_AHEAD
    after `now`: the wall clock stepped back since, and it is acted on now). A transaction keeps the lock
    WAITING_BATCH_SECONDS, then yields it for WAITING_YIELD_SECONDS. Returns how many were
    tried. Raises StoreBusy when the write lock cannot be had (the run tries again), sqlite3.DatabaseError when
    the queue cannot be read."""
    moved = _moved_queue(clinic)
    if moved is not None:  # its file was deleted or replaced: what webhooks committed to it before they saw that
        tried = _process_queue(clinic, moved, now, limit)
        if not moved.conn.execute("SELECT 1 FROM inbound LIMIT 1").fetchall():
            assert isinstance(clinic.db, Database)
            clinic.db.hand_over_moved = None
            moved.close()
        if tried:
            try:  # the file at the path opened now: the inbound thread's next short look reads it (_queue_changed)
                hand_over_queue(clinic)
            except sqlite3.Error:  # a directory in its place: the next look says so; these texts were acted on
                log.exception("the hand-over queue beside the database cannot be opened")
            return tried
    queue = hand_over_queue(clinic)
    if queue is None:
        return 0
    return _process_queue(clinic, queue, now, limit)


def _process_queue(clinic: Clinic, queue: Database, now: datetime, limit: int) -> int:
    """process_waiting on one hand-over queue connection."""
    # A text stored more than ARRIVED_AHEAD after `now` did not race this pass (a webhook's commit beats the
    # pass's read by milliseconds): it arrived before the wall clock stepped back, and waiting until the clock
    # caught up with it would hold a red flag for the size of the step. It is acted on now.
    rows = queued_texts(queue, limit, arrived_by=now)
    tried = 0
    ahead: dict[int, _Ahead | None] = {}
    while tried < len(rows):
        chunk = rows[tried:tried + WAITING_BATCH]
        for row in chunk:  # pure: before the lock (a text a batch's time left out is parsed once, not again)
            if row["id"] not in ahead:
                try:
                    ahead[row["id"]] = _parse_ahead(clinic, row)
                except Exception:  # never seen (a property test): parsed again inside, where it is counted alone
                    log.exception("inbound text %s could not be parsed before the lock", row["sid"])
                    ahead[row["id"]] = None
        clinic.prepare()
        failed: list[int] = []
        moved: list[str] = []
        with transaction(clinic.db):
            started = time.monotonic()
            for row in chunk:
                kept = _act_on_queued_alone(clinic, row, now, ahead[row["id"]])
                failed += [kept] if kept is not None else []
                moved.append(row["sid"])
                tried += 1
                if time.monotonic() - started >= WAITING_BATCH_SECONDS:
                    break
        _forget_queued(queue, moved)
        for message_id in failed:
            _note_failure(clinic, message_id, now)
        if tried < len(rows):
            time.sleep(WAITING_YIELD_SECONDS)
    return tried


def process(clinic: Clinic, message_id: int, known: _Known | None = None, *, now: datetime,
            ahead: _Ahead | None = None, received: Mapping[str, int] | None = None) -> None:
    """Understand a stored text (`message_id`, its messages row) and act on it, in one transaction: a patient's
    or a caregiver's text is triaged and answered, a staff phone's ACK acknowledges, a stranger gets one
    generic reply a day. Nothing happens for a text already processed. `known`: what receive_sms read as it
    stored the text, used when no other connection has committed since (else everything is read again); its
    text is parsed before the write lock is taken. `now`: aware UTC, the processing's time (the caller's one
    reading of the clock); the text's arrival time is its row's created_at. The clinic's settings are those in
    force as the transaction begins (Clinic.refresh: an edit committed since the request began applies).
    `ahead`, `received`: the text parsed, and its sender's texts counted for the reply budget
    (care.reply_to_patient), before the lock by a caller without `known` (process_waiting). Raises what a bug
    raises (the caller counts it: `_note_failure`)."""
    if known is not None and known.message["id"] != message_id:
        known = None  # what receive_sms read is another text's
    if ahead is None and known is not None:
        ahead = _parse_ahead(clinic, known.message)
    if known is not None:
        received = {known.message["from_number"]: known.sent_in_reply_window}
    clinic.prepare()
    with transaction(clinic.db):
        clinic.refresh()  # an admin's edit committed since the request began: triaged by the settings now
        if ahead is not None and ahead.settings_version != clinic.settings_version:
            ahead = None  # parsed in the time zone before that edit (process_waiting: maybe an earlier text took it in)
        if known is not None and _data_version(clinic) == known.data_version:
            message = known.message
        else:
            known = None
            message = clinic.db.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone()
        if message is None or message["processed_at"]:
            return
        # Marked read first, in the transaction that acts on it: what it raises reads "the patient's texts read so
        # far" (monitoring.pagefacts), which is this one and those before it, never a text another worker stored
        # after it (between its commit and this transaction) or one still deferred by a flood.
        clinic.db.execute("UPDATE messages SET processed_at = ?, status = 'processed' WHERE id = ?",
                          [to_text(now), message_id])
        sender = message["from_number"]
        is_ack = staff_ack(message["body"])[0]
        staff_command = is_ack and staff_by_phone(clinic, sender) is not None
        # An ACK from a staff or on-call phone is the nurse's, even where that phone is also a patient's
        # (enrolled before enrollment refused staff phones): the escalation must be stoppable by text.
        patient = None if staff_command else (known.own if known else _own_patient(clinic, sender))
        cared = [] if patient is not None else (
            known.cared if known and known.cared is not None else caregiver_texts.cared_for(clinic, sender))
        staff = staff_by_phone(clinic, sender) if patient is None else None
        if staff is not None and cared and not is_ack:
            staff = None  # a nurse who is also someone's caregiver: ACK is the nurse's, the rest the caregiver's
        if patient is not None:
            _from_patient(clinic, patient, message, now, ahead, received)
        elif cared and staff is None:  # a caregiver: their own commands and the neuro check here, the rest as the patient's text
            routed = caregiver_texts.route(clinic, cared, message, from_text(message["created_at"]),  # when it arrived
                                           processed_at=now)
            if routed is not None:
                _from_patient(clinic, routed.patient, routed.message, now, ahead, received)
        elif staff is not None:
            _from_staff(clinic, staff, message, now)
        else:
            _from_stranger(clinic, sender, now)


def _from_stranger(clinic: Clinic, sender: str, now: datetime) -> None:
    """A number that is no patient's, caregiver's or staff's: one generic reply a day (UNKNOWN_SENDER_QUIET)."""
    since = to_text(now - UNKNOWN_SENDER_QUIET)
    recent = clinic.db.execute(
        "SELECT 1 FROM messages WHERE direction = 'out' AND to_number = ? AND kind = 'info' AND patient_id IS NULL "
        "AND created_at >= ?", [sender, since]).fetchone()
    if recent:
        return
    values = care.text_values(clinic, now=now)
    queue_text(clinic, sender, render("unknown_sender", "en", **values), "info", now=now)


def _from_staff(clinic: Clinic, staff: dict[str, Any], message: sqlite3.Row, now: datetime) -> None:
    """A staff or on-call phone's text: an ACK acknowledges (alerts.acknowledge_by_text); STOP (Twilio's opt-out,
    which it acts on before us) is told to the operator and hands over what waits on that phone; START undoes
    that; anything else is answered that only ACK is read."""
    is_ack, alert_id = staff_ack(message["body"])
    opting = opt_command(message["body"])
    if opting is not None:  # Twilio has acted on it already (Advanced Opt-Out): no reply can reach a STOP
        if opting == "stop":
            operator.staff_opted_out(clinic.db, staff["phone"], staff["name"], message["to_number"], now)
            alerts.hand_over(clinic, now)  # an alert waiting only on this phone goes on now
        else:
            operator.staff_opted_in(clinic.db, staff["phone"])  # Twilio answered START itself
        return
    if not is_ack:
        queue_text(clinic, staff["phone"], render("staff_unreadable", "en"), "info", staff_id=staff["id"],
                   to_staff=True, now=now)
        return
    alerts.acknowledge_by_text(clinic, staff["phone"], staff["name"], alert_id, every=staff_ack_all(message["body"]),
                               now=now)


def _from_patient(clinic: Clinic, patient: Patient, message: caregiver_texts.Message, now: datetime,
                  ahead: _Ahead | None = None, received: Mapping[str, int] | None = None) -> None:
    """A patient's text (or a caregiver's, attributed: `patient` then marks its writer): commands, readings,
    doses and concerns, triaged and answered. `now`: aware UTC, the processing's time. `received`: the
    writer's texts in the reply window, counted as the text arrived (care.reply_to_patient)."""
    # When the text arrived, not when it is processed (a retry after a crash, or a deferred text):
    # readings and doses are timed by the patient's clock, and "30 min ago" counts from there.
    arrived = from_text(message["created_at"])
    body = _completed(clinic, message, arrived) or message["body"]
    if ahead is not None and ahead.body == body and ahead.created_at == message["created_at"]:
        parsed, said = ahead.parsed, ahead.said  # body is the text's own (a completed digit is never ahead)
    else:
        parsed = parse(body, clinic.local(arrived))
        said = _said(parsed, message["body"], message)
    episode = active_episode(clinic.db, patient.id)
    if parsed.command == "stop":
        _opt_out(clinic, patient, episode, message["id"], now)
        return
    if parsed.command == "start":
        clinic.db.execute("UPDATE patients SET opted_out_at = NULL WHERE id = ?", [patient.id])
        clinic.audit("patient", "patient.opt_in", f"patient:{patient.id}")
        # read again, opted in (the row is there: this transaction holds it)
        patient = patient_by_id(clinic.db, patient.id) or patient
    if parsed.command in ("start", "help"):
        _send(clinic, patient, replies.reply_keys(said), now, received=received)
        return
    if episode is None:
        _after_monitoring(clinic, patient, parsed, said, message, arrived, now, received)
        return
    # Doses first: "took tylenol, temp 101" must not be answered "take acetaminophen now".
    doses: list[replies.DoseAnswer] = []
    # with a reading, the doses' assessments join the reading's: one text, one assessment
    dose_checks: list[tuple[Assessment, int | None]] = []
    for report in parsed.medications:
        answer, check = _medication(clinic, patient, episode, report, message, arrived, now, answered=said.has_reading)
        doses.append(answer)
        dose_checks += [check] if check else []
    assessment = next_checkin = None
    if said.has_reading:
        assessment, next_checkin = care.record_reading(
            clinic, patient, episode, _reading_values(parsed), taken_at=arrived, source="sms", message_id=message["id"],
            with_doses=tuple(dose_checks), concern=said.concern, now=now, earlier=care.earlier_fevers(clinic, parsed, arrived))
    if said.concern and not (assessment is not None and assessment.level in care.ALERT_LEVELS):
        # "please call me", "chest pain", "I fell": a person must read it, whatever else the text says (with a
        # reading that raised an alert, the concern went with it: care.record_reading).
        alerts.raise_alert(clinic, patient.id, "clinician_review", [said.concern], episode_id=episode.id,
                           told=("reply_clinician_review",), message_id=message["id"], now=now)
        answered = said.has_reading or any(report.name == "acetaminophen" for report in parsed.medications)
        if not answered:  # a reading or an acetaminophen report in this text answered the check-in already
            care.answer_checkin(clinic, patient, episode, now=now)
    state = replies.State(urgent_alert_open=_urgent_alert_waiting(clinic, patient, now))
    _send(clinic, patient, replies.reply_keys(said, assessment, next_checkin, tuple(doses), state), now, episode,
          received)


# A temperature that ends the text with a decimal point ("Temp 100.", "temperatura 37,"): the patient may have
# sent the text before the digit after the point. SOP 4 Grading puts fever at >= 100.4 F (38.0 C), so "100."
# may be a fever or not: it is read as guessed (issue 14, fault 2), never answered "No fever now"; its lower
# bound is triaged (at or above the fever line, a fever whatever follows). A lone digit from the same phone
# within SPLIT_WINDOW, right after it, completes it ("7": 100.7) and is triaged as that reading.
_LONE_DIGIT = re.compile(r"^\s*(\d)\s*$")
SPLIT_WINDOW = timedelta(minutes=5)


def _completed(clinic: Clinic, message: caregiver_texts.Message, arrived: datetime) -> str | None:
    """A lone digit that completes the temperature the same phone's text just before it left open at its
    decimal point, as one text ("temp 100.7"); None otherwise. `arrived`: aware UTC, when this text arrived."""
    digit = _LONE_DIGIT.match(message["body"] or "")
    if digit is None:
        return None
    previous = clinic.db.execute(
        "SELECT body, created_at FROM messages WHERE direction = 'in' AND from_number = ? AND id < ? "
        "ORDER BY id DESC LIMIT 1", [message["from_number"], message["id"]]).fetchone()
    if previous is None or from_text(previous["created_at"]) < arrived - SPLIT_WINDOW:
        return None
    whole = open_decimal(previous["body"], parse(previous["body"], clinic.local(arrived)).temperature_raw)
    return None if whole is None else f"temp {whole}.{digit.group(1)}"


def _said(parsed: Parsed, body: str, message: caregiver_texts.Message | None = None) -> replies.Said:
    """What triage.replies needs of a parsed text (`message`, its messages row: the pictures it came with), as plain
    values."""
    return replies.Said(picture=bool(message is not None and message["media_count"]),
        command=parsed.command, has_reading=_has_reading(parsed), temperature_read=parsed.temperature_c is not None,
        temperature_guessed=parsed.temperature_guessed,
        symptoms_said=bool(parsed.symptoms or parsed.denied_symptoms),
        no_fever_claim=parsed.no_fever_claim, acknowledgement=parsed.acknowledgement, concern=concern(body))


def _send(clinic: Clinic, patient: Patient, chosen: tuple[replies.Reply, ...], now: datetime,
          episode: Episode | None = None, received: Mapping[str, int] | None = None) -> None:
    """Render and queue the chosen replies, each with the times its assessment and check-in name, said as of
    `now` (aware UTC, the processing's time). `episode`: the patient's active one, whose therapy the ED text
    names (else care.reply_to_patient looks up the newest episode's). `received`: care.reply_to_patient's."""
    for reply in chosen:
        values = care.text_values(clinic, reply.assessment, reply.next_checkin, patient.language, now=now)
        if episode is not None and episode.therapy:
            values["therapy"] = episode.therapy
        care.reply_to_patient(clinic, patient, reply.key, values, now=now, received=received)


def _urgent_alert_waiting(clinic: Clinic, patient: Patient, now: datetime) -> bool:
    """An urgent alert for this patient that no one has resolved: open, or acknowledged within the last
    `ack_timeout_minutes` before `now` (aware UTC). An ACK says the nurse has the page, not that anyone has spoken
    with the patient, so the earlier "call now / go to the ED" (SOP 5 Grade 1 Home, line 64: "recontact the clinic
    urgently or present to ED") stands while she has had no time to act; after
    that the reminder would end every calm reply for as long as the alert stays unresolved, days when a nurse
    forgets to resolve it, and a patient told the same alarm at every check-in learns to ignore it (the same
    window raise_alert gives an acknowledged alert before a red flag still there pages again)."""
    acted_since = to_text(now - timedelta(minutes=clinic.effective["escalation"]["ack_timeout_minutes"]))
    return clinic.db.execute(
        "SELECT 1 FROM alerts WHERE patient_id = ? AND level = 'urgent' AND (status = 'open' OR "
        "(status = 'acknowledged' AND acknowledged_at > ?))", [patient.id, acted_since]).fetchone() is not None


# Not in the SOP: CRS after a step-up dose usually starts within days, and a patient may text the
# number they know for a week or two after monitoring; two weeks covers the next step-up's interval.
RECENTLY_ENDED = timedelta(days=14)


def _has_reading(parsed: Parsed) -> bool:
    """A value, a symptom, a denial or an implausible value: the text is triaged as a reading."""
    return any(getattr(parsed, field) is not None for field in care.VITALS) or bool(
        parsed.symptoms or parsed.denied_symptoms or parsed.implausible)


def _medication(clinic: Clinic, patient: Patient, episode: Episode, report: MedicationReport,
                message: caregiver_texts.Message, arrived: datetime, now: datetime,
                answered: bool) -> tuple[replies.DoseAnswer, tuple[Assessment, int | None] | None]:
    """Acetaminophen is checked against the interval and the daily total; any other medicine is
    recorded for the nurse (an antipyretic masks fever) and the patient is pointed to the plan.

    Returns the answer for triage.replies, and, when the text also carries a reading (`answered`), the
    acetaminophen check (assessment, medication id) for the reading's assessment to take in; otherwise the
    check is stored here on its own. A dose with no time said was taken when the text `arrived`; `now` (aware
    UTC, the processing's time) is when it is checked and recorded (SOP line 64, care.check_acetaminophen)."""
    if report.name != "acetaminophen":
        if not report.asking:  # a question or a plan about a medicine is not a dose taken
            care.record_dose(clinic, patient, episode, report.name, given_at=report.taken_at or arrived,
                             dose_mg=report.dose_mg, source="sms", message_id=message["id"], now=now)
        return replies.DoseAnswer(report.name), None
    if not answered:
        assessment = care.patient_acetaminophen(
            clinic, patient, episode, given_at=report.taken_at or arrived, dose_mg=report.dose_mg,
            asking=report.asking, source="sms", message_id=message["id"], now=now)
        next_checkin = care.answer_checkin(clinic, patient, episode, now=now)
        return replies.DoseAnswer(report.name, assessment, next_checkin), None
    check = care.check_acetaminophen(
        clinic, patient, episode, given_at=report.taken_at or arrived, dose_mg=report.dose_mg,
        asking=report.asking, source="sms", message_id=message["id"], now=now)
    return replies.DoseAnswer(report.name, check[0]), check


def _after_monitoring(clinic: Clinic, patient: Patient, parsed: Parsed, said: replies.Said,
                      message: caregiver_texts.Message, arrived: datetime, now: datetime,
                      received: Mapping[str, int] | None = None) -> None:
    """Monitoring is over, but a red flag from a recent patient (an episode ended within RECENTLY_ENDED of when
    the text `arrived`) is never dropped: it is triaged against the last episode and pages the nurse; anything
    else gets the 'not active' reply. `now`: aware UTC, the processing's time."""
    recent = Episode.maybe(clinic.db.execute(
        "SELECT * FROM episodes WHERE patient_id = ? AND status = 'ended' AND ended_at >= ? ORDER BY id DESC LIMIT 1",
        [patient.id, to_text(arrived - RECENTLY_ENDED)]).fetchone())
    assessment = None
    if recent is not None and said.has_reading:
        assessment, _ = care.record_reading(clinic, patient, recent, _reading_values(parsed), taken_at=arrived,
                                            source="sms", message_id=message["id"], now=now,
                                            earlier=care.earlier_fevers(clinic, parsed, arrived))
    state = replies.State(episode="none" if recent is None else "ended_recently")
    _send(clinic, patient, replies.reply_keys(said, assessment, state=state), now, received=received)


# The parser names what it could not believe by what the patient wrote; triage by reading field.
IMPLAUSIBLE_FIELDS = {"temperature": "temperature_c", "blood_pressure": "systolic", "spo2": "spo2",
                      "heart_rate": "heart_rate"}


def _reading_values(parsed: Parsed) -> dict[str, Any]:
    """The reading's values for care.record_reading: the VITALS fields, the temperature as given and its
    unit, the symptoms said and denied, and the fields whose value was implausible."""
    return {
        **{field: getattr(parsed, field) for field in care.VITALS},
        "temperature_unit": parsed.temperature_unit,
        "temperature_given": care.temperature_given(parsed.temperature_raw),
        "symptoms": parsed.symptoms, "denied_symptoms": parsed.denied_symptoms,
        "implausible": {IMPLAUSIBLE_FIELDS.get(name, name) for name in parsed.implausible},
    }


def _opt_out(clinic: Clinic, patient: Patient, episode: Episode | None, message_id: int, now: datetime) -> None:
    """STOP (the text `message_id`) is honoured (Twilio blocks further texts) and the nurse is told: the patient is
    no longer watched. `now`: aware UTC, the processing's time."""
    clinic.db.execute("UPDATE patients SET opted_out_at = ? WHERE id = ?", [to_text(now), patient.id])
    clinic.audit("patient", "patient.opt_out", f"patient:{patient.id}")
    if episode is not None:
        alerts.raise_alert(clinic, patient.id, "clinician_review", ["opted_out"], episode_id=episode.id,
                           message_id=message_id, now=now)
    if clinic.config["sms"]["backend"] == "outbox":  # Twilio answers STOP itself and would refuse ours
        key = replies.reply_keys(replies.Said(command="stop"))[0].key
        queue_text(clinic, patient.phone, _render(patient, key, care.text_values(clinic, now=now)), "reply",
                   patient_id=patient.id, now=now)


def _render(patient: Patient, key: str, values: dict[str, str]) -> str:
    return render(key, patient.language, **values)

