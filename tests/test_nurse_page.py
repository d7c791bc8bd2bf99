"""The nurse's page (issue 12): each reason with its value and unit, the patient's own words, what the
patient was told, the reading's time in clinic time, ACK, the link (from the live settings, in the web
process and the scheduler's alike) and, by a clinic setting, the callback number. Through the signed
webhook, as a patient and a nurse use it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import NURSES, PATIENT_PHONE, START, auth, enroll, texts_to

from messages.page import PageFacts, quote, reason_phrases, render_page, spoken_reasons
from messages.texts import is_gsm7, segments
from monitoring import config as config_module
from scheduler.jobs import run_due_work


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def pages(client, token, number=NURSES[0]):
    return [m["body"] for m in texts_to(client, token, number) if m["kind"] == "alert"]


def tick(runner):
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def enrolled(client, admin_token, runner):
    patient = enroll(client, admin_token, baseline_systolic=125)
    tick(runner)
    return patient


def test_red_flag_page_carries_values_instruction_time_ack_and_link(client, admin_token, enrolled, clock, phone):
    """In clinic hours the patient is told to call the clinic; the page says so, with every value."""
    at(clock, 7)
    phone.text("temp 39.4 bp 84/52 o2 87 pulse 118")
    [body] = pages(client, admin_token)
    alert_id = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()[0]["id"]
    assert body.startswith("crswatch URGENT: P.E. ")
    assert "102.9F/39.4C" in body  # SOP 4: fever >= 100.4 F (38 C), in both units
    assert "low blood pressure 84/52 (baseline 125)" in body
    assert "low oxygen 87% (floor 90%)" in body
    assert "HR 118" in body
    assert "at 10:07 AM." in body  # the reading's time, clinic time (Chicago)
    assert "Told: call clinic now" in body
    assert f"Reply ACK {alert_id}. https://monitor.example.org/dashboard/alerts/{alert_id}" in body
    assert "Pat" not in body and "Example" not in body
    assert segments(body) <= 3 and is_gsm7(body)


def test_a_page_raised_by_a_retried_text_carries_that_texts_values_and_time(client, admin_token, enrolled, clock,
                                                                          phone, runner, monkeypatch):
    """Break-it pass: the page read the newest reading, so when the tick retried an older text (after a fault)
    once a newer one had been read, the page for the older text's red flags carried the newer, normal values
    ("low blood pressure 120/80", "low oxygen 98%") and the newer text's time. Re-pages read the same."""
    from test_caregivers import first_reading_fails

    failed = first_reading_fails(monkeypatch)
    at(clock, 3)
    phone.text("temp 39.4 bp 84/52 o2 87 pulse 118")
    assert failed and pages(client, admin_token) == []
    at(clock, 4)
    phone.text("temp 37.0 bp 120/80 o2 98 pulse 80")  # read at once: nothing to page
    assert pages(client, admin_token) == []
    at(clock, 5)
    tick(runner)  # the older text is read again: it pages
    at(clock, 21)
    tick(runner)  # no ACK: the re-page
    first, repage = pages(client, admin_token)
    assert "NOT ACKED" in repage
    for body in (first, repage):
        assert "102.9F/39.4C" in body and "low blood pressure 84/52 (baseline 125)" in body, body
        assert "low oxygen 87% (floor 90%)" in body and "HR 118" in body, body
    assert "at 10:03 AM." in first  # when the text with those values arrived


def test_after_hours_page_says_the_patient_was_sent_to_the_ed(client, admin_token, enrolled, clock, phone):
    at(clock, 11 * 60)  # 9:00 PM: SOP 5 Grade 2 "if after hours ... recommend ED evaluation"
    phone.text("o2 86")
    body = pages(client, admin_token)[-1]
    assert "low oxygen 86% (floor 90%)" in body and "at 9:00 PM." in body and "Told: go to ED now" in body


def test_the_patients_own_words_are_quoted_not_relabelled(client, admin_token, enrolled, clock, phone):
    at(clock, 3)
    phone.text("I feel awful tonight, everything aches and I can't sleep at all, please someone call me back")
    body = pages(client, admin_token)[-1]
    assert 'texted "I feel awful tonight, everything aches and I can\'t sleep at..."' in body
    assert "asks to be called" not in body
    assert "Told: nurse will call" in body


def test_a_repage_quotes_the_words_that_asked_for_a_person_not_a_later_reading(client, admin_token, enrolled,
                                                                               clock, phone, runner):
    at(clock, 3)
    phone.text("I feel terrible, please call me")
    at(clock, 5)
    phone.text("temp 37.2")
    at(clock, 20)
    tick(runner)  # no ACK: the re-page
    body = pages(client, admin_token)[-1]
    assert "NOT ACKED" in body and 'texted "I feel terrible, please call me"' in body


def test_page_says_until_when_acetaminophen_must_wait(client, admin_token, enrolled, clock, phone):
    at(clock, 5)
    phone.text("took 1000 mg tylenol")
    at(clock, 125)
    phone.text("101.5")  # fever again 2 h after a dose: recurrent (SOP 5 Grade 1, < 6-8 h)
    body = pages(client, admin_token)[-1]
    assert "fever again soon after acetaminophen 101.5F/38.6C" in body
    assert "no acetaminophen until 4:05 PM" in body  # the dose at 10:05 AM + 6 h


def test_callback_number_is_a_clinic_setting(client, admin_token, enrolled, clock, phone):
    at(clock, 4)
    phone.text("o2 87")
    assert "Pt phone (555) 555-0199." in pages(client, admin_token)[-1]
    response = client.put("/api/v1/settings", json={"escalation.page_callback_number": False},
                          headers=auth(admin_token))
    assert response.status_code == 200
    at(clock, 6)
    phone.text("I am confused")  # a new reason: an update page, now without the number
    body = pages(client, admin_token)[-1]
    assert "update" in body and "confusion" in body and PATIENT_PHONE[-4:] not in body


def test_dashboard_link_is_the_address_set_a_moment_before_in_web_and_scheduler(client, admin_token, enrolled,
                                                                                config, clock, phone):
    """No restart: the webhook's page and the scheduler's re-page both link to the edited address."""
    scheduler_config = config_module.load(config)  # the scheduler process holds its own copy from start
    response = client.put("/api/v1/settings", json={"clinic.dashboard_url": "https://nurses.example.org/crs"},
                          headers=auth(admin_token))
    assert response.status_code == 200
    at(clock, 5)
    phone.text("o2 87")
    assert pages(client, admin_token)[-1].endswith("https://nurses.example.org/crs/dashboard/alerts/1")
    client.put("/api/v1/settings", json={"clinic.dashboard_url": "https://pager.example.org"},
               headers=auth(admin_token))
    at(clock, 21)
    from messages.gateways import OutboxGateway

    run_due_work(scheduler_config, OutboxGateway(echo=False))  # what the scheduler process runs
    repages = pages(client, admin_token, NURSES[1])
    assert repages and repages[-1].endswith("https://pager.example.org/dashboard/alerts/1")


@pytest.mark.parametrize("address", ["monitor.example.org", "ftp://monitor.example.org", "https://", "javascript:x",
                                     "https://monitor.example.org/a b"])
def test_dashboard_address_must_be_an_http_url(client, admin_token, address):
    response = client.put("/api/v1/settings", json={"clinic.dashboard_url": address}, headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == "clinic.dashboard_url"


def test_a_long_page_is_shortened_to_three_segments_keeping_ack_and_link():
    facts = PageFacts(reasons=("hypoxia", "hypotension", "high_risk_fever", "confusion", "weakness", "dizziness",
                               "orthostatic", "asks_for_call"),
                      temperature_c=40.1, systolic=78, diastolic=40, baseline_systolic=130, spo2=84, spo2_floor=92,
                      heart_rate=131, words="Help me please I am so dizzy and it is getting worse " * 3,
                      told=("reply_urgent_after_hours", "reply_fever_wait"), next_dose_time="11:45 PM",
                      callback="(555) 555-0199")
    body = render_page("nurse_repage", level="URGENT", initials="M.G.", time="10:05 PM", alert_id=12345,
                       link="https://monitor.northernvalleycancer.org/dashboard/alerts/12345", facts=facts)
    assert segments(body) <= 3
    assert "Reply ACK 12345. https://monitor.northernvalleycancer.org/dashboard/alerts/12345" in body
    assert "84% (floor 92%)" in body and "78/40 (baseline 130)" in body and "104.2F/40.1C" in body


@pytest.mark.parametrize("words,expected", [
    ("me duele mucho, ¿pueden llamarme? Sí, está peor", '"me duele mucho, ¿pueden llamarme? Si, esta peor"'),
    ("“call me” 🙏", "\"'call me'\""),
    ("line one\nline two", '"line one line two"'),
], ids=["spanish-accents", "curly-quotes-emoji", "newline"])
def test_quoted_words_stay_gsm7(words, expected):
    assert quote(words) == expected and is_gsm7(quote(words))


def test_an_unknown_command_from_a_nurse_gets_the_short_list(client, admin_token, enrolled, phone):
    phone.text("what is this", sender=NURSES[0])
    reply = texts_to(client, admin_token, NURSES[0])[-1]["body"]
    assert "Commands: ACK" in reply and "ACK <id>" in reply and "ACK ALL" in reply


@pytest.mark.parametrize("reasons", [("asks_for_call", "concerning_text"), ("concerning_text", "hypoxia", "asks_for_call")])
def test_the_patients_words_are_quoted_once_when_two_reasons_came_from_them(reasons):
    """'please call me, I feel awful' raises both asks_for_call and concerning_text (possibly from two texts over
    one alert): the page carries one text's words, so they are quoted once, not repeated at the nurse."""
    facts = PageFacts(reasons=reasons, words="please call me I feel awful", spo2=88, spo2_floor=90)
    assert reason_phrases(facts).count("I feel awful") == 1
    assert spoken_reasons(facts).count("I feel awful") == 1
    assert ("low oxygen 88%" in reason_phrases(facts)) == ("hypoxia" in reasons)
    page = render_page("nurse_alert", level="URGENT", initials="P.E.", time="3:12 AM", alert_id=7,
                       link="https://crs.example/a/7", facts=facts)
    assert page.count("I feel awful") == 1, page


def test_without_words_each_free_text_reason_keeps_its_label():
    facts = PageFacts(reasons=("asks_for_call", "concerning_text"))
    assert reason_phrases(facts) == "asks to be called, worrying message, read it"


def test_each_reason_keeps_the_value_it_was_raised_by_in_the_call_and_the_repage(client, admin_token, runner, phone,
                                                                                  clock):
    """Low blood pressure at 84/50, then, before anyone acknowledges, low oxygen in a text whose pressure is 118/76:
    the call and the re-page say 'low blood pressure 84/50', never 'low blood pressure 118/76' (found by hand: the
    newest reading's pressure stood in for the reading that raised the reason)."""
    enroll(client, admin_token, baseline_systolic=125)
    assert runner.invoke(args=["tick"]).exit_code == 0
    clock.move_to(START + timedelta(minutes=5))
    phone.text("bp 84/50 dizzy")
    clock.move_to(START + timedelta(minutes=8))
    phone.text("o2 87 bp 118/76")
    clock.move_to(START + timedelta(minutes=25))
    assert runner.invoke(args=["tick"]).exit_code == 0
    bodies = [text["body"] for text in texts_to(client, admin_token, NURSES[0])]
    update, call, repage = bodies[1], bodies[2], bodies[3]
    assert "now low oxygen 87% (floor 90%)" in update
    assert "low blood pressure, 84 over 50, baseline 125" in call and "118" not in call, call
    assert "low blood pressure 84/50 (baseline 125)" in repage and "low oxygen 87%" in repage, repage
    assert "118/76" not in repage


@pytest.mark.parametrize("body, expected", [
    ("o2 86 please call me", 'low oxygen 86% (floor 90%), texted "o2 86 please call me"'),
    ("temp 103 confused, I feel awful", "confusion"),
])
def test_a_red_flag_and_a_plea_in_one_text_page_the_nurse_once(client, admin_token, runner, phone, clock, body,
                                                                expected):
    """One text, one page: the reading's alert carries the patient's plea too (care.record_reading's `concern`),
    instead of a page and an 'update' page in the same second (found by hand)."""
    enroll(client, admin_token, baseline_systolic=125)
    assert runner.invoke(args=["tick"]).exit_code == 0
    at(clock, 5)
    assert phone.text(body).status_code == 200
    [page] = [text["body"] for text in texts_to(client, admin_token, NURSES[0])]
    assert page.startswith("crswatch URGENT: P.E. ") and expected in page, page
    assert f'texted "{body}"' in page, page
