"""Who is on call: a chain of staff records for clinic hours and one for nights and weekends (issue 12).

`[rota] clinic_hours` and `[rota] after_hours` name staff members (with phones) in paging order; the
settings page picks and orders them. Clinic hours are the clinic's own (`[clinic] open/close/days`, the
SOP's "after hours", SOP 5 Grade 2). A chain left empty, or whose people all lost their phone or were
revoked, falls back to the `[[oncall]]` chain of the config file, which stays the default.

The chain in force at a moment is the clinic's to know (`Clinic.oncall_at`, `shift_at`, `chain_for`: every
page reads it); this module shows and checks the rota.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitoring.clinic import Clinic, ValidationError

SHIFTS = {"clinic_hours": "clinic hours", "after_hours": "nights and weekends"}


def next_change(clinic: Clinic, moment: datetime) -> datetime | None:
    """When the shift in force at `moment` next changes (an opening or closing time), within a week."""
    now_shift = clinic.shift_at(moment)
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
        if clinic.shift_at(at) != now_shift:
            return at
    return None


def on_call_now(clinic: Clinic, moment: datetime) -> dict[str, Any]:
    """For the dashboard: {"shift", "shift_label", "chain" (now, in order), "changes_at", "next_label",
    "next_chain"} (the chain after the next shift change; None when the clinic keeps one chain), "not_paged"
    (not_paged_people)."""
    shift = clinic.shift_at(moment)
    other = "after_hours" if shift == "clinic_hours" else "clinic_hours"
    change = next_change(clinic, moment)
    return {"shift": shift, "shift_label": SHIFTS[shift], "chain": clinic.chain_for(shift),
            "changes_at": change, "next_label": SHIFTS[other], "next_chain": clinic.chain_for(other),
            "not_paged": not_paged_people(clinic)}


def not_paged_people(clinic: Clinic) -> list[dict[str, str]]:
    """The people the rota names who are not paged (the config file's `[rota]` is not checked against the staff,
    who live in the database; someone may since have been revoked or lost their phone): [{"shift",
    "shift_label", "name", "why"}] in the rota's order. One query for every name (the dashboard asks at each
    refresh)."""
    named = [(shift, label, name) for shift, label in SHIFTS.items() for name in clinic.effective["rota"][shift]]
    if not named:
        return []
    # Clinic.chain_for pages active staff with a phone, by the exact name; a name no staff record has is looked up
    # again without regard to case, for the staff page's spelling
    rows = clinic.db.execute(
        f"WITH rota (position, name, stripped) AS (VALUES {', '.join('(?, ?, ?)' for _ in named)}) "
        "SELECT s.id IS NOT NULL AS known, s.active, s.phone, CASE WHEN s.id IS NULL THEN (SELECT a.name FROM staff a "
        "WHERE a.name = r.stripped COLLATE NOCASE AND a.active = 1 LIMIT 1) END AS alike "
        "FROM rota r LEFT JOIN staff s ON s.name = r.name ORDER BY r.position",
        [value for position, (_, _, name) in enumerate(named) for value in (position, name, name.strip())]).fetchall()
    missing = []
    for (shift, label, name), row in zip(named, rows, strict=True):
        why = _why_not_paged(row)
        if why:
            missing.append({"shift": shift, "shift_label": label, "name": name, "why": why})
    return missing


def _why_not_paged(row: Any) -> str | None:
    """Why a rota name is left out of its chain, from its staff record (`row`: known, active, phone, alike), or None
    when they are paged."""
    if not row["known"]:
        return "no active staff member by that name" + (f"; the staff page has {row['alike']}" if row["alike"] else "")
    if not row["active"]:
        return "revoked"
    return None if row["phone"] else "no phone"


def not_paged(clinic: Clinic) -> list[str]:
    """not_paged_people as lines naming the key, for the console at start (`serve`)."""
    return [f"rota.{person['shift']}: {person['name']}: {person['why']}" for person in not_paged_people(clinic)]


def check_names(clinic: Clinic, key: str, names: list[str]) -> None:
    """A chain may name only active staff members with a phone, each once (ValidationError naming `key`)."""
    twice = next((name for index, name in enumerate(names) if name in names[:index]), None)
    if twice is not None:
        raise ValidationError(f"{key}: {twice} is in the chain twice; each person once", key)
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
