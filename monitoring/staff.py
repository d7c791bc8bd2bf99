"""Clinic staff: roles, phones for paging and ACK, dashboard passwords, and their API tokens (monitoring.tokens).

A new password, a new role and a revoked staff member end every dashboard session of that person at
once (monitoring.sessions); revoking also revokes every API token.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from pydantic_core import PydanticCustomError

from monitoring import field_rules, passwords, sessions, tokens
from monitoring.clinic import Clinic, Conflict, NotFound, ValidationError, command_clinic
from monitoring.store import insert, patient_name_by_phone, to_text, transaction, utcnow

ROLES = ("nurse", "admin")
NAME_LIMIT = 100  # the most of a name sign-in reads (monitoring.signin)
FIRST_TOKEN = "first token"
token_hash = tokens.token_hash  # patients' app tokens are hashed the same way
new_token = tokens.new_token


def add_staff(clinic: Clinic, name: str, role: str, phone: str | None = None, actor: str = "cli", *,
              now: datetime) -> str:
    """Create a staff member (created at `now`, aware UTC from the caller's request or command) and return
    their first API token (shown once, stored hashed). ValidationError naming the field for an empty name,
    an unknown role or a phone not in E.164; Conflict for a name already taken (without regard to case)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("name must not be empty", "name")
    if len(name) > NAME_LIMIT:
        raise ValidationError(f"Name must be at most {NAME_LIMIT} characters (sign-in reads no more)", "name")
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", "role")
    if phone:
        phone = staff_phone(clinic, phone)
    with transaction(clinic.db):
        if phone:
            _check_phone_free(clinic, phone, None)
        existing = clinic.db.execute("SELECT name FROM staff WHERE name = ? COLLATE NOCASE", [name]).fetchone()
        if existing:  # sign-in matches names without regard to case, so these would be one person to it
            raise Conflict(f"a staff member named {existing['name']!r} already exists", "name")
        staff_id = insert(clinic.db, "staff", {"name": name, "role": role, "phone": phone, "active": 1,
                                               "created_at": to_text(now)})
        clinic.audit(actor, "staff.add", name, role=role)
        return tokens.issue(clinic, staff_id, FIRST_TOKEN, actor)


def staff_phone(clinic: Clinic, phone: str) -> str:
    """A staff member's phone read as the enrollment form reads a patient's (field_rules.e164: a number without +
    is a US one, one that cannot exist is refused, the fictional 555-01xx only with the outbox backend); E.164.
    ValidationError naming "phone"."""
    try:
        return field_rules.e164(phone, fictional_ok=clinic.config["sms"]["backend"] == "outbox")
    except PydanticCustomError as error:
        raise ValidationError(error.message_template.replace("{subject}", "Phone"), "phone") from None


def check_not_a_patients_phone(clinic: Clinic, phone: str, field: str) -> None:
    """A staff or on-call phone (E.164) must not be a patient's own: their texts are read as that patient's
    (monitoring.inbound), and the pages sent to it would reach the patient; nor one of the clinic's own numbers
    (Clinic.own_number). ValidationError naming `field`."""
    patient = patient_name_by_phone(clinic.db, phone)
    if patient is not None:
        raise ValidationError(f"{phone} is the phone of patient {patient}; a nurse needs a phone of their own", field)
    own = clinic.own_number(phone, "the nurse's")
    if own is not None:  # pages to it would go to the clinic's desk line or be texted to the service itself
        raise ValidationError(own, field)


def _check_phone_free(clinic: Clinic, phone: str, staff_id: int | None) -> None:
    """A staff phone is no patient's and no other active staff member's (an ACK from a shared phone would be
    read as the first one's): ValidationError or Conflict naming "phone"."""
    check_not_a_patients_phone(clinic, phone, "phone")
    other = clinic.db.execute("SELECT name FROM staff WHERE phone = ? AND active = 1 AND id IS NOT ?",
                              [phone, staff_id]).fetchone()
    if other is not None:
        raise Conflict(f"{phone} is already {other['name']}'s phone; each staff member needs their own", "phone")


def set_phone(clinic: Clinic, name: str, phone: str | None, actor: str) -> str | None:
    """Give an active staff member a new phone for pages and ACK (read as add_staff reads it), or none (`phone`
    empty: they leave every on-call chain, monitoring.rota). Returns the phone stored (E.164) or None.
    ValidationError or Conflict naming "phone"; NotFound for no active staff member so named."""
    phone = staff_phone(clinic, phone) if phone and phone.strip() else None
    with transaction(clinic.db):
        staff_id = _active_id(clinic, name)
        if phone:
            _check_phone_free(clinic, phone, staff_id)
        clinic.db.execute("UPDATE staff SET phone = ? WHERE id = ?", [phone, staff_id])
        clinic.audit(actor, "staff.phone", name, phone=phone)
    return phone


def phone_changed(name: str, phone: str | None) -> str:
    """What the staff page and the command line say after set_phone."""
    if phone is None:
        return f"{name} has no phone now: they are paged no more and left every on-call chain."
    return f"{name}: pages and ACK now use {phone}."


def list_staff(clinic: Clinic) -> list[dict[str, Any]]:
    """Every staff member, by name: [{"id", "name", "role", "phone" (E.164), "active" (0/1), "created_at",
    "revoked_at" (stored UTC text or None)}]."""
    rows = clinic.db.execute(
        "SELECT id, name, role, phone, active, created_at, revoked_at FROM staff ORDER BY name"
    ).fetchall()
    return [dict(row) for row in rows]


def _active_id(clinic: Clinic, name: str) -> int:
    row = clinic.db.execute("SELECT id FROM staff WHERE name = ? AND active = 1", [name]).fetchone()
    if row is None:
        raise NotFound(f"no active staff member named {name!r}", "name")
    return int(row["id"])


def _keep_an_admin(clinic: Clinic, staff_id: int, name: str) -> None:
    """Conflict when `staff_id` is the last active admin: without one nobody reaches the settings or staff pages."""
    others = clinic.db.execute("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND active = 1 AND id != ?",
                               [staff_id]).fetchone()[0]
    is_admin = clinic.db.execute("SELECT role = 'admin' FROM staff WHERE id = ?", [staff_id]).fetchone()[0]
    if is_admin and not others:
        raise Conflict(f"{name} is the last admin; make another admin first", "role")


def revoke_staff(clinic: Clinic, name: str, actor: str = "cli", *, now: datetime) -> None:
    """Take away every API token and dashboard session of `name` (revoked at `now`, aware UTC from the
    caller's request or command); they can no longer sign in. NotFound for no active staff member so named;
    Conflict for the last admin."""
    with transaction(clinic.db):
        staff_id = _active_id(clinic, name)
        _keep_an_admin(clinic, staff_id, name)
        clinic.db.execute("UPDATE staff SET active = 0, revoked_at = ? WHERE id = ?", [to_text(now), staff_id])
        tokens.revoke_all(clinic, staff_id, actor)
        sessions.end_all(clinic, staff_id, "revoked")
        clinic.audit(actor, "staff.revoke", name)


def set_role(clinic: Clinic, name: str, role: str, actor: str) -> None:
    """Change a staff member's role; their sessions end, so the new role holds from their next sign-in. Conflict
    for taking the last admin's role away."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", "role")
    with transaction(clinic.db):
        staff_id = _active_id(clinic, name)
        if role != "admin":
            _keep_an_admin(clinic, staff_id, name)
        clinic.db.execute("UPDATE staff SET role = ? WHERE id = ?", [role, staff_id])
        sessions.end_all(clinic, staff_id, "role")
        clinic.audit(actor, "staff.role", name, role=role)


def staff_by_token(clinic: Clinic, token: str) -> dict[str, Any] | None:
    """The active staff member a live API token belongs to (see monitoring.tokens.staff_for)."""
    return tokens.staff_for(clinic, token)


def staff_by_phone(clinic: Clinic, phone: str) -> dict[str, Any] | None:
    """A staff member or on-call person texting from `phone` (they may ACK): an active staff record's phone, or
    one of the `[[oncall]]` chain's, whether or not that chain is the one in force now (the rota's chains are
    staff records). A fallback-chain nurse paged at 7:55 AM may still ACK at 8:01, once the day chain is in
    force; what she may acknowledge then is monitoring.alerts' to say (only what she was paged for)."""
    row = clinic.db.execute(
        "SELECT id, name, role, phone FROM staff WHERE phone = ? AND active = 1", [phone]
    ).fetchone()
    if row:
        return dict(row)
    for person in clinic.effective["oncall"]:
        if person["phone"] == phone:
            return {"id": None, "name": person["name"], "role": "nurse", "phone": phone}
    return None


def set_password(clinic: Clinic, name: str, password: str, actor: str) -> None:
    """Set a dashboard password (NIST SP 800-63B rules in monitoring.passwords, argon2). Ends every session of
    that person and lifts any sign-in throttling of their name. ValidationError names what is wrong."""
    refused = passwords.problem(password, name)
    if refused:
        raise ValidationError(refused, "password")
    with transaction(clinic.db):
        staff_id = _active_id(clinic, name)
        clinic.db.execute("UPDATE staff SET password_hash = ? WHERE id = ?", [passwords.hash_password(password), staff_id])
        clinic.db.execute("DELETE FROM signin_throttle WHERE name = ?", [name.strip().casefold()])
        sessions.end_all(clinic, staff_id, "password")
        clinic.audit(actor, "staff.password", name)


staff_commands = AppGroup("staff", help="Clinic staff and their API tokens.")


@staff_commands.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="nurse or admin")
@click.option("--phone", default=None, help="E.164 phone for pages and ACK, like +15555550142")
@click.option("--password", is_flag=True, help="also set a dashboard password (prompted)")
def add_command(name: str, role: str, phone: str | None, password: bool) -> None:
    """Add a staff member; prints their API token on the last line (shown once)."""
    with command_clinic(current_app.config["CRS"]) as opened:
        secret = None
        if password:  # asked and checked first: a refused password added the person with none, their token unseen
            secret = click.prompt("Dashboard password", hide_input=True, confirmation_prompt=True)
            refused = passwords.problem(secret, name.strip())
            if refused:
                raise click.ClickException(f"{refused} Nobody was added; run the command again.")
        try:
            with transaction(opened.db):
                token = add_staff(opened, name, role, phone, now=utcnow())
                if secret is not None:
                    set_password(opened, name.strip(), secret, actor="cli")
        except Conflict as error:
            raise click.ClickException(_already_there(opened, name, error)) from None
    click.echo(f"added {role} {name}; their API token (keep it secret, it is not shown again):")
    click.echo(token)


def _already_there(clinic: Clinic, name: str, error: Conflict) -> str:
    """The refusal of `staff add` for a name taken, with the commands that do what the person likely wanted (the
    README adds 'Ada Admin' twice: once with a password, once for the API token)."""
    taken = next((p for p in list_staff(clinic) if p["name"].casefold() == name.strip().casefold() and p["active"]),
                 None)
    if error.field != "name" or taken is None:
        return error.message
    quoted = '"' + taken["name"].replace('"', '\\"') + '"'
    return (f"{error.message}; another API token: .venv/bin/flask --app app staff token {quoted}; "
            f"a new password: .venv/bin/flask --app app staff password {quoted}")


@staff_commands.command("password")
@click.argument("name")
def password_command(name: str) -> None:
    """Set (or reset) a staff member's dashboard password; also lifts a lockout."""
    with command_clinic(current_app.config["CRS"]) as opened:
        secret = click.prompt("New dashboard password", hide_input=True, confirmation_prompt=True)
        set_password(opened, name, secret, actor="cli")
    click.echo(f"password set for {name}")


@staff_commands.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def role_command(name: str, role: str) -> None:
    """Change a staff member's role; their dashboard sessions end."""
    with command_clinic(current_app.config["CRS"]) as opened:
        set_role(opened, name, role, actor="cli")
    click.echo(f"{name} is now {role}; their dashboard sessions ended")


@staff_commands.command("phone")
@click.argument("name")
@click.argument("phone", default="")
@click.option("--none", "take_away", is_flag=True, help="take the phone away: they leave every on-call chain")
def phone_command(name: str, phone: str, take_away: bool) -> None:
    """Change a staff member's phone for pages and ACK; --none takes it away (off call)."""
    if bool(phone.strip()) == take_away:  # a forgotten PHONE must not take a nurse off call without a word
        raise click.UsageError("give the new PHONE, like +15555550142, or --none to take the phone away (off call)")
    with command_clinic(current_app.config["CRS"]) as opened:
        stored = set_phone(opened, name, phone, actor="cli")
    click.echo(phone_changed(name, stored))


@staff_commands.command("token")
@click.argument("name")
@click.option("--label", default="cli", show_default=True, help="what the token is for, like 'ward laptop'")
@click.option("--days", type=int, default=None, help="days it works (default [web] api_token_days)")
def token_command(name: str, label: str, days: int | None) -> None:
    """Issue another API token for NAME; prints it on the last line (shown once)."""
    with command_clinic(current_app.config["CRS"]) as opened:
        person = next((p for p in list_staff(opened) if p["name"] == name and p["active"]), None)
        if person is None:
            raise click.ClickException(f"no active staff member named {name!r}")
        token = tokens.issue(opened, person["id"], label, actor="cli", days=days)
    click.echo(f"new API token {label!r} for {name} (keep it secret, it is not shown again):")
    click.echo(token)


@staff_commands.command("list")
def list_command() -> None:
    """List staff members."""
    with command_clinic(current_app.config["CRS"]) as opened:
        for person in list_staff(opened):
            state = "active" if person["active"] else f"revoked {person['revoked_at']}"
            click.echo(f"{person['name']}\t{person['role']}\t{person['phone'] or '-'}\t{state}")


@staff_commands.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Revoke a staff member's token and sign-in."""
    with command_clinic(current_app.config["CRS"]) as opened:
        revoke_staff(opened, name, now=utcnow())
    click.echo(f"revoked {name}")


def init_app(app: Flask) -> None:
    """Register `flask --app app staff add|password|phone|role|token|list|revoke` (create_app calls this)."""
    app.cli.add_command(staff_commands)
