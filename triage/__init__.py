"""The SOP as pure functions: readings in, an Assessment out. No Flask, no database, no clock.

Public API (the rest of crswatch calls only these):

- `assess(thresholds, profile, history, reading, now, hours, *, time_known=True) -> Assessment`
- `assess_acetaminophen(thresholds, history, dose, now, *, taken=True) -> Assessment`
- `combine(*assessments) -> Assessment` (the parts of one text as one assessment)
- `with_earlier_fevers(current, *earlier) -> Assessment`: a fever the text gives as earlier than its current
  temperature, triaged at its own time (`assess`, `time_known` False when the text gave none), and joined to the
  current reading's assessment
- `in_clinic_hours(hours, now) -> bool`
- `grade(temperature_c, fever_masked, hypotension, vasopressors, vasopressin, oxygen, oxygen_lpm) -> Grading`
- `tocilizumab_refusal(event_doses, recent_doses, given_at) -> str | None`,
  `tocilizumab_dose_mg(weight_kg) -> float`
- `fever_reset(thresholds, afebrile_newest_first, doses) -> Reading | None`,
  `fever_onset(thresholds, febrile_oldest_first) -> Reading | None`,
  `shows_crs_sign(thresholds, profile, reading) -> bool`: what `assess` reads of an episode's past
- `plausible(field, value) -> bool`, `PLAUSIBLE_RANGES`, `THRESHOLD_RANGES`, `PROFILE_RANGES`,
  `range_error`, `validate_thresholds`, `validate_profile`
- `fahrenheit_to_celsius(f)`, `celsius_to_fahrenheit(c)`, `celsius_from(value, unit)`, `temperature_unit(value)`,
  `temperature_celsius(value, unit)`, `trusted(...)` (triage.ranges)
- `triage.replies.reply_keys(said, reading, next_checkin, doses, state)`: which texts answer a text
"""
from .assess import assess, assess_acetaminophen, with_earlier_fevers
from .episode import fever_onset, fever_reset, shows_crs_sign
from .grading import Grading, grade
from .hours import in_clinic_hours
from .model import (
    ESCALATION_SYMPTOMS,
    LEVELS,
    MEDICATIONS,
    SYMPTOMS,
    Assessment,
    ClinicHours,
    Dose,
    History,
    Profile,
    Reading,
    Thresholds,
)
from .ranges import (
    PLAUSIBLE_RANGES,
    PROFILE_RANGES,
    THRESHOLD_RANGES,
    celsius_from,
    celsius_to_fahrenheit,
    fahrenheit_to_celsius,
    implausible_fields,
    plausible,
    range_error,
    temperature_unit,
    validate_profile,
    validate_thresholds,
)
from .reasons import REASON_LEVELS, combine, level_of
from .tocilizumab import tocilizumab_dose_mg, tocilizumab_refusal

__all__ = [
    "ESCALATION_SYMPTOMS", "LEVELS", "MEDICATIONS", "PLAUSIBLE_RANGES", "PROFILE_RANGES", "REASON_LEVELS",
    "SYMPTOMS", "THRESHOLD_RANGES", "Assessment", "ClinicHours", "Dose", "Grading", "History", "Profile",
    "Reading", "Thresholds", "assess", "assess_acetaminophen", "celsius_from",
    "celsius_to_fahrenheit", "combine",
    "fahrenheit_to_celsius", "fever_onset", "fever_reset", "grade", "implausible_fields", "in_clinic_hours", "level_of", "plausible",
    "range_error", "shows_crs_sign", "temperature_unit", "tocilizumab_dose_mg", "tocilizumab_refusal", "validate_profile", "validate_thresholds",
    "with_earlier_fevers",
]
