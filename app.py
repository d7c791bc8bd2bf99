"""crswatch: home monitoring for cytokine release syndrome after a BTCE step-up dose.

`create_app(config)` builds the service; the command line (`flask --app app --help`) runs it:

    flask --app app init-db                       create or migrate the database
    flask --app app staff add NAME --role nurse   add a staff member; prints their API token last
    flask --app app tick                          run all due work once (prompts, pages, delivery)
    flask --app app serve                         serve the app with its scheduler (make run)
    flask --app app scheduler                     run only the scheduler (beside gunicorn)
"""
from __future__ import annotations

import logging
import os
import re
import signal
import sys
import time

import click
from flask import Flask

from messages.gateways import gateway_for
from monitoring import config as config_module
from monitoring import staff as staff_module
from monitoring import tokens as tokens_module
from monitoring.clinic import command_clinic
from monitoring.store import connect, migrate, schema_version
from scheduler.jobs import run_due_work
from scheduler.runner import Runner
from web.session_key import session_key

log = logging.getLogger("crswatch")
DEMO_PATIENT_PHONE = "+15555550199"


def create_app(config: str | os.PathLike | dict | None = None) -> Flask:
    """The Flask app for one clinic. `config`: a TOML path or a dict over the defaults; None reads
    $CRS_CONFIG, else the embedded defaults. A bad setting raises ConfigError naming the key."""
    settings = config_module.load(config)
    app = Flask(__name__, instance_relative_config=True)
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
    from web.security import init_security, limit_bearer_failures, limit_patient_app

    limiter = init_security(app)
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

    register_cli(app)
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
    db = connect(settings["database"]["path"])
    try:
        migrate(db)
    finally:
        db.close()


def register_cli(app: Flask) -> None:
    settings = app.config["CRS"]

    def clinic():
        return command_clinic(settings)

    @app.cli.command("init-db")
    def init_db():
        """Create or migrate the database schema (safe to run again)."""
        db = connect(settings["database"]["path"])
        try:
            applied = migrate(db)
            version = schema_version(db)
        finally:
            db.close()
        path = settings["database"]["path"]
        if applied:
            click.echo(f"database {path}: applied migrations {applied}; schema version {version}")
        else:
            click.echo(f"database {path}: schema version {version} is current; nothing to do")

    @app.cli.group("staff")
    def staff():
        """Clinic staff and their API tokens."""

    @staff.command("add")
    @click.argument("name")
    @click.option("--role", type=click.Choice(staff_module.ROLES), required=True, help="nurse or admin")
    @click.option("--phone", default=None, help="E.164 phone for pages and ACK, like +15555550142")
    @click.option("--password", is_flag=True, help="also set a dashboard password (prompted)")
    def staff_add(name, role, phone, password):
        """Add a staff member; prints their API token on the last line (shown once)."""
        with clinic() as opened:
            token = staff_module.add_staff(opened, name, role, phone)
            if password:
                secret = click.prompt("Dashboard password", hide_input=True, confirmation_prompt=True)
                staff_module.set_password(opened, name, secret, actor="cli")
        click.echo(f"added {role} {name}; their API token (keep it secret, it is not shown again):")
        click.echo(token)

    @staff.command("password")
    @click.argument("name")
    def staff_password(name):
        """Set (or reset) a staff member's dashboard password; also lifts a lockout."""
        with clinic() as opened:
            secret = click.prompt("New dashboard password", hide_input=True, confirmation_prompt=True)
            staff_module.set_password(opened, name, secret, actor="cli")
        click.echo(f"password set for {name}")

    @staff.command("role")
    @click.argument("name")
    @click.argument("role", type=click.Choice(staff_module.ROLES))
    def staff_role(name, role):
        """Change a staff member's role; their dashboard sessions end."""
        with clinic() as opened:
            staff_module.set_role(opened, name, role, actor="cli")
        click.echo(f"{name} is now {role}; their dashboard sessions ended")

    @staff.command("token")
    @click.argument("name")
    @click.option("--label", default="cli", show_default=True, help="what the token is for, like 'ward laptop'")
    @click.option("--days", type=int, default=None, help="days it works (default [web] api_token_days)")
    def staff_token(name, label, days):
        """Issue another API token for NAME; prints it on the last line (shown once)."""
        with clinic() as opened:
            person = next((p for p in staff_module.list_staff(opened) if p["name"] == name and p["active"]), None)
            if person is None:
                raise click.ClickException(f"no active staff member named {name!r}")
            token = tokens_module.issue(opened, person["id"], label, actor="cli", days=days)
        click.echo(f"new API token {label!r} for {name} (keep it secret, it is not shown again):")
        click.echo(token)

    @staff.command("list")
    def staff_list():
        """List staff members."""
        with clinic() as opened:
            for person in staff_module.list_staff(opened):
                state = "active" if person["active"] else f"revoked {person['revoked_at']}"
                click.echo(f"{person['name']}\t{person['role']}\t{person['phone'] or '-'}\t{state}")

    @staff.command("revoke")
    @click.argument("name")
    def staff_revoke(name):
        """Revoke a staff member's token and sign-in."""
        with clinic() as opened:
            staff_module.revoke_staff(opened, name)
        click.echo(f"revoked {name}")

    @app.cli.command("tick")
    def tick():
        """Run every piece of due work once: prompts, reminders, missed check-ins, pages, delivery."""
        with clinic():  # the database is there and current
            pass
        done = run_due_work(settings, _gateway(app))
        click.echo(" ".join(f"{key}={value}" for key, value in done.items()))

    @app.cli.command("clock-ok")
    def clock_ok():
        """Confirm the clock after a forward step was reported: held episode ends go ahead."""
        from monitoring import operator
        from monitoring.store import transaction

        with clinic() as opened, transaction(opened.db):
            released = operator.release_clock_hold(opened.db)
        click.echo("hold on episode ends released; they end at the next pass" if released
                   else "no hold: the clock was not reported as stepped")

    @app.cli.command("scheduler")
    def scheduler():
        """Run only the scheduler, in the foreground (for deployments that serve with gunicorn)."""
        with clinic():  # the database is there and current
            pass
        runner = Runner(settings, _gateway(app))
        runner.start()
        click.echo(f"scheduler running every {settings['scheduler']['poll_seconds']}s; Ctrl-C to stop")
        _wait_for_signal()
        runner.shutdown()

    @app.cli.command("demo")
    def demo():
        """Seed a demo admin and a demo patient (outbox backend only; does nothing twice)."""
        if settings["sms"]["backend"] != "outbox":
            click.echo("demo: skipped, the twilio backend is configured (demo texts would reach real phones)")
            return
        import secrets

        from monitoring import patients

        with clinic() as opened:
            if not staff_module.list_staff(opened):
                token = staff_module.add_staff(opened, "Demo Admin", "admin", actor="demo")
                password = secrets.token_urlsafe(9)
                staff_module.set_password(opened, "Demo Admin", password, actor="demo")
                click.echo(f"demo: sign in to the dashboard as 'Demo Admin' with password {password}")
                click.echo(f"demo: API token for Demo Admin: {token}")
            if patients.active_episode_for_phone(opened, DEMO_PATIENT_PHONE) is None:
                patients.enroll(opened, {"name": "Demo Patient", "phone": DEMO_PATIENT_PHONE,
                                         "therapy": "teclistamab step-up 1"}, actor="demo")
                click.echo(f"demo: enrolled Demo Patient ({DEMO_PATIENT_PHONE}); the first prompt is due now")

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    def serve(host, port):
        """Serve the app with its scheduler (what `make run` does)."""
        from werkzeug.serving import run_simple

        runner = start_scheduler(app) if settings["scheduler"]["enabled"] else None
        url = f"http://{host}:{port}"
        if settings["sms"]["backend"] == "outbox" and host not in ("127.0.0.1", "localhost", "::1"):
            _warn_outbox(f"flask serve on {host}")
        click.echo(f"crswatch is running at {url}  (SMS backend: {settings['sms']['backend']})")
        if settings["sms"]["backend"] == "outbox":
            click.echo(f"  texts are printed here as '-> +1555... [kind] text'; try the phone simulator at {url}/simulator")
            click.echo("  DEMO ONLY: this console and its request log show phone numbers and every text. With real "
                       "patients use the twilio backend, which prints no text and keeps numbers out of the log.")
        click.echo("  add staff: .venv/bin/flask --app app staff add 'Your Name' --role admin --password "
                   f"(or, as an admin, at {url}/dashboard/staff)")
        click.echo("  stop with Ctrl-C")
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        finally:
            if runner:
                runner.shutdown()


def _gateway(app: Flask):
    return app.extensions.get("crswatch.gateway") or gateway_for(app.config["CRS"])


def _wait_for_signal() -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        while not stop:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
