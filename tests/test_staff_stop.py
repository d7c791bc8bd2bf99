"""A nurse who texts STOP (say, to stop tonight's paging) is opted out by Twilio before crswatch hears the text:
no page reaches that phone from that number until it texts START, and she does not know it. Before, the STOP was
answered "only ACK is read" (a reply Twilio refuses) and nothing else happened: every later page to her failed,
silently for her. Now the operator is told at once (/healthz, the dashboard banner) and an alert waiting only on
her goes to the next person on call now. https://help.twilio.com/articles/223134027 (Twilio's opt-out keywords)"""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import NURSES, START, enroll, texts_to


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def pages(client, token, number):
    return [m for m in texts_to(client, token, number) if m["kind"] == "alert"]


def staff_check(client):
    return client.get("/healthz").get_json()["checks"]["staff_phones"]


@pytest.mark.parametrize("keyword", ["STOP", "stop.", "Unsubscribe"])
def test_a_nurse_s_stop_hands_her_alert_on_and_tells_the_operator(client, admin_token, runner, clock, phone, keyword):
    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)
    phone.text("o2 85")  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
    assert pages(client, admin_token, NURSES[0]) and not pages(client, admin_token, NURSES[1])
    at(clock, 6)
    before = len(texts_to(client, admin_token, NURSES[0]))
    assert phone.text(keyword, sender=NURSES[0]).status_code == 200
    assert len(texts_to(client, admin_token, NURSES[0])) == before  # no reply: Twilio refuses texts after STOP
    assert pages(client, admin_token, NURSES[1])  # at 10:06, not at the 10:20 timeout
    check = staff_check(client)
    assert not check["ok"] and "Primary nurse" in check["error"] and "START" in check["error"]
    assert client.get("/healthz").status_code == 503
    at(clock, 30)
    phone.text("START", sender=NURSES[0])
    assert staff_check(client)["ok"]


def test_a_stop_with_nothing_open_is_still_told(client, admin_token, runner, clock, phone):
    phone.text("STOP", sender=NURSES[1])
    check = staff_check(client)
    assert not check["ok"] and "Backup nurse (...0143)" in check["error"]


def test_words_around_stop_are_no_opt_out(client, admin_token, runner, clock, phone):
    """Twilio opts out only on the whole keyword; 'stop paging me' is answered like any text that is not an ACK."""
    phone.text("stop paging me", sender=NURSES[0])
    assert staff_check(client)["ok"]
    [reply] = texts_to(client, admin_token, NURSES[0])
    assert "ACK" in reply["body"]
