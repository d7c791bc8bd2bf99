"""Dashboard sign-in: argon2 passwords, throttling by name and source address, an audit line for each try.

Guessing is slowed, never blocked for everyone (NIST SP 800-63B 5.2.2, ASVS 2.2.1): each (name, source
address) pair gets FREE_TRIES wrong passwords in a row, then waits before each further try, the wait
doubling from FIRST_DELAY up to MAX_DELAY. A try is counted in one BEGIN IMMEDIATE transaction *before*
its password is checked, so concurrent guesses can never check more than FREE_TRIES passwords, and an
attacker elsewhere cannot lock a nurse out. Unknown names are counted the same way, and every refusal,
whatever the reason, reads the same (REFUSED), so the answer never tells whether a name exists.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from monitoring import passwords
from monitoring import staff as staff_module
from monitoring.clinic import Clinic, ServiceError, ValidationError
from monitoring.store import from_text, to_text, transaction

FREE_TRIES = 5  # wrong passwords in a row from one address for one name before the waits begin
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)  # a pair not tried for this long starts again from nothing
NAME_LIMIT = staff_module.NAME_LIMIT  # a longer name cannot be added (monitoring.staff)
REFUSED = ("Wrong name or password. After 5 wrong tries in a row, each new try has to wait a little "
           "longer (up to 15 minutes).")


class SigninRefused(ServiceError):
    """Wrong name or password, or a try that came too soon. The message is REFUSED, always."""

    status = 401

    def __init__(self) -> None:
        super().__init__(REFUSED, "password")


@dataclass(frozen=True)
class Staff:
    """Who signed in: the staff row's id, name and role (nurse | admin | ...)."""

    id: int
    name: str
    role: str


@cache
def _decoy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong password."""
    return passwords.hash_password("not a password anyone has")


def delay_after(failures: int) -> timedelta:
    """The wait before the next try after `failures` wrong ones in a row: none, then 30 s, 1, 2, 4 ... 15 min."""
    if failures < FREE_TRIES:
        return timedelta(0)
    # the exponent capped: no overflow
    wait: timedelta = min(FIRST_DELAY * 2 ** min(failures - FREE_TRIES, 20), MAX_DELAY)
    return wait


def sign_in(clinic: Clinic, name: str, password: str, source: str | None, now: datetime) -> Staff:
    """The staff member named `name` (any case) when `password` is theirs and the try from `source` (the client's
    address) is not too soon at `now` (aware UTC, from the caller); else SigninRefused (401, REFUSED whatever
    the reason). ASVS 2.2.1: throttled per (name, address), never locked for everyone."""
    name = (name or "").strip()[:NAME_LIMIT]
    key, source = name.casefold(), (source or "unknown")[:64]
    if not _claim_try(clinic, key, source, now):
        _audit(clinic, name or "?", "signin.throttled", source=source)
        raise SigninRefused()
    # The name without regard to case (issue 15): "ada admin" signs in Ada Admin; staff.add_staff keeps
    # names that differ only in case from both existing.
    row = clinic.db.execute("SELECT id, name, role, password_hash FROM staff WHERE name = ? COLLATE NOCASE "
                            "AND active = 1", [name]).fetchone()
    if row is None or not row["password_hash"]:
        passwords.verify(_decoy_hash(), password)
        _audit(clinic, name or "?", "signin.failed", source=source)
        raise SigninRefused()
    if not passwords.verify(row["password_hash"], password):
        _audit(clinic, row["name"], "signin.failed", source=source)
        raise SigninRefused()
    with transaction(clinic.db):
        clinic.db.execute("DELETE FROM signin_throttle WHERE name = ? AND source = ?", [key, source])
        if passwords.needs_rehash(row["password_hash"]):
            clinic.db.execute("UPDATE staff SET password_hash = ? WHERE id = ?",
                              [passwords.hash_password(password), row["id"]])
        clinic.audit(row["name"], "signin.ok", row["name"], source=source)
    return Staff(id=row["id"], name=row["name"], role=row["role"])


def _claim_try(clinic: Clinic, key: str, source: str, now: datetime) -> bool:
    """Count this try as a failure in advance, unless the pair must still wait; False while it must."""
    with transaction(clinic.db):  # BEGIN IMMEDIATE: one try at a time reads and writes the counter
        row = clinic.db.execute("SELECT failures, next_try_at FROM signin_throttle WHERE name = ? AND source = ?",
                                [key, source]).fetchone()
        if row is not None and row["next_try_at"] is not None and from_text(row["next_try_at"]) > now:
            return False
        failures = (row["failures"] if row else 0) + 1
        wait = delay_after(failures)
        clinic.db.execute(
            "INSERT INTO signin_throttle (name, source, failures, next_try_at, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (name, source) DO UPDATE SET failures = excluded.failures, "
            "next_try_at = excluded.next_try_at, updated_at = excluded.updated_at",
            [key, source, failures, to_text(now + wait) if wait else None, to_text(now)])
        clinic.db.execute("DELETE FROM signin_throttle WHERE updated_at < ?", [to_text(now - FORGET_AFTER)])
    return True


def _audit(clinic: Clinic, actor: str, action: str, **detail: Any) -> None:
    with transaction(clinic.db):
        clinic.audit(actor[:NAME_LIMIT], action, actor[:NAME_LIMIT], **detail)


def create_user(clinic: Clinic, name: str, role: str, phone: str | None, password: str, actor: str,
                now: datetime) -> str:
    """An admin adds a staff member with a dashboard password, in one transaction, at `now` (aware UTC, the
    request's); returns their API token. The password is checked first, before the name and the phone."""
    refused = passwords.problem(password, name.strip())
    if refused:
        raise ValidationError(refused, "password")
    with transaction(clinic.db):
        token = staff_module.add_staff(clinic, name, role, phone or None, actor=actor, now=now)
        staff_module.set_password(clinic, name.strip(), password, actor=actor)
    return token


def staff_list(clinic: Clinic, now: datetime) -> list[dict[str, Any]]:
    """Staff for the admin page, active first, by name: the staff row's {"id", "name", "role", "phone", "active",
    "created_at", "revoked_at"} with "has_password" (0/1) and "slowed_until" (aware datetime, or None when
    sign-in is not slowed at `now`, aware UTC from the caller)."""
    rows: list[sqlite3.Row] = clinic.db.execute(
        "SELECT id, name, role, phone, active, created_at, revoked_at, password_hash IS NOT NULL AS has_password, "
        "(SELECT MAX(next_try_at) FROM signin_throttle t WHERE t.name = lower(staff.name) AND t.next_try_at > ?) "
        "AS slowed_until FROM staff ORDER BY active DESC, name", [to_text(now)]).fetchall()
    return [{**dict(row), "slowed_until": from_text(row["slowed_until"])} for row in rows]
