"""Times said in a text: "at 2pm", "at 14:30", "a las 2", "30 min ago", "hace 30 minutos"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .clock import Part, latest_wall_time, resolve_stated_time
from .model import Work
from .vitals import vital_by_context

# ---------------------------------------------------------------------------------------------
# Times: "at 2pm", "at 14:30", "a las 2", "30 min ago", "an hour ago", "hace 30 minutos"

_AMOUNT = r"(\d+(?:[.,]\d+)?|an?|one|two|three|half an?|una?|media|dos|tres)"
_WORD_AMOUNTS = {"a": 1, "an": 1, "one": 1, "una": 1, "un": 1, "two": 2, "dos": 2, "three": 3,
                 "tres": 3, "half a": 0.5, "half an": 0.5, "media": 0.5}
_UNIT = r"(minutes?|mins?|minutos?|m|hours?|hrs?|h|horas?)"
_RELATIVE = re.compile(
    rf"\b(?:{_AMOUNT}\s*{_UNIT}\s+ago|hace\s+{_AMOUNT}\s*{_UNIT})\b(?:\s+(?:and a half|y media))?")
_CLOCK = re.compile(
    r"(?:(?:\b(?:at|around|about|by|a\s+las?|como\s+a\s+las?|at\s+about)|@)\s*)?"
    r"(?<![\d.,/])(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?)?(?!\w|[.,]\d)"
    r"(?:\s+de\s+la\s+(manana|tarde|noche)|\s+(in the morning|in the afternoon|in the evening|at night))?")
# A clock time typed without its colon: "took tylenol at 230", "at 1130", "930pm". Read as nothing, "at 230" was an
# implausible temperature ("measure again") and the dose was timed at the text's arrival, not at 2:30 (SOP 5 Grade 1
# Home: the next acetaminophen >= 6-8 h after it). Only with "at"/"a las"/"@" before it or am/pm after it, and never
# a plausible temperature with no am/pm ("fever at 101", "temp at 100": SOP 4, fever >= 100.4 F, is never read away).
_UNIT_AFTER = r"(?!\s*(?:mg|mgs|milligrams?|miligramos?|grams?|gms?|g|f|c|degrees?|grados?|deg)\b|\s*°)"
_CLOCK_DIGITS = re.compile(
    r"(?:(?:\b(?:at|around|about|by|a\s+las?|como\s+a\s+las?|at\s+about)|@)\s*(?<![\d.,/])(?P<labelled>\d{3,4})"
    r"(?:\s*(?P<meridiem>am|pm|a\.m\.?|p\.m\.?))?"
    r"|(?<![\w.,/])(?P<bare>\d{3,4})\s*(?P<bare_meridiem>am|pm|a\.m\.?|p\.m\.?))"
    rf"(?!\w|[.,]\d){_UNIT_AFTER}")
# "102 am i ok", "temp is 101 am I supposed to take tylenol": "am" the verb, not the morning. Read as 1:02 AM, the fever
# was read away: "could not read that", or a dose timed at 1:01 AM and no fever advice (SOP 4 Grading: >= 100.4 F).
_AM_THE_VERB = re.compile(r"\s+i\b")
_NOON = re.compile(r"\b(?:at\s+)?(noon|midday|midnight|(?:al\s+)?mediodia|medianoche)\b")
_VAGUE = re.compile(r"\b(this morning|last night|earlier|yesterday|esta manana|anoche|ayer|hoy temprano)\b")
# Of those, the words that place a time no more precisely than "earlier" (a page says "said earlier" already)
ONLY_EARLIER = frozenset({"earlier", "hoy temprano"})


@dataclass(frozen=True)
class TimeSaid:
    """A time the text states ("at 2pm", "30 min ago"): its span in the text, the words, and the instant it
    names, or None when it cannot be placed."""

    start: int
    end: int
    raw: str
    at: datetime | None


def _ago(now: datetime, delta: timedelta) -> datetime:
    """Elapsed time, not wall-clock time: "30 min ago" stays 30 minutes across a DST change."""
    return (now.astimezone(UTC) - delta).astimezone(now.tzinfo)


# Resolving a stated clock time to an instant (issue 14, fault 1: times across a daylight-saving change)
# is messages.reading.clock's: the latest real instant at or before the text, never a future one.
_PARTS: dict[str, Part] = {"a": "am", "p": "pm"}  # the half of the day as _CLOCK reads it


def _stated_clock_time(now: datetime, hour: int, minute: int, part: str) -> datetime:
    """The instant a stated clock time means: `part` is "a" (am, morning), "p" (pm, afternoon,
    evening, night) or "" (not said: "at 2" is 2 AM or 2 PM, whichever came last in real time)."""
    return resolve_stated_time(now, hour, minute, _PARTS.get(part))


def _most_recent(now: datetime, hour: int, minute: int) -> datetime:
    """The latest real instant at or before `now` at which the clock showed hour:minute."""
    return latest_wall_time(now, hour, minute)


def extract_times(work: Work, now: datetime | None) -> list[TimeSaid]:
    """Every stated time in the text, placed against `now` (the text's arrival, local; None: unplaced), marking
    what it read as taken in `work`."""
    times: list[TimeSaid] = []
    for m in work.find(_RELATIVE):
        amount_text = (m.group(1) or m.group(3)).replace(",", ".")
        unit = m.group(2) or m.group(4)
        amount = float(amount_text) if amount_text[0].isdigit() else _WORD_AMOUNTS.get(amount_text, 1)
        if m.group(0).endswith(("and a half", "y media")):
            amount += 0.5
        minutes = amount if unit.startswith("m") else amount * 60
        at = _ago(now, timedelta(minutes=minutes)) if now is not None and minutes <= 48 * 60 else None
        times.append(TimeSaid(m.start(), m.end(), m.group(0), at))
        work.take(m.start(), m.end())
    for m in work.find(_NOON):
        word = m.group(1)
        hour = 0 if word.startswith("mid") and "night" in word or word == "medianoche" else 12
        at = _most_recent(now, hour, 0) if now is not None else None
        times.append(TimeSaid(m.start(), m.end(), m.group(0), at))
        work.take(m.start(), m.end())
    for m in work.find(_CLOCK):
        hour_text, minute_text, meridiem, es_part, en_part = m.groups()
        labelled = m.group(0)[0].isalpha() or m.group(0).startswith("@")
        if not (minute_text or meridiem or labelled):
            continue  # a bare number is a reading, not a time
        hour, minute = int(hour_text), int(minute_text or 0)
        if hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
            continue
        if meridiem == "am" and _AM_THE_VERB.match(work.text, m.end()):
            # "took tylenol at 2 am i ok? 101" at 3 PM: 2 AM, 13 h ago, and the fever told to take more now (SOP 5
            # Grade 1 Home: repeat >= 6-8 h later). The verb: no half of the day, the latest 2:00.
            meridiem = None
            if not (minute_text or labelled):
                continue  # "2 am i ok": a bare number, as without "am"
        part = (meridiem or "")[:1] or {"manana": "a", "tarde": "p", "noche": "p"}.get(es_part or "", "")
        if en_part:
            part = "a" if "morning" in en_part else "p"
        at = _stated_clock_time(now, hour, minute, part) if now is not None else None
        times.append(TimeSaid(m.start(), m.end(), m.group(0).strip(), at))
        work.take(m.start(), m.end())
    for m in work.find(_CLOCK_DIGITS):
        digits = m.group("labelled") or m.group("bare")
        meridiem = m.group("meridiem") or m.group("bare_meridiem") or ""
        hour, minute = int(digits[:-2]), int(digits[-2:])
        if hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
            continue
        if meridiem == "am" and _AM_THE_VERB.match(work.text, m.end()):
            meridiem = ""  # "102 am i ok": the verb, no half of the day
        if 93 <= int(digits) <= 109 and (not meridiem or (
                m.group("bare") and vital_by_context(work.text, m.start()) == "temperature")):
            continue  # "at 101", "temp 101 pm": a temperature (triage.ranges: 93-109 F), never a time
        if not meridiem and 930 <= int(digits) <= 1099 and vital_by_context(work.text, m.start()) == "temperature":
            continue  # "fever at 1012", "temp at 1004": a temperature typed without its point, "measure again"
        at = _stated_clock_time(now, hour, minute, meridiem[:1]) if now is not None else None
        times.append(TimeSaid(m.start(), m.end(), m.group(0).strip(), at))
        work.take(m.start(), m.end())
    for m in work.find(_VAGUE):
        times.append(TimeSaid(m.start(), m.end(), m.group(0), None))
        work.take(m.start(), m.end())
    work.times.extend((t.start, t.end) for t in times)
    return times
