"""Voice calls to the on-call nurse (issue 12, CONTRACT 8), in time-machine tests through the signed voice
webhooks, with Twilio's Messages and Calls APIs faked at the HTTP boundary (`responses`): no ACK at 5
minutes calls; 1 acknowledges and paging stops; 2 pages the next person at once; no answer and a machine
count as not acknowledged."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode

import pytest
import responses
from conftest import AUTH_TOKEN, BASE_URL, NURSES, START, auth, enroll, messages, texts_to
from twilio.request_validator import RequestValidator

from messages.gateways import GatewayError, OutboxGateway, TwilioGateway

SID = "AC" + "0" * 32
API = f"https://api.twilio.com/2010-04-01/Accounts/{SID}"


class FakeTwilio:
    """Twilio's REST API for texts and calls: records what was asked, answers with sids."""

    def __init__(self, mock: responses.RequestsMock):
        self.texts: list[dict] = []
        self.calls: list[dict] = []
        self.refuse_calls: tuple[int, int] | None = None
        mock.add_callback(responses.POST, f"{API}/Messages.json", callback=self._text)
        mock.add_callback(responses.POST, f"{API}/Calls.json", callback=self._call)

    def _text(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        self.texts.append(form)
        return 201, {}, f'{{"sid": "SMout{len(self.texts):029d}", "status": "queued"}}'

    def _call(self, request):
        if self.refuse_calls:
            status, code = self.refuse_calls
            return status, {}, f'{{"code": {code}, "message": "refused", "status": {status}}}'
        form = parse_qs(request.body)
        self.calls.append({k: v if len(v) > 1 else v[0] for k, v in form.items()})
        return 201, {}, f'{{"sid": "CA{len(self.calls):032d}", "status": "queued"}}'


@pytest.fixture
def twilio(app):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        app.extensions["crswatch.gateway"] = TwilioGateway(SID, AUTH_TOKEN)
        yield fake


class Caller:
    """Posts Twilio's voice webhooks, signed over the public address as Twilio signs them."""

    def __init__(self, client):
        self.client = client
        self.validator = RequestValidator(AUTH_TOKEN)

    def post(self, path: str, signed: bool = True, **form):
        params = {"AccountSid": SID, "Direction": "outbound-api", **form}
        signature = self.validator.compute_signature(BASE_URL + path, params) if signed else "bad"
        return self.client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                                headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)

    def answer(self, alert_id, call_sid, to=NURSES[0], answered_by="human", attempt=None):
        path = f"/voice/alert/{alert_id}" + (f"?attempt={attempt}" if attempt else "")
        return self.post(path, CallSid=call_sid, To=to, CallStatus="in-progress", AnsweredBy=answered_by)

    def press(self, alert_id, call_sid, digits, to=NURSES[0], attempt=1):
        return self.post(f"/voice/gather/{alert_id}?attempt={attempt}", CallSid=call_sid, To=to, Digits=digits)

    def ended(self, alert_id, call_sid, status, to=NURSES[0], answered_by=None):
        form = {"CallSid": call_sid, "To": to, "CallStatus": status}
        if answered_by:
            form["AnsweredBy"] = answered_by
        return self.post(f"/voice/status/{alert_id}", **form)


@pytest.fixture
def caller(client):
    return Caller(client)


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def tick(runner):
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def urgent(client, admin_token, runner, clock, phone, twilio):
    enroll(client, admin_token, baseline_systolic=125)
    tick(runner)
    at(clock, 1)
    phone.text("temp 39.4 o2 86")
    tick(runner)
    return client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()[0]


def calls(client, token):
    return [m for m in messages(client, token) if m["kind"] == "call"]


def alert(client, token, alert_id):
    return next(a for a in client.get("/api/v1/alerts?status=all", headers=auth(token)).get_json()
                if a["id"] == alert_id)


def test_no_ack_at_five_minutes_calls_the_paged_nurse(client, admin_token, runner, clock, urgent, twilio):
    at(clock, 5.9)
    tick(runner)
    assert twilio.calls == []
    at(clock, 6)  # paged at minute 1; call_after_minutes = 5
    tick(runner)
    [placed] = twilio.calls
    assert placed["To"] == NURSES[0]
    assert placed["Url"] == f"{BASE_URL}/voice/alert/{urgent['id']}" and placed["Method"] == "POST"
    assert placed["MachineDetection"] == "Enable"  # Twilio AMD: a machine must not count as a person
    assert placed["StatusCallback"] == f"{BASE_URL}/voice/status/{urgent['id']}"
    [row] = calls(client, admin_token)
    assert row["kind"] == "call" and row["outcome"] is None and row["alert_id"] == urgent["id"]
    assert row["status"] == "sent"
    assert "P.E." in row["body"] and "Example" not in row["body"] and "86 percent" in row["body"]
    at(clock, 7)
    tick(runner)
    assert len(twilio.calls) == 1  # one call a round, never a storm


def test_the_call_says_the_alert_and_asks_for_one_key(client, admin_token, runner, clock, urgent, twilio, caller):
    at(clock, 6)
    tick(runner)
    response = caller.answer(urgent["id"], "CA" + "1".zfill(32))
    twiml = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert '<Gather action="/voice/gather/1?attempt=1"' in twiml and 'numDigits="1"' in twiml
    assert "for patient P.E." in twiml and "low oxygen, 86 percent, floor 90" in twiml
    assert "102.9 Fahrenheit" in twiml and "Press 1 to acknowledge" in twiml
    assert "Pat Example" not in twiml
    assert '<Redirect method="POST">/voice/alert/1?attempt=2</Redirect>' in twiml  # silence: once more


def test_digit_1_acknowledges_and_paging_stops(client, admin_token, runner, clock, urgent, twilio, caller):
    at(clock, 6)
    tick(runner)
    call_sid = "CA" + "1".zfill(32)
    caller.answer(urgent["id"], call_sid)
    response = caller.press(urgent["id"], call_sid, "1")
    assert "acknowledged" in response.get_data(as_text=True) and "<Hangup" in response.get_data(as_text=True)
    acked = alert(client, admin_token, urgent["id"])
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "Primary nurse (call)"
    assert calls(client, admin_token)[0]["outcome"] == "acknowledged"
    texts_before = len(twilio.texts)
    caller.press(urgent["id"], call_sid, "1")  # Twilio posts again: nothing changes
    at(clock, 60)
    tick(runner)
    assert len(twilio.texts) == texts_before and len(twilio.calls) == 1


def test_digit_2_pages_the_next_person_at_once(client, admin_token, runner, clock, urgent, twilio, caller):
    at(clock, 6)
    tick(runner)
    call_sid = "CA" + "1".zfill(32)
    response = caller.press(urgent["id"], call_sid, "2")
    assert "passed to the next nurse" in response.get_data(as_text=True)
    tick(runner)  # delivery (the scheduler is woken; here a tick stands in for it)
    assert [t for t in twilio.texts if t["To"] == NURSES[1]]  # at minute 6, not at the 15-minute timeout
    assert alert(client, admin_token, urgent["id"])["status"] == "open"
    assert calls(client, admin_token)[0]["outcome"] == "passed"
    caller.press(urgent["id"], call_sid, "2")  # a repeated post does not pass it a second time
    tick(runner)
    assert len([t for t in twilio.texts if t["To"] == NURSES[1]]) == 1
    at(clock, 11)  # the next nurse was not called before their own 5 minutes
    tick(runner)
    assert [c["To"] for c in twilio.calls] == [NURSES[0], NURSES[1]]


@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "fax"])
def test_a_machine_counts_as_not_acknowledged(client, admin_token, runner, clock, urgent, twilio, caller,
                                              answered_by):
    at(clock, 6)
    tick(runner)
    response = caller.answer(urgent["id"], "CA" + "1".zfill(32), answered_by=answered_by)
    twiml = response.get_data(as_text=True)
    assert "<Hangup" in twiml and "<Gather" not in twiml and "P.E." not in twiml  # nothing left on a machine
    assert calls(client, admin_token)[0]["outcome"] == "machine"
    assert alert(client, admin_token, urgent["id"])["status"] == "open"
    at(clock, 16)
    tick(runner)  # the ack timeout: the chain goes on as if the call had not been made
    assert [t for t in twilio.texts if t["To"] == NURSES[1]]


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_no_answer_counts_as_not_acknowledged(client, admin_token, runner, clock, urgent, twilio, caller, status):
    at(clock, 6)
    tick(runner)
    caller.ended(urgent["id"], "CA" + "1".zfill(32), status)
    assert calls(client, admin_token)[0]["outcome"] == "no_answer"
    assert alert(client, admin_token, urgent["id"])["status"] == "open"
    at(clock, 16)
    tick(runner)
    assert [t for t in twilio.texts if t["To"] == NURSES[1]]


def test_any_other_key_or_silence_repeats_once(client, admin_token, runner, clock, urgent, twilio, caller):
    at(clock, 6)
    tick(runner)
    call_sid = "CA" + "1".zfill(32)
    again = caller.press(urgent["id"], call_sid, "7").get_data(as_text=True)
    assert "Sorry, that key does nothing" in again and "/voice/gather/1?attempt=2" in again
    last = caller.press(urgent["id"], call_sid, "9", attempt=2).get_data(as_text=True)
    assert "<Gather" not in last and "not acknowledged" in last
    silent = caller.answer(urgent["id"], call_sid, attempt=2).get_data(as_text=True)
    assert "Again." in silent and "<Redirect" not in silent and "<Hangup" in silent
    assert alert(client, admin_token, urgent["id"])["status"] == "open"
    assert calls(client, admin_token)[0]["outcome"] is None


@pytest.mark.parametrize("path", ["/voice/alert/1", "/voice/gather/1?attempt=1", "/voice/status/1"])
def test_unsigned_voice_webhooks_are_refused_and_change_nothing(client, admin_token, runner, clock, urgent,
                                                                twilio, caller, path):
    at(clock, 6)
    tick(runner)
    response = caller.post(path, signed=False, CallSid="CA" + "1".zfill(32), To=NURSES[0], Digits="1",
                           CallStatus="no-answer", AnsweredBy="human")
    assert response.status_code == 403
    assert alert(client, admin_token, urgent["id"])["status"] == "open"
    assert calls(client, admin_token)[0]["outcome"] is None


def test_a_text_ack_before_five_minutes_means_no_call(client, admin_token, runner, clock, urgent, twilio, phone):
    at(clock, 3)
    phone.text("ACK", sender=NURSES[0])
    at(clock, 30)
    tick(runner)
    assert twilio.calls == []


def test_review_alerts_are_not_called(client, admin_token, runner, clock, phone, twilio):
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    phone.text("please call me")  # clinician_review: the text page is enough
    at(clock, 10)
    tick(runner)
    assert twilio.calls == []


def test_call_after_minutes_is_read_live(client, admin_token, runner, clock, twilio, phone):
    """The setting applies to the next page without a restart; 0 turns calls off, also for a call already due."""
    response = client.put("/api/v1/settings", json={"escalation.call_after_minutes": 2}, headers=auth(admin_token))
    assert response.status_code == 200
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    phone.text("o2 85")
    at(clock, 3)
    tick(runner)
    assert len(twilio.calls) == 1
    client.put("/api/v1/settings", json={"escalation.call_after_minutes": 0}, headers=auth(admin_token))
    at(clock, 16)
    tick(runner)  # the re-page round would call after 2 more minutes; calls are now off
    at(clock, 30)
    tick(runner)
    assert len(twilio.calls) == 1


def test_a_refused_call_is_retried_like_a_page(client, admin_token, runner, clock, urgent, twilio):
    """Calls go through the outbox's scope-aware delivery: an account failure is retried, never lost."""
    twilio.refuse_calls = (503, 20503)
    at(clock, 6)
    tick(runner)
    [row] = calls(client, admin_token)
    assert row["status"] == "queued"
    twilio.refuse_calls = None
    at(clock, 6.5)
    tick(runner)
    assert calls(client, admin_token)[0]["status"] == "sent" and len(twilio.calls) == 1


def test_outbox_backend_records_and_prints_the_call(app, client, admin_token, runner, clock, phone):
    app.extensions["crswatch.gateway"] = OutboxGateway(echo=True)
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    phone.text("o2 85")
    at(clock, 6)
    result = runner.invoke(args=["tick"])
    printed = result.output
    assert re.search(rf"-> \{NURSES[0]} \[call\] This is crswatch with an urgent alert", printed)
    assert calls(client, admin_token)[0]["status"] == "sent"


def test_gateway_error_scope_for_calls():
    with responses.RequestsMock() as mock:
        mock.post(f"{API}/Calls.json", json={"code": 21215, "message": "geo permission", "status": 400}, status=400)
        with pytest.raises(GatewayError) as raised:
            TwilioGateway(SID, AUTH_TOKEN).call("+15555550142", "+15555550123", "x", f"{BASE_URL}/voice/alert/1")
    assert raised.value.scope == "message" and not raised.value.retryable


def test_texts_to_the_nurse_still_page(client, admin_token, urgent, twilio):
    assert [t for t in twilio.texts if t["To"] == NURSES[0]]
    assert texts_to(client, admin_token, NURSES[0])[0]["kind"] == "alert"


def test_a_tick_every_twenty_minutes_still_calls(client, admin_token, runner, clock, urgent, twilio):
    """A cron `tick` that runs rarely: the re-page at minute 21 must not put off the call due since minute
    6 (it did, every round, so the call never came; found by the break-it pass)."""
    at(clock, 21)  # the first tick after the page: the call is overdue and the ack timeout has passed
    tick(runner)
    assert [placed["To"] for placed in twilio.calls] == [NURSES[0]]
    at(clock, 41)
    tick(runner)
    assert len(twilio.calls) == 2  # the next round's call, at the next tick after it fell due


def test_a_call_we_have_no_record_of_is_not_told_the_alert_is_handled(client, admin_token, runner, clock, urgent,
                                                                     twilio, caller):
    """A signed voice webhook whose CallSid and number match no call of ours (a stale callback, a record lost
    to a restore) must not say "already acknowledged": the alert is open and paging goes on."""
    at(clock, 6)
    tick(runner)
    stranger = "CA" + "9".zfill(32)
    twiml = caller.answer(urgent["id"], stranger, to="+15550000000").get_data(as_text=True)
    assert "already acknowledged" not in twiml and "Nothing was acknowledged" in twiml
    assert "<Gather" not in twiml  # no key is offered for a call we did not place
    pressed = caller.press(urgent["id"], stranger, "1", to="+15550000000").get_data(as_text=True)
    assert "Nothing was acknowledged" in pressed and "already acknowledged" not in pressed
    assert alert(client, admin_token, urgent["id"])["status"] == "open"


def test_a_call_held_back_by_an_outage_is_not_placed_once_the_alert_is_acknowledged(client, admin_token, runner,
                                                                                    clock, urgent, twilio, phone):
    """The call waits in the outbox while Twilio refuses it; the nurse ACKs by text meanwhile. When Twilio
    answers again the nurse must not be woken by a call for an alert already handled (found by the night
    break-it pass: the call was placed and said 'already acknowledged')."""
    twilio.refuse_calls = (503, 20503)
    at(clock, 6)
    tick(runner)
    assert calls(client, admin_token)[0]["status"] == "queued"
    at(clock, 7)
    phone.text("ACK", sender=NURSES[0])
    twilio.refuse_calls = None
    at(clock, 8)
    tick(runner)
    assert twilio.calls == []
    assert calls(client, admin_token)[0]["status"] == "canceled"
    report = client.get("/api/v1/reports/alerts", headers=auth(admin_token)).get_json()
    assert report["alerts"] == 1 and report["called"] == 0  # a call never placed is not a call


def test_a_call_queued_before_the_alert_is_resolved_is_not_placed(client, admin_token, runner, clock, urgent,
                                                                  twilio):
    twilio.refuse_calls = (503, 20503)
    at(clock, 6)
    tick(runner)
    client.post(f"/api/v1/alerts/{urgent['id']}/resolve", json={"note": "sent to ED"}, headers=auth(admin_token))
    twilio.refuse_calls = None
    at(clock, 8)
    tick(runner)
    assert twilio.calls == [] and calls(client, admin_token)[0]["status"] == "canceled"


def test_a_nurse_revoked_while_the_alert_waits_on_them_is_not_called_and_cannot_press_1(
        client, admin_token, runner, clock, twilio, phone, caller):
    """The day chain is Dana then Nick; Dana is paged, then revoked (she left; her phone is no longer the
    clinic's). The call at five minutes must reach someone who may still acknowledge, not her phone, and her
    phone pressing 1 on a call placed before the revocation acknowledges nothing (found by the night break-it
    pass: she was called and her key stopped the escalation, though a text ACK from her phone would not)."""
    from conftest import add_staff

    from monitoring.clinic import open_clinic
    from monitoring.staff import revoke_staff

    dana, nick = "+15555550161", "+15555550162"
    add_staff(runner, "Dana Day", "nurse", dana)
    add_staff(runner, "Nick Next", "nurse", nick)
    client.put("/api/v1/settings", json={"rota.clinic_hours": ["Dana Day", "Nick Next"]}, headers=auth(admin_token))
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    phone.text("o2 85")
    tick(runner)
    assert [t["To"] for t in twilio.texts if "URGENT" in t["Body"]] == [dana]
    at(clock, 3)
    revoke_staff(open_clinic(client.application.config["CRS"]), "Dana Day", actor="test", now=START)
    at(clock, 6)
    tick(runner)
    assert [placed["To"] for placed in twilio.calls] == [nick]  # on call now, and may press 1


def _dana_alone_paged_and_called(client, admin_token, runner, clock, phone) -> str:
    """Dana Day the one nurse on the clinic-hours chain, paged for SpO2 85 at minute 1 (SOP 5 Grade 1 Home:
    < 90%) and called at minute 6 (no ACK in call_after_minutes); her phone."""
    from conftest import add_staff

    dana = "+15555550161"
    add_staff(runner, "Dana Day", "nurse", dana)
    client.put("/api/v1/settings", json={"rota.clinic_hours": ["Dana Day"]}, headers=auth(admin_token))
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    phone.text("o2 85")
    at(clock, 6)
    tick(runner)
    return dana


def test_a_key_from_a_phone_revoked_since_the_call_acknowledges_nothing(client, admin_token, runner, clock, twilio,
                                                                         phone, caller):
    from monitoring.clinic import open_clinic
    from monitoring.staff import revoke_staff

    dana = _dana_alone_paged_and_called(client, admin_token, runner, clock, phone)
    [placed] = twilio.calls
    assert placed["To"] == dana
    revoke_staff(open_clinic(client.application.config["CRS"]), "Dana Day", actor="test", now=START)
    call_sid = "CA" + "1".zfill(32)
    said = caller.press(1, call_sid, "1", to=dana).get_data(as_text=True)
    assert "Nothing was acknowledged" in said
    assert alert(client, admin_token, 1)["status"] == "open"


def test_pressing_2_with_nobody_else_to_take_it_is_not_told_it_was_passed(client, admin_token, runner, clock, twilio,
                                                                          phone, caller):
    """A one-person chain at night and no other staff phone: 2 cannot pass the alert to anyone. The nurse must
    not hear "passed to the next nurse on call" and go back to sleep while nobody was paged (found by the night
    break-it pass); she is told nobody else is on call and asked again."""
    dana = _dana_alone_paged_and_called(client, admin_token, runner, clock, phone)
    call_sid = "CA" + "1".zfill(32)
    caller.answer(1, call_sid, to=dana)
    said = caller.press(1, call_sid, "2", to=dana).get_data(as_text=True)
    assert "passed to the next nurse" not in said
    assert "No one else is on call" in said and '<Gather action="/voice/gather/1?attempt=2"' in said
    assert said.endswith("paging goes on. Goodbye.</Say><Hangup /></Response>")  # silence: asked once, then ends
    assert calls(client, admin_token)[0]["outcome"] is None
    assert alert(client, admin_token, 1)["status"] == "open"
    said = caller.press(1, call_sid, "1", to=dana, attempt=2).get_data(as_text=True)
    assert "acknowledged" in said and alert(client, admin_token, 1)["status"] == "acknowledged"


def test_past_the_end_of_the_chain_the_calls_take_turns(client, admin_token, runner, clock, urgent, twilio):
    """Once every round pages the whole chain, the call went to whoever was paged last, the last person in the
    chain, every round: the first nurse got texts every 15 minutes but her phone never rang again (found by the
    night break-it pass). The calls now take turns among those paged, the one not called longest first."""
    for minute in (6, 16, 21, 31, 36, 46, 51):
        at(clock, minute)
        tick(runner)
    assert [placed["To"] for placed in twilio.calls] == [NURSES[0], NURSES[1], NURSES[0], NURSES[1]]


def test_the_second_asking_is_not_read_once_someone_else_took_the_alert(client, admin_token, runner, clock, urgent,
                                                                        twilio, caller, phone):
    """The nurse on the call stays silent; meanwhile the backup nurse texts ACK. The call's second asking must
    say the alert is taken, not read it all again and ask her to press 1."""
    at(clock, 6)
    tick(runner)
    call_sid = "CA" + "1".zfill(32)
    caller.answer(urgent["id"], call_sid)
    phone.text(f"ACK {urgent['id']}", sender=NURSES[1])
    again = caller.answer(urgent["id"], call_sid, attempt=2).get_data(as_text=True)
    assert "already acknowledged" in again and "<Gather" not in again and "low oxygen" not in again


def test_the_call_after_the_clinic_closes_goes_to_the_night_chain(client, admin_token, runner, clock, twilio, phone):
    """Paged to the day nurse at 4:58 PM; at 5:03 PM, when the call falls due, the night chain is in force.
    Calls follow the chain in force at that moment (docs/operations.md, "Who is on call"): the night nurse is
    called, not the day nurse who has gone off shift (found by the night break-it pass). A nurse taken off the
    rota (called in sick) while an alert waits on her is not called either."""
    from conftest import add_staff

    dana, nick, nell = "+15555550161", "+15555550162", "+15555550163"
    add_staff(runner, "Dana Day", "nurse", dana)
    add_staff(runner, "Nick Night", "nurse", nick)
    add_staff(runner, "Nell Night", "nurse", nell)
    client.put("/api/v1/settings", json={"rota.clinic_hours": ["Dana Day"],
                                         "rota.after_hours": ["Nick Night", "Nell Night"]}, headers=auth(admin_token))
    enroll(client, admin_token)
    tick(runner)
    at(clock, 6 * 60 + 58)  # 4:58 PM
    phone.text("o2 85")
    tick(runner)
    assert [t["To"] for t in twilio.texts if "URGENT" in t["Body"]] == [dana]
    at(clock, 7 * 60 + 3)  # 5:03 PM
    tick(runner)
    assert [placed["To"] for placed in twilio.calls] == [nick]
    client.post("/api/v1/alerts/1/resolve", json={"note": "seen"}, headers=auth(admin_token))
    at(clock, 8 * 60)  # 6:00 PM: paged to Nick, who then calls in sick and is taken off the rota
    phone.text("o2 84")
    tick(runner)
    client.put("/api/v1/settings", json={"rota.after_hours": ["Nell Night"]}, headers=auth(admin_token))
    at(clock, 8 * 60 + 5)
    tick(runner)
    assert [placed["To"] for placed in twilio.calls] == [nick, nell]


def test_the_call_says_emergency_department_not_ed():
    """A text-to-speech voice reads "ED" as the name Ed (found by a breaker helper): the call spells it out."""
    from messages.page import PageFacts, spoken_page

    facts = PageFacts(reasons=("hypoxia",), spo2=85, spo2_floor=90, told=("reply_urgent_after_hours",))
    said = spoken_page(level="URGENT", initials="P.E.", alert_id=7, facts=facts)
    assert said.endswith("Patient told: go to the emergency department now.") and " ED " not in said
