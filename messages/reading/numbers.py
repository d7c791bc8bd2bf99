"""Numbers: a decimal point written another way ("100 7"), and counts that are not readings."""
from __future__ import annotations

import re

from . import vocabulary
from .model import Work
from .normalise import letter_o_as_zero, plain_words
from .number_words import number_words_to_digits


def guessed_decimal(body: str | None) -> bool:
    """True when a temperature in `body` had its decimal point written another way and was read by
    guessing ("100 7" as 100.7): such a reading must never be answered "No fever now" (issue 14)."""
    return decimal_guessed_in(number_words_to_digits(plain_words(body or "")))  # "ninety nine 1" too


def decimal_guessed_in(plain: str) -> bool:
    """`guessed_decimal` for a body already through `normalise.plain_words`."""
    return any(join_decimal(match) != match.group(0) for match in SPLIT_DECIMAL.finditer(plain))


def join_decimals(plain: str) -> str:
    """`plain` with each temperature whose decimal point was written another way joined: "100 7" -> "100.7"."""
    return SPLIT_DECIMAL.sub(join_decimal, HALF.sub(lambda m: f"{m.group('whole')}.5", plain))


# A temperature whose decimal point was written another way: "100 7", "100'7", "100·7" (both become a
# space above), "100. 7", "100 point 7", "38 punto 5". Dropping the digit would read "100 4" as 100.0 and
# answer "No fever now" at the fever line (SOP 4: >= 100.4 F); it is read as the decimal when the whole
# number is a plausible temperature in F (93-109) or C (34-42), and not when the number belongs to
# another vital or the digit counts something ("101 2 hours ago"). parse() marks such a reading as
# guessed, and a guessed reading never gets the routine "No fever now".
# A medicine named right after the digit makes the digit a count ("101, 2 tylenol", "101 2 extra strength"), never a decimal.
_MEDICINE_NAMES = "|".join(sorted(vocabulary.mapping("medicines", "names"), key=len, reverse=True))
SPLIT_DECIMAL = re.compile(
    r"(?<![\d.,/])\b(?P<whole>9[3-9]|10[0-9]|3[4-9]|4[0-2])"
    # the decimal mark written another way: "100. 7", "100'7", "100, 7", "100-5", "100 point 7", "100 pt 5",
    # "38 punto 5", "38 coma 5", "38 con 5", or a bare space; "100/4" and "100;4" too (the key beside the point on
    # some phones: read as 100, "No fever now" at the fever line; a blood pressure has two digits under the slash); and
    # "38°5", "37º8", as much of Europe and Latin America writes a temperature (read as 38.0 and 37.0, the tenths lost)
    r"(?:\s*\.\s+|\s*'\s*|\s*,\s+|\s*-\s*|\s*/\s*|\s*;\s*|\s*°\s*|\s+(?:point|pt|dot|punto|coma|con)\s+|\s+)"
    r"(?P<digit>\d)\b"
    r"(?![.,/]?\d)(?!\s*(?:h|hr|hrs|hours?|horas?|min|mins|minutes?|minutos?|days?|dias?|am|pm|times?|veces|"
    rf"tabs?|tablets?|pills?|pastillas?|tabletas?|mg|x|over|sobre|de|(?:extra|regular)\s+strength|{_MEDICINE_NAMES})\b)")
# A half said after a whole temperature: "100 and a half", "100 & a half", "100 1/2" (and "½"), "38 y medio",
# "38 y media". Said, not guessed: the reading is that number and a half.
HALF = re.compile(r"(?<![\d.,/])\b(?P<whole>9[3-9]|10[0-9]|3[4-9]|4[0-2])\s*"
                  r"(?:(?:and|&)\s+a\s+half|y\s+medi[oa]|1\s*/\s*2)(?![\d/])")
_OTHER_VITAL = re.compile(r"(?:o2|sat|sats|spo2|ox|oxygen|oxigeno|bp|pressure|presion|tension|pulse|pulso|hr|heart|"
                          r"rate|fc|ppm|bpm|systolic|sistolica)\W*$")

def join_decimal(match: re.Match[str]) -> str:
    """The decimal a SPLIT_DECIMAL match stands for ("100.7"), or the match as written after another vital's label."""
    before = match.string[max(0, match.start() - 14):match.start()]
    if _OTHER_VITAL.search(before):
        return match.group(0)
    return f"{match.group('whole')}.{match.group('digit')}"



# Counts and durations that are not readings: "day 2", "3 days", "for 2 hours", "2 times", "2 doses" (was an implausible
# temperature: "measure again"), "2nd", "2º dosis".
# A number after "day"/"dia" that has a decimal or a degree mark is the temperature, not the day: "3rd day 101.2",
# "1er dia 38.5", "5º dia 38º" were read as day 101 / day 38 and the fever as nothing ("could not read that", no
# acetaminophen advice: SOP 4 Grading, fever >= 100.4 F / 38 C). A day, dose or cycle is counted in one or two digits.
# A Spanish ordinal written with a degree sign ("2º dosis", "2° ciclo": º is read as °) was an implausible temperature
# ("measure again"); it is an ordinal only under 34, so "38° dia 2" stays a temperature.
_ORDINAL_NOUNS = r"(?:dosis|doses?|dias?|days?|ciclos?|cycles?|semanas?|weeks?|vez|infusion|inyeccion|injection|shot)"
_COUNTS = re.compile(
    r"(?:\b(?P<day>day|dia)\s*|\b(?:dose|dosis|cycle|ciclo)\s*|#)\d{1,2}\b"
    r"(?![.,]\d|\s*(?:°|(?:degrees?|grados?|deg|f|c)\b))"
    r"|(?<![\d.,])\d+\s*(?:days?|dias?)\b(?!\s*\d)"
    r"|(?<![\d.,])\d+\s*(?:times?|veces|weeks?|doses|dosis|"
    r"semanas?|hours?|hrs?|horas?|minutes?|mins?|minutos?|x|st|nd|rd|th)\b"
    rf"|(?<![\d.,])(?:[0-9]|[12][0-9]|3[0-3])\s*°\s*(?={_ORDINAL_NOUNS}\b)")


# A day already counted by an ordinal before it ("3rd day 38", "2º dia 38"): the number after it is no day. Read as the
# day, "2nd day 39" was read as nothing ("could not read that"), a fever with no acetaminophen advice (SOP 4 Grading:
# fever >= 100.4 F / 38 C). And "temp 38 day 2" is 38 on day 2, not "38 days" and a temperature of 2 ("measure again").
_ORDINAL_BEFORE = re.compile(r"\d\s*(?:st|nd|rd|th|er|ro|do|da|to|vo|°)\s*$")


def drop_counts(work: Work) -> None:
    """Take out numbers that count days, hours, doses or ordinals ("day 3", "2 hours"): no vital sign."""
    for m in work.find(_COUNTS):
        if m.group("day") and _ORDINAL_BEFORE.search(work.text, 0, m.start()):
            continue
        work.take(m.start(), m.end())


def within(value: int, bounds: tuple[int, int]) -> bool:
    """True when bounds[0] <= value <= bounds[1] (both ends included)."""
    return bounds[0] <= value <= bounds[1]


# A temperature that ends its text in a decimal point ("Temp 100.", "temperatura 37,": the Spanish mark): the
# patient may have sent the text before the digit after the point (issue 14, fault 2). SOP 4 puts fever at
# >= 100.4 F, so "100." may be a fever or not: the reading is marked guessed (never "No fever now") and a lone
# digit that follows completes it (monitoring.inbound).
_TRAILING_POINT = re.compile(r"(?<![\d.,])(\d{2,3})[.,]$")


def open_decimal(body: str | None, temperature_raw: str | None) -> str | None:
    """The temperature's whole number as written ("100") when `body` ends in it and a decimal point and it is
    the temperature that was read (`temperature_raw`, Parsed's), else None."""
    found = _TRAILING_POINT.search(letter_o_as_zero((body or "").strip().casefold()))  # "Temp 1OO." too
    if found is None or (temperature_raw or "").strip() != found.group(1):
        return None
    return found.group(1)
