"""Device hubs that post FHIR Observations: their tokens, and whom their readings belong to.

A device is bound to one patient (a thermometer lent to them) or to the clinic (a hub that serves
several patients and names each by MRN in `Observation.subject.identifier`). Tokens are shown once
and stored hashed, like staff tokens (monitoring.staff).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from monitoring.clinic import Clinic, NotFound, ValidationError
from monitoring.staff import new_token, token_hash
from monitoring.store import insert, patient_by_id, to_text, transaction

TOKEN_PREFIX = "dv"


def add_device(clinic: Clinic, name: str, patient_id: int | None, actor: str, now: datetime) -> dict[str, Any]:
    """Create a device and its token: {"id", "name", "patient_id", "token"} (the token is not kept).

    `patient_id` None: a clinic device, whose Observations name the patient by MRN. Created at `now` (aware
    UTC, the caller's) by `actor` (audited). Raises ValidationError (name) or NotFound (patient_id)."""
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(char) < 32 for char in name):
        raise ValidationError("name must be 1-100 characters of text, like 'Thermometer 12'", "name")
    token = new_token(TOKEN_PREFIX)
    with transaction(clinic.db):
        if patient_id is not None and patient_by_id(clinic.db, patient_id) is None:
            raise NotFound(f"no patient {patient_id}", "patient_id")
        device_id = insert(clinic.db, "devices", {
            "name": name, "token_hash": token_hash(token), "patient_id": patient_id, "created_by": actor,
            "created_at": to_text(now),
        })
        clinic.audit(actor, "device.add", f"device:{device_id}", name=name, patient_id=patient_id)
    return {"id": device_id, "name": name, "patient_id": patient_id, "token": token}


def list_devices(clinic: Clinic) -> list[dict[str, Any]]:
    """Every device, newest first: {"id", "name", "patient_id", "patient_name" (where it is bound to a
    patient), "created_by", "created_at", "last_seen_at", "revoked_at" (stored UTC text)}."""
    rows = clinic.db.execute(
        "SELECT d.id, d.name, d.patient_id, p.name AS patient_name, d.created_by, d.created_at, d.last_seen_at, "
        "d.revoked_at FROM devices d LEFT JOIN patients p ON p.id = d.patient_id ORDER BY d.id DESC").fetchall()
    return [dict(row) for row in rows]


def revoke_device(clinic: Clinic, device_id: int, actor: str, now: datetime) -> None:
    """The device's token stops working at once (revoked at `now`, aware UTC; audited as `actor`). NotFound
    (device_id) when there is no such active device."""
    with transaction(clinic.db):
        changed = clinic.db.execute(
            "UPDATE devices SET token_hash = NULL, revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [to_text(now), device_id]).rowcount
        if not changed:
            raise NotFound(f"no active device {device_id}", "device_id")
        clinic.audit(actor, "device.revoke", f"device:{device_id}")


def device_by_token(clinic: Clinic, token: str) -> dict[str, Any] | None:
    """The active device holding `token` ("dv_..."): {"id", "name", "patient_id" (None for a clinic
    device)}, else None."""
    if not token.startswith(TOKEN_PREFIX + "_"):
        return None
    row = clinic.db.execute(
        "SELECT id, name, patient_id FROM devices WHERE token_hash = ? AND revoked_at IS NULL",
        [token_hash(token)]).fetchone()
    return dict(row) if row else None
