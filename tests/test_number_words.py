"""Numbers in words (issue 14, fault 3): English and Spanish number words are read where they are a
reading, and left as words where they count or say something else (messages.reading.number_words).
Corpus rows: `words-*` in tests/corpus/replies.jsonl."""
from __future__ import annotations

import pytest
from conftest import PATIENT_PHONE, enroll, texts_to

from messages.parse import parse
from messages.reading.normalise import plain_words as _plain_words
from messages.reading.number_words import number_words_to_digits, vocabularies
from messages.texts import template


@pytest.mark.parametrize("body, expected", [
    pytest.param("it's a hundred and one point five", "it's 101.5", id="hundred-and-one-point-five"),
    pytest.param("thirty eight point nine", "38.9", id="thirty-eight-point-nine"),
    pytest.param("thirty-eight point nine", "38.9", id="hyphenated"),
    pytest.param("ciento uno", "101", id="ciento-uno"),
    pytest.param("treinta y ocho y medio", "38.5", id="y-medio"),
    pytest.param("one oh one point two", "101.2", id="digit-by-digit"),
    pytest.param("noventa y nueve punto ocho", "99.8", id="punto"),
    pytest.param("a hundred", "100", id="a-hundred"),
    pytest.param("one hundred and two", "102", id="one-hundred-and-two"),
    pytest.param("a hundred and one and a half", "101.5", id="and-a-half"),
    pytest.param("treinta y ocho con cinco", "38.5", id="con-cinco"),
    pytest.param("bp one twenty over eighty", "bp 120 over 80", id="bp-pair-after-label"),
    pytest.param("presion ciento veinte sobre ochenta", "presion 120 sobre 80", id="presion-sobre"),
    pytest.param("bp 120 over eighty", "bp 120 over 80", id="second-number-after-over"),
    pytest.param("my temp is now ninety nine", "my temp is now 99", id="label-and-fillers"),
    pytest.param("pulse one twenty", "pulse 120", id="clock-like-after-a-label"),
    pytest.param("oxygen ninety", "oxygen 90", id="any-value-after-a-label"),
    pytest.param("temp a hundred and fifty", "temp 150", id="implausible-after-a-label-is-judged-later"),
])
def test_a_reading_in_words_becomes_digits(body, expected):
    assert number_words_to_digits(body) == expected


@pytest.mark.parametrize("body", [
    pytest.param("one tylenol", id="a-count"),
    pytest.param("took two pills", id="a-count-after-took"),
    pytest.param("a hundred times better", id="times"),
    pytest.param("i feel a hundred percent better", id="percent"),
    pytest.param("uno de mis hijos", id="uno-de"),
    pytest.param("i'm one of your patients", id="one-of"),
    pytest.param("took a hundred", id="after-a-dose-verb"),
    pytest.param("took tylenol at one oh five", id="a-clock-time"),
    pytest.param("forty minutes ago", id="a-duration"),
    pytest.param("hace cuarenta minutos", id="a-duration-es"),
    pytest.param("tengo treinta y ocho anos", id="an-age"),
    pytest.param("temp one", id="a-single-digit-is-never-a-reading"),
    pytest.param("ninety", id="not-a-plausible-temperature"),
    pytest.param("one twenty over eighty", id="bp-without-a-label"),
    pytest.param("sat down for twenty minutes", id="sat-is-not-a-label-here"),
])
def test_words_that_are_not_a_reading_stay_words(body):
    assert number_words_to_digits(body) == body


def test_the_speller_leaves_every_number_word_alone():
    """The parser corrects near-misses of its words before this step; none may turn a number word into another."""
    for vocabulary in vocabularies():
        for word in vocabulary.number_words | vocabulary.decimal_point:
            assert _plain_words(word) == word


def test_both_languages_are_in_the_vocabulary_file():
    english, spanish = vocabularies()
    assert english.tens["thirty"] == spanish.tens["treinta"] == 30
    assert english.hundreds["hundred"] == spanish.hundreds["ciento"] == 100


# Through the signed webhook: the reply is the one the number asks for.

@pytest.mark.parametrize("body", [
    pytest.param("it's a hundred and one point five", id="hundred-and-one-point-five"),
    pytest.param("thirty eight point nine", id="celsius-in-words"),
    pytest.param("one oh one point two", id="digit-by-digit"),
])
def test_a_fever_in_words_gets_the_fever_instructions(client, admin_token, patient, phone, body):
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    assert phone.text(body).status_code == 200
    replies = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[before:]]
    assert template("reply_fever_home_care", "en") in replies  # SOP line 64: acetaminophen 650-1000 mg
    assert not any("No fever now" in reply for reply in replies)


@pytest.mark.parametrize("body, key", [
    pytest.param("treinta y ocho y medio", "reply_fever_home_care", id="y-medio-is-a-fever"),
    pytest.param("ciento uno", "reply_fever_home_care", id="ciento-uno-is-a-fever"),
    pytest.param("noventa y nueve punto ocho", "reply_routine", id="a-sure-reading-under-the-line"),
])
def test_a_spanish_reading_in_words_gets_its_reply(client, admin_token, runner, phone, body, key):
    enroll(client, admin_token, language="es")
    assert runner.invoke(args=["tick"]).exit_code == 0
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    assert phone.text(body).status_code == 200
    replies = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[before:]]
    assert any(reply.startswith(template(key, "es").split("{")[0]) for reply in replies), replies


def test_a_hundred_times_better_is_not_a_temperature(client, admin_token, patient, phone):
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    phone.text("I feel a hundred times better")
    replies = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[before:]]
    assert replies and not any("fever" in reply.lower() for reply in replies)
    assert parse("I feel a hundred times better").temperature_c is None
