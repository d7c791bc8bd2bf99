"""Phone numbers in the console and request log (issue 16): the outbox demo prints texts with their numbers and
says so at start; with the twilio backend no text is printed and werkzeug's request lines lose the number."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

import requests
from werkzeug.serving import make_server

from app import create_app

PATIENT = "+13125557001"


def twilio_config(db_path) -> dict:
    return {"clinic": {"phone": "+13125557000"}, "database": {"path": str(db_path)},
            "sms": {"backend": "twilio", "from_number": "+13125557002", "public_base_url": "https://monitor.example.org",
                    "twilio": {"account_sid": "AC" + "1" * 32, "auth_token": "a-token"}},
            "scheduler": {"enabled": False}, "oncall": [{"name": "Nurse", "phone": "+13125557003"}]}


@contextmanager
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_twilio_backend_request_log_carries_no_phone_number(tmp_path, caplog, clock):
    app = create_app(twilio_config(tmp_path / "t.db"))
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    caplog.set_level(logging.INFO, logger="werkzeug")
    with served(app) as url:
        for path in (f"/simulator?phone={PATIENT.replace('+', '%2B')}", f"/simulator?phone={PATIENT}",
                     "/api/v1/messages?to=%2B1%20312%20555%207001", "/dashboard"):
            requests.get(url + path, timeout=10, allow_redirects=False)
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert len(lines) == 4 and all("GET /" in line for line in lines)
    assert not [line for line in lines if "3125557001" in line or "312%20555%207001" in line], lines
    assert "/simulator?phone=[phone]" in lines[0]


def test_outbox_demo_says_at_start_that_numbers_are_printed(config):
    from unittest import mock

    app = create_app(config)
    with mock.patch("werkzeug.serving.run_simple") as run:
        result = app.test_cli_runner().invoke(args=["serve", "--port", "5999"])
    assert run.called and "DEMO ONLY" in result.output and "phone numbers" in result.output


def test_twilio_backend_says_nothing_of_a_demo(tmp_path):
    from unittest import mock

    app = create_app({**twilio_config(tmp_path / "t.db"), "scheduler": {"enabled": False}})
    with mock.patch("werkzeug.serving.run_simple"):
        result = app.test_cli_runner().invoke(args=["serve", "--port", "5999"])
    assert "DEMO ONLY" not in result.output and "printed here" not in result.output


def test_twilio_backend_prints_no_text_or_number(tmp_path, capsys, clock):
    import responses
    from conftest import add_staff, auth

    app = create_app(twilio_config(tmp_path / "t.db"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    token = add_staff(runner, "Ada Admin", "admin")
    body = {"name": "Pat Example", "phone": PATIENT, "language": "en", "therapy": "teclistamab",
            "dose_given_at": "2026-03-03T09:30:00-06:00"}
    assert app.test_client().post("/api/v1/patients", json=body, headers=auth(token)).status_code == 201
    url = f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '1' * 32}/Messages.json"
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, url, status=201, json={"sid": "SM" + "2" * 32, "status": "queued"})
        capsys.readouterr()
        output = runner.invoke(args=["tick"]).output  # the CLI runner captures what the gateway would print
        printed = capsys.readouterr()
    assert "sent=1" in output and PATIENT not in output and "->" not in output
    assert PATIENT not in printed.out + printed.err
