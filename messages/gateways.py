"""SMS gateways: where an outbox row goes when it is delivered.

`outbox` (the embedded default) records the text as sent and prints it; `twilio` sends it through
the official SDK. Both answer `send()` with the provider's message id or raise GatewayError, which
says whether trying again can help.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

log = logging.getLogger("crswatch.sms")

# Twilio error codes that no retry will fix (https://www.twilio.com/docs/api/errors):
# 21610 the recipient replied STOP; 21211 invalid 'To' number; 21614 'To' is not a mobile number;
# 21612 cannot route to this number; 21408 no permission for the region; 30003-30006 unreachable,
# blocked, unknown or landline (status callbacks).
PERMANENT_CODES = frozenset({21610, 21211, 21614, 21612, 21408, 30003, 30004, 30005, 30006})
# Worth another try: 20429 too many requests, 20500/20503 Twilio's own trouble, 30001 queue overflow.
RETRYABLE_CODES = frozenset({20429, 20500, 20503, 30001, 30008})


class GatewayError(Exception):
    def __init__(self, message: str, code: int | None, retryable: bool):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


def classify(code: int | None, http_status: int | None) -> bool:
    """True when a failure is worth retrying."""
    if code in PERMANENT_CODES:
        return False
    if code in RETRYABLE_CODES:
        return True
    return http_status is not None and (http_status == 429 or http_status >= 500)


@dataclass
class OutboxGateway:
    """Records texts instead of sending them: prints `-> +1555... [prompt] text`."""

    echo: bool = True
    name: str = "outbox"

    def send(self, to: str, from_: str, body: str, kind: str, status_callback: str | None = None) -> str:
        if self.echo:
            print(f"-> {to} [{kind}] {body}", flush=True)
        return "OB" + secrets.token_hex(16)


class TwilioGateway:
    """Sends through Twilio's REST API with the official SDK."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, timeout_seconds: float = 10.0):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout_seconds))
        # The SDK logs each request at INFO with its URL (the account SID) and any query (phone numbers on a
        # lookup): keep that out of the service's logs, which may be shipped where PHI must not go.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

    def send(self, to: str, from_: str, body: str, kind: str, status_callback: str | None = None) -> str:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException

        options = {"to": to, "from_": from_, "body": body}
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as error:
            code = int(error.code) if error.code else None
            raise GatewayError(f"twilio {error.status} code {code}: {error.msg}", code,
                               classify(code, error.status)) from None
        except (requests.Timeout, requests.ConnectionError) as error:
            raise GatewayError(f"twilio unreachable: {type(error).__name__}", None, True) from None
        except TwilioException as error:
            raise GatewayError(f"twilio: {error}", None, True) from None
        return message.sid


def gateway_for(config: dict, echo: bool = True):
    sms = config["sms"]
    if sms["backend"] == "twilio":
        return TwilioGateway(sms["twilio"]["account_sid"], sms["twilio"]["auth_token"])
    return OutboxGateway(echo=echo)
