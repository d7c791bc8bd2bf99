"""A clock time the patient stated ("at 12:50am", "a las 2") as the real instant it names.

Pure: no clock of its own; `now` is passed in (the moment the text arrived, in the clinic's zone).

A stated time names the latest real instant at or before `now` at which a clock in `now`'s zone
read that time. Two days a year a wall-clock time is not one instant (issue 14, fault 1):

- in the hour repeated when clocks fall back (1:00-1:59 on the first Sunday of November in
  America/Chicago) it names two instants an hour apart; both are tried (`fold` 0 and 1);
- in the hour skipped when clocks spring forward (2:00-2:59 on the second Sunday of March) it names
  none. It is read both ways a clock could have shown it: with the offset before the jump (fold 0,
  as a clock not yet moved on would show it, the later instant) and with the offset after (fold 1,
  the earlier instant), and the gap is stepped over to whichever is latest and not in the future,
  once the clocks have jumped over it (before the jump, a skipped time is yesterday's).

Never a future instant: a dose is reported after it was taken ("at 2pm" sent at 1pm is yesterday's
2pm), except that a time at most AHEAD_IS_NOW ahead, whose last reading lies STALE_PAST or more back,
is read as now (patients round: "at 10" sent at 9:55 is the dose just taken, not last night's). Every comparison is made on real instants (UTC), never on wall-clock values, which Python
compares without their fold or offset when both carry the same zone. The latest instant is the
safe reading for a dose: acetaminophen is timed from it (SOP line 64, "≥ 6-8 h later"), so an
error makes the patient wait, never take a dose early.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal

Part = Literal["am", "pm"] | None
"""The half of the day the patient said: "am" ("am", "de la mañana", "in the morning"), "pm"
("pm", "de la tarde", "de la noche", "at night"), or None when they did not say."""

_DAYS_BACK = 4  # a stated time always falls within the last two calendar days; four is a margin
# A stated time at most AHEAD_IS_NOW ahead of the text is now when the clock last read it at least
# STALE_PAST ago: patients round ("took tylenol at 10" sent at 9:55, "at 10:10" sent at 10:05). Read as
# the half-day or day before, it would space the next dose from 12-24 h back and answer "take
# acetaminophen now" minutes after one (break-it pass); read as now, the next dose waits its full
# interval. STALE_PAST is SOP line 64's shortest repeat ("can repeat ... >= 6-8 h later"): a past reading
# nearer than that (the first 1:20 on the night clocks fall back) cannot permit an early dose, so it stands.
AHEAD_IS_NOW = timedelta(minutes=30)
STALE_PAST = timedelta(hours=6)


def latest_wall_time(now: datetime, hour: int, minute: int) -> datetime:
    """The latest real instant at or before `now` at which the wall clock in `now`'s zone read hour:minute,
    or `now` itself when the clock reads it within AHEAD_IS_NOW after `now` and last read it at least
    STALE_PAST ago (a rounded "just now", never a dose half a day back).

    `now`: aware (any tzinfo; zoneinfo for daylight saving) or naive (then wall-clock values are
    compared as they are). `hour` 0-23, `minute` 0-59. Returns an aware datetime in `now`'s zone
    whose wall clock is the real one for that instant (a skipped time comes back as the time the
    clock showed then, e.g. "2:40" on the spring-forward night as 1:40 CST), seconds zero.

    Raises ValueError for an hour or minute out of range (the caller checks them first).
    """
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"no clock time {hour}:{minute:02d}; hour 0-23, minute 0-59")
    zone = now.tzinfo
    if zone is None:  # no zone: a naive wall clock with no gaps or repeats
        candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        past = candidate if candidate <= now else candidate - timedelta(days=1)
        ahead = past + timedelta(days=1)
        return now if ahead - now <= AHEAD_IS_NOW and now - past >= STALE_PAST else past
    past = _latest_past(now, hour, minute)
    if past.astimezone(UTC) <= now.astimezone(UTC) - STALE_PAST and _just_ahead(now, time(hour, minute)):
        return now
    return past


def _latest_past(now: datetime, hour: int, minute: int) -> datetime:
    """latest_wall_time without the rounding rule: the latest real instant at or before `now` (aware)."""
    zone = now.tzinfo
    now_utc = now.astimezone(UTC)
    now_wall = now.replace(tzinfo=None)
    stated = time(hour, minute)
    day = now.date()
    for _ in range(_DAYS_BACK):
        wall = datetime.combine(day, stated)
        # fold 0 and fold 1 are one instant on an ordinary day, the two instants of a repeated time,
        # or the two readings of a skipped time (the offsets before and after the jump).
        instants = {wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
        skipped = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall
        if skipped and wall > now_wall:
            instants = set()  # the clocks have not jumped over it yet: it is not today's
        past = [instant for instant in instants if instant <= now_utc]
        if past:
            return max(past).astimezone(zone)
        day -= timedelta(days=1)
    raise ValueError(f"no {hour}:{minute:02d} in the {_DAYS_BACK} days before {now.isoformat()}")  # pragma: no cover


def _just_ahead(now: datetime, stated: time) -> bool:
    """True when the wall clock in `now`'s zone reads `stated` at a real instant after `now` and at most
    AHEAD_IS_NOW after it (today's or, just before midnight, tomorrow's)."""
    zone = now.tzinfo
    now_utc = now.astimezone(UTC)
    for day in (now.date(), now.date() + timedelta(days=1)):
        wall = datetime.combine(day, stated)
        for fold in (0, 1):
            instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
            if wall.replace(tzinfo=zone, fold=fold).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
                continue  # a time the clocks skip: the clock never reads it
            if now_utc < instant <= now_utc + AHEAD_IS_NOW:
                return True
    return False


def resolve_stated_time(now: datetime, hour: int, minute: int, part: Part) -> datetime:
    """The instant a patient meant by "at `hour`:`minute` `part`", the latest one at or before `now`.

    `hour` as written: 1-12 with a part ("2 pm", "12:50am"), 0-23 without. `part` None and
    hour 1-12 ("at 2", "a las 2"): 2 AM or 2 PM, whichever came last, chosen on real instants.
    12 am is midnight (00:xx), 12 pm is noon. An hour 13-23 with a part is read as the 24-hour
    time it is ("14 de la tarde").

    Returns an aware datetime in `now`'s zone, never after `now`. Raises ValueError for an hour or
    minute out of range (0-23, 0-59).
    """
    if part == "pm" and hour <= 12:
        return latest_wall_time(now, hour % 12 + 12, minute)
    if part == "am" and hour <= 12:
        return latest_wall_time(now, hour % 12, minute)
    if part is not None or hour >= 13 or hour == 0:
        return latest_wall_time(now, hour, minute)
    morning = latest_wall_time(now, hour % 12, minute)
    afternoon = latest_wall_time(now, hour % 12 + 12, minute)
    return max(morning, afternoon, key=lambda moment: moment.astimezone(UTC) if moment.tzinfo else moment)
