"""ASTCT grading (SOP 4 table and footnotes) and the SOP 5 management each grade shows."""
from __future__ import annotations

import pytest

from triage import Grading, grade
from triage.grading import MANAGEMENT


def g(temperature_c=None, fever_masked=False, hypotension=False, vasopressors=0, vasopressin=False,
      oxygen="none", oxygen_lpm=None) -> Grading:
    return grade(temperature_c, fever_masked, hypotension, vasopressors, vasopressin, oxygen, oxygen_lpm)


@pytest.mark.parametrize(
    "kwargs, expected_grade, driver",
    [
        # SOP 4 table, Fever row: ">= 100.4 F (38 C)".
        pytest.param({"temperature_c": 38.0}, 1, "fever", id="fever-38.0-only-grade-1"),
        pytest.param({"temperature_c": 37.9}, 0, "none", id="37.9-no-fever-grade-0"),
        pytest.param({}, 0, "none", id="nothing-grade-0"),
        # Hypotension row.
        pytest.param({"temperature_c": 38.5, "hypotension": True}, 2, "hypotension",
                     id="fever-hypotension-no-pressors-grade-2"),
        pytest.param({"temperature_c": 38.5, "hypotension": True, "vasopressors": 1}, 3, "hypotension",
                     id="fever-one-vasopressor-grade-3"),
        pytest.param({"temperature_c": 38.5, "vasopressors": 1, "vasopressin": True}, 3, "hypotension",
                     id="one-vasopressor-plus-vasopressin-still-grade-3"),
        pytest.param({"temperature_c": 38.5, "hypotension": True, "vasopressin": True}, 3, "hypotension",
                     id="vasopressin-alone-is-a-vasopressor-grade-3"),
        pytest.param({"temperature_c": 38.5, "vasopressors": 2}, 4, "hypotension", id="two-vasopressors-grade-4"),
        pytest.param({"temperature_c": 38.5, "vasopressors": 3, "vasopressin": True}, 4, "hypotension",
                     id="three-vasopressors-grade-4"),
        # Hypoxia row and the double-dagger footnote (<= 6 L/min low flow, > 6 high flow).
        pytest.param({"temperature_c": 38.6, "oxygen": "low_flow", "oxygen_lpm": 6}, 2, "hypoxia",
                     id="low-flow-6-lpm-grade-2"),
        pytest.param({"temperature_c": 38.6, "oxygen": "low_flow"}, 2, "hypoxia", id="low-flow-no-lpm-grade-2"),
        pytest.param({"temperature_c": 38.6, "oxygen": "low_flow", "oxygen_lpm": 6.5}, 3, "hypoxia",
                     id="says-low-flow-but-6.5-lpm-grade-3"),
        pytest.param({"temperature_c": 38.6, "oxygen": "high_flow", "oxygen_lpm": 8}, 3, "hypoxia",
                     id="high-flow-8-lpm-grade-3"),
        pytest.param({"temperature_c": 38.6, "oxygen": "high_flow", "oxygen_lpm": 6}, 2, "hypoxia",
                     id="says-high-flow-but-6-lpm-grade-2"),
        pytest.param({"temperature_c": 38.6, "oxygen": "high_flow"}, 3, "hypoxia", id="high-flow-no-lpm-grade-3"),
        pytest.param({"temperature_c": 38.6, "oxygen": "blow_by"}, 2, "hypoxia", id="blow-by-grade-2"),
        pytest.param({"temperature_c": 38.6, "oxygen": "facemask", "oxygen_lpm": 5}, 3, "hypoxia",
                     id="facemask-grade-3-whatever-the-lpm"),
        pytest.param({"temperature_c": 38.6, "oxygen": "nonrebreather"}, 3, "hypoxia", id="nonrebreather-grade-3"),
        pytest.param({"temperature_c": 38.6, "oxygen": "venturi"}, 3, "hypoxia", id="venturi-grade-3"),
        pytest.param({"temperature_c": 38.6, "oxygen": "positive_pressure"}, 4, "hypoxia",
                     id="positive-pressure-grade-4"),
        # Dagger footnote: the more severe decides.
        pytest.param({"temperature_c": 39.5, "vasopressors": 1, "oxygen": "low_flow", "oxygen_lpm": 2}, 3,
                     "hypotension", id="sop-example-39.5-one-pressor-low-flow-grade-3"),
        pytest.param({"temperature_c": 39.0, "hypotension": True, "oxygen": "positive_pressure"}, 4, "hypoxia",
                     id="hypoxia-worse-than-hypotension-decides"),
        pytest.param({"temperature_c": 39.0, "vasopressors": 1, "oxygen": "high_flow"}, 3, "hypotension",
                     id="tie-grade-3-driver-hypotension"),
        # Asterisk footnote: fever required, except after antipyretic or anticytokine therapy.
        pytest.param({"temperature_c": 37.0, "fever_masked": True, "vasopressors": 2}, 4, "hypotension",
                     id="masked-afebrile-two-pressors-grade-4"),
        pytest.param({"temperature_c": 37.0, "oxygen": "low_flow", "oxygen_lpm": 2}, 0, "none",
                     id="no-fever-not-masked-low-flow-grade-0"),
        pytest.param({"temperature_c": 37.0, "hypotension": True, "vasopressors": 2}, 0, "none",
                     id="no-fever-not-masked-pressors-grade-0"),
        pytest.param({"fever_masked": True, "oxygen": "low_flow"}, 2, "hypoxia",
                     id="masked-no-temperature-low-flow-grade-2"),
        pytest.param({"temperature_c": 36.8, "fever_masked": True}, 0, "none",
                     id="masked-afebrile-nothing-else-grade-0"),
        pytest.param({"temperature_c": 38.2, "fever_masked": True}, 1, "fever", id="masked-but-febrile-grade-1"),
    ],
)
def test_grade(kwargs, expected_grade, driver):
    result = g(**kwargs)
    assert (result.grade, result.driver) == (expected_grade, driver)
    assert result.management == MANAGEMENT[expected_grade]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param({"oxygen": "nasal"}, "oxygen must be one of", id="unknown-oxygen"),
        pytest.param({"oxygen": None}, "oxygen must be one of", id="oxygen-none-value"),
        pytest.param({"vasopressors": -1}, "vasopressors must be a whole number", id="negative-vasopressors"),
        pytest.param({"vasopressors": 1.5}, "vasopressors must be a whole number", id="fractional-vasopressors"),
        pytest.param({"vasopressors": True}, "vasopressors must be a whole number", id="bool-vasopressors"),
        pytest.param({"oxygen": "low_flow", "oxygen_lpm": -2}, "oxygen_lpm must be between", id="negative-lpm"),
        pytest.param({"oxygen": "high_flow", "oxygen_lpm": 500}, "oxygen_lpm must be between", id="lpm-500"),
        pytest.param({"oxygen": "none", "oxygen_lpm": 4}, "oxygen_lpm is given but oxygen is 'none'",
                     id="lpm-without-device"),
        pytest.param({"temperature_c": 101.2}, "temperature_c must be between", id="fahrenheit-as-celsius"),
        pytest.param({"temperature_c": "38.5"}, "temperature_c must be a number", id="temperature-string"),
    ],
)
def test_invalid_input_raises_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        g(**kwargs)


def test_oxygen_names_are_case_and_space_insensitive():
    assert g(temperature_c=38.5, oxygen=" High_Flow ").grade == 3


def test_management_rows_follow_the_sop():
    assert any("Acetaminophen 650-1000 mg by mouth" in row for row in MANAGEMENT[1])
    assert any("protracted fever" in row for row in MANAGEMENT[1])
    assert any("Dexamethasone 10 mg by mouth every 12 h" in row for row in MANAGEMENT[2])
    assert any("10 mg IV Q 6 h" in row for row in MANAGEMENT[3])
    assert any("20 mg IV every 6 h" in row for row in MANAGEMENT[4])
    assert any("alternate diagnosis" in row for row in MANAGEMENT[0])
    for level in (2, 3, 4):
        dosing = [row for row in MANAGEMENT[level] if row.startswith("Tocilizumab dosing")]
        assert dosing and "8 mg/kg IV" in dosing[0] and "twice per CRS event" in dosing[0]
        assert "3 times within a 6-week period" in dosing[0] and "800 mg" in dosing[0]
    assert not any("Tocilizumab dosing" in row for row in MANAGEMENT[1])


def test_grading_is_frozen():
    result = g(temperature_c=38.5)
    with pytest.raises(AttributeError):
        result.grade = 4  # type: ignore[misc]
