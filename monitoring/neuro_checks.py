"""The caregiver's daily neuro check: scheduled, sent, answered or missed, all timed by the database.

SOP 4 Workup (line 39): "Assess for concurrent symptoms of neurotoxicity"; the questions are modelled on
the ICE score's bedside items (Lee et al. 2019, the SOP's reference 1). A screen that prompts a
clinician's evaluation, not an ICE score.

Each check is a `neuro_checks` row: 'scheduled' with its `due_at` (the clinic's `[checkins]
neuro_check_time`, clinic time), 'sent' with its `answer_by` (one check-in interval later: "by the next
check-in"), then 'normal', 'changed' or 'missed' ('cancelled' when the episode ended or was paused, or no
caregiver is left to ask). Which episodes need their next check scheduled is kept as state too (the list
`neuro_checks_to_schedule`, fed by migration m013's triggers), so no step reads every episode. Every step
claims its row (a conditional UPDATE, or taking the episode off that list), so two schedulers never send a
check twice, and a restart loses nothing; no job per patient: `run_due_work` runs the three steps below.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from messages.neuro_check import has_more_than_answer, neuro_answer
from monitoring import alerts, care, checkins, operator
from monitoring.clinic import Clinic
from monitoring.config import parse_clock
from monitoring.rows import Patient
from monitoring.store import from_text, insert, loads, patient_by_id, to_text, transaction
from triage import replies
from triage.neuro_check import assess_neuro_check


def check_time(clinic: Clinic) -> str:
    """The clinic's `[checkins] neuro_check_time` ("HH:MM", clinic time), "" when the check is off."""
    time: str = clinic.checkins.get("neuro_check_time", "")
    return time


def next_due(clinic: Clinic, after: datetime) -> datetime:
    """The first neuro check time, in clinic time, strictly after `after` (UTC)."""
    clock = parse_clock("checkins.neuro_check_time", check_time(clinic))
    local = clinic.local(after)
    due = local.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    if due <= local:
        due = (local + timedelta(days=1)).replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    return due.astimezone(after.tzinfo)


# The schedule's basis, kept in service_state: a change of the check time or the clinic's timezone moves
# every episode's next check, so each active episode is looked at again (monitoring.operator's store).
BASIS = "neuro_check_basis"


def schedule(clinic: Clinic, now: datetime) -> int:
    """Give each episode on `neuro_checks_to_schedule` (migration m013: it may newly need a check) its next
    check when it is active, not paused, has a reachable caregiver, no check pending and ends after that
    check; take it off the list either way. Returns how many were scheduled.

    Reads only the episodes on the list (issue 19: the tick's cost grows with the work, not the enrolled),
    except once after the check time or the clinic's timezone changed (`_follow_basis`). With the check off,
    the list is emptied: switching it on puts every active episode back. `now`: aware UTC, the pass's."""
    _follow_basis(clinic, now)
    if not check_time(clinic):
        if clinic.db.execute("SELECT 1 FROM neuro_checks_to_schedule LIMIT 1").fetchone():
            with transaction(clinic.db):
                clinic.db.execute("DELETE FROM neuro_checks_to_schedule")
        return 0
    listed = clinic.db.execute("SELECT episode_id FROM neuro_checks_to_schedule").fetchall()
    if not listed:
        return 0
    due = next_due(clinic, now)
    scheduled = 0
    with transaction(clinic.db):
        for (episode_id,) in listed:
            claimed = clinic.db.execute("DELETE FROM neuro_checks_to_schedule WHERE episode_id = ?",
                                        [episode_id]).rowcount
            # read under the write lock: a pause or an end committed since the list was read counts
            episode = clinic.db.execute("SELECT id, patient_id, ends_at, status, paused_at FROM episodes WHERE id = ?",
                                        [episode_id]).fetchone()
            if not claimed or episode is None or not _wants_check(clinic, episode, due):
                continue
            insert(clinic.db, "neuro_checks", {
                "patient_id": episode["patient_id"], "episode_id": episode_id, "status": "scheduled",
                "due_at": to_text(due), "created_at": to_text(now)})
            scheduled += 1
    return scheduled


def _wants_check(clinic: Clinic, episode: sqlite3.Row, due: datetime) -> bool:
    """An active episode, not paused (its patient is in care: monitoring.episodes), ending after `due`, with a
    reachable caregiver and no check scheduled or sent."""
    if episode["status"] != "active" or episode["paused_at"] is not None or due >= from_text(episode["ends_at"]):
        return False
    if clinic.db.execute("SELECT 1 FROM caregivers WHERE patient_id = ? AND removed_at IS NULL "
                         "AND opted_out_at IS NULL LIMIT 1", [episode["patient_id"]]).fetchone() is None:
        return False
    pending = clinic.db.execute("SELECT 1 FROM neuro_checks WHERE episode_id = ? AND status IN ('scheduled', 'sent') "
                                "LIMIT 1", [episode["id"]]).fetchone()
    return pending is None


def _follow_basis(clinic: Clinic, now: datetime) -> None:
    """When the check time or the clinic's timezone changed since the last pass (a settings edit or a new
    config file), put every active episode back on the list: an episode left off because it ended before
    its next check may now end after it. A full read of the active episodes, once per change. The first
    pass on a database only records the basis (migration m013 listed every active episode)."""
    basis = {"time": check_time(clinic), "timezone": clinic.effective["clinic"]["timezone"]}
    known = operator.get(clinic.db, BASIS)
    if known == basis:
        return
    with transaction(clinic.db):
        if known is not None and basis["time"]:
            clinic.db.execute("INSERT OR IGNORE INTO neuro_checks_to_schedule (episode_id) "
                              "SELECT id FROM episodes WHERE status = 'active' AND paused_at IS NULL")
        operator.put(clinic.db, BASIS, basis, now)


def send_due(clinic: Clinic, now: datetime) -> int:
    """Send each due check to the patient's reachable caregivers, once; returns how many were sent. A check
    whose episode ended or is paused, or whose patient has no reachable caregiver left, is cancelled.
    `now`: aware UTC, the pass's."""
    if not check_time(clinic):
        return 0
    rows = clinic.db.execute(
        "SELECT n.id, n.episode_id, e.status AS episode_status, e.paused_at FROM neuro_checks n "
        "JOIN episodes e ON e.id = n.episode_id WHERE n.status = 'scheduled' AND n.due_at <= ?",
        [to_text(now)]).fetchall()
    values = care.text_values(clinic, now=now)
    sent = 0
    for row in rows:
        with transaction(clinic.db):
            check = clinic.db.execute("SELECT * FROM neuro_checks WHERE id = ?", [row["id"]]).fetchone()
            patient = patient_by_id(clinic.db, check["patient_id"])
            assert patient is not None  # neuro_checks.patient_id is a foreign key
            people = care.caregivers_of(clinic, patient.id)
            # a paused episode's patient is in care (monitoring.episodes): its check is cancelled, and its
            # resume lists it for the next one (migration m013's trigger)
            if row["episode_status"] != "active" or row["paused_at"] is not None or not people:
                clinic.db.execute("UPDATE neuro_checks SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'",
                                  [row["id"]])
                continue
            answer_by = now + timedelta(minutes=care.interval_minutes(clinic, patient.checkin_interval_minutes, False))
            claimed = clinic.db.execute(
                "UPDATE neuro_checks SET status = 'sent', sent_at = ?, answer_by = ? WHERE id = ? AND status = 'scheduled'",
                [to_text(now), to_text(answer_by), row["id"]]).rowcount
            if not claimed:
                continue
            for caregiver in people:
                # kind info: "prompt" is the patient's check-in (its count decides the first prompt's wording)
                care.text_caregiver(clinic, caregiver, patient, "neuro_check", values, kind="info", now=now)
            sent += 1
    return sent


def count_missed(clinic: Clinic, now: datetime) -> int:
    """A check unanswered by its `answer_by` is missed, and counted as a missed check-in (silence is a
    symptom: enough of them in a row page the nurse, as for the patient's own check-ins), unless the episode
    is paused by then (a paused patient's silence is not a missed check-in) or no longer active. A check
    counted is marked so (`counted_missed`, migration m017): an answer read later takes the miss back (`answer`).
    Returns how many checks were missed. `now`: aware UTC, the pass's."""
    rows = clinic.db.execute(
        "SELECT id, episode_id, patient_id FROM neuro_checks WHERE status = 'sent' AND answer_by <= ?",
        [to_text(now)]).fetchall()
    missed = 0
    for row in rows:
        with transaction(clinic.db):
            claimed = clinic.db.execute(
                "UPDATE neuro_checks SET status = 'missed' WHERE id = ? AND status = 'sent'", [row["id"]]).rowcount
            if not claimed:
                continue
            missed += 1
            paused = clinic.db.execute("SELECT paused_at FROM episodes WHERE id = ?", [row["episode_id"]]).fetchone()
            if paused is not None and paused["paused_at"] is not None:
                continue  # the patient is in care: a silence now is not a missed check-in (monitoring.episodes)
            counted = clinic.db.execute(
                "UPDATE episodes SET missed_count = missed_count + 1 WHERE id = ? AND status = 'active'",
                [row["episode_id"]]).rowcount
            if not counted:
                continue  # monitoring ended since the check went out: no silence to count, none to page for
            clinic.db.execute("UPDATE neuro_checks SET counted_missed = 1 WHERE id = ?", [row["id"]])
            checkins._escalate_if_silent(clinic, row["episode_id"], row["patient_id"], now)
    return missed


def _note_taken_back(clinic: Clinic, patient_id: int, answered_at: datetime) -> None:
    """A silence alert still active when a missed check's miss is taken back says so in its history (the nurse
    sees why the episode now shows one missed check-in fewer); the alert itself stays for a person to close.
    `answered_at`: aware UTC, when the answer arrived."""
    active = alerts.active_alert(clinic, patient_id)
    if active is not None and "missed_checkins" in loads(active.reasons, []):
        alerts.record_event(clinic, active.id, "miss_taken_back", answered_at,
                            note="the caregiver's daily check was answered before its deadline (at this time), "
                                 "but the answer was read after the check was counted missed")


def open_check(clinic: Clinic, patient_id: int, arrived: datetime) -> sqlite3.Row | None:
    """The patient's check a text that arrived at `arrived` (aware UTC, its message's `created_at`) answers, or
    None: the check sent and still waiting, or one `count_missed` marked missed after the text arrived (a text
    deferred by a flood or retried after a fault, read after the tick passed its `answer_by`). A text that
    arrived after a missed check's `answer_by` is not its answer."""
    check: sqlite3.Row | None = clinic.db.execute(
        "SELECT * FROM neuro_checks WHERE patient_id = ? AND (status = 'sent' OR (status = 'missed' AND answer_by > ? "
        "AND sent_at <= ?)) ORDER BY id DESC LIMIT 1",
        [patient_id, to_text(arrived), to_text(arrived)]).fetchone()
    return check


def answer(clinic: Clinic, check: sqlite3.Row, patient: Patient, caregiver: care.Caregiver,
           message: dict[str, Any], answered_at: datetime, processed_at: datetime | None = None) -> bool:
    """A caregiver's text while a check is open (`check` from open_check: 'sent', or 'missed' after the text
    arrived; either way the answer is recorded over it). Inside the caller's transaction. Returns True when the
    text still needs the patient's pipeline (it is not an answer, or it also carries a reading). `message`: its
    messages row.

    An answer recorded over a missed check takes back the missed check-in `count_missed` added for it, when that
    1 is still in the episode's `missed_count` (`counted_missed`: not when the check was missed while paused, nor
    when the count was reset since, e.g. by the patient's answer): the check was answered in time, and silence
    that never happened must not page the nurse. A page already sent for the silence stays open (a person was
    told) but, for a 'normal' answer leaving the count below `escalate_after_missed`, pages no one more
    (alerts.patient_answered, at `processed_at`, the processing's time; None: `answered_at`): the next person on
    call is not woken for it.

    'normal' is recorded and thanked (or left to the pipeline's reply when the text also has a reading);
    'changed' is recorded, stored as an urgent assessment, raises the alert, and the urgent reply goes to
    the patient and every caregiver (care.TO_EVERYONE); a reading in the same text goes on to the pipeline.
    `answered_at`: aware UTC, when the text arrived (its message's `created_at`); the answer, its assessment,
    alert and replies are dated by it, so a text retried after a fault counts from its arrival."""
    verdict = neuro_answer(message["body"])
    if verdict is None:
        return True
    clinic.db.execute(
        "UPDATE neuro_checks SET status = ?, answered_at = ?, caregiver_id = ?, message_id = ?, counted_missed = 0 "
        "WHERE id = ?", [verdict, to_text(answered_at), caregiver["id"], message["id"], check["id"]])
    if check["counted_missed"]:  # read in this transaction, as count_missed and any reset left it
        clinic.db.execute("UPDATE episodes SET missed_count = MAX(missed_count - 1, 0) WHERE id = ?",
                          [check["episode_id"]])
        _note_taken_back(clinic, patient.id, answered_at)
        missed = clinic.db.execute("SELECT missed_count FROM episodes WHERE id = ?", [check["episode_id"]]).fetchone()
        # 'changed' pages for itself below (raise_alert): no stand-down text just before its page
        if verdict == "normal" and missed is not None and missed[0] < clinic.checkins["escalate_after_missed"]:
            alerts.patient_answered(clinic, patient.id, processed_at or answered_at)  # the silence never was
    assessment = assess_neuro_check(verdict, clinic.hours, answered_at)
    writer = care.caregiver_as_writer(patient, caregiver)
    more = has_more_than_answer(message["body"])
    if verdict == "changed":
        care.store_assessment(clinic, patient.id, check["episode_id"], assessment, now=answered_at)
        alerts.raise_alert(clinic, patient.id, assessment.level, list(assessment.reasons),
                           episode_id=check["episode_id"], message_id=message["id"], now=answered_at)
    for key in replies.neuro_check_keys(assessment, more_in_text=more):
        care.reply_to_patient(clinic, writer, key, care.text_values(clinic, now=answered_at), now=answered_at)
    # a temperature or a pressure in the same text is still read and triaged (after 'changed', its reply
    # then says the earlier message is urgent: reply_still_urgent)
    return more
