"""Acetaminophen bookkeeping: the interval since the last dose and the total over 24 hours.

SOP 5, Grade 1 Home: "Acetaminophen 650-1000 mg by mouth, can repeat, if recurrent fever, >= 6-8 h
later if clinically stable"; Grade 2: "up to 3-4 times daily"; DESIGN: at most 4 g in 24 h.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .model import Dose, Thresholds

ACETAMINOPHEN = "acetaminophen"
DAY = timedelta(hours=24)

# SOP 5, Grade 1 Home: "Acetaminophen 650-1000 mg". The smallest dose decides whether any further
# dose still fits under the daily maximum.
SMALLEST_DOSE_MG = 650
# A dose reported without its strength ("took tylenol") counts as 1000 mg: the worst case of the
# SOP's 650-1000 mg, so the daily total is never underestimated.
UNKNOWN_DOSE_MG = 1000


def acetaminophen_doses(doses: Iterable[Dose], until: datetime | None = None) -> list[Dose]:
    """The acetaminophen doses (given at or before `until`, when given), oldest first."""
    chosen = [
        dose for dose in doses
        if dose.name.lower() == ACETAMINOPHEN and (until is None or dose.given_at <= until)
    ]
    return sorted(chosen, key=lambda dose: dose.given_at)


def dose_mg(dose: Dose) -> float:
    """The dose's strength, or UNKNOWN_DOSE_MG when the patient did not say."""
    return UNKNOWN_DOSE_MG if dose.dose_mg is None else dose.dose_mg


def total_mg(doses: Iterable[Dose], at: datetime) -> float:
    """Milligrams taken in the 24 hours ending at `at`: given_at in (at - 24 h, at]."""
    return sum(dose_mg(dose) for dose in doses if at - DAY < dose.given_at <= at)


def too_soon(t: Thresholds, doses: Sequence[Dose], at: datetime) -> bool:
    """A dose at `at` would be closer than the interval to another dose (either side)."""
    interval = timedelta(hours=t.acetaminophen_interval_hours)
    return any(abs(at - dose.given_at) < interval for dose in doses)


def over_daily_max(t: Thresholds, doses: Sequence[Dose], new: Dose) -> bool:
    """Adding `new` would put more than the daily maximum into some 24 h window.

    Windows ending at the new dose and at every later dose within 24 h are checked, so a dose
    reported late (given_at before doses already on record) is judged correctly too.
    """
    everything = [*doses, new]
    ends = [new.given_at] + [d.given_at for d in doses if new.given_at < d.given_at < new.given_at + DAY]
    return any(total_mg(everything, end) > t.acetaminophen_max_daily_mg for end in ends)


def next_allowed_at(
    t: Thresholds, doses: Sequence[Dose], after: datetime, next_dose_mg: float = SMALLEST_DOSE_MG
) -> datetime:
    """The earliest time at or after `after` when a dose of `next_dose_mg` respects both limits.

    Interval: at least `acetaminophen_interval_hours` after the latest dose. Daily maximum: the
    doses of the 24 h before, plus this one, stay at or under `acetaminophen_max_daily_mg`.
    The window total only falls as old doses leave it, so the answer is the first of: the
    interval's end, or the moment a dose leaves the window (given_at + 24 h), that fits.
    """
    start = after
    if doses:
        latest = max(dose.given_at for dose in doses)
        start = max(start, latest + timedelta(hours=t.acetaminophen_interval_hours))
    candidates = [start] + sorted(d.given_at + DAY for d in doses if d.given_at + DAY > start)
    for candidate in candidates:
        if total_mg(doses, candidate) + next_dose_mg <= t.acetaminophen_max_daily_mg:
            return candidate
    return candidates[-1]  # every dose has left the window; reached only if next_dose_mg > max


def fever_advice(t: Thresholds, doses: Iterable[Dose], now: datetime) -> tuple[str, datetime]:
    """The acetaminophen advice on a fever answered at `now`: SOP 5, Grade 1 Home (SOP.txt line 64: "Acetaminophen
    650-1000 mg by mouth, can repeat, if recurrent fever, >= 6-8 h later"; DESIGN: max 4 g / 24 h): a dose now
    ("reply_fever_home_care") when the interval and the daily maximum allow one, else "reply_fever_wait" until the
    time they do. Counts every acetaminophen dose in `doses`, one timed a few minutes after `now` too (a phone's
    clock ahead of ours: the app takes such a time, monitoring.app_api.FUTURE_ALLOWANCE; left out, a fever a minute
    after that dose was told to take another now). Returns (the instruction key, when the next dose is allowed:
    `now` when a dose is allowed now)."""
    next_dose_at = next_allowed_at(t, acetaminophen_doses(doses), after=now)
    return ("reply_fever_wait" if next_dose_at > now else "reply_fever_home_care"), next_dose_at
