"""Reason codes, the level each asks for, and one assessment made of several (the parts of one text).

Pure: no I/O, no clock. `triage.assess` lists the reasons of a reading; `triage.replies` folds a text's
acetaminophen checks into one answer; both merge through `combine`.
"""
from __future__ import annotations

from typing import Any

from .model import LEVELS, Assessment

# CONTRACT section 6: every reason code and the level it raises the assessment to at least.
# The order here is also the order reasons are listed in within one level.
REASON_LEVELS: dict[str, str] = {
    "hypotension": "urgent",
    "hypoxia": "urgent",
    "confusion": "urgent",
    "weakness": "urgent",
    "dizziness": "urgent",
    "orthostatic": "urgent",
    # SOP 4 Workup, "Assess for concurrent symptoms of neurotoxicity"; ASTCT ICANS (Lee et al. 2019)
    "somnolence": "urgent",
    "speech_difficulty": "urgent",
    "writing_difficulty": "urgent",
    "tremor": "urgent",
    "seizure": "urgent",
    "syncope": "urgent",
    "shortness_of_breath": "urgent",
    "cyanosis": "urgent",
    "high_risk_fever": "urgent",
    "protracted_fever": "clinician_review",
    "persistent_fever": "clinician_review",
    "recurrent_fever": "clinician_review",
    "prolonged_symptoms": "clinician_review",
    "missed_checkins": "clinician_review",
    "asks_for_call": "clinician_review",
    "concerning_text": "clinician_review",
    "unprocessed_message": "clinician_review",
    "opted_out": "clinician_review",
    "undeliverable": "clinician_review",
    "fever": "home_care",
    "acetaminophen_too_soon": "home_care",
    "implausible_reading": "routine",
}


def level_of(reasons: tuple[str, ...] | list[str]) -> str:
    """The most severe level any reason asks for; routine when there is none."""
    ranks = [LEVELS.index(REASON_LEVELS[code]) for code in reasons]
    return LEVELS[max(ranks, default=0)]


def ordered(reasons: list[str]) -> tuple[str, ...]:
    """Most severe first, then in REASON_LEVELS order."""
    order = list(REASON_LEVELS)
    return tuple(sorted(set(reasons), key=lambda c: (-LEVELS.index(REASON_LEVELS[c]), order.index(c))))


def combine(*assessments: Assessment) -> Assessment:
    """One text, one assessment: the parts of one text (a reading, an acetaminophen report) as one.

    Every reason of every part, ordered as `assess` orders them; the level the most severe asks
    for; the instructions in the order of the parts given (so the first part's reply stays first),
    each once; the first `next_acetaminophen_at` given; details merged, the earlier part's value
    kept where two parts name the same key.
    """
    reasons = ordered([code for a in assessments for code in a.reasons])
    instructions = tuple(dict.fromkeys(key for a in assessments for key in a.instructions))
    next_dose_at = next((a.next_acetaminophen_at for a in assessments if a.next_acetaminophen_at), None)
    details: dict[str, Any] = {}
    for a in assessments:
        details = {**a.details, **details}
    return Assessment(level_of(reasons), reasons, instructions, next_acetaminophen_at=next_dose_at, details=details)
