"""`parse`: a short pipeline over the stages, each blanking what it read so a number is read once."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from .commands import language_hint, read_command
from .medicines import dose_arithmetic, extract_medications
from .model import Parsed, Work
from .normalise import plain_words
from .number_words import number_words_to_digits
from .numbers import decimal_guessed_in, drop_counts, join_decimals, open_decimal
from .said import NO_FEVER, is_acknowledgement
from .symptoms import extract_symptoms
from .temperature import extract_temperature
from .times import extract_times
from .vitals import add_vitals_by_context, extract_vitals, says_a_decade, set_aside_other_measures

_DIGIT = re.compile(r"\d")


def normalise(body: str) -> str:
    """The text the stages read: plain words (normalise.plain_words), number words that are a reading as
    digits (number_words), decimals joined, doses multiplied."""
    return _normalised(number_words_to_digits(plain_words(body)))


def _normalised(plain: str) -> str:
    return dose_arithmetic(join_decimals(plain))


def parse(body: str | None, now: datetime | None = None) -> Parsed:
    """Read one text. Never raises; a body with nothing usable is not `understood` (triage.replies
    chooses its reply: measure again for an implausible value, else "I could not read that").

    >>> parse("temp 100.9 bp 92/60 o2 95").spo2
    95
    """
    original = body or ""
    plain = number_words_to_digits(plain_words(original))  # "a hundred and one point five" -> 101.5
    text = _normalised(plain)
    language = language_hint(original)
    command = read_command(text)
    if command is not None:
        name, arg, note = command
        # An ACK with words after it is a nurse's note, unless the words carry a reading, a symptom
        # or a medicine ("ack, I'm dizzy" from a patient is read as what it says).
        if not note or not _read(note, language, now).understood:
            return Parsed(command=name, command_arg=arg, language_hint=language)
    parsed = _read(text, language, now)
    # "no fever", or a temperature said only as below the fever line ("under 100.4": _read marks it)
    no_fever = ((bool(NO_FEVER.search(text)) or parsed.no_fever_claim)
                and parsed.temperature_c is None and "temperature" not in parsed.implausible)
    nothing_read = not (parsed.understood or parsed.implausible)
    acknowledgement = nothing_read and is_acknowledgement(original, text)
    if no_fever or acknowledgement or parsed.no_fever_claim:
        parsed = replace(parsed, no_fever_claim=no_fever, acknowledgement=acknowledgement)
    if parsed.temperature_c is not None and (decimal_guessed_in(plain)
                                             or open_decimal(original, parsed.temperature_raw) is not None
                                             or _dose_time_or_temperature(text, parsed)):
        parsed = replace(parsed, temperature_guessed=True)
    return parsed


# "took tylenol at 100": 1:00 typed without its colon, or a temperature of 100 F? Read as the temperature (a fever, "at
# 101", is never read away: SOP 4 Grading, >= 100.4 F), but guessed: the reply was "No fever now" about a temperature
# the patient may never have taken, and a guessed reading is never answered that way (triage.replies).
_AT_CLOCK_OR_TEMPERATURE = re.compile(r"(?:\b(?:at|around|about|by|a\s+las?)|@)\s*(?P<number>10\d)(?![\d.,°\w])")


def _dose_time_or_temperature(text: str, parsed: Parsed) -> bool:
    """A dose in the text and its temperature a whole 100-109 right after "at": it may be the dose's clock time."""
    return bool(parsed.medications) and any(m.group("number") == parsed.temperature_raw
                                            for m in _AT_CLOCK_OR_TEMPERATURE.finditer(text))


def _read(text: str, language: str | None, now: datetime | None) -> Parsed:
    """Read a normalised text that is not a command. Each stage blanks what it read in `work.left`,
    so a number is read once: times, vitals by label, medicines, counts ("3 days"), vitals by the
    words around them, then what numbers are left are temperatures."""
    work = Work(text)
    times = extract_times(work, now)
    # every stage below but medicines reads a number ("oxygen in the eighties" is one)
    has_number = _DIGIT.search(text) is not None or says_a_decade(text)
    if has_number:
        set_aside_other_measures(work)  # "blood sugar 102", "250 mg/dl": no temperature, no dose
    vitals: dict[str, Any] = extract_vitals(work) if has_number else {"implausible": []}
    medications = extract_medications(work, times)
    temperature: dict[str, Any] = {}
    if has_number:
        drop_counts(work)
        vitals = add_vitals_by_context(work, vitals)
        temperature = extract_temperature(work, times)
    symptoms, denied = extract_symptoms(text)
    implausible = vitals.pop("implausible") + temperature.pop("implausible", [])
    below_fever_line = bool(temperature.pop("below_fever_line", False))
    return Parsed(
        **vitals,
        **temperature,
        symptoms=symptoms,
        denied_symptoms=denied,
        medications=tuple(medications),
        implausible=tuple(dict.fromkeys(implausible)),
        language_hint=language,
        no_fever_claim=below_fever_line,  # parse() keeps it only with no temperature read
    )
