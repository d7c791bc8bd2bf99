"""The episode rules (history and doses), combinations, instructions, and acetaminophen bookkeeping."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage import (
    Assessment,
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
from triage.acetaminophen import fever_advice

# Tuesday 2026-03-03 09:00 Chicago = 15:00 UTC; the step-up dose.
DOSE_AT = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
T = Thresholds()
HOURS = ClinicHours()
PROFILE = Profile(DOSE_AT)


def at(minutes: float) -> datetime:
    return DOSE_AT + timedelta(minutes=minutes)


def hours(h: float) -> datetime:
    return DOSE_AT + timedelta(hours=h)


def temp(when: datetime, celsius: float, **more) -> Reading:
    return Reading(taken_at=when, temperature_c=celsius, **more)


def apap(when: datetime, mg: float | None = None) -> Dose:
    return Dose("acetaminophen", when, mg)


def dex(when: datetime) -> Dose:
    return Dose("dexamethasone", when, 10)


def run(reading: Reading, readings=(), doses=(), profile: Profile = PROFILE, now: datetime | None = None,
        thresholds: Thresholds = T) -> Assessment:
    history = History(readings=tuple(readings), doses=tuple(doses))
    return assess(thresholds, profile, history, reading, now or reading.taken_at, HOURS)


# --- recurrent fever: SOP 5 "If refractory or recurrent fever (< 6-8 h) consider dexamethasone" --
@pytest.mark.parametrize(
    "hours_after_dose, recurrent, reply",
    [
        pytest.param(3, True, "reply_clinician_review", id="fever-3h-after-apap-recurrent"),
        pytest.param(5.99, True, "reply_clinician_review", id="fever-5h59-after-apap-recurrent"),
        pytest.param(6, False, "reply_fever_home_care", id="fever-6h-after-apap-at-edge-not"),
        pytest.param(6.01, False, "reply_fever_home_care", id="fever-6h01-after-apap-not"),
        pytest.param(1, True, "reply_clinician_review", id="fever-1h-after-apap-onset-edge-recurrent"),
        # The dose has not had time to work: the same fever, no page, no second dose yet.
        pytest.param(0.99, False, "reply_fever_wait", id="fever-59min-after-apap-still-working-not"),
        pytest.param(0, False, "reply_fever_wait", id="fever-at-dose-time-not-recurrent"),
    ],
)
def test_recurrent_fever(hours_after_dose, recurrent, reply):
    reading = temp(hours(1 + hours_after_dose), 38.6)
    result = run(reading, readings=[temp(hours(0.9), 38.9)], doses=[apap(hours(1), 1000)])
    assert ("recurrent_fever" in result.reasons) is recurrent
    assert result.level == ("clinician_review" if recurrent else "home_care")
    assert result.instructions[0] == reply


@pytest.mark.parametrize(
    "interval, gap_hours, recurrent",
    [
        pytest.param(8, 7.9, True, id="clinic-interval-8h-fever-7h54-recurrent"),
        pytest.param(8, 8, False, id="clinic-interval-8h-fever-8h-not"),
        pytest.param(4, 3.9, True, id="clinic-interval-4h-fever-3h54-recurrent"),
    ],
)
def test_recurrent_fever_interval_is_configurable(interval, gap_hours, recurrent):
    thresholds = Thresholds(acetaminophen_interval_hours=interval)
    result = run(temp(hours(1 + gap_hours), 38.6), doses=[apap(hours(1))], thresholds=thresholds)
    assert ("recurrent_fever" in result.reasons) is recurrent


@pytest.mark.parametrize("doses, reason", [
    pytest.param([apap(hours(1), 1000)], "recurrent_fever", id="apap-3h-before"),
    pytest.param([dex(hours(1))], "persistent_fever", id="dexamethasone-before"),
])
def test_a_fever_whose_time_the_text_did_not_give_is_never_placed_after_a_dose(doses, reason):
    """ "101 last night, took tylenol at 6, now 99": the untimed fever is stored at the latest it can have been,
    after the dose, where it may well have come before it. The reasons that place a fever after a dose (SOP 5
    Grade 1 Home: "recurrent fever (< 6-8 h)" after acetaminophen; "persistent symptoms" after dexamethasone) are
    claimed only with its time known; the fever itself and the rest stand (SOP 4 Grading, line 47)."""
    reading = temp(hours(4), 38.6)
    assert reason in run(reading, doses=doses).reasons
    history = History(doses=tuple(doses))
    untimed = assess(T, PROFILE, history, reading, reading.taken_at, HOURS, time_known=False)
    assert untimed.reasons == ("fever",)
    assert untimed.level == "home_care"


def test_recurrent_fever_needs_a_fever_now():
    result = run(temp(hours(3), 37.5), doses=[apap(hours(1))])
    assert result.reasons == ()
    assert result.level == "routine"


def test_recurrent_fever_ignores_other_drugs():
    result = run(temp(hours(3), 38.5), doses=[Dose("anakinra", hours(1), 100)])
    assert "recurrent_fever" not in result.reasons


def test_dose_after_the_reading_does_not_count():
    """A reading sent late (taken before a dose already on record) is judged at its own time."""
    result = run(temp(hours(3), 38.5), doses=[apap(hours(4)), dex(hours(4))], now=hours(5))
    assert "recurrent_fever" not in result.reasons
    assert "persistent_fever" not in result.reasons


# --- persistent fever: SOP 5 "Consider daily dexamethasone with persistent symptoms" ------------
@pytest.mark.parametrize(
    "doses, persistent",
    [
        pytest.param([dex(hours(1))], True, id="fever-after-dexamethasone-persistent"),
        pytest.param([dex(hours(-1))], True, id="dexamethasone-premed-then-fever-persistent"),
        pytest.param([apap(hours(1))], False, id="fever-after-apap-only-not-persistent"),
        pytest.param([], False, id="no-doses-not-persistent"),
        pytest.param([dex(hours(25))], False, id="dexamethasone-after-the-reading-not"),
    ],
)
def test_persistent_fever(doses, persistent):
    result = run(temp(hours(24), 38.4), doses=doses)
    assert ("persistent_fever" in result.reasons) is persistent
    assert result.level == ("clinician_review" if persistent else "home_care")


def test_no_fever_after_dexamethasone_is_routine():
    result = run(temp(hours(24), 37.2), doses=[dex(hours(1))])
    assert result.level == "routine"


# --- protracted fever: SOP 5 "protracted fever (e.g., > 48 h despite corticosteroids)" ----------
FEVER_5MIN = temp(at(5), 38.8)


@pytest.mark.parametrize(
    "readings, doses, now_hours, protracted",
    [
        pytest.param([FEVER_5MIN], [dex(at(30))], 49, True, id="fever-48h30-after-dex-protracted"),
        pytest.param([FEVER_5MIN], [dex(at(30))], 24, False, id="fever-24h-after-dex-not"),
        pytest.param([FEVER_5MIN], [dex(at(30))], 48.5 + 0.01, True, id="fever-48h-36s-after-dex-protracted"),
        pytest.param([FEVER_5MIN], [dex(at(30))], 48.5, False, id="fever-exactly-48h-after-dex-not"),
        pytest.param([FEVER_5MIN], [dex(at(30))], 48.5 - 0.01, False, id="fever-just-under-48h-after-dex-not"),
        pytest.param([FEVER_5MIN], [], 72, False, id="fever-72h-no-steroids-not-protracted"),
        pytest.param([FEVER_5MIN], [dex(hours(30))], 72, False, id="dex-at-30h-fever-72h-only-42h-despite"),
        pytest.param([FEVER_5MIN], [dex(hours(30))], 78.1, True, id="dex-at-30h-fever-78h-protracted"),
        pytest.param(
            [FEVER_5MIN, temp(hours(24), 36.9)], [dex(at(30))], 49, False,
            id="unmasked-normal-temp-ends-the-run",
        ),
        pytest.param(
            [FEVER_5MIN, temp(hours(24), 36.9)], [dex(at(30)), apap(hours(22))], 49, True,
            id="normal-temp-2h-after-apap-is-masked-run-continues",
        ),
        pytest.param(
            [FEVER_5MIN, temp(hours(24), 36.9)], [dex(at(30)), apap(hours(17))], 49, False,
            id="normal-temp-7h-after-apap-is-real-run-ends",
        ),
        pytest.param(
            [temp(at(5), 37.0)], [dex(at(-60))], 49, False, id="normal-temp-after-premed-then-fever-new-run",
        ),
        pytest.param([], [dex(at(-60))], 49, False, id="first-fever-now-premed-steroid-not-protracted"),
    ],
)
def test_protracted_fever(readings, doses, now_hours, protracted):
    reading = temp(hours(now_hours), 38.4)
    result = run(reading, readings=readings, doses=doses)
    assert ("protracted_fever" in result.reasons) is protracted
    if protracted:
        assert result.level == "clinician_review"


def test_protracted_fever_hours_are_configurable():
    thresholds = Thresholds(protracted_fever_hours=24)
    readings, doses = [FEVER_5MIN], [dex(at(30))]
    assert "protracted_fever" in run(temp(hours(25), 38.4), readings, doses, thresholds=thresholds).reasons
    assert "protracted_fever" not in run(temp(hours(24), 38.4), readings, doses, thresholds=thresholds).reasons


def test_protracted_needs_a_fever_now():
    result = run(temp(hours(72), 37.4), readings=[FEVER_5MIN], doses=[dex(at(30))])
    assert result.reasons == ()


def test_fever_run_start_is_reported():
    result = run(temp(hours(30), 38.4), readings=[temp(hours(1), 37.0), temp(hours(2), 38.2)])
    assert result.details["fever_started_at"] == hours(2)


# --- prolonged symptoms: SOP 4 "duration of symptoms over 1 week, consider excluding HLH/MAS" -----
@pytest.mark.parametrize(
    "first, now_reading, prolonged",
    [
        pytest.param(temp(hours(1), 38.2), temp(hours(7 * 24 + 2), 38.1), True, id="fever-day-1-and-day-8"),
        pytest.param(temp(hours(1), 38.2), temp(hours(7 * 24 + 1), 38.1), False, id="exactly-7-days-not"),
        pytest.param(
            Reading(hours(1), symptoms=frozenset({"headache"})),
            Reading(hours(7 * 24 + 2), symptoms=frozenset({"myalgia"})), True, id="headache-then-myalgia-8-days",
        ),
        pytest.param(
            temp(hours(1), 38.2), temp(hours(7 * 24 + 2), 37.0), False, id="symptom-free-now-not",
        ),
        pytest.param(
            Reading(hours(1), spo2=88), Reading(hours(7 * 24 + 2), symptoms=frozenset({"nausea"})), True,
            id="hypoxia-then-nausea-8-days",
        ),
        pytest.param(
            Reading(hours(1), denied_symptoms=frozenset({"headache"})), temp(hours(7 * 24 + 2), 38.5), False,
            id="denied-symptom-is-not-onset",
        ),
        pytest.param(temp(hours(1), 37.0), temp(hours(9 * 24), 38.5), False, id="first-symptom-now-not"),
    ],
)
def test_prolonged_symptoms(first, now_reading, prolonged):
    result = run(now_reading, readings=[first])
    assert ("prolonged_symptoms" in result.reasons) is prolonged
    if prolonged:
        assert result.level in ("clinician_review", "urgent")


def test_prolonged_symptoms_days_are_configurable():
    thresholds = Thresholds(prolonged_symptoms_days=3)
    result = run(temp(hours(73), 38.1), readings=[temp(hours(0), 38.3)], thresholds=thresholds)
    assert "prolonged_symptoms" in result.reasons


# --- SOP 4 footnote: after antipyretic/anticytokine therapy fever is no longer required ---------
@pytest.mark.parametrize(
    "reading, doses, reason",
    [
        pytest.param(Reading(hours(5), temperature_c=36.9, spo2=87), [apap(hours(3))], "hypoxia",
                     id="afebrile-after-apap-o2-87-urgent"),
        pytest.param(Reading(hours(5), temperature_c=36.9, systolic=85), [Dose("tocilizumab", hours(2), 560)],
                     "hypotension", id="afebrile-after-tocilizumab-sbp-85-urgent"),
        pytest.param(Reading(hours(5), temperature_c=37.1, spo2=86), [dex(hours(1))], "hypoxia",
                     id="afebrile-after-dex-o2-86-urgent"),
    ],
)
def test_hypotension_and_hypoxia_escalate_without_fever_after_therapy(reading, doses, reason):
    result = run(reading, doses=doses)
    assert result.level == "urgent"
    assert reason in result.reasons
    assert "fever" not in result.reasons


# --- combinations: every reason listed, the most severe decides ------------------------------
@pytest.mark.parametrize(
    "reading, profile, doses, reasons, level",
    [
        pytest.param(
            Reading(hours(1), temperature_c=38.3, symptoms=frozenset({"confusion"})), PROFILE, [],
            ("confusion", "fever"), "urgent", id="fever-and-confusion-urgent",
        ),
        pytest.param(
            Reading(hours(1), temperature_c=39.0, systolic=85, spo2=88, symptoms=frozenset({"dizziness"})),
            Profile(DOSE_AT, baseline_systolic=130, high_risk=True), [],
            ("hypotension", "hypoxia", "dizziness", "high_risk_fever", "fever"), "urgent",
            id="everything-urgent-all-listed",
        ),
        pytest.param(
            temp(hours(3), 38.4, spo2=89), PROFILE, [apap(hours(1)), dex(hours(1))],
            ("hypoxia", "persistent_fever", "recurrent_fever", "fever"), "urgent",
            id="hypoxia-beats-recurrent-and-persistent",
        ),
        pytest.param(
            temp(hours(3), 38.4), PROFILE, [apap(hours(1)), dex(hours(1))],
            ("persistent_fever", "recurrent_fever", "fever"), "clinician_review",
            id="recurrent-and-persistent-clinician-review",
        ),
        pytest.param(Reading(hours(1)), PROFILE, [], (), "routine", id="empty-reading-routine"),
        pytest.param(
            Reading(hours(1), temperature_c=36.8, systolic=120, diastolic=80, spo2=98, heart_rate=80),
            Profile(DOSE_AT, baseline_systolic=125), [], (), "routine", id="all-normal-routine",
        ),
    ],
)
def test_combinations(reading, profile, doses, reasons, level):
    result = run(reading, doses=doses, profile=profile)
    assert result.reasons == reasons
    assert result.level == level


@pytest.mark.parametrize(
    "reasons, level",
    [
        pytest.param((), "routine", id="none-routine"),
        pytest.param(("implausible_reading",), "routine", id="implausible-routine"),
        pytest.param(("fever",), "home_care", id="fever-home-care"),
        pytest.param(("acetaminophen_too_soon",), "home_care", id="apap-too-soon-home-care"),
        pytest.param(("fever", "missed_checkins"), "clinician_review", id="missed-checkins-review"),
        pytest.param(("opted_out",), "clinician_review", id="opted-out-review"),
        pytest.param(("undeliverable",), "clinician_review", id="undeliverable-review"),
        pytest.param(("fever", "prolonged_symptoms", "orthostatic"), "urgent", id="orthostatic-urgent"),
    ],
)
def test_level_of(reasons, level):
    assert level_of(reasons) == level


# --- instructions: [0] is the reply; urgent > clinician_review > fever > routine --------------
@pytest.mark.parametrize(
    "reading, doses, now, instructions",
    [
        pytest.param(Reading(hours(1), temperature_c=37.0), [], hours(1), ("reply_routine",), id="routine"),
        pytest.param(temp(hours(1), 38.5), [], hours(1), ("reply_fever_home_care",), id="fever-home-care"),
        pytest.param(temp(hours(3), 38.5), [apap(hours(1))], hours(3),
                     ("reply_clinician_review", "reply_fever_wait"), id="recurrent-review-then-wait"),
        pytest.param(temp(hours(1), 38.5, spo2=85), [], hours(1),
                     ("reply_urgent_in_hours", "reply_fever_home_care"), id="urgent-in-hours-then-fever"),
        pytest.param(Reading(hours(12), spo2=85), [], hours(12),
                     ("reply_urgent_after_hours",), id="urgent-after-hours-21h-chicago"),
        pytest.param(Reading(hours(1), spo2=85, temperature_c=60.0), [], hours(1),
                     ("reply_urgent_in_hours", "reply_measure_again"), id="urgent-then-measure-again"),
        pytest.param(Reading(hours(1), spo2=101), [], hours(1), ("reply_measure_again",), id="measure-again"),
    ],
)
def test_instructions(reading, doses, now, instructions):
    assert run(reading, doses=doses, now=now).instructions == instructions


def test_urgent_instruction_uses_now_not_taken_at():
    """A reading taken in hours but answered after close gets the after-hours reply."""
    reading = Reading(hours(7.9), spo2=85)  # 16:54 Chicago
    assert run(reading, now=hours(8.1)).instructions == ("reply_urgent_after_hours",)


# --- acetaminophen bookkeeping on a fever -------------------------------------------------------
@pytest.mark.parametrize(
    "doses, now, instruction, next_at",
    [
        pytest.param([], hours(1), "reply_fever_home_care", hours(1), id="no-dose-yet-take-now"),
        pytest.param([apap(hours(1), 1000)], hours(4), "reply_fever_wait", hours(7), id="3h-after-dose-wait-until-7h"),
        pytest.param([apap(hours(1), 1000)], hours(7), "reply_fever_home_care", hours(7), id="6h-after-dose-take-now"),
        pytest.param(
            [apap(hours(-20), 1000), apap(hours(-15), 1000), apap(hours(-10), 1000), apap(hours(-5), 650)],
            hours(1), "reply_fever_wait", hours(4), id="3650-mg-in-24h-wait-until-first-leaves",
        ),
        pytest.param(
            [apap(hours(-20), 650), apap(hours(-13), 650), apap(hours(-6), 1000), apap(hours(1), 1000)], hours(7),
            "reply_fever_home_care", hours(7), id="3300-mg-650-still-fits",
        ),
        pytest.param(
            [apap(hours(-12), 1000), apap(hours(-6), 1000), apap(hours(-0.5), 1000), apap(hours(0), 1000)],
            hours(6), "reply_fever_wait", hours(12), id="4000-mg-wait-for-window-not-just-interval",
        ),
        pytest.param(
            [apap(hours(-16)), apap(hours(-11)), apap(hours(-6)), apap(hours(0))], hours(6),
            "reply_fever_wait", hours(8), id="unknown-mg-count-1000-wait",
        ),
    ],
)
def test_fever_acetaminophen_advice(doses, now, instruction, next_at):
    result = run(temp(now, 38.6), doses=doses, now=now)
    assert instruction in result.instructions
    assert ("reply_fever_home_care" in result.instructions) is (instruction == "reply_fever_home_care")
    assert result.next_acetaminophen_at == max(next_at, now)
    assert fever_advice(T, doses, now) == (instruction, max(next_at, now))  # the one choice, as the app's replay makes it


def test_no_acetaminophen_advice_without_fever():
    result = run(temp(hours(3), 37.2), doses=[apap(hours(1))])
    assert result.next_acetaminophen_at is None
    assert result.instructions == ("reply_routine",)


# --- the patient reports or asks about acetaminophen -------------------------------------------
@pytest.mark.parametrize(
    "previous, dose, level, instruction, next_at",
    [
        pytest.param([], apap(hours(1), 1000), "routine", "reply_med_recorded", hours(7), id="first-dose-recorded"),
        pytest.param([apap(hours(1))], apap(hours(7), 650), "routine", "reply_med_recorded", hours(13),
                     id="6h-later-recorded"),
        pytest.param([apap(hours(1))], apap(hours(6.9), 650), "home_care", "reply_med_too_soon", hours(12.9),
                     id="5h54-later-too-soon"),
        pytest.param([apap(hours(1))], apap(hours(3)), "home_care", "reply_med_too_soon", hours(9),
                     id="2h-later-too-soon"),
        pytest.param(
            [apap(hours(-18), 1000), apap(hours(-12), 1000), apap(hours(-6), 1000)], apap(hours(0), 1000),
            "routine", "reply_med_recorded", hours(6), id="4000-mg-exactly-is-allowed",
        ),
        pytest.param(
            [apap(hours(-20), 1000), apap(hours(-17), 1000), apap(hours(-14), 1000), apap(hours(-8), 1000)],
            apap(hours(-2), 650), "home_care", "reply_med_daily_max", hours(7), id="4650-mg-daily-max-interval-ok",
        ),
        pytest.param(
            [apap(hours(-18)), apap(hours(-12)), apap(hours(-6))], apap(hours(0)),
            "routine", "reply_med_recorded", hours(6), id="unknown-strength-counts-1000-four-allowed",
        ),
        pytest.param(
            [apap(hours(-18)), apap(hours(-12)), apap(hours(-6)), apap(hours(-1))], apap(hours(0), 650),
            "home_care", "reply_med_daily_max", hours(12), id="too-soon-and-daily-max-names-daily-max",
        ),
        pytest.param([apap(hours(5))], apap(hours(1)), "home_care", "reply_med_too_soon", hours(11),
                     id="late-report-before-a-recorded-dose-too-soon"),
    ],
)
def test_assess_acetaminophen(previous, dose, level, instruction, next_at):
    result = assess_acetaminophen(T, History(doses=tuple(previous)), dose, now=dose.given_at)
    assert result.level == level
    assert result.instructions == (instruction,)
    assert result.reasons == (("acetaminophen_too_soon",) if level == "home_care" else ())
    assert result.next_acetaminophen_at == next_at


def test_assess_acetaminophen_does_not_count_a_stored_dose_twice():
    dose = apap(hours(1), 1000)
    result = assess_acetaminophen(T, History(doses=(dose,)), dose, now=hours(1))
    assert result.level == "routine"
    assert result.details["acetaminophen_24h_mg"] == 1000


def test_asking_about_a_dose_gives_the_time_it_is_allowed():
    history = History(doses=(apap(hours(1), 1000),))
    result = assess_acetaminophen(T, history, apap(hours(3)), now=hours(3), taken=False)
    assert result.instructions == ("reply_med_too_soon",)
    assert result.next_acetaminophen_at == hours(7)


def test_next_dose_never_in_the_past():
    result = assess_acetaminophen(T, History(), apap(hours(1)), now=hours(10))
    assert result.next_acetaminophen_at == hours(10)


def test_combine_keeps_every_reason_of_one_text():
    """One text, one assessment (issue 13): a routine reading and an early dose keep the dose's reason."""
    from triage import combine
    from triage.model import Assessment

    at = datetime(2026, 3, 3, 16, tzinfo=UTC)
    reading = Assessment("routine", (), ("reply_routine",), details={"spo2_floor": 90})
    dose = Assessment("home_care", ("acetaminophen_too_soon",), ("reply_med_too_soon",), next_acetaminophen_at=at,
                      details={"acetaminophen_24h_mg": 2000})
    both = combine(reading, dose)
    assert both.level == "home_care" and both.reasons == ("acetaminophen_too_soon",)
    assert both.instructions == ("reply_routine", "reply_med_too_soon") and both.next_acetaminophen_at == at
    assert both.details == {"spo2_floor": 90, "acetaminophen_24h_mg": 2000}
    urgent = combine(Assessment("urgent", ("dizziness",), ("reply_urgent_in_hours",)), dose)
    assert urgent.level == "urgent" and urgent.reasons == ("dizziness", "acetaminophen_too_soon")
