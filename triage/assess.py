"""Triage: a new reading (or an acetaminophen report) in, an Assessment out.

Pure: no I/O, no clock. `now` is when the answer is given (clinic hours, acetaminophen advice);
the reading's own `taken_at` times the clinical rules.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from . import acetaminophen as apap
from . import episode, replies, rules
from .hours import urgent_instruction
from .model import LEVELS, Assessment, ClinicHours, Dose, History, Profile, Reading, Thresholds
from .ranges import trusted
from .reasons import combine, level_of, ordered


def assess(
    thresholds: Thresholds,
    profile: Profile,
    history: History,
    reading: Reading,
    now: datetime,
    hours: ClinicHours,
    *,
    time_known: bool = True,
) -> Assessment:
    """Triage one new reading against the SOP. `history` is the episode before it (excluding it).

    Every reason that applies is listed; the most severe decides the level. Implausible values are
    ignored (and the patient asked to measure again); the believable values of the same reading
    are still triaged. The clinical rules ignore history readings and doses after the new
    reading's `taken_at` (a late report is judged at its own time); the acetaminophen advice on a
    fever counts every dose up to `now`, because it says what the patient may take now.
    On a fever, `next_acetaminophen_at` is set (equal to `now` when a dose is allowed now).

    `time_known` False: a fever a text gave as earlier without a time ("101 earlier", "had 101 last night"), whose
    `taken_at` is only the latest it can have been: where it stood against the doses is not known, so the reasons
    that time a fever after a dose (recurrent_fever, persistent_fever: SOP 5 Grade 1 Home, "recurrent fever (< 6-8
    h)" after acetaminophen; "persistent symptoms" after dexamethasone) are not claimed ("fever last night, took tylenol at 6,
    now 99" is the dose working, and a page saying "fever again soon after acetaminophen" would be a wrong fact).
    A fever said as earlier is triaged here like any reading at its own time (SOP 4 Grading: CRS's defining sign;
    a high-risk patient's: SOP 5 Grade 1, "immediate in-person evaluation") and joined to the text's current
    reading by `with_earlier_fevers`.
    """
    reading = trusted(reading)
    past = tuple(trusted(r) for r in history.readings if r.taken_at <= reading.taken_at)
    doses = tuple(d for d in history.doses if d.given_at <= reading.taken_at)
    is_fever = rules.fever(thresholds, reading.temperature_c)

    checks: dict[str, bool] = {
        "fever": is_fever,
        "hypotension": rules.hypotension(thresholds, reading.systolic, profile.baseline_systolic),
        "hypoxia": rules.hypoxia(thresholds, reading.spo2, profile),
        "high_risk_fever": rules.high_risk_fever(is_fever, profile),
        "recurrent_fever": time_known and episode.recurrent_fever(thresholds, doses, reading, is_fever),
        "persistent_fever": time_known and episode.persistent_fever(doses, reading, is_fever),
        "protracted_fever": episode.protracted_fever(thresholds, past, doses, reading),
        "prolonged_symptoms": episode.prolonged_symptoms(thresholds, profile, past, reading),
        "shortness_of_breath": rules.shortness_of_breath(reading),
        "implausible_reading": bool(reading.implausible),
    }
    found = [code for code, hit in checks.items() if hit]
    found += list(rules.escalation_symptoms(reading))
    found += list(rules.neurotoxicity_signs(reading))
    found += list(rules.hypoxia_signs(reading))
    reasons = ordered(found)
    level = level_of(reasons)

    details: dict[str, Any] = {"spo2_floor": rules.spo2_floor(thresholds, profile)}
    if reading.implausible:
        details["implausible"] = sorted(reading.implausible)
    next_dose_at = None
    fever_instruction = None
    if is_fever:
        # SOP 5, Grade 1 Home (line 64): acetaminophen for fever, but only when the interval and the
        # daily maximum allow it now; otherwise tell the patient when they may take the next dose.
        fever_instruction, next_dose_at = apap.fever_advice(thresholds, history.doses, now)
        details["acetaminophen_24h_mg"] = apap.total_mg(apap.acetaminophen_doses(history.doses, until=now), now)
        details["fever_started_at"] = episode.fever_run_start(thresholds, past, doses, reading)

    urgent_key = urgent_instruction(hours, now) if level == "urgent" else None
    keys = replies.instructions(level, fever_instruction, bool(reading.implausible), urgent_key)
    return Assessment(level, reasons, keys, next_acetaminophen_at=next_dose_at, details=details)


def with_earlier_fevers(current: Assessment, *earlier: Assessment) -> Assessment:
    """One text, one assessment: the current reading's assessment with those of the fevers the text gave as earlier
    (`assess` at each one's time). Every reason of each, the most severe level; the instructions the current
    reading's (what to do now: a fever now keeps its acetaminophen advice; no "You have a fever. Take acetaminophen
    now" for a fever that has gone), led by an earlier fever's review or urgent instruction when that is more severe,
    and "reply_fever_earlier" in place of a routine "No fever now" alone."""
    if not earlier:
        return current
    merged = combine(current, *earlier)
    worst = max(earlier, key=lambda part: LEVELS.index(part.level))
    keys = list(current.instructions)
    if LEVELS.index(worst.level) > LEVELS.index(current.level) and worst.level in replies.ALERT_LEVELS:
        keys = [worst.instructions[0], *(key for key in keys if key != "reply_routine")]
    elif keys[:1] == ["reply_routine"]:
        keys[0] = replies.EARLIER_FEVER
    return Assessment(merged.level, merged.reasons, tuple(dict.fromkeys(keys)),
                      next_acetaminophen_at=current.next_acetaminophen_at, details=merged.details)  # current's first


def assess_acetaminophen(
    thresholds: Thresholds, history: History, dose: Dose, now: datetime, *, taken: bool = True
) -> Assessment:
    """The patient reports taking (taken=True) or asks about (taken=False) an acetaminophen dose.

    Too soon after (or before) another dose, or over the daily maximum in any 24 h window:
    home_care with `acetaminophen_too_soon`; the daily maximum is named first when both are broken
    (it is the overdose risk). `next_acetaminophen_at` is always set: when the next dose is
    allowed, counting this one when it was taken, and never before `now`.
    """
    previous = list(apap.acetaminophen_doses(history.doses))
    if dose in previous:  # the caller stored it already: do not count it twice
        previous.remove(dose)
    reported = Dose(apap.ACETAMINOPHEN, dose.given_at, dose.dose_mg)
    too_soon = apap.too_soon(thresholds, previous, reported.given_at)
    over_max = apap.over_daily_max(thresholds, previous, reported)

    if taken:
        next_dose_at = apap.next_allowed_at(thresholds, [*previous, reported], after=now)
    else:
        asked_mg = apap.SMALLEST_DOSE_MG if dose.dose_mg is None else dose.dose_mg
        next_dose_at = apap.next_allowed_at(thresholds, previous, after=now, next_dose_mg=asked_mg)
    details = {"acetaminophen_24h_mg": apap.total_mg([*previous, reported], reported.given_at)}

    # SOP 5, Grade 1 Home: "can repeat ... >= 6-8 h later"; DESIGN: max 4 g / 24 h.
    instruction = replies.acetaminophen_instruction(over_max, too_soon, asking=not taken)
    if over_max or too_soon:
        return Assessment(
            "home_care", ("acetaminophen_too_soon",), (instruction,),
            next_acetaminophen_at=next_dose_at, details=details,
        )
    return Assessment("routine", (), (instruction,), next_acetaminophen_at=next_dose_at, details=details)
