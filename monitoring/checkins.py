"""Check-ins: prompts, one reminder, missed check-ins, and the end of an episode.

All timing lives in the `episodes` row (`next_checkin_at`, `checkin_sent_at`), so a restart loses
nothing. Each step claims its row with a conditional UPDATE, so two schedulers never send the same
prompt twice. A paused episode (monitoring.episodes: the patient is in hospital, the ED or clinic)
gets no prompt or reminder and no missed check-in until it is resumed.

After downtime: a check-in that was sent and went unanswered past `missed_after_minutes` counts as
one miss, however long the outage; check-ins that were never sent (the service was down) are not
counted as missed, since the patient was never asked; and a patient whose prompt fell due during
the outage gets one prompt, not one per interval missed.
"""
from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from messages.gateways import sending_rate
from messages.texts import render
from monitoring import alerts, care, operator
from monitoring.clinic import Clinic
from monitoring.config import parse_clock
from monitoring.outbox import queue_text
from monitoring.store import patient_by_id, to_text, transaction

log = logging.getLogger("crswatch.checkins")


def _minutes(clinic: Clinic, key: str) -> timedelta:
    return timedelta(minutes=clinic.checkins[key])


# The longest a check-in can lie ahead (the longest interval a patient may have, patients.py): a later
# due time was written before the wall clock stepped back, and is taken as due now.
LONGEST_INTERVAL = timedelta(minutes=240 + 1)


def end_episodes(clinic: Clinic, now: datetime) -> int:
    """Episodes past `monitoring_hours` at `now` (aware UTC, the scheduler pass's clock): prompts stop and a
    closing text says so.

    Held while the wall clock is suspected of a forward step (monitoring.operator): a wrong date must
    not end everyone's monitoring. Returns how many ended.
    """
    if operator.clock_hold(clinic.db, now) is not None:
        return 0
    rows = clinic.db.execute(
        "SELECT e.id, e.patient_id FROM episodes e WHERE e.status = 'active' AND e.ends_at <= ?", [to_text(now)]
    ).fetchall()
    for row in rows:
        with transaction(clinic.db):
            claimed = clinic.db.execute(
                "UPDATE episodes SET status = 'ended', ended_at = ?, next_checkin_at = NULL, checkin_sent_at = NULL "
                "WHERE id = ? AND status = 'active'", [to_text(now), row["id"]]).rowcount
            if claimed:
                patient = patient_by_id(clinic.db, row["patient_id"])
                assert patient is not None  # episodes.patient_id is a foreign key
                care.reply_to_patient(clinic, patient, "episode_end", care.text_values(clinic, now=now), kind="info",
                                      now=now)
    return len(rows)


def count_missed(clinic: Clinic, now: datetime) -> int:
    """An open check-in unanswered for `missed_after_minutes` by `now` (aware UTC, the scheduler pass's clock) is
    missed; `escalate_after_missed` in a row page the nurse (clinician_review, "missed_checkins"). Returns how
    many were counted."""
    _repair_future_checkins(clinic, now)
    cutoff = to_text(now - _minutes(clinic, "missed_after_minutes"))
    rows = clinic.db.execute(
        "SELECT id, patient_id, checkin_sent_at FROM episodes WHERE status = 'active' AND paused_at IS NULL "
        "AND checkin_sent_at <= ?",
        [cutoff]).fetchall()
    for chunk in _chunks(rows):
        with transaction(clinic.db):
            for row in chunk:
                claimed = clinic.db.execute(
                    "UPDATE episodes SET missed_count = missed_count + 1, checkin_sent_at = NULL "
                    "WHERE id = ? AND checkin_sent_at = ?", [row["id"], row["checkin_sent_at"]]).rowcount
                if claimed:
                    _escalate_if_silent(clinic, row["id"], row["patient_id"], now)
    return len(rows)


def _repair_future_checkins(clinic: Clinic, now: datetime) -> None:
    """A check-in "sent" after now was sent before the wall clock stepped back: it counts from now,
    so silence is still noticed one `missed_after_minutes` later, not after the size of the step."""
    with transaction(clinic.db):
        repaired = clinic.db.execute(
            "UPDATE episodes SET checkin_sent_at = ? WHERE status = 'active' AND checkin_sent_at > ?",
            [to_text(now), to_text(now + timedelta(minutes=1))]).rowcount
    if repaired:
        log.warning("%s open check-ins were dated in the future (the clock stepped back); they count from now",
                    repaired)


def _escalate_if_silent(clinic: Clinic, episode_id: int, patient_id: int, now: datetime) -> None:
    missed = clinic.db.execute("SELECT missed_count FROM episodes WHERE id = ?", [episode_id]).fetchone()[0]
    if missed >= clinic.checkins["escalate_after_missed"]:
        # Silence is a symptom: confusion can stop a patient answering.
        alerts.raise_alert(clinic, patient_id, "clinician_review", ["missed_checkins"], episode_id=episode_id,
                           now=now)


# Rows claimed per transaction: each commit waits for the disk (synchronous=FULL), so ten thousand
# prompts in one-row transactions take seconds; a few hundred per commit keeps a tick short while a
# crash still loses at most one uncommitted chunk (its rows are simply due again).
CHUNK = 250


def _chunks(rows: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def send_reminders(clinic: Clinic, now: datetime) -> int:
    """One reminder for each check-in open `reminder_after_minutes` at `now` (aware UTC, the scheduler pass's
    clock), to the patient and every caregiver, outside quiet hours. Returns how many were sent."""
    if in_quiet_hours(clinic, now):
        return 0
    cutoff = to_text(now - _minutes(clinic, "reminder_after_minutes"))
    rows = clinic.db.execute(
        "SELECT e.id, e.patient_id, e.checkin_sent_at, p.phone, p.language FROM episodes e "
        "JOIN patients p ON p.id = e.patient_id "
        "WHERE e.status = 'active' AND e.paused_at IS NULL AND e.reminder_sent = 0 AND e.checkin_sent_at <= ? "
        "AND p.opted_out_at IS NULL",
        [cutoff]).fetchall()
    values = care.text_values(clinic, now=now)
    sent = 0
    for chunk in _chunks(rows):
        with transaction(clinic.db):
            for row in chunk:
                claimed = clinic.db.execute(
                    "UPDATE episodes SET reminder_sent = 1 WHERE id = ? AND reminder_sent = 0 AND checkin_sent_at = ?",
                    [row["id"], row["checkin_sent_at"]]).rowcount
                if claimed:
                    _queue_checkin_text(clinic, row, "reminder", values, now)
                    _remind_caregivers(clinic, row["patient_id"], values, now)
                    sent += 1
    return sent


def _remind_caregivers(clinic: Clinic, patient_id: int, values: dict[str, Any], now: datetime) -> None:
    """Silence asks the caregiver (issue 13): the reminder also goes to every caregiver, before any
    missed check-in can page the nurse ("We have not heard from <first name>. Please check on them")."""
    people = care.caregivers_of(clinic, patient_id)
    if people:
        patient = patient_by_id(clinic.db, patient_id)
        assert patient is not None  # caregivers.patient_id is a foreign key
        for caregiver in people:
            care.text_caregiver(clinic, caregiver, patient, "caregiver_reminder", values, kind="reminder", now=now)


def send_prompts(clinic: Clinic, now: datetime) -> int:
    """One prompt for every episode whose check-in is due at `now` (aware UTC, the scheduler pass's clock),
    however late the service is, outside quiet hours; the next is due one interval later (care.interval_minutes:
    hourly while febrile). Returns how many were due."""
    if in_quiet_hours(clinic, now):
        return 0
    rows = clinic.db.execute(
        "SELECT e.id, e.patient_id, e.next_checkin_at, e.checkin_sent_at, p.checkin_interval_minutes, p.phone, "
        "p.language FROM episodes e JOIN patients p ON p.id = e.patient_id "
        "WHERE e.status = 'active' AND e.paused_at IS NULL AND (e.next_checkin_at <= ? OR e.next_checkin_at > ?) "
        # +: sort the due rows, rather than walk every active episode in the index's order (issue 19)
        "AND p.opted_out_at IS NULL ORDER BY +e.next_checkin_at", [to_text(now), to_text(now + LONGEST_INTERVAL)]).fetchall()
    values = care.text_values(clinic, now=now)
    spread = _prompt_spread(clinic, len(rows))
    queued = 0
    for chunk in _chunks(rows):
        with transaction(clinic.db):
            for row in chunk:
                sent_at = now + timedelta(minutes=queued // spread) if spread else now
                interval = timedelta(minutes=care.interval_minutes(clinic, row["checkin_interval_minutes"],
                                                                     _last_febrile(clinic, row["id"])))
                # A check-in still open when the next falls due was not answered: it counts as missed
                # now, or a short interval would hide a silent patient forever.
                claimed = clinic.db.execute(
                    "UPDATE episodes SET checkin_sent_at = ?, reminder_sent = 0, next_checkin_at = ?, "
                    "missed_count = missed_count + (checkin_sent_at IS NOT NULL) "
                    "WHERE id = ? AND next_checkin_at = ?",
                    [to_text(now), to_text(now + interval), row["id"], row["next_checkin_at"]]).rowcount
                if claimed:
                    if row["checkin_sent_at"] is not None:
                        _escalate_if_silent(clinic, row["id"], row["patient_id"], now)
                    _queue_checkin_text(clinic, row, "prompt", values, now, send_after=sent_at if sent_at > now else None)
                    queued += 1
    return len(rows)


def _prompt_spread(clinic: Clinic, due: int) -> int:
    """How many of `due` prompts falling due together leave in each minute, or 0 for all at once (issue 19).

    As many a minute as the senders take (messages.gateways.sending_rate), and more when that would take
    longer than `[sms] prompt_spread_minutes`, so a burst (after an outage, or a morning's enrollments) is
    spread over the first minutes of its check-in interval instead of standing in the sender's queue. The
    check-in still opens now, so every prompt leaves before its reminder is due (the spread stops a minute
    short of `reminder_after_minutes`). Pages and urgent replies go first anyway (outbox.priority_of)."""
    minutes = int(min(clinic.config["sms"]["prompt_spread_minutes"], clinic.checkins["reminder_after_minutes"] - 1))
    per_minute = math.ceil(sending_rate(clinic.config["sms"]) * 60)
    if not minutes or due <= per_minute:
        return 0
    return max(per_minute, math.ceil(due / minutes))


def _last_febrile(clinic: Clinic, episode_id: int) -> bool:
    """Whether the episode's last temperature was a fever: a febrile patient who falls silent is still
    asked hourly (the SOP's 1 h end), not every two hours."""
    last = clinic.db.execute(
        "SELECT temperature_c FROM readings WHERE episode_id = ? AND temperature_c IS NOT NULL "
        "ORDER BY taken_at DESC, id DESC LIMIT 1", [episode_id]).fetchone()
    return bool(last and last["temperature_c"] >= clinic.thresholds.fever_c)


def _queue_checkin_text(clinic: Clinic, row: sqlite3.Row, kind: str, values: dict[str, Any], now: datetime,
                        send_after: datetime | None = None) -> None:
    """`row` carries patient_id, phone and language; `values` the clinic's name and phone, once a tick."""
    key = kind
    if kind == "prompt" and not clinic.db.execute(
            "SELECT 1 FROM messages WHERE patient_id = ? AND kind = 'prompt' LIMIT 1", [row["patient_id"]]).fetchone():
        key = "first_prompt"  # the first text says who writes, how often, and how to get help or stop
    body = render(key, row["language"], **values)
    queue_text(clinic, row["phone"], body, kind, patient_id=row["patient_id"], send_after=send_after, now=now)


def in_quiet_hours(clinic: Clinic, now: datetime) -> bool:
    """Quiet hours only if the clinic sets them (none by default: the SOP says every 1-2 h)."""
    start, end = clinic.checkins["quiet_start"], clinic.checkins["quiet_end"]
    if not start:
        return False
    begins, ends = parse_clock("checkins.quiet_start", start), parse_clock("checkins.quiet_end", end)
    local: time = clinic.local(now).time()
    if begins <= ends:
        return begins <= local < ends
    return local >= begins or local < ends  # spans midnight, e.g. 22:00-06:00
