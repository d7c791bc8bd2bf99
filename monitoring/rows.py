"""Typed rows: the five tables the service layer passes around, as frozen dataclasses (issue 18).

Each field is one column of its table, in the type SQLite hands back: times are the store's UTC text
(`2026-03-03T16:00:00.000000+00:00`, `monitoring.store.to_text`; `from_text` makes it a datetime), JSON
columns are their text (`monitoring.store.loads`), SQLite's 0/1 booleans are ints. The schema is the
migrations' (`monitoring/migrations.py`); `tests/test_rows.py` fails when a column and a field part.

Build one with `Patient.from_row(row)` from a `SELECT *` (or `SELECT p.*`) row; `None` stays `None` with
`Patient.maybe(row)`. Extra columns of a join are ignored; a missing one is a KeyError (a query that
forgot a column is a bug to see at once, not a silent None): IndexError from a sqlite3.Row, KeyError from a dict.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import itemgetter
from typing import Any, ClassVar, Self


class _Row:
    """from_row / maybe for a frozen dataclass whose fields are its table's columns."""

    __slots__ = ()
    _columns: ClassVar[Callable[[Any], tuple[Any, ...]]]

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict[str, Any]) -> Self:
        """The typed row for `row` (a sqlite3.Row or a dict with at least this table's columns)."""
        columns = cls.__dict__.get("_columns")
        if columns is None:
            # every column's value in one C call (issue 19: a text builds two or three rows under the write lock)
            columns = itemgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]
            cls._columns = columns
        return cls(*columns(row))

    @classmethod
    def maybe(cls, row: sqlite3.Row | dict[str, Any] | None) -> Self | None:
        """`from_row(row)`, or None when the query found no row."""
        return None if row is None else cls.from_row(row)


@dataclass(frozen=True, slots=True)
class Patient(_Row):
    """A row of `patients`. `high_risk` 0/1; `risk_factors` a JSON list of keys (SOP line 24's risk
    factors); `baseline_systolic` mmHg and `baseline_spo2` % (SOP lines 40-41), None when not recorded;
    `checkin_interval_minutes` None means the clinic's interval."""

    id: int
    name: str
    phone: str
    language: str
    token_hash: str
    baseline_systolic: int | None
    baseline_spo2: int | None
    high_risk: int
    risk_factors: str
    checkin_interval_minutes: int | None
    opted_out_at: str | None
    created_at: str
    mrn: str | None
    birth_date: str | None


@dataclass(frozen=True, slots=True)
class Episode(_Row):
    """A row of `episodes`: one monitoring window after a step-up dose. `status` active | ended (a paused
    episode is active with `paused_at` set); `next_checkin_at` when the next prompt is due; `first_sign_at`
    and `first_sign_key` the first CRS sign of the episode; `fever_reset_through`, `fever_reset_at`,
    `fever_reset_c` and `fever_reset_key` the fever's reset (both kept as state, issue 19; monitoring.care)."""

    id: int
    patient_id: int
    therapy: str
    dose_given_at: str
    ends_at: str
    status: str
    next_checkin_at: str | None
    checkin_sent_at: str | None
    reminder_sent: int
    missed_count: int
    last_answer_at: str | None
    created_at: str
    ended_at: str | None
    paused_at: str | None
    pause_reason: str | None
    pause_until: str | None
    end_reason: str | None
    ended_by: str | None
    first_sign_at: str | None
    first_sign_key: str | None
    fever_reset_through: str | None
    fever_reset_at: str | None
    fever_reset_c: float | None
    fever_reset_key: str | None


@dataclass(frozen=True, slots=True)
class Reading(_Row):
    """A row of `readings`. `temperature_c` degrees Celsius (None when not given or implausible:
    `implausible` lists the blanked fields, JSON); `systolic`/`diastolic` mmHg, `spo2` %, `heart_rate` per
    minute; `symptoms` and `denied_symptoms` JSON lists of symptom keys; `temperature_given` and
    `temperature_unit` what the patient wrote (C | F); `source` sms | app | device | staff."""

    id: int
    patient_id: int
    episode_id: int
    taken_at: str
    temperature_c: float | None
    systolic: int | None
    diastolic: int | None
    spo2: int | None
    heart_rate: int | None
    symptoms: str
    denied_symptoms: str
    implausible: str
    source: str
    message_id: int | None
    created_at: str
    temperature_given: float | None
    temperature_unit: str | None
    said_earlier: str | None = None  # a fever the text gave as earlier: the time words beside it ('' none); m024
    earlier_timed: int | None = None  # 1: taken_at is the time the text gave; 0: the latest it can have been


@dataclass(frozen=True, slots=True)
class Alert(_Row):
    """A row of `alerts`. `level` urgent | clinician_review | ...; `reasons` a JSON list of reason keys;
    `status` open | acknowledged | resolved; `page_round` how many rounds of the on-call chain were paged;
    `next_page_at` when it pages again unless acknowledged; `call_due_at` when an unacknowledged urgent
    page becomes a voice call; `told` what the patient was told (JSON); `message_id` the text that opened it
    or last paged about it (None when no text did); `reported_by_message_id` the last caregiver's text that did."""

    id: int
    patient_id: int
    episode_id: int | None
    level: str
    reasons: str
    status: str
    page_round: int
    next_page_at: str | None
    created_at: str
    updated_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    resolved_at: str | None
    resolved_by: str | None
    resolution_note: str | None
    round_started_at: str | None
    outcome: str | None
    told: str | None
    call_due_at: str | None
    message_id: int | None
    reported_by_message_id: int | None


@dataclass(frozen=True, slots=True)
class Message(_Row):
    """A row of `messages`: a text in (`direction` in) or out (the outbox). `status` received | waiting | deferred |
    processed | error for inbound, queued | sending | sent | delivered | failed | undeliverable outbound;
    `priority` 1 pages and urgent replies, 2 other replies, 3 prompts and reminders (issue 19); `sid`
    Twilio's MessageSid; `error_code` Twilio's error code when it failed; `media_count` the pictures an
    inbound MMS carried (Twilio's NumMedia; never fetched)."""

    id: int
    direction: str
    to_number: str
    from_number: str
    body: str
    kind: str
    patient_id: int | None
    alert_id: int | None
    staff_id: int | None
    status: str
    sid: str | None
    attempts: int
    next_attempt_at: str | None
    first_attempt_at: str | None
    error_code: str | None
    error_message: str | None
    processed_at: str | None
    created_at: str
    sent_at: str | None
    updated_at: str
    error_scope: str | None
    caregiver_id: int | None
    outcome: str | None
    priority: int
    media_count: int
