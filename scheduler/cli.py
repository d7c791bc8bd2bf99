"""Commands: `tick` (every piece of due work once, for a cron-driven deployment), `scheduler` (the scheduler
alone, in the foreground, beside gunicorn) and `clock-ok` (a clock step confirmed: held episode ends go
ahead). docs/operations.md says when to use each."""
from __future__ import annotations

import signal
import time
from collections.abc import Callable

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
    stop = SigtermStop()  # before the runner starts: Python's default during start-up left the lease held
    try:
        runner.start()
        click.echo(f"scheduler running every {settings['scheduler']['poll_seconds']}s; Ctrl-C to stop")
        try:
            stop.serve(_sleep_until_stopped)
        except KeyboardInterrupt:  # Ctrl-C: stops as SIGTERM does
            pass
    finally:
        try:
            runner.shutdown()  # however the start ended (a Ctrl-C there too)
        finally:
            stop.restore()


def _sleep_until_stopped() -> None:
    """The scheduler command's foreground: its threads work; this waits for SIGTERM or Ctrl-C (SigtermStop)."""
    while True:
        time.sleep(0.5)


class SigtermStop:
    """SIGTERM (a service manager, `docker stop`, `kill`) stops `serve` and `scheduler` as Ctrl-C does: Werkzeug's
    server (or the scheduler command's wait) ends on KeyboardInterrupt and the scheduler is shut down (its lease
    given up, the texts handed over meanwhile acted on). Python's default for SIGTERM ends the process at once, skipping that: the lease was left to lapse and a
    text queued at the stop waited for the next scheduler. Taken from before the scheduler starts: a SIGTERM
    during start-up is kept, and `serve` stops there, without serving. A KeyboardInterrupt is raised only while
    the server runs: raised during the shutdown (a second SIGTERM), it cut the lease's release short and printed
    a traceback. The handler found is put back at the end."""

    def __init__(self) -> None:
        self.requested = False
        self.serving = False
        self.previous = signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True
        if self.serving:
            self.serving = False
            raise KeyboardInterrupt

    def serve(self, run: Callable[[], None]) -> None:
        """`run` (the server) unless a SIGTERM came during start-up; a SIGTERM ends it as Ctrl-C does."""
        try:
            self.serving = True
            if not self.requested:  # a SIGTERM during start-up: stop without serving
                run()
        except KeyboardInterrupt:
            if not self.requested:  # Ctrl-C before Werkzeug's loop began: `serve` is aborted, as before
                raise
        finally:
            self.serving = False

    def restore(self) -> None:
        """Put back the SIGTERM handler found when this was made."""
        signal.signal(signal.SIGTERM, self.previous)


def init_app(app: Flask) -> None:
    """Register `flask --app app tick`, `scheduler` and `clock-ok` (create_app calls this)."""
    for command in (tick_command, scheduler_command, clock_ok_command):
        app.cli.add_command(command)
