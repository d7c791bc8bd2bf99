"""Request bodies as models: the one description of what the staff API, the patient app API and the
enrollment form accept (pydantic v2).

Each field says its type, bounds and label once. A field whose wording matters carries a `Checked`
rule: it turns the raw value into the clean one or refuses it with a message that says `{subject}` where
the field goes. `parse` gives the model or raises the first problem as a ValidationError naming the field
(`caregivers[0].phone`, `temperature.value`), for the API's 400; `check` gives every field's problem at
once, in the form's words (the field's label) where asked, for forms that show each error beside its
field. web/openapi.py builds the API document from the same models.

Form mode (`context={"form": True, "tz": ...}`): values arrive as the strings a browser posts; whole
numbers, check boxes, comma lists and clinic-time datetime-local values are read from them here.
"""
from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any, NoReturn, TypeVar

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic import ValidationError as Invalid
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from monitoring.clinic import ValidationError
from monitoring.config import _is_example_number as is_fictional  # NANP 555-0100..0199, reserved for fiction
from triage import PROFILE_RANGES
from triage.model import MEDICATIONS, SYMPTOMS

Model = TypeVar("Model", bound=BaseModel)
Context = Mapping[str, Any]

LANGUAGES = ("en", "es")
OXYGEN = ("none", "low_flow", "high_flow", "positive_pressure")
PAUSE_REASONS = ("admitted", "in_clinic", "ed", "other")
OUTCOMES = ("home_care", "ed", "clinic", "admitted", "no_action")
MAX_CAREGIVERS = 2
# Times outside these years are typos, and years 1 or 9999 overflow the time arithmetic (a 500).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# A medical record number as EHRs print them: letters, digits and a few separators, at most 40 characters.
MRN_PATTERN = r"[A-Za-z0-9][A-Za-z0-9./-]{0,39}"
EARLIEST_BIRTH = date(1900, 1, 1)
ISO_TIME = "ISO 8601 with a UTC offset, like 2026-03-03T10:00:00-06:00"


def refuse(message: str) -> NoReturn:
    """Refuse a value; `{subject}` in `message` becomes the field's name (API) or label (form)."""
    raise PydanticCustomError("refused", message)


class Checked:
    """Annotation metadata: the field's own rule, `parse(value, context) -> clean value` (or `refuse`), run
    before the type check. `parse(None, context)` gives the message for a required field left out. `schema`
    is merged into the field's JSON schema (the bounds the rule enforces, for the API document)."""

    def __init__(self, parse: Callable[[Any, Context], Any], schema: dict[str, Any] | None = None) -> None:
        self.parse = parse
        self.schema = schema or {}

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        def before(value: Any, info: core_schema.ValidationInfo) -> Any:
            return self.parse(value, info.context or {})

        return core_schema.with_info_before_validator_function(before, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        shown = handler(schema)
        target = next((branch for branch in shown.get("anyOf", []) if branch.get("type") != "null"), shown)
        target.update(self.schema)
        return shown


# The rules. Each message names the field first, as the API has always worded it.

def text(limit: int, *, required: bool = True, blank: str = "{subject} is required and must be text",
         bad: str | None = None) -> Checked:
    """Text of 1..limit characters without control characters, stripped; None where not required."""
    def parse(value: Any, context: Context) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            refuse(blank)
        if len(value) > limit:
            refuse(bad or f"{{subject}} must be at most {limit} characters")
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            refuse(bad or "{subject} must not contain control characters")
        return value.strip()
    return Checked(parse, {"minLength": 1, "maxLength": limit})


def whole(low: int, high: int) -> Checked:
    """A whole number in low..high (JSON integer; a form's digits); None passes for an optional field."""
    def parse(value: Any, context: Context) -> int | None:
        if value is None:
            return None
        if context.get("form") and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                refuse("{subject} must be a whole number")
        if isinstance(value, bool) or not isinstance(value, int):
            refuse(f"{{subject}} must be a whole number between {low} and {high}")
        if not low <= value <= high:
            refuse(f"{{subject}} must be between {low} and {high}, not {value}")
        return value
    return Checked(parse, {"minimum": low, "maximum": high})


def number(low: float, high: float) -> Checked:
    """A number in low..high, as a float; None passes."""
    def parse(value: Any, context: Context) -> float | None:
        if value is None:
            return None
        if context.get("form") and isinstance(value, str):
            try:
                value = float(value.replace(",", "."))
            except ValueError:
                refuse("{subject} must be a number")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            refuse(f"{{subject}} must be a number between {low:g} and {high:g}")
        return float(value)
    return Checked(parse, {"minimum": low, "maximum": high})


def measured() -> Checked:
    """A whole-number measurement (systolic, SpO2 ...): 95 and 95.0 alike; NaN, Infinity or 1e400 refused.
    Plausibility is not checked here: an implausible value is kept out and named, not refused (app_api)."""
    def parse(value: Any, context: Context) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not math.isfinite(value)) or value != int(value):
            # NaN, Infinity or 1e400 would crash int(); a 400-digit int would crash isfinite()
            refuse("{subject} must be a whole number")
        return int(value)
    return Checked(parse)


def finite(message: str = "{subject} must be a number", required: bool = False) -> Checked:
    """Any finite number: NaN and Infinity are not JSON numbers (RFC 8259) though Python's decoder takes them."""
    def parse(value: Any, context: Context) -> float | None:
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            refuse(message)
        return value
    return Checked(parse)


def flag() -> Checked:
    """true or false (a form's check box: ticked or not)."""
    def parse(value: Any, context: Context) -> bool:
        if context.get("form") and isinstance(value, str):
            return value in ("on", "true", "1", "yes")
        if not isinstance(value, bool):
            refuse("{subject} must be true or false")
        return value
    return Checked(parse)


def choice(allowed: Iterable[str], message: str | None = None) -> Checked:
    """One of `allowed`."""
    options = tuple(allowed)
    said = message or (f"{{subject}} must be '{options[0]}' or '{options[1]}'" if len(options) == 2
                       else f"{{subject}} must be one of {', '.join(options)}")

    def parse(value: Any, context: Context) -> str:
        if value not in options:
            refuse(said)
        return str(value)
    return Checked(parse, {"enum": list(options)})


def strings() -> Checked:
    """A list of strings, each stripped, blanks dropped (a form's comma-separated text)."""
    def parse(value: Any, context: Context) -> list[str]:
        if context.get("form") and isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            refuse("{subject} must be a list of strings")
        return [item.strip() for item in value if item.strip()]
    return Checked(parse)


def codes(allowed: Iterable[str], message: str) -> Checked:
    """A list of codes from `allowed`."""
    options = tuple(allowed)

    def parse(value: Any, context: Context) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or any(code not in options for code in value):
            refuse(message)
        return value
    return Checked(parse, {"items": {"type": "string", "enum": list(options)}})


def e164(value: Any, *, fictional_ok: bool = True) -> str:
    """E.164 through phonenumbers; a number without + is read as a US number. A number that cannot exist
    (phonenumbers.is_valid_number: "555-1234" would be +15551234) is refused; the fictional 555-01xx range
    passes only where `fictional_ok` (enrollment: the outbox backend, for demos and tests). Refuses with
    the message (`refuse`)."""
    if not isinstance(value, str) or not value.strip():
        refuse("{subject} must be a phone number in E.164 form, like +15555550199")
    try:
        parsed = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        refuse(f"{{subject}} {value!r} is not a phone number; use E.164 like +15555550199")
    if not phonenumbers.is_possible_number(parsed):
        refuse(f"{{subject}} {value!r} is not a possible phone number; use E.164 like +15555550199")
    normal = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if is_fictional(normal):
        if not fictional_ok:
            refuse(f"{{subject}} {value!r} is a fictional 555-01xx number: texts to it go nowhere; "
                   "such numbers work only with the outbox (demo) backend")
        return normal
    if not phonenumbers.is_valid_number(parsed):
        refuse(f"{{subject}} {value!r} is not a phone number that can exist; check the area code and "
               "digits (E.164 like +13125550142)")
    return normal


def phone() -> Checked:
    """A phone number, as `e164` reads it; context "fictional_ok" (default true)."""
    return Checked(lambda value, context: e164(value, fictional_ok=context.get("fictional_ok", True)),
                   {"description": "E.164, like +15555550199 (a number without + is read as US)"})


def moment(value: Any, tz: tzinfo | None = None) -> datetime:
    """An ISO 8601 time with its offset, within the years 2000-2099 (a naive one takes `tz` where given:
    a form's clinic time). Refuses with the message."""
    if not isinstance(value, str):
        refuse("{subject} must be an ISO 8601 time with offset, like 2026-03-03T10:00:00-06:00")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        refuse(f"{{subject}} {value!r} is not an ISO 8601 time" if tz is None
               else "{subject} must be a date and time, like 2026-03-03 10:00")
    if when.tzinfo is None:
        if tz is None:
            refuse("{subject} must carry its UTC offset, like 2026-03-03T10:00:00-06:00")
        when = when.replace(tzinfo=tz)
    if not EARLIEST <= when < LATEST:
        refuse(f"{{subject}} {value!r} is outside the years 2000-2099")
    return when


def time() -> Checked:
    """A time (see `moment`); context "tz" for a form's clinic time; None passes (the caller's default)."""
    return Checked(lambda value, context: None if value is None else moment(value, context.get("tz")),
                   {"description": ISO_TIME})


def record_number() -> Checked:
    """The medical record number, stripped; None when blank. Staff pages only, never in a text (DESIGN)."""
    def parse(value: Any, context: Context) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.fullmatch(MRN_PATTERN, value.strip()):
            refuse("{subject} must be the medical record number: letters, digits, '-', '.' or '/', "
                   "at most 40 characters")
        return value.strip()
    return Checked(parse, {"pattern": f"^{MRN_PATTERN}$"})


def born_on() -> Checked:
    """YYYY-MM-DD, not after context "today" (the clinic's date), not before 1900; None when blank."""
    def parse(value: Any, context: Context) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            refuse("{subject} must be a date like 1956-04-17 (year-month-day)")
        try:
            born = date.fromisoformat(value.strip())
        except ValueError:
            refuse(f"{{subject}} {value.strip()!r} is not a date on the calendar")
        if "today" in context and born > context["today"]:
            refuse("{subject} is in the future")
        if born < EARLIEST_BIRTH:
            refuse("{subject} is before 1900")
        return born.isoformat()
    return Checked(parse, {"format": "date"})


class Body(BaseModel):
    """A request body: unknown fields refused, no type coercion (the rules read the values)."""

    model_config = ConfigDict(strict=True, extra="forbid")


SBP = tuple(int(bound) for bound in PROFILE_RANGES["baseline_systolic"])
SPO2 = tuple(int(bound) for bound in PROFILE_RANGES["baseline_spo2"])


class CaregiverBody(Body):
    """POST /api/v1/patients/<id>/caregivers, and each of an enrollment's `caregivers` (CONTRACT 8)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Maria Example", "phone": "+15555550188", "language": "es", "relationship": "daughter"}]})
    name: Annotated[str, text(100, blank="{subject} is required and must be text of at most 100 characters",
                              bad="{subject} is required and must be text of at most 100 characters"),
                    Field(title="Caregiver's name")]
    phone: Annotated[str, phone(), Field(title="Caregiver's cell", description="E.164, not the patient's own phone")]
    language: Annotated[str | None, choice(LANGUAGES), Field(title="Caregiver's language",
                                                             description="default: the patient's")] = None
    relationship: Annotated[str | None, text(40, required=False,
                                             blank="{subject} must be text of at most 40 characters, like daughter",
                                             bad="{subject} must be text of at most 40 characters, like daughter"),
                            Field(title="Caregiver's relationship", description="like daughter, husband")] = None


def caregiver_list() -> Checked:
    def parse(value: Any, context: Context) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            refuse("{subject} must be a list of {name, phone, language?, relationship?}")
        if len(value) > MAX_CAREGIVERS:
            refuse(f"{{subject}}: at most {MAX_CAREGIVERS} per patient, not {len(value)}")
        return value
    return Checked(parse, {"maxItems": MAX_CAREGIVERS,
                           "description": "each gets an explanation text; errors name caregivers[i].field"})


class EnrollBody(Body):
    """POST /api/v1/patients and the enrollment form (CONTRACT sections 4 and 8). Titles are the form's labels."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Pat Example", "phone": "+15555550198", "language": "en", "therapy": "teclistamab",
         "baseline_systolic": 120, "high_risk": False}]})
    name: Annotated[str, text(200), Field(title="Name")]
    phone: Annotated[str, phone(), Field(title="Mobile phone")]
    language: Annotated[str, choice(LANGUAGES), Field(title="Texts in")] = "en"
    therapy: Annotated[str, text(200), Field(title="Therapy", description="e.g. teclistamab")]
    dose_given_at: Annotated[datetime | None, time(), Field(
        title="Step-up dose given at", description="the step-up dose; default now")] = None
    baseline_systolic: Annotated[int | None, whole(*SBP), Field(title="Baseline systolic blood pressure")] = None
    baseline_spo2: Annotated[int | None, whole(*SPO2), Field(title="Baseline SpO2")] = None
    high_risk: Annotated[bool, flag(), Field(title="High risk")] = False
    risk_factors: Annotated[list[str], strings(), Field(title="Risk factors")] = []
    monitoring_hours: Annotated[int | None, whole(1, 24 * 14), Field(
        title="Monitoring hours", description="default: the clinic's [checkins] monitoring_hours")] = None
    checkin_interval_minutes: Annotated[int | None, whole(15, 240), Field(title="Check-in every (minutes)")] = None
    caregivers: Annotated[list[CaregiverBody], caregiver_list(), Field(title="Caregiver")] = []
    mrn: Annotated[str | None, record_number(), Field(
        title="MRN", description="medical record number, unique among patients (409 when another patient has "
                                 "it); shown on staff pages only, never in a text")] = None
    birth_date: Annotated[str | None, born_on(), Field(
        title="Date of birth", description="date of birth, YYYY-MM-DD, not in the future; staff pages only, "
                                           "never texted")] = None


class DoseBody(Body):
    """POST /api/v1/patients/<id>/doses: a new step-up dose opens a new episode."""

    therapy: Annotated[str, text(200), Field(title="Therapy")]
    given_at: Annotated[datetime | None, time(), Field(title="Dose given at", description="default now")] = None
    monitoring_hours: Annotated[int | None, whole(1, 24 * 14), Field(
        title="Monitoring hours", description="default: the length of the last episode")] = None


class MedicationBody(Body):
    """POST /api/v1/patients/<id>/medications: a dose given by staff."""

    name: Annotated[str, choice(MEDICATIONS), Checked(lambda value, context: str(value or "").strip().lower()),
                    Field(title="Medication")]  # the last rule runs first: "Tocilizumab " is tocilizumab
    dose_mg: Annotated[float | None, number(0.1, 5000), Field(title="Dose (mg)")] = None
    weight_kg: Annotated[float | None, number(2, 300), Field(
        title="Weight (kg)", description="tocilizumab without dose_mg: 8 mg/kg (SOP 5)")] = None
    given_at: Annotated[datetime | None, time(), Field(
        title="Given at", description="default now; not in the future")] = None


class PauseBody(Body):
    """POST /api/v1/patients/<id>/pause."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "admitted"}]})
    reason: Annotated[str, choice(PAUSE_REASONS), Field(title="Reason")]
    until: Annotated[datetime | None, time(), Checked(lambda value, context: None if value == "" else value),
                     Field(title="Until", description="resume by itself then (within 14 days); without it, "
                                                      "until resumed")] = None


class EndBody(Body):
    """POST /api/v1/patients/<id>/end."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "admitted for CRS grade 2"}]})
    reason: Annotated[str, text(200, blank="{subject} is required: say why, in a few words",
                                bad="{subject} must be plain text of at most 200 characters"), Field(title="Reason")]


class ResolveBody(Body):
    """POST /api/v1/alerts/<id>/resolve (CONTRACT 8)."""

    note: Annotated[str, Checked(lambda value, context: value.strip() if isinstance(value, str) and len(value) <= 2000
                                 else refuse("{subject} must be text of at most 2000 characters"), {"maxLength": 2000}),
                    Field(title="Note")] = ""
    outcome: Annotated[str | None, choice(OUTCOMES), Field(title="Outcome", description="what came of it")] = None


class GradeBody(Body):
    """POST /api/v1/grade and the dashboard's grading form: ASTCT grading (SOP section 4 table)."""

    temperature_c: Annotated[float | None, finite("{subject} must be a number"), Field(
        title="Temperature", description="degrees C; 25-45")] = None
    fever_masked: Annotated[bool, flag(), Field(description="antipyretic or anticytokine therapy was given")] = False
    hypotension: Annotated[bool, flag()] = False
    vasopressors: Annotated[int, Checked(lambda value, context: value if type(value) is int and 0 <= value <= 2
                                         else refuse("{subject} must be 0, 1 or 2 (vasopressin not counted)"),
                                         {"enum": [0, 1, 2]}),
                            Field(description="other than vasopressin")] = 0
    vasopressin: Annotated[bool, flag()] = False
    oxygen: Annotated[str, choice(OXYGEN)] = "none"
    oxygen_lpm: Annotated[float | None, finite(), Field(
        description="litres per minute, 0-100; where given it decides low versus high flow")] = None


class TemperatureBody(Body):
    """A temperature as the patient read it."""

    value: Annotated[float, finite(required=True)]
    unit: Annotated[str | None, choice(("C", "F"), '{subject} must be "C" or "F"'), Field(
        description="optional: without it the number is read as a text is (34-43 C, 93-110 F)")] = None


def temperature_object() -> Checked:
    def parse(value: Any, context: Context) -> Any:
        if value is not None and (not isinstance(value, dict) or set(value) - {"value", "unit"}):
            refuse('{subject} must be {"value": number, "unit": "C" or "F"}')
        return value
    return Checked(parse)


class ReadingBody(Body):
    """POST /api/v1/me/readings (CONTRACT 5): at least one value; an implausible one is kept out and named
    (implausible_reading), not refused."""

    model_config = ConfigDict(json_schema_extra={
        "minProperties": 1, "examples": [{"temperature": {"value": 100.9, "unit": "F"}, "systolic": 118,
                                          "diastolic": 76, "spo2": 96, "heart_rate": 88, "symptoms": ["chills"]}]})
    temperature: Annotated[TemperatureBody | None, temperature_object()] = None
    systolic: Annotated[int | None, measured()] = None
    diastolic: Annotated[int | None, measured()] = None
    spo2: Annotated[int | None, measured()] = None
    heart_rate: Annotated[int | None, measured()] = None
    symptoms: Annotated[list[str], codes(SYMPTOMS, f"{{subject}} must be a list of codes from: {', '.join(SYMPTOMS)}")] = []
    taken_at: Annotated[datetime | None, time(), Field(description="default now; not in the future")] = None


class PatientMedicationBody(Body):
    """POST /api/v1/me/medications: acetaminophen the patient took."""

    name: Annotated[str, choice(("acetaminophen",), "{subject} must be acetaminophen (other medicines are "
                                                    "recorded by the clinic)")]
    dose_mg: Annotated[float | None, number(80, 2000)] = None
    taken_at: Annotated[datetime | None, time(), Field(description="default now; not in the future")] = None


# Errors: pydantic's, in the API's words (a field's own rule words its own).
DEFAULT_WORDS = {"missing": "{subject} is required", "bool_type": "{subject} must be true or false",
                 "int_type": "{subject} must be a whole number", "float_type": "{subject} must be a number",
                 "string_type": "{subject} must be text", "list_type": "{subject} must be a list",
                 "model_type": "{subject} must be an object", "dict_type": "{subject} must be an object",
                 "model_attributes_type": "{subject} must be an object"}


def _field_path(loc: tuple[int | str, ...]) -> str:
    """('caregivers', 0, 'phone') -> 'caregivers[0].phone'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "body"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation like `list[CaregiverBody]` or `TemperatureBody | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, (types.UnionType, types.GenericAlias)) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None


def _subject(model: type[BaseModel], loc: tuple[int | str, ...], labels: bool) -> tuple[str, Checked | None]:
    """The field's name, or its label ("Caregiver 1: cell"), and its rule, for an error at `loc`."""
    current: type[BaseModel] | None = model
    said, parent, rule = "", "", None
    for part in loc:
        if isinstance(part, int):
            said = f"{parent} {part + 1}:"
            continue
        field = current.model_fields.get(part) if current is not None else None
        if field is None:
            return _field_path(loc), None
        title = field.title or part.replace("_", " ").capitalize()
        said = f"{said} {title.removeprefix(f'{parent}' + chr(39) + 's ')}" if said else title
        parent = title
        rule = next((item for item in field.metadata if isinstance(item, Checked)), None)
        current = _model_in(field.annotation)
    return (said if labels else _field_path(loc)), rule


def _problem(model: type[BaseModel], error: Any, labels: bool, context: Context) -> ValidationError:
    loc = tuple(error["loc"])
    field = _field_path(loc)
    if error["type"] == "extra_forbidden":
        parent = model
        for part in loc[:-1]:
            if isinstance(part, str) and parent is not None and part in parent.model_fields:
                parent = _model_in(parent.model_fields[part].annotation) or parent
        known = ", ".join(sorted(parent.model_fields))
        return ValidationError(f"unknown field {loc[-1]!r}; known: {known}", field)
    subject, rule = _subject(model, loc, labels)
    message = DEFAULT_WORDS.get(error["type"], "{subject}: " + error["msg"])
    if error["type"] == "refused":
        message = error["msg"]
    elif error["type"] == "missing" and rule is not None:
        try:
            rule.parse(None, context)
        except PydanticCustomError as refusal:
            message = refusal.message()
    worded = message.replace("{subject}", subject)
    return ValidationError(worded[:1].upper() + worded[1:] if labels else worded, field)


def _problems(model: type[BaseModel], invalid: Invalid, labels: bool, context: Context) -> list[ValidationError]:
    """Unknown fields first (they say which fields there are), then in the model's order."""
    errors = sorted(invalid.errors(), key=lambda error: error["type"] != "extra_forbidden")
    return [_problem(model, error, labels, context) for error in errors]


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", "body")
    return body


def parse(model: type[Model], body: Any, context: Context | None = None, labels: bool = False) -> Model:
    """`body` as `model`, or the first problem as a ValidationError naming the field (the API's 400);
    `labels`: the message in the form's words (the field's title)."""
    try:
        return model.model_validate(_object(body), context=dict(context or {}))
    except Invalid as invalid:
        raise _problems(model, invalid, labels, context or {})[0] from None


def check(model: type[Model], body: Any, context: Context | None = None,
          labels: bool = False) -> tuple[dict[str, Any], dict[str, ValidationError]]:
    """Each field on its own: (the values that passed, defaults filled in; {field path: its first problem}),
    unknown fields first. `labels`: messages in the form's words (the fields' titles), not field names."""
    body, context = _object(body), dict(context or {})
    values: dict[str, Any] = {}
    errors: dict[str, ValidationError] = {}
    unknown = sorted(set(body) - set(model.model_fields))
    if unknown:
        field = unknown[0]
        errors[field] = ValidationError(f"unknown field {field!r}; known: {', '.join(sorted(model.model_fields))}",
                                        field)
    blank = model.model_construct()
    for name, info in model.model_fields.items():
        if name not in body:
            if info.is_required():
                errors.setdefault(name, _problem(model, {"type": "missing", "loc": (name,), "msg": ""}, labels,
                                                 context))
            else:
                values[name] = info.get_default(call_default_factory=True)
            continue
        try:
            model.__pydantic_validator__.validate_assignment(blank, name, body[name], context=context)
            values[name] = getattr(blank, name)
        except Invalid as invalid:
            problem = _problems(model, invalid, labels, context)[0]
            errors.setdefault(problem.field or name, problem)
    return values, errors


def form_body(form: Mapping[str, str], fields: Iterable[str], rows: Mapping[str, Iterable[str]] | None = None,
              ) -> dict[str, Any]:
    """A posted form as a body: blank fields left out; `rows` {"caregivers": keys} gathers fields named
    like `caregivers[0].name` into a list of objects (rows left empty at the end dropped, so the form's
    row numbers stay the list's indexes)."""
    body: dict[str, Any] = {}
    for name in fields:
        value = (form.get(name) or "").strip()
        if value:
            body[name] = value
    for name, keys in (rows or {}).items():
        keys = tuple(keys)
        found = [{key: (form.get(f"{name}[{row}].{key}") or "").strip() for key in keys} for row in range(16)]
        found = [{key: value for key, value in row.items() if value} for row in found]
        while found and not found[-1]:
            found.pop()
        if found:
            body[name] = found
    return body
