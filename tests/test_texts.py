"""Every outgoing text: present in both languages, fillable, within its SMS segment budget."""
from __future__ import annotations

import re

import pytest

from messages import texts
from messages.texts import (
    LANGUAGES,
    PATIENT_KEYS,
    SEGMENT_BUDGET,
    TEMPLATE_KEYS,
    URGENT_KEYS,
    TemplateError,
    format_phone,
    is_gsm7,
    placeholders,
    reason_label,
    render,
    segments,
    template,
)
from triage.model import LEVELS, SYMPTOMS

CLINIC_PHONE = "+15555550100"
# Realistic and long: a 30-character clinic name, the phone as patients see it, a time with a
# weekday (what monitoring sends for a time on another day), three reasons and a real-length link.
VALUES = {
    "first_name": "Guadalupe",
    "choices": "P.E. or M.G.",
    "clinic_name": "Northern Valley Cancer Centers",
    "clinic_phone": format_phone(CLINIC_PHONE),
    "next_checkin": "Wed 11:45 PM",
    "next_dose_time": "Wed 11:45 PM",
    "level": "URGENT",
    "initials": "M.G.",
    # a page's reasons carry their values (messages.page): three of them, a temperature and a heart rate
    "reasons": "low oxygen 87% (floor 90%), low blood pressure 84/52 (baseline 125), dizzy on standing, "
               "temp 102.9F/39.4C, HR 124",
    "told": " Told: go to ED now; no acetaminophen until Wed 11:45 PM.",
    "callback": " Pt phone (555) 555-0199.",
    "time": "10:05 AM",
    "link": "https://monitor.northernvalleycancer.org/dashboard/alerts/12345",
    "alert_id": 12345,
    "acknowledged_by": "Primary nurse (night)",
    "resolved_by": "Primary nurse (night)",
    "count": 12,  # ACK ALL: at most four are listed, then "+N more"
    "alerts": "12345 (M.G.), 12346 (A.B.C.), 12347 (D.E.), 12348 (F.G.), +8 more",
    "allowed": "12345, 12346, 12347, 12348, +8 more",
    "therapy": "mosunetuzumab-axgb (Lunsumio)",
}
CONTRACT_REASONS = ("fever", "recurrent_fever", "persistent_fever", "protracted_fever", "prolonged_symptoms",
                    "high_risk_fever", "hypotension", "hypoxia", "confusion", "weakness", "dizziness",
                    "orthostatic", "missed_checkins", "opted_out", "undeliverable", "acetaminophen_too_soon",
                    "implausible_reading")
CASES = [(key, language) for key in TEMPLATE_KEYS for language in LANGUAGES]


@pytest.mark.parametrize("key,language", CASES, ids=[f"{k}-{lang}" for k, lang in CASES])
def test_renders_within_segment_budget(key, language):
    text = render(key, language, **VALUES)
    assert "{" not in text and "}" not in text
    budget = texts.segment_budget(key, language)  # SEGMENT_BUDGET, or 3 for a listed UCS-2 Spanish text
    assert budget == (texts.UCS2_BUDGET if (key, language) in texts.UCS2_TEXTS else SEGMENT_BUDGET[key])
    assert segments(text) <= budget, f"{key} ({language}) takes {segments(text)} segments, budget {budget}: {text!r}"


@pytest.mark.parametrize("key,language", [(k, lang) for k in PATIENT_KEYS for lang in LANGUAGES])
def test_patient_texts_are_gsm7(key, language):
    """No degree sign, curly quotes, or a/i/o/u with accents: each would make the text UCS-2. The Spanish
    texts in texts.UCS2_TEXTS need an accent for their meaning (issue 13: "presión", "oxígeno") and
    have a three-segment budget instead; only accented letters take them out of GSM-7."""
    text = render(key, language, **VALUES)
    if (key, language) in texts.UCS2_TEXTS:
        assert all(is_gsm7(ch) or ch in "áíóúÁÍÓÚ" for ch in text), [ch for ch in text if not is_gsm7(ch)]
        return
    assert is_gsm7(text), [ch for ch in text if not is_gsm7(ch)]


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_same_placeholders_in_every_language(key):
    found = {language: placeholders(template(key, language)) for language in LANGUAGES}
    assert found["en"] == found["es"]
    for language in LANGUAGES:  # present in the file itself, not by falling back to English
        assert key in texts._catalog(language)["templates"]


def test_no_template_outside_the_key_list():
    for language in LANGUAGES:
        assert set(texts._catalog(language)["templates"]) == set(TEMPLATE_KEYS)


@pytest.mark.parametrize("key,language", [(k, lang) for k in URGENT_KEYS for lang in LANGUAGES])
def test_urgent_texts_name_the_clinic_phone(key, language):
    text = render(key, language, **VALUES)
    assert "(555) 555-0100" in text
    assert re.sub(r"\D", "", CLINIC_PHONE)[-10:] in re.sub(r"\D", "", text)


def test_contract_words():
    assert "acetaminophen" in render("reply_fever_home_care", "en", **VALUES)
    assert "650-1000 mg" in render("reply_fever_home_care", "es", **VALUES)
    assert "emergency" in render("reply_urgent_after_hours", "en", **VALUES)
    assert "emergency" not in render("reply_routine", "en", **VALUES)
    assert "911" in render("reply_urgent_after_hours", "es", **VALUES)
    for language in LANGUAGES:
        unreadable = render("reply_unreadable", language, **VALUES)
        assert "100.4" in unreadable and "38.0" in unreadable


def test_nurse_alert_carries_minimum_phi():
    text = render("nurse_alert", "en", level="URGENT", initials="J.D.", reasons="low oxygen, fever",
                  time="10:05", link="https://x.org/a/12", alert_id=12, told="", callback="")
    assert text == "crswatch URGENT: J.D. low oxygen, fever at 10:05. Reply ACK 12. https://x.org/a/12"


def test_unknown_sender_has_no_patient_placeholders():
    assert placeholders(template("unknown_sender", "en")) == {"clinic_name", "clinic_phone"}


def test_unknown_language_falls_back_to_english():
    assert render("reply_unreadable", "fr", **VALUES) == render("reply_unreadable", "en", **VALUES)
    assert render("reply_unreadable", None, **VALUES) == render("reply_unreadable", "en", **VALUES)
    assert render("reply_unreadable", "ES", **VALUES) == render("reply_unreadable", "es", **VALUES)


def test_missing_placeholder_is_a_clear_error():
    with pytest.raises(TemplateError, match="reply_routine.*next_checkin"):
        render("reply_routine", "en")


def test_unknown_key_is_a_clear_error():
    with pytest.raises(TemplateError, match="no template named 'reply_nope'"):
        render("reply_nope", "en")


def test_extra_values_are_ignored():
    assert render("opted_in", "en", clinic_name="x") == template("opted_in", "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_level_and_symptom_has_a_label(language):
    catalog = texts._catalog(language)["labels"]
    assert set(CONTRACT_REASONS) <= set(catalog["reasons"])
    assert set(LEVELS) == set(catalog["levels"])
    assert set(SYMPTOMS) == set(catalog["symptoms"])


def test_labels():
    assert reason_label("hypoxia", "en") == "low oxygen"
    assert reason_label("hypoxia", "es") == "oxígeno bajo"
    assert reason_label("urgent", "en", kind="levels") == "URGENT"
    assert reason_label("brand_new_code", "en") == "brand new code"
    assert reason_label("hypoxia", "fr") == "low oxygen"


@pytest.mark.parametrize("text,expected", [
    ("", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("é ñ ü ¿ ¡" + "a" * 151, 1),  # all GSM-7
    ("[" * 80, 1),  # extension characters: two septets each
    ("[" * 81, 2),
    ("a" * 152 + "[", 1),  # 154 septets
    ("a" * 152 + "[" + "a" * 7, 2),  # 161: the escape pair is not split: 152 | 2 + 7
    ("a" * 158 + "\u20ac", 1),  # the euro sign is an extension character: 160 septets
    ("a" * 159 + "\u20ac", 2),  # 161 septets in 160 characters
    ("á" * 70, 1),  # UCS-2
    ("á" * 71, 2),
    ("á" * 134, 2),
    ("á" * 135, 3),
    ("°" + "a" * 69, 1),  # the degree sign is not GSM-7
    ("\U0001F321" * 35, 1),  # an emoji is two UTF-16 code units
    ("\U0001F321" * 36, 2),
    ("a" * 66 + "\U0001F321" + "a" * 2, 1),  # 70 code units
    ("a" * 66 + "\U0001F321" + "a" * 3, 2),
], ids=lambda v: repr(v)[:20] if isinstance(v, str) else str(v))
def test_segments(text, expected):
    assert segments(text) == expected


@pytest.mark.parametrize("e164,region,expected", [
    ("+15555550100", None, "(555) 555-0100"),
    ("+15555550100", "US", "(555) 555-0100"),
    ("+525512345678", None, "55 1234 5678"),
    ("+525512345678", "US", "+52 55 1234 5678"),
    ("not a phone", None, "not a phone"),
])
def test_format_phone(e164, region, expected):
    assert format_phone(e164, region) == expected


def test_smart_punctuation_in_the_clinic_name_is_made_plain_where_it_enters(tmp_path):
    """Issue 11.8: "St. Mary’s" from a word processor would make every text UCS-2 (3-4 segments)."""
    from conftest import base_config

    from monitoring import config as config_module

    settings = base_config(tmp_path / "x.db")
    settings["clinic"]["name"] = "St. Mary\u2019s \u2013 Cancer Care"
    loaded = config_module.load(settings)
    assert loaded["clinic"]["name"] == "St. Mary's - Cancer Care"
    prompt = render("prompt", "en", clinic_name=loaded["clinic"]["name"], clinic_phone="(555) 555-0100")
    assert is_gsm7(prompt)


def test_a_text_over_budget_names_the_template_and_the_value(caplog):
    import logging

    caplog.set_level(logging.WARNING, logger="crswatch.texts")
    values = {**VALUES, "clinic_name": "Clínica Oncológica del Río"}  # accents outside GSM-7: UCS-2
    text = render("first_prompt", "en", **values)
    assert segments(text) > 2
    warning = " ".join(record.getMessage() for record in caplog.records)
    assert "first_prompt (en)" in warning and "Clínica Oncológica del Río" in warning and "UCS-2" in warning


def test_smart_punctuation_pasted_on_the_settings_page_is_made_plain(client, admin_token):
    from conftest import auth

    response = client.put("/api/v1/settings", json={"clinic.name": "St. Mary\u2019s"}, headers=auth(admin_token))
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/v1/settings", headers=auth(admin_token)).get_json()["effective"]["clinic"]["name"] == "St. Mary's"
