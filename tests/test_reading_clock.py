"""A stated clock time on the nights the clocks change (issue 14, fault 1).

A stated time is the latest real instant at or before the text at which the clinic's clock read it
(messages.reading.clock): both instants of a repeated time are tried, a skipped time is read with
the offsets either side of the jump, and nothing is ever in the future. The dose time decides when
the next acetaminophen may be taken (SOP line 64, "≥ 6-8 h later"), so the webhook tests check the
stored dose and the reply.

Corpus rows: tests/corpus/clock.jsonl, the fields of tests/corpus/README.md plus `now` (when the text
was sent, ISO with offset) and meds' `at` with its offset (the instant; a wall time alone cannot name
one of two 1:20s).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import PATIENT_PHONE, auth, enroll, texts_to
from test_parse_corpus import actual_reading, expected_reading

from messages.parse import parse
from messages.reading.clock import latest_wall_time, resolve_stated_time
from messages.texts import template

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
ROWS = [json.loads(line) for line in (Path(__file__).parent / "corpus" / "clock.jsonl").read_text("utf-8").splitlines()
        if line.strip()]


def _now(row: dict) -> datetime:
    """The row's `now` in its zone: New York when its text says so (`-ny-` in the id), else Chicago."""
    zone = NEW_YORK if "-ny-" in row["id"] else CHICAGO
    return datetime.fromisoformat(row["now"]).astimezone(zone)


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_clock_corpus(row):
    parsed = parse(row["body"], _now(row))
    without_times = {**row, "meds": [{k: v for k, v in m.items() if k != "at"} for m in row.get("meds", [])]}
    actual = actual_reading(parsed)
    taken = [m.pop("taken_at") for m in actual["medications"]]
    expected = expected_reading(without_times)
    for m in expected["medications"]:
        del m["taken_at"]
    assert actual == expected, row.get("why", "")
    wanted = [datetime.fromisoformat(m["at"]).astimezone(UTC) if "at" in m else None for m in row.get("meds", [])]
    assert [t.astimezone(UTC) if t else None for t in taken] == wanted, row.get("why", "")
    assert all(t is None or t.astimezone(UTC) <= _now(row).astimezone(UTC) for t in taken)


def test_clock_corpus_covers_both_languages_and_both_changes():
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    assert {row["lang"] for row in ROWS} >= {"en", "es"}
    assert any(row["now"].startswith("2026-11-01") for row in ROWS)
    assert any(row["now"].startswith("2026-03-08") for row in ROWS)


@pytest.mark.parametrize("now, hour, minute, part, expected", [
    pytest.param("2026-11-01T01:10-06:00", 1, 20, "am", "2026-11-01T06:20Z", id="repeated-hour-first-pass"),
    pytest.param("2026-11-01T01:10-06:00", 1, 5, "am", "2026-11-01T07:05Z", id="repeated-hour-both-past"),
    pytest.param("2026-11-01T01:10-05:00", 1, 5, "am", "2026-11-01T06:05Z", id="first-pass-sent-in-first-pass"),
    # 10 minutes ahead, last read 24 h ago: a rounded "just now" (clock.AHEAD_IS_NOW), not yesterday's 1:20,
    # which spaced the next dose from a day back (break-it pass; this row said 2026-10-31T06:20Z before)
    pytest.param("2026-11-01T01:10-05:00", 1, 20, "am", "2026-11-01T06:10Z", id="first-pass-still-to-come"),
    pytest.param("2026-03-08T03:10-05:00", 2, 40, "am", "2026-03-08T07:40Z", id="skipped-time-earlier-reading"),
    pytest.param("2026-03-08T04:00-05:00", 2, 40, "am", "2026-03-08T08:40Z", id="skipped-time-later-reading"),
    pytest.param("2026-03-08T01:50-06:00", 2, 40, "am", "2026-03-07T08:40Z", id="skipped-time-before-the-jump"),
    pytest.param("2026-11-01T01:10-06:00", 1, 20, None, "2026-11-01T06:20Z", id="no-part-on-real-instants"),
    pytest.param("2026-03-04T01:00-06:00", 12, 30, "pm", "2026-03-03T18:30Z", id="12pm-is-noon"),
    pytest.param("2026-03-04T01:00-06:00", 12, 30, "am", "2026-03-04T06:30Z", id="12am-is-midnight"),
    pytest.param("2026-03-03T13:00-06:00", 13, 0, None, "2026-03-03T19:00Z", id="now-exactly"),
])
def test_resolve_stated_time(now, hour, minute, part, expected):
    sent = datetime.fromisoformat(now).astimezone(CHICAGO)
    resolved = resolve_stated_time(sent, hour, minute, part)
    assert resolved.astimezone(UTC) == datetime.fromisoformat(expected)
    assert resolved.tzinfo is CHICAGO
    real = resolved.astimezone(UTC).astimezone(CHICAGO)  # the wall clock shown is the one of that instant
    assert (resolved.hour, resolved.minute, resolved.utcoffset()) == (real.hour, real.minute, real.utcoffset())


def test_a_naive_now_is_read_as_a_plain_wall_clock():
    assert latest_wall_time(datetime(2026, 3, 3, 13, 0), 14, 0) == datetime(2026, 3, 2, 14, 0)


@pytest.mark.parametrize("hour, minute", [(24, 0), (-1, 0), (3, 60)])
def test_an_impossible_clock_time_is_refused(hour, minute):
    with pytest.raises(ValueError, match="no clock time"):
        latest_wall_time(datetime(2026, 3, 3, 13, 0, tzinfo=CHICAGO), hour, minute)


# Through the signed webhook: the dose stored, and what the patient is told.

def _text_at(client, admin_token, runner, clock, phone, sent: datetime, body: str) -> tuple[datetime, str]:
    """Enroll a patient 20 hours before `sent`, send `body` at `sent`; the stored dose time and the replies."""
    clock.move_to(sent - timedelta(hours=20))
    patient = enroll(client, admin_token, dose_given_at=(sent - timedelta(hours=20)).isoformat())
    assert runner.invoke(args=["tick"]).exit_code == 0
    clock.move_to(sent)
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    assert phone.text(body).status_code == 200
    doses = client.get(f"/api/v1/patients/{patient['id']}/medications", headers=auth(admin_token)).get_json()
    replies = "\n".join(m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[before:])
    assert len(doses) == 1 and doses[0]["dose_mg"] == 1000.0
    return datetime.fromisoformat(doses[0]["given_at"]), replies


TAKE_NOW = template("reply_fever_home_care", "en")


@pytest.mark.parametrize("sent, body, dose_at, wait_until", [
    pytest.param(datetime(2026, 11, 1, 1, 10, tzinfo=CHICAGO, fold=1), "102, took 1000mg tylenol at 12:50am",
                 "2026-11-01T05:50Z", "5:50 AM", id="fall-back-12-50am-as-filed"),
    pytest.param(datetime(2026, 11, 1, 1, 10, tzinfo=CHICAGO, fold=1), "102, took 1000mg tylenol at 1:20am",
                 "2026-11-01T06:20Z", "6:20 AM", id="fall-back-1-20am-in-the-repeated-hour"),
    pytest.param(datetime(2026, 3, 8, 3, 10, tzinfo=CHICAGO), "102, took 1000mg tylenol at 2:40 am",
                 "2026-03-08T07:40Z", "8:40 AM", id="spring-forward-2-40am-does-not-exist"),
    # Rounded a few minutes ahead (break-it pass): read as yesterday's 10:07 PM, the reply said "take
    # acetaminophen now" minutes after 1000 mg. A rounded "just now" is now (clock.AHEAD_IS_NOW).
    pytest.param(datetime(2026, 3, 3, 10, 5, tzinfo=CHICAGO), "just took 1000mg tylenol at 10:07, temp 101.2",
                 "2026-03-03T16:05Z", "4:05 PM", id="rounded-two-minutes-ahead-is-now"),
    pytest.param(datetime(2026, 3, 3, 21, 55, tzinfo=CHICAGO), "took 1000mg tylenol at 10pm, 101.5",
                 "2026-03-04T03:55Z", "3:55 AM tomorrow", id="rounded-to-the-hour-ahead-is-now"),
])
def test_a_dose_timed_in_the_changing_hour_is_stored_when_it_was_taken(
        client, admin_token, runner, clock, phone, sent, body, dose_at, wait_until):
    given_at, replies = _text_at(client, admin_token, runner, clock, phone, sent, body)
    assert given_at == datetime.fromisoformat(dose_at)
    assert given_at <= sent  # never in the future
    # A fever an hour or so after 1000 mg: wait for the next dose (6 h after it), never "take it now".
    assert template("reply_fever_wait", "en").format(next_dose_time=wait_until).split(" Drink")[0] in replies
    assert TAKE_NOW not in replies
