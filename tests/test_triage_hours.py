"""Clinic hours in the clinic's own zone: weekdays, weekends, edges and both DST changes (Chicago)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from triage import ClinicHours, in_clinic_hours
from triage.hours import urgent_instruction

CHICAGO = ZoneInfo("America/Chicago")
HOURS = ClinicHours()  # America/Chicago, 08:00-17:00, mon-fri


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "now, open_",
    [
        pytest.param(utc(2026, 3, 3, 14, 0), True, id="tue-08:00-cst-opens-inclusive"),
        pytest.param(utc(2026, 3, 3, 13, 59), False, id="tue-07:59-cst-closed"),
        pytest.param(utc(2026, 3, 3, 22, 59), True, id="tue-16:59-cst-open"),
        pytest.param(utc(2026, 3, 3, 23, 0), False, id="tue-17:00-cst-closes-exclusive"),
        pytest.param(utc(2026, 3, 4, 4, 0), False, id="tue-22:00-cst-after-hours"),
        pytest.param(utc(2026, 3, 4, 3, 0), False, id="utc-wed-03:00-is-tue-21:00-chicago-closed"),
        pytest.param(utc(2026, 3, 7, 17, 0), False, id="sat-11:00-weekend-closed"),
        pytest.param(utc(2026, 3, 8, 17, 0), False, id="sun-12:00-weekend-closed"),
        pytest.param(utc(2026, 3, 6, 20, 0), True, id="fri-14:00-open"),
        pytest.param(utc(2026, 3, 7, 1, 0), False, id="utc-sat-01:00-is-fri-19:00-closed"),
        pytest.param(utc(2026, 3, 9, 14, 30), True, id="utc-mon-14:30-is-mon-08:30-cdt-open"),
        # Spring forward: Sunday 2026-03-08 02:00 CST -> 03:00 CDT; 08:00 local moves from 14:00 to 13:00 UTC.
        pytest.param(utc(2026, 3, 6, 13, 30), False, id="dst-spring-fri-13:30utc-is-07:30-cst-closed"),
        pytest.param(utc(2026, 3, 9, 13, 30), True, id="dst-spring-mon-13:30utc-is-08:30-cdt-open"),
        pytest.param(utc(2026, 3, 9, 12, 59), False, id="dst-spring-mon-07:59-cdt-closed"),
        pytest.param(utc(2026, 3, 9, 22, 0), False, id="dst-spring-mon-17:00-cdt-closed"),
        # Fall back: Sunday 2026-11-01 02:00 CDT -> 01:00 CST; 08:00 local moves from 13:00 to 14:00 UTC.
        pytest.param(utc(2026, 10, 30, 13, 30), True, id="dst-fall-fri-13:30utc-is-08:30-cdt-open"),
        pytest.param(utc(2026, 11, 2, 13, 30), False, id="dst-fall-mon-13:30utc-is-07:30-cst-closed"),
        pytest.param(utc(2026, 11, 2, 14, 0), True, id="dst-fall-mon-08:00-cst-open"),
        pytest.param(utc(2026, 11, 2, 22, 30), True, id="dst-fall-mon-16:30-cst-open"),
        pytest.param(utc(2026, 11, 2, 23, 0), False, id="dst-fall-mon-17:00-cst-closed"),
    ],
)
def test_in_clinic_hours(now, open_):
    assert in_clinic_hours(HOURS, now) is open_
    assert urgent_instruction(HOURS, now) == ("reply_urgent_in_hours" if open_ else "reply_urgent_after_hours")


def test_any_offset_is_converted_to_the_clinic_zone():
    tokyo = ZoneInfo("Asia/Tokyo")
    # Wed 00:30 in Tokyo is Tue 09:30 in Chicago.
    assert in_clinic_hours(HOURS, datetime(2026, 3, 4, 0, 30, tzinfo=tokyo))
    assert in_clinic_hours(HOURS, datetime(2026, 3, 3, 9, 30, tzinfo=CHICAGO))
    assert not in_clinic_hours(HOURS, datetime(2026, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=9))))


@pytest.mark.parametrize(
    "hours, now, open_",
    [
        pytest.param(ClinicHours(days=frozenset({"sat"})), utc(2026, 3, 7, 17, 0), True, id="saturday-clinic-open"),
        pytest.param(ClinicHours(days=frozenset({"Mon", "tuesday"})), utc(2026, 3, 3, 15, 0), True,
                     id="day-names-any-case-and-length"),
        pytest.param(ClinicHours(timezone="America/New_York"), utc(2026, 3, 3, 13, 30), True,
                     id="new-york-08:30-open"),
        pytest.param(ClinicHours(open=time(20, 0), close=time(2, 0), days=frozenset({"fri"})),
                     utc(2026, 3, 7, 7, 0), True, id="overnight-fri-20-to-02-open-sat-01:00"),
        pytest.param(ClinicHours(open=time(20, 0), close=time(2, 0), days=frozenset({"fri"})),
                     utc(2026, 3, 6, 7, 0), False, id="overnight-fri-only-closed-fri-01:00"),
        pytest.param(ClinicHours(days=frozenset()), utc(2026, 3, 3, 15, 0), False, id="no-days-never-open"),
    ],
)
def test_clinic_hours_settings(hours, now, open_):
    assert in_clinic_hours(hours, now) is open_


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        in_clinic_hours(HOURS, datetime(2026, 3, 3, 9, 0))
