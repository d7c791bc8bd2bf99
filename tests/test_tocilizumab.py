"""Tocilizumab: 8 mg/kg, and SOP 5's dagger limits (2 per CRS event, 8 h apart, 3 in 6 weeks)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage import Dose, tocilizumab_dose_mg, tocilizumab_refusal

START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
PER_EVENT = "tocilizumab: at most 2 doses per CRS event (SOP 5)"
SPACING = "tocilizumab: doses must be at least 8 hours apart (SOP 5)"
SIX_WEEKS = "tocilizumab: at most 3 doses within 6 weeks (SOP 5)"


def toci(minutes: float) -> Dose:
    return Dose("tocilizumab", START + timedelta(minutes=minutes), 560)


def days(n: float) -> float:
    return n * 24 * 60


@pytest.mark.parametrize(
    "event, recent, given_min, refusal",
    [
        pytest.param([], [], 60, None, id="first-dose-ok"),
        pytest.param([toci(60)], [toci(60)], 300, SPACING, id="second-4h-later-refused"),
        pytest.param([toci(60)], [toci(60)], 60 + 479, SPACING, id="second-7h59-later-refused"),
        pytest.param([toci(60)], [toci(60)], 60 + 480, None, id="second-8h-later-ok"),
        pytest.param([toci(60)], [toci(60)], 600, None, id="second-9h-later-ok"),
        pytest.param([toci(60), toci(600)], [toci(60), toci(600)], 1300, PER_EVENT, id="third-in-event-refused"),
        pytest.param([toci(60), toci(600)], [], days(3), PER_EVENT, id="third-in-event-days-later-refused"),
        pytest.param([], [toci(-days(40)), toci(-days(39))], 0, None, id="new-event-third-in-6-weeks-ok"),
        pytest.param([], [toci(-days(40)), toci(-days(39)), toci(-days(20))], 0, SIX_WEEKS,
                     id="new-event-fourth-in-6-weeks-refused"),
        pytest.param([], [toci(-days(42)), toci(-days(39)), toci(-days(20))], 0, None,
                     id="oldest-exactly-6-weeks-ago-leaves-window-ok"),
        pytest.param([], [toci(-days(41.9)), toci(-days(39)), toci(-days(20))], 0, SIX_WEEKS,
                     id="oldest-just-inside-6-weeks-refused"),
        pytest.param([], [toci(-days(100)), toci(-days(99)), toci(-days(98))], 0, None, id="old-doses-ignored"),
        pytest.param([], [toci(-days(10)), toci(-days(5)), toci(days(5))], 0, SIX_WEEKS,
                     id="late-entry-between-recorded-doses-refused"),
        pytest.param([], [toci(-120)], 0, SPACING, id="spacing-across-events-refused"),
        pytest.param([Dose("dexamethasone", START, 10)] * 2, [], 0, None, id="other-drugs-ignored"),
    ],
)
def test_tocilizumab_refusal(event, recent, given_min, refusal):
    assert tocilizumab_refusal(event, recent, START + timedelta(minutes=given_min)) == refusal


def test_acceptance_scenario_tocilizumab_limits():
    """Public scenario "tocilizumab-limits": +60 ok, +300 refused, +600 ok, +1300 refused."""
    given: list[Dose] = []
    outcomes = []
    for minutes in (60, 300, 600, 1300):
        refusal = tocilizumab_refusal(given, given, START + timedelta(minutes=minutes))
        outcomes.append(refusal is None)
        if refusal is None:
            given.append(toci(minutes))
    assert outcomes == [True, False, True, False]


@pytest.mark.parametrize(
    "weight_kg, dose_mg",
    [
        pytest.param(70, 560.0, id="70kg-560mg"),
        pytest.param(2, 16.0, id="2kg-edge-16mg"),
        pytest.param(62.5, 500.0, id="62.5kg-500mg"),
        pytest.param(100, 800.0, id="100kg-800mg"),
        pytest.param(120, 800.0, id="120kg-capped-800mg"),
        pytest.param(300, 800.0, id="300kg-edge-capped"),
    ],
)
def test_tocilizumab_dose(weight_kg, dose_mg):
    assert tocilizumab_dose_mg(weight_kg) == dose_mg


@pytest.mark.parametrize("weight_kg", [1.9, 300.1, 0, -70, float("nan"), "70", True], ids=str)
def test_tocilizumab_dose_refuses_impossible_weights(weight_kg):
    with pytest.raises(ValueError, match="weight_kg must be between 2 and 300"):
        tocilizumab_dose_mg(weight_kg)
