"""Clinic hours: whether an urgent patient is told to call the clinic or go to the ED.

SOP 5, Grade 2: "If after hours without access to appropriate outpatient treatment area ...
recommend ED evaluation".
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .model import ClinicHours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _day(moment: datetime) -> str:
    return WEEKDAYS[moment.weekday()]


def in_clinic_hours(hours: ClinicHours, now: datetime) -> bool:
    """True when `now` falls in the clinic's opening hours, in the clinic's own time zone.

    `now` must be timezone-aware; it is converted with zoneinfo, so the hours follow the local
    clock across both daylight-saving changes. Opening is inclusive, closing exclusive
    (08:00-17:00 means 08:00 is open and 17:00 is closed). Day names are matched on their first
    three letters, case-insensitively ("Mon", "monday"). Hours whose close is not after open
    (e.g. 20:00-02:00) run past midnight and belong to the day they open.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("in_clinic_hours needs a timezone-aware datetime")
    local = now.astimezone(ZoneInfo(hours.timezone))
    days = {day.strip().lower()[:3] for day in hours.days}
    clock = local.time().replace(tzinfo=None)
    if hours.open < hours.close:
        return _day(local) in days and hours.open <= clock < hours.close
    opened_today = _day(local) in days and clock >= hours.open
    opened_yesterday = _day(local - timedelta(days=1)) in days and clock < hours.close
    return opened_today or opened_yesterday


def urgent_instruction(hours: ClinicHours, now: datetime) -> str:
    """The urgent reply's template key: call the clinic in hours, the emergency department after."""
    return "reply_urgent_in_hours" if in_clinic_hours(hours, now) else "reply_urgent_after_hours"
