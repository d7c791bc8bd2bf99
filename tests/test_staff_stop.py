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


def test_with_a_pager_number_only_a_stop_to_the_pager_stops_the_pages(tmp_path, clock):
    """Twilio's opt-out holds between two numbers: a nurse's STOP to the clinic's main number stops no page from
    the pager number, so it is not raised (nor is her alert handed on); her STOP to the pager number is."""
    from test_pager_number import PAGER, _enrolled, pager_config, text

    _, _, client = _enrolled(pager_config(tmp_path), None, clock, red_flag=False)
    text(client, "STOP", NURSES[0], "+15555550123", 2)  # the main number, [sms] from_number
    assert client.get("/healthz").get_json()["checks"]["staff_phones"]["ok"]
    text(client, "STOP", NURSES[0], PAGER, 3)
    check = client.get("/healthz").get_json()["checks"]["staff_phones"]
    assert not check["ok"] and "Primary nurse" in check["error"]


def test_an_alert_nobody_left_can_take_is_handed_over_once_a_round_not_at_every_pass(client, admin_token, runner,
                                                                                     clock, phone):
    """Both on-call nurses text STOP while an alert waits: the first STOP hands it to the backup, the second finds
    nobody to hand it to; the alert waits for its re-page (the ack timeout) instead of being handed on, and its
    history written, at every 5 s pass."""
    from monitoring.clinic import open_clinic

    enroll(client, admin_token)
    runner.invoke(args=["tick"])
    at(clock, 5)
    phone.text("o2 85")  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
    at(clock, 6)
    phone.text("STOP", sender=NURSES[0])
    phone.text("STOP", sender=NURSES[1])
    for second in range(0, 120, 5):  # two minutes of scheduler passes
        clock.move_to(START + timedelta(minutes=6, seconds=second))
        runner.invoke(args=["tick"])
    clinic = open_clinic(client.application.config["CRS"])
    handed = clinic.db.execute("SELECT COUNT(*) FROM alert_events WHERE kind = 'handed_over'").fetchone()[0]
    assert handed == 1
