"""Readings and doses in, triage, and what follows: the assessment, the alert, the reply, the next check-in.

Shared by the SMS webhook and the patient app, so a reading is triaged the same way whichever road
it took. Each function runs inside the caller's transaction.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any

import triage
from messages.parse import Parsed
from messages.texts import SEND_FIRST, clock_text, format_phone, render
from monitoring import alerts, rows
from monitoring.clinic import Clinic
from monitoring.outbox import queue_text
from monitoring.rows import Episode, Patient
from monitoring.store import dumps, from_text, insert, loads, to_text
from triage import replies
from triage.model import Assessment, Dose, History, Profile, Reading
from triage.ranges import PLAUSIBLE_RANGES, trusted

ALERT_LEVELS = ("clinician_review", "urgent")
SPECIFIC_FEVER = {"high_risk_fever", "recurrent_fever", "persistent_fever", "protracted_fever"}
VITALS = ("temperature_c", "systolic", "diastolic", "spo2", "heart_rate")


def profile(patient: Patient, episode: Episode) -> Profile:
    """What triage judges a reading by: the episode's dose time, the patient's baselines (systolic mmHg, SpO2 %;
    None when not recorded) and high-risk flag."""
    return Profile(
        dose_given_at=from_text(episode.dose_given_at),
        baseline_systolic=patient.baseline_systolic,
        baseline_spo2=patient.baseline_spo2,
        high_risk=bool(patient.high_risk),
    )


def _reading(row: rows.Reading) -> Reading:
    """A stored reading as triage reads it."""
    return Reading(
        taken_at=from_text(row.taken_at), temperature_c=row.temperature_c, systolic=row.systolic,
        diastolic=row.diastolic, spo2=row.spo2, heart_rate=row.heart_rate,
        symptoms=frozenset(loads(row.symptoms, [])), denied_symptoms=frozenset(loads(row.denied_symptoms, [])),
    )


def _readings(clinic: Clinic, sql: str, params: list[Any]) -> list[rows.Reading]:
    """The readings a `SELECT * FROM readings ...` finds, typed."""
    return [rows.Reading.from_row(row) for row in clinic.db.execute(sql, params)]


def _dose(row: sqlite3.Row) -> Dose:
    return Dose(name=row["name"], given_at=from_text(row["given_at"]), dose_mg=row["dose_mg"])


def episode_doses(clinic: Clinic, patient_id: int, episode: Episode) -> tuple[Dose, ...]:
    """Doses from a day before the episode's dose on (acetaminophen taken the evening before still counts
    toward the interval and the 24 h total), oldest first. Tocilizumab limits are checked by
    monitoring.medications on their own query. A few a day: this does not grow with the readings."""
    since = to_text(from_text(episode.dose_given_at) - timedelta(days=1))
    doses = clinic.db.execute(
        "SELECT name, given_at, dose_mg FROM medications WHERE patient_id = ? AND given_at >= ? ORDER BY given_at, id",
        [patient_id, since]).fetchall()
    return tuple(_dose(d) for d in doses)


@dataclass(frozen=True)
class Past(History):
    """What `history` loads for triage (a History), with the fever's reset it found among the episode's stored
    readings taken at or before the new one (None: no normal temperature ends the fever), which
    `record_reading` keeps as episode state once the new reading is stored (`keep_fever_reset`)."""

    fever_reset: Reading | None = None


# The fever's reset kept by the episode is judged by these, with the doses up to its `fever_reset_through`:
# raise the version when what triage.fever_reset reads changes in code (the plausible temperatures, which a
# release may narrow, are in the key by themselves).
FEVER_RESET_VERSION = 1


def _fever_reset_key(clinic: Clinic, doses: tuple[Dose, ...], through: str) -> str:
    """What the kept reset holds for: the thresholds, the temperatures triage believes (triage.ranges: a reading
    outside them resets nothing), and the doses given at or before `through` (stored time text). A dose reported
    late, an edited dose, a new fever line or a release that narrows the plausible temperatures changes it; a
    dose given later masks no reading kept (masking looks only at doses before the reading)."""
    return _judged_by(FEVER_RESET_VERSION, clinic.thresholds, PLAUSIBLE_RANGES["temperature_c"],
                      tuple(d for d in doses if to_text(d.given_at) <= through))


@lru_cache(maxsize=256)
def _judged_by(*judged: Any) -> str:
    """A short digest of what kept episode state was judged by (`judged`: all hashable, its version first), the
    key it holds for (_fever_reset_key, _sign_key); cached, as each reading asks for each key twice with the same
    values (under the write lock)."""
    return hashlib.blake2b(repr(judged).encode(), digest_size=16).hexdigest()


def _fever_reset(clinic: Clinic, episode: Episode, state: sqlite3.Row, at: str,
                 doses: tuple[Dose, ...]) -> Reading | None:
    """triage.fever_reset over the episode's stored readings taken at or before `at` (stored time text):
    through the reset the episode keeps (m016; `state`: its episodes row as of now) and only the readings
    since it, when that state holds for these thresholds and doses; else by walking every normal temperature
    newest first (a late reading, a dose reported late, a new fever line, or an episode from before the state
    was kept)."""
    fever_c = clinic.thresholds.fever_c
    through, kept = state["fever_reset_through"], None
    if through is None or through > at or state["fever_reset_key"] != _fever_reset_key(clinic, doses, through):
        through = None  # the state does not hold here: walk from the episode's start
    elif state["fever_reset_at"] is not None:
        kept = Reading(taken_at=from_text(state["fever_reset_at"]), temperature_c=state["fever_reset_c"])
    # No lower bound on the walk from the start: a newest-first scan tests it on every index entry it passes
    # (about 13% more a walk; a late reading then costs what it did before the state was kept).
    since_kept = "" if through is None else "AND taken_at > ? "
    normal = clinic.db.execute(
        f"SELECT taken_at, temperature_c FROM readings WHERE episode_id = ? {since_kept}AND taken_at <= ? "
        "AND temperature_c < ? ORDER BY taken_at DESC, id DESC",
        [episode.id, *(() if through is None else (through,)), at, fever_c])
    since = (Reading(taken_at=from_text(row[0]), temperature_c=row[1]) for row in normal)
    # the kept reset is re-judged like any other (it passes: the same thresholds and doses made it)
    reset = triage.fever_reset(clinic.thresholds, chain(since, () if kept is None else (kept,)),
                               tuple(d for d in doses if to_text(d.given_at) <= at))
    normal.close()
    return reset


def keep_fever_reset(clinic: Clinic, episode: Episode, reading: Reading, past: Past) -> None:
    """Keep the fever's reset as episode state once `reading` (as stored, implausible values blanked) is in the
    readings table: the reading itself when it is a normal temperature acetaminophen does not explain (the
    newest of the readings taken at or before it), else the reset `history` found before it was stored
    (`past`). Inside the caller's transaction, after the insert (whose trigger may have cleared the state)."""
    at = to_text(reading.taken_at)
    doses = tuple(d for d in past.doses if d.given_at <= reading.taken_at)
    reset = triage.fever_reset(clinic.thresholds, (reading,), doses) or past.fever_reset
    clinic.db.execute(
        "UPDATE episodes SET fever_reset_through = ?, fever_reset_at = ?, fever_reset_c = ?, fever_reset_key = ? "
        "WHERE id = ?", [at, None if reset is None else to_text(reset.taken_at),
                         None if reset is None else reset.temperature_c,
                         _fever_reset_key(clinic, past.doses, at), episode.id])


def history(clinic: Clinic, patient: Patient, episode: Episode, reading: Reading) -> Past:
    """What triage reads of the episode before `reading` (issue 19: not the whole episode, whose length a
    wearable makes thousands of readings): the fever's reset (triage.fever_reset: the reset the episode keeps
    and the normal temperatures since, or all of them newest first when the kept one does not hold, down to
    the first one acetaminophen does not explain) and the first febrile reading since (triage.fever_onset),
    each read through the index and no further, so a fever of days at a reading a minute costs no more than
    a short one; the reading(s) of the episode's first CRS sign (episode state, see first_sign); and the
    episode's doses. `triage.assess` answers on it exactly as on the whole episode
    (tests/test_triage_window.py)."""
    doses = episode_doses(clinic, patient.id, episode)
    taken_at = to_text(reading.taken_at)
    fever_c = clinic.thresholds.fever_c
    # the state the episode keeps, read once as of now (`episode` may be a row read before this batch's readings)
    state = clinic.db.execute(
        "SELECT first_sign_at, first_sign_key, fever_reset_through, fever_reset_at, fever_reset_c, fever_reset_key "
        "FROM episodes WHERE id = ?", [episode.id]).fetchone()
    reset = _fever_reset(clinic, episode, state, taken_at, doses)
    febrile = clinic.db.execute(
        "SELECT taken_at, temperature_c FROM readings WHERE episode_id = ? AND taken_at > ? AND taken_at <= ? "
        "AND temperature_c >= ? ORDER BY taken_at, id",
        [episode.id, "" if reset is None else to_text(reset.taken_at), taken_at, fever_c])
    onset = triage.fever_onset(
        clinic.thresholds, (Reading(taken_at=from_text(row[0]), temperature_c=row[1]) for row in febrile))
    febrile.close()
    first = first_sign(clinic, patient, episode, state)
    signs = () if first is None or first > taken_at else tuple(_reading(row) for row in _readings(
        clinic, "SELECT * FROM readings WHERE episode_id = ? AND taken_at = ?", [episode.id, first]))
    window = [past for past in (reset, onset) if past is not None]
    readings = sorted([*window, *signs], key=lambda r: r.taken_at)
    return Past(readings=tuple(readings), doses=doses, fever_reset=reset)


# The first CRS sign kept by the episode is judged by these: raise the version when what triage.shows_crs_sign
# reads changes in code (the plausible values, which a release may narrow, are in the key by themselves).
FIRST_SIGN_VERSION = 1


def _sign_key(clinic: Clinic, patient: Patient) -> str:
    """What a CRS sign is judged by (SOP line 41, "duration of symptoms over 1 week": counted from the first sign,
    `prolonged_symptoms_days`): the clinic's thresholds, the patient's baselines and the values triage believes
    (triage.ranges, as shows_crs_sign blanks the rest). first_sign_at holds only while these stay as they were."""
    return _judged_by(FIRST_SIGN_VERSION, clinic.thresholds, patient.baseline_systolic, patient.baseline_spo2,
                      tuple(sorted(PLAUSIBLE_RANGES.items())))


def first_sign(clinic: Clinic, patient: Patient, episode: Episode, state: sqlite3.Row) -> str | None:
    """When the episode's first CRS sign was reported (stored time text), or None: episode state (`state`: its
    episodes row as of now, with first_sign_at and first_sign_key), set when a reading with a sign is stored
    (note_sign), so triage never scans the episode for it. Worked out again from the episode's readings, once,
    when the thresholds, the patient's baselines or the believable values changed since (_sign_key), or for an
    episode from before the state was kept (inside the caller's transaction)."""
    key = _sign_key(clinic, patient)
    if state["first_sign_key"] == key:
        kept: str | None = state["first_sign_at"]
        return kept
    judged = profile(patient, episode)
    first = min((row.taken_at for row in _readings(clinic, "SELECT * FROM readings WHERE episode_id = ?", [episode.id])
                 if triage.shows_crs_sign(clinic.thresholds, judged, _reading(row))), default=None)
    clinic.db.execute("UPDATE episodes SET first_sign_at = ?, first_sign_key = ? WHERE id = ?",
                      [first, key, episode.id])
    return first


def note_sign(clinic: Clinic, patient: Patient, episode: Episode, reading: Reading) -> None:
    """A stored reading with a CRS sign earlier than the episode's first moves first_sign_at back (after
    first_sign, so the state is keyed to the thresholds in force)."""
    if not triage.shows_crs_sign(clinic.thresholds, profile(patient, episode), reading):
        return
    clinic.db.execute(
        "UPDATE episodes SET first_sign_at = ? WHERE id = ? AND first_sign_key = ? "
        "AND (first_sign_at IS NULL OR first_sign_at > ?)",
        [to_text(reading.taken_at), episode.id, _sign_key(clinic, patient), to_text(reading.taken_at)])


def text_values(clinic: Clinic, assessment: Assessment | None = None, next_checkin: datetime | None = None,
                language: str = "en", *, now: datetime) -> dict[str, str]:
    """Everything a patient template may name ({"clinic_name", "clinic_phone", and "next_checkin" /
    "next_dose_time" when given}), times in the clinic's zone and the patient's language, said as today's or
    tomorrow's as of `now` (aware UTC from the caller)."""
    today = clinic.local(now).date()
    clinic_cfg = clinic.effective["clinic"]
    values: dict[str, str] = {"clinic_name": clinic_cfg["name"], "clinic_phone": format_phone(clinic_cfg["phone"])}
    if next_checkin is not None:
        values["next_checkin"] = _clock(clinic, next_checkin, language, today)
    if assessment is not None and assessment.next_acetaminophen_at is not None:
        values["next_dose_time"] = _clock(clinic, assessment.next_acetaminophen_at, language, today)
    return values


def _clock(clinic: Clinic, moment: datetime, language: str, today: date) -> str:
    """Check-ins and doses are at most a day ahead, so a time is today's or tomorrow's (`today` the clinic's)."""
    local = clinic.local(moment)
    return clock_text(local.strftime("%-I:%M %p"), local.date() > today, language, hour=local.hour)


# Which keys a reply carries is triage.replies' choice (issue 14); these names stay here for their callers.
FEVER_ADVICE = replies.FEVER_ADVICE
SAFETY_NET = replies.SAFETY_NET  # SOP 5, Grade 1 Home: when to call at once, with the first fever advice
texted_instructions = replies.texted_instructions


def alert_reasons(assessment: Assessment, concern: str | None = None) -> list[str]:
    """The reasons an alert for `assessment` pages with: its own, less 'implausible_reading' (asked to measure
    again, not a sign) and less a plain 'fever' beside a more specific one ("fever, high risk, fever" reads as a
    stutter at 3 a.m.), plus the text's `concern` ("o2 86 please call me": one page with both)."""
    reasons = [reason for reason in assessment.reasons if reason != "implausible_reading"]
    if set(reasons) & SPECIFIC_FEVER:
        reasons.remove("fever")
    return reasons + ([concern] if concern else [])


@dataclass(frozen=True)
class EarlierFever:
    """A fever a text gave beside its current temperature as an earlier one ("temp 101 at lunch, now 99"), as
    record_reading stores it: `taken_at` (aware UTC) the time the text gave (`timed`), else the latest the fever can
    have been (the text's arrival; the midnight before it for "yesterday"); `said` the time words as written ('' when
    none)."""

    temperature_c: float
    taken_at: datetime
    timed: bool
    said: str = ""
    temperature_given: float | None = None
    temperature_unit: str | None = None
    # untimed, and `taken_at` is the end of the day the text named ("yesterday", "3 days ago"): the fever was that day
    whole_day: bool = False


# A reading before the episode's step-up dose is no sign of its CRS (app_api._in_episode refuses one from the app;
# the same five minutes for a clock a little behind).
BEFORE_DOSE_ALLOWANCE = timedelta(minutes=5)
# The same fever told again: a stated time within this of the reading already stored with its value.
SAME_FEVER_WITHIN = timedelta(hours=1)
# How long after a fever an untimed "earlier" / "this morning" / "last night" can still be telling it
UNTIMED_COVERS = timedelta(hours=12)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def temperature_given(raw: str | None) -> float | None:
    """The temperature's number as the patient wrote it ("101.2 f" -> 101.2, "38,5" -> 38.5), unit aside."""
    given = _NUMBER.search(raw or "")
    return float(given.group(0).replace(",", ".")) if given else None


def earlier_fevers(clinic: Clinic, parsed: Parsed, arrived: datetime) -> tuple[EarlierFever, ...]:
    """The fevers the text (`parsed`) gave as earlier than its current temperature, by the clinic's fever line
    (`[thresholds] fever_c`; SOP 4 Grading, line 47: fever >= 100.4 F / 38.0 C; the parser keeps every earlier
    temperature that is a fever by the lowest line a clinic may set), for record_reading: each at the time the text
    gave (never after it `arrived`, aware UTC), else at the latest it can have been: the text's arrival ("temp 101 at
    lunch, now 99", "101 earlier"), or the clinic's midnight before it for "yesterday" / "ayer". The latest, not a
    guess at the hour: an untimed fever is never dated before a dose it may have come after, nor before the
    episode's step-up dose when the day is today's (SOP 4 Grading: the fever is CRS's sign)."""
    fevers = []
    line = clinic.thresholds.fever_c
    fever_now = parsed.temperature_c is not None and parsed.temperature_c >= line
    for fever in parsed.earlier_fevers:
        if fever.temperature_c < line:
            continue  # no fever by this clinic's line: an earlier normal temperature changes nothing
        if fever.before_treatment:
            continue  # "101 before the infusion, now 99": no sign of this episode's CRS, as one before its dose
        latest = arrived
        if fever.days_back:
            # "yesterday": no later than the clinic's midnight before the text; "3 days ago", "antier": the end of
            # that day (the midnight after it). Stored at the text's arrival, last week's fever was paged as today's.
            local = clinic.local(arrived).replace(hour=0, minute=0, second=0, microsecond=0)
            back = max(fever.days_back, 1) - 1
            latest = min(arrived, (local - timedelta(days=back)).astimezone(UTC))  # wall-clock days: DST-safe
        elif fever.taken_at is None and fever_now:
            # "fever 101 earlier today, still 101": the fever now is the text's reading at its arrival, the latest
            # the untimed one can have been too; stored beside it, one fever was two readings of the same minute
            continue
        at = latest if fever.taken_at is None else min(arrived, fever.taken_at.astimezone(UTC))
        fevers.append(EarlierFever(
            temperature_c=fever.temperature_c, taken_at=at, timed=fever.taken_at is not None, said=fever.when or "",
            temperature_given=temperature_given(fever.temperature_raw),
            temperature_unit=fever.temperature_unit,
            whole_day=fever.taken_at is None and bool(fever.days_back)))
    return tuple(fevers)


def in_episode(episode: Episode, fever: EarlierFever) -> bool:
    """The earlier fever came after the episode's step-up dose (BEFORE_DOSE_ALLOWANCE): before it, it is no sign of
    this episode's CRS (SOP 4 Grading)."""
    return fever.taken_at >= from_text(episode.dose_given_at) - BEFORE_DOSE_ALLOWANCE


def assess_earlier_fevers(clinic: Clinic, patient: Patient, episode: Episode, earlier: tuple[EarlierFever, ...],
                          past: triage.History, now: datetime) -> list[Assessment]:
    """Triage each earlier fever of the episode (in_episode) at its own time against `past`, as a reading of it
    (triage.assess, time_known as the text gave it), without storing it: for a text held while its caregiver is asked which patient
    it is about (caregiver_texts), whose fevers page at once all the same."""
    return [triage.assess(clinic.thresholds, profile(patient, episode), past,
                          Reading(taken_at=fever.taken_at, temperature_c=fever.temperature_c), now, clinic.hours,
                          time_known=fever.timed)
            for fever in earlier if in_episode(episode, fever)]


def _told_already(clinic: Clinic, episode: Episode, fever: EarlierFever) -> bool:
    """The earlier fever is one a text before already reported (stored once): with a stated time, a reading of the
    same temperature within SAME_FEVER_WITHIN of it; with none, the newest temperature the episode holds at or
    before it is the same one ("101" at 2 PM, then "101 earlier, now 99" at 4 PM). A new fever after normal readings
    ("101" at 8 AM, 99 at noon, then "101 earlier, now 99" at 6 PM) is stored: never lost (SOP 4 Grading)."""
    low, high = fever.temperature_c - 0.05, fever.temperature_c + 0.05
    if fever.timed:
        # ... or an untimed one said earlier ("101 earlier, now 99" at 4 PM, then "101 at 2pm, 99 now"): stored at
        # the latest it could have been, it is the same fever when that is no earlier than this one's hour and within
        # UNTIMED_COVERS after it (stored again, it re-raised the acknowledged alert with an "URGENT update")
        return clinic.db.execute(
            "SELECT 1 FROM readings WHERE episode_id = ? AND temperature_c BETWEEN ? AND ? AND ("
            "(taken_at >= ? AND taken_at <= ?) OR (earlier_timed = 0 AND taken_at >= ? AND taken_at <= ?)) LIMIT 1",
            [episode.id, low, high, to_text(fever.taken_at - SAME_FEVER_WITHIN),
             to_text(fever.taken_at + SAME_FEVER_WITHIN), to_text(fever.taken_at - SAME_FEVER_WITHIN),
             to_text(fever.taken_at + UNTIMED_COVERS)]).fetchone() is not None
    if fever.whole_day:
        # "101 yesterday, 99 now": the fever of that day, told already when the day holds a reading of it (the
        # patient's 101 of yesterday afternoon, paged then; stored again at midnight, it paged "URGENT update")
        return clinic.db.execute(
            "SELECT 1 FROM readings WHERE episode_id = ? AND taken_at > ? AND taken_at <= ? "
            "AND temperature_c BETWEEN ? AND ? LIMIT 1",
            [episode.id, to_text(fever.taken_at - timedelta(days=1)), to_text(fever.taken_at), low, high]
        ).fetchone() is not None
    newest = clinic.db.execute(
        "SELECT temperature_c, message_id FROM readings WHERE episode_id = ? AND taken_at <= ? "
        "AND temperature_c IS NOT NULL ORDER BY taken_at DESC, id DESC LIMIT 1",
        [episode.id, to_text(fever.taken_at)]).fetchone()
    if newest is None:
        return False
    if low <= newest[0] <= high:
        return True
    # The newest text's own earlier fever ("101 earlier, now 99" told again by the patient, or by a caregiver, 40
    # minutes on): the same fever, not a new one after its 99. Stored again, it re-raised the acknowledged
    # high-risk alert ("URGENT update") for a fever the nurse had already taken.
    return newest["message_id"] is not None and clinic.db.execute(
        "SELECT 1 FROM readings WHERE episode_id = ? AND message_id = ? AND said_earlier IS NOT NULL "
        "AND temperature_c BETWEEN ? AND ? LIMIT 1", [episode.id, newest["message_id"], low, high]).fetchone() is not None


def _record_earlier_fevers(clinic: Clinic, patient: Patient, episode: Episode, earlier: tuple[EarlierFever, ...], *,
                           source: str, message_id: int | None, now: datetime) -> list[Assessment]:
    """Store each fever the text gave as earlier than its current temperature as its own reading at its time, oldest
    first, and triage it there (triage.assess, time_known as the text gave it): the episode's first CRS sign (first_sign_at), its fever
    run and what the next fever is judged against see it (SOP 4 Grading: fever >= 100.4 F / 38.0 C; SOP 5 Grade 1
    Home: "If refractory or recurrent fever (< 6-8 h) consider dexamethasone"). Not stored: one from before the
    episode's step-up dose (no sign of this episode's CRS; the text stays in the nurse's timeline), and one a text
    before already reported (_told_already). Returns the assessments of those stored."""
    parts = []
    for fever in sorted(earlier, key=lambda f: f.taken_at):
        reading = trusted(Reading(taken_at=fever.taken_at, temperature_c=fever.temperature_c))
        if reading.temperature_c is None or not in_episode(episode, fever) or _told_already(clinic, episode, fever):
            continue
        past = history(clinic, patient, episode, reading)
        parts.append(triage.assess(clinic.thresholds, profile(patient, episode), past, reading, now, clinic.hours,
                                   time_known=fever.timed))
        _store_reading(clinic, patient, episode, reading, past, {
            "temperature_c": reading.temperature_c, "temperature_given": fever.temperature_given,
            "temperature_unit": fever.temperature_unit, "said_earlier": fever.said, "earlier_timed": int(fever.timed),
        }, source=source, message_id=message_id, now=now)
    return parts


def _store_reading(clinic: Clinic, patient: Patient, episode: Episode, reading: Reading, past: Past,
                   values: dict[str, Any], *, source: str, message_id: int | None, now: datetime) -> int:
    """INSERT `reading` into readings (`values`: its columns beside those every reading has), then what the episode
    keeps of it: its first CRS sign (note_sign) and its fever's reset (keep_fever_reset, against `past`). Inside the
    caller's transaction; returns the row's id."""
    reading_id = insert(clinic.db, "readings", {
        "patient_id": patient.id, "episode_id": episode.id, "taken_at": to_text(reading.taken_at), **values,
        "source": source, "message_id": message_id, "created_at": to_text(now)})
    note_sign(clinic, patient, episode, replace(reading, implausible=frozenset()))  # as stored
    keep_fever_reset(clinic, episode, reading, past)
    return reading_id


def record_reading(clinic: Clinic, patient: Patient, episode: Episode, values: dict[str, Any], *,
                   taken_at: datetime, source: str,
                   message_id: int | None = None,
                   with_doses: tuple[tuple[Assessment, int | None], ...] = (),
                   shown: str = "text", concern: str | None = None, now: datetime,
                   earlier: tuple[EarlierFever, ...] = ()) -> tuple[Assessment, datetime]:
    """Store a reading, triage it, store the assessment, raise the alert, answer the check-in.

    `values` holds the VITALS fields, `symptoms`, `denied_symptoms` and `implausible` (fields whose value
    no body shows; their value is None). `with_doses` holds the acetaminophen checks of the same text
    (`check_acetaminophen`: assessment and medication id): one text is one stored assessment with
    every reason, so an early dose is not hidden behind a routine reading. Returns the assessment
    (the reading's and the doses' combined) and when the next check-in is due. Optionally
    `temperature_given` / `temperature_unit` ("C" or "F"): the temperature as the patient or device gave it.
    `shown`: what the patient sees, "text" (texted_instructions) or "app" (every instruction); the page
    tells the nurse the same. `message_id`: the text it came from (None from the app or a device), kept with
    the reading and with the alert it raises (its page names that text's writer). `now`: aware UTC from the
    caller's request or pass; the assessment, the stored rows and the next check-in all take it. `concern`: the
    reason a person must read the same text (messages.concern: 'asks_for_call', 'concerning_text'), joined to
    the alert this reading raises, so one text pages the nurse once; when the reading raises none (its level is
    not in ALERT_LEVELS), the caller raises the concern itself. `earlier`: the fevers the text gave as earlier than
    this reading ("temp 101 at lunch, now 99"), each stored as its own reading first and triaged at its own time,
    their assessments joined to this one (triage.with_earlier_fevers): still one text, one assessment.
    """
    # asked before the text's earlier fevers are stored, and only then (else when the assessment has a fever)
    first_fever = _no_fever_yet(clinic, episode) if earlier else None
    earlier_parts = _record_earlier_fevers(clinic, patient, episode, earlier, source=source, message_id=message_id,
                                           now=now) if earlier else []
    # Issue 14, fault 5: a value no body shows (triage.ranges, the one source) is the patient's text and a
    # flag (`implausible`, the assessment's implausible_reading), never a clinical value: blanked here, on
    # the one road into the readings table, whatever the parser, the app or a device made of it, so it
    # drives no check-in timing, chart, FHIR Observation or app `readings`.
    reading = trusted(Reading(
        taken_at=taken_at, **{field: values.get(field) for field in VITALS},
        symptoms=frozenset(values.get("symptoms", ())), denied_symptoms=frozenset(values.get("denied_symptoms", ())),
        implausible=frozenset(values.get("implausible", ())),
    ))
    past = history(clinic, patient, episode, reading)
    assessment = triage.assess(clinic.thresholds, profile(patient, episode), past, reading, now, clinic.hours)
    if earlier_parts:
        assessment = triage.with_earlier_fevers(assessment, *earlier_parts)
    if with_doses:  # alone, the reading's assessment is already the text's (combine would rebuild it equal)
        assessment = triage.combine(assessment, *(dose for dose, _ in with_doses))
    if "fever" in assessment.reasons and assessment.level != "urgent" and (
            _no_fever_yet(clinic, episode) if first_fever is None else first_fever):
        assessment = replace(assessment, instructions=assessment.instructions + (SAFETY_NET,))
    medication_id = next((medication for _, medication in with_doses if medication is not None), None)
    reading_id = None
    if any(getattr(reading, field) is not None for field in VITALS) or reading.symptoms or reading.denied_symptoms:
        reading_id = _store_reading(clinic, patient, episode, reading, past, {
            **{field: getattr(reading, field) for field in VITALS},
            **({"temperature_given": values.get("temperature_given"), "temperature_unit": values.get("temperature_unit")}
               if reading.temperature_c is not None else {}),
            "symptoms": dumps(sorted(reading.symptoms)), "denied_symptoms": dumps(sorted(reading.denied_symptoms)),
            "implausible": dumps(sorted(reading.implausible)),
        }, source=source, message_id=message_id, now=now)
    store_assessment(clinic, patient.id, episode.id, assessment, reading_id=reading_id,
                     medication_id=medication_id, now=now)
    if assessment.level in ALERT_LEVELS:
        alerts.raise_alert(clinic, patient.id, assessment.level, alert_reasons(assessment, concern),
                           episode_id=episode.id,
                           told=assessment.instructions if shown == "app" else texted_instructions(assessment),
                           next_dose_at=assessment.next_acetaminophen_at, message_id=message_id,
                           reading_at=taken_at, now=now)
    # no temperature in this reading: keep the pace the last one set (hourly while febrile)
    febrile = None if reading.temperature_c is None else reading.temperature_c >= clinic.thresholds.fever_c
    if source == "device":
        return assessment, keep_checkin_pace(clinic, patient, episode, febrile=bool(febrile), now=now)
    # a value no body shows ("temp 150") is asked again: not yet the answer that ends a silence (patient_answered)
    next_checkin = answer_checkin(clinic, patient, episode, febrile=febrile, now=now,
                                  ends_silence=not reading.implausible)
    return assessment, next_checkin


def _no_fever_yet(clinic: Clinic, episode: Episode) -> bool:
    """No reading of the episode was febrile yet: an assessment with a fever (not urgent) then carries SOP 5 Grade 1
    Home's "recontact the clinic urgently or present to ED if ..." (SAFETY_NET), a fever the text gave as earlier
    included (record_reading asks before storing it)."""
    return clinic.db.execute("SELECT 1 FROM readings WHERE episode_id = ? AND temperature_c >= ? LIMIT 1",
                             [episode.id, clinic.thresholds.fever_c]).fetchone() is None


def store_assessment(clinic: Clinic, patient_id: int, episode_id: int | None, assessment: Assessment,
                     reading_id: int | None = None, medication_id: int | None = None, *,
                     now: datetime) -> None:
    """Store `assessment` (level, reason keys, instruction keys) for the patient and episode, with the reading
    and/or medication it judged, assessed at `now` (aware UTC, the caller's request or pass); inside the
    caller's transaction."""
    insert(clinic.db, "assessments", {
        "patient_id": patient_id, "episode_id": episode_id, "reading_id": reading_id,
        "medication_id": medication_id, "level": assessment.level, "reasons": dumps(list(assessment.reasons)),
        "instructions": dumps(list(assessment.instructions)), "assessed_at": to_text(now),
    })


def interval_minutes(clinic: Clinic, own_minutes: int | None, febrile: bool) -> int:
    """Minutes to the next check-in: hourly while febrile, else the patient's own interval (`own_minutes`,
    patients.checkin_interval_minutes) or the clinic's (SOP 5: every 1-2 h)."""
    normal: int = own_minutes or clinic.checkins["interval_minutes"]
    if febrile:
        febrile_minutes: int = clinic.checkins["febrile_interval_minutes"]
        return min(normal, febrile_minutes)
    return normal


def answer_checkin(clinic: Clinic, patient: Patient, episode: Episode, febrile: bool | None = None, *,
                   now: datetime, ends_silence: bool = True) -> datetime:
    """Any answer at `now` closes the open check-in, resets the missed count, sets the next one due (returned,
    aware UTC: interval_minutes later), and stops an alert that pages only for silence (alerts.patient_answered). `febrile` None keeps the pace the last temperature set (a dose report
    says nothing about fever). `now`: aware UTC from the caller's request or pass. `ends_silence` False: an answer
    the patient is asked to measure again (a value no body shows, record_reading) stands no silence alert down: a
    garbled answer after a silence is what confusion looks like (SOP 5 Grade 1 Home), so it pages until a person
    takes it or the patient answers with a reading the service can read.
    """
    if febrile is None:
        last = clinic.db.execute(
            "SELECT temperature_c FROM readings WHERE episode_id = ? AND temperature_c IS NOT NULL "
            "ORDER BY taken_at DESC, id DESC LIMIT 1", [episode.id]).fetchone()
        febrile = bool(last and last["temperature_c"] >= clinic.thresholds.fever_c)
    due = now + timedelta(minutes=interval_minutes(clinic, patient.checkin_interval_minutes, febrile))
    if episode.status == "active" and not episode.paused_at:  # a pause keeps no check-in due
        clinic.db.execute(
            "UPDATE episodes SET checkin_sent_at = NULL, reminder_sent = 0, missed_count = 0, last_answer_at = ?, "
            "next_checkin_at = ? WHERE id = ?", [to_text(now), to_text(due), episode.id])
    if ends_silence:
        alerts.patient_answered(clinic, patient.id, now)  # a silence alert stops paging: the silence has ended
    return due


def keep_checkin_pace(clinic: Clinic, patient: Patient, episode: Episode, *, febrile: bool,
                      now: datetime) -> datetime:
    """A device's reading at `now` (a wearable, a hub: monitoring.device_readings) is no answer from the patient:
    it closes no check-in, takes back no missed one and puts off no prompt, for the prompts are how the patient is
    asked what no device measures (confusion, weakness, dizziness: SOP 5 Grade 1 Home), and silence is a symptom
    (DESIGN.md: confusion can stop a patient answering while the wearable goes on reading). A fever it reads
    (`febrile`) brings the next prompt forward to the febrile pace (interval_minutes), never later, also while a
    check-in is open (it stays open): a febrile patient who does not answer is the one to ask again within the
    hour (SOP 5 Grade 1 Home: every 1-2 h), not at the pace the prompt set before the fever. Returns when the next
    check-in is due (aware UTC)."""
    row = clinic.db.execute("SELECT next_checkin_at FROM episodes WHERE id = ?", [episode.id]).fetchone()
    due = from_text(row["next_checkin_at"]) if row["next_checkin_at"] else None
    sooner = now + timedelta(minutes=interval_minutes(clinic, patient.checkin_interval_minutes, febrile))
    if febrile and episode.status == "active" and not episode.paused_at and (due is None or sooner < due):
        clinic.db.execute("UPDATE episodes SET next_checkin_at = ? WHERE id = ?", [to_text(sooner), episode.id])
        due = sooner
    return due if due is not None else sooner


def record_dose(clinic: Clinic, patient: Patient, episode: Episode | None, name: str, *, given_at: datetime,
                dose_mg: float | None,
                source: str, weight_kg: float | None = None, staff_id: int | None = None,
                message_id: int | None = None, now: datetime) -> int:
    """Store a dose of `name` (triage.model.MEDICATIONS) given at `given_at` (aware UTC): `dose_mg` mg,
    `weight_kg` kg (tocilizumab), by `staff_id` or reported in the text `message_id`; `source` staff | sms | app.
    `episode` None files it under no episode; `now` (aware UTC, the caller's) is when it was recorded.
    Returns the medications row id."""
    return insert(clinic.db, "medications", {
        "patient_id": patient.id, "episode_id": episode.id if episode else None, "name": name,
        "dose_mg": dose_mg, "weight_kg": weight_kg, "given_at": to_text(given_at), "source": source,
        "recorded_by": staff_id, "message_id": message_id, "created_at": to_text(now),
    })


def check_acetaminophen(clinic: Clinic, patient: Patient, episode: Episode, *, given_at: datetime,
                        dose_mg: float | None,
                        asking: bool, source: str, message_id: int | None = None,
                        now: datetime) -> tuple[Assessment, int | None]:
    """Check an acetaminophen dose taken (or asked about) against the interval and the 24 h total (SOP line 64:
    650-1000 mg, repeat >= 6-8 h later; triage.assess_acetaminophen), and record a dose taken (`dose_mg` mg,
    `given_at` aware UTC). Stores no assessment: returns it with the medication's id (None when asking),
    for the caller to store alone (`patient_acetaminophen`) or with the rest of the text (`record_reading`).
    `now`: aware UTC from the caller's request or pass."""
    past = History(doses=episode_doses(clinic, patient.id, episode))  # a dose's rules read no readings
    dose = Dose(name="acetaminophen", given_at=given_at, dose_mg=dose_mg)
    assessment = triage.assess_acetaminophen(clinic.thresholds, past, dose, now, taken=not asking)
    medication_id = None
    if not asking:
        medication_id = record_dose(clinic, patient, episode, "acetaminophen", given_at=given_at, dose_mg=dose_mg,
                                    source=source, message_id=message_id, now=now)
    return assessment, medication_id


def patient_acetaminophen(clinic: Clinic, patient: Patient, episode: Episode, *, given_at: datetime,
                          dose_mg: float | None,
                          asking: bool, source: str, message_id: int | None = None,
                          now: datetime) -> Assessment:
    """The patient took (or asks about) acetaminophen: check the interval and the 24 h total (SOP line 64),
    record it, and store the assessment when it says more than "dose noted". `now`: aware UTC from the
    caller's request or pass."""
    assessment, medication_id = check_acetaminophen(clinic, patient, episode, given_at=given_at, dose_mg=dose_mg,
                                                    asking=asking, source=source, message_id=message_id, now=now)
    if assessment.reasons:  # a routine "dose noted" does not replace the clinical picture
        store_assessment(clinic, patient.id, episode.id, assessment, medication_id=medication_id, now=now)
    return assessment


# A flood from one number must not spend the sender's shared rate (about 1 text a second) on replies
# to it: a number that sent more than this many texts in the window gets no more replies until the
# window passes (docs/operations.md). Its texts are still stored and triaged, alerts still page, and
# urgent replies always go.
REPLY_BUDGET = 20
REPLY_WINDOW = timedelta(minutes=10)
ALWAYS_REPLY = replies.ALWAYS_REPLY


def reply_budget_spent(clinic: Clinic, number: str, now: datetime, received: int | None = None) -> bool:
    """True when `number` (E.164) sent more than REPLY_BUDGET texts in the last REPLY_WINDOW (counted by what
    arrived, as the docs say, so a flood is paused whatever we answered), as of `now` (aware UTC, the caller's
    request or pass). `received`: that count where the caller has it already (monitoring.inbound counts it
    with the flood limit's as the text arrives, before the write lock: a throttle, which a text from the same
    number committed meanwhile moves by one); None counts it here."""
    if received is None:
        received = clinic.db.execute(
            "SELECT COUNT(*) FROM messages WHERE from_number = ? AND direction = 'in' AND created_at >= ?",
            [number, to_text(now - REPLY_WINDOW)]).fetchone()[0]
    return received > REPLY_BUDGET


# Issue 13: who reads a reply (triage.replies.TO_EVERYONE, CAREGIVER_WORDING): "your earlier message needs
# care now" speaks to the writer of a calm text, and everyone already had the urgent one.
TO_EVERYONE = replies.TO_EVERYONE
CAREGIVER_WORDING = replies.CAREGIVER_WORDING


Caregiver = sqlite3.Row | dict[str, Any]  # a row of `caregivers` (SELECT *), or one changed for a last text


@dataclass(frozen=True, slots=True)
class WrittenFor(Patient):
    """The patient, marked as written for by `caregiver` (caregiver_as_writer): replies to it answer the caregiver."""

    caregiver: Caregiver = field(default_factory=dict)


def writer(patient: Patient) -> Caregiver | None:
    """The caregiver who wrote the text being answered, when `patient` came from caregiver_as_writer()."""
    return patient.caregiver if isinstance(patient, WrittenFor) else None


def caregiver_as_writer(patient: Patient, caregiver: Caregiver) -> WrittenFor:
    """The patient, marked as written for by `caregiver` (a caregivers row): replies to it answer the caregiver."""
    columns: dict[str, Any] = {column.name: getattr(patient, column.name) for column in fields(Patient)}
    return WrittenFor(**columns, caregiver=caregiver)


def caregivers_of(clinic: Clinic, patient_id: int, reachable: bool = True) -> list[sqlite3.Row]:
    """The patient's current caregivers (not removed), oldest first; `reachable` leaves out those who
    texted STOP."""
    return clinic.db.execute(
        "SELECT * FROM caregivers WHERE patient_id = ? AND removed_at IS NULL"
        + (" AND opted_out_at IS NULL" if reachable else "") + " ORDER BY id", [patient_id]).fetchall()


def first_name(name: str | None) -> str:
    """The first word of `name`, or "the patient" when it has none (how texts to caregivers name the patient)."""
    return (name or "").split()[0] if (name or "").split() else "the patient"


def text_caregiver(clinic: Clinic, caregiver: Caregiver, patient: Patient, key: str, values: dict[str, str],
                   kind: str = "info", *, now: datetime) -> int | None:
    """Queue a text (template `key`, filled with `values` and the patient's first name) to a caregiver in their
    language, filed under the patient, unless they texted STOP or were removed. Returns the outbox message id,
    or None when nothing was queued. `now`: aware UTC, the caller's request or pass (when it is queued)."""
    if caregiver["opted_out_at"] or caregiver["removed_at"]:
        return None
    body = render(replies.for_reader(key, caregiver=True), caregiver["language"],
                  **{"first_name": first_name(patient.name), **values})
    message_id = queue_text(clinic, caregiver["phone"], body, kind, patient_id=patient.id, urgent=key in SEND_FIRST,
                            now=now)
    clinic.db.execute("UPDATE messages SET caregiver_id = ? WHERE id = ?", [caregiver["id"], message_id])
    return message_id


def therapy_name(clinic: Clinic, patient: Patient) -> str:
    """The drug of the patient's newest episode, as enrolled ("teclistamab"): the urgent after-hours text
    names it for the emergency department, which must not guess a class (CAR-T is not a bispecific)."""
    row = clinic.db.execute("SELECT therapy FROM episodes WHERE patient_id = ? ORDER BY id DESC LIMIT 1",
                            [patient.id]).fetchone()
    return row["therapy"] if row and row["therapy"] else "?"


def reply_to_patient(clinic: Clinic, patient: Patient, key: str, values: dict[str, str],
                     kind: str = "reply", *, now: datetime, received: Mapping[str, int] | None = None) -> int | None:
    """Queue a reply in its reader's language: to whoever wrote (the patient, or the caregiver marked by
    caregiver_as_writer), and for TO_EVERYONE keys to the patient and every caregiver too. Nobody who
    texted STOP is texted (Twilio would refuse it), nor a number flooding us (see REPLY_BUDGET).
    Returns the id of the text to the writer (or to the patient), None if none was queued. The
    episode's therapy is filled in where the caller left it out (the ED text names the drug). `now`: aware
    UTC from the caller's request or pass. `received`: {phone: texts it sent in REPLY_WINDOW} the caller
    counted already (reply_budget_spent); the other numbers are counted here.
    """
    if "therapy" not in values:
        values = {**values, "therapy": therapy_name(clinic, patient)}
    caregiver = writer(patient)
    if replies.everyone_reads(key):
        first = None if caregiver else _reply_to_number(clinic, patient, patient, key, values, kind, now, received)
        for each in caregivers_of(clinic, patient.id):
            sent = _reply_to_number(clinic, patient, each, key, values, kind, now, received)
            first = sent if caregiver and each["id"] == caregiver["id"] else first
        if caregiver:
            _reply_to_number(clinic, patient, patient, key, values, kind, now, received)
        return first
    return _reply_to_number(clinic, patient, caregiver or patient, key, values, kind, now, received)


def _contact(reader: Patient | Caregiver) -> tuple[str, str, str | None]:
    """(phone, language, opted_out_at) of the patient or a caregivers row."""
    if isinstance(reader, Patient):
        return reader.phone, reader.language, reader.opted_out_at
    return reader["phone"], reader["language"], reader["opted_out_at"]


def _reply_to_number(clinic: Clinic, patient: Patient, reader: Patient | Caregiver, key: str, values: dict[str, str],
                     kind: str, now: datetime, received: Mapping[str, int] | None = None) -> int | None:
    """`reader` is the patient or a caregivers row."""
    phone, language, opted_out_at = _contact(reader)
    if opted_out_at:
        return None
    if key not in ALWAYS_REPLY and reply_budget_spent(clinic, phone, now, (received or {}).get(phone)):
        since = to_text(now - REPLY_WINDOW)
        paused = replies.for_reader("reply_paused", caregiver=not isinstance(reader, Patient))  # as text_caregiver words it
        told = clinic.db.execute(
            "SELECT 1 FROM messages WHERE direction = 'out' AND to_number = ? AND kind = 'info' AND body = ? "
            "AND created_at >= ?",
            [phone, render(paused, language, **{"first_name": first_name(patient.name), **values}), since]).fetchone()
        if told:
            return None
        key, kind = replies.for_reader(key, replies_paused=True), "info"  # once a window: silence must not look like no one is there
    if not isinstance(reader, Patient):
        return text_caregiver(clinic, reader, patient, key, values, kind, now=now)
    body = render(key, language, **values)
    return queue_text(clinic, phone, body, kind, patient_id=patient.id, urgent=key in SEND_FIRST, now=now)


def instruction_texts(clinic: Clinic, patient: Patient, assessment: Assessment,
                      next_checkin: datetime | None, now: datetime) -> list[str]:
    """The assessment's instructions rendered in the patient's language (the app shows these); times said as
    of `now` (aware UTC, the caller's request's)."""
    values = text_values(clinic, assessment, next_checkin, patient.language, now=now)
    values["therapy"] = therapy_name(clinic, patient)
    return [render(key, patient.language, **values) for key in assessment.instructions]
