"""One scheduler at a time: a lease row in the database that its holder renews and others wait out."""
from __future__ import annotations

from datetime import datetime, timedelta

from monitoring.clinic import Clinic
from monitoring.store import to_text, transaction, utcnow

# The scheduler's lease (scheduler.runner): its holder runs due work, delivers the outbox, and processes the
# texts the webhook hands it (monitoring.inbound.receive_sms, while `held`).
SCHEDULER = "scheduler"


def acquire(clinic: Clinic, name: str, holder: str, seconds: int) -> bool:
    """Take or renew the lease `name` for `seconds`; False while someone else holds it unexpired (an
    expiry more than `seconds` ahead is impossible, so it counts as expired)."""
    now = utcnow()
    with transaction(clinic.db):
        row = clinic.db.execute("SELECT holder, expires_at FROM leases WHERE name = ?", [name]).fetchone()
        # A lease further ahead than one lease period was written before the wall clock stepped back:
        # it cannot be trusted, and is taken as expired (else nothing would run for the size of the step).
        held_elsewhere = row and row["holder"] != holder and to_text(now) < row["expires_at"] <= to_text(
            now + timedelta(seconds=seconds))
        if held_elsewhere:
            return False
        clinic.db.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
            [name, holder, to_text(now + timedelta(seconds=seconds))])
    return True


def release(clinic: Clinic, name: str, holder: str) -> None:
    """Give the lease `name` up if `holder` still holds it (a lease taken over since is left alone)."""
    with transaction(clinic.db):
        clinic.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder])


def holds(clinic: Clinic, name: str, holder: str, now: datetime) -> bool:
    """Whether `holder` holds the lease `name` unexpired at `now` (aware UTC), without renewing it. One read."""
    rows = clinic.db.conn.execute("SELECT holder, expires_at FROM leases WHERE name = ?", [name]).fetchall()
    return bool(rows) and rows[0][0] == holder and to_text(now) < rows[0][1]


def held(clinic: Clinic, name: str, now: datetime, seconds: int, renewed_within: float) -> bool:
    """Whether the lease `name` (`seconds` long) was taken or renewed within `renewed_within` s of `now` (aware
    UTC), by anyone: a running scheduler renews its lease every pass. An expiry more than two lease lengths
    ahead is not trusted (written before the wall clock stepped back); one just past a lease length is a
    renewal a moment after `now` was read. One read of the lease's row, outside any write transaction."""
    rows = clinic.db.conn.execute("SELECT expires_at FROM leases WHERE name = ?", [name]).fetchall()
    fresh_after = to_text(now + timedelta(seconds=seconds - renewed_within))
    return bool(rows) and fresh_after < rows[0][0] <= to_text(now + timedelta(seconds=2 * seconds))
