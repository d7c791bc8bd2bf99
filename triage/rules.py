"""The SOP's rules about one reading: one short function per sentence, each beside its line.

Every function here reads a reading whose implausible values are already blanked
(`ranges.trusted`), so None means "not given or not believable" and never triggers a rule.
"""
from __future__ import annotations

from .model import (
    ESCALATION_SYMPTOMS,
    HYPOXIA_SIGNS,
    NEUROTOXICITY_SIGNS,
    SYMPTOMS,
    Profile,
    Reading,
    Thresholds,
)


# SOP 4 Grading: "Fever is defined as a temperature >= 100.4 F (38 C)" (inclusive).
def fever(t: Thresholds, temperature_c: float | None) -> bool:
    """Temperature at or above the clinic's fever line (38.0 C by default)."""
    return temperature_c is not None and temperature_c >= t.fever_c


# SOP 5, Grade 1 Home: "recontact the clinic urgently ... if blood pressure goes < 10 mm Hg below
# baseline AND < 90 mm Hg systolic". Read as "more than 10 below baseline" (as CONTRACT 6 does): a
# pressure less than 10 below baseline is near the patient's usual, which is no reason to send them
# to the ED; see docs/sop-traceability.md.
def hypotension(t: Thresholds, systolic: int | None, baseline_systolic: int | None) -> bool:
    """SBP < floor AND more than `systolic_drop` below baseline; the floor alone without a baseline."""
    if systolic is None:
        return False
    below_floor = systolic < t.systolic_floor
    if baseline_systolic is None:
        return below_floor
    return below_floor and baseline_systolic - systolic > t.systolic_drop


# SOP 5, Grade 1 Home: "... or new hypoxia (< 90%)". "New" for a patient with chronic lung disease
# means below their own usual saturation, so their baseline lowers the floor (never raises it).
def spo2_floor(t: Thresholds, profile: Profile) -> int:
    """The SpO2 below which this patient is hypoxic: min(clinic floor, own baseline)."""
    if profile.baseline_spo2 is None:
        return t.spo2_floor
    return min(t.spo2_floor, profile.baseline_spo2)


def hypoxia(t: Thresholds, spo2: int | None, profile: Profile) -> bool:
    """SpO2 strictly below the patient's floor."""
    return spo2 is not None and spo2 < spo2_floor(t, profile)


# SOP 5, Grade 1 Home: "... new orthostatic symptoms, weakness, confusion, dizziness". Every report
# counts as new: a text cannot tell a new symptom from an old one, and missing a new one is worse
# than one more alert (one open alert per patient is updated, not duplicated). A denied symptom
# ("no confusion") never escalates.
def escalation_symptoms(reading: Reading) -> tuple[str, ...]:
    """The escalation symptoms reported in this reading, in the SOP's order."""
    reported = reading.symptoms - reading.denied_symptoms
    return tuple(code for code in ESCALATION_SYMPTOMS if code in reported)


# Beyond the Grade 1 home list, on purpose: SOP 3 names dyspnea among CRS symptoms and SOP 4's workup
# asks for "evaluation of respiratory symptoms"; "new hypoxia (< 90%)" is urgent, but a patient
# without a pulse oximeter cannot measure it. Breathlessness is the bedside sign of hypoxia, and a
# patient who writes "I can't breathe" must hear "call now / go to the ED", so it is urgent too.
# Breathing fast or struggling to breathe, as a caregiver sees it, is the same sign (messages.parse).
def shortness_of_breath(reading: Reading) -> bool:
    """The patient reports shortness of breath (not denied)."""
    return "shortness_of_breath" in reading.symptoms - reading.denied_symptoms


# SOP 4 Workup (line 39): "Assess for concurrent symptoms of neurotoxicity". At home that assessment
# is what the patient or the person with them notices; the signs are those the ASTCT ICANS consensus
# (Lee et al. 2019, SOP reference 1) grades: depressed level of consciousness (`somnolence`), trouble
# speaking or understanding (`speech_difficulty`), handwriting changed or unable to write
# (`writing_difficulty`, the ICE score's writing item), new tremor, seizure, and fainting (`syncope`,
# loss of consciousness, not dizziness); disorientation (ICE's orientation items) is read as
# `confusion`, which SOP 5 already makes urgent. Any one of them needs a clinician's evaluation now:
# ICANS can progress within hours and no home check can grade it, so each is urgent.
def neurotoxicity_signs(reading: Reading) -> tuple[str, ...]:
    """The neurotoxicity signs reported in this reading (not denied), in NEUROTOXICITY_SIGNS order."""
    reported = reading.symptoms - reading.denied_symptoms
    return tuple(code for code in NEUROTOXICITY_SIGNS if code in reported)


# The same reasoning as shortness of breath: "new hypoxia (< 90%)" (SOP 5, Grade 1 Home) cannot be
# measured without an oximeter, and blue or grey lips or fingertips are what hypoxia looks like at the
# bedside, so a report of them is urgent.
def hypoxia_signs(reading: Reading) -> tuple[str, ...]:
    """Bedside signs of hypoxia reported in this reading (not denied): cyanosis."""
    reported = reading.symptoms - reading.denied_symptoms
    return tuple(code for code in HYPOXIA_SIGNS if code in reported)


# SOP 5, Grade 1 Home vs outpatient/ED: "Consider earlier administration of steroids and immediate
# in-person evaluation for patients with multiple disease risk factors or comorbidities".
def high_risk_fever(is_fever: bool, profile: Profile) -> bool:
    """A fever in a patient flagged high-risk at enrollment."""
    return is_fever and profile.high_risk


# SOP 3 Definitions: CRS "causes symptoms such as fever, hypotension, hypoxia, chills, tachycardia,
# dyspnea, nausea, rash, headache, and myalgia". Used to time SOP 4's "duration of symptoms".
def crs_signs(t: Thresholds, profile: Profile, reading: Reading) -> bool:
    """Any CRS sign in this reading: fever, hypotension, hypoxia or a reported symptom code."""
    reported = (reading.symptoms - reading.denied_symptoms) & frozenset(SYMPTOMS)
    return bool(
        reported
        or fever(t, reading.temperature_c)
        or hypotension(t, reading.systolic, profile.baseline_systolic)
        or hypoxia(t, reading.spo2, profile)
    )
