"""Shared fixtures: a fresh app on a temporary database per test, a clock, tokens, an enrolled patient.

No test reads the real clock: a test takes the `clock` fixture (stopped at START), or travels itself
(`time_machine.travel(..., tick=True)` where a live server or a browser needs time to move). To prove it,
run the whole suite at another "real" time, which every test must ignore:

    CRS_TEST_NOW=2026-03-07T03:00:00-06:00 .venv/bin/python -m pytest    # a Saturday night in Chicago

The session then runs under `time_machine.travel(CRS_TEST_NOW, tick=True)`; a test's own travel wins inside it.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urlencode

import pytest
import time_machine
from twilio.request_validator import RequestValidator

from app import create_app

AUTH_TOKEN = "test-auth-token"
BASE_URL = "https://monitor.example.org"
CLINIC_PHONE = "+15555550100"
FROM_NUMBER = "+15555550123"
NURSES = ["+15555550142", "+15555550143"]
PATIENT_PHONE = "+15555550199"
START = datetime.fromisoformat("2026-03-03T10:00:00-06:00")  # a Tuesday, in clinic hours
TEST_NOW = "CRS_TEST_NOW"
_session_travel: list = []


def pytest_configure(config) -> None:
    """CRS_TEST_NOW=<ISO 8601 with offset>: the whole session (collection too) runs from that moment, ticking."""
    moment = os.environ.get(TEST_NOW, "").strip()
    if not moment:
        return
    try:
        start = datetime.fromisoformat(moment)
    except ValueError:
        raise pytest.UsageError(f"{TEST_NOW}={moment!r} is not an ISO 8601 time, e.g. 2026-03-07T03:00:00-06:00")
    if start.tzinfo is None:
        raise pytest.UsageError(f"{TEST_NOW}={moment!r} needs an offset, e.g. 2026-03-07T03:00:00-06:00")
    traveller = time_machine.travel(start, tick=True)
    traveller.start()
    _session_travel.append(traveller)


def pytest_unconfigure(config) -> None:
    while _session_travel:
        _session_travel.pop().stop()


def pytest_report_header(config) -> str | None:
    moment = os.environ.get(TEST_NOW, "").strip()
    return f"{TEST_NOW}={moment}: the session runs from that moment (time_machine, ticking)" if moment else None


def base_config(db_path) -> dict:
    return {
        "clinic": {"name": "Test Cancer Center", "phone": CLINIC_PHONE, "timezone": "America/Chicago",
                   "open": "08:00", "close": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
        "database": {"path": str(db_path)},
        "sms": {"backend": "outbox", "from_number": FROM_NUMBER, "public_base_url": BASE_URL,
                "twilio": {"account_sid": "AC" + "0" * 32, "auth_token": AUTH_TOKEN}},
        "scheduler": {"enabled": False},
        "oncall": [{"name": "Primary nurse", "phone": NURSES[0]}, {"name": "Backup nurse", "phone": NURSES[1]}],
    }


@pytest.fixture
def config(tmp_path) -> dict:
    return base_config(tmp_path / "test.db")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def app(config, clock):
    application = create_app(config)
    application.testing = True
    result = application.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def add_staff(runner, name: str, role: str, phone: str | None = None) -> str:
    args = ["staff", "add", name, "--role", role] + (["--phone", phone] if phone else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def admin_token(runner) -> str:
    return add_staff(runner, "Ada Admin", "admin")


@pytest.fixture
def nurse_token(runner) -> str:
    return add_staff(runner, "Nora Nurse", "nurse", "+15555550177")


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def enroll(client, token: str, **extra) -> dict:
    body = {"name": "Pat Example", "phone": PATIENT_PHONE, "language": "en", "therapy": "teclistamab",
            "dose_given_at": START.isoformat(), **extra}
    response = client.post("/api/v1/patients", json=body, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def patient(client, admin_token, runner) -> dict:
    enrolled = enroll(client, admin_token)
    assert runner.invoke(args=["tick"]).exit_code == 0
    return enrolled


class Phone:
    """Posts signed Twilio webhooks the way Twilio does."""

    def __init__(self, client):
        self.client = client
        self.sid = 0
        self.validator = RequestValidator(AUTH_TOKEN)

    def text(self, body: str, sender: str = PATIENT_PHONE, *, sid: str | None = None, signed: bool = True,
             url: str = BASE_URL + "/sms/inbound", path: str = "/sms/inbound", base_url: str = BASE_URL,
             media: int | str = 0):
        """`media`: pictures the text carries (an MMS: NumMedia and a MediaUrl<n> each, as Twilio posts them)."""
        if sid is None:
            self.sid += 1
            sid = f"SM{self.sid:032d}"
        params = {"From": sender, "To": FROM_NUMBER, "Body": body, "MessageSid": sid,
                  "AccountSid": "AC" + "0" * 32, "NumMedia": str(media)}
        for n in range(min(int(media), 10) if str(media).isdigit() else 0):  # Twilio sends at most 10
            params[f"MediaUrl{n}"] = f"https://api.twilio.com/2010-04-01/Accounts/AC/Messages/{sid}/Media/ME{n}"
            params[f"MediaContentType{n}"] = "image/jpeg"
        signature = self.validator.compute_signature(url, params) if signed else "bad"
        return self.client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                                headers={"X-Twilio-Signature": signature}, base_url=base_url)


@pytest.fixture
def phone(client) -> Phone:
    return Phone(client)


def messages(client, token: str, **query) -> list[dict]:
    response = client.get("/api/v1/messages", query_string=query, headers=auth(token))
    assert response.status_code == 200
    return response.get_json()


def texts_to(client, token: str, number: str, after_id: int = 0) -> list[dict]:
    return [m for m in messages(client, token, after_id=after_id) if m["direction"] == "out" and m["to"] == number]


@contextmanager
def every_connection_traced(monkeypatch, trace: Callable[[str], None]) -> Iterator[None]:
    """Every SQLite connection opened inside (the web's kept one too: forgotten on entry and on exit) reports each
    statement it runs to `trace` (sqlite3's trace callback)."""
    real_connect = sqlite3.connect

    def traced_connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced_connect)
    from web import context

    context.forget_connections()  # the web's kept connection was opened untraced
    try:
        yield
    finally:
        context.forget_connections()
