"""Tocilizumab: the dose and the SOP's limits on how often it may be given.

SOP 5 footnote [dagger]: "Tocilizumab dosing: 8 mg/kg IV. Tocilizumab should not be administered
more than twice per CRS event (at least 8 hours apart) or 3 times within a 6-week period."
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from .model import Dose

TOCILIZUMAB = "tocilizumab"
MG_PER_KG = 8  # SOP 5 dagger: "8 mg/kg IV"
# The SOP gives only mg/kg. The product label for CRS caps one infusion at 800 mg, so patients over
# 100 kg get 800 mg, not 8 mg/kg.
MAX_DOSE_MG = 800
WEIGHT_RANGE_KG = (2.0, 300.0)  # outside: a typing error (grams, pounds), not a patient
MAX_PER_EVENT = 2  # SOP 5 dagger: "not ... more than twice per CRS event"
MIN_SPACING = timedelta(hours=8)  # SOP 5 dagger: "(at least 8 hours apart)"
MAX_PER_WINDOW = 3  # SOP 5 dagger: "or 3 times within a 6-week period"
WINDOW = timedelta(weeks=6)

DOSING_TEXT = (
    f"{MG_PER_KG} mg/kg IV (at most {MAX_DOSE_MG} mg per dose). Tocilizumab should not be administered "
    f"more than twice per CRS event (at least 8 hours apart) or 3 times within a 6-week period."
)


def tocilizumab_dose_mg(weight_kg: float) -> float:
    """8 mg/kg, capped at 800 mg per dose. ValueError for a weight outside 2-300 kg."""
    low, high = WEIGHT_RANGE_KG
    if isinstance(weight_kg, bool) or not isinstance(weight_kg, (int, float)) or not low <= weight_kg <= high:
        raise ValueError(f"weight_kg must be between {low:g} and {high:g} kg (got {weight_kg!r})")
    return float(min(MG_PER_KG * weight_kg, MAX_DOSE_MG))


def _tocilizumab(doses: Sequence[Dose]) -> set[Dose]:
    return {dose for dose in doses if dose.name.lower() == TOCILIZUMAB}


def _most_in_a_window(times: list[datetime], containing: datetime) -> int:
    """The most doses in any 6-week window [start, start + 6 weeks) that contains `containing`."""
    starts = [t for t in times if containing - WINDOW < t <= containing]
    return max((sum(1 for t in times if start <= t < start + WINDOW) for start in starts), default=0)


def tocilizumab_refusal(
    event_doses: Sequence[Dose], recent_doses: Sequence[Dose], given_at: datetime
) -> str | None:
    """None when a tocilizumab dose at `given_at` is within the SOP's limits, else the rule it breaks.

    A CRS event is delimited by the monitoring episode: each step-up dose opens a new episode and
    so a new event, and the caller passes that episode's tocilizumab doses as `event_doses`.
    `recent_doses` is every tocilizumab dose of the patient (any episode); this function picks
    the 6-week windows itself (any 6 weeks containing the new dose, so a dose recorded late is
    judged too). Doses of other drugs are ignored; a dose in both lists counts once.
    The 8-hour spacing is checked against every earlier dose, not only this event's: the
    spacing protects the patient whichever event a dose was booked to.
    """
    event = _tocilizumab(event_doses)
    everything = event | _tocilizumab(recent_doses)
    if len(event) >= MAX_PER_EVENT:
        return f"tocilizumab: at most {MAX_PER_EVENT} doses per CRS event (SOP 5)"
    if any(abs(given_at - dose.given_at) < MIN_SPACING for dose in everything):
        return "tocilizumab: doses must be at least 8 hours apart (SOP 5)"
    times = sorted([dose.given_at for dose in everything] + [given_at])
    if _most_in_a_window(times, given_at) > MAX_PER_WINDOW:
        return f"tocilizumab: at most {MAX_PER_WINDOW} doses within 6 weeks (SOP 5)"
    return None
