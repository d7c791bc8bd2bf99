"""The SOP's rules about the course of an episode: what the new reading means given what came before.

`readings` and `doses` are the episode's history up to the new reading (implausible values
already blanked); none of these functions reads a clock.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .acetaminophen import acetaminophen_doses
from .model import Dose, Profile, Reading, Thresholds
from .ranges import trusted
from .rules import crs_signs, fever

# SOP 5 names dexamethasone as its corticosteroid; other steroids would be added here.
CORTICOSTEROIDS = frozenset({"dexamethasone"})


def corticosteroid_doses(doses: Sequence[Dose], until: datetime) -> list[Dose]:
    """Corticosteroid doses given at or before `until`, oldest first."""
    chosen = [d for d in doses if d.name.lower() in CORTICOSTEROIDS and d.given_at <= until]
    return sorted(chosen, key=lambda dose: dose.given_at)


# Acetaminophen lowers a fever within about an hour of a dose by mouth. A fever reported sooner is the
# fever the dose is still treating, not a refractory or recurrent one: paging a nurse for it would
# be a false alarm (the patient is told not to take more yet and to recheck in an hour).
ACETAMINOPHEN_ONSET = timedelta(minutes=60)


# SOP 5, Grade 1 Home vs outpatient/ED: "If refractory or recurrent fever (< 6-8 h) consider
# dexamethasone 10 mg once." Fever sooner than the acetaminophen interval after a dose.
def recurrent_fever(t: Thresholds, doses: Sequence[Dose], reading: Reading, is_fever: bool) -> bool:
    """A fever from an hour after the last acetaminophen dose until `acetaminophen_interval_hours` after it."""
    taken = acetaminophen_doses(doses, until=reading.taken_at)
    if not is_fever or not taken:
        return False
    elapsed = reading.taken_at - taken[-1].given_at
    return ACETAMINOPHEN_ONSET <= elapsed < timedelta(hours=t.acetaminophen_interval_hours)


# SOP 5, Grade 1 Home vs outpatient/ED: "Consider daily dexamethasone with persistent symptoms".
def persistent_fever(doses: Sequence[Dose], reading: Reading, is_fever: bool) -> bool:
    """A fever after a corticosteroid dose earlier in this episode."""
    return is_fever and bool(corticosteroid_doses(doses, until=reading.taken_at))


def masked_by_acetaminophen(t: Thresholds, doses: Sequence[Dose], reading: Reading) -> bool:
    """Acetaminophen was taken within the interval before this reading (its temperature may be masked)."""
    taken = acetaminophen_doses(doses, until=reading.taken_at)
    interval = timedelta(hours=t.acetaminophen_interval_hours)
    return bool(taken) and reading.taken_at - taken[-1].given_at < interval


def last_unmasked_afebrile(
    t: Thresholds, readings: Sequence[Reading], doses: Sequence[Dose], before: datetime
) -> datetime | None:
    """When the patient last had a normal temperature that acetaminophen did not explain."""
    for past in sorted(readings, key=lambda r: r.taken_at, reverse=True):
        if past.taken_at > before or past.temperature_c is None:
            continue
        if not fever(t, past.temperature_c) and not masked_by_acetaminophen(t, doses, past):
            return past.taken_at
    return None


def fever_run_start(
    t: Thresholds, readings: Sequence[Reading], doses: Sequence[Dose], reading: Reading
) -> datetime | None:
    """When the current fever began, or None when the new reading is not febrile.

    The fever run is the febrile readings since the last *unmasked* afebrile reading: a normal
    temperature less than the acetaminophen interval after a dose is the drug talking, not the
    fever ending, so it does not end the run. Gaps without readings do not end it either (a
    patient who stops texting has not stopped being febrile; the public scenario has a 25 h gap
    between febrile readings inside one fever).
    """
    if not fever(t, reading.temperature_c):
        return None
    reset = last_unmasked_afebrile(t, readings, doses, before=reading.taken_at)
    febrile = [
        past.taken_at for past in readings
        if fever(t, past.temperature_c) and past.taken_at <= reading.taken_at
        and (reset is None or past.taken_at > reset)
    ]
    return min(febrile, default=reading.taken_at)


# SOP 5, Grade 1 Additional management: "Consider anticytokine therapy (e.g., tocilizumab) in cases
# of protracted fever (e.g., > 48 h despite corticosteroids)". Timed from when the fever and the
# steroids overlap: from the later of the run's start and the first corticosteroid dose given since
# the fever's last reset (a steroid given just before the first febrile text still counts).
def protracted_fever(
    t: Thresholds, readings: Sequence[Reading], doses: Sequence[Dose], reading: Reading
) -> bool:
    """Fever for more than `protracted_fever_hours` since corticosteroids were started in this run."""
    run_start = fever_run_start(t, readings, doses, reading)
    if run_start is None:
        return False
    reset = last_unmasked_afebrile(t, readings, doses, before=reading.taken_at)
    steroids = [
        dose.given_at for dose in corticosteroid_doses(doses, until=reading.taken_at)
        if reset is None or dose.given_at > reset
    ]
    if not steroids:
        return False
    despite_since = max(run_start, steroids[0])
    return reading.taken_at - despite_since > timedelta(hours=t.protracted_fever_hours)


# SOP 4 Workup: "For duration of symptoms over 1 week, consider excluding hemophagocytic
# lymphohistiocytosis (HLH) and macrophage activation syndrome (MAS)."
def prolonged_symptoms(
    t: Thresholds, profile: Profile, readings: Sequence[Reading], reading: Reading
) -> bool:
    """CRS signs now, first reported more than `prolonged_symptoms_days` earlier in this episode."""
    if not crs_signs(t, profile, reading):
        return False
    onsets = [
        past.taken_at for past in readings
        if past.taken_at <= reading.taken_at and crs_signs(t, profile, past)
    ]
    if not onsets:
        return False
    return reading.taken_at - min(onsets) > timedelta(days=t.prolonged_symptoms_days)


# What the rules above read of an episode's past, so that `monitoring` can load that and not the whole
# episode (issue 19: a wearable brings a reading a minute). `assess` gives the same answer on a history
# holding only these readings as on the whole episode: the fever's reset (fever_reset) and the first reading
# of the fever run since (fever_onset), and the episode's first CRS sign (shows_crs_sign, kept by monitoring
# as episode state).
def fever_reset(t: Thresholds, afebrile_newest_first: Iterable[Reading], doses: Sequence[Dose]) -> Reading | None:
    """The fever's reset that `last_unmasked_afebrile` finds: the newest normal temperature acetaminophen does
    not explain, out of the episode's readings taken at or before the new one, given newest first. Readings at
    or over the fever line may be left out (none of them resets a fever), so monitoring gives only those under
    it and the cost is the masked normal temperatures since the reset, not the length of the fever. `doses`:
    the episode's doses up to the new reading. Reads the readings no further than the reset."""
    for reading in afebrile_newest_first:
        past = trusted(reading)
        if past.temperature_c is not None and not fever(t, past.temperature_c) \
                and not masked_by_acetaminophen(t, doses, past):
            return reading
    return None


def fever_onset(t: Thresholds, febrile_oldest_first: Iterable[Reading]) -> Reading | None:
    """The first reading of the current fever run, which `fever_run_start` and `protracted_fever` time from:
    the oldest febrile reading taken after the reset (`fever_reset`) and at or before the new one, given oldest
    first (readings under the fever line may be left out). Reads no further than it."""
    for reading in febrile_oldest_first:
        if fever(t, trusted(reading).temperature_c):
            return reading
    return None


def shows_crs_sign(t: Thresholds, profile: Profile, reading: Reading) -> bool:
    """A CRS sign in `reading` as `prolonged_symptoms` counts it (implausible values blanked first)."""
    return crs_signs(t, profile, trusted(reading))
