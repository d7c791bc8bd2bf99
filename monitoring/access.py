"""The access audit log (HIPAA 164.312(b) audit controls): who looked at which patient's data, when, from where.

Every view of a patient's page, summary or timeline on the dashboard, every read of a patient's data
through the staff API (readings, texts, medications, alerts) and every export appends one row.
`access_log` is append-only: triggers refuse UPDATE and DELETE, like the change log `audit_log`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from monitoring.clinic import Clinic
from monitoring.store import dumps, from_text, insert, loads, to_text, transaction, utcnow

PAGE_SIZE = 100


def record(clinic: Clinic, *, actor: str, staff_id: int | None, action: str, patient_id: int | None,
           source: str | None, **detail: object) -> None:
    """Append one access: `actor` (staff name), `action` (like 'dashboard.patient' or 'api.messages'), the
    patient whose data was shown (None for a list of several), the client's address, and any detail."""
    with transaction(clinic.db):
        insert(clinic.db, "access_log", {
            "at": to_text(utcnow()), "staff_id": staff_id, "actor": actor, "action": action,
            "patient_id": patient_id, "source": (source or "")[:64] or None, "detail": dumps(detail)})


def patient_of_alert(clinic: Clinic, alert_id: int) -> int | None:
    """The patient id an alert is about, for the access log; None for no such alert."""
    row = clinic.db.execute("SELECT patient_id FROM alerts WHERE id = ?", [alert_id]).fetchone()
    return row[0] if row else None


def search(clinic: Clinic, *, patient_id: int | None = None, staff_id: int | None = None,
           since: datetime | None = None, until: datetime | None = None, before_id: int | None = None,
           limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """Accesses newest first, filtered by patient, staff member and time; `before_id` pages back."""
    where, args = [], []
    for clause, value in (("a.patient_id = ?", patient_id), ("a.staff_id = ?", staff_id),
                          ("a.at >= ?", to_text(since)), ("a.at < ?", to_text(until)), ("a.id < ?", before_id)):
        if value is not None:
            where.append(clause)
            args.append(value)
    rows = clinic.db.execute(
        "SELECT a.id, a.at, a.staff_id, a.actor, a.action, a.patient_id, p.name AS patient_name, a.source, a.detail "
        "FROM access_log a LEFT JOIN patients p ON p.id = a.patient_id "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY a.id DESC LIMIT ?", [*args, limit]).fetchall()
    return [{**dict(row), "at": from_text(row["at"]), "detail": loads(row["detail"], {})} for row in rows]
