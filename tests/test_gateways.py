"""The Twilio gateway against Twilio's HTTP API faked at the HTTP boundary with `responses`."""
import pytest
import requests
import responses

from messages.gateways import (
    GatewayError,
    OutboxGateway,
    TwilioGateway,
    classify,
    gateway_for,
    scope_of,
    sending_rate,
)

SID = "AC" + "1" * 32
URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"


def twilio_error(status: int, code: int):
    return {"code": code, "message": f"error {code}", "more_info": "https://www.twilio.com/docs/errors", "status": status}


@pytest.fixture
def gateway():
    return TwilioGateway(SID, "token")


@responses.activate
def test_send_returns_twilio_sid_and_posts_status_callback(gateway):
    responses.post(URL, json={"sid": "SM" + "a" * 32, "status": "queued", "account_sid": SID}, status=201)
    sid = gateway.send("+15555550199", "+15555550123", "Time for your temperature", "prompt",
                       "https://monitor.example.org/sms/status")
    assert sid == "SM" + "a" * 32
    sent = responses.calls[0].request.body
    assert "StatusCallback=https%3A%2F%2Fmonitor.example.org%2Fsms%2Fstatus" in sent
    assert "To=%2B15555550199" in sent and "From=%2B15555550123" in sent


@pytest.mark.parametrize("status, code, retryable, scope", [
    pytest.param(400, 21610, False, "message", id="21610-unsubscribed-permanent"),
    pytest.param(400, 21211, False, "message", id="21211-invalid-to-permanent"),
    pytest.param(400, 21614, False, "message", id="21614-not-mobile-permanent"),
    pytest.param(400, 21617, False, "message", id="21617-body-too-long-permanent"),
    pytest.param(429, 20429, True, "account", id="20429-too-many-requests-account"),
    pytest.param(500, 20500, True, "account", id="500-account"),
    pytest.param(503, 20503, True, "account", id="503-account"),
    # Issue 11.2: bad credentials or a bad sender refuse every text alike; retried, never a dead phone
    pytest.param(401, 20003, True, "account", id="401-auth-account-retried"),
    pytest.param(400, 21606, True, "account", id="21606-bad-sender-account-retried"),
    pytest.param(400, 30002, True, "account", id="30002-account-suspended-retried"),
])
@responses.activate
def test_errors_are_classified(gateway, status, code, retryable, scope):
    responses.post(URL, json=twilio_error(status, code), status=status)
    with pytest.raises(GatewayError) as raised:
        gateway.send("+15555550199", "+15555550123", "hi", "prompt")
    assert raised.value.retryable is retryable
    assert raised.value.code == code
    assert raised.value.scope == scope


@responses.activate
def test_timeout_is_retryable(gateway):
    responses.post(URL, body=requests.Timeout("read timed out"))
    with pytest.raises(GatewayError) as raised:
        gateway.send("+15555550199", "+15555550123", "hi", "prompt")
    assert raised.value.retryable is True and raised.value.scope == "network"


@responses.activate
def test_connection_error_is_retryable(gateway):
    responses.post(URL, body=requests.ConnectionError("no route"))
    with pytest.raises(GatewayError) as raised:
        gateway.send("+15555550199", "+15555550123", "hi", "prompt")
    assert raised.value.retryable is True


def test_classify_without_code_uses_http_status():
    assert classify(None, 502) is True
    assert classify(None, 404) is True  # the account's URL or SID is wrong: every text alike
    assert classify(None, 400) is False
    assert scope_of(None, 400) == "message" and scope_of(None, 401) == "account" and scope_of(None, None) == "network"


def test_outbox_gateway_prints_the_text(capsys):
    sid = OutboxGateway().send("+15555550199", "+15555550123", "Time for your temperature", "prompt")
    assert sid.startswith("OB")
    assert capsys.readouterr().out.strip() == "-> +15555550199 [prompt] Time for your temperature"


SERVICE = "MG" + "b" * 32


@responses.activate
def test_a_messaging_service_sends_instead_of_the_from_number():
    """Issue 19: with `[sms] messaging_service_sid` the Messages create call carries MessagingServiceSid and no
    From, so Twilio picks a sender from the service's pool
    (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource)."""
    responses.post(URL, json={"sid": "SM" + "c" * 32, "status": "accepted", "account_sid": SID}, status=201)
    gateway = TwilioGateway(SID, "token", messaging_service_sid=SERVICE)
    sid = gateway.send("+15555550199", "+15555550123", "Go to the emergency department NOW", "reply",
                       "https://monitor.example.org/sms/status")
    assert sid == "SM" + "c" * 32
    sent = dict(item.split("=", 1) for item in responses.calls[0].request.body.split("&"))
    assert sent["MessagingServiceSid"] == SERVICE
    assert "From" not in sent
    assert sent["To"] == "%2B15555550199"
    assert sent["StatusCallback"] == "https%3A%2F%2Fmonitor.example.org%2Fsms%2Fstatus"


def test_the_configured_messaging_service_reaches_the_gateway():
    from monitoring.config import load

    sms = load({"sms": {"messaging_service_sid": SERVICE, "twilio": {"account_sid": SID, "auth_token": "t"}}})["sms"]
    gateway = gateway_for({"sms": {**sms, "backend": "twilio"}})
    assert isinstance(gateway, TwilioGateway) and gateway.messaging_service_sid == SERVICE


@pytest.mark.parametrize("code", [21603, 21701, 21703, 21704, 21705])
@responses.activate
def test_a_refused_messaging_service_is_the_account_s_trouble_not_the_phone_s(code):
    """A missing, unknown or empty service refuses every text alike: retried and raised to the operator, never
    an `undeliverable` patient."""
    responses.post(URL, json=twilio_error(400, code), status=400)
    with pytest.raises(GatewayError) as raised:
        TwilioGateway(SID, "token", messaging_service_sid=SERVICE).send("+15555550199", "+15555550123", "hi", "reply")
    assert raised.value.scope == "account" and raised.value.retryable is True


@pytest.mark.parametrize("sms, rate", [
    pytest.param({"max_per_second": 1.0, "messaging_service_sid": "", "messaging_service_senders": 5}, 1.0,
                 id="one-long-code"),
    pytest.param({"max_per_second": 1.0, "messaging_service_sid": SERVICE, "messaging_service_senders": 5}, 5.0,
                 id="a-pool-of-five"),
])
def test_the_sending_rate_is_per_sender(sms, rate):
    assert sending_rate(sms) == rate
