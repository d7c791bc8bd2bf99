"""The response-time report: how fast the on-call chain answered alerts in a period (CONTRACT section 8).

This is how a clinic shows its program is safe: of the alerts opened in the period, how many of each
level and reason, how long from the alert to its first page and to its acknowledgement (median and
90th percentile), how many needed a re-page or a call, and what came of them. Read-only.

Definitions (each figure counts alerts whose `created_at` is in [since, until)):
- first page: the earliest `sent_at` of a page (an outgoing text of kind 'alert') for the alert; a page
  queued but never handed to the gateway is not a page. Alerts never paged are left out of the figure.
- acknowledgement: `acknowledged_at` (resolving an unacknowledged alert acknowledges it too).
- percentiles: nearest rank (the p90 of 10 values is the 9th smallest); the median is the middle value or
  the mean of the two middle values. Null when no alert has the time.
- repaged: alerts paged in a round after the first (nobody acknowledged within the timeout, or a page
  could not be delivered). called: alerts with a voice call (messages of kind 'call'; not one withdrawn
  before it was placed because the alert was acknowledged or resolved first: status 'canceled').
- missed check-in alerts per patient-day: alerts for missed check-ins over the days patients were
  monitored in the period (each episode from its dose to its end, or now, clipped to the period).
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from messages.texts import level_label, reason_label
from monitoring.alerts import OUTCOMES
from monitoring.clinic import Clinic
from monitoring.history import period_with_errors
from monitoring.rows import Alert, Episode
from monitoring.store import from_text, loads, to_text

ALERT_LEVELS = ("clinician_review", "urgent")
OUTCOME_LABELS = {"home_care": "home care", "ed": "emergency department", "clinic": "seen in clinic",
                  "admitted": "admitted", "no_action": "no action needed"}


def parse_period(args: Mapping[str, str], tz: ZoneInfo,
                 now: datetime) -> tuple[dict[str, datetime | None], dict[str, str]]:
    """Query args -> ({"since", "until"}, {field: problem}); the last 30 clinic days up to the end of `now`'s
    day (aware UTC, the caller's) by default (`history.period_with_errors`)."""
    since, until, errors = period_with_errors(args, tz, now)
    return ({} if errors else {"since": since, "until": until}), errors


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _spread(values: list[float]) -> dict[str, float | None]:
    return {"median": statistics.median(values) if values else None, "p90": percentile(values, 0.9)}


def alert_report(clinic: Clinic, since: datetime, until: datetime, now: datetime) -> dict[str, Any]:
    """{"since", "until" (ISO), "alerts", "by_level": {level: n}, "by_reason": {code: n},
    "first_page_seconds": {"median", "p90"}, "ack_seconds": {"median", "p90"}, "repaged", "called",
    "outcomes": {outcome: n}, "unresolved", "patient_days", "missed_checkin_alerts_per_patient_day"}.
    Seconds are floats; see the module docstring for each definition. `now` (aware UTC, the caller's) ends
    the patient-days of an episode still running."""
    db = clinic.db
    rows = db.execute(
        "SELECT a.*, "
        "(SELECT MIN(m.sent_at) FROM messages m WHERE m.alert_id = a.id AND m.kind = 'alert' "
        " AND m.direction = 'out') AS first_page_at, "
        "EXISTS (SELECT 1 FROM messages m WHERE m.alert_id = a.id AND m.kind = 'call' AND m.status != 'canceled') "
        "AS called "
        "FROM alerts a WHERE a.created_at >= ? AND a.created_at < ? ORDER BY a.id",
        [to_text(since), to_text(until)]).fetchall()
    alerts: list[tuple[Alert, str | None, int]] = [
        (Alert.from_row(row), row["first_page_at"], row["called"]) for row in rows]
    by_level = dict.fromkeys(ALERT_LEVELS, 0)
    by_reason: dict[str, int] = {}
    outcomes = dict.fromkeys(OUTCOMES, 0)
    first_page: list[float] = []
    ack: list[float] = []
    for alert, first_page_at, _ in alerts:
        by_level[alert.level] = by_level.get(alert.level, 0) + 1
        for code in loads(alert.reasons, []):
            by_reason[code] = by_reason.get(code, 0) + 1
        created = from_text(alert.created_at)
        if first_page_at:
            first_page.append((from_text(first_page_at) - created).total_seconds())
        if alert.acknowledged_at:
            ack.append((from_text(alert.acknowledged_at) - created).total_seconds())
        if alert.outcome:
            outcomes[alert.outcome] = outcomes.get(alert.outcome, 0) + 1
    days = patient_days(clinic, since, until, now)
    missed = by_reason.get("missed_checkins", 0)
    return {
        "since": since.isoformat(), "until": until.isoformat(),
        "alerts": len(alerts), "by_level": by_level, "by_reason": dict(sorted(by_reason.items())),
        "first_page_seconds": _spread(first_page), "ack_seconds": _spread(ack),
        "repaged": sum(1 for alert, _, _ in alerts if alert.page_round > 0),
        "called": sum(1 for _, _, called in alerts if called),
        "outcomes": outcomes, "unresolved": sum(1 for alert, _, _ in alerts if alert.status != "resolved"),
        "patient_days": round(days, 2),
        "missed_checkin_alerts_per_patient_day": round(missed / days, 3) if days else None,
    }


def patient_days(clinic: Clinic, since: datetime, until: datetime, now: datetime) -> float:
    """Days of monitoring in [since, until): each episode from its dose to when it ended (or its planned
    end, or `now` (aware UTC) while it runs), clipped to the period."""
    total = 0.0
    for episode in map(Episode.from_row, clinic.db.execute(
            "SELECT * FROM episodes WHERE dose_given_at < ? AND COALESCE(ended_at, ends_at) > ?",
            [to_text(until), to_text(since)])):
        start = max(from_text(episode.dose_given_at), since)
        stop = from_text(episode.ended_at) if episode.ended_at else min(from_text(episode.ends_at), now)
        stop = min(stop, until)
        if stop > start:
            total += (stop - start).total_seconds() / 86400
    return total


def _minutes(seconds: float | None) -> str:
    return "none" if seconds is None else f"{seconds / 60:.1f}"


def report_rows(figures: dict[str, Any], tz: ZoneInfo | None = None) -> list[tuple[str, str]]:
    """The report as (measure, value) rows in words: the dashboard's table and its CSV are these rows.
    With `tz` the period's ends are shown in that zone as 'YYYY-MM-DD HH:MM', else as ISO times."""

    def shown(iso_text: str) -> str:
        return datetime.fromisoformat(iso_text).astimezone(tz).strftime("%Y-%m-%d %H:%M") if tz else iso_text

    rows = [("Period from", shown(figures["since"])), ("Period to (not included)", shown(figures["until"])),
            ("Alerts", str(figures["alerts"]))]
    rows += [(f"Alerts: {level_label(level, 'en')}", str(n)) for level, n in figures["by_level"].items()]
    rows += [(f"Reason: {reason_label(code, 'en')}", str(n)) for code, n in figures["by_reason"].items()]
    rows += [
        ("Minutes to first page, median", _minutes(figures["first_page_seconds"]["median"])),
        ("Minutes to first page, 90th percentile", _minutes(figures["first_page_seconds"]["p90"])),
        ("Minutes to acknowledgement, median", _minutes(figures["ack_seconds"]["median"])),
        ("Minutes to acknowledgement, 90th percentile", _minutes(figures["ack_seconds"]["p90"])),
        ("Needed a re-page", str(figures["repaged"])),
        ("Needed a call", str(figures["called"])),
    ]
    rows += [(f"Outcome: {OUTCOME_LABELS.get(code, code)}", str(n)) for code, n in figures["outcomes"].items()]
    rows += [("Not resolved yet", str(figures["unresolved"])),
             ("Patient-days monitored", f"{figures['patient_days']:g}"),
             ("Missed check-in alerts per patient-day",
              "none" if figures["missed_checkin_alerts_per_patient_day"] is None
              else f"{figures['missed_checkin_alerts_per_patient_day']:g}")]
    return rows
