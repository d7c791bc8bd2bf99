"""A page timed by its alert (a plea, silence) says when the reading it shows was taken: "temp 101.5F at 3:00 PM"
for a temperature taken at 10:05 AM made the nurse think the fever was current (DESIGN.md: pages carry each
reason with its value and the time; a value without its own time is a wrong fact)."""
from datetime import timedelta

import pytest
from conftest import NURSES, START, enroll, messages

from messages.page import PageFacts, reason_phrases, spoken_reasons


def pages(client, token):
    return [m["body"] for m in messages(client, token) if m["kind"] == "alert" and m["to"] == NURSES[0]]


@pytest.mark.parametrize("reading, plea_after, plea, shown", [
    pytest.param("temp 101.5 bp 100/70 o2 94", timedelta(hours=5), "please call me, I feel worse",
                 '"please call me, I feel worse" (last reading 10:05 AM: temp 101.5F/38.6C) at 3:00 PM',
                 id="hours-later-same-day"),  # SOP 4: a fever, home care, no page of its own
    pytest.param("99.1", timedelta(days=1, hours=1), "please call me",
                 "(last reading Tue 10:05 AM: temp 99.1F/37.3C) at 11:00 AM", id="another-day-names-the-day"),
])
def test_a_plea_after_the_last_reading_shows_that_reading_s_time(client, admin_token, runner, clock, phone, reading,
                                                                  plea_after, plea, shown):
    enroll(client, admin_token, baseline_systolic=125)
    runner.invoke(args=["tick"])
    clock.move_to(START + timedelta(minutes=5))
    phone.text(reading)
    clock.move_to(START + plea_after)
    phone.text(plea)
    [page] = pages(client, admin_token)
    assert shown in page


def test_a_reading_in_the_plea_itself_is_not_dated_twice(client, admin_token, runner, clock, phone):
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    clock.move_to(START + timedelta(hours=2))
    phone.text("temp 99.5 please call me")
    [page] = pages(client, admin_token)
    assert "last reading" not in page and "temp 99.5F/37.5C at 12:00 PM" in page


def test_a_page_for_a_reading_s_own_reason_keeps_the_reading_s_time(client, admin_token, runner, clock, phone):
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    clock.move_to(START + timedelta(minutes=5))
    phone.text("o2 86")  # SOP 5 Grade 1 Home: SpO2 < 90%
    [page] = pages(client, admin_token)
    assert "low oxygen 86% (floor 90%) at 10:05 AM" in page and "last reading" not in page


def test_the_call_says_when_the_shown_reading_was_taken():
    facts = PageFacts(reasons=("asks_for_call",), temperature_c=38.6, heart_rate=112, words="call me",
                      values_at="10:05 AM")
    assert reason_phrases(facts, 60).endswith("(last reading 10:05 AM: temp 101.5F/38.6C, HR 112)")
    assert spoken_reasons(facts).endswith(
        "last reading at 10:05 AM: temperature 101.5 Fahrenheit, heart rate 112")

