"""triage.ranges: the one source of what a body can show, and of reading a temperature's unit (issue 14, fault 5)."""
from __future__ import annotations

import pytest

from triage.ranges import PLAUSIBLE_RANGES, temperature_celsius, temperature_unit


@pytest.mark.parametrize("value, unit", [
    pytest.param(34.0, "C", id="celsius-floor"),
    pytest.param(43.0, "C", id="celsius-top"),
    pytest.param(43.1, None, id="above-celsius-below-fahrenheit"),
    pytest.param(93.1, None, id="just-below-fahrenheit"),
    pytest.param(93.2, "F", id="fahrenheit-floor"),
    pytest.param(109.4, "F", id="fahrenheit-top-is-43-c"),
    pytest.param(109.9, None, id="109.9-fits-neither"),
    pytest.param(33.9, None, id="below-celsius"),
])
def test_the_unit_of_a_bare_temperature_is_read_from_the_plausible_ranges(value, unit):
    assert temperature_unit(value) == unit


@pytest.mark.parametrize("value, unit, celsius", [
    pytest.param(100.4, "F", 38.0, id="fever-line-exact"),
    pytest.param(100.3, "F", 37.94, id="below-fever-line-stays-below"),
    pytest.param(100.4, None, 38.0, id="unit-read-from-range"),
    pytest.param(38.567, None, 38.57, id="half-up-to-0.01"),
    pytest.param(109.5, "F", 43.06, id="given-unit-converts-plausible-or-not"),
    pytest.param(109.5, None, None, id="no-unit-out-of-both-ranges"),
    pytest.param(float("nan"), "F", None, id="nan"),
    pytest.param(1e308, "F", None, id="huge"),
    pytest.param(True, "C", None, id="a-bool-is-not-a-number"),
    pytest.param(37.0, "K", None, id="unknown-unit"),
])
def test_temperature_celsius(value, unit, celsius):
    assert temperature_celsius(value, unit) == celsius


def test_the_fahrenheit_range_is_the_celsius_range_converted():
    low, high = PLAUSIBLE_RANGES["temperature_f"]
    assert (temperature_celsius(low, "F"), temperature_celsius(high, "F")) == PLAUSIBLE_RANGES["temperature_c"]
