"""`flask --app app serve` (what `make run` does) and the signals that stop it: SIGTERM (a service manager,
`docker stop`, `kill`) as Ctrl-C, whenever it comes, and the scheduler's shutdown always run to its end (its lease
given up). The server and the scheduler are stand-ins here: the signals are real, sent to this process."""
from __future__ import annotations

import os
import signal
import socket
import time
from unittest import mock

import pytest
from conftest import base_config

from app import create_app


class Killed(BaseException):
    """Stands for Python's default SIGTERM (the process ends at once), without ending the test run."""


def _default_death(signum, frame):
    raise Killed


class Runner:
    """The scheduler: its shutdown gives its lease up at the end, as scheduler.runner.Runner.shutdown does."""

    def __init__(self, during_shutdown=None):
        self.during_shutdown = during_shutdown
        self.released = False

    def shutdown(self):
        if self.during_shutdown:
            self.during_shutdown()
        time.sleep(0.05)  # the run in progress, the lease's release
        self.released = True


def _sigterm():
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.05)  # delivered to this (the main) thread


def _werkzeug(until=_sigterm):
    """run_simple as Werkzeug's serves: its loop ends on KeyboardInterrupt and returns."""
    def run_simple(*args, **kwargs):
        try:
            until()
            time.sleep(5)
        except KeyboardInterrupt:
            pass
    return mock.Mock(side_effect=run_simple)


@pytest.fixture
def serve(tmp_path):
    app = create_app(base_config(tmp_path / "s.db"))  # outside a command, an enabled scheduler would start here
    app.config["CRS"]["scheduler"]["enabled"] = True  # serve starts its stand-in
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    found = signal.signal(signal.SIGTERM, _default_death)
    try:
        yield lambda: app.test_cli_runner().invoke(args=["serve", "--port", str(port)])
    finally:
        signal.signal(signal.SIGTERM, found)


def test_sigterm_stops_serve_and_gives_the_lease_up(serve):
    runner = Runner()
    with mock.patch("werkzeug.serving.run_simple", _werkzeug()), mock.patch("app.start_scheduler",
                                                                             return_value=runner):
        result = serve()
    assert result.exit_code == 0, result.output
    assert runner.released
    assert signal.getsignal(signal.SIGTERM) is _default_death  # the handler found is put back


def test_a_second_sigterm_during_the_shutdown_lets_it_give_the_lease_up(serve):
    """`kill` twice, or a service manager's stop sent again: the second SIGTERM came as the scheduler was shutting
    down and raised KeyboardInterrupt there, so its lease was never given up (the next scheduler waited for it to
    lapse, texts handed over at the stop waited) and serve ended "Aborted!", exit 1."""
    runner = Runner(during_shutdown=_sigterm)
    with mock.patch("werkzeug.serving.run_simple", _werkzeug()), mock.patch("app.start_scheduler",
                                                                             return_value=runner):
        result = serve()
    assert runner.released, result.output
    assert result.exit_code == 0, result.output


def test_a_sigterm_during_start_up_stops_serve_with_the_lease_given_up(serve):
    """A SIGTERM after the scheduler started but before the server did (the banner, reading the rota): Python's
    default ended the process there, the scheduler's lease held. Now serve does not serve, and shuts the scheduler
    down."""
    runner = Runner()
    run = _werkzeug()
    with mock.patch("werkzeug.serving.run_simple", run), mock.patch("app.start_scheduler", return_value=runner), \
            mock.patch("app._rota_not_paged", side_effect=lambda settings: _sigterm() or []):
        result = serve()
    assert not isinstance(result.exception, Killed), result.output
    assert result.exit_code == 0, result.output
    assert runner.released and not run.called


def test_ctrl_c_still_stops_serve_cleanly(serve):
    """`make run` and Ctrl-C: Werkzeug's loop ends on the KeyboardInterrupt, the scheduler is shut down, exit 0."""
    runner = Runner()

    def ctrl_c():
        raise KeyboardInterrupt

    with mock.patch("werkzeug.serving.run_simple", _werkzeug(ctrl_c)), mock.patch("app.start_scheduler",
                                                                                   return_value=runner):
        result = serve()
    assert result.exit_code == 0, result.output
    assert runner.released


def test_a_sigterm_as_the_scheduler_command_starts_gives_its_lease_up(tmp_path):
    """`flask --app app scheduler` (beside gunicorn) took SIGTERM only once it was waiting: one sent as its runner
    started ended the process there (Python's default), the lease held until it lapsed. Its handler is now taken
    first, and the one found is put back."""
    app = create_app(base_config(tmp_path / "c.db"))
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    found = signal.signal(signal.SIGTERM, _default_death)
    runner = Runner()
    runner.start = _sigterm
    try:
        with mock.patch("scheduler.cli.Runner", return_value=runner):
            result = app.test_cli_runner().invoke(args=["scheduler"])
        assert not isinstance(result.exception, Killed), result.output
        assert result.exit_code == 0, result.output
        assert runner.released
        assert signal.getsignal(signal.SIGTERM) is _default_death
    finally:
        signal.signal(signal.SIGTERM, found)
