"""The public acceptance scenarios (../shared/acceptance/scenarios/public.json), triage part only.

Each test replays a scenario's clinical steps through the engine, with the reading the parser
should make of the patient's text, and checks the level, reasons and reply the scenario expects.
The ids are the scenario ids.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from triage import (
    ClinicHours,
    Dose,
    History,
    Profile,
    Reading,
    Thresholds,
    assess,
    fahrenheit_to_celsius,
    grade,
    implausible_fields,
    tocilizumab_refusal,
)

CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO)  # a Tuesday morning, in clinic hours
T = Thresholds()
HOURS = ClinicHours()


def f(fahrenheit: float) -> float:
    return fahrenheit_to_celsius(fahrenheit)


class Episode:
    """One monitoring episode played step by step, history growing as the app's store would."""

    def __init__(self, start: datetime = START, **profile) -> None:
        self.start = start
        self.profile = Profile(dose_given_at=start, **profile)
        self.readings: list[Reading] = []
        self.doses: list[Dose] = []

    def text(self, minutes: float, **values):
        reading = Reading(taken_at=self.start + timedelta(minutes=minutes), **values)
        history = History(readings=tuple(self.readings), doses=tuple(self.doses))
        result = assess(T, self.profile, history, reading, reading.taken_at, HOURS)
        self.readings.append(reading)
        return result

    def dose(self, minutes: float, name: str, mg: float | None = None) -> None:
        self.doses.append(Dose(name, self.start + timedelta(minutes=minutes), mg))


@pytest.mark.parametrize(
    "profile, values, level, reasons, absent, reply",
    [
        pytest.param({}, {"temperature_c": f(98.6)}, "routine", (), ("fever",), "reply_routine",
                     id="afebrile-reply-is-routine"),
        pytest.param({}, {"temperature_c": f(101.1)}, "home_care", ("fever",), (), "reply_fever_home_care",
                     id="fever-fahrenheit-home-care"),
        pytest.param({}, {"temperature_c": 38.4}, "home_care", ("fever",), (), "reply_fever_home_care",
                     id="fever-celsius-home-care"),
        pytest.param({}, {"temperature_c": f(100.4)}, "home_care", ("fever",), (), "reply_fever_home_care",
                     id="fever-threshold-is-inclusive"),
        pytest.param({}, {"temperature_c": 37.9}, "routine", (), ("fever",), "reply_routine",
                     id="just-below-threshold"),
        pytest.param({}, {"temperature_c": f(99.1), "spo2": 88}, "urgent", ("hypoxia",), (),
                     "reply_urgent_in_hours", id="hypoxia-is-urgent"),
        pytest.param({"baseline_systolic": 125}, {"systolic": 88, "diastolic": 60}, "urgent", ("hypotension",),
                     (), "reply_urgent_in_hours", id="hypotension-below-floor-and-baseline"),
        pytest.param({"baseline_systolic": 96}, {"systolic": 88, "diastolic": 58}, "routine", (),
                     ("hypotension",), "reply_routine", id="low-bp-near-baseline-is-not-hypotension"),
        pytest.param({"baseline_systolic": 140}, {"systolic": 95, "diastolic": 62}, "routine", (),
                     ("hypotension",), "reply_routine", id="big-drop-above-floor-is-not-hypotension"),
        pytest.param({}, {"temperature_c": f(101), "symptoms": frozenset({"confusion"})}, "urgent",
                     ("confusion", "fever"), (), "reply_urgent_in_hours", id="confusion-is-urgent"),
        pytest.param({"high_risk": True}, {"temperature_c": f(100.6)}, "urgent", ("high_risk_fever",), (),
                     "reply_urgent_in_hours", id="high-risk-fever-is-urgent"),
        pytest.param({}, {"temperature_c": 38.6}, "home_care", ("fever",), (), "reply_fever_home_care",
                     id="app-reading-is-triaged-like-a-text"),
        pytest.param({}, {"spo2": 87}, "urgent", ("hypoxia",), (), "reply_urgent_in_hours",
                     id="nurse-acknowledges-by-text"),
    ],
)
def test_single_reading_scenarios(profile, values, level, reasons, absent, reply):
    result = Episode(**profile).text(5, **values)
    assert result.level == level
    assert set(reasons) <= set(result.reasons)
    assert not set(absent) & set(result.reasons)
    assert result.instructions[0] == reply


@pytest.mark.parametrize("value", [1000.0, f(1000)], ids=["1000-as-celsius", "1000-as-fahrenheit"])
def test_implausible_reading_asks_again(value):
    reading = Reading(taken_at=START, temperature_c=value)
    assert implausible_fields(reading) == {"temperature_c"}
    result = Episode().text(5, temperature_c=value)
    assert (result.level, result.reasons, result.instructions) == (
        "routine", ("implausible_reading",), ("reply_measure_again",))


def test_after_hours_urgent_sends_to_ed():
    episode = Episode(start=datetime(2026, 3, 3, 22, 0, tzinfo=CHICAGO))
    result = episode.text(5, spo2=87)
    assert result.level == "urgent"
    assert result.instructions[0] == "reply_urgent_after_hours"


def test_recurrent_fever_within_6h_of_acetaminophen():
    episode = Episode()
    assert episode.text(5, temperature_c=f(101.5)).level == "home_care"
    episode.dose(10, "acetaminophen")  # "took tylenol": strength unknown
    result = episode.text(190, temperature_c=f(101.2))
    assert result.level == "clinician_review"
    assert "recurrent_fever" in result.reasons
    assert result.instructions == ("reply_clinician_review", "reply_fever_wait")
    assert result.next_acetaminophen_at == START + timedelta(minutes=10, hours=6)


def test_fever_after_6h_may_repeat_acetaminophen():
    episode = Episode()
    episode.text(5, temperature_c=f(101.5))
    episode.dose(10, "acetaminophen")
    result = episode.text(430, temperature_c=f(100.8))
    assert result.level == "home_care"
    assert "recurrent_fever" not in result.reasons
    assert result.instructions == ("reply_fever_home_care",)  # the reply advises acetaminophen


def test_protracted_fever_after_steroids():
    episode = Episode()
    episode.text(5, temperature_c=f(101.8))
    episode.dose(30, "dexamethasone", 10)
    day_one = episode.text(1440, temperature_c=f(101.0))
    assert "persistent_fever" in day_one.reasons
    assert "protracted_fever" not in day_one.reasons
    day_two = episode.text(2940, temperature_c=f(100.9))
    assert day_two.level == "clinician_review"
    assert "protracted_fever" in day_two.reasons


def test_tocilizumab_limits():
    given: list[Dose] = []
    allowed = []
    for minutes in (60, 300, 600, 1300):
        at = START + timedelta(minutes=minutes)
        ok = tocilizumab_refusal(given, given, at) is None
        allowed.append(ok)
        if ok:
            given.append(Dose("tocilizumab", at, 560))
    assert allowed == [True, False, True, False]


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param((39.5, False, False, 1, False, "low_flow", 2), 3, id="astct-grade-3-example"),
        pytest.param((38.6, False, False, 0, False, "high_flow", 8), 3, id="astct-high-flow-is-over-6-lpm-8"),
        pytest.param((38.6, False, False, 0, False, "low_flow", 6), 2, id="astct-high-flow-is-over-6-lpm-6"),
        pytest.param((37.0, True, False, 2, False, "none", None), 4,
                     id="astct-fever-not-required-after-tocilizumab-masked"),
        pytest.param((37.0, False, False, 0, False, "low_flow", 2), 0,
                     id="astct-fever-not-required-after-tocilizumab-unmasked"),
    ],
)
def test_astct_scenarios(args, expected):
    assert grade(*args).grade == expected


def test_scenario_clock_is_utc_agnostic():
    """The same instant in UTC gives the same answer (the app passes UTC)."""
    local = Episode().text(5, spo2=87)
    utc_episode = Episode(start=START.astimezone(UTC))
    assert utc_episode.text(5, spo2=87) == local
