"""Dashboard sign-in: passwords (argon2), a lockout after repeated failures, an audit line for each try.

The session itself is the web layer's (a signed cookie holding the staff id); this module decides
who may have one and records every attempt.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from monitoring import staff as staff_module
from monitoring.clinic import Clinic, ServiceError
from monitoring.store import from_text, to_text, transaction, utcnow

MAX_FAILED_SIGNINS = 5  # in a row; then the account waits LOCKOUT before another try
LOCKOUT = timedelta(minutes=15)
NAME_LIMIT = 100


class SigninRefused(ServiceError):
    """Wrong name or password, or a locked account. The message is safe to show."""

    status = 401

    def __init__(self, message: str, locked_until: datetime | None = None):
        super().__init__(message, "password")
        self.locked_until = locked_until


@dataclass(frozen=True)
class SignedIn:
    id: int
    name: str
    role: str


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong password."""
    return _hasher().hash("not a password anyone has")


def sign_in(clinic: Clinic, name: str, password: str) -> SignedIn:
    """The staff member when `password` is theirs; else SigninRefused (and the failure is counted).

    After MAX_FAILED_SIGNINS wrong passwords in a row the account is locked for LOCKOUT; while it is
    locked no password is checked. An admin setting a new password unlocks it.
    """
    name = (name or "").strip()[:NAME_LIMIT]
    password = password or ""
    now = utcnow()
    row = clinic.db.execute(
        "SELECT id, name, role, password_hash, failed_logins, locked_until FROM staff "
        "WHERE name = ? AND active = 1", [name]).fetchone()
    if row is None or not row["password_hash"]:
        _verify(_decoy_hash(), password)
        _audit(clinic, name or "?", "signin.failed", reason="unknown or no password")
        raise SigninRefused("Wrong name or password.")
    locked_until = from_text(row["locked_until"])
    if locked_until is not None and locked_until > now:
        _audit(clinic, row["name"], "signin.locked")
        raise SigninRefused(_locked_message(clinic, locked_until), locked_until)
    if not _verify(row["password_hash"], password):
        return _count_failure(clinic, row)
    with transaction(clinic.db):
        clinic.db.execute("UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE id = ?", [row["id"]])
        if _hasher().check_needs_rehash(row["password_hash"]):
            clinic.db.execute("UPDATE staff SET password_hash = ? WHERE id = ?",
                              [_hasher().hash(password), row["id"]])
        clinic.audit(row["name"], "signin.ok", row["name"])
    return SignedIn(id=row["id"], name=row["name"], role=row["role"])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(clinic: Clinic, row):
    with transaction(clinic.db):
        failures = clinic.db.execute(
            "UPDATE staff SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins",
            [row["id"]]).fetchone()[0]
        locked_until = None
        if failures >= MAX_FAILED_SIGNINS:
            locked_until = utcnow() + LOCKOUT
            clinic.db.execute("UPDATE staff SET failed_logins = 0, locked_until = ? WHERE id = ?",
                              [to_text(locked_until), row["id"]])
            clinic.audit(row["name"], "signin.lockout", row["name"], until=to_text(locked_until))
        else:
            clinic.audit(row["name"], "signin.failed", row["name"], failures=failures)
    if locked_until is not None:
        raise SigninRefused(_locked_message(clinic, locked_until), locked_until)
    raise SigninRefused("Wrong name or password.")


def _locked_message(clinic: Clinic, locked_until: datetime) -> str:
    return (f"Too many wrong passwords: this account is locked until "
            f"{clinic.local(locked_until).strftime('%-I:%M %p')}. Try again then, or ask an admin "
            f"to set a new password.")


def _audit(clinic: Clinic, actor: str, action: str, **detail) -> None:
    with transaction(clinic.db):
        clinic.audit(actor[:NAME_LIMIT], action, actor[:NAME_LIMIT], **detail)


def signed_in_staff(clinic: Clinic, staff_id) -> SignedIn | None:
    """The staff member a session names, while they are still active (revoking ends their sessions)."""
    if not isinstance(staff_id, int):
        return None
    row = clinic.db.execute("SELECT id, name, role FROM staff WHERE id = ? AND active = 1", [staff_id]).fetchone()
    return SignedIn(id=row["id"], name=row["name"], role=row["role"]) if row else None


def create_user(clinic: Clinic, name: str, role: str, phone: str | None, password: str, actor: str) -> str:
    """An admin adds a staff member with a dashboard password, in one transaction; returns their API token."""
    with transaction(clinic.db):
        token = staff_module.add_staff(clinic, name, role, phone or None, actor=actor)
        staff_module.set_password(clinic, name.strip(), password, actor=actor)
    return token


def staff_list(clinic: Clinic) -> list[dict]:
    """Staff for the admin page: role, phone, whether they can sign in, and a lock in force."""
    now = to_text(utcnow())
    rows = clinic.db.execute(
        "SELECT id, name, role, phone, active, created_at, revoked_at, password_hash IS NOT NULL AS has_password, "
        "CASE WHEN locked_until > ? THEN locked_until END AS locked_until FROM staff ORDER BY active DESC, name",
        [now]).fetchall()
    return [dict(row) for row in rows]
