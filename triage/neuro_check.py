"""The caregiver's daily neuro check, as triage reads it.

SOP 4 Workup (SOP.txt line 39): "Assess for concurrent symptoms of neurotoxicity". The check asks a
caregiver three bedside questions modelled on the ICE score (ASTCT consensus, Lee et al. 2019, the
SOP's reference 1: orientation, naming objects, writing a sentence). It is a screen that prompts a
clinician's evaluation, not an ICE score: any change from the patient's usual is urgent, because a
change in these items is how ICANS shows itself before anyone can score it.
"""
from __future__ import annotations

from datetime import datetime

from .hours import urgent_instruction
from .model import Assessment, ClinicHours

ANSWERS = ("normal", "changed")


def assess_neuro_check(answer: str, hours: ClinicHours, now: datetime) -> Assessment:
    """'normal' -> routine, no reasons; 'changed' -> urgent `neuro_check_changed`, the urgent reply
    (call the clinic in hours, the emergency department after). Raises ValueError for another answer."""
    if answer not in ANSWERS:
        raise ValueError(f"a neuro check answer is one of {', '.join(ANSWERS)}, not {answer!r}")
    if answer == "normal":
        return Assessment("routine", (), ("neuro_check_normal",))
    return Assessment("urgent", ("neuro_check_changed",), (urgent_instruction(hours, now),))
