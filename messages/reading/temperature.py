"""Temperature: what numbers are left once every other reading is taken."""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from decimal import Decimal

from triage.model import Thresholds
from triage.ranges import THRESHOLD_RANGES, celsius_from, plausible, temperature_unit

from . import vocabulary
from .model import EarlierFever, Work
from .times import TimeSaid

_TEMP = re.compile(
    r"(?:(?<=t)|(?<=temp)|(?<=fever)|(?<![\w.,]))(?P<num>\d{1,5}(?:[.,]\d{1,3})?)(?![\d])\s*"
    r"(?P<unit>°\s*(?:f|c)?|degrees?\s*(?:f|c|fahrenheit|celsius)?|deg\s*(?:f|c)?|grados?(?:\s+(?:f|c|fahrenheit|celsius))?|"
    r"fahrenheit|celsius|centigrados?|f|c)?(?![a-z])")


# A temperature read: (degrees C, as written, "C" or "F", start, end in the text).
_Reading = tuple[float, str, str, int, int]

_FAHRENHEIT = vocabulary.words("units", "fahrenheit")
_CELSIUS = vocabulary.words("units", "celsius")


def _unit(written: str) -> str | None:
    """ "F", "C" or None (a bare degree sign, "degrees", "grados": the value decides)."""
    last = re.findall(r"[a-z]+", written)
    word = last[-1] if last else ""
    if word in _FAHRENHEIT:
        return "F"
    if word in _CELSIUS:
        return "C"
    return None


# "under 100.4", "menos de 38": a temperature said only as below a number at or below the SOP's fever line (SOP 4
# Grading: fever >= 100.4 F / 38.0 C) is no reading; read as the number, it was a fever ("You have a fever. Take
# acetaminophen now", and for a high-risk patient an urgent page). Above the line the number stays the reading.
_BELOW = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'below')})\s*$")
_FEVER_LINE_C = Thresholds().fever_c
_NOW_AFTER = re.compile(rf"\s*(?:{vocabulary.alternation('temperature_marks', 'now')}|"
                        rf"{vocabulary.alternation('temperature_marks', 'today')})\b")
_RECHECK_IN = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'recheck_in')})\s+$")
# An earlier temperature is kept when it is a fever by the lowest line a clinic may set ([thresholds] fever_c): the
# clinic's own line decides which are its fevers (monitoring.care.earlier_fevers). Kept by the SOP's default line
# (38.0 C) alone, a clinic at 37.8 C had "37.9 at 2pm, now 37.0" stored and paged as nothing.
_EARLIER_FEVER_FLOOR_C = THRESHOLD_RANGES["fever_c"][0]


def extract_temperature(work: Work, times: Sequence[TimeSaid] = ()) -> dict[str, object]:
    """The current temperature among the numbers left: {"temperature_c", "temperature_raw",
    "temperature_unit"}, with "earlier_fevers" when the text gives a fever as earlier than it (`times`: the times
    the text states, extract_times's, to place each), or {"implausible": ["temperature"]} when every number left is
    one no body shows, or {} when none is left. What a body shows, and F to C, are triage.ranges's: one
    definition for the reader, triage and the app API (issue 14, fault 5)."""
    readings: list[_Reading] = []
    implausible = below_line = False
    for m in work.find(_TEMP):
        value = Decimal(m.group("num").replace(",", "."))
        unit = _unit(m.group("unit") or "") or temperature_unit(value)
        celsius = celsius_from(value, unit) if unit is not None else None
        if (m.group("unit") is None and m.group("num").isdigit() and unit == "C"
                and _RECHECK_IN.search(work.text, 0, m.start()) and not _NOW_AFTER.match(work.text, m.end())):
            pass  # "recheck in 40": minutes read as Celsius, no reading and no implausible one
        elif (celsius is not None and plausible("temperature_c", celsius) and celsius <= _FEVER_LINE_C
                and _BELOW.search(work.text, 0, m.start())):
            below_line = True  # "under 100.4": said below the fever line, not read (the number is asked for)
        elif unit is not None and celsius is not None and plausible("temperature_c", celsius):
            readings.append((celsius, m.group(0).strip(), unit, m.start(), m.start() + len(m.group(0).rstrip())))
        else:
            implausible = True  # "109.9", "1000", "45 c": kept as the patient's words, never as a value
        work.take(m.start(), m.end())
    every = readings  # those a correction takes back too
    if len(readings) > 1:
        readings = _corrected(work.text, readings)
    if readings:
        # Several temperatures in one text: the one the text says is current ("99 now", "hoy 37.1",
        # "from 101 to 99"); when no clause says which is current, the highest, so a fever is never
        # read away ("101.2 then 100.4"). Rounded to 0.01 C (triage.ranges.celsius_from says why).
        current = _current(work.text, readings)
        celsius, raw, unit, _, _ = max(current, key=lambda p: p[0])
        found: dict[str, object] = {"temperature_c": celsius, "temperature_raw": raw, "temperature_unit": unit}
        earlier = _earlier_fevers(work.text, readings, current, times, every)
        return {**found, "earlier_fevers": earlier} if earlier else found
    if implausible:
        return {"implausible": ["temperature"]}
    return {"below_fever_line": True} if below_line else {}


# A temperature typed again to correct one ("temp 101.1 sorry 100.1", "101.1 typo, 100.1"), or one taken back ("99.1
# not 101"): vocabulary [temperature_marks] corrections, retractions (en.toml says why).
CORRECTION = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'corrections')})\b")
# Only a few words between a correction and its temperature ("sorry I meant 100.1", "oops it's 99.1"): "101.5, sorry to
# bother you, was 99 this morning" is an apology, and its 99 no correction (a fever is never read away: SOP 4).
BRIDGE = re.compile(rf"(?:[\s,:;=-]|\b(?:{vocabulary.alternation('temperature_marks', 'correction_bridge')})\b)*")
_RETRACTED = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'retractions')})\s*$")
_AT_TIME = re.compile(rf"\s*(?:{vocabulary.alternation('temperature_marks', 'stated_time')})\s*"
                      rf"(?:\d|(?:{vocabulary.alternation('temperature_marks', 'stated_time_words')})\b)")
# A temperature a correction's words come before, but that the text gives as taken at another moment or asks about,
# corrects nothing: "101.5 no wait 99 8am" (a clock time without "at"), "101.6, no wait 99.1 after tylenol" (a
# reading since), "temp 101.1 no wait is 100 a fever" (a question: "is" before it, "a fever" after). Read as
# corrections, each read today's fever away (SOP 4 Grading: fever >= 100.4 F). Not a bare "fever" ("99.9 fever
# gone") nor a bare "?" (an emoji on a cheap phone).
_NOT_A_CORRECTION = re.compile(r"\s*(?:\d{1,2}(?::\d{2})?\s*[ap]\.?m\b|\d{1,2}:\d{2}\b|after\b|despues\b)")
# A temperature given as a second reading, on a medicine, by another thermometer or at another part of the body, place
# or day ("101.6 sorry 99.1 with tylenol on board", "101.6 sorry 99.1 on the forehead", "38.6 perdon 37.2 con
# tylenol"), corrects nothing: read as a correction, it read today's fever away (SOP 4 Grading: fever >= 100.4 F).
_MEDICINE = rf"(?:{vocabulary.names('medicines', 'names')}|{vocabulary.alternation('temperature_marks', 'medicine_words')})"
_ANOTHER_READING = re.compile(
    rf"[\s,.;:()\-–]*(?:(?:now|right\s+now|currently|ahora)\s+)?(?:(?:{vocabulary.alternation('temperature_marks', 'another_reading')})"
    rf"|(?:{vocabulary.alternation('temperature_marks', 'with_medicine')})\s*"
    rf"(?:(?:the|his|her|my|some|a|an|one|two|\d+|el|la|los|las|su|sus|mi|mis|una?|dos)\s+){{0,2}}"
    rf"{_MEDICINE}\b(?!\s+(?:due|later|next|tonight|toca|despues))"
    rf"(?:\s+(?:{vocabulary.alternation('temperature_marks', 'on_board')}))?"
    rf"|{_MEDICINE}\s+(?:{vocabulary.alternation('temperature_marks', 'on_board')}))\b")
_TYPO_SAID = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'typo_said')})\b")
_ASKED_BEFORE = re.compile(r"\b(?:is|es)\s+$")
_FEVER_AFTER = re.compile(r"\s*(?:considered\s+)?(?:(?:a\s+)?fever|(?:una\s+)?fiebre|ok(?:ay)?|too\s+high|normal)\b")


def _taken_back(text: str, temp: _Reading, level: int) -> bool:
    """Right after "not" or "no", and neither marked current nor after a bare "no" that opens the text: "no 101.2 now, 99
    earlier" and "no 38.5 ahora, 37 ayer" answer a question "no" and then give today's fever; taken back, the fever
    was read away (SOP 4 Grading: fever >= 100.4 F / 38 C)."""
    found = _RETRACTED.search(text, 0, temp[3])
    opening_no = found is not None and found.group().strip() == "no" and not text[:found.start()].strip()
    # A bare "no" before a fever ("99 no 101", "37.5 no 38.5") may correct as well as retract: taken back, the fever
    # was read away and 99 stored (SOP 4 Grading: fever >= 100.4 F / 38 C). "not 101", "no es 38.5" still take back.
    fever_after_no = found is not None and found.group().strip() == "no" and temp[0] >= _FEVER_LINE_C
    return found is not None and level <= 0 and not opening_no and not fever_after_no


def _corrected(text: str, temps: list[_Reading]) -> list[_Reading]:
    """The temperatures left once those taken back are dropped: each one right after "not" ("99.1 not 101"), and
    every one before a correction that has a temperature after it ("101.1 sorry 100.1": 100.1 alone). At least one
    is always left. A temperature the text marks as an earlier or the usual one ("101.8 sorry, 99 yesterday", "101.2
    sorry 98.6 is normal"), or gives a clock time ("101.5 oops 99 at 8am"), corrects nothing: read as a correction, it
    read today's fever away (SOP 4 Grading: fever >= 100.4 F); _current then weighs the marks. Every temperature after
    the corrected one stays ("100.1 sorry 99, now 101.2": 99 and 101.2, and _current reads 101.2 as now), but one
    that names again a value the correction took back ("sorry 99.5 instead of 101.5")."""
    marked = _levels(text, temps)
    kept = [t for i, t in enumerate(temps) if not _taken_back(text, t, marked[i])] or temps
    if all(level < 0 for level in _levels(text, kept)):
        kept = temps  # "no 101.2 99 this morning": only an earlier one would be left
    level = _levels(text, kept)
    for mark in reversed(list(CORRECTION.finditer(text))):
        after = [i for i, t in enumerate(kept) if t[3] >= mark.end()]
        before = [t for t in kept if t[4] <= mark.start()]
        if before and re.search(r"\d", text[before[-1][4]:mark.start()]):
            continue  # "temp 101.3 o2 98 no wait 96": another number corrected (the oxygen), not the temperature
        if (after and len(after) < len(kept) and BRIDGE.fullmatch(text, mark.end(), kept[after[0]][3])
                and level[after[0]] >= 0 and not _AT_TIME.match(text, kept[after[0]][4])
                and not _NOT_A_CORRECTION.match(text, kept[after[0]][4])
                and not _second_reading(text, mark.start(), temps, kept[after[0]])
                and not _asked(text, kept[after[0]])):
            # the corrected one and every one after it ("100.1 sorry 99, now 101.2" kept 99 alone, and read the fever
            # the text gives as now away: SOP 4 Grading), but a value the correction took back, named again ("101.5
            # sorry meant 99.5 instead of 101.5", "99.8, typed 100.8 by mistake", "the 101.5 was a typo")
            corrected, taken_back = kept[after[0]], [t[0] for t in kept if t[3] < mark.start()]
            return [corrected, *(t for i, t in enumerate(kept) if t[3] > corrected[3]
                                 and not _no_reading_after(text, t, taken_back, level[i]))]
    return kept


def _second_reading(text: str, start: int, temps: list[_Reading], temp: _Reading) -> bool:
    """The temperature after a correction word (`temp`; the word at `start`; `temps` every temperature of the text,
    those taken back too) is a second reading, no correction: words of one follow it (_ANOTHER_READING), and the text
    does not say a number was a typo, between the correction word and it ("typo I meant 99.1", "sorry I mean 99.1",
    "perdon digo 37.2"; not "not a typo") or in the clause right after those words, about the first number ("...,
    first one typo", "the 100.8 was a mistake", "not 100.8", "el 38.6 estaba mal") or a closing one of its own ("...,
    typo lol", "my bad", "fue error"). A typo word further on is about something else ("..., late reply, my bad",
    "sorry for the typos", "isn't 101.6 high?", "not 101.6 anymore"): read as a typo said, it read the second
    reading's fever away (SOP 4 Grading)."""
    words = _ANOTHER_READING.match(text, temp[4])
    if words is None:
        return False
    end = words.end()
    while (more := _ANOTHER_READING.match(text, end)) is not None and more.end() > end:
        end = more.end()  # "99.8 forehead w tylenol": every word of the second reading, up to the clause after them
    if any(not _TYPO_DENIED.search(text, 0, found.start()) for found in _TYPO_SAID.finditer(text, start, temp[3])):
        return False
    if _TYPO_AFTER.match(text, end):
        return False
    taken_back = [t[0] for t in temps if t[3] < start]
    for later in (t for t in temps if t[3] >= end):  # only the first, right after the second reading's words
        said = _NAMED_AGAIN.fullmatch(text, end, later[3])
        if said is None:
            break
        if said.group("not") is None:  # "the 100.8 was a mistake", "el 38.6 estaba mal"
            wrong = _SAID_WRONG.match(text, later[4]) is not None
        else:  # "not 100.8" closing the text; not "not 101.6 anymore", "not 101.6 thank god", "not 101.6 by mouth"
            wrong = _TEXT_ENDS.match(text, later[4]) is not None
        if wrong and any(abs(later[0] - value) < 0.05 for value in taken_back):
            return False
        break
    return True


_TYPO_DENIED = re.compile(r"\b(?:not|no|wasn'?t|isn'?t|never)\s+(?:(?:a|an|my|un)\s+)?$")
# Between the second reading's words and the clause right after them: punctuation, an apology or "and".
_AFTER_THE_READING = r"[\s,.;:!()\-]*(?:(?:sorry|oops|perdon|and|y)\s*,?\s*)?"
# Only punctuation, a laugh, thanks, an apology or an emoticon left: "..., not 100.8.", "..., typo lol", "..., typo :)",
# "..., typo, thanks", "..., no 38.6 gracias".
_TEXT_ENDS = re.compile(
    rf"(?:[\s,.!]*(?:(?:{vocabulary.alternation('temperature_marks', 'sign_off')})\b|[:;]-?[)(dp]))*[\s.!()]*$")
_TYPO_AFTER = re.compile(
    rf"{_AFTER_THE_READING}(?:(?:{vocabulary.alternation('temperature_marks', 'the_first')})\s+"
    rf"(?:(?:one|was|is|fue|es|era|estaba)\s+)*(?:{vocabulary.alternation('temperature_marks', 'wrong_words')})\b"
    rf"|(?:{vocabulary.alternation('temperature_marks', 'typo_closing')}){_TEXT_ENDS.pattern})")
_NAMED_AGAIN = re.compile(rf"{_AFTER_THE_READING}(?:(?:the|el|la)\s+)?(?:(?P<not>not|no(?:\s+(?:es|era|fue))?)\s+)?")


def _asked(text: str, temp: _Reading) -> bool:
    """The text asks about the temperature, not reports it: "is 100 a fever", "is 100 considered a fever", "is 38 ok"."""
    return bool(_ASKED_BEFORE.search(text, 0, temp[3]) and _FEVER_AFTER.match(text, temp[4]))


def _no_reading_after(text: str, temp: _Reading, taken_back: list[float], level: int) -> bool:
    """A temperature after a corrected one that is no reading: one said wrong ("101 was wrong", "typed 100.8 by
    mistake"), taken back ("instead of 101.5", "es 37.5 no 38.5": a value the correction took back, after "no"),
    asked about ("is 100.4 a fever", "do I call at 100.4?"), or said as what may come ("if it hits 100.4", "si llega a
    38"): read as readings, each was a fever no one had. One the text marks as now or today is a reading ("101.4 now"),
    and so is a value read again ("101 no wait 99, retook it, 101 again")."""
    if level > 0:
        return False
    clause_end = _CLAUSE_END.search(text, temp[4])
    return (bool(_SAID_WRONG.match(text, temp[4])) or bool(_INSTEAD_OF.search(text, 0, temp[3]))
            or (any(abs(temp[0] - value) < 0.05 for value in taken_back) and bool(_NO_BEFORE.search(text, 0, temp[3])))
            or _asked(text, temp) or bool(_IS_A_FEVER.match(text, temp[4])) or bool(_MAY_COME.search(text, 0, temp[3]))
            or (clause_end is not None and clause_end.group() == "?"))


_SAID_WRONG = re.compile(rf"\s*(?:{vocabulary.alternation('temperature_marks', 'said_wrong')})\b")
_INSTEAD_OF = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'instead_of')})\s+$")
_NO_BEFORE = re.compile(r"\bno\s+$")
_IS_A_FEVER = re.compile(r"\s*(?:is|es)\s+(?:a\s+|una\s+)?(?:fever|fiebre)\b")
_CLAUSE_END = re.compile(r"[.!?\n]")
_MAY_COME = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'may_come')})\s+$")


# Which of several temperatures is the current one: marks of now, today and the past, by language
# (vocabulary/<language>.toml [temperature_marks]). A marker belongs to the nearest temperature in
# its clause; on a tie, an English word to the one before it ("101 yesterday 99 now"), a Spanish
# one and "down to" to the one after it ("ayer 38.5 hoy 37.1", "101 went down to 99").
def _marks(kind: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', kind)})\b")


_NOW_MARK, _TODAY_MARK, _PAST_MARK, _USUAL_MARK = _marks("now"), _marks("today"), _marks("past"), _marks("usual")
_SPANISH_MARK = re.compile("|".join(
    phrase for kind in ("now", "today", "past", "usual")
    for phrase in vocabulary.language_file("es")["temperature_marks"][kind]))
_DOWN_TO = re.compile(r"\sto$")
_TEMP_CLAUSE = re.compile(
    rf"[,;!?\n()\[\]:]|\.(?!\d)|\b(?:{vocabulary.alternation('temperature_marks', 'clause_breaks')})\b")
# "from 101 to 99", "de 38.9 a 37.8", "went down 101 to 99": the second is where it is now.
_FROM = re.compile(rf"\b(?:{vocabulary.alternation('temperature_marks', 'from_words')})\s*$")
_TO = re.compile(rf"\s*(?:{vocabulary.alternation('temperature_marks', 'to_words')})\s*$")


def _levels(text: str, temps: list[_Reading]) -> list[int]:
    """How current the text marks each temperature: 2 now, 1 today, 0 unmarked, -1 past or usual."""
    level = [0] * len(temps)  # 2 now, 1 today, 0 unmarked, -1 past
    for i in range(len(temps) - 1):
        if _FROM.search(text[:temps[i][3]]) and _TO.fullmatch(text[temps[i][4]:temps[i + 1][3]]):
            level[i], level[i + 1] = -1, 2
    cuts = [0, *(m.end() for m in _TEMP_CLAUSE.finditer(text)), len(text)]
    marks: dict[int, set[int]] = {}
    for left, right in itertools.pairwise(cuts):
        inside = [i for i, t in enumerate(temps) if left <= t[3] < right]
        if not inside:
            continue
        for kind, pattern in ((2, _NOW_MARK), (1, _TODAY_MARK), (-1, _PAST_MARK), (-2, _USUAL_MARK)):
            for m in pattern.finditer(text, left, right):
                if any(t[3] <= m.start() < t[4] for t in temps):
                    continue
                start, end, before = m.start(), m.end(), bool(
                    _SPANISH_MARK.fullmatch(m.group()) or _DOWN_TO.search(m.group()))
                nearest = min(inside, key=lambda i: (
                    temps[i][3] - end if end <= temps[i][3] else start - temps[i][4],  # the gap
                    (temps[i][3] < start) == before))  # on a tie: the side the marker goes with
                marks.setdefault(nearest, set()).add(kind)
    for i, kinds in marks.items():
        if level[i] == 0:  # a usual one ("98.6 is normal") is as an earlier one, unless marked otherwise too
            level[i] = 2 if 2 in kinds else -1 if -1 in kinds else 1 if 1 in kinds else -1
    return level


def _current(text: str, temps: list[_Reading]) -> list[_Reading]:
    """The temperatures that may be the current one: those the text marks as current, else all."""
    level = _levels(text, temps)
    top = max(level)
    if top <= 0:
        return temps  # nothing says which is current: every one counts, and the highest wins
    first = level.index(top)
    # Current: the ones marked most current, and unmarked ones written after them ("99 now, 100.8
    # on a recheck"): an unmarked reading before them ("101, now 99") is the earlier one.
    return [t for i, t in enumerate(temps) if level[i] == top or (level[i] == 0 and i > first)]


_PREVIOUS_DAY = re.compile(r"yesterday|ayer")
# Words that place an earlier fever on a day before the text's ("101 3 days ago, 99 now", "hace 3 dias 38.5, hoy 37",
# "antier 38.5"): none of them is a time extract_times places, so the fever was stored at the text's arrival, a fever
# of last week paged as today's, the episode's first CRS sign (SOP 4 Grading) dated now.
_DAY_AMOUNTS = {"a": 1, "one": 1, "un": 1, "una": 1, "two": 2, "dos": 2, "three": 3, "tres": 3, "four": 4,
                "cuatro": 4, "five": 5, "cinco": 5, "six": 6, "seis": 6, "seven": 7, "siete": 7}
_DAYS_BACK = re.compile(
    r"\b(?:(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|a few|few|several|a couple(?: of)?|couple(?: of)?)"
    r"\s+days?\s+ago|hace\s+(?P<es>\d{1,2}|una?|dos|tres|cuatro|cinco|seis|siete|unos|varios)\s+dias?"
    r"|(?P<two>(?:the\s+)?day\s+before\s+yesterday|antier|anteayer|antes\s+de\s+ayer)"
    r"|(?P<week>last\s+(?:week|month|weekend)|(?:la\s+)?semana\s+pasada|(?:el\s+)?mes\s+pasado))\b")
_BEFORE_TREATMENT = re.compile(
    r"\bbefore\s+(?:the\s+|my\s+|this\s+)?(?:infusion|treatment|shot|injection|step[-\s]?up|chemo|bispecific)"
    r"|\bantes\s+de\s+(?:la\s+|mi\s+)?(?:infusion|inyeccion|quimio)|\bantes\s+del\s+tratamiento")


def _days_back(words: str) -> tuple[int, str | None]:
    """How many whole days before the text's day `words` (the fever's clause) place it, at least, and the words."""
    m = _DAYS_BACK.search(words)
    if m is None:
        return 0, None
    if m.group("two"):
        return 2, m.group(0)
    if m.group("week"):
        return 1, m.group(0)  # "last week" on a Monday may be yesterday: the latest it can have been
    amount = (m.group("n") or m.group("es") or "").strip()
    days = int(amount) if amount.isdigit() else _DAY_AMOUNTS.get(amount, 2)  # "a few", "unos": at least two
    return max(days, 1), m.group(0)


def _earlier_fevers(text: str, readings: list[_Reading], current: list[_Reading],
                    times: Sequence[TimeSaid], every: list[_Reading]) -> tuple[EarlierFever, ...]:
    """The fevers the text gives as earlier than its current temperature ("temp 101 at lunch, now 99", "was 102 an hour
    ago, 99 now", "ayer 38.5 hoy 37.1", "from 101 to 99"): the readings left once corrections are dropped (`readings`,
    _corrected's: "101 sorry 99" has no earlier fever, 101 was a typo) that _current does not count as current, at
    or over the lowest fever line a clinic may set (_EARLIER_FEVER_FLOOR_C; SOP 4 Grading: fever >= 100.4 F / 38.0 C
    by default, and the clinic's own line decides: monitoring.care.earlier_fevers; an earlier normal one changes
    nothing). `every`: all the text's temperatures, those a correction took back too.
    Each with the time said beside it: the stated time in its clause nearest to it (placed, or vague words only)."""
    earlier = [t for t in readings if t not in current and t[0] >= _EARLIER_FEVER_FLOOR_C
               and not _corrected_after(text, t, readings, times, every) and not _HEART_BEFORE.search(text, 0, t[3])
               and not _typo_named_again(text, t, every)]
    if not earlier:
        return ()
    owner = _times_owned(text, readings, times)
    cuts = [0, *(m.end() for m in _TEMP_CLAUSE.finditer(text)), len(text)]
    fevers = []
    for temp in earlier:
        said = owner.get(readings.index(temp))
        clause = text[max(c for c in cuts if c <= temp[3]):min((c for c in cuts if c > temp[3]), default=len(text))]
        previous_day = bool(said and said.at is None and _PREVIOUS_DAY.fullmatch(said.raw))
        days, days_words = _days_back(clause)
        if days:  # "101 3 days ago": no clock time said for it holds ("the day before yesterday" is no "yesterday")
            said = None
        fevers.append(EarlierFever(temperature_c=temp[0], temperature_raw=temp[1], temperature_unit=temp[2],
                                   taken_at=said.at if said else None,
                                   when=said.raw if said else days_words,
                                   days_back=days or int(previous_day),
                                   before_treatment=bool(_BEFORE_TREATMENT.search(clause))))
    return tuple(fevers)


# "heart 101 this morning, 99 now", "my heart was 101 earlier", "corazon 101 esta manana": a heart rate, never a fever
# said earlier (it was stored and paged as one). The vitals' labels now read a bare "heart" right before its number
# ([vitals.labels] heart_rate_before_number); this stays for an earlier one the labels miss. The current temperature is
# read as before: only an earlier one is let go for it (SOP 4 Grading: a fever now is never read away).
_HEART_BEFORE = re.compile(r"\b(?:heart|corazon|latidos?)(?:\s+(?:was|is|at|of|de|en|estaba|era|esta|fue))*\s*$")


def _typo_named_again(text: str, temp: _Reading, every: list[_Reading]) -> bool:
    """`temp` is a value a correction took back, named again as a typo ("101.6 at 2pm sorry 99.1 now w tylenol, 101.6
    was a typo"): no fever said earlier. Only the same value as a temperature before a correction word before it, and
    "typo", "mistake", "wrong" closing its clause, never asked: "101.6 wrong thermometer? now 99.1", "anoche 38.6
    estaba mal toda la noche" (unwell), "sorry im late, she was 101.6 mistake on my part not texting sooner" are fevers
    said earlier (SOP 4 Grading). `every`: all the text's temperatures."""
    if _TYPO_NAMED.match(text, temp[4]) is None or _NAMED_OPENS_CLAUSE.search(text, 0, temp[3]) is None:
        return False  # "maybe 101.6 was wrong", "creo que 38.6 fue error": a doubt of a reading, not a typo owned
    return any(CORRECTION.search(text, before[4], temp[3]) is not None and abs(before[0] - temp[0]) < 0.05
               for before in every if before[4] <= temp[3])


_NAMED_OPENS_CLAUSE = re.compile(r"(?:^|[,.;:!)\-])\s*(?:(?:and|y)\s+)?(?:(?:the|el|la)\s+)?$")
_TYPO_NAMED = re.compile(
    r"\s*(?:(?:was|is|fue|era)\s+)?(?:a\s+|un\s+)?(?:typo|mistake|error|wrong)\b(?=\s*(?:$|[,.;!)]))")


def _corrected_after(text: str, temp: _Reading, temps: list[_Reading], times: Sequence[TimeSaid],
                     every: list[_Reading]) -> bool:
    """`temp` is taken back by the temperature right after it: only its own time words ("at 2pm", "earlier"), then a
    correction and its few words ("101 at 2pm sorry 100 at 2pm, now 99", "101 sorry meant 100 earlier, now 99").
    _corrected keeps such a 101 (the one after the correction is an earlier one, and a current fever is never read
    away by an earlier one: SOP 4 Grading), but as an earlier fever it was a typo stored and paged as a fever."""
    later = [t for t in temps if t[3] >= temp[4]]
    if not later:
        return False
    gap_end = min(t[3] for t in later)
    marks = [m for m in CORRECTION.finditer(text, temp[4], gap_end)]
    if not marks or not BRIDGE.fullmatch(text, marks[0].end(), gap_end):
        return False
    corrected = next(t for t in later if t[3] == gap_end)
    if _second_reading(text, marks[0].start(), every, corrected):
        return False  # "101.6 at 2pm sorry 99.1 now with tylenol on board": the fever at 2pm was one (SOP 4 Grading)
    before = list(text[temp[4]:marks[0].start()])
    for said in times:  # the earlier fever's own time words may stand before the correction
        for i in range(max(said.start, temp[4]), min(said.end, marks[0].start())):
            before[i - temp[4]] = " "
    return not "".join(before).strip(" ,.;:-")


def _times_owned(text: str, temps: list[_Reading], times: Sequence[TimeSaid]) -> dict[int, TimeSaid]:
    """Which stated time goes with which temperature (by its index in `temps`): each time to the nearest temperature
    in its clause (_TEMP_CLAUSE; on a tie, the one before it: "101 at 2pm 99 now"), and each temperature keeps the
    nearest of the times it was given."""
    cuts = [0, *(m.end() for m in _TEMP_CLAUSE.finditer(text)), len(text)]
    owned: dict[int, tuple[int, TimeSaid]] = {}
    for said in times:
        left = max(c for c in cuts if c <= said.start)
        right = min((c for c in cuts if c > said.start), default=len(text))
        inside = [i for i, t in enumerate(temps) if left <= t[3] < right]
        if not inside:
            continue

        def gap(i: int, said: TimeSaid = said) -> int:
            return temps[i][3] - said.end if said.end <= temps[i][3] else max(0, said.start - temps[i][4])

        nearest = min(inside, key=lambda i: (gap(i), temps[i][3] > said.start))
        if nearest not in owned or gap(nearest) < owned[nearest][0]:
            owned[nearest] = (gap(nearest), said)
    return {i: said for i, (_, said) in owned.items()}
