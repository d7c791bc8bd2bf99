"""The scheduler: APScheduler decides when, the lease decides who, the database decides what."""
import time
from datetime import UTC, timedelta

import pytest
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


def _within_20_s(db, count_sql: str) -> int:
    """The count `count_sql` reads once it is not 0, or 0 after 20 s: a child process's work, on its own (real)
    clock, polled every 0.2 s (only the wait is timed, never asserted)."""
    deadline = time.monotonic() + 20
    count = 0
    while time.monotonic() < deadline and not count:
        count = db.execute(count_sql).fetchone()[0]
        time.sleep(0.2)
    return int(count)


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
        assert _within_20_s(db, "SELECT COUNT(*) FROM messages WHERE kind = 'prompt' AND status = 'sent'") == 1
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0]
    assert process.returncode == 0, output
    assert "[prompt]" in output
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0  # released for the next holder


def test_serve_stops_on_sigterm_as_on_ctrl_c(tmp_path):
    """`make run` / `flask --app app serve` under a service manager or `docker stop` gets SIGTERM: Python's default
    ended the process at once, so its scheduler never gave its lease up (a scheduler started next waited up to
    lease_seconds) nor acted on texts handed over at the stop. It stops as Ctrl-C does: exit 0, lease released.
    (Real clock in the child, as the test above says.)"""
    import os
    import signal
    import socket
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    db_path = tmp_path / "serve.db"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "c.toml").write_text(f'[database]\npath = "{db_path}"\n[scheduler]\npoll_seconds = 1\n')
    env = {**os.environ, "CRS_CONFIG": str(tmp_path / "c.toml")}
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "init-db"], cwd=root, env=env, check=True,
                   capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)],
                               cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        db = sqlite3.connect(db_path)
        assert _within_20_s(db, "SELECT COUNT(*) FROM leases") == 1  # its scheduler runs
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0, output  # given up for the next holder


def test_the_watch_wakes_a_scheduler_a_request_of_another_process_cannot(app, client, admin_token, runner, clock,
                                                                          phone, config):
    """Behind gunicorn the scheduler runs in its own process (docs/operations.md), so a worker's commit cannot
    call its wakeup(): the watch sees the database change (PRAGMA data_version) and wakes the run when a page or
    a reply to a person is due, not for its own prompts, and not while nothing changed."""
    from monitoring.clinic import open_clinic
    from monitoring.outbox import queue_text
    from monitoring.store import transaction

    assert runner.invoke(args=["tick"]).exit_code == 0
    scheduler = Runner(app.config["CRS"], Recorder())  # as `flask --app app scheduler` builds it; not started
    assert scheduler.watch_once() is False  # the first look: nothing to send
    enroll(client, admin_token)  # commits the welcome prompt: routine, the scheduler's own work
    assert scheduler.watch_once() is False and not scheduler.woken.is_set()
    assert runner.invoke(args=["tick"]).exit_code == 0  # the prompt leaves
    assert scheduler.watch_once() is False
    phone.text("o2 85")  # SOP 5 Grade 1 Home: SpO2 < 90% pages the nurse
    assert scheduler.watch_once() is True and scheduler.woken.is_set()
    scheduler.woken.clear()
    assert scheduler.watch_once() is False  # nothing committed since: no second wakeup for the same page
    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):  # a reply backing off is not due: no wakeup for it
        queue_text(clinic, PATIENT_PHONE, "later", "reply", send_after=START + timedelta(hours=1), now=START)
        clinic.db.execute("UPDATE messages SET status = 'sent' WHERE kind = 'alert' OR kind = 'reply' AND body != 'later'")
    assert scheduler.watch_once() is False
    scheduler.watched.close()


def test_a_scheduler_in_its_own_process_pages_within_a_second(tmp_path):
    """The real thing, the gunicorn way: the web app has no scheduler ([scheduler] enabled = false) and the
    scheduler's Runner polls only every 30 s, so only its watch can bring the page out within a second."""
    with time_machine.travel(START, tick=True):  # threads and waits need time to move, from a fixed start
        _a_scheduler_in_its_own_process_pages(tmp_path)


def _a_scheduler_in_its_own_process_pages(tmp_path):
    from conftest import NURSES, Phone

    from app import create_app
    from monitoring.config import load

    config = base_config(tmp_path / "apart.db")
    application = create_app(config)  # the web worker: no runner of its own
    assert "crswatch.runner" not in application.extensions
    cli = application.test_cli_runner()
    assert cli.invoke(args=["init-db"]).exit_code == 0
    token = add_staff(cli, "Ada Admin", "admin")
    client = application.test_client()
    enroll(client, token)
    recorder = Recorder()
    scheduler = Runner(load({**config, "scheduler": {"enabled": True, "poll_seconds": 30}}), recorder)
    scheduler.start()  # its first run delivers the welcome prompt; the next poll is 30 s away
    try:
        deadline = time.monotonic() + 10
        while (PATIENT_PHONE, "prompt") not in recorder.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (PATIENT_PHONE, "prompt") in recorder.sent
        while scheduler.seen_version is None and time.monotonic() < deadline:  # the watch has looked once
            time.sleep(0.02)
        answer = Phone(client).text("o2 85")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        texted = time.monotonic()
        while (NURSES[0], "alert") not in recorder.sent and time.monotonic() < texted + 10:
            time.sleep(0.02)
        assert (NURSES[0], "alert") in recorder.sent  # well before the 30 s poll: the watch woke the run
    finally:
        scheduler.shutdown()


def test_the_watch_lets_a_refusing_account_be_probed_not_hammered(app, clock):
    """Twilio refuses the account (20003, 30002 ...): a delivery pass stops after OUTAGE_FAILURES_PER_PASS
    failures and the rest wait for the next poll, so a dead account is probed, not hammered. The run's own
    commits (the failures it records, its heartbeat) move data_version too: the watch must not take them for
    news and run pass after pass through the whole backlog; a page another process commits still wakes it."""
    from messages.gateways import GatewayError
    from monitoring.outbox import queue_text
    from monitoring.store import transaction
    from scheduler.delivery import OUTAGE_FAILURES_PER_PASS

    class Refused(Recorder):
        def send(self, to, from_, body, kind, status_callback=None):
            self.sent.append((to, kind))
            raise GatewayError("twilio 401 code 20003: Authenticate", 20003, True, "account")

    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):  # answers to patients a gunicorn worker queued
        for index in range(12):
            queue_text(clinic, f"+1312555{index:04d}", "your answer", "reply", now=START)
    refused = Refused()
    scheduler = Runner(app.config["CRS"], refused)  # as `flask --app app scheduler` builds it; not started
    for _ in range(10):  # the watch thread's looks, each followed by the run it wakes
        if scheduler.watch_once():
            scheduler.run_once()
    assert len(refused.sent) == OUTAGE_FAILURES_PER_PASS  # one pass's probe; the poll probes again
    with transaction(clinic.db):  # a page committed by a worker is news: the run is woken at once
        queue_text(clinic, "+15555550142", "page", "alert", now=START)
    assert scheduler.watch_once() is True
    scheduler.watched.close()


def test_a_watch_s_look_reads_no_more_behind_a_backlog_of_replies(app, clock):
    """Issue 19: the watch looks at the database after every commit there (the run's own batches of texts, 50 a
    second under a burst), at most every WATCH_SECONDS, for a page or a reply newer than the last it woke the run
    for. It read every queued page and reply to find the newest due: behind a long code's 1 text a second, 8,000
    queued replies made each look 5.4 ms, and the cost grew with the backlog. Measured here in SQLite's steps, not
    in time: a look that finds a new page costs the same behind 10 queued replies and behind 2,010."""
    from monitoring.outbox import queue_text
    from monitoring.store import transaction

    clinic = open_clinic(app.config["CRS"])
    scheduler = Runner(app.config["CRS"], Recorder())  # as `flask --app app scheduler` builds it; not started

    def look_at_a_page_behind(backlog: int) -> int:
        with transaction(clinic.db):  # answers to patients, waiting for the sender's pace
            for index in range(backlog):
                queue_text(clinic, f"+1312555{index:04d}", "your answer", "reply", now=START)
        assert scheduler.watch_once() is True  # woken for the newest of them
        with transaction(clinic.db):  # a worker pages a nurse
            queue_text(clinic, "+15555550142", "page", "alert", now=START)
        steps = [0]

        def step() -> int:
            steps[0] += 1
            return 0

        scheduler.watched.set_progress_handler(step, 1)
        try:
            assert scheduler.watch_once() is True  # the page wakes the run at once
        finally:
            scheduler.watched.set_progress_handler(None, 1)
        return steps[0]

    try:
        behind_few = look_at_a_page_behind(10)
        behind_many = look_at_a_page_behind(2000)
    finally:
        scheduler.watched.close()
    assert behind_many <= behind_few + 10, (behind_few, behind_many)


def test_the_watch_follows_a_database_file_restored_in_place(app, clock, tmp_path):
    """docs/operations.md: a restored file is used without a restart (every pass and request opens it anew). The
    watch keeps a connection of its own: on the replaced file it would still look at the old one, whose
    data_version never moves again, and a gunicorn worker's page would wait for the poll."""
    import os

    from monitoring.outbox import queue_text
    from monitoring.store import transaction

    path = app.config["CRS"]["database"]["path"]
    scheduler = Runner(app.config["CRS"], Recorder())
    assert scheduler.watch_once() is False  # the first look, on the file as it is
    backup = str(tmp_path / "backup.db")
    source = connect(path)
    source.conn.execute("VACUUM INTO ?", [backup])  # a backup, restored in place of the file below
    source.close()
    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):  # pages raised after the backup, seen by the watch, lost with the restore
        for _ in range(3):
            queue_text(clinic, "+15555550142", "page", "alert", now=START)
    clinic.db.close()
    assert scheduler.watch_once() is True
    os.replace(backup, path)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):  # a worker pages a nurse, in the restored file
        queue_text(clinic, "+15555550142", "page", "alert", now=START)
    clinic.db.close()
    assert scheduler.watch_once() is True
    scheduler.watched.close()


def queued_on_a_paced_clock(settings, clock, monkeypatch, count: int, kind: str, body: str, on_elapse=None):
    """`count` texts of `kind` queued ("{body} N" to +1555556NNNN), and delivery's clock (time.monotonic and sleep)
    from 100.0 s moved only by its waits, the wall clock the lease is written in moved alike: ([now], elapse).
    `on_elapse(now)` after each move (a second scheduler's poll)."""
    from monitoring import outbox
    from monitoring.store import transaction
    from scheduler import delivery

    clinic = open_clinic(settings)
    with transaction(clinic.db):
        for index in range(count):
            outbox.queue_text(clinic, f"+1555556{index:04d}", f"{body} {index}", kind, now=START)
    now = [100.0]

    def elapse(seconds):
        now[0] += seconds
        clock.shift(timedelta(seconds=seconds))
        if on_elapse is not None:
            on_elapse(now[0])

    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(delivery.time, "sleep", elapse)
    return now, elapse


@pytest.mark.parametrize(("sms", "kind", "send_seconds", "count"), [
    # one number at 1 text a second, with `[scheduler] poll_seconds = 60` (allowed) and the default 30 s lease: a
    # pass of one poll's worth (60 texts, 60 s) outlived its lease; the second scheduler took it over at 30 s and
    # delivered beside the first (b69144e: a pass ends within half the lease, the run goes round again)
    ({}, "prompt", 0.0, 45),
    # 100 texts a second (allowed), each send a Twilio API round trip of a quarter second: a batch of half the
    # lease's worth at the rate (1,500) is far more than half the lease's worth of sends
    ({"max_per_second": 100.0}, "prompt", 0.25, 150),
    # a Messaging Service of 10 senders and a pager number at one number's rate: the batch is counted at the pool's
    # rate (150), but a flood of pages leaves at the pager's (one a second)
    ({"messaging_service_sid": "MG" + "b" * 32, "messaging_service_senders": 10, "pager_number": "+13125550199"},
     "alert", 0.0, 60),
])
def test_a_delivery_pass_ends_inside_the_lease_whatever_its_sends_cost(app, clock, monkeypatch, sms, kind,
                                                                       send_seconds, count):
    """b69144e bounded a pass by a count (`batch`, half the lease's worth at the sending rate), which bounds its time
    only when each text costs one slot at that rate: with sends slower than the slots (150 prompts, 37.5 s), or
    pages paced at the pager number's rate below the pool's (60 pages, 57 s), a pass outlived its 30 s lease and the second scheduler took it
    over and paced the same numbers beside the first (twice the rate, the excess queued by Twilio ahead of any
    later page, error 30001). A pass ends by the time too, and the run goes round again while texts are left."""
    from monitoring.config import load

    settings = load({**app.config["CRS"], "sms": {**app.config["CRS"]["sms"], **sms},
                     "scheduler": {"enabled": True, "poll_seconds": 60, "lease_seconds": 30}})
    looks: list[tuple[float, bool]] = []
    looking = []

    def second_scheduler_polls(now):
        if not looking and (not looks or now - looks[-1][0] >= 5):  # the second scheduler's poll, every 5 s
            looking.append(True)
            looks.append((now, b._run_locked() is not None))
            looking.clear()

    _, elapse = queued_on_a_paced_clock(settings, clock, monkeypatch, count, kind, "text",
                                        on_elapse=second_scheduler_polls)
    first, second = Recorder(), Recorder()
    recorded = first.send

    def slow_send(to, from_, body, kind, status_callback=None):
        elapse(send_seconds)
        return recorded(to, from_, body, kind, status_callback)

    first.send = slow_send
    second.send = lambda to, from_, body, kind, status_callback=None: (second.sent.append((to, kind)),
                                                                        f"RB{len(second.sent):030d}")[1]
    a, b = Runner(settings, first), Runner(settings, second)
    assert a.run_once() is not None
    assert len(first.sent) == count  # the backlog, pass after pass in one run
    assert [at_ for at_, took in looks if took] == [] and second.sent == []


def test_a_pass_cut_short_by_the_lease_goes_round_again_though_a_text_in_it_failed(app, clock, monkeypatch):
    """A pass cut short by the lease (poll 60 s, lease 30 s: 15 texts a pass at 1 a second) goes round again while
    texts are left; b69144e went round only when the pass had *sent* its whole batch, so one prompt in it refused
    by the carrier (30008, retried later with backoff) left the other 30 prompts of the backlog, and any reply
    behind them, for the next poll a minute later."""
    from messages.gateways import GatewayError
    from monitoring import outbox
    from monitoring.config import load
    from monitoring.store import transaction
    from scheduler import delivery

    settings = load({**app.config["CRS"], "scheduler": {"enabled": True, "poll_seconds": 60, "lease_seconds": 30}})
    clinic = open_clinic(settings)
    with transaction(clinic.db):
        for index in range(45):
            outbox.queue_text(clinic, f"+1555556{index:04d}", f"text {index}", "prompt", now=START)
    gateway = Recorder()
    recorded = gateway.send

    def refuse_the_first(to, from_, body, kind, status_callback=None):
        if to == "+15555560000":
            raise GatewayError("30008 unknown error", 30008, True)
        return recorded(to, from_, body, kind, status_callback)

    gateway.send = refuse_the_first
    now = [100.0]

    def elapse(seconds):
        now[0] += seconds
        clock.shift(timedelta(seconds=seconds))

    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(delivery.time, "sleep", elapse)
    Runner(settings, gateway).run_once()
    assert len(gateway.sent) == 44  # every prompt but the refused one, which backs off


def test_a_flood_of_pages_at_the_pager_s_pace_beside_a_pool_goes_on_in_one_run(app, clock, monkeypatch):
    """The default poll (5 s) and lease: a flood of 30 pages on the pager number (one a second) beside a Messaging
    Service of 10 senders. A pass ends by the time (half the lease, or the poll), and the run goes round again at
    once: the poll's own run fell due while the pass ran and APScheduler skipped it (one instance at a time), so a
    run that stopped there left the rest of the flood idle until the poll after (5 s on, 5 s off)."""
    from monitoring.config import load

    settings = load({**app.config["CRS"], "sms": {**app.config["CRS"]["sms"], "messaging_service_sid": "MG" + "b" * 32,
                                                   "messaging_service_senders": 10, "pager_number": "+13125550199"}})
    assert settings["scheduler"]["poll_seconds"] == 5 and settings["scheduler"]["lease_seconds"] == 30
    now, _ = queued_on_a_paced_clock(settings, clock, monkeypatch, 30, "alert", "URGENT page")
    gateway = Recorder()
    Runner(settings, gateway).run_once()
    assert len(gateway.sent) == 30
    assert now[0] - 100.0 <= 30  # at the pager's pace, three at once then one a second


def test_a_pass_whose_due_work_outlasts_the_poll_still_delivers_a_poll_s_worth(app, clock, monkeypatch):
    """`[scheduler] poll_seconds = 1` (allowed) and 10 texts a second, on a clinic whose due work (the check-ins
    counted, the prompts queued) takes 1.2 s before delivery starts: the time a pass may start texts is bounded
    by the lease (half of it), not by the poll, or each pass would hand over a single text, 40 prompts taking
    more than the 20 rounds of a run."""
    from monitoring.config import load
    from scheduler import jobs

    settings = load({**app.config["CRS"], "sms": {**app.config["CRS"]["sms"], "max_per_second": 10.0},
                     "scheduler": {"enabled": True, "poll_seconds": 1, "lease_seconds": 30}})
    _, elapse = queued_on_a_paced_clock(settings, clock, monkeypatch, 40, "prompt", "text")
    counted = jobs.checkins.count_missed

    def slow_count(*args):
        elapse(1.2)
        return counted(*args)

    monkeypatch.setattr(jobs.checkins, "count_missed", slow_count)
    gateway = Recorder()
    Runner(settings, gateway).run_once()
    assert len(gateway.sent) == 40


def test_a_stop_during_a_backlog_ends_the_run_with_the_pass_in_progress(app, clock, monkeypatch):
    """SIGTERM (a deploy) while a morning's 200 prompts are paced out at 1 a second: the run went round again and
    again (a pass cut short by its batch goes round at once, up to 20 times), so the stop waited for 20 passes,
    about 100 s, and a service manager's stop timeout (systemd's 90 s, Docker's 10 s) killed the process mid-send.
    The pass in progress ends; the next scheduler delivers the rest."""
    from test_outbox import FakeGateway, paced_clock, queue_prompts

    gateway = FakeGateway()
    queue_prompts(app, 200).db.close()
    runner = Runner(app.config["CRS"], gateway)
    paced_clock(monkeypatch, gateway, on_send=lambda handed: runner.stopped.set())  # asked to stop at once
    runner.run_once()
    assert len(gateway.sent) == runner.batch  # the pass in progress: 5 s at the sender's pace
