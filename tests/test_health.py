"""/healthz turns 503 for each failure on the paging path it checks, naming it; /metrics is the
Prometheus text format (parsed here by prometheus-client's own parser); the dashboard banner says
what the operator must know (issue 11.5)."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from conftest import NURSES, START, enroll
from prometheus_client.parser import text_string_to_metric_families
from test_dashboard import add_user, sign_in

from messages.gateways import GatewayError
from monitoring import health
from scheduler.jobs import run_due_work


class Gateway:
    def __init__(self):
        self.error = None
        self.sent = []

    def send(self, to, from_, body, kind, status_callback=None):
        if self.error:
            raise self.error
        self.sent.append(to)
        return f"SMh{len(self.sent):031d}"


@pytest.fixture
def gateway(app):
    fake = Gateway()
    app.extensions["crswatch.gateway"] = fake
    return fake


def tick(runner):
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def healthz(client):
    response = client.get("/healthz")
    body = response.get_json()
    assert set(body) == {"ok", "checks"} and body["ok"] is (response.status_code == 200)
    return response.status_code, body["checks"]


def test_healthy_after_a_pass(client, runner, gateway):
    tick(runner)
    status, found = healthz(client)
    assert status == 200, found
    assert set(found) == {"database", "scheduler", "clock", "outbox", "gateway", "staff_phones"}
    assert found["scheduler"]["heartbeat_age_seconds"] == 0.0 and found["database"]["write_ms"] >= 0
    assert found["gateway"]["backend"] == "outbox"


def test_no_scheduler_pass_is_503(client):
    status, found = healthz(client)
    assert status == 503 and not found["scheduler"]["ok"] and "no scheduler pass" in found["scheduler"]["error"]


def test_a_dead_scheduler_is_503(client, runner, gateway, clock):
    tick(runner)
    clock.move_to(START + timedelta(minutes=3))
    status, found = healthz(client)
    assert status == 503 and found["scheduler"]["heartbeat_age_seconds"] == 180.0


def test_an_account_failure_is_503_naming_scope_and_code(client, runner, admin_token, gateway, clock):
    enroll(client, admin_token)
    gateway.error = GatewayError("twilio 401 code 20003: Authenticate", 20003, False, "account")
    tick(runner)
    status, found = healthz(client)
    assert status == 503
    assert found["gateway"]["scope"] == "account" and found["gateway"]["code"] == 20003
    assert found["gateway"]["last_error"]["code"] == "20003"
    gateway.error = None
    clock.move_to(START + timedelta(seconds=20))
    tick(runner)
    assert healthz(client)[0] == 200


def test_a_page_waiting_to_be_sent_is_503(client, runner, admin_token, gateway, clock, phone):
    enroll(client, admin_token)
    tick(runner)
    phone.text("o2 85")  # a page is queued; nobody delivers it
    clock.move_to(START + timedelta(minutes=3))
    run_due_work(client.application.config["CRS"], gateway, batch=0)  # a pass that delivers nothing
    status, found = healthz(client)
    assert status == 503 and found["outbox"]["oldest_due_page_seconds"] == 180.0


def test_a_locked_database_is_503(client, runner, gateway, config, monkeypatch):
    tick(runner)
    monkeypatch.setattr(health, "WRITE_PROBE_TIMEOUT_S", 0.05)
    holder = sqlite3.connect(config["database"]["path"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        status, found = healthz(client)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 503 and "locked" in found["database"]["error"] and found["database"]["fault"] == "locked"
    assert _kept(config)  # a lock passes: the web's kept connection stays


def _kept(config) -> bool:
    from web import context
    return config["database"]["path"] in context._local.__dict__.get("connections", {})


def test_a_read_only_database_is_503_and_the_kept_connection_is_opened_again_after(client, runner, gateway, config,
                                                                                   monkeypatch):
    """The storage drill's flake: a worker that served only /healthz while the filesystem was read-only kept a
    connection opened then, and refused the first text after the fix (503; Twilio's second retry got through)."""
    tick(runner)
    assert healthz(client)[0] == 200 and _kept(config)

    def read_only(*args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(health.operator, "put", read_only)
    status, found = healthz(client)
    assert status == 503 and found["database"]["fault"] == "read_only"
    assert not _kept(config)  # closed after the request: the next one opens anew


def test_a_clock_step_hold_is_503(client, runner, admin_token, gateway, clock):
    enroll(client, admin_token)
    tick(runner)
    clock.move_to(START + timedelta(hours=80))
    run_due_work(client.application.config["CRS"], gateway, clock_step=timedelta(hours=80))
    status, found = healthz(client)
    assert status == 503 and "clock-ok" in found["clock"]["error"]


def test_metrics_parse_and_count(client, runner, admin_token, gateway, clock, phone):
    enroll(client, admin_token)
    tick(runner)
    phone.text("o2 85")
    tick(runner)
    clock.move_to(START + timedelta(minutes=4))
    phone.text("ACK", sender=NURSES[0])
    gateway.error = GatewayError("twilio 429 code 20429", 20429, True, "account")
    phone.text("98.6")
    tick(runner)
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("crswatch_texts_total", (("direction", "out"), ("kind", "alert")))] == 1
    assert samples[("crswatch_texts_total", (("direction", "in"), ("kind", "reply")))] == 3
    # the ACK confirmation, the reply and its "your earlier message needs care now" (the urgent alert is acknowledged,
    # not resolved) were each tried once, and each refused
    assert samples[("crswatch_gateway_errors_total", (("code", "20429"), ("scope", "account")))] == 3
    assert samples[("crswatch_gateway_failing", ())] == 1
    assert samples[("crswatch_alert_ack_seconds_count", ())] == 1
    assert samples[("crswatch_alert_ack_seconds_bucket", (("le", "300"),))] == 1
    assert samples[("crswatch_alert_ack_seconds_bucket", (("le", "60"),))] == 0
    assert samples[("crswatch_outbox_backlog", (("kind", "info"),))] >= 1
    assert samples[("crswatch_scheduler_heartbeat_age_seconds", ())] == 0


def test_the_dashboard_says_when_texts_are_not_leaving(app, client, runner, admin_token, gateway):
    add_user(app, "Dana Nurse", "nurse")
    assert sign_in(client, "Dana Nurse").status_code == 302
    enroll(client, admin_token)
    gateway.error = GatewayError("twilio 401 code 20003", 20003, False, "account")
    tick(runner)
    page = client.get("/dashboard").text
    assert "Demo mode" in page and "no text leaves this building" in page
    assert "refuses every text (account, code 20003)" in page
