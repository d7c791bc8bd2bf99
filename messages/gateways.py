"""SMS gateways: where an outbox row goes when it is delivered.

`outbox` (the embedded default) records the text as sent and prints it; `twilio` sends it through
the official SDK. Both answer `send()` with the provider's message id or raise GatewayError, which
says whether trying again can help. `call()` places a voice call to a nurse the same way (issue 12):
Twilio then fetches the call's TwiML from `url`.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("crswatch.sms")

# Every failure has a scope, because the scope decides what helps (https://www.twilio.com/docs/api/errors):
# - "message": this text can never go (21211 invalid 'To', 21610 the recipient replied STOP, 21614 'To'
#   is not a mobile, 21612 cannot route, 21408 no permission for the region, 21617 body too long);
# - "recipient": the carrier could not reach this phone (30003 unreachable, 30004 blocked, 30005 unknown,
#   30006 landline: final; 30008 unknown error: worth another try);
# - "account": the account or the sender is refused, for every text alike (20003 bad credentials, 21606
#   and 21212 bad 'From', 21210 a call's 'From' not a number of the account, 21608 trial account, 21611 and
#   30001 sender queue full, 30002 account suspended, 20429 too many requests, 20500/20503 and any 5xx: Twilio's own trouble; with a Messaging Service, 21603
#   no sender given, 21701 the service does not exist, 21705 not a service SID, 21703 and 21704 no number in
#   its pool). Never the phone's fault:
#   retried for every message and raised to the operator, never a reason to give up on a phone;
# - "network": Twilio could not be reached at all (timeout, connection refused): like "account".
SCOPES = ("message", "recipient", "account", "network")
MESSAGE_CODES = frozenset({21211, 21610, 21614, 21612, 21408, 21617, 21602, 30007})
RECIPIENT_FINAL_CODES = frozenset({30003, 30004, 30005, 30006})
RECIPIENT_RETRY_CODES = frozenset({30008})
ACCOUNT_CODES = frozenset({20003, 20005, 20404, 21606, 21212, 21210, 21608, 21611, 21659, 21660, 20429, 20500,
                           20503, 30001, 30002, 14107, 21603, 21701, 21703, 21704, 21705})
# Kept for callers that only ask "is it worth another try": permanent means message or recipient scope.
PERMANENT_CODES = MESSAGE_CODES | RECIPIENT_FINAL_CODES
RETRYABLE_CODES = RECIPIENT_RETRY_CODES | ACCOUNT_CODES


class GatewayError(Exception):
    """A text the gateway did not take. `scope` is one of SCOPES; `retryable` whether trying the same
    text again can help (always for account and network scope)."""

    def __init__(self, message: str, code: int | None, retryable: bool, scope: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        if scope is None:
            scope = scope_of(code, None) if code in MESSAGE_CODES | RECIPIENT_FINAL_CODES | RETRYABLE_CODES else (
                "recipient" if retryable else "message")
        self.scope = scope
        self.retryable = retryable or scope in ("account", "network")


def scope_of(code: int | None, http_status: int | None) -> str:
    """The scope of a Twilio failure from its error code, else from the HTTP status (401/403/404 and
    429/5xx are the account's or Twilio's; any other 4xx is the message's)."""
    if code in MESSAGE_CODES:
        return "message"
    if code in RECIPIENT_FINAL_CODES or code in RECIPIENT_RETRY_CODES:
        return "recipient"
    if code in ACCOUNT_CODES:
        return "account"
    if http_status is None:
        return "network" if code is None else "message"
    if http_status in (401, 403, 404, 429) or http_status >= 500:
        return "account"
    return "message"


def classify(code: int | None, http_status: int | None) -> bool:
    """True when a failure is worth retrying: every account or network failure, and 30008."""
    scope = scope_of(code, http_status)
    return scope in ("account", "network") or code in RECIPIENT_RETRY_CODES


def error_for(code: int | None, http_status: int | None, message: str) -> GatewayError:
    """The GatewayError for a Twilio answer, with its scope and whether a retry can help."""
    return GatewayError(message, code, classify(code, http_status), scope_of(code, http_status))


@dataclass
class OutboxGateway:
    """Records texts instead of sending them: prints `-> +1555... [prompt] text`."""

    echo: bool = True
    name: str = "outbox"

    def send(self, to: str, from_: str, body: str, kind: str, status_callback: str | None = None) -> str:
        """Print the text (when `echo`) instead of sending it; a made-up sid "OB" + 32 hex digits."""
        if self.echo:
            print(f"-> {to} [{kind}] {body}", flush=True)
        return "OB" + secrets.token_hex(16)

    def call(self, to: str, from_: str, body: str, url: str, status_callback: str | None = None) -> str:
        """Records the call: the simulator (/simulator) plays it to the nurse with keys 1 and 2."""
        if self.echo:
            print(f"-> {to} [call] {body}", flush=True)
        return "OBCA" + secrets.token_hex(15)


# A nurse's phone rings this long before the call counts as not answered (Twilio `Timeout`, 5-600 s;
# https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource).
CALL_RING_SECONDS = 30
# Answering-machine detection, synchronous (https://www.twilio.com/docs/voice/answering-machine-detection):
# `MachineDetection=Enable` makes Twilio wait until it knows who answered before it requests `url`, and
# send `AnsweredBy` (human, machine_start, machine_end_beep, machine_end_silence, machine_end_other, fax,
# unknown) with that request. A voicemail greeting must not "hear" the alert and leave it unacknowledged
# silently: a machine is recorded as such and the alert keeps escalating. `MachineDetectionTimeout` (3-59 s,
# default 30) is shortened so a nurse who answers is not left in silence for long.
MACHINE_DETECTION_TIMEOUT_SECONDS = 10


class TwilioGateway:
    """Sends through Twilio's REST API with the official SDK. With `messaging_service_sid` (MG...) texts go
    from that Messaging Service instead of `from_`: Twilio picks a sender from its pool, so a clinic raises
    its rate by adding numbers (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource:
    `MessagingServiceSid` instead of `From`), except texts from `pager_number` (`[sms] pager_number`), which go
    from that number itself, the one nurses know as the pager. Calls always come from `from_` (a service sends
    messages only)."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, timeout_seconds: float = 10.0,
                 messaging_service_sid: str = "", pager_number: str = ""):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout_seconds))
        self.messaging_service_sid = messaging_service_sid
        self.pager_number = pager_number
        # The SDK logs each request at INFO with its URL (the account SID) and any query (phone numbers on a
        # lookup): keep that out of the service's logs, which may be shipped where PHI must not go.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

    def send(self, to: str, from_: str, body: str, kind: str, status_callback: str | None = None) -> str:
        """Create the message through Twilio's Messages API (https://www.twilio.com/docs/messaging/api/message-resource),
        from the Messaging Service when one is set (unless `from_` is the pager number), else `from_`; Twilio's
        MessageSid, or GatewayError."""
        options = {"to": to, "body": body}
        if self.messaging_service_sid and from_ != self.pager_number:
            options["messaging_service_sid"] = self.messaging_service_sid
        else:
            options["from_"] = from_
        if status_callback:
            options["status_callback"] = status_callback
        return self._create(self.client.messages, options)

    def call(self, to: str, from_: str, body: str, url: str, status_callback: str | None = None) -> str:
        """Place a voice call whose TwiML Twilio fetches from `url` (POST), with answering-machine detection;
        `status_callback` hears how it ended (completed, busy, no-answer, failed, canceled)."""
        options = {"to": to, "from_": from_, "url": url, "method": "POST", "timeout": CALL_RING_SECONDS,
                   "machine_detection": "Enable", "machine_detection_timeout": MACHINE_DETECTION_TIMEOUT_SECONDS}
        if status_callback:
            options.update(status_callback=status_callback, status_callback_method="POST",
                           status_callback_event=["completed"])
        return self._create(self.client.calls, options)

    @staticmethod
    def _create(resource: Any, options: dict[str, Any]) -> str:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            created = resource.create(**options)
        except TwilioRestException as error:
            code = int(error.code) if error.code else None
            raise error_for(code, error.status, f"twilio {error.status} code {code}: {error.msg}") from None
        except (requests.Timeout, requests.ConnectionError) as error:
            raise GatewayError(f"twilio unreachable: {type(error).__name__}", None, True, "network") from None
        except TwilioException as error:
            raise GatewayError(f"twilio: {error}", None, True, "network") from None
        return str(created.sid)


class Gateway(Protocol):
    """What delivery needs of a backend: OutboxGateway, TwilioGateway (or a test's fake at that boundary).
    Each returns the sid of what it sent and raises GatewayError when it could not."""

    name: str

    def send(self, to: str, from_: str, body: str, kind: str, status_callback: str | None = None) -> str:
        """Send a text `body` (E.164 `to` and `from_`); the sid, or GatewayError."""

    def call(self, to: str, from_: str, body: str, url: str, status_callback: str | None = None) -> str:
        """Place a voice call whose TwiML is at `url`; the call sid, or GatewayError."""


def sending_rate(sms: dict[str, Any]) -> float:
    """Texts a second the clinic's senders take, from the `[sms]` settings: `max_per_second` for each sender,
    and a Messaging Service (`messaging_service_sid`) has `messaging_service_senders` of them. Twilio queues
    what it is handed faster than that, where no later page can overtake it, so crswatch paces at this rate
    (https://www.twilio.com/docs/messaging/services: a service spreads its texts over its sender pool)."""
    senders = sms["messaging_service_senders"] if sms["messaging_service_sid"] else 1
    return float(sms["max_per_second"]) * senders


def gateway_for(config: dict[str, Any], echo: bool = True) -> Gateway:
    """The backend `[sms] backend` names: twilio, else the outbox (texts printed when `echo`)."""
    sms = config["sms"]
    if sms["backend"] == "twilio":
        return TwilioGateway(sms["twilio"]["account_sid"], sms["twilio"]["auth_token"],
                             messaging_service_sid=sms["messaging_service_sid"], pager_number=sms.get("pager_number", ""))
    return OutboxGateway(echo=echo)
