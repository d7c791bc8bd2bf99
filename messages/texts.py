"""Outgoing texts: render a template in the patient's language, count its SMS segments.

The words live in messages/templates/<language>.toml, one file per language, every text the
system sends (patients and staff) plus the labels for levels, reasons and symptoms. They are read
once and cached. Imports nothing of `web` or `monitoring`.

    render("reply_routine", "es", next_checkin="3:45 PM")
    -> "Gracias. No tiene fiebre. Siga tomando agua. Su siguiente control es a las 3:45 PM. ..."
"""
from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers

from triage.replies import CAREGIVER_WORDING

TEMPLATE_DIR = Path(__file__).with_name("templates")
log = logging.getLogger("crswatch.texts")
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

PATIENT_KEYS = (
    "first_prompt", "prompt", "reminder", "reply_routine", "reply_fever_earlier", "reply_fever_home_care", "reply_fever_wait",
    "reply_fever_safety_net",
    "reply_clinician_review", "reply_urgent_in_hours", "reply_urgent_after_hours", "reply_measure_again", "reply_reading_unsure",
    "reply_unreadable", "reply_med_recorded", "reply_med_may_take", "reply_med_too_soon", "reply_med_daily_max",
    "reply_symptoms_noted", "reply_readings_noted", "reply_thanks", "reply_no_fever_noted",
    "reply_still_urgent", "reply_paused", "reply_other_medicine", "reply_picture", "help", "unknown_sender", "opted_out", "opted_in", "episode_end",
    "already_stopped", "monitoring_paused", "monitoring_resumed", "monitoring_ended",
)
# Texts to a patient's caregivers (issue 13); {first_name} is the patient's. Written like patient texts
# (GSM-7, plain words), in the caregiver's own language.
CAREGIVER_KEYS = ("caregiver_welcome", "caregiver_signs", "caregiver_reminder", "caregiver_which_patient",
                  "caregiver_opted_out", "caregiver_opted_in", "caregiver_help", "caregiver_episode_end",
                  "caregiver_urgent_after_hours",
                  "neuro_check", "neuro_check_normal",
                  # the patient's replies in a caregiver's words (triage.replies.CAREGIVER_WORDING)
                  "caregiver_reply_routine", "caregiver_fever_earlier", "caregiver_fever_home_care", "caregiver_fever_wait",
                  "caregiver_clinician_review", "caregiver_reading_unsure", "caregiver_unreadable",
                  "caregiver_med_recorded", "caregiver_med_may_take", "caregiver_med_too_soon",
                  "caregiver_med_daily_max", "caregiver_other_medicine", "caregiver_symptoms_noted",
                  "caregiver_readings_noted", "caregiver_thanks", "caregiver_no_fever_noted",
                  "caregiver_still_urgent", "caregiver_paused", "caregiver_picture",
                  # a worrying text not yet attributed to one of the phone's patients (UNATTRIBUTED_WORDING)
                  "caregiver_review_unattributed", "caregiver_already_stopped")
STAFF_KEYS = ("nurse_alert", "nurse_alert_update", "nurse_repage", "nurse_ack", "nurse_ack_already", "nurse_ack_none",
              "nurse_ack_all", "nurse_ack_also_open", "nurse_ack_resolved", "nurse_ack_not_yours", "staff_unreadable",
              "nurse_answered")
TEMPLATE_KEYS = PATIENT_KEYS + CAREGIVER_KEYS + STAFF_KEYS
LABEL_TABLES = ("levels", "reasons", "symptoms", "times")

# Texts that must name the clinic's phone number (CONTRACT 6: every urgent reply).
URGENT_KEYS = ("reply_urgent_in_hours", "reply_urgent_after_hours", "reply_clinician_review", "caregiver_urgent_after_hours",
               "caregiver_clinician_review", "caregiver_review_unattributed")
# Replies that leave right after the nurse's page, ahead of every other reply and prompt (issue 19, urgent first
# at the sender): what triage says for an urgent or clinician_review outcome (SOP 5 Grade 1 Home: "recontact the
# clinic urgently or present to ED"; SOP 5 Grade 2: "urgently evaluated in person"), the reminder that an earlier
# urgent instruction still stands, and the red-flag signs sent with a fever (the same SOP 5 list).
SEND_FIRST = URGENT_KEYS + ("reply_still_urgent", "reply_fever_safety_net")

# Segment budget, per key, checked by tests/test_texts.py with a 30-character clinic name, a
# formatted phone number and "3:45 PM". Two segments for every text (306 GSM-7 characters): a
# longer text arrives split or late on some phones, and each segment is billed. Patient texts are
# written in GSM-7 in both languages (see es.toml) so none needs UCS-2's smaller segments. Staff
# texts carry a dashboard link and the reason labels; two segments hold three reasons and a link.
# A key that cannot fit gets its own line here, with the reason.
SEGMENT_BUDGET: dict[str, int] = {key: 2 for key in TEMPLATE_KEYS}
# Three questions, how to answer, and that it is a screen and not a score (issue 13 asks the text to say so).
SEGMENT_BUDGET["neuro_check"] = 3
# The SOP's safety-net signs cannot be said in Spanish without presión, confusión, oxígeno: UCS-2, so
# three of its shorter segments (the one caregiver text allowed out of GSM-7, CAREGIVER_UCS2).
SEGMENT_BUDGET["caregiver_signs"] = 3
CAREGIVER_UCS2 = ("caregiver_signs",)
# Spanish texts whose meaning needs a letter GSM-7 lacks (á, í, ó, ú): they go as UCS-2 (70 characters
# a segment, 67 when split), so they may take three segments. Each says which words need it.
UCS2_TEXTS: dict[tuple[str, str], str] = {
    ("prompt", "es"): "presión, oxígeno: it asks for the readings the English prompt asks for",
    ("reply_fever_safety_net", "es"): "presión, oxígeno: SOP 5's low pressure and new hypoxia",
}
UCS2_BUDGET = 3


def segment_budget(key: str, language: str | None) -> int:
    """The segments a text may take: SEGMENT_BUDGET, or UCS2_BUDGET for a text in UCS2_TEXTS."""
    if (key, _language(language)) in UCS2_TEXTS:
        return UCS2_BUDGET
    return SEGMENT_BUDGET.get(key, 2)
# A page carries each reason with its value, what the patient was told, the patient's words and the
# callback number (issue 12): three segments (459 GSM-7 characters), and messages.page shortens it to
# fit. Patient texts keep two.
SEGMENT_BUDGET.update({"nurse_alert": 3, "nurse_alert_update": 3, "nurse_repage": 3})

# GSM 03.38: the basic alphabet (one septet) and the extension table (escape + one septet).
GSM7_BASIC = frozenset(
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9"
    "\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9 !\"#\u00a4%&'()*+,-./0123456789:;<=>?"
    "\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz"
    "\u00e4\u00f6\u00f1\u00fc\u00e0"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|\u20ac\f")
GSM7 = GSM7_BASIC | GSM7_EXTENSION


class TemplateError(KeyError):
    """A template that does not exist, or a value it needs that was not given."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@cache
def _catalog(language: str) -> dict[str, Any]:
    """{"templates": {key: text}, "labels": {table: {code: label}}} of one language's TOML file."""
    path = TEMPLATE_DIR / f"{language}.toml"
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    templates = {k: v for k, v in data.items() if isinstance(v, str)}
    labels = {table: dict(data.get(table, {})) for table in LABEL_TABLES}
    return {"templates": templates, "labels": labels}


def _language(language: str | None) -> str:
    language = (language or "").lower()[:2]
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def template(key: str, language: str | None) -> str:
    """The raw template text; unknown languages fall back to English, then a missing key too."""
    for lang in dict.fromkeys((_language(language), DEFAULT_LANGUAGE)):
        text: str | None = _catalog(lang)["templates"].get(key)
        if text is not None:
            return text
    raise TemplateError(f"no template named {key!r}; known keys: {', '.join(TEMPLATE_KEYS)}")


@cache  # a template's text: a few dozen, each rendered for every reply (issue 19)
def placeholders(text: str) -> frozenset[str]:
    """The {names} a template needs."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def render(key: str, language: str | None, **values: object) -> str:
    """The text for `key` in `language` with its {placeholders} filled.

    Unknown languages fall back to English. A placeholder without a value raises TemplateError
    naming it; values a template does not use are ignored, so callers may pass one bag of values.
    A text over its segment budget is still sent, with a warning (once per process) naming the
    template and the inserted value that made it long or forced UCS-2.
    """
    text = template(key, language)
    needed = placeholders(text)
    missing = needed - values.keys()
    if missing:
        raise TemplateError(
            f"template {key!r} ({_language(language)}) needs {', '.join(sorted(missing))}; "
            f"pass them to render()")
    rendered = text.format_map({name: values[name] for name in needed})
    used, allowed = segments(rendered), segment_budget(key, language)
    if used > allowed:
        _warn_over_budget(key, _language(language), used, allowed, {name: values[name] for name in needed})
    return rendered


_warned: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()


def _warn_over_budget(key: str, language: str, used: int, allowed: int, values: dict[str, object]) -> None:
    # Only clinic settings are named: a patient's words or a phone number must not reach the log.
    settings = {name: value for name, value in values.items() if name in SETTING_VALUES}
    named = {name: value for name, value in settings.items() if not is_gsm7(str(value))} or settings
    marker = (key, language, tuple(sorted((name, str(value)) for name, value in named.items())))
    if marker in _warned:
        return
    _warned.add(marker)
    why = ", ".join(f"{name}={value!r}" + ("" if is_gsm7(str(value)) else " (not GSM-7: the whole text becomes UCS-2)")
                    for name, value in named.items()) or "its inserted values"
    log.warning("text %s (%s) takes %s SMS segments, budget %s, because of %s", key, language, used, allowed, why)


# Values that come from the clinic's settings (safe to name in a log line, and the admin can change them).
SETTING_VALUES = frozenset({"clinic_name", "clinic_phone", "therapy", "acknowledged_by", "resolved_by"})

# Typographic punctuation a word processor or a phone keyboard inserts; each one outside GSM-7 turns
# a whole text into UCS-2 (70 characters a segment instead of 160).
SMART_PUNCTUATION = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "″": '"',
    "–": "-", "—": "-", "−": "-", "…": "...", " ": " ", " ": " ", " ": " ",
})


def plain_punctuation(value: str) -> str:
    """`value` with smart quotes, dashes, ellipses and odd spaces as their GSM-7 plain forms
    ("St. Mary’s" -> "St. Mary's"). Letters are left alone: an accent is part of a name."""
    return value.translate(SMART_PUNCTUATION)


def _label(table: str, code: str, language: str | None) -> str:
    for lang in dict.fromkeys((_language(language), DEFAULT_LANGUAGE)):
        label: str | None = _catalog(lang)["labels"][table].get(code)
        if label is not None:
            return label
    return code.replace("_", " ")  # a new code still reads, never crashes a page


def reason_label(code: str, language: str | None, kind: str = "reasons") -> str:
    """'hypoxia' -> 'low oxygen' / 'oxígeno bajo'. `kind` picks the table: reasons, levels, symptoms."""
    if kind not in LABEL_TABLES:
        raise TemplateError(f"no label table {kind!r}; known: {', '.join(LABEL_TABLES)}")
    return _label(kind, code, language)


def level_label(code: str, language: str | None) -> str:
    """'urgent' -> 'URGENT' / 'URGENTE'."""
    return _label("levels", code, language)


def symptom_label(code: str, language: str | None) -> str:
    """'shortness_of_breath' -> 'short of breath'."""
    return _label("symptoms", code, language)


def clock_text(local_time: str, tomorrow: bool, language: str | None, hour: int | None = None) -> str:
    """A time as a text puts it, with the words the language needs around it ([times] labels).

    English: '3:45 PM', '1:30 AM tomorrow'. Spanish carries its preposition and article, which
    depend on the hour ('a la 1:30 PM', 'a las 3:45 PM') and says tomorrow first ('mañana a la
    1:30 AM'), because 'de mañana' after a time reads as 'in the morning'. `hour` is the local hour
    (0-23); None reads it from `local_time`.
    """
    if hour is None:
        hour = int(local_time.split(":")[0]) % 12 + (12 if local_time.upper().endswith("PM") else 0)
    one = hour % 12 == 1  # 1:xx AM or PM takes the singular article in Spanish
    name = ("tomorrow" if tomorrow else "today") + ("_one" if one else "")
    labels = _catalog(_language(language))["labels"]["times"]
    label = labels.get(name) or labels.get("tomorrow" if tomorrow else "today") or "{time}"
    return label.format(time=local_time)


def reasons_text(codes: Iterable[str], language: str | None) -> str:
    """Reason codes as one phrase for a nurse text: 'low oxygen, fever'."""
    return ", ".join(reason_label(code, language) for code in codes)


# The caregiver twins the interpreter signed off with issue 13's page (a later change is listed by key below).
CAREGIVER_TWINS_SIGNED_OFF = frozenset({"caregiver_episode_end", "caregiver_opted_out", "caregiver_opted_in",
                                        "caregiver_help", "caregiver_signs", "caregiver_urgent_after_hours"})
# Spanish texts changed since the interpreter last read the page: the sign-off column says so until they sign it
# off (then the key leaves this table). Key -> what changed and why.
AWAITING_INTERPRETER: dict[str, str] = {
    # every caregiver twin of a patient's reply (triage.replies.CAREGIVER_WORDING, issue 13: said of the patient by
    # name, "give" for "take") until the interpreter signs it off; a twin added later is listed here by itself
    **{twin: f"awaiting the interpreter (2026-12-01): new; {key} in a caregiver's words"
       for key, twin in CAREGIVER_WORDING.items() if twin not in CAREGIVER_TWINS_SIGNED_OFF},
    "reply_med_recorded": "awaiting the interpreter (2026-12-01): the next dose only if there is a fever then (SOP 5 "
                          "Grade 1 Home: can repeat, if recurrent fever, >= 6-8 h later)",
    "reply_med_too_soon": "awaiting the interpreter (2026-12-01): the next dose only if there is a fever then (SOP 5 "
                          "Grade 1 Home: can repeat, if recurrent fever, >= 6-8 h later)",
    "monitoring_resumed": "awaiting the interpreter (2026-12-01): no longer asks for the temperature (the check-in "
                          "prompt right after it asks); names the clinic's phone, in monitoring_paused's words",
    "caregiver_urgent_after_hours": "awaiting the interpreter (2026-12-01): new; the after-hours urgent text in a "
                                    "caregiver's words (take your relative to the ED), as reply_urgent_after_hours",
    "reply_picture": "awaiting the interpreter (2026-12-01): new; the answer to a picture sent alone (an MMS)",
    "caregiver_help": "awaiting the interpreter (2026-12-01): changed; la temperatura del paciente, for su temperatura "
                      "(read by a caregiver as usted's own)",
    "caregiver_episode_end": "awaiting the interpreter (2026-12-01): changed; si {first_name} tiene fiebre, for si "
                             "tiene fiebre (read by a caregiver as usted's own fever)",
    "caregiver_signs": "awaiting the interpreter (2026-12-01): changed; the top blood pressure number under 90 "
                       "(SOP 5 Grade 1 Home: < 90 mm Hg systolic), as reply_fever_safety_net says it, for presion baja",
    "caregiver_review_unattributed": "awaiting the interpreter (2026-12-01): new; reply_clinician_review to a "
                                     "caregiver of several patients before they say which one",
}


def interpreter_table() -> str:
    """docs/spanish-texts.md: every patient and caregiver text in Spanish beside its English twin, as the templates
    hold them, for the clinic's certified medical interpreter to sign off (tests keep the page in step)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "# Spanish patient texts beside their English twins",
        "",
        "For the clinic's certified medical interpreter: every text a patient or a caregiver can receive, as",
        "`messages/templates/es.toml` and `en.toml` hold them. `{clinic_phone}` arrives as \"(555) 555-0100\",",
        "`{therapy}` as the drug the patient had (\"teclistamab\"), and a time as the table at the end shows.",
        "Generated by `messages.texts.interpreter_table()`; `tests/test_texts_plain.py` fails when this",
        "page and the templates differ.",
        "",
        "| key | English | Spanish | interpreter's sign-off |",
        "| --- | --- | --- | --- |",
    ]
    for key in PATIENT_KEYS:
        signed = cell(AWAITING_INTERPRETER.get(key, ""))
        lines.append(f"| `{key}` | {cell(template(key, 'en'))} | {cell(template(key, 'es'))} | {signed} |")
    lines += ["", "## Texts to caregivers", "",
              "A caregiver gets these in their own language; `{first_name}` is the patient's first name.", "",
              "| key | English | Spanish | interpreter's sign-off |", "| --- | --- | --- | --- |"]
    for key in CAREGIVER_KEYS:
        signed = cell(AWAITING_INTERPRETER.get(key, ""))
        lines.append(f"| `{key}` | {cell(template(key, 'en'))} | {cell(template(key, 'es'))} | {signed} |")
    lines += ["", "## Times", "", "| when | English | Spanish |", "| --- | --- | --- |"]
    for label, hour, tomorrow in (("3:45 PM today", 15, False), ("1:30 PM today", 13, False),
                                  ("3:45 AM tomorrow", 3, True), ("1:30 AM tomorrow", 1, True)):
        local = label.rsplit(" ", 1)[0]
        lines.append(f"| {label} | {clock_text(local, tomorrow, 'en', hour)} | {clock_text(local, tomorrow, 'es', hour)} |")
    return "\n".join(lines) + "\n"


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 default alphabet (else the text goes as UCS-2, 70 a segment)."""
    return GSM7.issuperset(text)  # one set operation: every reply is measured as it is rendered (issue 19)


def segments(text: str) -> int:
    """SMS segments `text` takes: GSM-7 160 septets (153 when split), else UCS-2 70 (67).

    Extension characters (^ { } [ ] ~ | \\ euro) take two septets and are never split across
    segments; UCS-2 counts UTF-16 code units (an emoji is two) and never splits a surrogate pair.
    An empty text is one segment, as carriers bill it.
    """
    if is_gsm7(text):
        # its septets counted in C (issue 19: every reply is measured as it is rendered, under the write lock)
        if GSM7_EXTENSION.isdisjoint(text):  # every character one septet, no pair to keep whole: full segments
            return 1 if len(text) <= 160 else -(-len(text) // 153)
        if len(text) + sum(map(text.count, GSM7_EXTENSION)) <= 160:
            return 1
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        single, multi = 160, 153
    else:
        code_units = len(text.encode("utf-16-le")) // 2
        if code_units <= 70:
            return 1
        if code_units == len(text):  # no surrogate pair to keep whole: full segments of 67
            return -(-code_units // 67)
        units = [len(ch.encode("utf-16-le")) // 2 for ch in text]
        single, multi = 70, 67
    if sum(units) <= single:
        return 1
    count, used = 1, 0
    for unit in units:
        if used + unit > multi:
            count, used = count + 1, 0
        used += unit
    return count


@cache
def format_phone(e164: str, region: str | None = None) -> str:
    """'+15555550100' -> '(555) 555-0100': national format in the clinic's region, else international.

    `region` is the clinic's ISO country ("US"); None takes the number's own region. A number
    phonenumbers cannot read is returned as given, never raised on: it goes into a text.
    """
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    # By country code, not region: 555 numbers are not "valid", so they have no region.
    if region is None or phonenumbers.country_code_for_region(region.upper()) == number.country_code:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def budget_check(key: str, language: str, text: str) -> str | None:
    """None when `text` fits the key's budget, else what is wrong (for tests and `flask` checks)."""
    used, allowed = segments(text), segment_budget(key, language)
    if used > allowed:
        return f"{key} ({language}) takes {used} segments, budget {allowed}: {text!r}"
    return None


__all__ = [
    "CAREGIVER_KEYS",
    "LANGUAGES",
    "PATIENT_KEYS",
    "SEGMENT_BUDGET",
    "SEND_FIRST",
    "STAFF_KEYS",
    "TEMPLATE_KEYS",
    "UCS2_TEXTS",
    "URGENT_KEYS",
    "TemplateError",
    "budget_check",
    "clock_text",
    "format_phone",
    "interpreter_table",
    "is_gsm7",
    "level_label",
    "placeholders",
    "reason_label",
    "reasons_text",
    "render",
    "segment_budget",
    "segments",
    "symptom_label",
    "template",
]
