"""The fever advice carries the SOP's safety net (issue 13). SOP 5, Grade 1 Home: "Patients should recontact
the clinic urgently or present to ED if blood pressure goes < 10 mm Hg below baseline AND < 90 mm Hg
systolic, new orthostatic symptoms, weakness, confusion, dizziness, or new hypoxia (< 90%)": the episode's
first fever reply names these signs and the clinic's phone, in a second text; later fevers do not repeat it.
The after-hours urgent text names the drug the patient had, for the emergency department."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import START, auth, enroll, texts_to

from messages.texts import template

PHONE = "+15555550166"


def _texts_after(client, admin_token, seen: int) -> list[str]:
    return [m["body"] for m in texts_to(client, admin_token, PHONE, after_id=seen)]


def _last_id(client, admin_token) -> int:
    return client.get("/api/v1/messages", headers=auth(admin_token)).get_json()[-1]["id"]


@pytest.mark.parametrize("language, fever", [("en", "101.1"), ("es", "38,6")])
def test_first_fever_reply_carries_the_safety_net_once(client, admin_token, runner, phone, clock, language, fever):
    enroll(client, admin_token, language=language, phone=PHONE)
    runner.invoke(args=["tick"])
    net = template("reply_fever_safety_net", language).split("{")[0]
    advice = template("reply_fever_home_care", language)[:20]

    seen = _last_id(client, admin_token)
    phone.text(fever, sender=PHONE)
    first = _texts_after(client, admin_token, seen)
    assert len(first) == 2 and first[0].startswith(advice) and first[1].startswith(net), first
    assert "(555) 555-0100" in first[1]

    clock.move_to(START + timedelta(hours=7))  # a later fever of the same episode: advice only
    seen = _last_id(client, admin_token)
    phone.text(fever, sender=PHONE)
    later = _texts_after(client, admin_token, seen)
    assert later and not any(body.startswith(net) for body in later), later


def test_no_safety_net_on_an_afebrile_or_urgent_reply(client, admin_token, runner, phone):
    enroll(client, admin_token, phone=PHONE)
    runner.invoke(args=["tick"])
    net = template("reply_fever_safety_net", "en").split("{")[0]
    seen = _last_id(client, admin_token)
    phone.text("98.6", sender=PHONE)
    phone.text("101.3 and very dizzy", sender=PHONE)  # urgent: the reply already says call now
    assert not any(body.startswith(net) for body in _texts_after(client, admin_token, seen))


@pytest.mark.parametrize("language", ["en", "es"])
def test_after_hours_urgent_text_names_the_episodes_drug(client, admin_token, runner, phone, clock, language):
    late = START + timedelta(hours=12)  # 22:00 in Chicago: the clinic is closed
    clock.move_to(late)
    enroll(client, admin_token, language=language, phone=PHONE, therapy="epcoritamab", dose_given_at=late.isoformat())
    runner.invoke(args=["tick"])
    seen = _last_id(client, admin_token)
    phone.text("o2 86", sender=PHONE)
    bodies = _texts_after(client, admin_token, seen)
    urgent = [b for b in bodies if b.startswith(template("reply_urgent_after_hours", language)[:20])]
    assert urgent and "epcoritamab" in urgent[0], bodies
    assert "T-cell" not in urgent[0] and "células T" not in urgent[0]
