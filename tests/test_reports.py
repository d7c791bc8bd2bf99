"""The response-time report's figures on a hand-made set of alerts with known times (monitoring.reports)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import NURSES, START, auth

from monitoring.clinic import open_clinic
from monitoring.reports import alert_report, percentile, report_rows
from monitoring.store import dumps, insert, to_text

DAY = START.replace(hour=0)  # Tuesday 3 March 2026, midnight in Chicago


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return START.replace(hour=hour, minute=minute, second=second)


def add_alert(db, patient_id: int, level: str, reasons: list[str], created: datetime, *, pages=(),
              acknowledged: datetime | None = None, page_round: int = 0, outcome: str | None = None,
              resolved: bool = False, called: bool = False) -> int:
    alert_id = insert(db, "alerts", {
        "patient_id": patient_id, "level": level, "reasons": dumps(reasons),
        "status": "resolved" if resolved else "acknowledged" if acknowledged else "open",
        "page_round": page_round, "created_at": to_text(created), "updated_at": to_text(created),
        "acknowledged_at": to_text(acknowledged) if acknowledged else None,
        "acknowledged_by": "Nora" if acknowledged else None, "outcome": outcome,
        "resolved_at": to_text(acknowledged) if resolved else None})
    for sent in pages:  # (queued, sent or None)
        queued, sent_at = sent
        insert(db, "messages", {
            "direction": "out", "to_number": NURSES[0], "from_number": "+15555550123", "body": "page",
            "kind": "alert", "alert_id": alert_id, "status": "sent" if sent_at else "failed",
            "created_at": to_text(queued), "sent_at": to_text(sent_at) if sent_at else None,
            "updated_at": to_text(queued)})
    if called:
        insert(db, "messages", {
            "direction": "out", "to_number": NURSES[0], "from_number": "+15555550123", "body": "call",
            "kind": "call", "alert_id": alert_id, "status": "sent", "created_at": to_text(created),
            "updated_at": to_text(created)})
    return alert_id


@pytest.fixture
def figures(app, patient, clock):
    clinic = open_clinic(app.config["CRS"])
    db = clinic.db
    pid = patient["id"]
    with db.conn:
        # 30 s to the first page, 5 min to ACK, sent to the ED
        add_alert(db, pid, "urgent", ["hypotension"], at(11), pages=[(at(11), at(11, 0, 30))],
                  acknowledged=at(11, 5), outcome="ed", resolved=True)
        # 60 s to page; nobody answered so it was paged again (a later page is not the first); ACK at 20 min
        add_alert(db, pid, "clinician_review", ["fever", "recurrent_fever"], at(12),
                  pages=[(at(12), at(12, 1)), (at(12, 16), at(12, 16, 5))], acknowledged=at(12, 20), page_round=1,
                  outcome="home_care", resolved=True)
        # 2 min to page, never acknowledged, re-paged twice and called
        add_alert(db, pid, "urgent", ["hypoxia"], at(13), pages=[(at(13), at(13, 2))], page_round=2, called=True)
        # a page that never left (no sent_at) is not a first page; ACK after 10 min
        add_alert(db, pid, "clinician_review", ["missed_checkins"], at(14), pages=[(at(14), None)],
                  acknowledged=at(14, 10), outcome="no_action", resolved=True)
        # outside the period
        add_alert(db, pid, "urgent", ["fever"], DAY - timedelta(days=2), pages=[(DAY - timedelta(days=2),
                  DAY - timedelta(days=2) + timedelta(hours=5))], acknowledged=DAY - timedelta(days=1))
    clock.move_to(DAY + timedelta(days=3))
    try:
        yield alert_report(clinic, DAY, DAY + timedelta(days=1), DAY + timedelta(days=3))
    finally:
        db.close()


def test_counts(figures):
    assert figures["alerts"] == 4
    assert figures["by_level"] == {"clinician_review": 2, "urgent": 2}
    assert figures["by_reason"] == {"fever": 1, "hypotension": 1, "hypoxia": 1, "missed_checkins": 1,
                                    "recurrent_fever": 1}
    assert (figures["repaged"], figures["called"], figures["unresolved"]) == (2, 1, 1)
    assert figures["outcomes"] == {"home_care": 1, "ed": 1, "clinic": 0, "admitted": 0, "no_action": 1}


def test_times(figures):
    assert figures["first_page_seconds"] == {"median": 60, "p90": 120}  # of 30, 60, 120
    assert figures["ack_seconds"] == {"median": 600, "p90": 1200}  # of 300, 1200, 600


def test_patient_days_and_missed_rate(figures):
    # one episode from its dose at 10:00 to the end of the day: 14 h
    assert figures["patient_days"] == pytest.approx(14 / 24, abs=0.01)
    assert figures["missed_checkin_alerts_per_patient_day"] == pytest.approx(24 / 14, abs=0.01)


def test_rows_say_it_in_words(figures):
    rows = dict(report_rows(figures))
    assert rows["Minutes to first page, median"] == "1.0"
    assert rows["Minutes to acknowledgement, 90th percentile"] == "20.0"
    assert rows["Alerts: URGENT"] == "2" and rows["Outcome: emergency department"] == "1"
    assert rows["Needed a call"] == "1"


@pytest.mark.parametrize("values, share, expected", [
    pytest.param([], 0.9, None, id="none"),
    pytest.param([5.0], 0.9, 5.0, id="one"),
    pytest.param([float(n) for n in range(1, 11)], 0.9, 9.0, id="ten-nearest-rank"),
    pytest.param([3.0, 1.0, 2.0], 0.5, 2.0, id="unsorted-median-rank"),
])
def test_percentile(values, share, expected):
    assert percentile(values, share) == expected


def test_empty_period_has_null_times(client, admin_token):
    body = client.get("/api/v1/reports/alerts?since=2026-01-01&until=2026-01-31", headers=auth(admin_token)).get_json()
    assert body["alerts"] == 0 and body["first_page_seconds"] == {"median": None, "p90": None}
    assert body["missed_checkin_alerts_per_patient_day"] is None
