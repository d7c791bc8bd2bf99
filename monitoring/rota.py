"""Who is on call: a chain of staff records for clinic hours and one for nights and weekends (issue 12).

`[rota] clinic_hours` and `[rota] after_hours` name staff members (with phones) in paging order; the
settings page picks and orders them. Clinic hours are the clinic's own (`[clinic] open/close/days`, the
SOP's "after hours", SOP 5 Grade 2). A chain left empty, or whose people all lost their phone or were
revoked, falls back to the `[[oncall]]` chain of the config file, which stays the default.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitoring.clinic import Clinic, ValidationError
from triage.hours import in_clinic_hours

SHIFTS = {"clinic_hours": "clinic hours", "after_hours": "nights and weekends"}


def shift_at(clinic: Clinic, moment: datetime) -> str:
    """'clinic_hours' or 'after_hours' at `moment`."""
    return "clinic_hours" if in_clinic_hours(clinic.hours, moment) else "after_hours"


def chain_for(clinic: Clinic, shift: str) -> list[dict[str, Any]]:
    """The staff named for `shift` who are active and have a phone, in order: [{"name", "phone"}];
    the `[[oncall]]` chain when none is."""
    names = clinic.effective["rota"][shift]
    if names and clinic.db is not None:
        marks = ", ".join("?" for _ in names)
        found = {row["name"]: row["phone"] for row in clinic.db.execute(
            f"SELECT name, phone FROM staff WHERE active = 1 AND phone IS NOT NULL AND name IN ({marks})", names)}
        chain = [{"name": name, "phone": found[name]} for name in names if name in found]
        if chain:
            return chain
    configured: list[dict[str, Any]] = clinic.effective["oncall"]
    return configured


def chain_at(clinic: Clinic, moment: datetime) -> list[dict[str, Any]]:
    return chain_for(clinic, shift_at(clinic, moment))


def next_change(clinic: Clinic, moment: datetime) -> datetime | None:
    """When the shift in force at `moment` next changes (an opening or closing time), within a week."""
    now_shift = shift_at(clinic, moment)
    local = clinic.local(moment)
    hours = clinic.hours
    candidates = []
    for days in range(8):
        day = (local + timedelta(days=days)).date()
        for clock in (hours.open, hours.close):
            at = datetime.combine(day, clock, tzinfo=clinic.tz)
            if at > moment:
                candidates.append(at)
    for at in sorted(candidates):
        if shift_at(clinic, at) != now_shift:
            return at
    return None


def on_call_now(clinic: Clinic, moment: datetime) -> dict[str, Any]:
    """For the dashboard: {"shift", "shift_label", "chain" (now, in order), "changes_at", "next_label",
    "next_chain"} (the chain after the next shift change; None when the clinic keeps one chain)."""
    shift = shift_at(clinic, moment)
    other = "after_hours" if shift == "clinic_hours" else "clinic_hours"
    change = next_change(clinic, moment)
    return {"shift": shift, "shift_label": SHIFTS[shift], "chain": chain_for(clinic, shift),
            "changes_at": change, "next_label": SHIFTS[other], "next_chain": chain_for(clinic, other)}


def check_names(clinic: Clinic, key: str, names: list[str]) -> None:
    """A chain may name only active staff members with a phone, each once (ValidationError naming `key`)."""
    if len(set(names)) != len(names):
        raise ValidationError(f"{key}: a person is in the chain twice", key)
    for name in names:
        row = clinic.db.execute("SELECT phone FROM staff WHERE name = ? AND active = 1", [name]).fetchone()
        if row is None:
            raise ValidationError(f"{key}: no active staff member named {name!r}; add them on the staff page", key)
        if not row["phone"]:
            raise ValidationError(f"{key}: {name} has no phone to page; add one on the staff page", key)


def pickable(clinic: Clinic) -> list[dict[str, Any]]:
    """Staff who can be put on call: active with a phone, by name."""
    return [dict(row) for row in clinic.db.execute(
        "SELECT name, phone, role FROM staff WHERE active = 1 AND phone IS NOT NULL ORDER BY name")]
