"""One reading, one rule: every SOP threshold at, just above and just below its edge.

Each row's id names the SOP case; the engine is called through `triage.assess` as the app calls it.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from triage import (
    PLAUSIBLE_RANGES,
    PROFILE_RANGES,
    THRESHOLD_RANGES,
    ClinicHours,
    History,
    Profile,
    Reading,
    Thresholds,
    assess,
    celsius_to_fahrenheit,
    fahrenheit_to_celsius,
    plausible,
    range_error,
    validate_profile,
    validate_thresholds,
)
from triage.ranges import implausible_fields, trusted

# Tuesday 2026-03-03 10:00 in Chicago (in clinic hours).
DOSE_AT = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
AT = DOSE_AT + timedelta(minutes=5)
T = Thresholds()
HOURS = ClinicHours()


def triage(reading: Reading, profile: Profile | None = None, thresholds: Thresholds = T):
    return assess(thresholds, profile or Profile(DOSE_AT), History(), reading, AT, HOURS)


def vitals(**values) -> Reading:
    return Reading(taken_at=AT, **values)


# --- fever: SOP 4 Grading "Temperature >= 100.4 F (38 C)" -------------------------------------
@pytest.mark.parametrize(
    "temperature_c, level, is_fever",
    [
        pytest.param(37.9, "routine", False, id="temp-37.9-below-routine"),
        pytest.param(37.99, "routine", False, id="temp-37.99-below-routine"),
        pytest.param(38.0, "home_care", True, id="temp-38.0-at-edge-fever"),
        pytest.param(38.01, "home_care", True, id="temp-38.01-above-fever"),
        pytest.param(fahrenheit_to_celsius(100.4), "home_care", True, id="temp-100.4F-fever-inclusive"),
        pytest.param(fahrenheit_to_celsius(100.3), "routine", False, id="temp-100.3F-no-fever"),
        pytest.param(fahrenheit_to_celsius(101.1), "home_care", True, id="temp-101.1F-fever"),
        pytest.param(36.6, "routine", False, id="temp-36.6-normal"),
    ],
)
def test_fever_threshold(temperature_c, level, is_fever):
    result = triage(vitals(temperature_c=temperature_c))
    assert result.level == level
    assert ("fever" in result.reasons) is is_fever
    if is_fever:
        assert result.instructions == ("reply_fever_home_care",)
        assert result.next_acetaminophen_at == AT  # nothing taken yet: a dose is allowed now
    else:
        assert result.instructions == ("reply_routine",)


@pytest.mark.parametrize(
    "fever_c, temperature_c, is_fever",
    [
        pytest.param(38.5, 38.4, False, id="clinic-fever-38.5-temp-38.4-no"),
        pytest.param(38.5, 38.5, True, id="clinic-fever-38.5-temp-38.5-yes"),
        pytest.param(37.8, 37.8, True, id="clinic-fever-37.8-temp-37.8-yes"),
    ],
)
def test_fever_threshold_is_configurable(fever_c, temperature_c, is_fever):
    result = triage(vitals(temperature_c=temperature_c), thresholds=Thresholds(fever_c=fever_c))
    assert ("fever" in result.reasons) is is_fever


# --- hypotension: SOP 5 Grade 1 Home "< 10 mm Hg below baseline AND < 90 mm Hg systolic" ---------
@pytest.mark.parametrize(
    "systolic, baseline, urgent",
    [
        pytest.param(89, 100, True, id="sbp-89-drop-11-urgent"),
        pytest.param(89, 99, False, id="sbp-89-drop-10-not"),
        pytest.param(89, 98, False, id="sbp-89-drop-9-not"),
        pytest.param(90, 120, False, id="sbp-90-drop-30-at-floor-not"),
        pytest.param(91, 140, False, id="sbp-91-drop-49-above-floor-not"),
        pytest.param(88, 125, True, id="sbp-88-baseline-125-urgent"),
        pytest.param(88, 96, False, id="sbp-88-baseline-96-near-baseline-not"),
        pytest.param(95, 140, False, id="sbp-95-baseline-140-big-drop-above-floor-not"),
        pytest.param(89, None, True, id="sbp-89-no-baseline-floor-alone-urgent"),
        pytest.param(90, None, False, id="sbp-90-no-baseline-not"),
        pytest.param(60, 70, False, id="sbp-60-baseline-70-drop-10-not"),
        pytest.param(59, 70, True, id="sbp-59-baseline-70-drop-11-urgent"),
    ],
)
def test_hypotension(systolic, baseline, urgent):
    result = triage(vitals(systolic=systolic, diastolic=50), Profile(DOSE_AT, baseline_systolic=baseline))
    assert ("hypotension" in result.reasons) is urgent
    assert result.level == ("urgent" if urgent else "routine")


@pytest.mark.parametrize(
    "floor, drop, systolic, baseline, urgent",
    [
        pytest.param(100, 10, 99, 120, True, id="clinic-floor-100-sbp-99-urgent"),
        pytest.param(100, 10, 100, 120, False, id="clinic-floor-100-sbp-100-not"),
        pytest.param(90, 20, 85, 105, False, id="clinic-drop-20-drop-20-not"),
        pytest.param(90, 20, 85, 106, True, id="clinic-drop-20-drop-21-urgent"),
        pytest.param(90, 0, 89, 90, True, id="clinic-drop-0-drop-1-urgent"),
    ],
)
def test_hypotension_thresholds_are_configurable(floor, drop, systolic, baseline, urgent):
    thresholds = Thresholds(systolic_floor=floor, systolic_drop=drop)
    result = triage(vitals(systolic=systolic), Profile(DOSE_AT, baseline_systolic=baseline), thresholds)
    assert ("hypotension" in result.reasons) is urgent


# --- hypoxia: SOP 5 Grade 1 Home "new hypoxia (< 90%)" -------------------------------------------
@pytest.mark.parametrize(
    "spo2, baseline_spo2, urgent",
    [
        pytest.param(89, None, True, id="spo2-89-urgent"),
        pytest.param(90, None, False, id="spo2-90-at-floor-not"),
        pytest.param(91, None, False, id="spo2-91-not"),
        pytest.param(70, None, True, id="spo2-70-urgent"),
        pytest.param(88, 88, False, id="copd-baseline-88-spo2-88-not"),
        pytest.param(87, 88, True, id="copd-baseline-88-spo2-87-urgent"),
        pytest.param(89, 88, False, id="copd-baseline-88-spo2-89-not"),
        pytest.param(89, 95, True, id="baseline-95-never-raises-floor-spo2-89-urgent"),
        pytest.param(92, 95, False, id="baseline-95-never-raises-floor-spo2-92-not"),
    ],
)
def test_hypoxia(spo2, baseline_spo2, urgent):
    result = triage(vitals(spo2=spo2), Profile(DOSE_AT, baseline_spo2=baseline_spo2))
    assert ("hypoxia" in result.reasons) is urgent
    assert result.level == ("urgent" if urgent else "routine")
    assert result.details["spo2_floor"] == min(90, baseline_spo2 or 90)


@pytest.mark.parametrize(
    "floor, spo2, urgent",
    [
        pytest.param(92, 91, True, id="clinic-floor-92-spo2-91-urgent"),
        pytest.param(92, 92, False, id="clinic-floor-92-spo2-92-not"),
        pytest.param(88, 88, False, id="clinic-floor-88-spo2-88-not"),
    ],
)
def test_hypoxia_floor_is_configurable(floor, spo2, urgent):
    assert ("hypoxia" in triage(vitals(spo2=spo2), thresholds=Thresholds(spo2_floor=floor)).reasons) is urgent


# --- escalation symptoms: SOP 5 Grade 1 Home "new orthostatic symptoms, weakness, confusion, dizziness"
@pytest.mark.parametrize(
    "symptoms, denied, reasons, level",
    [
        pytest.param({"confusion"}, set(), ("confusion",), "urgent", id="confusion-urgent"),
        pytest.param({"weakness"}, set(), ("weakness",), "urgent", id="weakness-urgent"),
        pytest.param({"dizziness"}, set(), ("dizziness",), "urgent", id="dizziness-urgent"),
        pytest.param({"orthostatic"}, set(), ("orthostatic",), "urgent", id="orthostatic-urgent"),
        pytest.param(
            {"dizziness", "confusion"}, set(), ("confusion", "dizziness"), "urgent", id="two-symptoms-both-listed"
        ),
        pytest.param(set(), {"confusion"}, (), "routine", id="denied-confusion-routine"),
        pytest.param({"confusion"}, {"confusion"}, (), "routine", id="reported-and-denied-confusion-routine"),
        pytest.param({"headache", "nausea"}, set(), (), "routine", id="headache-nausea-not-escalation"),
        pytest.param({"chills"}, {"weakness"}, (), "routine", id="chills-denied-weakness-routine"),
    ],
)
def test_escalation_symptoms(symptoms, denied, reasons, level):
    reading = vitals(temperature_c=37.0, symptoms=frozenset(symptoms), denied_symptoms=frozenset(denied))
    result = triage(reading)
    assert result.reasons == reasons
    assert result.level == level


# --- high-risk fever: SOP 5 "immediate in-person evaluation for ... multiple disease risk factors"
@pytest.mark.parametrize(
    "high_risk, temperature_c, reasons, level",
    [
        pytest.param(True, 38.1, ("high_risk_fever", "fever"), "urgent", id="high-risk-38.1-urgent"),
        pytest.param(True, 38.0, ("high_risk_fever", "fever"), "urgent", id="high-risk-38.0-edge-urgent"),
        pytest.param(True, 37.9, (), "routine", id="high-risk-37.9-routine"),
        pytest.param(False, 38.1, ("fever",), "home_care", id="not-high-risk-38.1-home-care"),
    ],
)
def test_high_risk_fever(high_risk, temperature_c, reasons, level):
    result = triage(vitals(temperature_c=temperature_c), Profile(DOSE_AT, high_risk=high_risk))
    assert result.reasons == reasons
    assert result.level == level


# --- implausible values: measured again, never triaged ---------------------------------------
@pytest.mark.parametrize(
    "reading, reasons, level, instructions",
    [
        pytest.param(
            vitals(temperature_c=1000.0), ("implausible_reading",), "routine", ("reply_measure_again",),
            id="temp-1000-implausible-routine",
        ),
        pytest.param(
            vitals(temperature_c=38.5, implausible=frozenset({"temperature_c"})),
            ("implausible_reading",), "routine", ("reply_measure_again",),
            id="caller-marked-temp-not-a-fever",
        ),
        pytest.param(
            vitals(temperature_c=50.0, spo2=88), ("hypoxia", "implausible_reading"), "urgent",
            ("reply_urgent_in_hours", "reply_measure_again"), id="o2-88-impossible-temp-still-urgent",
        ),
        pytest.param(
            vitals(temperature_c=38.6, spo2=900), ("fever", "implausible_reading"), "home_care",
            ("reply_fever_home_care", "reply_measure_again"), id="fever-with-o2-900-fever-still-home-care",
        ),
        pytest.param(
            vitals(systolic=30), ("implausible_reading",), "routine", ("reply_measure_again",),
            id="sbp-30-implausible-not-hypotension",
        ),
        pytest.param(
            vitals(spo2=49), ("implausible_reading",), "routine", ("reply_measure_again",),
            id="spo2-49-implausible-not-hypoxia",
        ),
        pytest.param(
            vitals(spo2=50), ("hypoxia",), "urgent", ("reply_urgent_in_hours",), id="spo2-50-plausible-urgent",
        ),
        pytest.param(
            vitals(heart_rate=400, temperature_c=36.8), ("implausible_reading",), "routine",
            ("reply_measure_again",), id="hr-400-implausible",
        ),
    ],
)
def test_implausible_values_are_measured_again(reading, reasons, level, instructions):
    result = triage(reading)
    assert result.reasons == reasons
    assert result.level == level
    assert result.instructions == instructions


@pytest.mark.parametrize(
    "field, value, ok",
    [
        pytest.param("temperature_c", 33.9, False, id="temp-33.9-no"),
        pytest.param("temperature_c", 34.0, True, id="temp-34.0-yes"),
        pytest.param("temperature_c", 43.0, True, id="temp-43.0-yes"),
        pytest.param("temperature_c", 43.1, False, id="temp-43.1-no"),
        pytest.param("temperature_f", 109.4, True, id="temp-f-109.4-yes"),
        pytest.param("temperature_f", 1000, False, id="temp-f-1000-no"),
        pytest.param("systolic", 49, False, id="sbp-49-no"),
        pytest.param("systolic", 50, True, id="sbp-50-yes"),
        pytest.param("systolic", 260, True, id="sbp-260-yes"),
        pytest.param("systolic", 261, False, id="sbp-261-no"),
        pytest.param("diastolic", 19, False, id="dbp-19-no"),
        pytest.param("diastolic", 160, True, id="dbp-160-yes"),
        pytest.param("spo2", 100, True, id="spo2-100-yes"),
        pytest.param("spo2", 101, False, id="spo2-101-no"),
        pytest.param("heart_rate", 24, False, id="hr-24-no"),
        pytest.param("heart_rate", 250, True, id="hr-250-yes"),
        pytest.param("spo2", None, True, id="not-given-is-plausible"),
        pytest.param("temperature_c", float("nan"), False, id="nan-no"),
        pytest.param("temperature_c", float("inf"), False, id="inf-no"),
        pytest.param("spo2", True, False, id="bool-no"),
    ],
)
def test_plausible(field, value, ok):
    assert plausible(field, value) is ok


def test_plausible_rejects_unknown_field():
    with pytest.raises(ValueError, match="unknown reading field 'temp'"):
        plausible("temp", 37.0)


def test_trusted_blanks_only_implausible_values():
    reading = vitals(temperature_c=60.0, spo2=95, implausible=frozenset({"systolic"}), systolic=120)
    clean = trusted(reading)
    assert (clean.temperature_c, clean.systolic, clean.spo2) == (None, None, 95)
    assert implausible_fields(reading) == {"temperature_c", "systolic"}
    assert trusted(vitals(spo2=95)) == vitals(spo2=95)


def test_plausible_f_range_matches_c_range():
    assert PLAUSIBLE_RANGES["temperature_f"] == (93.2, 109.4)


# --- unit conversion ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fahrenheit, celsius",
    [
        pytest.param(100.4, 38.0, id="100.4F-is-38.0C"),
        pytest.param(98.6, 37.0, id="98.6F-is-37.0C"),
        pytest.param(32.0, 0.0, id="32F-is-0C"),
        pytest.param(212.0, 100.0, id="212F-is-100C"),
        pytest.param(101.1, 38.39, id="101.1F-is-38.39C"),
        pytest.param(100.3, 37.94, id="100.3F-is-37.94C"),
    ],
)
def test_fahrenheit_to_celsius(fahrenheit, celsius):
    assert fahrenheit_to_celsius(fahrenheit) == celsius


@pytest.mark.parametrize(
    "celsius, fahrenheit",
    [
        pytest.param(38.0, 100.4, id="38.0C-is-100.4F"),
        pytest.param(37.0, 98.6, id="37.0C-is-98.6F"),
        pytest.param(-40.0, -40.0, id="minus-40-is-minus-40"),
        pytest.param(39.5, 103.1, id="39.5C-is-103.1F"),
    ],
)
def test_celsius_to_fahrenheit(celsius, fahrenheit):
    assert celsius_to_fahrenheit(celsius) == fahrenheit


def test_no_thermometer_reading_crosses_the_fever_line_by_conversion():
    """Every 0.1 F step from 95.0 to 108.0: fever in F if and only if fever in C (and round trip)."""
    for tenths in range(950, 1081):
        fahrenheit = tenths / 10
        celsius = fahrenheit_to_celsius(fahrenheit)
        assert (celsius >= 38.0) is (fahrenheit >= 100.4), fahrenheit
        assert round(celsius_to_fahrenheit(celsius), 1) == fahrenheit  # display to 0.1 F recovers it


# --- configuration ranges -----------------------------------------------------------------
def test_default_thresholds_are_in_range():
    validate_thresholds(Thresholds())


@pytest.mark.parametrize("name", sorted(THRESHOLD_RANGES))
def test_threshold_edges(name):
    low, high = THRESHOLD_RANGES[name]
    validate_thresholds(replace(T, **{name: low}))
    validate_thresholds(replace(T, **{name: high}))
    for bad in (low - 0.5, high + 0.5):
        with pytest.raises(ValueError, match=f"thresholds.{name} must be between"):
            validate_thresholds(replace(T, **{name: bad}))


@pytest.mark.parametrize(
    "name, value, message",
    [
        pytest.param("fever_c", 40.0, "fever_c must be between 37.5 and 39.5 (got 40)", id="fever-40-out"),
        pytest.param("spo2_floor", "90", "spo2_floor must be a number between 80 and 95 (got '90')", id="str-out"),
        pytest.param("spo2_floor", True, "spo2_floor must be a number", id="bool-out"),
        pytest.param("fever_c", 38.0, None, id="fever-38-ok"),
    ],
)
def test_range_error(name, value, message):
    error = range_error(THRESHOLD_RANGES, name, value)
    if message is None:
        assert error is None
    else:
        assert error is not None and error.startswith(message)


@pytest.mark.parametrize(
    "profile, message",
    [
        pytest.param(Profile(DOSE_AT), None, id="no-baselines-ok"),
        pytest.param(Profile(DOSE_AT, baseline_systolic=70, baseline_spo2=80), None, id="low-edges-ok"),
        pytest.param(Profile(DOSE_AT, baseline_systolic=220, baseline_spo2=100), None, id="high-edges-ok"),
        pytest.param(Profile(DOSE_AT, baseline_systolic=69), "baseline_systolic", id="sbp-69-out"),
        pytest.param(Profile(DOSE_AT, baseline_systolic=221), "baseline_systolic", id="sbp-221-out"),
        pytest.param(Profile(DOSE_AT, baseline_spo2=79), "baseline_spo2", id="spo2-79-out"),
    ],
)
def test_validate_profile(profile, message):
    if message is None:
        validate_profile(profile)
    else:
        with pytest.raises(ValueError, match=message):
            validate_profile(profile)


def test_profile_ranges_cover_profile_baselines():
    assert set(PROFILE_RANGES) == {"baseline_systolic", "baseline_spo2"}


@pytest.mark.parametrize("symptoms, denied, reasons, level", [
    pytest.param({"shortness_of_breath"}, set(), ("shortness_of_breath",), "urgent", id="sob-urgent"),
    pytest.param({"shortness_of_breath"}, {"shortness_of_breath"}, (), "routine", id="sob-denied-nothing"),
    pytest.param({"headache", "nausea"}, set(), (), "routine", id="other-crs-symptoms-recorded-only"),
])
def test_shortness_of_breath_is_urgent(symptoms, denied, reasons, level):
    from datetime import datetime

    from triage import ClinicHours, History, Profile, Reading, Thresholds, assess

    at = datetime(2026, 3, 3, 16, tzinfo=UTC)
    reading = Reading(at, symptoms=frozenset(symptoms), denied_symptoms=frozenset(denied))
    result = assess(Thresholds(), Profile(dose_given_at=at), History(), reading, at, ClinicHours())
    assert result.reasons == reasons and result.level == level


def test_shortness_of_breath_with_low_spo2_is_urgent():
    from datetime import datetime

    from triage import ClinicHours, History, Profile, Reading, Thresholds, assess

    at = datetime(2026, 3, 3, 16, tzinfo=UTC)
    reading = Reading(at, spo2=88, symptoms=frozenset({"shortness_of_breath"}))
    result = assess(Thresholds(), Profile(dose_given_at=at), History(), reading, at, ClinicHours())
    assert result.level == "urgent" and result.reasons[0] == "hypoxia"


# --- neurotoxicity signs: SOP 4 Workup "Assess for concurrent symptoms of neurotoxicity" (line 39);
# ASTCT ICANS consensus (Lee et al. 2019, SOP reference 1). Each sign is its own urgent reason.
@pytest.mark.parametrize("symptoms, denied, reasons, level", [
    pytest.param({"somnolence"}, set(), ("somnolence",), "urgent", id="icans-somnolence-urgent"),
    pytest.param({"speech_difficulty"}, set(), ("speech_difficulty",), "urgent", id="icans-speech-urgent"),
    pytest.param({"writing_difficulty"}, set(), ("writing_difficulty",), "urgent", id="icans-writing-urgent"),
    pytest.param({"tremor"}, set(), ("tremor",), "urgent", id="icans-tremor-urgent"),
    pytest.param({"seizure"}, set(), ("seizure",), "urgent", id="icans-seizure-urgent"),
    pytest.param({"syncope"}, set(), ("syncope",), "urgent", id="icans-syncope-urgent"),
    pytest.param({"confusion", "somnolence", "speech_difficulty"}, set(),
                 ("confusion", "somnolence", "speech_difficulty"), "urgent", id="icans-several-each-named"),
    pytest.param({"seizure"}, {"seizure"}, (), "routine", id="icans-denied-nothing"),
    pytest.param(set(), {"somnolence", "tremor", "syncope"}, (), "routine", id="icans-all-denied-routine"),
])
def test_neurotoxicity_signs(symptoms, denied, reasons, level):
    reading = vitals(temperature_c=37.0, symptoms=frozenset(symptoms), denied_symptoms=frozenset(denied))
    result = triage(reading)
    assert result.reasons == reasons
    assert result.level == level


# --- bedside signs of hypoxia: SOP 5 Grade 1 Home "new hypoxia (< 90%)" without an oximeter
@pytest.mark.parametrize("symptoms, denied, reasons, level", [
    pytest.param({"cyanosis"}, set(), ("cyanosis",), "urgent", id="cyanosis-urgent"),
    pytest.param({"cyanosis", "shortness_of_breath"}, set(), ("shortness_of_breath", "cyanosis"), "urgent",
                 id="cyanosis-and-sob-both-named"),
    pytest.param({"cyanosis"}, {"cyanosis"}, (), "routine", id="cyanosis-denied-nothing"),
])
def test_hypoxia_signs(symptoms, denied, reasons, level):
    reading = vitals(temperature_c=37.0, symptoms=frozenset(symptoms), denied_symptoms=frozenset(denied))
    result = triage(reading)
    assert result.reasons == reasons
    assert result.level == level
