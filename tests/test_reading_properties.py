"""Properties of reading (issue 14), where a table cannot reach.

- A stated clock time resolves to an instant at or before the text, on any minute of any day of
  2026 and 2027 in America/Chicago and America/New_York; the days the clocks change (and the days
  after them) are drawn as often as all other days together. Where the time was shown on the clock
  that day it is exactly the latest instant the clock showed it (checked minute by minute).
- parse never raises on any text, number words and digits mixed in.
- A reading that needed a guessed decimal never gets the routine "No fever now" reply: the reply key
  is chosen by the function monitoring.inbound uses (`triage.replies.reply_keys`) on triage's own assessment.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messages.parse import Parsed, parse
from messages.reading.clock import resolve_stated_time
from messages.reading.number_words import vocabularies
from messages.texts import template
from monitoring.inbound import _reading_values, _said
from triage import assess, replies
from triage.model import ClinicHours, History, Profile, Reading, Thresholds

ZONES = [ZoneInfo("America/Chicago"), ZoneInfo("America/New_York")]
CLOCK_CHANGES = [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)]
DAYS = st.one_of(
    st.sampled_from(CLOCK_CHANGES + [day + timedelta(days=1) for day in CLOCK_CHANGES]),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
)


@st.composite
def moments(draw) -> datetime:
    """A real instant, to the second, on a day of 2026-2027 in one of the zones (25-hour days included)."""
    zone = draw(st.sampled_from(ZONES))
    midnight = datetime.combine(draw(DAYS), time(0), tzinfo=zone).astimezone(UTC)
    seconds = draw(st.one_of(st.integers(0, 25 * 3600 - 1), st.integers(3600, 5 * 3600)))  # around the change
    return (midnight + timedelta(seconds=seconds)).astimezone(zone)


STATED = st.one_of(
    st.tuples(st.integers(1, 12), st.integers(0, 59), st.sampled_from(["am", "pm", None])),
    st.tuples(st.sampled_from([1, 2]), st.integers(0, 59), st.sampled_from(["am", None])),  # the hours that change
    st.tuples(st.integers(0, 23), st.integers(0, 59), st.just(None)),
)


def _shows(moment: datetime, hour: int, minute: int) -> bool:
    return (moment.hour, moment.minute) == (hour, minute)


def _skipped(now: datetime, hours: tuple[int, ...], minute: int) -> bool:
    """Whether the stated wall time never showed on `now`'s day: the hour the clocks skip in spring ("2:15" on
    2026-03-08 in Chicago, said at 3:15, is read as now, within the hour of the jump: the last branch's rule)."""
    for hour in hours:
        wall = datetime.combine(now.date(), time(hour, minute), tzinfo=now.tzinfo)
        if wall.astimezone(UTC).astimezone(now.tzinfo).replace(tzinfo=None) != wall.replace(tzinfo=None):
            return True
    return False


def _wall_hours(hour: int, part: str | None) -> tuple[int, ...]:
    if part == "am":
        return (hour % 12,)
    if part == "pm":
        return (hour % 12 + 12,)
    return (hour,) if hour == 0 or hour >= 13 else (hour % 12, hour % 12 + 12)


@settings(max_examples=400, deadline=None)
@given(now=moments(), stated=STATED)
def test_a_stated_time_is_the_latest_instant_at_or_before_now(now, stated):
    hour, minute, part = stated
    resolved = resolve_stated_time(now, hour, minute, part)
    now_utc, resolved_utc = now.astimezone(UTC), resolved.astimezone(UTC)
    assert resolved_utc <= now_utc
    assert now_utc - resolved_utc < timedelta(hours=49)
    assert resolved.tzinfo is now.tzinfo
    hours = _wall_hours(hour, part)
    if resolved_utc == now_utc and not any(_shows(resolved, h, minute) for h in hours):
        # a rounded "just now" (clock.AHEAD_IS_NOW): the clock reads it within the next half hour, and last
        # read it at least STALE_PAST ago (minute by minute, on real instants)
        ahead = [now_utc + timedelta(minutes=m) for m in range(1, 31)]
        if not any(_shows(step.astimezone(now.tzinfo), h, minute) for step in ahead for h in hours):
            # or a wall time the spring clocks skipped, read as now within the hour of the jump
            assert _skipped(now, hours, minute) and resolved.date() in CLOCK_CHANGES and resolved.hour in (1, 2, 3), (
                now, stated, resolved)
            return
        back = [now_utc - timedelta(minutes=m) for m in range(6 * 60)]
        assert not any(_shows(step.astimezone(now.tzinfo), h, minute) for step in back for h in hours)
    elif any(_shows(resolved, h, minute) for h in hours):
        # no later minute up to now showed the stated time (minute by minute, on real instants)
        step = resolved_utc.replace(second=0) + timedelta(minutes=1)
        while step <= now_utc:
            assert not any(_shows(step.astimezone(now.tzinfo), h, minute) for h in hours), (now, stated, resolved)
            step += timedelta(minutes=1)
    else:
        # a time the clocks skipped: read within the hour of the jump, on a day the clocks changed
        assert resolved.date() in CLOCK_CHANGES and resolved.hour in (1, 2, 3), (now, stated, resolved)


@settings(max_examples=300, deadline=None)
@given(now=moments(), stated=st.tuples(st.integers(1, 12), st.integers(0, 59), st.sampled_from(["am", "pm", ""])))
def test_a_dose_time_said_in_a_text_is_never_in_the_future(now, stated):
    hour, minute, part = stated
    parsed = parse(f"took 1000 mg tylenol at {hour}:{minute:02d}{part}", now)
    assert [m.taken_at.astimezone(UTC) <= now.astimezone(UTC) for m in parsed.medications] == [True]


WORDS = sorted({word for v in vocabularies() for word in
                (*v.number_words, *v.decimal_point, *v.tens_join, *v.hundred_join, *v.follow, *v.fillers,
                 *(" ".join(p) for p in (*v.labels, *v.half, *v.clock_words)))})
TOKENS = st.one_of(st.sampled_from(WORDS), st.integers(0, 1100).map(str),
                   st.sampled_from(["took", "tylenol", "mg", "at", "pm", "ago", "hours", "no", "dizzy", ".", ",", "-",
                                    "/", "%", "°", "?", "100.4", "38,5", "\n", "🤒", "ACK", "STOP", "times", "años"]),
                   st.text(max_size=6))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tokens=st.lists(TOKENS, max_size=18), joiner=st.sampled_from([" ", "-", "  ", ""]), now=moments())
def test_parse_never_raises_on_number_words_and_digits(tokens, joiner, now):
    parsed = parse(joiner.join(tokens), now)
    assert isinstance(parsed, Parsed)
    assert all(m.taken_at is None or m.taken_at.astimezone(UTC) <= now.astimezone(UTC) for m in parsed.medications)


WHOLES = st.one_of(st.integers(93, 109).map(str), st.integers(34, 42).map(str),
                   st.sampled_from(["ninety eight", "ninety nine", "a hundred", "one hundred", "treinta y siete",
                                    "noventa y nueve", "cien", "thirty seven"]))
SEPARATORS = st.sampled_from([" ", "'", "\u2019", "\u00b7", ". ", " point ", " punto ", " coma ", "  ", ", ", " pt ", "-", " con "])
NOW = datetime(2026, 3, 3, 13, 0, tzinfo=ZoneInfo("America/Chicago"))


@settings(max_examples=600, deadline=None)
@given(prefix=st.sampled_from(["", "temp ", "temp is ", "my temperature was ", "tengo ", "it's ", "fiebre "]),
       whole=WHOLES, separator=SEPARATORS, digit=st.integers(0, 9),
       suffix=st.sampled_from(["", " F", " f", " now", " grados", " degrees", " thanks", " feeling fine", "!"]))
def test_a_guessed_decimal_never_gets_no_fever_now(prefix, whole, separator, digit, suffix):
    parsed = parse(f"{prefix}{whole}{separator}{digit}{suffix}", NOW)
    if separator.strip() not in ("point", "punto", "coma") and parsed.temperature_c is not None:
        assert parsed.temperature_guessed  # the digit beside it was read as a decimal by guessing
    if not parsed.temperature_guessed:
        return
    values = _reading_values(parsed)
    reading = Reading(taken_at=NOW, **{field: values[field] for field in
                                       ("temperature_c", "systolic", "diastolic", "spo2", "heart_rate")})
    assessment = assess(Thresholds(), Profile(dose_given_at=NOW - timedelta(hours=20)), History(), reading, NOW,
                        ClinicHours())
    body = f"{prefix}{whole}{separator}{digit}{suffix}"
    key = replies.reply_keys(_said(parsed, body), assessment)[0].key
    assert key != "reply_routine"
    assert "No fever now" not in template(key, "en")
