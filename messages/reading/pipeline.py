"""`parse`: a short pipeline over the stages, each blanking what it read so a number is read once."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .commands import language_hint, read_command
from .medicines import dose_arithmetic, extract_medications
from .model import Parsed, Work
from .normalise import plain_words
from .numbers import SPLIT_DECIMAL, drop_counts, guessed_decimal, join_decimal
from .said import NO_FEVER, is_acknowledgement
from .symptoms import extract_symptoms
from .temperature import extract_temperature
from .times import extract_times
from .vitals import add_vitals_by_context, extract_vitals


def normalise(body: str) -> str:
    return dose_arithmetic(SPLIT_DECIMAL.sub(join_decimal, plain_words(body)))


def parse(body: str | None, now: datetime | None = None) -> Parsed:
    """Read one text. Never raises; a body with nothing usable gives `needs_clarification`.

    >>> parse("temp 100.9 bp 92/60 o2 95").spo2
    95
    """
    original = body or ""
    text = normalise(original)
    language = language_hint(original)
    command = read_command(text)
    if command is not None:
        name, arg, note = command
        # An ACK with words after it is a nurse's note, unless the words carry a reading, a symptom
        # or a medicine ("ack, I'm dizzy" from a patient is read as what it says).
        if not note or not _read(note, language, now).understood:
            return Parsed(command=name, command_arg=arg, language_hint=language)
    parsed = _read(text, language, now)
    no_fever = (bool(NO_FEVER.search(text)) and parsed.temperature_c is None
                and "temperature" not in parsed.implausible)
    nothing_read = not (parsed.understood or parsed.implausible)
    acknowledgement = nothing_read and is_acknowledgement(original, text)
    if no_fever or acknowledgement:
        parsed = replace(parsed, no_fever_claim=no_fever, acknowledgement=acknowledgement)
    if parsed.temperature_c is not None and guessed_decimal(original):
        parsed = replace(parsed, temperature_guessed=True)
    return parsed


def _read(text: str, language: str | None, now: datetime | None) -> Parsed:
    """Read a normalised text that is not a command."""
    work = Work(text)
    times = extract_times(work, now)
    vitals = extract_vitals(work)
    medications = extract_medications(work, times)
    drop_counts(work)
    vitals = add_vitals_by_context(work, vitals)
    temperature = extract_temperature(work)
    symptoms, denied = extract_symptoms(text)
    implausible = vitals.pop("implausible") + temperature.pop("implausible", [])
    return Parsed(
        **vitals,
        **temperature,
        symptoms=symptoms,
        denied_symptoms=denied,
        medications=tuple(medications),
        implausible=tuple(dict.fromkeys(implausible)),
        language_hint=language,
    )
