"""The values triage works on: frozen, plain, and free of I/O.

Everything here is built by `monitoring` from the store and the config, and handed to
`triage.assess`; time always comes in as an argument.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

# Levels, lowest to highest (CONTRACT section 6).
LEVELS = ("routine", "home_care", "clinician_review", "urgent")

# Symptom codes a patient (or someone with them) can report. The first four are the SOP's
# escalation symptoms (SOP 5, Grade 1 Home: "new orthostatic symptoms, weakness, confusion,
# dizziness"). The neurotoxicity signs answer SOP 4 Workup, "Assess for concurrent symptoms of
# neurotoxicity", in the terms of the ASTCT ICANS consensus (Lee et al. 2019, the SOP's reference 1):
# depressed level of consciousness, expressive/receptive language trouble, dysgraphia (an ICE item),
# tremor, seizure, and fainting (loss of consciousness, kept apart from dizziness); disorientation is
# read as `confusion`. Cyanosis is a bedside sign of hypoxia for a patient who cannot measure SpO2.
# The rest are the CRS symptoms of SOP 3 (Definitions), recorded and counted for `prolonged_symptoms`.
ESCALATION_SYMPTOMS = ("confusion", "weakness", "dizziness", "orthostatic")
NEUROTOXICITY_SIGNS = ("somnolence", "speech_difficulty", "writing_difficulty", "tremor", "seizure", "syncope")
HYPOXIA_SIGNS = ("cyanosis",)  # shortness_of_breath, the other bedside sign, stays among the CRS symptoms
OTHER_SYMPTOMS = ("chills", "shortness_of_breath", "nausea", "rash", "headache", "myalgia")
SYMPTOMS = ESCALATION_SYMPTOMS + NEUROTOXICITY_SIGNS + HYPOXIA_SIGNS + OTHER_SYMPTOMS

MEDICATIONS = ("acetaminophen", "dexamethasone", "tocilizumab", "anakinra", "siltuximab")


@dataclass(frozen=True)
class Thresholds:
    """The clinic's numbers (config `[thresholds]`), defaults from the SOP."""

    fever_c: float = 38.0  # SOP 4 Grading: fever >= 100.4 F (38 C)
    systolic_floor: int = 90  # SOP 5 Grade 1 Home: "< 90 mm Hg systolic"
    systolic_drop: int = 10  # SOP 5 Grade 1 Home: "10 mm Hg below baseline"
    spo2_floor: int = 90  # SOP 5 Grade 1 Home: "new hypoxia (< 90%)"
    acetaminophen_interval_hours: float = 6  # SOP 5 Grade 1 Home: "can repeat ... >= 6-8 h later"
    acetaminophen_max_daily_mg: int = 4000  # DESIGN: max 4 g / 24 h
    protracted_fever_hours: float = 48  # SOP 5 Grade 1 Additional: "> 48 h despite corticosteroids"
    prolonged_symptoms_days: float = 7  # SOP 4 Workup: "duration of symptoms over 1 week"


@dataclass(frozen=True)
class ClinicHours:
    """When the clinic answers its phone, in its own time zone."""

    timezone: str = "America/Chicago"
    open: time = time(8, 0)
    close: time = time(17, 0)
    days: frozenset[str] = frozenset({"mon", "tue", "wed", "thu", "fri"})


@dataclass(frozen=True)
class Profile:
    """The patient as triage needs them (enrollment values and per-patient overrides)."""

    dose_given_at: datetime
    baseline_systolic: int | None = None
    baseline_spo2: int | None = None  # set for chronic lung disease: their own floor
    high_risk: bool = False  # SOP 5 Grade 1: "multiple disease risk factors or comorbidities"


@dataclass(frozen=True)
class Reading:
    """One set of values the patient reported. None where not given. Temperature in Celsius."""

    taken_at: datetime
    temperature_c: float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    spo2: int | None = None
    heart_rate: int | None = None
    symptoms: frozenset[str] = frozenset()
    denied_symptoms: frozenset[str] = frozenset()  # "no confusion": recorded, never escalates
    implausible: frozenset[str] = frozenset()  # fields the patient gave that no body shows (measure again)


@dataclass(frozen=True)
class Dose:
    """A medication dose taken or given (name from MEDICATIONS)."""

    name: str
    given_at: datetime
    dose_mg: float | None = None


@dataclass(frozen=True)
class History:
    """What came before the new reading, in this monitoring episode (oldest first). The tocilizumab
    limits take their own doses (`tocilizumab_refusal`), reaching back six weeks across episodes."""

    readings: tuple[Reading, ...] = ()
    doses: tuple[Dose, ...] = ()


@dataclass(frozen=True)
class Assessment:
    """Triage's answer. `instructions` are template keys (messages/templates), most important first."""

    level: str
    reasons: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()
    next_acetaminophen_at: datetime | None = None  # earliest time another dose is allowed, if relevant
    details: dict[str, Any] = field(default_factory=dict, compare=False)
