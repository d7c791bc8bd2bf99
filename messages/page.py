"""A nurse's page: what the on-call nurse needs to decide, within the page's segment budget.

Pure: facts in, one GSM-7 text out. Imports nothing of `web` or `monitoring`; monitoring.pagefacts
reads the facts from the store. Minimum PHI (DESIGN "Nurse pages"): initials, never a name or a date
of birth; the patient's number only when the clinic allows it (`[escalation] page_callback_number`).

    render_page("nurse_alert", level="URGENT", initials="P.A.", time="3:12 AM", alert_id=7,
                link="https://monitor.example.org/dashboard/alerts/7",
                facts=PageFacts(reasons=("hypoxia", "fever"), temperature_c=39.4, spo2=87, spo2_floor=90,
                                told=("reply_urgent_after_hours",)))
    -> "crswatch URGENT: P.A. low oxygen 87% (floor 90%), fever 102.9F/39.4C at 3:12 AM. Told: go to
        ED now. Reply ACK 7. https://monitor.example.org/dashboard/alerts/7"
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace

from messages.reading.times import ONLY_EARLIER
from messages.texts import GSM7_BASIC, SEGMENT_BUDGET, reason_label, render, segments

# Reasons that came from the patient's own words: the page quotes them rather than a label, because
# "I feel awful" and "asks to be called" are not the same call to make at 3 a.m.
FREE_TEXT_REASONS = ("asks_for_call", "concerning_text")
FEVER_REASONS = ("fever", "recurrent_fever", "persistent_fever", "protracted_fever", "high_risk_fever")
QUOTE_CHARS = 60
# What the patient was told, by the template key of the reply (messages/templates/en.toml), in the
# fewest words a nurse reads at a glance. SOP 5 Grade 1 Home (acetaminophen, recontact the clinic or
# present to the ED) and Grade 2 ("if after hours ... recommend ED evaluation").
TOLD = {
    "reply_urgent_after_hours": "go to ED now",
    "reply_urgent_in_hours": "call clinic now",
    "reply_still_urgent": "call clinic now",
    "reply_clinician_review": "nurse will call",
    "reply_fever_home_care": "acetaminophen now",
    "reply_fever_wait": "no acetaminophen until {next_dose_time}",
    "reply_med_too_soon": "no acetaminophen until {next_dose_time}",
    "reply_measure_again": "measure again",
}


@dataclass(frozen=True)
class PageFacts:
    """What the page says beyond level, initials and time. Temperatures in C (shown in F and C),
    pressures in mm Hg, SpO2 in %, heart rate in beats a minute; None where not known."""

    reasons: tuple[str, ...]
    temperature_c: float | None = None
    systolic: int | None = None
    systolic_said: str | None = None  # "in the 80s", "under 90": the systolic as said (`systolic` is the value read)
    diastolic: int | None = None
    baseline_systolic: int | None = None
    spo2: int | None = None
    spo2_said: str | None = None  # "in the high 80s", "under 90": the saturation as said (`spo2` is the value read)
    spo2_floor: int | None = None
    heart_rate: int | None = None
    words: str | None = None  # the patient's own text, for FREE_TEXT_REASONS
    told: tuple[str, ...] = ()  # template keys of the replies the patient got, most important first
    next_dose_time: str | None = None  # "3:45 PM": when the patient may take acetaminophen again
    callback: str | None = None  # the patient's number as the nurse dials it, when the clinic allows
    reported_by: str | None = None  # "caregiver (daughter)" when a caregiver's text raised it (no name: min PHI)
    reporter_phone: str | None = None  # that caregiver's number, when the clinic allows numbers in pages
    # "10:05 AM" ("Mon 10:05 AM" on another day): when the values no reason of the page names (the temperature
    # and heart rate shown for context) were read, when that is not the page's own time (a plea texted hours after
    # the last reading must not show that reading as if taken with it)
    values_at: str | None = None
    # the fields (temperature_c, systolic, spo2) whose value a reason shows a device measured (docs/fhir.md): a
    # wearable's one reading is paged as a device's, not as a value the patient measured and sent
    by_device: frozenset[str] = frozenset()
    # The fever behind the page's fever reason was one the text gave as earlier than its current temperature ("temp
    # 101 at 2pm, now 99"): when it was ("2:00 PM", or the words, "this morning"; "" when the text gave no time),
    # and the temperature now (`temperature_c` is the earlier fever's). Without them the page read "high-risk fever
    # 99.0F" (the temperature now beside a fever reason), or showed the 101 as taken at 4 PM.
    fever_earlier_when: str | None = None
    temperature_now_c: float | None = None


def fahrenheit(celsius: float) -> float:
    """Degrees Celsius as Fahrenheit, to one decimal (a page shows both units)."""
    return round(celsius * 9 / 5 + 32, 1)


# Latin letters Unicode gives no decomposition (so NFKD cannot drop their stroke): their plain letter.
_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "Ŧ": "T", "ŧ": "t",
                                   "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th", "Œ": "Oe", "œ": "oe", "ı": "i"})


def gsm_plain(text: str) -> str:
    """`text` in GSM-7 only (accents dropped where GSM-7 lacks them, curly quotes straightened, no
    emoji), on one line: a patient's words must not turn a page into UCS-2 and triple its segments."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", "'").replace("\u201d", "'")
    text = text.replace('"', "'").translate(_NO_DECOMPOSITION)  # "Łódź" -> "Lodz", not " odz"
    kept = []
    for ch in text:
        if ch in GSM7_BASIC and ch not in "\r\n":
            kept.append(ch)
        else:
            kept.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or " ")
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def quote(words: str, most: int = QUOTE_CHARS) -> str:
    """The patient's words in double quotes, cut at a word within `most` characters: '"I feel awful..."'."""
    plain = gsm_plain(words)
    if len(plain) > most:
        cut = plain[:most].rsplit(" ", 1)[0] if " " in plain[:most] else plain[:most]
        plain = cut.rstrip(" ,.;:") + "..."
    return f'"{plain}"'


def reason_phrases(facts: PageFacts, quote_chars: int = QUOTE_CHARS) -> str:
    """Each reason with its value and unit, in the alert's order: 'low oxygen 87% (floor 90%), fever
    102.9F/39.4C, HR 118'. A temperature or heart rate in the reading is shown even when not a reason."""
    parts = []
    temperature_shown = False
    for code in facts.reasons:
        if code in FREE_TEXT_REASONS:
            if facts.words and _quoted_already(facts, code):
                continue  # asks for a call and a concerning text: the one text the page carries, quoted once
            parts.append(f"texted {quote(facts.words, quote_chars)}" if facts.words else reason_label(code, "en"))
            continue
        label = reason_label(code, "en")
        if code in FEVER_REASONS and facts.temperature_c is not None and not temperature_shown:
            label += f" {_temperature(facts.temperature_c)}{_by_device(facts, 'temperature_c')}{_earlier(facts)}"
            temperature_shown = True
        elif code == "hypotension" and facts.systolic is not None:
            pressure = f"{facts.systolic}/{facts.diastolic}" if facts.diastolic else f"SBP {facts.systolic}"
            if facts.systolic_said and not facts.diastolic:
                pressure = f"SBP {facts.systolic_said}"  # "bp in the 80s" is read as 80: the page says the words
            baseline = f"baseline {facts.baseline_systolic}" if facts.baseline_systolic else "no baseline"
            label += f" {pressure}{_by_device(facts, 'systolic')} ({baseline})"
        elif code == "hypoxia" and facts.spo2 is not None:
            label += _saturation(facts, "%") + _by_device(facts, "spo2") + (
                f" (floor {facts.spo2_floor}%)" if facts.spo2_floor else "")
        parts.append(label)
    context = []
    if facts.temperature_c is not None and not temperature_shown:
        context.append(f"temp {_temperature(facts.temperature_c)}")
    if facts.heart_rate is not None:
        context.append(f"HR {facts.heart_rate}")
    if context and facts.values_at:
        return f"{', '.join(parts)} (last reading {facts.values_at}: {', '.join(context)})"
    return ", ".join(parts + context)


def _by_device(facts: PageFacts, field: str, words: str = " by device") -> str:
    """' by device' after a value a device measured (PageFacts.by_device), else ''."""
    return words if field in facts.by_device else ""


def _earlier(facts: PageFacts) -> str:
    """' earlier (2:00 PM), now 99.0F/37.2C' after a fever the text gave as earlier (PageFacts.fever_earlier_when),
    else ''."""
    if facts.fever_earlier_when is None:
        return ""
    # "said earlier (earlier)" said nothing twice: words that only repeat "earlier" are left out
    shown = facts.fever_earlier_when if facts.fever_earlier_when.strip().lower() not in ONLY_EARLIER else ""
    when = f" ({gsm_plain(shown)})" if shown else ""
    now = f", now {_temperature(facts.temperature_now_c)}" if facts.temperature_now_c is not None else ""
    return f" said earlier{when}{now}"


def _quoted_already(facts: PageFacts, code: str) -> bool:
    """Whether an earlier reason of `facts` already quoted its `words` (the page carries one text's words, so a
    second free-text reason would repeat the same quote)."""
    return any(earlier in FREE_TEXT_REASONS for earlier in facts.reasons[:facts.reasons.index(code)])


def _saturation(facts: PageFacts, unit: str) -> str:
    """' 87%', or the words of a saturation said in words (' in the high 80s', ' under 90'): the value stored is
    the decade's lowest or the bound's highest, which the page must not show as a number the patient never sent."""
    return f" {facts.spo2_said}" if facts.spo2_said else f" {facts.spo2}{unit}"


def _temperature(celsius: float) -> str:
    return f"{fahrenheit(celsius):.1f}F/{celsius:.1f}C"


def told_text(facts: PageFacts) -> str:
    """' Told: go to ED now; acetaminophen now.' or '' when the patient was told nothing yet."""
    said = []
    for key in facts.told:
        phrase = TOLD.get(key)
        if phrase is None or ("{next_dose_time}" in phrase and not facts.next_dose_time):
            continue
        phrase = phrase.format(next_dose_time=facts.next_dose_time)
        if phrase not in said:
            said.append(phrase)
    return f" Told: {'; '.join(said)}." if said else ""


def render_page(key: str, *, level: str, initials: str, time: str, alert_id: int, link: str,
                facts: PageFacts) -> str:
    """The page for template `key` (nurse_alert, nurse_alert_update, nurse_repage) within its segment
    budget: when it would not fit, the quote shortens, then the heart rate, what the patient was told and
    the callback number go, in that order; level, initials, reasons, ACK and the link always stay. `initials`
    GSM-7 already (monitoring.alerts.nurse_initials, the one place every nurse text's initials are made)."""
    text = ""
    for shown, quote_chars in _shortened(facts):
        text = render(key, "en", level=level, initials=initials, time=time, alert_id=alert_id, link=link,
                      reasons=reason_phrases(shown, quote_chars), told=told_text(shown),
                      callback=callback_text(shown))
        if segments(text) <= SEGMENT_BUDGET.get(key, 2):
            return text
    return text


def _shortened(facts: PageFacts) -> Iterator[tuple[PageFacts, int]]:
    """What render_page tries, fullest first: the facts shown and the quote's length. Each shorter one is built
    only when the one before did not fit (nearly every page fits at the first; each is a copy of the facts)."""
    yield facts, QUOTE_CHARS
    yield facts, 30
    yield replace(facts, heart_rate=None), 30
    yield replace(facts, heart_rate=None, told=()), 30
    yield replace(facts, heart_rate=None, told=(), callback=None, reporter_phone=None), 20


def callback_text(facts: PageFacts) -> str:
    """" Reported by caregiver (daughter) (555) 555-0161. Pt phone (555) 555-0160." (issue 13: the nurse
    calls whoever noticed, not only a patient who may be confused); each part only where known/allowed."""
    text = ""
    if facts.reported_by:  # the relationship is free text ("mamá"): kept GSM-7 like the patient's words
        # what GSM-7 cannot carry is dropped: no "caregiver ( )" for "дочь", no "(mama )" for "mamá 👧"
        reporter = re.sub(r"\s*\(\s*\)", "", re.sub(r"\(\s*(.*?)\s*\)", r"(\1)", gsm_plain(facts.reported_by)))
        text += f" Reported by {reporter}" + (f" {facts.reporter_phone}" if facts.reporter_phone else "") + "."
    if facts.callback:
        text += f" Pt phone {facts.callback}."
    return text


def spoken_reasons(facts: PageFacts) -> str:
    """The reasons with their values as a voice reads them: 'low oxygen, 87 percent, floor 90; fever,
    102.9 Fahrenheit, 39.4 Celsius; heart rate 118'. No quote marks, units in words."""
    parts = []
    temperature_said = False
    for code in facts.reasons:
        if code in FREE_TEXT_REASONS:
            if facts.words and _quoted_already(facts, code):
                continue
            parts.append(f"texted: {quote(facts.words, QUOTE_CHARS)[1:-1]}" if facts.words else reason_label(code, "en"))
            continue
        said = reason_label(code, "en")
        device = ", measured by a device"
        if code in FEVER_REASONS and facts.temperature_c is not None and not temperature_said:
            said += f", {fahrenheit(facts.temperature_c):.1f} Fahrenheit, {facts.temperature_c:.1f} Celsius"
            said += _by_device(facts, "temperature_c", device)
            temperature_said = True
        elif code == "hypotension" and facts.systolic is not None:
            said += f", {facts.systolic_said if facts.systolic_said and not facts.diastolic else facts.systolic}" + (
                f" over {facts.diastolic}" if facts.diastolic else "") + _by_device(facts, "systolic", device)
            said += f", baseline {facts.baseline_systolic}" if facts.baseline_systolic else ", no baseline"
        elif code == "hypoxia" and facts.spo2 is not None:
            said += "," + _saturation(facts, " percent") + _by_device(facts, "spo2", device) + (
                f", floor {facts.spo2_floor}" if facts.spo2_floor else "")
        parts.append(said)
    context = []
    if facts.temperature_c is not None and not temperature_said:
        context.append(f"temperature {fahrenheit(facts.temperature_c):.1f} Fahrenheit")
    if facts.heart_rate is not None:
        context.append(f"heart rate {facts.heart_rate}")
    if context and facts.values_at:
        context = [f"last reading at {facts.values_at}: {', '.join(context)}"]
    return "; ".join(parts + context)


def spoken_page(*, level: str, initials: str, alert_id: int, facts: PageFacts) -> str:
    """What a call to the nurse says before it asks for a key: level, initials, reasons with values and
    what the patient was told. Minimum PHI as in a text page: no name, no number."""
    told = told_text(facts).strip().replace(" ED ", " the emergency department ")  # a voice reads "ED" as "Ed"
    return (f"This is crswatch with an {level.lower()} alert, number {alert_id}, for patient {initials}"
            f": {spoken_reasons(facts)}.{' Patient ' + told[0].lower() + told[1:] if told else ''}")
