"""Browser fixtures: the app served on a free port in a thread, and headless chromium through Playwright."""
from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from conftest import START
from werkzeug.serving import make_server

from app import create_app
from monitoring import staff as staff_module
from monitoring.clinic import open_clinic

from .browserkit import ADMIN, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD


def live_config(db_path) -> dict:
    """Like tests/conftest.py's base_config, but over plain http (so the session cookie is not Secure-only)."""
    return {
        "clinic": {"name": "Test Cancer Center", "phone": "+15555550100", "timezone": "America/Chicago"},
        "database": {"path": str(db_path)},
        "sms": {"backend": "outbox", "from_number": "+15555550123", "public_base_url": ""},
        "scheduler": {"enabled": False},
        "oncall": [{"name": "Primary nurse", "phone": "+15555550142"},
                   {"name": "Backup nurse", "phone": "+15555550143"}],
    }


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def clinic(self):
        return open_clinic(self.app.config["CRS"])


@pytest.fixture
def live(tmp_path):
    """The app served in a thread, the whole test at START (a Tuesday, in clinic hours) with time moving."""
    with time_machine.travel(START, tick=True):
        yield from _serve(tmp_path)


def _serve(tmp_path):
    app = create_app(live_config(tmp_path / "live.db"))
    app.testing = True
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    clinic = open_clinic(app.config["CRS"])
    try:
        staff_module.add_staff(clinic, ADMIN, "admin", "+15555550177", now=datetime.now(UTC))
        staff_module.set_password(clinic, ADMIN, PASSWORD, actor="test")
    finally:
        clinic.db.close()
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(viewport=DESKTOP, base_url=live.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.console_errors = errors
    yield tab
    context.close()
