"""The Twilio gateway against Twilio's HTTP API faked at the HTTP boundary with `responses`."""
import pytest
import requests
import responses

from messages.gateways import GatewayError, OutboxGateway, TwilioGateway, classify, scope_of

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
