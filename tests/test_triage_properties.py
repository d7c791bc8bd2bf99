"""Properties no table can cover: a worse value never lowers the level; more history never hides
an urgent reason; the acetaminophen time the patient is given is really the first one allowed."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from triage import (
    ESCALATION_SYMPTOMS,
    LEVELS,
    SYMPTOMS,
    ClinicHours,
    Dose,
    History,
    Profile,
    Reading,
    Thresholds,
    assess,
    assess_acetaminophen,
    level_of,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
DOSE_AT = NOW - timedelta(days=9)
T = Thresholds()
HOURS = ClinicHours()
FAST = settings(max_examples=60, deadline=None)

minutes_before_now = st.integers(min_value=1, max_value=9 * 24 * 60)
temperatures = st.floats(min_value=34.0, max_value=43.0, allow_nan=False).map(lambda c: round(c, 2))
systolics = st.integers(min_value=50, max_value=260)
spo2s = st.integers(min_value=50, max_value=100)
symptom_sets = st.frozensets(st.sampled_from(SYMPTOMS), max_size=3)

profiles = st.builds(
    Profile,
    dose_given_at=st.just(DOSE_AT),
    baseline_systolic=st.none() | st.integers(min_value=70, max_value=220),
    baseline_spo2=st.none() | st.integers(min_value=80, max_value=100),
    high_risk=st.booleans(),
)


def _reading(minutes: int, temperature, systolic, spo2, symptoms, denied) -> Reading:
    return Reading(
        taken_at=NOW - timedelta(minutes=minutes), temperature_c=temperature, systolic=systolic,
        spo2=spo2, symptoms=symptoms, denied_symptoms=denied,
    )


past_readings = st.lists(
    st.builds(_reading, minutes_before_now, st.none() | temperatures, st.none() | systolics,
              st.none() | spo2s, symptom_sets, symptom_sets),
    max_size=5,
)
past_doses = st.lists(
    st.builds(
        lambda minutes, name, mg: Dose(name, NOW - timedelta(minutes=minutes), mg),
        minutes_before_now,
        st.sampled_from(("acetaminophen", "acetaminophen", "dexamethasone", "tocilizumab")),
        st.none() | st.sampled_from((325, 500, 650, 1000)),
    ),
    max_size=5,
)
histories = st.builds(
    lambda readings, doses: History(readings=tuple(sorted(readings, key=lambda r: r.taken_at)), doses=tuple(doses)),
    past_readings, past_doses,
)
new_readings = st.builds(
    _reading, st.just(0), st.none() | temperatures, st.none() | systolics, st.none() | spo2s,
    symptom_sets, symptom_sets,
)


def rank(reading: Reading, profile: Profile, history: History) -> int:
    return LEVELS.index(assess(T, profile, history, reading, NOW, HOURS).level)


@FAST
@given(profiles, histories, new_readings, temperatures, temperatures)
def test_higher_temperature_never_lowers_the_level(profile, history, reading, a, b):
    low, high = sorted((a, b))
    assert rank(replace(reading, temperature_c=high), profile, history) >= rank(
        replace(reading, temperature_c=low), profile, history)


@FAST
@given(profiles, histories, new_readings, systolics, systolics)
def test_lower_systolic_never_lowers_the_level(profile, history, reading, a, b):
    low, high = sorted((a, b))
    assert rank(replace(reading, systolic=low), profile, history) >= rank(
        replace(reading, systolic=high), profile, history)


@FAST
@given(profiles, histories, new_readings, spo2s, spo2s)
def test_lower_spo2_never_lowers_the_level(profile, history, reading, a, b):
    low, high = sorted((a, b))
    assert rank(replace(reading, spo2=low), profile, history) >= rank(replace(reading, spo2=high), profile, history)


@FAST
@given(profiles, histories, new_readings, st.sampled_from(ESCALATION_SYMPTOMS))
def test_an_extra_escalation_symptom_never_lowers_the_level(profile, history, reading, symptom):
    worse = replace(reading, symptoms=reading.symptoms | {symptom})
    assert rank(worse, profile, history) >= rank(reading, profile, history)
    if symptom not in reading.denied_symptoms:
        assert rank(worse, profile, history) == LEVELS.index("urgent")


@FAST
@given(profiles, histories, past_readings, new_readings)
def test_more_history_never_removes_an_urgent_reason(profile, history, earlier, reading):
    def urgent_reasons(h: History) -> set[str]:
        result = assess(T, profile, h, reading, NOW, HOURS)
        return {code for code in result.reasons if level_of((code,)) == "urgent"}

    longer = replace(history, readings=tuple(sorted([*earlier, *history.readings], key=lambda r: r.taken_at)))
    assert urgent_reasons(history) <= urgent_reasons(longer)


@FAST
@given(profiles, histories, new_readings)
def test_the_assessment_is_consistent(profile, history, reading):
    result = assess(T, profile, history, reading, NOW, HOURS)
    assert result.level == level_of(result.reasons)
    first = result.instructions[0]
    expected_first = {
        "urgent": {"reply_urgent_in_hours", "reply_urgent_after_hours"},
        "clinician_review": {"reply_clinician_review"},
        "home_care": {"reply_fever_home_care", "reply_fever_wait"},
        "routine": {"reply_routine", "reply_measure_again"},
    }[result.level]
    assert first in expected_first
    assert len(set(result.instructions)) == len(result.instructions)
    assert ("fever" in result.reasons) is (result.next_acetaminophen_at is not None)
    if result.next_acetaminophen_at is not None:
        assert result.next_acetaminophen_at >= NOW


@FAST
@given(past_doses)
def test_the_advised_acetaminophen_time_is_the_first_allowed(doses):
    history = History(doses=tuple(doses))
    asked = assess_acetaminophen(T, history, Dose("acetaminophen", NOW), NOW, taken=False)
    next_at = asked.next_acetaminophen_at
    assert next_at is not None and next_at >= NOW
    at_next = assess_acetaminophen(T, history, Dose("acetaminophen", next_at, 650), next_at)
    assert at_next.level == "routine", at_next
    if next_at - timedelta(minutes=1) >= NOW:
        sooner = next_at - timedelta(minutes=1)
        assert assess_acetaminophen(T, history, Dose("acetaminophen", sooner, 650), sooner).level == "home_care"
