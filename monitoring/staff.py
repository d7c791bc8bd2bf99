"""Clinic staff: API tokens (stored hashed), roles, phones for paging and ACK."""
from __future__ import annotations

import hashlib
import secrets

from monitoring.clinic import Clinic, Conflict, NotFound, ValidationError
from monitoring.config import ConfigError, e164
from monitoring.store import insert, to_text, transaction, utcnow

ROLES = ("nurse", "admin")


def token_hash(token: str) -> str:
    """Tokens are 256 random bits, so one SHA-256 is enough (a slow hash is for passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def add_staff(clinic: Clinic, name: str, role: str, phone: str | None = None, actor: str = "cli") -> str:
    """Create a staff member and return their API token (shown once, stored hashed)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("name must not be empty", "name")
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", "role")
    if phone:
        try:
            phone = e164("phone", phone)
        except ConfigError:
            raise ValidationError(f"phone must be E.164, like +15555550142, not {phone!r}", "phone") from None
    token = new_token("st")
    with transaction(clinic.db):
        if clinic.db.execute("SELECT 1 FROM staff WHERE name = ?", [name]).fetchone():
            raise Conflict(f"a staff member named {name!r} already exists", "name")
        insert(clinic.db, "staff",
            {"name": name, "role": role, "phone": phone, "token_hash": token_hash(token), "active": 1,
             "created_at": to_text(utcnow())}
        )
        clinic.audit(actor, "staff.add", name, role=role)
    return token


def list_staff(clinic: Clinic) -> list[dict]:
    rows = clinic.db.execute(
        "SELECT id, name, role, phone, active, created_at, revoked_at FROM staff ORDER BY name"
    ).fetchall()
    return [dict(row) for row in rows]


def revoke_staff(clinic: Clinic, name: str, actor: str = "cli") -> None:
    with transaction(clinic.db):
        cursor = clinic.db.execute(
            "UPDATE staff SET active = 0, token_hash = NULL, revoked_at = ? WHERE name = ? AND active = 1",
            [to_text(utcnow()), name],
        )
        if cursor.rowcount == 0:
            raise NotFound(f"no active staff member named {name!r}", "name")
        clinic.audit(actor, "staff.revoke", name)


def staff_by_token(clinic: Clinic, token: str) -> dict | None:
    row = clinic.db.execute(
        "SELECT id, name, role, phone FROM staff WHERE token_hash = ? AND active = 1", [token_hash(token)]
    ).fetchone()
    return dict(row) if row else None


def staff_by_phone(clinic: Clinic, phone: str) -> dict | None:
    """A staff member or on-call person texting from `phone` (they may ACK)."""
    row = clinic.db.execute(
        "SELECT id, name, role, phone FROM staff WHERE phone = ? AND active = 1", [phone]
    ).fetchone()
    if row:
        return dict(row)
    for person in clinic.oncall:
        if person["phone"] == phone:
            return {"id": None, "name": person["name"], "role": "nurse", "phone": phone}
    return None


def set_password(clinic: Clinic, name: str, password: str, actor: str) -> None:
    """Set a dashboard password, hashed with argon2."""
    from argon2 import PasswordHasher

    if len(password) < 10:
        raise ValidationError("passwords must be at least 10 characters", "password")
    with transaction(clinic.db):
        changed = clinic.db.execute(
            "UPDATE staff SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE name = ? AND active = 1",
            [PasswordHasher().hash(password), name]).rowcount
        if not changed:
            raise NotFound(f"no active staff member named {name!r}", "name")
        clinic.audit(actor, "staff.password", name)
