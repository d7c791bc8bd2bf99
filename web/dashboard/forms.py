"""Form fields to the JSON-shaped bodies the service layer validates (the API and the forms share the rules)."""
from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from monitoring.clinic import ValidationError


def text(form, name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def whole_number(form, name: str, label: str) -> int | None:
    value = text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"{label} must be a whole number", name) from None


def number(form, name: str, label: str) -> float | None:
    value = text(form, name)
    if value is None:
        return None
    try:
        parsed = float(value.replace(",", "."))
    except ValueError:
        raise ValidationError(f"{label} must be a number", name) from None
    if not math.isfinite(parsed):
        raise ValidationError(f"{label} must be a number", name)
    return int(parsed) if parsed.is_integer() else parsed


def checkbox(form, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


def local_time(form, name: str, tz: ZoneInfo, label: str) -> str | None:
    """A datetime-local field (clinic time, no offset) as ISO 8601 with the clinic's offset."""
    value = text(form, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{label} must be a date and time, like 2026-03-03 10:00", name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat()


def local_input_value(moment: datetime, tz: ZoneInfo) -> str:
    """The value a datetime-local input shows for `moment` in clinic time."""
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def drop_none(body: dict) -> dict:
    return {key: value for key, value in body.items() if value is not None}
