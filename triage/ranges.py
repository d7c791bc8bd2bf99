"""Units, and the ranges a value may take: what a body can show, what a clinic may configure.

`monitoring` and the web layer use `plausible` to mark a patient's value as implausible (the
patient is asked to measure again); the config loader and enrollment use `THRESHOLD_RANGES` and
`PROFILE_RANGES` to refuse a setting that would silently switch a SOP rule off.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .model import Profile, Reading, Thresholds


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    """Degrees F to degrees C, rounded to 0.01 C.

    Why 0.01 and not 0.1: rounding only removes binary floating-point noise (100.4 F must give
    exactly 38.0, not 38.00000000000001 or 37.99999999999999). 0.01 C is five times finer than a
    home thermometer's 0.1 F step (0.056 C), so no reading crosses the fever line by rounding:
    100.3 F stays 37.94 C, below 38.0; rounding to 0.1 would make 100.35 F a fever.
    """
    return celsius_from(Decimal(str(fahrenheit)), "F")  # the one conversion (exact, half up)


def celsius_to_fahrenheit(celsius: float) -> float:
    """Degrees C to degrees F, rounded to 0.01 F (same reason: no noise, no threshold crossing).

    Display code may round further; triage never compares a rounded display value.
    """
    return round(celsius * 9.0 / 5.0 + 32.0, 2)


# What a body can show (inclusive). A value outside is a typing or measuring error ("1000",
# "o2 900") or a state in which the patient could not be texting us; the patient is asked to
# measure again instead of being triaged on it. The edges are wide on purpose: every value a sick
# patient can really have stays plausible and is triaged (an SpO2 of 70 is urgent, not "again").
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "temperature_c": (34.0, 43.0),
    "systolic": (50, 260),
    "diastolic": (20, 160),
    "spo2": (50, 100),
    "heart_rate": (25, 250),
}
# The same temperature range in Fahrenheit (93.2-109.4), for parsers that see F.
PLAUSIBLE_RANGES["temperature_f"] = (
    celsius_to_fahrenheit(PLAUSIBLE_RANGES["temperature_c"][0]),
    celsius_to_fahrenheit(PLAUSIBLE_RANGES["temperature_c"][1]),
)


def temperature_celsius(value: float, unit: str | None) -> float | None:
    """A temperature as given (`unit` "C", "F", or None: read by `temperature_unit`) in degrees C, rounded
    half up to 0.01 C on the decimal digits as written (Decimal, so 100.4 F is exactly 38.0 C, and the same
    number typed in a text or an app is triaged alike; see `fahrenheit_to_celsius` for why 0.01).

    None when no unit is given and the value fits neither range, or the value is not a number within +-1000. A value
    converted from a given unit may still be implausible: check it with `plausible("temperature_c", ...)`.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1000 <= value <= 1000:
        return None  # also NaN: no body shows it, and Decimal cannot round a huge number to 0.01
    number = Decimal(str(value))
    unit = unit or temperature_unit(number)
    return celsius_from(number, unit) if unit in ("C", "F") else None


READING_FIELDS = ("temperature_c", "systolic", "diastolic", "spo2", "heart_rate")


def celsius_from(value: Decimal, unit: str) -> float:
    """A temperature of `value` degrees in `unit` ("C" or "F") as degrees C, rounded half up to 0.01 C.

    The rule of `fahrenheit_to_celsius` (0.01 C, and why), in exact decimal arithmetic, for a value as
    the patient wrote it ("100.4" is exactly 38.0 C; "100.35" stays 37.97, below the fever line): the
    reader (messages.reading) and the app API use it, so a texted and an app reading agree.
    Raises ValueError for a unit other than "C" or "F".
    """
    if unit not in ("C", "F"):
        raise ValueError(f"temperature unit must be 'C' or 'F', not {unit!r}")
    celsius = value if unit == "C" else (value - 32) * 5 / 9
    return float(celsius.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def temperature_unit(value: Decimal | float) -> str | None:
    """The unit of a temperature written without one: "C" when `value` is a plausible temperature in
    degrees C (34-43), "F" when it is one in degrees F (93.2-109.4: the same range converted, compared
    after the 0.01 C rounding a stored reading gets), None when it is neither ("109.9", "1000": the
    patient is asked to measure again). The two ranges do not overlap."""
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    if not value.is_finite():
        return None
    if plausible("temperature_c", float(value)):
        return "C"
    if plausible("temperature_c", celsius_from(value, "F")):
        return "F"
    return None


def plausible(field: str, value: float | None) -> bool:
    """True when `value` is one a body can show for `field` (a key of PLAUSIBLE_RANGES).

    None (not given) is plausible: there is nothing to measure again. NaN and infinities are not.
    Raises ValueError for an unknown field, so a typo cannot make every value plausible.
    """
    if field not in PLAUSIBLE_RANGES:
        raise ValueError(f"unknown reading field {field!r}; known: {', '.join(PLAUSIBLE_RANGES)}")
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        return False
    low, high = PLAUSIBLE_RANGES[field]
    return low <= value <= high


def implausible_fields(reading: Reading) -> frozenset[str]:
    """The reading's implausible fields: those the caller marked, plus any value out of range.

    Triage checks again itself so that a caller who forgot to mark "temperature 1000" still never
    gets a fever (or an all-clear) computed from it.
    """
    found = {name for name in READING_FIELDS if not plausible(name, getattr(reading, name))}
    return frozenset(reading.implausible) | frozenset(found)


def trusted(reading: Reading) -> Reading:
    """The reading with its implausible values blanked (None), so no rule ever reads them."""
    bad = implausible_fields(reading)
    blanks: dict[str, Any] = {name: None for name in READING_FIELDS if name in bad}
    return replace(reading, **blanks, implausible=bad) if bad else reading


# Settings a clinic may change (config `[thresholds]`), inclusive. Each range keeps the rule a
# rule: a fever line of 41 C or an SpO2 floor of 60 % would silently switch the SOP off.
THRESHOLD_RANGES: dict[str, tuple[float, float]] = {
    "fever_c": (37.5, 39.5),
    "spo2_floor": (80, 95),
    "systolic_floor": (70, 110),
    "systolic_drop": (0, 40),
    "acetaminophen_interval_hours": (4, 12),
    "acetaminophen_max_daily_mg": (1000, 4000),
    "protracted_fever_hours": (12, 168),
    "prolonged_symptoms_days": (1, 30),
}

# Per-patient values set at enrollment, inclusive.
PROFILE_RANGES: dict[str, tuple[float, float]] = {
    "baseline_systolic": (70, 220),
    "baseline_spo2": (80, 100),
}


def range_error(ranges: Mapping[str, tuple[float, float]], name: str, value: object) -> str | None:
    """None when `value` is a number inside ranges[name]; else one line naming the key and range."""
    low, high = ranges[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        return f"{name} must be a number between {low:g} and {high:g} (got {value!r})"
    if not low <= value <= high:
        return f"{name} must be between {low:g} and {high:g} (got {value:g})"
    return None


def validate_thresholds(thresholds: Thresholds) -> None:
    """Raise ValueError naming the first threshold outside THRESHOLD_RANGES."""
    for item in fields(thresholds):
        if item.name in THRESHOLD_RANGES:
            error = range_error(THRESHOLD_RANGES, item.name, getattr(thresholds, item.name))
            if error:
                raise ValueError(f"thresholds.{error}")


def validate_profile(profile: Profile) -> None:
    """Raise ValueError naming the first set profile value outside PROFILE_RANGES (None is fine)."""
    for name in PROFILE_RANGES:
        value = getattr(profile, name)
        if value is not None:
            error = range_error(PROFILE_RANGES, name, value)
            if error:
                raise ValueError(error)
