"""ASTCT CRS grading (SOP 4 Grading table and footnotes) and the SOP 5 management for each grade.

For the in-person evaluation form: the web layer turns a ValueError into a 400.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .tocilizumab import DOSING_TEXT

# SOP 4 Grading: "Temperature >= 100.4 F (38 C)". Fixed: ASTCT grading is a published standard,
# not a clinic setting (the clinic's home-monitoring fever line is Thresholds.fever_c).
ASTCT_FEVER_C = 38.0
# SOP 4 footnote [double dagger]: "Low-flow nasal cannula is defined as oxygen delivered at
# <= 6 L/minute ... High-flow nasal cannula is defined as oxygen delivered at > 6 L/minute."
LOW_FLOW_MAX_LPM = 6.0

# SOP 4 Grading, Hypoxia row: the oxygen support each grade names.
OXYGEN_GRADES: dict[str, int] = {
    "none": 0,
    "low_flow": 2,  # "low-flow nasal cannula"
    "blow_by": 2,  # footnote: "Low flow also includes blow-by oxygen delivery"
    "high_flow": 3,  # "high-flow nasal cannula"
    "facemask": 3,
    "nonrebreather": 3,
    "venturi": 3,
    "positive_pressure": 4,  # "CPAP, BiPAP, intubation and mechanical ventilation"
}
NASAL_CANNULA = ("low_flow", "high_flow")
MAX_LPM = 100.0  # no oxygen device delivers more; a larger number is a typing error
TEMPERATURE_RANGE_C = (25.0, 45.0)  # wider than home plausibility: ICU patients get graded too

_TOCILIZUMAB = f"Tocilizumab dosing: {DOSING_TEXT}"

# SOP 5 Management, one tuple per grade (0: criteria not met, SOP 4 Workup applies).
MANAGEMENT: dict[int, tuple[str, ...]] = {
    0: (
        ("CRS criteria not met (ASTCT): no fever >= 38 C, or after antipyretic/anticytokine therapy "
        "no hypotension or hypoxia."),
        ("Assess for an alternate diagnosis, including infection (including neutropenic fever), venous "
        "thromboembolism, respiratory infection (including COVID-19 and influenza), volume overload or "
        "dehydration, and exacerbation of the underlying cardiopulmonary condition. Treat as appropriate."),
    ),
    1: (
        ("Home: Acetaminophen 650-1000 mg by mouth, can repeat, if recurrent fever, >= 6-8 h later if "
        "clinically stable."),
        "Home: Recommend aggressive oral hydration.",
        ("Home: Continue to check temperature every 1-2 h and other vitals if able. Patients should "
        "recontact the clinic urgently or present to ED if blood pressure goes more than 10 mm Hg below "
        "baseline AND < 90 mm Hg systolic, new orthostatic symptoms, weakness, confusion, dizziness, or "
        "new hypoxia (< 90%)."),
        ("Home vs outpatient/ED: If refractory or recurrent fever (< 6-8 h) consider dexamethasone 10 mg "
        "once. Home management may be appropriate if vital signs remain stable and no other concerning "
        "symptoms. Otherwise, patients should be evaluated in a health care facility."),
        ("Home vs outpatient/ED: Consider earlier administration of steroids and immediate in-person "
        "evaluation for patients with multiple disease risk factors or comorbidities."),
        "Home vs outpatient/ED: Consider daily dexamethasone with persistent symptoms.",
        ("Additional: Consider anticytokine therapy (e.g., tocilizumab) in cases of protracted fever "
        "(e.g., > 48 h despite corticosteroids)."),
        ("Additional: Early tocilizumab after trial of dexamethasone should be considered for patients "
        "with multiple medical risk factors (e.g., comorbidities)."),
    ),
    2: (
        ("All patients should be urgently evaluated in person. Recommend inpatient management for most "
        "cases of grade 2 CRS unless qualified outpatient day hospital/infusion center and no hypoxia."),
        ("If after hours without access to appropriate outpatient treatment area or if clinical scenario "
        "dictates, recommend ED evaluation."),
        "Acetaminophen 650-1000 mg by mouth as needed, up to 3-4 times daily.",
        "Dexamethasone 10 mg by mouth every 12 h.",
        "Administer IV fluids/supplemental oxygen as appropriate.",
        ("Administer tocilizumab if symptoms persist despite IV fluids and dexamethasone (~4-6 h after "
        "dosing) or if clinically unstable."),
        ("Consider alternative agent (e.g., anakinra or siltuximab) if persistent symptoms despite maximal "
        "dosing."),
        _TOCILIZUMAB,
    ),
    3: (
        ("Emergent inpatient admission (floor or ICU) for hemodynamic monitoring, IV fluids, oxygen "
        "therapy, and vasopressors."),
        "Acetaminophen 1000 mg IV as needed up to 3-4 times daily when safe.",
        ("Dexamethasone (e.g., 10 mg IV Q 6 h), until resolution to grade <= 1, followed by dexamethasone "
        "taper."),
        "Evaluate for sepsis and consider empiric antibiotics.",
        ("Administer tocilizumab and consider alternative agent (e.g., anakinra or siltuximab) if "
        "persistent grade 3 CRS despite maximal dosing."),
        "If refractory hypotension/hypoxia, admit to ICU.",
        _TOCILIZUMAB,
    ),
    4: (
        ("Inpatient admission to ICU for hemodynamic monitoring, IV fluids, oxygen therapy, and "
        "vasopressors."),
        "Acetaminophen 1000 mg IV as needed up to 3-4 times daily when safe.",
        ("Dexamethasone (e.g., 20 mg IV every 6 h), until resolution to grade <= 1, followed by "
        "dexamethasone taper."),
        ("Administer tocilizumab and if repeated doses of tocilizumab have been used, consider alternative "
        "agent (e.g., anakinra or siltuximab) if persistent grade 4 CRS despite maximal dosing of first "
        "agent."),
        _TOCILIZUMAB,
    ),
}


@dataclass(frozen=True)
class Grading:
    """An ASTCT grade (0 = CRS criteria not met), what decided it, and the SOP 5 management."""

    grade: int
    driver: str  # "fever" | "hypotension" | "hypoxia" | "none"
    management: tuple[str, ...]


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"{name} must be a number (got {value!r})")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g} (got {str(value)[:20]})")
    return float(value)


# SOP 4 Grading, Hypotension row: "Not requiring vasopressors" (2), "Requiring a vasopressor with or
# without vasopressin" (3), "Requiring multiple vasopressors (excluding vasopressin)" (4).
def hypotension_grade(hypotension: bool, vasopressors: int, vasopressin: bool) -> int:
    """`vasopressors` counts vasopressors other than vasopressin. Vasopressin alone is "a
    vasopressor" (grade 3); it never makes the count "multiple"."""
    if vasopressors >= 2:
        return 4
    if vasopressors == 1 or vasopressin:
        return 3
    return 2 if hypotension else 0


# SOP 4 Grading, Hypoxia row and footnote [double dagger]: litres per minute, when given, decide
# low- versus high-flow nasal cannula.
def hypoxia_grade(oxygen: str, oxygen_lpm: float | None) -> int:
    """The grade the oxygen support names."""
    if oxygen in NASAL_CANNULA and oxygen_lpm is not None:
        return 2 if oxygen_lpm <= LOW_FLOW_MAX_LPM else 3
    return OXYGEN_GRADES[oxygen]  # blow-by stays low flow; masks and positive pressure by device


def grade(
    temperature_c: float | None,
    fever_masked: bool,
    hypotension: bool,
    vasopressors: int,
    vasopressin: bool,
    oxygen: str,
    oxygen_lpm: float | None,
) -> Grading:
    """Grade CRS as SOP 4's ASTCT table and footnotes give it.

    Fever (>= 38.0 C) is required, unless antipyretic or anticytokine therapy was given
    (`fever_masked`): then hypotension and/or hypoxia alone drive the grade (footnote *). The more
    severe of hypotension and hypoxia decides (footnote [dagger]); on a tie the driver is named
    "hypotension", the table's first row. Fever with neither is grade 1. Invalid input raises
    ValueError naming the field.
    """
    if temperature_c is not None:
        _number("temperature_c", temperature_c, *TEMPERATURE_RANGE_C)
    if isinstance(vasopressors, bool) or not isinstance(vasopressors, int) or vasopressors < 0:
        raise ValueError(f"vasopressors must be a whole number 0 or more (got {vasopressors!r})")
    if not isinstance(oxygen, str) or oxygen.strip().lower() not in OXYGEN_GRADES:
        raise ValueError(f"oxygen must be one of {', '.join(OXYGEN_GRADES)} (got {oxygen!r})")
    oxygen = oxygen.strip().lower()
    if oxygen_lpm is not None:
        _number("oxygen_lpm", oxygen_lpm, 0, MAX_LPM)
        if oxygen == "none" and oxygen_lpm > 0:
            raise ValueError("oxygen_lpm is given but oxygen is 'none'; name the oxygen device")

    has_fever = temperature_c is not None and temperature_c >= ASTCT_FEVER_C
    by_pressure = hypotension_grade(bool(hypotension), vasopressors, bool(vasopressin))
    by_oxygen = hypoxia_grade(oxygen, oxygen_lpm)
    if not has_fever and not fever_masked:
        result, driver = 0, "none"  # SOP 4: fever is required before any antipyretic
    elif by_pressure == by_oxygen == 0:
        result, driver = (1, "fever") if has_fever else (0, "none")
    elif by_pressure >= by_oxygen:
        result, driver = by_pressure, "hypotension"
    else:
        result, driver = by_oxygen, "hypoxia"
    return Grading(result, driver, MANAGEMENT[result])
