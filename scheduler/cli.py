"""Commands: `tick` (every piece of due work once, for a cron-driven deployment), `scheduler` (the scheduler
alone, in the foreground, beside gunicorn) and `clock-ok` (a clock step confirmed: held episode ends go
ahead). docs/operations.md says when to use each."""
from __future__ import annotations

import signal
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from messages.gateways import Gateway, gateway_for
from monitoring import operator
from monitoring.clinic import command_clinic
from monitoring.store import transaction
from scheduler.jobs import run_due_work
from scheduler.runner import Runner


def _gateway(app: Flask) -> Gateway:
    """The app's SMS gateway: one a test put in app.extensions["crswatch.gateway"], else the configured one."""
    return app.extensions.get("crswatch.gateway") or gateway_for(app.config["CRS"])


@click.command("tick")
@with_appcontext
def tick_command() -> None:
    """Run every piece of due work once: prompts, reminders, missed check-ins, pages, delivery."""
    settings = current_app.config["CRS"]
    with command_clinic(settings):  # the database is there and current
        pass
    done = run_due_work(settings, _gateway(current_app))
    click.echo(" ".join(f"{key}={value}" for key, value in done.items()))


@click.command("clock-ok")
@with_appcontext
def clock_ok_command() -> None:
    """Confirm the clock after a forward step was reported: held episode ends go ahead."""
    with command_clinic(current_app.config["CRS"]) as opened, transaction(opened.db):
        released = operator.release_clock_hold(opened.db)
    click.echo("hold on episode ends released; they end at the next pass" if released
               else "no hold: the clock was not reported as stepped")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run only the scheduler, in the foreground (for deployments that serve with gunicorn)."""
    settings = current_app.config["CRS"]
    with command_clinic(settings):  # the database is there and current
        pass
    runner = Runner(settings, _gateway(current_app))
    # SIGTERM is taken before the runner starts (Python's default during start-up ended the process with the lease
    # held), and the runner is shut down however its start ended (a Ctrl-C there too); the handler found is put back
    stop: list[bool] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        runner.start()
        click.echo(f"scheduler running every {settings['scheduler']['poll_seconds']}s; Ctrl-C to stop")
        _wait_for_signal(stop)
    finally:
        try:
            runner.shutdown()
        finally:
            signal.signal(signal.SIGTERM, previous)


def _wait_for_signal(stop: list[bool]) -> None:
    """Block until SIGTERM (a service manager stopping us: its handler appends to `stop`) or Ctrl-C."""
    try:
        while not stop:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def init_app(app: Flask) -> None:
    """Register `flask --app app tick`, `scheduler` and `clock-ok` (create_app calls this)."""
    for command in (tick_command, scheduler_command, clock_ok_command):
        app.cli.add_command(command)
