"""What one text said (`Parsed`, `MedicationReport`), and the text being read (`Work`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Fever and pain medicines outside the SOP's (triage.model.MEDICATIONS): recorded so the nurse sees them (each
# masks a fever), never counted as acetaminophen; the patient is pointed to the plan (reply_other_medicine).
OTHER_MEDICINES = ("ibuprofen", "naproxen", "aspirin")


@dataclass(frozen=True)
class MedicationReport:
    """A medicine the patient took (or asks whether they may take: `asking`).

    `taken_at` is None when no time was given (the dose was taken about when the text was sent),
    or when a time was given but `now` was not (then `taken_at_raw` holds the words).
    """

    name: str  # canonical: triage.model.MEDICATIONS, or OTHER_MEDICINES (recorded, not counted)
    dose_mg: float | None = None
    taken_at: datetime | None = None
    asking: bool = False
    taken_at_raw: str | None = None


@dataclass(frozen=True)
class EarlierFever:
    """A fever the text gives beside its current temperature as an earlier one ("temp 101 at lunch, now 99", "ayer
    38.5 hoy 37.1"): read away as the current temperature it must be, but kept, for it is the episode's CRS sign (SOP 4
    Grading: fever >= 100.4 F / 38.0 C) and times the fever's course (SOP 5 Grade 1 Home: "If refractory or recurrent
    fever (< 6-8 h) consider dexamethasone").

    `taken_at` is the instant the text's time names ("at 2pm", "an hour ago"), or None when no time resolves
    ("earlier", "this morning", "at lunch", "ayer"): then `when` holds the words, if any, that placed it in the past.
    """

    temperature_c: float
    temperature_raw: str  # the number and unit as written (lower-cased)
    temperature_unit: str  # "C" or "F"
    taken_at: datetime | None = None
    when: str | None = None  # the time words beside it: "at 2pm", "this morning", "ayer"; None when none
    # Whole days before the text's day the words place it ("3 days ago" 3, "antier" 2, "yesterday" 1, "last week" at
    # least 1): no later than the end of that day. 0: today, or no day said.
    days_back: int = 0
    # The text places it before the treatment ("before the infusion", "antes de la infusion"): no sign of the
    # episode that dose began (SOP 4 Grading: the fever is CRS's sign after the BTCE)
    before_treatment: bool = False


@dataclass(frozen=True)
class Parsed:
    """What one text said. None / empty where the text did not say it."""

    temperature_c: float | None = None
    temperature_raw: str | None = None  # the number and unit as written (lower-cased)
    temperature_unit: str | None = None  # "C" or "F": as written, or read from the range
    systolic: int | None = None
    systolic_said: str | None = None  # "in the 80s", "under 90": a systolic said in words (`systolic` is the value read)
    diastolic: int | None = None
    spo2: int | None = None
    # "in the high 80s", "under 90": a saturation said in words, not as a number (`spo2` is the value read: 87, 89)
    spo2_said: str | None = None
    heart_rate: int | None = None
    symptoms: frozenset[str] = frozenset()
    denied_symptoms: frozenset[str] = frozenset()
    medications: tuple[MedicationReport, ...] = ()
    implausible: tuple[str, ...] = ()  # "temperature", "blood_pressure", "spo2", "heart_rate"
    command: str | None = None  # "help", "stop", "start", "ack"
    command_arg: int | None = None  # the alert id in "ACK 12"
    language_hint: str | None = None  # "en", "es", or None when the words do not tell
    # Said, not read: neither is a reading, so neither makes `understood` True.
    # "thanks", "ok", "👍", "I feel fine", "estoy bien": the whole text is polite or a status, and
    # nothing else was read (no value, symptom, denial, medicine, command or implausible value).
    acknowledgement: bool = False
    # "no fever", "temp normal", "sin fiebre", "no tengo fiebre": the patient says there is no fever
    # but no temperature was read (no number, and no implausible one).
    no_fever_claim: bool = False
    temperature_guessed: bool = False  # its decimal point was written another way ("100 7"): not a sure reading
    # Fevers the text gives as earlier than its current temperature ("101 at lunch, now 99"), oldest written first: each
    # a fever by the lowest line a clinic may set (37.5 C); the clinic's own line decides (monitoring.care.earlier_fevers)
    earlier_fevers: tuple[EarlierFever, ...] = ()

    @property
    def has_values(self) -> bool:
        """True when a temperature, systolic, SpO2 or heart rate was read."""
        return any(v is not None for v in (self.temperature_c, self.systolic, self.spo2, self.heart_rate))

    @property
    def understood(self) -> bool:
        """Anything usable: a value, a symptom, a denial, a medicine or a command."""
        return bool(self.has_values or self.symptoms or self.denied_symptoms or self.medications
                    or self.command)


class Work:
    """The normalised text, and a copy in which what has been read is blanked out."""

    def __init__(self, text: str):
        self.text = text
        self.left = text
        self.times: list[tuple[int, int]] = []  # the spans the time reader took ("at 2pm", "last night")

    def take(self, start: int, end: int) -> None:
        """Blank out text[start:end] in what is left to read (same length, so positions stay valid)."""
        self.left = self.left[:start] + " " * (end - start) + self.left[end:]

    def find(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Every match of `pattern` in what is left to read."""
        return list(pattern.finditer(self.left))
