"""Staff API tokens: shown once, stored as SHA-256, each with a name, an owner, when it was made and last
used, and an expiry; revocable one by one (ASVS 3.5.2, 2.10; HIPAA 164.312(d) person authentication).

A token is 256 random bits (`st_...`), so one SHA-256 is enough (a slow hash is for passwords).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from monitoring.clinic import Clinic, NotFound, ValidationError
from monitoring.store import from_text, insert, to_text, transaction, utcnow

NAME_LIMIT = 60
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


def token_hash(token: str) -> str:
    """The hex SHA-256 of a bearer token, as stored (the token itself is never stored): API tokens, sessions,
    patients' app tokens and device tokens are all kept this way."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    """A new bearer token, `<prefix>_` and 43 URL-safe characters (256 random bits, secrets.token_urlsafe)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def issue(clinic: Clinic, staff_id: int, name: str, actor: str, days: int | None = None) -> str:
    """A new token for `staff_id` named `name`, valid `days` (default [web] api_token_days); returns it once."""
    name = " ".join((name or "").split())[:NAME_LIMIT]
    if not name:
        raise ValidationError("a token needs a name, like 'ward laptop'", "token_name")
    days = clinic.config["web"]["api_token_days"] if days is None else days
    if not 1 <= days <= 3650:
        raise ValidationError("a token lasts 1 to 3650 days", "days")
    token, now = new_token("st"), utcnow()
    with transaction(clinic.db):
        owner = clinic.db.execute("SELECT name FROM staff WHERE id = ? AND active = 1", [staff_id]).fetchone()
        if owner is None:
            raise NotFound(f"no active staff member {staff_id}", "staff_id")
        insert(clinic.db, "api_tokens", {
            "staff_id": staff_id, "name": name, "token_hash": token_hash(token), "created_at": to_text(now),
            "created_by": actor, "expires_at": to_text(now + timedelta(days=days))})
        clinic.audit(actor, "token.issue", owner["name"], token=name, days=days)
    return token


def staff_for(clinic: Clinic, token: str) -> dict[str, Any] | None:
    """The active staff member a live (unexpired, unrevoked) token belongs to, with `token_id`; else None.
    Notes when the token was used, at most once a minute."""
    now = utcnow()
    row = clinic.db.execute(
        "SELECT t.id AS token_id, t.expires_at, t.last_used_at, s.id, s.name, s.role, s.phone FROM api_tokens t "
        "JOIN staff s ON s.id = t.staff_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND s.active = 1",
        [token_hash(token)]).fetchone()
    if row is None or from_text(row["expires_at"]) <= now:
        return None
    last_used = from_text(row["last_used_at"])
    if last_used is None or now - last_used >= LAST_USED_EVERY:
        with transaction(clinic.db):
            clinic.db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [to_text(now), row["token_id"]])
    return {key: row[key] for key in ("id", "name", "role", "phone", "token_id")}


def revoke(clinic: Clinic, token_id: int, actor: str) -> dict[str, Any]:
    """Revoke one token; NotFound when it is not live."""
    with transaction(clinic.db):
        row = clinic.db.execute(
            "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL "
            "RETURNING name, staff_id", [to_text(utcnow()), actor, token_id]).fetchone()
        if row is None:
            raise NotFound(f"no live token {token_id}", "token_id")
        owner = clinic.db.execute("SELECT name FROM staff WHERE id = ?", [row["staff_id"]]).fetchone()
        clinic.audit(actor, "token.revoke", owner["name"], token=row["name"])
    return dict(row)


def revoke_all(clinic: Clinic, staff_id: int, actor: str) -> int:
    """Revoke every live token of `staff_id` (inside the caller's transaction)."""
    return clinic.db.execute("UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE staff_id = ? AND "
                             "revoked_at IS NULL", [to_text(utcnow()), actor, staff_id]).rowcount


def list_tokens(clinic: Clinic) -> list[dict[str, Any]]:
    """Every token, newest first, for the staff page: never the token itself."""
    rows = clinic.db.execute(
        "SELECT t.id, t.staff_id, s.name AS owner, t.name, t.created_at, t.created_by, t.last_used_at, "
        "t.expires_at, t.revoked_at, t.revoked_by FROM api_tokens t JOIN staff s ON s.id = t.staff_id "
        "ORDER BY t.revoked_at IS NOT NULL, s.name, t.id DESC").fetchall()
    now = utcnow()
    times = ("created_at", "last_used_at", "expires_at", "revoked_at")
    return [{**dict(row), **{key: from_text(row[key]) for key in times}, "expired": from_text(row["expires_at"]) <= now}
            for row in rows]
