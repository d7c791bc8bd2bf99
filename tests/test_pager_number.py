"""A pager number of its own (`[sms] pager_number`, issue 19 "urgent first at the sender"): pages, calls and every
text to staff come from a second Twilio number, with its own sending rate, so a burst of prompts from the main
number never holds a page back and a nurse's phone can let the pager through Do Not Disturb. Patients and
caregivers still hear from `from_number`. A pager number Twilio refuses never stands between a red flag and the
nurse: the page goes from `from_number` at once. Twilio's REST API is faked at its HTTP boundary (`responses`)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode

import pytest
import responses
from conftest import (
    AUTH_TOKEN,
    BASE_URL,
    FROM_NUMBER,
    NURSES,
    PATIENT_PHONE,
    START,
    auth,
    base_config,
    enroll,
)
from test_outbox import paced_clock
from twilio.request_validator import RequestValidator

from messages.gateways import gateway_for
from monitoring.config import load
from monitoring.config_types import ConfigError
from scheduler import delivery

PAGER = "+13125550199"
SERVICE = "MG" + "c" * 32
SID = "AC" + "0" * 32
API = f"https://api.twilio.com/2010-04-01/Accounts/{SID}"


class FakeTwilio:
    """Twilio's Messages and Calls APIs: records each create; `refuse_from` numbers are refused with `code`
    (an account-level refusal of that sender, e.g. 21606 'From' not SMS-capable, 21210 not a caller ID)."""

    def __init__(self, mock: responses.RequestsMock):
        self.texts: list[dict] = []
        self.calls: list[dict] = []
        self.refuse_from: dict[str, int] = {}
        mock.add_callback(responses.POST, f"{API}/Messages.json", callback=self._create(self.texts, "SM"))
        mock.add_callback(responses.POST, f"{API}/Calls.json", callback=self._create(self.calls, "CA"))

    def _create(self, into: list[dict], prefix: str):
        def answer(request):
            form = {key: values[0] for key, values in parse_qs(request.body).items()}
            code = self.refuse_from.get(form.get("From", ""))
            if code == -1:  # a 400 with no error code
                return 400, {}, '{"message": "refused", "status": 400}'
            if code:
                return 400, {}, f'{{"code": {code}, "message": "refused", "status": 400}}'
            into.append(form)
            return 201, {}, f'{{"sid": "{prefix}{len(into):032d}", "status": "queued"}}'
        return answer

    def sent(self, to: str) -> list[dict]:
        return [form for form in self.texts if form["To"] == to]


def pager_config(tmp_path, **sms) -> dict:
    settings = base_config(tmp_path / "test.db")
    settings["sms"].update({"pager_number": PAGER, **sms})
    return settings


@pytest.fixture
def config(tmp_path) -> dict:
    return pager_config(tmp_path)


@pytest.fixture
def twilio(app):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        sms = app.config["CRS"]["sms"]
        app.extensions["crswatch.gateway"] = gateway_for({"sms": {**sms, "backend": "twilio"}})
        yield fake


def at(clock, minutes: float) -> None:
    clock.move_to(START + timedelta(minutes=minutes))


def tick(runner) -> None:
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def text(client, body: str, sender: str, to: str, sid: int):
    params = {"From": sender, "To": to, "Body": body, "MessageSid": f"SMin{sid:030d}", "AccountSid": SID,
              "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/sms/inbound", params)
    response = client.post("/sms/inbound", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)
    assert response.status_code == 200


@pytest.fixture
def paged(client, admin_token, runner, clock, twilio):
    """SOP 5 Grade 1 Home: SpO2 under 90% pages the nurse (an urgent alert) and tells the patient to go now."""
    enroll(client, admin_token, baseline_systolic=125)
    tick(runner)
    at(clock, 1)
    text(client, "temp 39.4 o2 86", PATIENT_PHONE, FROM_NUMBER, 1)
    tick(runner)
    return client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()[0]


def test_the_page_comes_from_the_pager_number_and_the_patient_s_answer_from_the_main_one(paged, twilio):
    [page] = twilio.sent(NURSES[0])
    assert page["From"] == PAGER and f"ACK {paged['id']}" in page["Body"]
    prompt, urgent_reply = twilio.sent(PATIENT_PHONE)
    assert prompt["From"] == urgent_reply["From"] == FROM_NUMBER
    assert "emergency" in urgent_reply["Body"].lower() or "call" in urgent_reply["Body"].lower()


def test_the_nurse_s_ack_to_the_pager_is_answered_from_the_pager(client, runner, clock, paged, twilio):
    at(clock, 2)
    text(client, "ack", NURSES[0], PAGER, 2)  # the nurse answers the number that paged them
    tick(runner)
    [_, confirmation] = twilio.sent(NURSES[0])
    assert confirmation["From"] == PAGER and f"{paged['id']}" in confirmation["Body"]
    at(clock, 30)
    tick(runner)
    assert len(twilio.sent(NURSES[0])) == 2  # acknowledged: no re-page


def test_a_staff_text_that_is_not_an_ack_is_answered_from_the_pager(client, runner, clock, paged, twilio):
    at(clock, 2)
    text(client, "on my way", NURSES[0], PAGER, 2)
    tick(runner)
    assert [form["From"] for form in twilio.sent(NURSES[0])] == [PAGER, PAGER]


def test_the_unacknowledged_urgent_page_s_call_comes_from_the_pager(runner, clock, paged, twilio):
    at(clock, 6)  # paged at minute 1; call_after_minutes = 5
    tick(runner)
    [call] = twilio.calls
    assert call["To"] == NURSES[0] and call["From"] == PAGER


@pytest.mark.parametrize("code", [21606, 21212, 21611, 21659,
                                  21661,  # 'From' number is not SMS-capable (https://www.twilio.com/docs/api/errors/21661)
                                  21601])  # not an SMS-capable number of the account (a verified caller ID, a typo)
def test_a_refused_pager_number_pages_from_the_main_number_in_the_same_pass(client, admin_token, runner, clock,
                                                                            twilio, code):
    """A released, mistyped or not SMS-capable pager number (an account-level refusal of that sender) must not
    leave the nurse unpaged: the same pass sends the page from `from_number`, and the operator is told."""
    twilio.refuse_from[PAGER] = code
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)
    tick(runner)
    [page] = twilio.sent(NURSES[0])
    assert page["From"] == FROM_NUMBER and "ACK" in page["Body"]
    # the operator is told at once: a page from the main number may be silenced by the nurse's Do Not Disturb
    response = client.get("/healthz")
    gateway = response.get_json()["checks"]["gateway"]
    assert response.status_code == 503 and not gateway["ok"] and gateway["code"] == code
    assert "pager number" in gateway["error"] and "[sms] pager_number" in gateway["error"]
    del twilio.refuse_from[PAGER]  # fixed in Twilio: the next page leaves from the pager, and health says so
    at(clock, 2)
    text(client, "ack", NURSES[0], PAGER, 2)
    tick(runner)
    assert twilio.sent(NURSES[0])[-1]["From"] == PAGER
    assert client.get("/healthz").get_json()["checks"]["gateway"]["ok"]


@pytest.mark.parametrize("code", [
    # 21210: a call's 'From' is not a number of the account (https://www.twilio.com/docs/api/errors/21210): the
    # sender's fault, not the nurse's phone's
    21210,
    # a refusal crswatch does not know: the pager number may be the cause, so the main number is tried
    13999,
])
def test_a_call_refused_from_the_pager_goes_from_the_main_number(client, admin_token, runner, clock, twilio, code):
    """The urgent alert's call, refused from the pager number, goes from the main number instead of failing for good."""
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)  # SOP 5 Grade 1 Home: SpO2 < 90% pages; urgent: called
    tick(runner)
    twilio.refuse_from[PAGER] = code
    at(clock, 6)  # paged at minute 1; call_after_minutes = 5
    tick(runner)
    [call] = twilio.calls
    assert call["To"] == NURSES[0] and call["From"] == FROM_NUMBER


def test_with_a_messaging_service_patients_hear_from_the_pool_and_nurses_from_the_pager(tmp_path, clock):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        _, cli, _ = _enrolled(pager_config(tmp_path, messaging_service_sid=SERVICE), fake, clock)
        tick(cli)
    [page] = fake.sent(NURSES[0])
    assert page["From"] == PAGER and "MessagingServiceSid" not in page
    assert all(form["MessagingServiceSid"] == SERVICE and "From" not in form for form in fake.sent(PATIENT_PHONE))


def test_the_pager_number_keeps_its_own_rate_beside_a_burst_from_the_main_number(monkeypatch):
    """Each number has its own sending slot: at 1 text a second, a page from the pager number goes at once
    while prompts from the main number wait their turn; beside a Messaging Service's pool (4 senders, 4 a
    second), the pager number keeps one number's rate."""
    now = [100.0]
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(delivery.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    limiter = delivery.RateLimiter(4.0, {PAGER: 1.0})
    stamps = []
    for sender in (SERVICE, SERVICE, PAGER, PAGER, SERVICE):
        limiter.wait(sender)
        stamps.append(now[0])
    assert stamps == [100.0, 100.25, 100.25, 101.25, 101.25]


def test_the_runner_paces_the_pager_at_one_number_s_rate(tmp_path):
    from scheduler.runner import Runner

    settings = load(pager_config(tmp_path, messaging_service_sid=SERVICE, messaging_service_senders=4))
    runner = Runner(settings, gateway=object())
    assert runner.limiter.interval == 0.25 and runner.limiter.intervals == {PAGER: 1.0}


@pytest.mark.parametrize(("value", "words"), [
    (FROM_NUMBER, "is sms.from_number"),
    ("pager", "must be an E.164 phone number"),
    ("312-555-019", "must be an E.164 phone number"),
])
def test_a_wrong_pager_number_fails_at_start_naming_the_key(tmp_path, value, words):
    with pytest.raises(ConfigError) as refused:
        load(pager_config(tmp_path, pager_number=value))
    assert str(refused.value).startswith("config: sms.pager_number: ") and words in str(refused.value)


def test_a_pager_number_is_written_in_e164_and_empty_means_the_main_number(tmp_path):
    assert load(pager_config(tmp_path, pager_number="+1 (312) 555-0199"))["sms"]["pager_number"] == PAGER
    assert load(base_config(tmp_path / "x.db"))["sms"]["pager_number"] == ""


def test_the_example_pager_number_is_refused_with_twilio(tmp_path):
    settings = pager_config(tmp_path, backend="twilio", pager_number="+15555550150", from_number="+13129870100")
    settings["clinic"]["phone"] = "+13129870101"
    settings["oncall"] = [{"name": "Primary nurse", "phone": "+13129870102"}]
    with pytest.raises(ConfigError) as refused:
        load(settings)
    assert str(refused.value).startswith("config: sms.pager_number: is an example number")


def pages_and_prompts(clinic, pages: int, prompts: int) -> None:
    """`pages` pages queued to the two nurses in turn ("URGENT page N"), then `prompts` prompts to +1312555NNNN."""
    from monitoring.outbox import queue_text
    from monitoring.store import transaction

    with transaction(clinic.db):
        for index in range(pages):
            queue_text(clinic, NURSES[index % 2], f"URGENT page {index}", "alert", now=START)
        for index in range(prompts):
            queue_text(clinic, f"+1312555{index:04d}", "time for your check-in", "prompt", now=START)


def burst_with_a_red_flag(app, client, monkeypatch, batch: int):
    """30 prompts queued on the main number, delivered at 1 text a second beside the pager number's own pace
    (`batch` texts), with a red flag texted half-way through the wait for the second prompt's slot: (when it was
    texted, every text handed over, test_outbox.Handed)."""
    from monitoring.clinic import open_clinic
    from monitoring.outbox import queue_text
    from monitoring.store import transaction

    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):
        for index in range(30):
            queue_text(clinic, f"+1312555{index:04d}", "time for your check-in", "prompt", now=START)
    texted = []

    def red_flag_mid_wait(now):
        if now >= 100.5 and not texted:  # half-way to the second prompt's slot
            texted.append(now)
            text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)  # SOP 5 Grade 1 Home: SpO2 < 90% pages

    _, handed = paced_clock(monkeypatch, app.extensions["crswatch.gateway"], on_sleep=red_flag_mid_wait)
    delivery.deliver_due(clinic, app.extensions["crswatch.gateway"], delivery.RateLimiter(1.0, {PAGER: 1.0}),
                         batch=batch)
    return texted[0], handed


def test_a_page_goes_from_the_pager_while_the_main_number_paces_a_burst(app, client, admin_token, runner, clock,
                                                                        twilio, monkeypatch):
    """Issue 19, urgent first at the sender: 30 prompts leave the main number at 1 a second; a red flag texted
    half-way through a wait for its next slot is paged from the pager number within URGENT_POLL_SECONDS, not
    after the slot (nor after the slice of prompts), and the prompt it passed keeps its place."""
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    texted_at, handed = burst_with_a_red_flag(app, client, monkeypatch, batch=4)
    sent_at: dict[str, float] = {}
    for sent in handed:
        sent_at.setdefault(f"{sent.kind}:{sent.from_}", sent.at)
    assert sent_at[f"alert:{PAGER}"] - texted_at <= delivery.URGENT_POLL_SECONDS + 1e-9
    assert sent_at[f"alert:{PAGER}"] < 101.0  # before the main number's next slot
    [page] = twilio.sent(NURSES[0])
    assert page["From"] == PAGER
    prompts = [form["To"] for form in twilio.texts if form["Body"] == "time for your check-in"]
    assert prompts[:2] == ["+13125550000", "+13125550001"]  # the prompt the page passed went next, in its turn


def test_a_refused_main_number_stays_raised_while_pages_leave_from_the_pager(client, admin_token, runner, clock,
                                                                             twilio):
    """The main number refused (21606: released, not SMS-capable) while the pager works: patients get no prompt
    and no reply, so the operator must keep hearing it; a page that leaves from the pager number proves nothing
    about the main number and must not clear it (nor start it again with a new 'since' at the next prompt)."""
    twilio.refuse_from[FROM_NUMBER] = 21606
    enroll(client, admin_token)
    tick(runner)  # the welcome prompt is refused
    gateway = client.get("/healthz").get_json()["checks"]["gateway"]
    assert not gateway["ok"] and gateway["code"] == 21606
    since = gateway["failing_since"]
    at(clock, 1)
    text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
    tick(runner)
    [page] = twilio.sent(NURSES[0])
    assert page["From"] == PAGER  # the nurse is paged
    assert twilio.sent(PATIENT_PHONE) == []  # the patient heard nothing: the main number is still refused
    response = client.get("/healthz")
    gateway = response.get_json()["checks"]["gateway"]
    assert response.status_code == 503 and not gateway["ok"] and gateway["code"] == 21606
    assert gateway["failing_since"] == since
    at(clock, 1.1)  # the patient's texts wait their 15 s retry; the nurse's ACK is answered from the pager
    text(client, "ack", NURSES[0], PAGER, 2)
    tick(runner)
    assert [form["From"] for form in twilio.sent(NURSES[0])] == [PAGER, PAGER]
    response = client.get("/healthz")
    gateway = response.get_json()["checks"]["gateway"]
    assert response.status_code == 503 and gateway["failing_since"] == since
    del twilio.refuse_from[FROM_NUMBER]  # fixed: the next text from the main number clears it
    at(clock, 3)
    tick(runner)
    assert twilio.sent(PATIENT_PHONE)
    assert client.get("/healthz").get_json()["checks"]["gateway"]["ok"]


def _started(config: dict, fake: FakeTwilio | None = None):
    from app import create_app

    application = create_app(config)
    application.testing = True
    if fake is not None:
        application.extensions["crswatch.gateway"] = gateway_for({"sms": {**application.config["CRS"]["sms"],
                                                                           "backend": "twilio"}})
    return application


def _enrolled(config: dict, fake: FakeTwilio, clock, red_flag: bool = True):
    """The service started on `config` with Twilio faked, an admin, the patient enrolled and prompted, and (with
    `red_flag`) at minute 1 the patient's SpO2 of 85 (SOP 5 Grade 1 Home: < 90% pages the nurse), not yet
    delivered. Returns (the app, its CLI runner, its client)."""
    application = _started(config, fake)
    cli = application.test_cli_runner()
    assert cli.invoke(args=["init-db"]).exit_code == 0
    token = cli.invoke(args=["staff", "add", "Ada Admin", "--role", "admin"]).output.strip().splitlines()[-1]
    client = application.test_client()
    enroll(client, token)
    tick(cli)
    if red_flag:
        at(clock, 1)
        text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)
    return application, cli, client


@pytest.mark.parametrize(("new_pager", "old_released"), [
    ("+13125550188", True),  # the pager number changed: the old one was released in Twilio
    ("+13125550188", False),  # changed, the old one still in the account: the nurse's phone knows the new one
    ("", True),  # the pager number removed after Twilio refused it: pages go from the main number
])
def test_a_page_queued_before_the_pager_number_changed_leaves_from_the_number_in_force(tmp_path, clock, new_pager,
                                                                                       old_released):
    """[sms] pager_number edited and the service restarted while a page waits in the queue (gunicorn workers
    restarted after the scheduler, a page raised during the restart): the page must leave at once from the
    pager number now configured (the one the nurse let through Do Not Disturb), or the main number when it
    was removed, never from the old number, nor be retried for ever from a number Twilio no longer has."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        _enrolled(pager_config(tmp_path), fake, clock)
        assert fake.sent(NURSES[0]) == []  # queued from the old pager number, not sent yet
        if old_released:
            fake.refuse_from[PAGER] = 21606
        after = _started(pager_config(tmp_path, pager_number=new_pager), fake)  # the service restarted
        tick(after.test_cli_runner())
    [page] = fake.sent(NURSES[0])
    assert page["From"] == (new_pager or FROM_NUMBER) and "ACK" in page["Body"]


def status(client, sid: str, state: str, code: int | None = None):
    params = {"MessageSid": sid, "MessageStatus": state, "AccountSid": SID, **({"ErrorCode": str(code)} if code else {})}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/sms/status", params)
    response = client.post("/sms/status", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)
    assert response.status_code == 200


@pytest.mark.parametrize("code", [30034, 30032])
def test_a_pager_number_twilio_blocks_after_taking_the_page_pages_from_the_main_number(client, runner, clock, paged,
                                                                                       twilio, code):
    """Twilio takes the page (201) and then blocks it for its sender: 30034, a US long code not registered in an
    A2P 10DLC campaign (every text from one has been blocked since September 2023), 30032, a toll-free number
    not verified. That is the pager number's fault, not the nurse's phone's: the same nurse is paged again at
    once from `from_number` (which reached her before the pager number was set) and the operator is told; the
    page must not be failed for good and marched up the on-call chain on the same blocked number."""
    [page] = twilio.sent(NURSES[0])
    assert page["From"] == PAGER
    sid = f"SM{twilio.texts.index(page) + 1:032d}"
    status(client, sid, "undelivered", code)
    tick(runner)
    again = twilio.sent(NURSES[0])[1:]
    assert [form["From"] for form in again] == [FROM_NUMBER] and f"ACK {paged['id']}" in again[0]["Body"]
    assert twilio.sent(NURSES[1]) == []  # the first nurse's phone is fine: nobody else is woken for it
    gateway = client.get("/healthz").get_json()["checks"]["gateway"]
    assert not gateway["ok"] and gateway["code"] == code and "pager number" in gateway["error"]
    assert "register" in gateway["error"]  # what to fix: the number in Twilio, not [sms] pager_number
    at(clock, 2)
    text(client, "ack", NURSES[0], FROM_NUMBER, 2)
    tick(runner)
    confirmation = twilio.sent(NURSES[0])[-1]
    assert confirmation["From"] == PAGER  # Twilio takes it, as it took the page: that proves nothing yet
    assert not client.get("/healthz").get_json()["checks"]["gateway"]["ok"]
    status(client, f"SM{twilio.texts.index(confirmation) + 1:032d}", "delivered")  # registered since: delivered
    assert client.get("/healthz").get_json()["checks"]["gateway"]["ok"]


def test_a_refused_pager_number_shows_in_the_metrics(client, admin_token, runner, clock, twilio):
    """operator.pager_refused: the operator hears of it on /healthz, the banner and the metrics, where the
    suggested alerts (docs/operations.md) watch: the page left from the main number, so crswatch_gateway_failing
    stays 0, and only a gauge of its own says the nurse's Do Not Disturb may silence it."""
    from prometheus_client.parser import text_string_to_metric_families

    twilio.refuse_from[PAGER] = 21606
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
    tick(runner)
    assert twilio.sent(NURSES[0])[0]["From"] == FROM_NUMBER
    samples = {sample.name: sample.value for family in text_string_to_metric_families(client.get("/metrics").text)
               for sample in family.samples if not sample.labels}
    assert samples["crswatch_gateway_failing"] == 0 and samples["crswatch_pager_refused"] == 1


@pytest.mark.parametrize("code", [21999, None])  # a code crswatch does not know; a 400 without one
def test_a_pager_number_refused_for_a_reason_crswatch_does_not_know_pages_from_the_main_number(
        client, admin_token, runner, clock, twilio, code):
    """Any 400 Twilio answers with a code outside the known message and recipient codes counts as the text's own
    fault (messages.gateways.scope_of) and fails it for good. From the pager number that fails the page up the
    whole on-call chain, each nurse's page refused the same way, when the number is the likelier culprit: such a
    page is tried from `from_number` once (a phone's own fault then fails it from there) and the operator told."""
    twilio.refuse_from[PAGER] = code or -1  # -1: a 400 with no usable code
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
    tick(runner)
    [page] = twilio.sent(NURSES[0])
    assert page["From"] == FROM_NUMBER and "ACK" in page["Body"]
    assert twilio.sent(NURSES[1]) == []
    gateway = client.get("/healthz").get_json()["checks"]["gateway"]
    assert not gateway["ok"] and "pager number" in gateway["error"]


@pytest.mark.parametrize("new_pager", ["+13125550188", ""])
def test_the_pager_refusal_is_forgotten_once_the_pager_number_is_changed_or_removed(tmp_path, clock, new_pager):
    """The operator follows /healthz's advice ("fix [sms] pager_number") and restarts: the refusal was of the old
    number, so /healthz must not keep answering 503 for it until a nurse happens to be texted, hours later on a
    quiet night, as if the fix had not worked."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        fake.refuse_from[PAGER] = 21606
        _, cli, client = _enrolled(pager_config(tmp_path), fake, clock)
        tick(cli)
        assert fake.sent(NURSES[0])[0]["From"] == FROM_NUMBER
        assert client.get("/healthz").status_code == 503
        after = _started(pager_config(tmp_path, pager_number=new_pager), fake)  # fixed, restarted
        response = after.test_client().get("/healthz")
    assert response.get_json()["checks"]["gateway"]["ok"], response.get_json()["checks"]["gateway"]


@pytest.mark.parametrize("pager", [PAGER, ""])
def test_a_refused_main_number_replaced_in_the_settings_clears_once_the_new_one_sends(tmp_path, clock, pager):
    """The main number refused (released), the operator sets a new [sms] from_number and restarts: the texts
    queued meanwhile leave from the new number, and the failure of the old one is over (it is no number of the
    clinic's any more), rather than /healthz answering 503 'refuses every text' for ever."""
    new_main = "+13125550177"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        fake.refuse_from[FROM_NUMBER] = 21606
        _, _, before = _enrolled(pager_config(tmp_path, pager_number=pager), fake, clock, red_flag=False)
        assert before.get("/healthz").status_code == 503
        after = _started(pager_config(tmp_path, pager_number=pager, from_number=new_main), fake)
        at(clock, 1)
        tick(after.test_cli_runner())
        response = after.test_client().get("/healthz")
    [prompt] = fake.sent(PATIENT_PHONE)
    assert prompt["From"] == new_main
    assert response.get_json()["checks"]["gateway"]["ok"], response.get_json()["checks"]["gateway"]


def test_a_patient_s_urgent_reply_leaves_the_idle_main_number_while_pages_wait_for_the_pager(app, clock, twilio,
                                                                                            monkeypatch):
    """Issue 19, urgent first at the sender, with [sms] pager_number: five pages queue on the pager number (a
    flood of red flags) ahead of a patient's urgent reply and a prompt on the main number, which is idle. The
    pager hands three over at once (its slot and two borrowed) and then waits for its pace; the main number's
    slot is free all along, so the patient's urgent reply ('call 911 now') and the prompt go while the pager
    waits, not behind the pages on another number. The pager still keeps its pace (never more than two
    slots ahead) and its pages their order."""
    from monitoring.clinic import open_clinic
    from monitoring.outbox import queue_text
    from monitoring.store import transaction

    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):
        for index in range(5):
            queue_text(clinic, NURSES[index % 2], f"URGENT page {index}", "alert", now=START)
        queue_text(clinic, PATIENT_PHONE, "Call 911 NOW", "reply", urgent=True, now=START)
        queue_text(clinic, "+13125550000", "time for your check-in", "prompt", now=START)
    now = [100.0]
    handed: list[tuple[float, str, str]] = []
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(delivery.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    gateway = app.extensions["crswatch.gateway"]
    original = gateway.send

    def stamped(to, from_, body, kind, status_callback=None):
        handed.append((now[0], from_, body))
        return original(to, from_, body, kind, status_callback)

    gateway.send = stamped
    delivery.deliver_due(clinic, gateway, delivery.RateLimiter(1.0, {PAGER: 1.0}), batch=10)
    assert [body for _, from_, body in handed if from_ == PAGER] == [f"URGENT page {index}" for index in range(5)]
    [reply_at] = [at_ for at_, from_, body in handed if body == "Call 911 NOW"]
    [prompt_at] = [at_ for at_, from_, body in handed if body == "time for your check-in"]
    page_times = [at_ for at_, from_, _ in handed if from_ == PAGER]
    assert reply_at - 100.0 <= delivery.URGENT_POLL_SECONDS + 1e-9  # the first look while the pager waits
    assert prompt_at < page_times[-1]  # the main number's next slot, not after the pager's flood
    for count, at_ in enumerate(page_times, start=1):  # the pager's pace: three at once, then one a second
        assert count <= 3 + (at_ - 100.0) + 1e-9
    assert [form["From"] for form in twilio.sent(PATIENT_PHONE)] == [FROM_NUMBER]


def test_the_main_number_s_texts_sent_while_the_pager_waits_never_cut_its_pass_short(app, clock, twilio,
                                                                                     monkeypatch):
    """A scheduler pass delivers about one poll's worth (`batch`) at the pace it waits for, then the next poll
    goes on. The main number's texts sent while the pager number waits for its pace cost the pager nothing, so
    they do not count against the pass: with 8 pages queued on the pager number and prompts on the idle main
    number, a pass of 5 hands over 5 pages (100.0 x3, 101.0, 102.0), not 4; a pass cut short leaves the pager
    idle in Twilio's queue until the next poll, and the flood of pages reaches the nurses later."""
    from monitoring.clinic import open_clinic

    clinic = open_clinic(app.config["CRS"])
    pages_and_prompts(clinic, pages=8, prompts=3)
    now = [100.0]
    handed: list[tuple[float, str]] = []
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(delivery.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    gateway = app.extensions["crswatch.gateway"]
    original = gateway.send

    def stamped(to, from_, body, kind, status_callback=None):
        handed.append((round(now[0], 6), from_))
        return original(to, from_, body, kind, status_callback)

    gateway.send = stamped
    delivery.deliver_due(clinic, gateway, delivery.RateLimiter(1.0, {PAGER: 1.0}), batch=5)
    assert [at_ for at_, from_ in handed if from_ == PAGER] == [100.0, 100.0, 100.0, 101.0, 102.0]
    assert 1 <= sum(1 for _, from_ in handed if from_ == FROM_NUMBER) <= 3  # in the pager's waits, at their pace


def test_a_page_refused_from_the_pager_during_a_burst_borrows_the_main_number_s_next_slot(
        app, client, admin_token, runner, clock, twilio, monkeypatch):
    """The pager number refused (21606) while the main number paces 30 prompts at 1 a second: a red flag texted
    half-way through a wait goes from the main number at once, borrowing its next slot (Twilio sends it right
    after the prompt in flight), not after the slot nor the slice; the main number's pace is kept: the prompts
    after it wait the slot it took."""
    enroll(client, admin_token)
    tick(runner)
    at(clock, 1)
    twilio.refuse_from[PAGER] = 21606
    texted_at, handed = burst_with_a_red_flag(app, client, monkeypatch, batch=5)
    [page] = twilio.sent(NURSES[0])
    assert page["From"] == FROM_NUMBER
    page_at = next(sent.at for sent in handed if sent.kind == "alert" and sent.from_ == FROM_NUMBER)
    assert page_at - texted_at <= delivery.URGENT_POLL_SECONDS + 1e-9 and page_at < 101.0
    main = [sent.at for sent in handed if sent.from_ == FROM_NUMBER]
    for count, at_ in enumerate(main, start=1):  # the main number: its slot and at most two borrowed, then its pace
        assert count <= 3 + (at_ - 100.0) + 1e-9, main


def test_an_emptied_messaging_service_never_ends_the_pass_while_pages_wait_for_the_pager(tmp_path, clock,
                                                                                        monkeypatch):
    """Six red flags at once (a flood of pages on the pager number) while the Messaging Service's pool was emptied
    in the console (21703: the account's trouble, docs/operations.md; the pager number is not in the pool and
    works). The service's prompts go in the pager's waits and fail at the pool's rate (4 a second); three such
    failures in a row ended the whole pass (OUTAGE_FAILURES_PER_PASS), so the pager's fourth to sixth pages
    waited for the next poll (up to a minute, 3 pages a poll) though nothing was wrong with the pager. A sender
    whose texts fail while riding in another's waits stops riding for the pass; the pages keep the pager's pace.
    The dead service is still only probed: at most OUTAGE_FAILURES_PER_PASS tries of its texts while the pager
    waits."""

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        fake.refuse_from[""] = 21703  # a text from the service carries no From: the pool has no number in it
        application = _started(pager_config(tmp_path, messaging_service_sid=SERVICE, messaging_service_senders=4),
                               fake)
        assert application.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
        from monitoring.clinic import open_clinic

        clinic = open_clinic(application.config["CRS"])
        pages_and_prompts(clinic, pages=6, prompts=10)
        gateway = application.extensions["crswatch.gateway"]
        _, handed = paced_clock(monkeypatch, gateway)
        delivery.deliver_due(clinic, gateway, delivery.RateLimiter(4.0, {PAGER: 1.0}), batch=10)
    pages = [form["Body"] for form in fake.texts if form.get("From") == PAGER]
    assert pages == [f"URGENT page {index}" for index in range(6)]  # every page in this pass
    assert [text.at for text in handed if text.kind == "alert"] == [100.0, 100.0, 100.0, 101.0, 102.0, 103.0]
    riding = [text for text in handed if text.kind == "prompt" and text.at < 103.0]
    assert len(riding) == delivery.OUTAGE_FAILURES_PER_PASS  # the dead service probed, then left to its pace


def test_a_page_during_a_burst_from_a_fast_pool_leaves_the_pager_after_the_send_in_flight(tmp_path, clock,
                                                                                         monkeypatch):
    """Issue 19, urgent first at the sender, with a Messaging Service of 10 senders (10 texts a second: a slot every
    0.1 s, which a wait sleeps through without looking at the queue) and a pager number: 30 prompts leave the pool,
    each send a Twilio API round trip of 0.3 s. A red flag texted during the first send must be paged from the
    idle pager number right after the send in flight, not after the rest of the slice of prompts (19 sends,
    about 6 s): each slot of the pool was free when reached, so no wait ever looked for it, and the slot's own
    look (_overtaken) takes only the same sender's rows (SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse)."""
    from monitoring.outbox import queue_text
    from monitoring.store import transaction

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        application, _, client = _enrolled(
            pager_config(tmp_path, messaging_service_sid=SERVICE, messaging_service_senders=10), fake, clock,
            red_flag=False)
        at(clock, 1)
        from monitoring.clinic import open_clinic

        clinic = open_clinic(application.config["CRS"])
        with transaction(clinic.db):
            for index in range(30):
                queue_text(clinic, f"+1312555{index:04d}", "time for your check-in", "prompt", now=START)
        texted: list[float] = []

        def round_trip(handed):
            now[0] += 0.3  # the send's API round trip
            if not texted:
                texted.append(now[0])
                text(client, "o2 85", PATIENT_PHONE, FROM_NUMBER, 1)

        gateway = application.extensions["crswatch.gateway"]
        now, handed = paced_clock(monkeypatch, gateway, on_send=round_trip)
        delivery.deliver_due(clinic, gateway, delivery.RateLimiter(10.0, {PAGER: 1.0}), batch=25)
    [page_at] = [sent.at for sent in handed if sent.kind == "alert"]
    assert page_at - texted[0] <= 0.3 + delivery.URGENT_POLL_SECONDS + 1e-9  # after the send in flight at most
    [page] = fake.sent(NURSES[0])
    assert page["From"] == PAGER
