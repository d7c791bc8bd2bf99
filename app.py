"""crswatch: home monitoring for cytokine release syndrome after a BTCE step-up dose.

`create_app(config)` builds the service; the command line (`flask --app app --help`) runs it. Each command
is registered by the module that owns it, through that module's `init_app(app)`:

    flask --app app init-db                         create or migrate the database        monitoring/store.py
    flask --app app staff add NAME --role nurse     staff (also password, phone, role,    monitoring/staff.py
                                                    token, list, revoke); prints the token last
    flask --app app demo                            seed a demo admin and patient         monitoring/demo.py
    flask --app app tick                            run all due work once (cron)          scheduler/cli.py
    flask --app app scheduler                       run only the scheduler (gunicorn)     scheduler/cli.py
    flask --app app clock-ok                        a clock step confirmed                scheduler/cli.py
    flask --app app device add|list|revoke          device hub tokens                     web/fhir/cli.py
    flask --app app export-fhir --out DIR           the FHIR Bulk Data feed               web/fhir/cli.py
    flask --app app serve                           the app with its scheduler (make run) here
"""
from __future__ import annotations

import errno
import logging
import os
import re
import socket
import sqlite3
import sys
import weakref
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from monitoring import config as config_module
from monitoring import demo, staff, store
from monitoring.store import migrate_at_start
from scheduler import cli as scheduler_cli
from scheduler.runner import Runner
from web.session_key import session_key

log = logging.getLogger("crswatch")


class CrswatchFlask(Flask):
    """Flask, remembering which of its views and hooks are plain functions: Flask asks
    `inspect.iscoroutinefunction` of each one it calls, on every request (issue 19: nine a text), and the
    answer for a given function never changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()  # forgotten with the function

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """`func` itself when it is a plain function, else Flask's wrapper running the coroutine function."""
        try:
            if func in self._plain:
                return func
        except TypeError:  # not weakly referenceable: asked each time, as Flask does
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func:
            self._plain.add(func)
        return synced


def create_app(config: str | os.PathLike | dict | None = None) -> Flask:
    """The Flask app for one clinic. `config`: a TOML path or a dict over the defaults; None reads
    $CRS_CONFIG, else the embedded defaults. A bad setting raises ConfigError naming the key."""
    settings = config_module.load(config)
    app = CrswatchFlask(__name__, instance_relative_config=True)
    app.config["CRS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings["web"]["max_request_kb"] * 1024
    app.config["SECRET_KEY"] = session_key(settings)  # the same in every worker: see web/session_key.py
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings["sms"]["public_base_url"].startswith("https://")
    if app.config["SESSION_COOKIE_SECURE"]:  # __Host-: only over https, only this host, path / (ASVS 3.4.4)
        app.config["SESSION_COOKIE_NAME"] = "__Host-crswatch"
    _logging()
    _quiet_request_log(settings)

    from web import api, me, openapi, ops, sms, voice
    from web.context import register_errors
    from web.security import exempt, init_security, limit_bearer_failures, limit_patient_app

    limiter = init_security(app)
    exempt(app, limiter, sms.unlimited)  # Twilio's signed webhooks carry no rate limit (web/sms.py)
    app.session_interface = sms.WebhookSessionInterface()  # nor a session
    limit_bearer_failures(limiter, api.bp)
    limit_bearer_failures(limiter, me.bp)
    limit_patient_app(limiter, me.bp)
    register_errors(app)
    app.register_blueprint(ops.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(me.bp)
    app.register_blueprint(openapi.bp)
    _register_optional_blueprints(app)
    from web import fhir

    limit_bearer_failures(limiter, fhir.bp)  # refused tokens on the FHIR API count and throttle too
    fhir.init_app(app)

    # Each command is registered by the module that owns it (`flask --app app --help` lists them all).
    store.init_app(app)
    staff.init_app(app)
    demo.init_app(app)
    scheduler_cli.init_app(app)
    app.cli.add_command(serve)
    if settings["sms"]["backend"] == "outbox" and "gunicorn" in sys.modules:
        _warn_outbox("gunicorn")
    if settings["scheduler"]["enabled"] and not app.testing and _serving_process():
        start_scheduler(app)
    return app


def _warn_outbox(where: str) -> None:
    """The outbox backend outside the local demo: say loudly that no text reaches anyone."""
    log.warning("=" * 72)
    log.warning("SMS backend is 'outbox' under %s: NO TEXT LEAVES THIS BUILDING. Pages to nurses and replies", where)
    log.warning("to patients are only recorded. Set [sms] backend = \"twilio\" for a clinic (docs/operations.md).")
    log.warning("=" * 72)


def _register_optional_blueprints(app: Flask) -> None:
    try:
        from web import dashboard
    except ImportError:  # the dashboard ships separately from the API core
        return
    init = getattr(dashboard, "init_app", None)
    if init is not None:
        init(app)


def _logging() -> None:
    root = logging.getLogger("crswatch")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


PHONE_IN_TEXT = re.compile(r"(?:\+|%2[bB])\d[\d%-]{6,}\d")


class RedactPhones(logging.Filter):
    """Drops phone numbers from werkzeug's request lines (`GET /simulator?phone=%2B1555...`): with the twilio
    backend the logs must carry no patient's number (the outbox demo says at start that its console does)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if PHONE_IN_TEXT.search(message):
            record.msg, record.args = PHONE_IN_TEXT.sub("[phone]", message), ()
        return True


def _quiet_request_log(settings: dict) -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if settings["sms"]["backend"] == "twilio" and not any(isinstance(f, RedactPhones) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactPhones())


def _serving_process() -> bool:
    """Start the background scheduler where requests are served: under gunicorn or another WSGI server,
    or `flask run` (in the reloader's child only). Maintenance commands (init-db, staff, tick) never."""
    if click.get_current_context(silent=True) is None:
        return True
    args = sys.argv[1:]
    if "run" not in args:
        return False
    reloading = "--debug" in args or "--reload" in args or os.environ.get("FLASK_DEBUG") in ("1", "true")
    return not reloading or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def start_scheduler(app: Flask) -> Runner:
    settings = app.config["CRS"]
    _init_db_quietly(settings)
    runner = Runner(settings)
    runner.start()
    app.extensions["crswatch.runner"] = runner
    return runner


def _init_db_quietly(settings: dict) -> None:
    migrate_at_start(settings["database"]["path"])  # a file that is no database: one line, exit 2


def _rota_not_paged(settings: dict) -> list[str]:
    """The people `[rota]` names who are not paged (monitoring.rota.not_paged); none before init-db made the tables."""
    from monitoring import rota
    from monitoring.clinic import open_clinic

    try:
        clinic = open_clinic(settings)
    except sqlite3.DatabaseError:  # no tables yet (`serve` without the scheduler before init-db), not a database
        return []
    try:
        return rota.not_paged(clinic)
    except sqlite3.DatabaseError:
        return []
    finally:
        clinic.db.close()


class PortInUse(click.ClickException):
    """`serve` cannot listen where it was asked: one line saying what to do, before anything starts. Exit 2."""

    exit_code = 2


def _check_port(host: str, port: int) -> None:
    """Raise PortInUse when `host`:`port` cannot be listened on. Werkzeug only says so after the scheduler has
    started and the banner has said "crswatch is running at ...", and it names neither `make run PORT=` nor
    `--port`. Bound as werkzeug binds (SO_REUSEADDR), so a port in TIME_WAIT after a restart is not refused."""
    from werkzeug.serving import get_sockaddr, select_address_family

    try:
        family = select_address_family(host, port)
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(get_sockaddr(host, port, family))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {port} on {host} is in use (another crswatch? `ss -ltnp 'sport = :{port}'` names it): "
                f"stop it, or serve on another port: make run PORT={port + 1} "
                f"(or .venv/bin/flask --app app serve --port {port + 1})") from None
        raise PortInUse(f"cannot listen on {host}:{port} ({error.strerror or error}): "
                        "check --host (make run HOST=...) and --port (make run PORT=...)") from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the app with its scheduler (what `make run` does)."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # the app itself, not its proxy: run_simple serves it
    settings = app.config["CRS"]
    _check_port(host, port)
    url = f"http://{host}:{port}"
    if not settings["clinic"]["dashboard_url"] and not settings["sms"]["public_base_url"]:
        # nurse texts link here, not to the fallback http://localhost:5000 (`make run PORT=5001`: another service)
        settings["clinic"]["dashboard_url"] = f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"
    stop = scheduler_cli.SigtermStop()  # before the scheduler starts: Python's default for SIGTERM would leave its lease held
    runner = None
    try:
        runner = start_scheduler(app) if settings["scheduler"]["enabled"] else None
        _banner(settings, host, url)
        stop.serve(lambda: run_simple(host, port, app, threaded=True, use_reloader=False))
    finally:
        stop.serving = False  # a SIGTERM now (a second one, `kill` again) must not cut the shutdown short
        try:
            if runner is None and settings["scheduler"]["enabled"]:  # a Ctrl-C as start_scheduler returned
                runner = app.extensions.get("crswatch.runner")
            if runner is not None:
                runner.shutdown()
        finally:
            stop.restore()


def _banner(settings: dict, host: str, url: str) -> None:
    if settings["sms"]["backend"] == "outbox" and host not in ("127.0.0.1", "localhost", "::1"):
        _warn_outbox(f"flask serve on {host}")
    click.echo(f"crswatch is running at {url}  (SMS backend: {settings['sms']['backend']})")
    click.echo(f"  dashboard: sign in at {url}/signin")
    if settings["sms"]["backend"] == "outbox":
        click.echo(f"  texts are printed here as '-> +1555... [kind] text'; try the phone simulator at {url}/simulator")
        click.echo("  DEMO ONLY: this console and its request log show phone numbers and every text. With real "
                   "patients use the twilio backend, which prints no text and keeps numbers out of the log.")
    click.echo("  add staff: .venv/bin/flask --app app staff add 'Your Name' --role admin --password "
               f"(or, as an admin, at {url}/dashboard/staff)")
    for line in _rota_not_paged(settings):
        click.echo(f"  NOT PAGED: {line} (see /dashboard/settings and /dashboard/staff)")
    click.echo("  stop with Ctrl-C")

