"""The values on a page, its update, its re-pages and the call (monitoring.pagefacts.facts; found by a breaker
helper): each reason's value from the reading it was judged by, texts' readings as of the text that raised the
alert. Driven through the signed webhook, the app API and the tick."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import NURSES, START, auth, enroll, texts_to


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def tick(runner):
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def pages(client, token):
    return [m["body"] for number in NURSES for m in texts_to(client, token, number) if m["kind"] == "alert"]


@pytest.fixture
def enrolled(client, admin_token, runner):
    patient = enroll(client, admin_token, baseline_systolic=125)
    tick(runner)
    return patient


def test_an_app_reading_a_phone_clock_ahead_keeps_its_value_when_a_text_adds_a_reason(client, admin_token, enrolled,
                                                                                     clock, phone, runner):
    """The app accepts a taken_at up to 5 minutes ahead of ours (a phone's clock ahead: app_api.FUTURE_ALLOWANCE).
    Its reading pages low blood pressure 84/50; a minute later the patient texts "please call me", which adds a
    reason and stamps the alert with that text: the re-page then reads the readings taken up to the text's
    arrival only, which leaves out the app's 84/50 (taken "later") and shows the earlier normal pressure as the
    low one."""
    at(clock, 1)
    assert phone.text("temp 37.0 bp 120/80").status_code == 200  # normal: no alert
    assert pages(client, admin_token) == []
    at(clock, 5)
    response = client.post("/api/v1/me/readings", headers=auth(enrolled["patient_token"]),
                           json={"systolic": 84, "diastolic": 50,
                                 "taken_at": (START + timedelta(minutes=8)).isoformat()})
    assert response.status_code == 201, response.get_json()
    [first] = pages(client, admin_token)
    assert "low blood pressure 84/50" in first, first
    at(clock, 6)
    assert phone.text("please call me").status_code == 200
    at(clock, 40)
    tick(runner)  # no ACK: the re-page names every reason with its value
    repages = [body for body in pages(client, admin_token) if "NOT ACKED" in body]
    assert repages, pages(client, admin_token)
    for body in repages:
        assert "120/80" not in body, body
        assert "low blood pressure 84/50" in body, body


CAREGIVER = "+15555550188"
REPORTED = "Reported by caregiver (spouse) (555) 555-0188."


def test_an_alert_the_app_raised_names_no_caregiver_who_only_texted_a_normal_reading_earlier(
        client, admin_token, enrolled, clock, phone, runner):
    """The spouse texted a normal temperature at 10:01 (no alert). Hours later the patient's app sends an oxygen
    of 87: no text raised that alert, so nobody "reported" it; the page named the spouse all the same (the
    writer of the newest text read), and the nurse would call the spouse about a reading the spouse never sent."""
    response = client.post(f"/api/v1/patients/{enrolled['id']}/caregivers", headers=auth(admin_token),
                           json={"name": "Carl Giver", "phone": CAREGIVER, "relationship": "spouse"})
    assert response.status_code == 201, response.get_json()
    at(clock, 1)
    assert phone.text("98.6", sender=CAREGIVER).status_code == 200
    assert pages(client, admin_token) == []
    at(clock, 240)
    response = client.post("/api/v1/me/readings", headers=auth(enrolled["patient_token"]), json={"spo2": 87})
    assert response.status_code == 201, response.get_json()
    [page] = pages(client, admin_token)
    assert "low oxygen 87%" in page, page
    assert "Reported by" not in page, page


def test_a_repage_shows_the_worse_value_a_later_text_sent_for_the_same_reason(client, admin_token, enrolled, clock,
                                                                             phone, runner):
    """Oxygen 88 pages (low oxygen); nine minutes later the patient texts oxygen 82: the same reason on an alert
    not yet acknowledged, so no new page ('seen_again'), and the alert keeps the first text. The re-page (and
    the call it leads to) then read the readings as of that first text only and told the nurse 88%, not the 82%
    the patient had sent since (before alerts.message_id they showed the newest reading)."""
    at(clock, 1)
    assert phone.text("o2 88").status_code == 200
    [first] = pages(client, admin_token)
    assert "low oxygen 88%" in first, first
    at(clock, 10)
    assert phone.text("o2 82").status_code == 200
    assert pages(client, admin_token) == [first]  # the same reason: recorded, not paged again
    at(clock, 40)
    tick(runner)
    repages = [body for body in pages(client, admin_token) if "NOT ACKED" in body]
    assert repages, pages(client, admin_token)
    for body in repages:
        assert "low oxygen 82%" in body, body
    calls = [m["body"] for number in NURSES for m in texts_to(client, admin_token, number) if m["kind"] == "call"]
    assert calls, "an urgent page unacknowledged becomes a call"
    for said in calls:
        assert "82" in said and "88" not in said, said


def test_a_silence_added_hours_after_an_acked_fever_page_shows_the_temperature_texted_since(
        client, admin_token, enrolled, clock, phone, runner):
    """A guard for the fix above: the tick adding missed check-ins to an alert a text raised (no text now) reads the
    newest readings, not those as of that text: 98.6F texted since, not the first page's 102.2F."""
    at(clock, 1)
    assert phone.text("temp 39.0 bp 84/50").status_code == 200
    at(clock, 3)
    assert phone.text("ACK", sender=NURSES[0]).status_code == 200
    at(clock, 30)
    assert phone.text("temp 37.0").status_code == 200
    for minute in range(60, 361, 30):
        at(clock, minute)
        tick(runner)
    [update] = [body for body in pages(client, admin_token) if "update" in body]
    assert "now missed check-ins" in update and "temp 98.6F/37.0C" in update, update
