"""Dashboard sessions kept in the database, so that they can be ended (HIPAA 164.312(a)(2)(iii), ASVS V3).

The browser holds only a random session token (inside Flask's signed cookie); the `staff_sessions` row
holds its SHA-256, the staff member, when it started, when the person was last active and when it
must end regardless. `resume` is asked on every dashboard request:

- idle: no activity for `idle` (the dashboard's own background refreshes do not count) ends it;
- absolute: `lifetime` after sign-in it ends, however active the person was;
- signing out, a new password, a new role and a revoked staff member end every session of that person.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitoring.clinic import Clinic
from monitoring.store import from_text, insert, to_text, transaction, utcnow
from monitoring.tokens import token_hash

ENDED_REASONS = ("signout", "idle", "lifetime", "password", "role", "revoked", "admin")


@dataclass(frozen=True)
class SignedIn:
    """A signed-in staff member and the session they are using."""

    id: int
    name: str
    role: str
    session_id: int
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Ended:
    """Why a session token no longer works: one of ENDED_REASONS, or 'unknown' for a token never issued."""

    reason: str


def start(clinic: Clinic, staff_id: int, lifetime: timedelta, source: str | None, user_agent: str | None) -> str:
    """A new session for `staff_id`; returns its token (the cookie's value, never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with transaction(clinic.db):
        insert(clinic.db, "staff_sessions", {
            "token_hash": token_hash(token), "staff_id": staff_id, "created_at": to_text(now),
            "last_seen_at": to_text(now), "expires_at": to_text(now + lifetime),
            "source": (source or "")[:64] or None, "user_agent": (user_agent or "")[:200] or None})
    return token


def resume(clinic: Clinic, token: str, idle: timedelta, *, activity: bool = True) -> SignedIn | Ended:
    """The signed-in person behind `token`, or why not. `activity=False` (a background refresh) checks the
    session without counting as the person's activity, so an unattended dashboard still times out."""
    row = clinic.db.execute(
        "SELECT s.id, s.staff_id, s.last_seen_at, s.expires_at, s.ended_at, s.end_reason, st.name, st.role, "
        "st.active FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = ?",
        [token_hash(token)]).fetchone()
    if row is None:
        return Ended("unknown")
    if row["ended_at"] is not None:
        return Ended(row["end_reason"])
    now = utcnow()
    last_seen, expires = from_text(row["last_seen_at"]), from_text(row["expires_at"])
    reason = "revoked" if not row["active"] else "lifetime" if now >= expires else "idle" if now - last_seen >= idle else None
    if reason:
        _end(clinic, "id = ?", [row["id"]], reason)
        return Ended(reason)
    if activity:
        with transaction(clinic.db):
            clinic.db.execute("UPDATE staff_sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL",
                              [to_text(now), row["id"]])
        last_seen = now
    return SignedIn(id=row["staff_id"], name=row["name"], role=row["role"], session_id=row["id"],
                    last_seen_at=last_seen, expires_at=expires)


def end_all(clinic: Clinic, staff_id: int, reason: str) -> int:
    """End every open session of `staff_id` (inside the caller's transaction, if any); returns how many."""
    return _end(clinic, "staff_id = ?", [staff_id], reason)


def _end(clinic: Clinic, where: str, args: list[Any], reason: str) -> int:
    assert reason in ENDED_REASONS
    with transaction(clinic.db):
        return clinic.db.execute(
            f"UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND {where}",
            [to_text(utcnow()), reason, *args]).rowcount


def open_sessions(clinic: Clinic, idle: timedelta) -> dict[int, int]:
    """{staff_id: sessions still usable now} for the staff page."""
    now = utcnow()
    rows = clinic.db.execute(
        "SELECT staff_id, COUNT(*) FROM staff_sessions WHERE ended_at IS NULL AND expires_at > ? "
        "AND last_seen_at > ? GROUP BY staff_id", [to_text(now), to_text(now - idle)]).fetchall()
    return {row[0]: row[1] for row in rows}
