"""Staff pause, resume and end a patient's monitoring (CONTRACT section 8).

A patient admitted to hospital, in the emergency department or in clinic is watched by the people
around them: while paused they get no check-in prompt or reminder, and a silence is not a missed
check-in (monitoring.checkins skips paused episodes). A text they send is still triaged, and a red
flag still pages the nurse. The patient gets one plain text when the texts stop and one when they
start again. Each change is audited (the audit log is what the timeline shows for it).

A paused episode keeps `status = 'active'` in the store (its phone stays taken, its window still
ends at `ends_at`); `paused_at` marks the pause. `episode_status` gives the status the API shows.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitoring import bodies, care
from monitoring.clinic import Clinic, Conflict, NotFound, ValidationError
from monitoring.rows import Episode, Patient
from monitoring.store import active_episode, from_text, patient_by_id, to_text, transaction

PAUSE_LABELS = {"admitted": "admitted to hospital", "in_clinic": "in clinic", "ed": "in the emergency department",
                "other": "other"}
LONGEST_PAUSE = timedelta(days=14)  # the longest episode enrollment allows (monitoring_hours <= 14 days)
SCHEDULER = "scheduler"


def episode_status(status: str, paused_at: str | None, opted_out_at: str | None) -> str:
    """'active' | 'paused' | 'ended' | 'opted_out' as the API shows it (CONTRACT section 8), from the episode's
    `status` and `paused_at` and the patient's `opted_out_at` (stored columns).

    An ended episode is 'ended' whatever else is true; a patient who texted STOP is 'opted_out' (not
    monitored: Twilio blocks our texts), before 'paused'."""
    if status == "ended":
        return "ended"
    if opted_out_at:
        return "opted_out"
    if paused_at:
        return "paused"
    return "active"


def _current(clinic: Clinic, patient_id: int) -> tuple[Patient, Episode]:
    """(patient, its active episode); NotFound for no patient, Conflict when monitoring is not active."""
    patient = patient_by_id(clinic.db, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id}", "patient_id")
    episode = active_episode(clinic.db, patient_id)
    if episode is None:
        raise Conflict("monitoring has already ended for this patient; record a new dose to start again", "episode")
    return patient, episode


def validate_pause(body: Any, now: datetime) -> tuple[str, datetime | None]:
    """(reason code, until or None) from `body` as monitoring.bodies.PauseRequest describes it (None: no body);
    `until` must be after `now` (aware UTC) and within LONGEST_PAUSE. Raises ValidationError naming the field."""
    paused = bodies.parse(bodies.PauseRequest, {} if body is None else body)
    until = paused.until
    if until is not None:
        if until <= now:
            raise ValidationError("until must be in the future", "until")
        if until > now + LONGEST_PAUSE:
            raise ValidationError("until must be within 14 days; resume by hand later instead", "until")
    return paused.reason, until


def pause(clinic: Clinic, patient_id: int, body: Any, actor: str, now: datetime) -> dict[str, Any]:
    """Stop check-ins for now: no prompt, reminder or missed check-in until resumed (by staff, or at `until`).

    Body {"reason": "admitted"|"in_clinic"|"ed"|"other", "until"?: ISO time}; `now` aware UTC, from the
    caller. Pausing a paused episode changes its reason and resume time without another text. Returns
    {"patient_id", "episode_id", "status", "until"}. Errors: ValidationError (400), NotFound (404), Conflict
    (409: monitoring ended).
    """
    reason, until = validate_pause(body, now)
    with transaction(clinic.db):
        patient, episode = _current(clinic, patient_id)
        already = episode.paused_at is not None
        # an open check-in is closed unanswered without counting as missed: the patient is in care
        clinic.db.execute(
            "UPDATE episodes SET paused_at = COALESCE(paused_at, ?), pause_reason = ?, pause_until = ?, "
            "next_checkin_at = NULL, checkin_sent_at = NULL, reminder_sent = 0, missed_count = 0 WHERE id = ?",
            [to_text(now), reason, to_text(until), episode.id])
        clinic.audit(actor, "episode.pause", f"patient:{patient_id}", episode=episode.id, reason=reason,
                     until=to_text(until), changed=already)
        if not already:
            care.reply_to_patient(clinic, patient, "monitoring_paused", care.text_values(clinic, now=now), kind="info",
                                  now=now)
    return {"patient_id": patient_id, "episode_id": episode.id, "status": "paused",
            "until": until.isoformat() if until else None}


def resume(clinic: Clinic, patient_id: int, actor: str, now: datetime) -> dict[str, Any]:
    """Check-ins start again: the first prompt is due at `now` (aware UTC, from the caller). Returns
    {"patient_id", "episode_id", "status": "active"}. NotFound (404) for no patient, Conflict (409) when
    monitoring is not paused."""
    with transaction(clinic.db):
        patient, episode = _current(clinic, patient_id)
        if episode.paused_at is None:
            raise Conflict("monitoring is not paused", "episode")
        _resume(clinic, patient, episode, actor, now)
    return {"patient_id": patient_id, "episode_id": episode.id, "status": "active"}


def _resume(clinic: Clinic, patient: Patient, episode: Episode, actor: str, now: datetime) -> None:
    assert episode.paused_at is not None  # the callers resume paused episodes only
    clinic.db.execute(
        "UPDATE episodes SET paused_at = NULL, pause_reason = NULL, pause_until = NULL, next_checkin_at = ?, "
        "checkin_sent_at = NULL, reminder_sent = 0, missed_count = 0 WHERE id = ?", [to_text(now), episode.id])
    paused_for = now - from_text(episode.paused_at)
    clinic.audit(actor, "episode.resume", f"patient:{patient.id}", episode=episode.id,
                 paused_minutes=int(paused_for.total_seconds() // 60))
    care.reply_to_patient(clinic, patient, "monitoring_resumed", care.text_values(clinic, now=now), kind="info",
                          now=now)


def resume_due(clinic: Clinic, now: datetime) -> int:
    """Resume every paused episode whose `until` has come by `now` (aware UTC; the scheduler's pass reads the
    clock once). Returns how many were resumed."""
    due = to_text(now)
    rows = clinic.db.execute(
        "SELECT id FROM episodes WHERE status = 'active' AND paused_at IS NOT NULL AND pause_until <= ?",
        [due]).fetchall()
    resumed = 0
    for row in rows:
        with transaction(clinic.db):
            episode = Episode.maybe(clinic.db.execute(
                "SELECT * FROM episodes WHERE id = ? AND status = 'active' AND paused_at IS NOT NULL "
                "AND pause_until <= ?", [row["id"], due]).fetchone())
            if episode is None:  # another scheduler or a nurse got there first
                continue
            patient = patient_by_id(clinic.db, episode.patient_id)
            assert patient is not None  # episodes.patient_id is a foreign key
            _resume(clinic, patient, episode, SCHEDULER, now)
            resumed += 1
    return resumed


def end(clinic: Clinic, patient_id: int, body: Any, actor: str, now: datetime) -> dict[str, Any]:
    """End monitoring early with a reason (`body` as monitoring.bodies.EndRequest: free text, at most 200
    characters) at `now` (aware UTC, from the caller): texts stop for good and the patient is told once. A
    red flag texted in the next days still pages (monitoring.inbound). Returns {"patient_id", "episode_id",
    "status": "ended"}. Errors: ValidationError (400), NotFound (404), Conflict (409: already ended)."""
    reason = bodies.parse(bodies.EndRequest, {} if body is None else body).reason
    with transaction(clinic.db):
        patient, episode = _current(clinic, patient_id)
        clinic.db.execute(
            "UPDATE episodes SET status = 'ended', ended_at = ?, end_reason = ?, ended_by = ?, next_checkin_at = NULL, "
            "checkin_sent_at = NULL, paused_at = NULL, pause_until = NULL WHERE id = ?",
            [to_text(now), reason, actor, episode.id])
        clinic.audit(actor, "episode.end", f"patient:{patient_id}", episode=episode.id, reason=reason)
        # also to a paused patient: they were told the texts would start again, and now they will not
        care.reply_to_patient(clinic, patient, "monitoring_ended", care.text_values(clinic, now=now), kind="info",
                              now=now)
    return {"patient_id": patient_id, "episode_id": episode.id, "status": "ended"}
