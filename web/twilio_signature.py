"""The Twilio webhook signature check, one place for every Twilio webhook (web.sms, web.voice).

Twilio signs each webhook request with the account's auth token: `X-Twilio-Signature` is the base64
HMAC-SHA1 of the full URL Twilio requested followed by the POST parameters sorted by name
(https://www.twilio.com/docs/usage/security#validating-requests). The official SDK's RequestValidator
computes it; a request whose signature does not match is refused (403) and changes nothing.
"""
from __future__ import annotations

import hmac

from flask import current_app, request
from twilio.request_validator import RequestValidator


def signed_url() -> str:
    """The URL Twilio signed: `[sms] public_base_url` + path (and query) behind a proxy, else the request URL."""
    base: str = current_app.config["CRS"]["sms"]["public_base_url"]
    if not base:
        return request.url
    query = request.query_string.decode()
    return base.rstrip("/") + request.path + (f"?{query}" if query else "")


def valid_signature() -> bool:
    """True when the current request carries a valid `X-Twilio-Signature` for `[sms.twilio] auth_token`;
    False when it is missing, wrong, or no auth token is configured (nothing unsigned gets through)."""
    sms = current_app.config["CRS"]["sms"]
    token = sms["twilio"]["auth_token"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = signed_url()
    # Twilio's connection overrides ride on the webhook URL as a fragment, which never reaches us;
    # whether Twilio signs the URL with or without it is not documented, so both are accepted (both
    # are signed with the auth token: nothing unsigned gets through).
    urls = [url] + ([f"{url}#{sms['webhook_overrides'].lstrip('#')}"] if sms["webhook_overrides"] else [])
    validator = RequestValidator(token)
    # Over exactly the parameters received: a key Twilio sends twice (AddOns) keeps both values, as
    # Twilio signed them (the SDK reads a MultiDict through getlist).
    form = request.form
    if "bodySHA256" not in url and hmac.compare_digest(validator.compute_signature(url, form).encode(),
                                                       signature.encode()):
        # Twilio signs the webhook URL as configured, so this one HMAC (the SDK's own) answers nearly every real
        # text; the SDK's validate (both port forms of each candidate, two HMACs each) is for the rest (issue 19).
        return True
    return any(validator.validate(candidate, form, signature) for candidate in urls)
