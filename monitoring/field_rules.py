"""The rules a request body's fields follow, and their errors in the API's or the form's words.

A field whose wording matters carries a `Checked` rule (monitoring.bodies): it turns the raw value into the
clean one or refuses it with a message that says `{subject}` where the field goes. `parse` gives the model
or raises the first problem as a ValidationError naming the field (`caregivers[0].phone`,
`temperature.value`), for the API's 400; `check` gives every field's problem at once, in the form's words
(the field's title) where asked, for forms that show each error beside its field.

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
from typing import Any, NoReturn, TypeVar

import phonenumbers
from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic import ValidationError as Invalid
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from monitoring.clinic import ValidationError
from monitoring.config_types import (
    is_example_number as is_fictional,  # NANP 555-0100..0199, reserved for fiction
)

Model = TypeVar("Model", bound=BaseModel)
Context = Mapping[str, Any]

# Times outside these years are typos, and years 1 or 9999 overflow the time arithmetic (a 500).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# A medical record number as EHRs print them: letters, digits and a few separators, at most 40 characters.
MRN_PATTERN = r"[A-Za-z0-9][A-Za-z0-9./-]{0,39}"
EARLIEST_BIRTH = date(1900, 1, 1)
MAX_ID = 2**63 - 1  # SQLite integers are 64-bit
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


# Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069): invisible, they
# reorder what a nurse reads on the dashboard ("Trojan Source"), and no name or therapy needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


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
        if any(ord(char) < 32 or ord(char) == 127 or char in BIDI_CONTROLS for char in value):
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
                pair = re.fullmatch(r"\s*(\d+)\s*/\s*\d+\s*", value)  # a blood pressure written whole: 120/80
                if pair:
                    refuse(f"{{subject}} takes one whole number: for {value.strip()} write {pair.group(1)}")
                refuse("{subject} must be a whole number")
        if isinstance(value, bool) or not isinstance(value, int):
            refuse(f"{{subject}} must be a whole number between {low} and {high}")
        if not low <= value <= high:
            refuse(f"{{subject}} must be between {low} and {high}, not {value}")
        return value
    return Checked(parse, {"minimum": low, "maximum": high})


def row_id(low: int = 1) -> Checked:
    """A row id in a query string: ASCII digits up to SQLite's largest integer; blank is None."""
    def parse(value: Any, context: Context) -> int | None:
        if value in (None, ""):
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit() and low <= int(value) <= MAX_ID:
            return int(value)
        if type(value) is int and low <= value <= MAX_ID:
            return value
        refuse("{subject} must be a whole number")
    return Checked(parse, {"type": "integer", "minimum": low, "maximum": MAX_ID})


def blank_is_none() -> Checked:
    """An empty query parameter is no parameter (`?level=`)."""
    return Checked(lambda value, context: None if value == "" else value)


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


def _float(value: float) -> float:
    """As a float; an int past float's range (10 ** 400) is infinite, never an OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def finite(message: str = "{subject} must be a number", required: bool = False) -> Checked:
    """Any finite number: NaN and Infinity are not JSON numbers (RFC 8259) though Python's decoder takes them."""
    def parse(value: Any, context: Context) -> float | None:
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value := _float(value)):
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
    """The model class inside an annotation like `list[CaregiverRequest]` or `Temperature | None`."""
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


def _squeezed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _refuse_near_misses(model: type[BaseModel], body: Mapping[str, Any]) -> None:
    """A model that ignores what it does not name (a query string: a client's cache buster) still refuses a
    misspelling or a shortening of a name it knows ("patientId", "patient-id", "patiend_id", "patient"): that
    filter would be dropped without a word and the answer would hold every patient's rows. Raises
    ValidationError naming it."""
    from rapidfuzz import fuzz

    for key in body:
        if key in model.model_fields:
            continue
        said = _squeezed(key)
        for known in model.model_fields:
            named = _squeezed(known)
            if said == named or fuzz.ratio(said, named) >= 85 or (len(said) >= 4 and named.startswith(said)):
                raise ValidationError(f"unknown parameter {key!r}: did you mean {known!r}?", key)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", "body")
    return body


def parse(model: type[Model], body: Any, context: Context | None = None, labels: bool = False) -> Model:
    """`body` as `model`, or the first problem as a ValidationError naming the field (the API's 400);
    `labels`: the message in the form's words (the field's title)."""
    body = _object(body)
    if model.model_config.get("extra") == "ignore":
        _refuse_near_misses(model, body)
    try:
        return model.model_validate(body, context=dict(context or {}))
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
