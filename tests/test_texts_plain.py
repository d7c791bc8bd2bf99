"""Both languages say the same, plainly (issue 13).

English patient texts at or below a 6th-grade reading level (Flesch-Kincaid grade) and Spanish ones
"fairly easy" or easier (Fernández Huerta >= 70), measured with textstat; the numbers a text gives are
the same in both languages; times read right in Spanish; the ED text names the drug; the dose advice
says tablets beside mg; and docs/spanish-texts.md holds every Spanish text beside its English twin.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat

from messages.texts import LANGUAGES, PATIENT_KEYS, clock_text, interpreter_table, render

FK_GRADE_MAX = 6.0  # English: 6th grade or below
FERNANDEZ_HUERTA_MIN = 70.0  # Spanish: "fairly easy" (70-80) or easier


def values(language: str) -> dict:
    """What monitoring fills in: a real clinic name, the phone as patients see it, times as texts say them."""
    return {"clinic_name": "Valley Cancer Center", "clinic_phone": "(555) 555-0100", "therapy": "teclistamab",
            "next_checkin": clock_text("3:45 PM", False, language, 15),
            "next_dose_time": clock_text("1:30 AM", True, language, 1)}


def readability(text: str, language: str) -> float:
    textstat.set_lang(language)
    try:
        return textstat.flesch_kincaid_grade(text) if language == "en" else textstat.fernandez_huerta(text)
    finally:
        textstat.set_lang("en")


@pytest.mark.parametrize("key", PATIENT_KEYS)
def test_english_at_or_below_6th_grade(key):
    text = render(key, "en", **values("en"))
    assert readability(text, "en") <= FK_GRADE_MAX, text


@pytest.mark.parametrize("key", PATIENT_KEYS)
def test_spanish_fairly_easy_or_easier(key):
    text = render(key, "es", **values("es"))
    assert readability(text, "es") >= FERNANDEZ_HUERTA_MIN, text


@pytest.mark.parametrize("key", PATIENT_KEYS)
def test_both_languages_give_the_same_numbers(key):
    """A number in one language's text (a dose, a threshold, 911, an example reading) is in the other's."""
    found = {language: set(re.findall(r"\d+(?:[.,]\d+)?", render(key, language, **values(language))))
             for language in LANGUAGES}
    assert found["en"] == found["es"]


def test_spanish_prompt_asks_for_pressure_and_oxygen_as_the_english_does():
    english, spanish = render("prompt", "en", **values("en")), render("prompt", "es", **values("es"))
    assert "blood pressure" in english and "oxygen" in english
    assert "presión" in spanish and "oxígeno" in spanish


@pytest.mark.parametrize("local, hour, tomorrow, english, spanish", [
    ("3:45 PM", 15, False, "3:45 PM", "a las 3:45 PM"),
    ("1:30 PM", 13, False, "1:30 PM", "a la 1:30 PM"),
    ("1:05 AM", 1, False, "1:05 AM", "a la 1:05 AM"),
    ("12:30 AM", 0, True, "12:30 AM tomorrow", "mañana a las 12:30 AM"),
    ("1:30 AM", 1, True, "1:30 AM tomorrow", "mañana a la 1:30 AM"),
    ("3:45 AM", None, True, "3:45 AM tomorrow", "mañana a las 3:45 AM"),
    ("1:15 PM", None, False, "1:15 PM", "a la 1:15 PM"),
])
def test_times_read_right(local, hour, tomorrow, english, spanish):
    """Spanish: "a la 1:30", not "las 1:30"; "mañana a la 1:30 AM", not "1:30 AM de mañana" (in the morning)."""
    assert clock_text(local, tomorrow, "en", hour) == english
    assert clock_text(local, tomorrow, "es", hour) == spanish


def test_no_spanish_text_says_de_manana_or_las_1():
    for key in PATIENT_KEYS:
        text = render(key, "es", **values("es"))
        assert "de mañana" not in text and "las 1:" not in text, text


def test_dose_advice_says_tablets_beside_mg():
    assert "2 tablets of 500 mg (1000 mg) or 2 of 325 mg (650 mg)" in render("reply_fever_home_care", "en")
    assert "2 pastillas de 500 mg (1000 mg) o 2 de 325 mg (650 mg)" in render("reply_fever_home_care", "es")
    for language in LANGUAGES:  # SOP 5 Grade 1 Home: "Acetaminophen 650-1000 mg by mouth"
        assert "650-1000 mg" in render("reply_fever_home_care", language)


def test_daily_max_says_taken_not_possessed():
    spanish = render("reply_med_daily_max", "es", **values("es"))
    assert spanish.startswith("Ya ha tomado todo el acetaminofén") and "Ya tiene" not in spanish


@pytest.mark.parametrize("language", LANGUAGES)
def test_emergency_text_names_the_drug_not_a_class(language):
    text = render("reply_urgent_after_hours", language, **{**values(language), "therapy": "epcoritamab"})
    assert "epcoritamab" in text
    assert "T-cell" not in text and "células T" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_fever_safety_net_names_the_sops_signs_and_the_phone(language):
    """SOP 5 Grade 1 Home: recontact urgently or present to ED for low BP, new orthostatic symptoms,
    weakness, confusion, dizziness, new hypoxia (< 90%)."""
    text = render("reply_fever_safety_net", language, **values(language)).lower()
    words = {"en": ("weak", "confused", "dizzy", "faint when you stand", "blood pressure", "oxygen", "90",
                    "emergency"),
             "es": ("débil", "confundido", "mareado", "desmaya al pararse", "presión", "oxígeno", "90",
                    "emergencias")}[language]
    for word in words:
        assert word in text, word
    assert "(555) 555-0100" in text


def test_the_interpreter_reads_every_spanish_text_a_caregiver_gets_too():
    """docs/spanish-texts.md held only the patients' texts: the caregivers' Spanish (the welcome, the SOP's signs,
    the daily neuro check, the reminder) was never before the clinic's interpreter."""
    from messages.texts import CAREGIVER_KEYS, template

    page = (Path(__file__).parent.parent / "docs" / "spanish-texts.md").read_text(encoding="utf-8")
    for key in CAREGIVER_KEYS:
        assert f"| `{key}` | " in page and template(key, "es").replace("|", "\\|") in page, key


def test_interpreter_table_is_current():
    page = Path(__file__).parent.parent / "docs" / "spanish-texts.md"
    assert page.read_text(encoding="utf-8") == interpreter_table(), (
        "regenerate: python -c \"from messages.texts import interpreter_table; "
        "open('docs/spanish-texts.md', 'w').write(interpreter_table())\"")
