"""Vitals by their labels: blood pressure, SpO2, heart rate."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from triage.ranges import PLAUSIBLE_RANGES, temperature_unit

from . import vocabulary
from .model import Work
from .numbers import within


def _plausible_range(field: str) -> tuple[int, int]:
    low, high = PLAUSIBLE_RANGES[field]
    return int(low), int(high)


# What a body can show (triage.ranges.PLAUSIBLE_RANGES, the one definition): outside, `implausible`,
# and the patient is asked to measure again. Units: mm Hg, mm Hg, % saturation, beats a minute.
SYSTOLIC_RANGE = _plausible_range("systolic")
DIASTOLIC_RANGE = _plausible_range("diastolic")
SPO2_RANGE = _plausible_range("spo2")
HEART_RATE_RANGE = _plausible_range("heart_rate")

# Labels, and the words that may stand between a label and its number ("sats are 88", "o2 went down
# to 88", "el oxigeno bajo a 88"): vocabulary/<language>.toml [vitals.labels].
_BP_LABEL = f"(?:{vocabulary.alternation('vitals', 'labels', 'blood_pressure')})"
_BP_SINGLE_LABEL = f"(?:{vocabulary.alternation('vitals', 'labels', 'blood_pressure_alone')})"
_SYS_LABEL = f"(?:{vocabulary.alternation('vitals', 'labels', 'systolic')})"
_DIA_LABEL = f"(?:{vocabulary.alternation('vitals', 'labels', 'diastolic')})"
_FILLER_WORDS = vocabulary.alternation("vitals", "labels", "filler")
_FILLER = rf"(?:\s*(?:(?:{_FILLER_WORDS})\b|[:=-])){{0,6}}\s*"
_PULSE_TAIL = (r"(?:(?P<slash>\s*/\s*)|\s*,?\s*(?:(?:pulse|p|hr|pulso)\s*:?\s*)?)"
               r"(?P<pulse>\d{2,3})(?!\d|[.,]\d|\s*(?:%|f\b|c\b|°))")
_BP_PAIR_LABELLED = re.compile(
    rf"\b{_BP_LABEL}{_FILLER}(?<![\d.,])(?P<sys>\d{{2,3}})(?P<sep>\s*[/\\-]\s*|\s+(?:over|sobre|x|by|por)\s+|\s*x\s*|\s+)"
    rf"(?P<dia>\d{{2,3}})(?![\d]|[.,]\d)(?:{_PULSE_TAIL})?")
_BP_PAIR = re.compile(
    rf"(?<![\d.,])(?P<sys>\d{{2,3}})(?P<sep>\s*(?:/|\\|over|sobre|x)\s*)(?P<dia>\d{{2,3}})(?![\d])(?:{_PULSE_TAIL})?")
_BP_SINGLE = re.compile(rf"\b(?:{_BP_SINGLE_LABEL}|{_SYS_LABEL}){_FILLER}(?<![\d.,])(\d{{2,3}})(?!\d|[.,]\d)")
_DIA_SINGLE = re.compile(rf"\b{_DIA_LABEL}{_FILLER}(?<![\d.,])(\d{{2,3}})(?!\d|[.,]\d)")
_SPO2_LABEL = f"(?:{vocabulary.alternation('vitals', 'labels', 'spo2')})"
# A saturation or a pulse with tenths ("sats 95.5", "o2 88,5", "spo2 89.6%"): read floored, as a device's is
# (monitoring.device_readings), which keeps every whole-number SOP line's answer: 89.6% stays a new hypoxia (SOP 5
# Grade 1 Home, line 64: < 90%). Left alone, "o2 88.5" was an implausible temperature ("measure again", the hypoxia
# unpaged) and "sats 95.5" a temperature of 95.5 F no one took. A comma takes one digit ("88,5"), never a list.
_TENTHS = r"(?:\.\d{1,2}|,\d)?"
_SPO2 = re.compile(rf"(?<![a-z]){_SPO2_LABEL}{_FILLER}(?<![\d.,])(\d{{1,3}}){_TENTHS}(?!\d|[.,]\d)\s*%?")
_SPO2_AFTER = re.compile(
    rf"(?<![\w.,])(\d{{1,3}}){_TENTHS}\s*(?:%\s*(?:on\s+|de\s+|en\s+)?(?:{_SPO2_LABEL})?|"
    # "88 de oxigeno", "tengo un 80 de saturacion", "88 of oxygen": an implausible temperature ("measure again")
    rf"\s+(?:(?:on|en|in|per|by|from|with|de|of)\s+(?:(?:the|my|el|la|mi|su)\s+)?)?{_SPO2_LABEL}\b|"
    # "85 percent oxygen", "85 porciento de oxigeno": an implausible temperature, a new hypoxia unpaged (SOP 5 Grade 1
    # Home: new hypoxia < 90%)
    rf"\s+(?:percent|porciento)\s+(?:(?:of|on|de|en)\s+)?(?:(?:the|my|el|la|mi)\s+)?{_SPO2_LABEL}\b)")
# "oxygen 91 then 87", "sats 88, now 93", "heart rate 110 then 120": the same vital read again. "but" too: "o2 92 but
# dropped to 88" read 92 alone and the 88 as an implausible temperature, a new hypoxia unpaged (SOP 5 Grade 1 Home:
# new hypoxia < 90%).
# A few of these words, with commas: "o2 95 but it dropped to 87", "o2 95 now its only 87", "o2 95 this am, 87 now"
# read 95 alone (review of 257a6de). Never "and" alone: "bp 120 and 80" is no fall. "o2 95 earlier, 87 now": the time
# reader takes "earlier" first, leaving only the comma between the numbers; _again reads the words as written.
_THEN_WORDS = (
    r"then|now|later|afterwards|after|ahora|luego|despues|went|came|gone|going|got|has|had|ha|down|dropped|drops|"
    r"dropping|fell|falling|bajo|baja|bajando|up|rose|risen|subio|sube|->|>|to|a|but|pero|are|is|it|it'?s|its|says|"
    r"reads|es|esta|only|just|at|"
    r"en|earlier|before|antes|this\s+(?:morning|am)|esta\s+manana|yesterday|today|tonight|ayer|hoy|anoche|"
    # A fall said in reverse, as caregivers do: "his oxygen dropped to 85 from 95" (95 was a temperature of 95 F no one
    # took, on the nurse's page beside the hypoxia).
    r"from|desde|"
    # A part of the day or a meal between: "pressure 128 at lunch, now 86", "sats 94 this afternoon 86 now", "presion 128
    # en la tarde 86 ahora" read the later number as an implausible temperature ("measure again"), a systolic under 90 or
    # a new hypoxia unpaged (SOP 5 Grade 1 Home, line 64). So is a position: "bp 128 lying down 86 standing" is the
    # orthostatic fall SOP 5 names. Never a word that labels a vital ("bp 120 sat 86": 86 is the saturation's).
    r"in\s+the|this|last|during|morning|afternoon|evening|night|noon|midday|lunch(?:time)?|breakfast|dinner|supper|"
    r"bedtime|bed|meals?|eating|rest|resting|lying|laying|sitting|standing|stood|walking|walked|walk|exercise|"
    # Never "with", "on", "por" or "con" alone, which may join a pair: "bp 120 with 80", "presion 120 por 80" (120/80).
    r"exertion|with\s+(?:exertion|activity)|shower|the|my|i|when|week|"
    r"(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|waking)|an?\s+hour|hours?|minutes?|mins?|"
    # "bp 120, 2 hours later 85", "o2 95 hace 2 horas 86 ahora" (a count the time reader does not take)
    r"\d{1,2}\s*(?:hours?|hrs?|minutes?|mins?|horas?|minutos?)|"
    # Never "la baja" / "la alta": a Spanish pressure's low and high numbers ("presion alta 120 la baja 80" is 120/80)
    r"(?:la|el)(?!\s+(?:baja|minima|alta|maxima)\b)|al|del|por\s+la|tarde|noche|manana|mediodia|almuerzo|comida|desayuno|cena|cuando|semana|pasada|"
    r"lunes|martes|miercoles|jueves|viernes|sabado|domingo|una\s+hora|horas?|minutos?|rato|"
    r"acostad[oa]|sentad[oa]|parad[oa]|de\s+pie|reposo|descansando|caminando|caminar|comer|ducha|banarme|"
    r"despues\s+de|antes\s+de|hace|un\s+rato|rato|woke|wake|first\s+thing|me\s+levante|al\s+despertar")
# "and" after a then-word too: "o2 94 in the morning and 86 in the evening", "bp 118 at 8am and 84 at noon" (never
# "and" alone: at least one then-word stands between the numbers).
_THEN = rf"\s*,?\s*(?:(?:and|y)\s+)?(?:(?:{_THEN_WORDS})(?![\w>])\s*,?\s*(?:(?:and|y)\s+)?){{1,6}}"
_SPO2_MORE = re.compile(
    r"(?:\s*-\s*|"  # a range the meter swung over: "o2 95-96" (96 was read as a temperature no one took)
    rf"{_THEN})"
    r"\s*(\d{1,3})(?!\d|[.,]\d)\s*%?")
# The same vital again after a number read by the words before it ("his pressure went from 120 to 85"): the words
# between, never a dash ("pressure 120-80" is a pair, not a fall to 80).
_THEN_MORE = re.compile(rf"{_THEN}(\d{{1,3}})(?!\d|[.,]\d)\s*%?")


# A number another vital's words follow is that vital's, never the same vital again: "sats 96 today 88 bpm", "bp 120
# today 72 pulse", "presion 120 hoy 80 de pulso", "bp 130 today 75 bottom" read the pulse or the diastolic as a
# saturation or a systolic under 90, a false URGENT page (SOP 5 Grade 1 Home, line 64: new hypoxia < 90%; systolic < 90
# and more than 10 below baseline). Nor a temperature's ("o2 95 today 99 temp"), but never for a word that may be a
# symptom ("sats 92 now 88 fever too", "88 heart racing": 88 is the saturation, a new hypoxia paged). A word that labels the number after
# it is not the number's: "o2 95 now 88 pulse 80", "bp 120 then 85 temp 99" (85 is the systolic again).
_ANOTHER_VITAL_AFTER = re.compile(
    r"\s*(?:(?:of|de|on|en)\s+)?(?:(?:the|my|his|her|el|la|mi|su)\s+)?(?:"
    rf"{vocabulary.alternation('vitals', 'labels', 'heart_rate')}|{vocabulary.alternation('vitals', 'labels', 'heart_rate_after')}|"
    rf"{vocabulary.alternation('vitals', 'labels', 'diastolic')}|"
    r"temp|temperature|temperatura|thermometer|termometro|f|deg|degrees?|grados?)\b"
    r"(?!(?:\s+[a-z]+){0,2}\s*[:=]?\s*\d)|\s*°")


# A number with a unit that is no vital's is never the same vital again: "bp 120 after 80 mg tylenol", "bp 120 with 80
# mg" paged a systolic of 80 (URGENT, SOP 5 Grade 1 Home, line 64) and lost the dose's strength; "o2 95 then 88 mg" a
# new hypoxia of 88.
_A_UNIT_AFTER = re.compile(
    rf"\s*(?:{vocabulary.alternation('units', 'milligrams')}|{vocabulary.alternation('units', 'tablets')}|"
    rf"{vocabulary.alternation('vitals', 'labels', 'not_vital_units')}|mcg|ml|"
    r"years?|yrs?|anos|hours?|hrs?|horas?|minutes?|mins?|minutos?|days?|dias?|times|veces)\b")


def _again(work: Work, pattern: re.Pattern[str], end: int) -> re.Match[str] | None:
    """The same vital again right after position `end` ("o2 95 then 87"), as `pattern` (_SPO2_MORE, _THEN_MORE)
    reads it: in what is left to read, or in the text itself when another stage took a word between ("o2 95
    earlier, 87 now": the time reader took "earlier", leaving only the comma) so long as the number is still
    unread. Never a number another vital's words follow ("sats 96 today 88 bpm": _ANOTHER_VITAL_AFTER)."""
    more = pattern.match(work.left, end)
    if more is None:
        start = len(work.left[:end].rstrip())  # a match's trailing spaces may be a word another stage took
        more = pattern.match(work.text, start)
        if more is None or work.left[more.start(1):more.end(1)] != more.group(1):
            more = _after_a_time(work, pattern, start)
            if more is None:
                return None
    if _ANOTHER_VITAL_AFTER.match(work.text, more.end(1)) or _A_UNIT_AFTER.match(work.text, more.end(1)):
        return None
    return more


def _after_a_time(work: Work, pattern: re.Pattern[str], start: int) -> re.Match[str] | None:
    """The same vital again after a time said between the two ("o2 95 at 2pm, 87 now", "bp 118 last night 84 now",
    "o2 95 2 hours ago 87 now"): the time reader took the words, and a time between two numbers is a then-word. The 87
    was read as an implausible temperature ("measure again"), a new hypoxia unpaged (SOP 5 Grade 1 Home, line 64: new
    hypoxia < 90%; systolic < 90 and more than 10 below baseline). Only when every word taken there is a time."""
    gap = re.compile(r"\s+").match(work.left, start)
    if gap is None or not work.text[gap.start():gap.end()].strip():
        return None
    if any(not ch.isspace() and not any(s <= i < e for s, e in work.times)
           for i, ch in enumerate(work.text[gap.start():gap.end()], gap.start())):
        return None  # a medicine or a measure, not only a time
    view = work.left[:gap.start()] + " >" + " " * (gap.end() - gap.start() - 2) + work.left[gap.end():]
    return pattern.match(view, start)



def _the_same_again(work: Work, pattern: re.Pattern[str], end: int, bounds: tuple[int, int], *,
                    fever_stops: bool = True) -> tuple[list[int], int]:
    """The numbers of the same vital said again after position `end` (_again, as `pattern` reads them) while each
    lies in `bounds`, and where the text after the first number ends: ("bp 100 but dropped to 85": [85]). Never a
    number a slash makes a pair, and with `fever_stops` never one that may be a temperature: a fever is never read
    away (SOP 4 Grading, >= 100.4 F); a saturation, whose bounds stop at 100, needs no such stop."""
    values: list[int] = []
    while ((more := _again(work, pattern, end)) and within(int(more.group(1)), bounds)
           and not (fever_stops and temperature_unit(Decimal(more.group(1))) is not None)
           and not work.left.startswith("/", more.end())):
        values.append(int(more.group(1)))
        end = more.end()
    return values, end

_HR_LABEL = f"(?:{vocabulary.alternation('vitals', 'labels', 'heart_rate')})"
_HR = re.compile(rf"\b{_HR_LABEL}{_FILLER}(?<![\d.,])(\d{{1,3}}){_TENTHS}(?!\d|[.,]\d)")
# A bare "heart" ("temp 99.1 heart 104": a blood pressure cuff shows the pulse beside a heart) labels only a whole number
# with no temperature's unit after it ("heart 101.6F", "corazon 38.5" stay fevers), and not where the heart is a place
# or an object ("pain near his heart 101.6", "pills for my heart 101", "me duele el corazon 38", "mi corazon esta en
# 39": a child called "my heart"): read as a pulse, each was a fever read away (SOP 4 Grading: fever >= 100.4 F).
_HR_BARE = re.compile(
    rf"\b(?:{vocabulary.alternation('vitals', 'labels', 'heart_rate_before_number')}){_FILLER}(?<![\d.,])(\d{{1,3}})"
    r"(?!\d|[.,]\d|\s*(?:°|f\b|c\b|deg|degrees?|grados?|fahrenheit|celsius|centigrados?|(?:de\s+)?(?:fever|fiebre)))")
# ... and a number that may be a temperature only beside another reading the text gives: a temperature (with its label,
# a decimal or a unit), a blood pressure or an oxygen ("temp 99.1 heart 104", "heart 104, 99.1", "BP 132/84 Heart 104",
# "heart 102 o2 95": the cuff's or the oximeter's pulse). Alone, "heart 101", "my heart 101", "bless his heart 102" may
# be a fever, and stay one (SOP 4 Grading); so does one beside a number no temperature ("12.5 ml motrin", "fever 2 days").
_READING_BESIDE = re.compile(
    rf"\b(?:{vocabulary.alternation('vitals', 'context', 'temperature')}){_FILLER}(?P<labelled>\d{{2,3}}(?:[.,]\d)?)(?!\d|[.,]\d)"
    r"|(?<![\d.,])(?P<decimal>\d{2,3}[.,]\d)(?!\d|[.,]\d)|(?<![\d.,])(?P<unit>\d{2,3})\s*(?:°|f\b|c\b|degrees?|grados?)"
    r"|(?<![\d.,/])(?P<sys>\d{2,3})\s*/\s*(?P<dia>\d{2,3})(?![\d/])"
    rf"|(?<![a-z])(?:{_SPO2_LABEL}){_FILLER}(?P<spo2>\d{{2,3}})(?![\d.,]|\s*(?:min|minutes|l\b|liters?|lpm))"
    rf"|\b(?:{_BP_SINGLE_LABEL}){_FILLER}(?P<bp>\d{{2,3}})(?!\d)")


# A past mark or a time said ("this am", "she was", "at 10am", "a las 8", "en la manana"): a temperature of another time.
_OTHER_TIME = (rf"(?:{vocabulary.alternation('temperature_marks', 'past')}|"
               rf"(?:{vocabulary.alternation('temperature_marks', 'stated_time')})\s*"
               rf"(?:\d|(?:{vocabulary.alternation('temperature_marks', 'stated_time_words')})\b)"
               r"|en\s+la\s+(?:manana|tarde|noche))")
_OTHER_TIME_AFTER = re.compile(rf"\s*(?:f\b|c\b|°|degrees?|grados?)?\s*{_OTHER_TIME}")
_OTHER_TIME_SAID = re.compile(rf"\b{_OTHER_TIME}")
_CLAUSE_OR_NUMBER = re.compile(r"[,;!?\n]|\.(?!\d)|(?<![\d.,:])\d{2,3}(?:[.,]\d+)?(?![\d:]|\s*[ap]\.?m\b)")


def _of_another_time(text: str, found: re.Match[str]) -> bool:
    """The temperature `found` is given as of another time: a past mark or a time said after it ("99.1 this am") or
    before it in its clause, since the last reading's number or punctuation ("this am 99.1", "she was 99.1", "at 10am
    99.1")."""
    if _OTHER_TIME_AFTER.match(text, found.end()):
        return True
    start = max((m.end() for m in _CLAUSE_OR_NUMBER.finditer(text, 0, found.start())), default=0)
    return _OTHER_TIME_SAID.search(text, start, found.start()) is not None


def _reading_beside(text: str) -> bool:
    """Whether `text` gives a reading a bare "heart"'s number sits beside (_READING_BESIDE): a temperature a thermometer
    can show, a blood pressure a cuff can (not a pain score "10/10", a date "11/30", a dose "10/325"), an oxygen an
    oximeter can (not "he sat 20 min", "oxygen 2 liters")."""
    for found in _READING_BESIDE.finditer(text):
        number = found.group("labelled") or found.group("decimal")
        if number is not None:  # not one of another time: "bless her heart 102 tonight, 99.1 this morning"
            if temperature_unit(Decimal(number.replace(",", "."))) is not None and not _of_another_time(text, found):
                return True
        elif found.group("sys") is not None:
            systolic, diastolic = int(found.group("sys")), int(found.group("dia"))
            if within(systolic, SYSTOLIC_RANGE) and within(diastolic, DIASTOLIC_RANGE) and diastolic < systolic:
                return True
        elif found.group("spo2") is not None:
            if within(int(found.group("spo2")), SPO2_RANGE):
                return True
        elif found.group("bp") is not None:
            if within(int(found.group("bp")), SYSTOLIC_RANGE):
                return True
        elif found.group("unit") is not None:  # "99 F"
            return True
    return False


_HEART_AS_A_THING = re.compile(
    rf"\b(?:{vocabulary.alternation('vitals', 'labels', 'heart_as_a_thing')})\s+"
    r"(?:(?:my|his|her|the|their|your|el|la|mi|su|tu)\s+)?$")
_HR_AFTER = re.compile(
    rf"(?<![\d.,])(\d{{1,3}})\s*(?:{vocabulary.alternation('vitals', 'labels', 'heart_rate_after')})\b")


# Measures that are not vital signs ([vitals.labels] not_vitals, not_vital_units): "blood sugar 102", "glucose 250
# mg/dl", "weight 98 lbs". Set aside before anything else reads the number: it was a temperature ("sugar 101" a fever,
# "glucose 98" a normal temperature no one took) or, before "mg/dl", an acetaminophen dose.
_NOT_VITAL_UNIT = f"(?:{vocabulary.alternation('vitals', 'labels', 'not_vital_units')})"
_NOT_VITAL = re.compile(
    rf"\b(?:{vocabulary.alternation('vitals', 'labels', 'not_vitals')}){_FILLER}(?<![\d.,])\d{{1,4}}(?:[.,]\d+)?"
    rf"(?:\s*{_NOT_VITAL_UNIT}\b)?"
    rf"|(?<![\w.,])\d{{1,4}}(?:[.,]\d+)?\s*{_NOT_VITAL_UNIT}\b")


# A percent said of how one feels or how much ("feeling 80% better", "I'm not 100%", "ate 50% of lunch"): vocabulary
# [vitals.labels] percent_not_vital_before / _after say why. Never after an oxygen label ("o2 88% better" is 88).
# Up to three small words between ("me siento como al 50 por ciento", "i feel like about 50 per cent": a saturation of 50,
# an URGENT page for a mood; SOP 5 Grade 1 Home, line 64: new hypoxia < 90% is the red flag, not a mood).
_PERCENT_NOT_VITAL = re.compile(
    rf"\b(?:{vocabulary.alternation('vitals', 'labels', 'percent_not_vital_before')})\s+(?:(?:about|around|like|only|"
    rf"maybe|al|el|como|un|a|mas\s+o\s+menos)\s+){{0,3}}(?<![\d.,])\d{{1,3}}\s*%"
    rf"|(?<![\w.,])\d{{1,3}}\s*%\s*(?:{vocabulary.alternation('vitals', 'labels', 'percent_not_vital_after')})\b")
# Not over a clause's end or a word that settles the label ("o2 fine, feeling 80% better", "sats ok and i feel 70% better":
# read as SpO2 80 / 70, an URGENT page and "go to the ED" for a mood; a false page teaches nurses to ignore the pager).
_LABEL_SETTLED = (rf"(?:{vocabulary.alternation('vitals', 'context', 'settled')}|"
                  rf"{vocabulary.alternation('temperature_marks', 'clause_breaks')})")
_SPO2_LABEL_BEFORE = re.compile(
    rf"(?<![a-z]){_SPO2_LABEL}\b(?:[^\w\d,.;!?]+(?!{_LABEL_SETTLED}\b)[a-z']+){{0,4}}[^\w\d,.;!?]*$")
# "85% of oxygen", "85% de oxigeno": the label after the percent is the percent's own ("of" set it aside: no page for a
# new hypoxia; SOP 5 Grade 1 Home: < 90%)
_SPO2_LABEL_AFTER = re.compile(rf"\s*%\s*(?:(?:of|de|del|on|en|in)\s+)?(?:(?:the|my|his|her|el|la|mi|su)\s+)?{_SPO2_LABEL}\b")


# A hundred percent said of oneself or of a yes, and the saying "al 100" ("estoy al 100 por ciento", "I'm 100%", "todo al
# cien", "100% yes"): vocabulary [vitals.labels] hundred_percent_before / _after say why only 100.
_HUNDRED_PERCENT = re.compile(
    rf"\b(?:{vocabulary.alternation('vitals', 'labels', 'hundred_percent_before')})\s+(?:(?:al|at|a|like|about|como|un|el)\s+)"
    rf"{{0,2}}(?<![\d.,])100\s*%"
    r"|(?<![\w.,])al\s+100(?!\d|[.,]\d|\s*(?:°|(?:f|c|deg|degrees?|grados?)\b))\s*%?"
    rf"|(?<![\w.,])100\s*%\s*(?:{vocabulary.alternation('vitals', 'labels', 'hundred_percent_after')})\b")


def set_aside_other_measures(work: Work) -> None:
    """Take out numbers labelled as a measure that is no vital sign ("sugar 101", "98 lbs"), and a percent said of how
    one feels ("feeling 80% better"): neither a reading nor a dose."""
    for m in work.find(_NOT_VITAL):
        work.take(m.start(), m.end())
    for m in work.find(_PERCENT_NOT_VITAL):
        percent = re.search(r"\d\s*%", work.text[m.start():m.end()])
        if percent and _SPO2_LABEL_AFTER.match(work.text, m.start() + percent.start() + 1):
            continue
        if not _SPO2_LABEL_BEFORE.search(work.text, max(0, m.start() - 40), m.start()):
            work.take(m.start(), m.end())
    for m in work.find(_HUNDRED_PERCENT):
        # never beside an oxygen or a temperature word: "o2 100% ok", "mi oxigeno esta al 100", "la fiebre esta al 100",
        # "estoy al 100% de oxigeno"
        if (not _SPO2_LABEL_BEFORE.search(work.text, max(0, m.start() - 40), m.start())
                and not _SPO2_LABEL_AFTER.match(work.text, work.text.index("100", m.start()) + 3)
                and vital_by_context(work.text, m.start()) is None):
            work.take(m.start(), m.end())


# A saturation or a systolic said only as below a number ("oxygen under 90", "o2 less than 90", "bp under 90",
# "oxigeno menos de 90"): the highest whole value below it (89), which the red flag's strict line reads right (SOP 5
# Grade 1 Home: new hypoxia < 90%, systolic < 90 mm Hg). Read as the number itself, "oxygen under 90" was a
# saturation of 90, no hypoxia and no page; "o2 less than 90" an implausible temperature.
_BELOW = f"(?:{vocabulary.alternation('temperature_marks', 'below')})"
_SPO2_BELOW = re.compile(rf"(?<![a-z]){_SPO2_LABEL}{_FILLER}{_BELOW}\s*(\d{{2,3}})(?!\d|[.,]\d)\s*%?")
# A saturation said as a decade ("o2 in the 80s", "oxygen high 80s", "oxigeno en los 80"): its lowest value, "high" and
# "mid" narrowing it (vocabulary [vitals.decades] says why). `spo2_said` keeps the words for the nurse's page ("in the
# high 80s", "under 90"), which never shows a number the patient did not send.
_DECADE_PARTS = {part: offset for offset, kind in ((0, "low"), (4, "mid"), (7, "high"))
                 for part in vocabulary.words("vitals", "decades", kind)}
_PARTS = "|".join(sorted(_DECADE_PARTS, key=len, reverse=True))
_BETWEEN = vocabulary.alternation("vitals", "decades", "between")
# "mid to high 80s": the lower part is read (the worst the value may be), and the page says both
_DECADE_PART = re.compile(rf"\b(?P<part>{_PARTS})(?:\s*(?:{_BETWEEN})\s*(?P<upper>{_PARTS}))?[\s-]*$")
_DECADE_WORDS = {word: decade for decade in range(50, 100, 10)
                 for word in vocabulary.words("vitals", "decades", f"in_words_{decade}")}


def _decade_pattern(label: str, decades: str, tail: str = "") -> re.Pattern[str]:
    """A value said as a decade after `label`: "o2 in the high 80s", "bp in the 80s", "oxigeno en los ochenta"."""
    return re.compile(
        rf"{label}{_FILLER}(?:(?:{vocabulary.alternation('vitals', 'decades', 'lead')})\s+)?"
        rf"(?:(?:{_PARTS})(?:\s*(?:{_BETWEEN})\s*(?:{_PARTS}))?[\s-]*)?(?<![\d.,])"
        rf"(?:(?:(?:{vocabulary.alternation('vitals', 'decades', 'before')})\s+)?(?P<word>{'|'.join(_DECADE_WORDS)})\b"
        rf"|(?:{vocabulary.alternation('vitals', 'decades', 'before')})\s+(?P<plain>{decades})(?!\d|[.,]\d|\s*%)"
        rf"|(?P<decade>{decades})(?:{vocabulary.alternation('vitals', 'decades', 'after')})\b){tail}")


_SPO2_DECADE = _decade_pattern(rf"(?<![a-z]){_SPO2_LABEL}", "[5-9]0")
# "bp in the 80s", "top number in the high 80s": SOP 5 Grade 1 Home's "< 90 mm Hg systolic" and "> 10 below
# baseline" read on the decade's lowest value, and the page says the words (read as 80, "bp in the high 80s" paged
# a patient whose baseline is 97 as 17 below it; 87 is 10 below, no page). Not a pair: "bp 80s/50s" is read alone.
_SYSTOLIC_DECADE = _decade_pattern(rf"\b(?:{_BP_SINGLE_LABEL}|{_SYS_LABEL})", "[5-9]0|1[0-9]0", r"(?!\s*/)")
# A decade said after a number of the same vital: "o2 was 95 now in the high 80s", "o2 95 but dropped into the 80s",
# "bp 120 now in the 80s" read the number alone, the fall unpaged (SOP 5 Grade 1 Home: new hypoxia < 90%; systolic < 90
# and more than 10 below baseline). Both are read; the worst is kept.
_FIRST = r"(?<![\d.,])(?P<first>\d{2,3})(?!\d|[.,]\d)\s*%?"
_SPO2_DECADE_AFTER = _decade_pattern(rf"(?<![a-z]){_SPO2_LABEL}{_FILLER}{_FIRST}{_THEN}", "[5-9]0")
_SYSTOLIC_DECADE_AFTER = _decade_pattern(rf"\b(?:{_BP_SINGLE_LABEL}|{_SYS_LABEL}){_FILLER}{_FIRST}{_THEN}",
                                         "[5-9]0|1[0-9]0", r"(?!\s*/)")
# ... or after a decade: "o2 low 90s to high 80s", "o2 was in the 90s now in the 80s" read the 90s alone.
_SPO2_DECADE_THEN = _decade_pattern(rf"(?:'?s\b)?{_THEN}", "[5-9]0")  # the "s" of "los 90s" may be left unread
_DECADE_WORD = re.compile(rf"\b(?:{'|'.join(_DECADE_WORDS)})\b")


def _read_below(work: Work, pattern: re.Pattern[str], vital_range: tuple[int, int], values: list[int],
                said: dict[int, str]) -> None:
    """A vital said only as below a number ("oxygen under 90", "bp under 90"): the highest whole value below it (89),
    appended to `values` with its words ("under 90") in `said`, each match taken from `work` (_SPO2_BELOW's comment
    says why: the red flag's strict line, SOP 5 Grade 1 Home, reads it right)."""
    for m in work.find(pattern):
        work.take(m.start(), m.end())
        value = int(m.group(1)) - 1
        if within(value, vital_range):
            values.append(value)
            said[value] = f"under {m.group(1)}"


def _decade(m: re.Match[str]) -> tuple[int, str]:
    """The lowest value of the decade a _decade_pattern match says, and the words: (87, "in the high 80s")."""
    decade = _DECADE_WORDS[m.group("word")] if m.group("word") else int(m.group("decade") or m.group("plain"))
    first = next(m.start(group) for group in ("word", "decade", "plain") if m.group(group))
    part = _DECADE_PART.search(m.string, m.start(), first)
    offset = _DECADE_PARTS[part.group("part")] if part else 0
    words = f"{part.group('part')} to {part.group('upper')} " if part and part.group("upper") else (
        f"{part.group('part')} " if part else "")
    return decade + offset, f"in the {words}{decade}s"


def says_a_decade(text: str) -> bool:
    """A decade said in words ("oxygen in the eighties"): a number to read, though the text has no digit."""
    return _DECADE_WORD.search(text) is not None


_SYSTOLIC_BELOW = re.compile(rf"\b(?:{_BP_SINGLE_LABEL}|{_SYS_LABEL}){_FILLER}{_BELOW}\s*(\d{{2,3}})(?!\d|[.,]\d|\s*/)")


def extract_vitals(work: Work) -> dict[str, Any]:
    """Values by their labels. Two readings of one vital in a text: the worst (lowest SpO2, lowest
    systolic with its diastolic), so a red flag is never read away. A labelled number is always
    that vital's: when it cannot be one, it is implausible, never a temperature."""
    found: dict[str, Any] = {"implausible": []}
    pressures: list[tuple[int, int | None]] = []
    for pattern in (_BP_PAIR_LABELLED, _BP_PAIR):
        for m in work.find(pattern):
            systolic, diastolic = int(m.group("sys")), int(m.group("dia"))
            pair_ok = within(systolic, SYSTOLIC_RANGE) and within(diastolic, DIASTOLIC_RANGE) and systolic > diastolic
            if not pair_ok and not m.group("sep").strip(" -"):
                # "presion 85 99": two numbers side by side that are no pair; read the first alone.
                continue
            if work.text[m.start("sep"):m.end("sep")] != m.group("sep"):
                # "bp 118 yesterday 84 today": side by side only once the time reader took "yesterday", a fall and no
                # pair (read as 118/84, a systolic of 84 unpaged: SOP 5 Grade 1 Home, line 64, < 90 and more than 10
                # below baseline). Each is read alone, the worst kept.
                continue
            # "bp 128/80 this morning 86/50 now": the number is beside the pair only once the time reader took "this
            # morning". Read as the pulse, the later pressure of 86/50 was lost, a systolic under 90 unpaged (SOP 5
            # Grade 1 Home, line 64): no pulse, and the number is read on its own.
            has_pulse = m.group("pulse") is not None and (work.text[m.end("dia"):m.start("pulse")]
                                                          == m.string[m.end("dia"):m.start("pulse")])
            # "bp 128/80 earlier now 86": the systolic again, alone (86 was an implausible temperature, a systolic
            # under 90 unpaged: SOP 5 Grade 1 Home, line 64). After then-words only, never a number that may be a
            # fever, that another vital's word follows, or that a slash makes a pair.
            again, end = _the_same_again(work, _THEN_MORE, m.end("dia"), SYSTOLIC_RANGE) \
                if pair_ok and not has_pulse else ([], m.end("dia"))
            work.take(m.start(), m.start("pulse") if has_pulse else end)
            if pair_ok:
                pressures += [(systolic, diastolic), *((value, None) for value in again)]
            else:
                found["implausible"].append("blood_pressure")
            if has_pulse:
                # A third number after the pair is the pulse, as a home cuff shows it (SYS/DIA/PUL):
                # always after a slash ("120/80/104"), otherwise unless it reads as a temperature.
                pulse = int(m.group("pulse"))
                labelled = re.search(r"(pulse|p|hr|pulso)\s*:?\s*\d+$", m.group(0))
                if m.group("slash") or labelled or temperature_unit(Decimal(pulse)) is None:
                    work.take(m.start("pulse"), m.end("pulse"))
                    if within(pulse, HEART_RATE_RANGE):
                        found.setdefault("heart_rate", pulse)
                    else:
                        found["implausible"].append("heart_rate")
    singles: list[int] = []
    systolic_said: dict[int, str] = {}  # a systolic read from words, and the words: "in the 80s" (80), "under 90" (89)
    for m in work.find(_SYSTOLIC_DECADE_AFTER):  # "bp 120 now in the 80s": 120 and 80
        first = int(m.group("first"))
        if temperature_unit(Decimal(first)) is not None:
            continue  # "bp 101 now in the 80s": 101 may be a fever, never read away (SOP 4 Grading)
        work.take(m.start(), m.end())
        value, words = _decade(m)
        for systolic in (first, value):
            if within(systolic, SYSTOLIC_RANGE):
                singles.append(systolic)
        systolic_said[value] = words
    for m in work.find(_SYSTOLIC_DECADE):  # "bp in the high 80s": 87
        work.take(m.start(), m.end())
        value, words = _decade(m)
        if within(value, SYSTOLIC_RANGE):
            singles.append(value)
            systolic_said[value] = words
    _read_below(work, _SYSTOLIC_BELOW, SYSTOLIC_RANGE, singles, systolic_said)  # "bp under 90": 89
    for m in work.find(_BP_SINGLE):
        end = m.end()
        # "bp 100 but dropped to 85", "sbp 110 then 85": the same vital again (read as an implausible temperature, a
        # pressure under 90 went unpaged: SOP 5 Grade 1 Home, systolic < 90 and more than 10 below baseline). Never a
        # number that may be a temperature ("bp 110 then 101": a fever is never read away, SOP 4 Grading).
        again, end = _the_same_again(work, _SPO2_MORE, end, SYSTOLIC_RANGE)
        singles += again
        work.take(m.start(), end)
        if within(int(m.group(1)), SYSTOLIC_RANGE):
            singles.append(int(m.group(1)))
        else:
            found["implausible"].append("blood_pressure")
    diastolics: list[int] = []
    for m in work.find(_DIA_SINGLE):
        work.take(m.start(), m.end())
        diastolics.append(int(m.group(1)))
    for systolic in singles:
        below = next((d for d in diastolics if within(d, DIASTOLIC_RANGE) and d < systolic), None)
        pressures.append((systolic, below))
    if pressures:
        found["systolic"], found["diastolic"] = min(pressures, key=lambda p: (p[0], p[1] is None))
        if found["systolic"] in systolic_said and (found["systolic"], None) in pressures:
            found["systolic_said"] = systolic_said[found["systolic"]]
    saturations: list[int] = []
    said: dict[int, str] = {}  # a value read from words, and the words: "in the high 80s" (87), "under 90" (89)
    for m in work.find(_SPO2_DECADE_AFTER):  # "o2 was 95 now in the high 80s": 95 and 87
        work.take(m.start(), m.end())
        value, words = _decade(m)
        if within(int(m.group("first")), SPO2_RANGE):
            saturations.append(int(m.group("first")))
        saturations.append(value)
        said[value] = words
    for m in work.find(_SPO2_DECADE):  # "o2 in the high 80s": 87
        end = m.end()
        while True:
            if (more := _again(work, _SPO2_MORE, end)) and within(int(more.group(1)), SPO2_RANGE):
                saturations.append(int(more.group(1)))  # "o2 in the 80s, now 92": the same vital again
            elif then := _SPO2_DECADE_THEN.match(work.left, end):  # "o2 in the 90s, now in the 80s": 90 and 80
                then_value, then_words = _decade(then)
                saturations.append(then_value)
                said[then_value] = then_words
                more = then
            else:
                break
            end = more.end()
        work.take(m.start(), end)
        value, words = _decade(m)
        saturations.append(value)
        said[value] = words
    _read_below(work, _SPO2_BELOW, SPO2_RANGE, saturations, said)  # "oxygen under 90": 89
    for pattern in (_SPO2, _SPO2_AFTER):
        for m in work.find(pattern):
            again, end = _the_same_again(work, _SPO2_MORE, m.end(), SPO2_RANGE, fever_stops=False) \
                if pattern is _SPO2 else ([], m.end())
            values = [int(m.group(1)), *again]
            work.take(m.start(), end)
            for value in values:
                if within(value, SPO2_RANGE):
                    saturations.append(value)
                else:
                    found["implausible"].append("spo2")
    if saturations:
        found["spo2"] = min(saturations)
        if found["spo2"] in said:
            found["spo2_said"] = said[found["spo2"]]
    for pattern in (_HR, _HR_BARE, _HR_AFTER):
        for m in work.find(pattern):
            if pattern is _HR_AFTER and "pul" in m.group(0) and temperature_unit(Decimal(m.group(1))) is not None:
                continue  # "101 pulse": a fever is never read away as a pulse (SOP 4 Grading: >= 100.4 F)
            if pattern is _HR_BARE and (_HEART_AS_A_THING.search(work.text, 0, m.start()) or (
                    temperature_unit(Decimal(m.group(1))) is not None
                    and not _reading_beside(work.text[:m.start()] + " " * len(m.group()) + work.text[m.end():]))):
                continue  # "pain near his heart 101", "heart 101" alone: maybe a fever, never read away (SOP 4 Grading)
            # "heart rate 110 then 120": the same vital again. Never a number that may be a temperature ("hr 110 then
            # 101" lost its fever: SOP 4 Grading, fever >= 100.4 F is never read away).
            again, end = _the_same_again(work, _SPO2_MORE, m.end(), HEART_RATE_RANGE) \
                if pattern is _HR else ([], m.end())
            values = [int(m.group(1)), *again]
            work.take(m.start(), end)
            plausible = [v for v in values if within(v, HEART_RATE_RANGE)]
            if len(plausible) < len(values):
                found["implausible"].append("heart_rate")
            if plausible and "heart_rate" not in found:
                found["heart_rate"] = max(plausible)
    return _settled(found)


def _settled(found: dict[str, Any]) -> dict[str, Any]:
    """A plausible value beside an implausible one of the same kind: keep the plausible one."""
    have = {"blood_pressure": "systolic", "spo2": "spo2", "heart_rate": "heart_rate"}
    found["implausible"] = [f for f in found["implausible"] if have[f] not in found]
    return found


# Which vital an unlabelled number is, from the words shortly before it in its sentence
# (vocabulary/<language>.toml [vitals.context]; issue 14, fault 4): "my heart is pounding, 128".
_CONTEXT = {vital: re.compile(rf"\b(?:{vocabulary.alternation('vitals', 'context', vital)})\b")
            for vital in ("heart_rate", "blood_pressure", "spo2", "temperature")}
# Words that say the vital named is settled ("pulse ok, 101"): the number after them is not that vital.
_SETTLED = re.compile(rf"\b(?:{vocabulary.alternation('vitals', 'context', 'settled')})\b")
# A whole number with no unit or decimal point: one with either is a temperature, whatever is said.
_BARE_NUMBER = re.compile(r"(?<![\w.,])(\d{2,3})(?![\d°]|[.,]\d|\s*(?:%|°|(?:f|c|deg|degrees?|grados?)\b))")
# Context reaches back at most this far, and never across another number or a sentence's end.
_CONTEXT_CHARACTERS = 40
_CONTEXT_STOP = re.compile(r"\d|[;!?\n]|\.(?!\d)")


def vital_by_context(text: str, start: int) -> str | None:
    """The vital the words before position `start` of `text` name ("heart_rate", "blood_pressure",
    "spo2", "temperature"), the nearest if several; None when no such word is close enough."""
    window_start = max(0, start - _CONTEXT_CHARACTERS)
    stops = [m.end() for m in _CONTEXT_STOP.finditer(text, window_start, start)]
    window_start = max([window_start, *stops])
    named = [(m.end(), m.end() - m.start(), vital) for vital, pattern in _CONTEXT.items()
             for m in pattern.finditer(text, window_start, start)]
    if not named:
        return None
    end, _, vital = max(named)
    return None if _SETTLED.search(text, end, start) else vital


def add_vitals_by_context(work: Work, found: dict[str, Any]) -> dict[str, Any]:
    """Read the numbers left whose words say which vital they are, before temperatures are read: a
    number said of the heart is a pulse, even one no pulse can be (then an implausible heart rate, never
    a temperature), unless it could be a temperature ("heart racing 101"): the words are a symptom as
    often as a label, a pulse has no home rule and a fever has (SOP 4), so such a number stays a
    temperature rather than read a fever away. Two readings of one vital keep the worst, as by label: the highest pulse, the lowest
    SpO2, the lowest systolic."""
    for m in work.find(_BARE_NUMBER):
        vital = vital_by_context(work.text, m.start())
        if vital is None or vital == "temperature":
            continue
        value = int(m.group(1))
        if vital == "heart_rate" and temperature_unit(Decimal(value)) is not None:
            continue  # "heart racing 101": a fever is never read away as a pulse (SOP 4: >= 100.4 F is CRS)
        field, bounds = {"heart_rate": ("heart_rate", HEART_RATE_RANGE), "spo2": ("spo2", SPO2_RANGE),
                         "blood_pressure": ("systolic", SYSTOLIC_RANGE)}[vital]
        # "his pressure went from 120 to 85", "her oxygen was 95 earlier, 87 now": the same vital again (85 was left
        # unread, a pressure under 90 unpaged: SOP 5 Grade 1 Home, systolic < 90 and more than 10 below baseline;
        # new hypoxia < 90%). Never a number that may be a temperature (a fever is never read away: SOP 4 Grading),
        # nor one a slash makes a pair.
        again, end = _the_same_again(work, _THEN_MORE, m.end(), bounds)
        values = [value, *again]
        work.take(m.start(), end)
        for value in values:
            if not within(value, bounds):
                found["implausible"].append(vital)
            elif field not in found or (value > found[field] if field == "heart_rate" else value < found[field]):
                found[field] = value
                found.pop(f"{field}_said", None)  # a lower saturation than the decade said: its own number
                if field == "systolic":
                    found["diastolic"] = None
    return _settled(found)
