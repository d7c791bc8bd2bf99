"""The scheduler: APScheduler decides when, the lease decides who, the database decides what."""
import time
from datetime import UTC, timedelta

import time_machine
from conftest import PATIENT_PHONE, START, add_staff, base_config, enroll

from monitoring import lease
from monitoring.clinic import open_clinic
from monitoring.store import connect, migrate
from scheduler.runner import Runner


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, to, from_, body, kind, status_callback=None):
        self.sent.append((to, kind))
        return f"RC{len(self.sent):030d}"


def fresh(tmp_path):
    config = __import__("monitoring.config", fromlist=["load"]).load(base_config(tmp_path / "s.db"))
    db = connect(config["database"]["path"])
    migrate(db)
    db.close()
    return config


def test_lease_keeps_one_scheduler_and_expires(tmp_path):
    config = fresh(tmp_path)
    clinic = open_clinic(config)
    with time_machine.travel(START, tick=False) as clock:
        assert lease.acquire(clinic, "scheduler", "host-a", 30)
        assert not lease.acquire(clinic, "scheduler", "host-b", 30)
        assert lease.acquire(clinic, "scheduler", "host-a", 30)  # renewal
        clock.move_to(START + timedelta(seconds=31))
        assert lease.acquire(clinic, "scheduler", "host-b", 30)  # a dead holder is replaced
        assert not lease.acquire(clinic, "scheduler", "host-a", 30)
        lease.release(clinic, "scheduler", "host-b")
        assert lease.acquire(clinic, "scheduler", "host-a", 30)


def test_two_runners_never_send_the_same_prompt_twice(tmp_path, clock):
    from app import create_app

    config = base_config(tmp_path / "two.db")
    application = create_app(config)
    application.testing = True
    runner = application.test_cli_runner()
    runner.invoke(args=["init-db"])
    token = add_staff(runner, "Ada Admin", "admin")
    client = application.test_client()
    for index in range(5):
        enroll(client, token, name=f"P {index}", phone=f"+1555555018{index}")
    settings = application.config["CRS"]
    first, second = Recorder(), Recorder()
    a, b = Runner(settings, first), Runner(settings, second)
    assert a.run_once() is not None
    assert b.run_once() is None  # a holds the lease
    assert len(first.sent) == 5 and second.sent == []
    clock.move_to(START + timedelta(seconds=10))
    assert b.run_once() is None and a.run_once() is not None  # a renews while alive
    clock.move_to(START + timedelta(seconds=60))  # a died (no renewal for longer than the lease)
    assert b.run_once() is not None
    assert len(first.sent) == 5 and second.sent == []  # b took over and found nothing due again


def test_create_app_starts_the_scheduler_when_enabled(tmp_path):
    from app import create_app

    config = base_config(tmp_path / "bg.db")
    config["scheduler"] = {"enabled": True, "poll_seconds": 1}
    with time_machine.travel(START, tick=True):  # the scheduler thread runs: time moves, from a fixed start
        application = create_app(config)
        runner = application.extensions["crswatch.runner"]
        try:
            assert runner.scheduler.running
            job = runner.scheduler.get_job("due-work")
            assert job.coalesce is True and job.max_instances == 1
        finally:
            runner.shutdown()


def test_scheduler_off_when_disabled(tmp_path, clock):
    from app import create_app

    application = create_app(base_config(tmp_path / "off.db"))
    assert "crswatch.runner" not in application.extensions


def test_background_scheduler_delivers_a_page_within_seconds(tmp_path):
    """The real thing: the scheduler thread, woken by the webhook's commit, hands the page to the gateway."""
    with time_machine.travel(START, tick=True):  # threads and waits need time to move, from a fixed start
        _background_scheduler_delivers_a_page(tmp_path)


def _background_scheduler_delivers_a_page(tmp_path):
    from conftest import NURSES, Phone

    from app import create_app

    config = base_config(tmp_path / "live.db")
    config["scheduler"] = {"enabled": True, "poll_seconds": 30}
    application = create_app(config)
    recorder = Recorder()
    runner = application.extensions["crswatch.runner"]
    runner.gateway = recorder
    try:
        cli = application.test_cli_runner()
        token = add_staff(cli, "Ada Admin", "admin")
        client = application.test_client()
        from datetime import datetime

        enroll(client, token, dose_given_at=datetime.now(UTC).isoformat())
        deadline = time.monotonic() + 10
        while (PATIENT_PHONE, "prompt") not in recorder.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (PATIENT_PHONE, "prompt") in recorder.sent  # woken by the enrollment, not the 30 s poll
        Phone(client).text("o2 85")
        deadline = time.monotonic() + 10
        while (NURSES[0], "alert") not in recorder.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (NURSES[0], "alert") in recorder.sent
    finally:
        runner.shutdown()


def test_serving_process_rules(monkeypatch):
    import click

    import app as app_module

    assert app_module._serving_process() is True  # gunicorn and friends: no click context
    with click.Context(click.Command("flask")):
        monkeypatch.setattr(app_module.sys, "argv", ["flask", "--app", "app", "tick"])
        assert app_module._serving_process() is False
        monkeypatch.setattr(app_module.sys, "argv", ["flask", "--app", "app", "run"])
        assert app_module._serving_process() is True
        monkeypatch.setattr(app_module.sys, "argv", ["flask", "--app", "app", "run", "--debug"])
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
        assert app_module._serving_process() is False  # the reloader's parent
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
        assert app_module._serving_process() is True  # its child serves


def test_scheduler_command_runs_as_its_own_process(tmp_path):
    """`flask --app app scheduler`, as beside gunicorn: it sends due prompts and stops cleanly on SIGTERM.

    The child processes run on the real clock (time_machine cannot reach them), so what is asserted does not
    depend on the hour: with no quiet hours (set here, as in the SOP: every 1-2 h, day and night) the demo
    patient is due a prompt at enrollment whatever the time, and clinic hours change only urgent replies.
    """
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    db_path = tmp_path / "proc.db"
    (tmp_path / "c.toml").write_text(f'[database]\npath = "{db_path}"\n[scheduler]\npoll_seconds = 1\n'
                                     '[checkins]\nquiet_start = ""\nquiet_end = ""\n')
    env = {**os.environ, "CRS_CONFIG": str(tmp_path / "c.toml")}

    def flask(*args):
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=root, env=env,
                              capture_output=True, text=True, check=True).stdout

    flask("init-db")
    flask("demo")  # a demo patient is due a prompt now
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler"], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        db = sqlite3.connect(db_path)
        deadline = time.monotonic() + 20
        sent = 0
        while time.monotonic() < deadline and not sent:
            sent = db.execute("SELECT COUNT(*) FROM messages WHERE kind = 'prompt' AND status = 'sent'").fetchone()[0]
            time.sleep(0.2)
        assert sent == 1
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0]
    assert process.returncode == 0, output
    assert "[prompt]" in output
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0  # released for the next holder
