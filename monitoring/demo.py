"""The local demo (`make run`): `flask --app app demo` seeds a demo admin, with a dashboard password, and a
demo patient whose first prompt is due now. Outbox backend only, and nothing twice."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from monitoring import patients, staff
from monitoring.clinic import Clinic, command_clinic
from monitoring.store import utcnow

# 555-0100 to 555-0199 are fictional numbers; this one enrolls only with the outbox backend (README).
DEMO_PATIENT_PHONE = "+15555550199"
RESET_PASSWORD = '.venv/bin/flask --app app staff password "Demo Admin"'


def seed(clinic: Clinic, tell: Callable[[str], None], now: datetime) -> None:
    """Add the demo admin when there is no staff yet and enroll the demo patient when they have no active
    episode (its first check-in due at `now`, aware UTC: the command's one reading of the clock), telling the
    person at the console each as it is done (the password as soon as it is set)."""
    people = staff.list_staff(clinic)
    if not people:
        token = staff.add_staff(clinic, "Demo Admin", "admin", actor="demo", now=now)
        password = secrets.token_urlsafe(9)
        staff.set_password(clinic, "Demo Admin", password, actor="demo")
        tell(f"demo: sign in to the dashboard as 'Demo Admin' with password {password}")
        tell(f"demo: API token for Demo Admin: {token}")
    elif any(person["name"] == "Demo Admin" and person["active"] for person in people):
        # a second `make run`: the password was printed once, the first time, and has scrolled away
        tell("demo: already seeded; sign in as 'Demo Admin' with the password printed the first time, or set a new "
             f"one: {RESET_PASSWORD}")
    if patients.active_episode_for_phone(clinic, DEMO_PATIENT_PHONE) is None:
        patients.enroll(clinic, {"name": "Demo Patient", "phone": DEMO_PATIENT_PHONE,
                                 "therapy": "teclistamab step-up 1"}, actor="demo", now=now)
        tell(f"demo: enrolled Demo Patient ({DEMO_PATIENT_PHONE}); the first prompt is due now")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed a demo admin and a demo patient (outbox backend only; does nothing twice)."""
    settings = current_app.config["CRS"]
    if settings["sms"]["backend"] != "outbox":
        click.echo("demo: skipped, the twilio backend is configured (demo texts would reach real phones)")
        return
    with command_clinic(settings) as opened:
        seed(opened, click.echo, utcnow())


def init_app(app: Flask) -> None:
    """Register `flask --app app demo` (create_app calls this)."""
    app.cli.add_command(demo_command)
