"""Which texts a patient gets, as one table (issue 14): every situation a text from a patient (or their
caregiver) can be in, and the template keys it is answered with, in order (triage.replies).

The assessments in the rows are written as triage.assess gives them (tests/test_triage_assess.py checks that
side); the webhook tests (tests/test_webhook.py, tests/test_texts.py, tests/test_corpus_webhook.py) check the
same keys end to end. A caregiver is answered the same keys, worded for them by `for_reader`; a Spanish
speaker the same keys in es.toml (the last tests here render every key of the table in both languages).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messages.texts import render
from triage.model import Assessment
from triage.replies import (
    CAREGIVER_WORDING,
    UNATTRIBUTED_WORDING,
    DoseAnswer,
    Said,
    State,
    acetaminophen_instruction,
    device_keys,
    for_reader,
    instructions,
    neuro_check_keys,
    reply_keys,
)

NOW = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
NEXT = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
TEMPLATES = Path(__file__).resolve().parent.parent / "messages" / "templates"


def a(level: str, *keys: str, reasons: tuple[str, ...] = ()) -> Assessment:
    """An assessment as triage gives it: its level, instruction keys, and reasons."""
    return Assessment(level, reasons, keys, next_acetaminophen_at=NOW)


TEMP = Said(has_reading=True, temperature_read=True)
GUESSED = Said(has_reading=True, temperature_read=True, temperature_guessed=True)
NO_TEMP = Said(has_reading=True)
SYMPTOMS = Said(has_reading=True, symptoms_said=True)
IMPLAUSIBLE = Said(has_reading=True)  # "109.9", "o2 900": the value is blanked, the text is a reading
ROUTINE = a("routine", "reply_routine")
FEVER_FIRST = a("home_care", "reply_fever_home_care", "reply_fever_safety_net", reasons=("fever",))
FEVER = a("home_care", "reply_fever_home_care", reasons=("fever",))
FEVER_WAIT = a("home_care", "reply_fever_wait", reasons=("fever",))
RECURRENT = a("clinician_review", "reply_clinician_review", "reply_fever_wait", reasons=("recurrent_fever", "fever"))
URGENT = a("urgent", "reply_urgent_in_hours", reasons=("hypoxia",))
URGENT_NIGHT = a("urgent", "reply_urgent_after_hours", reasons=("hypoxia",))
URGENT_FEVER = a("urgent", "reply_urgent_in_hours", "reply_fever_home_care", reasons=("hypoxia", "fever"))
URGENT_IMPLAUSIBLE = a("urgent", "reply_urgent_in_hours", "reply_measure_again", reasons=("hypoxia", "implausible_reading"))
MEASURE_AGAIN = a("routine", "reply_measure_again", reasons=("implausible_reading",))
MED_OK = a("routine", "reply_med_recorded")
MED_MAY = a("routine", "reply_med_may_take")
MED_SOON = a("home_care", "reply_med_too_soon", reasons=("acetaminophen_too_soon",))
MED_MAX = a("home_care", "reply_med_daily_max", reasons=("acetaminophen_too_soon",))
WAITING = State(urgent_alert_open=True)
# "temp 101 at lunch, now 99": no fever now, the earlier one the episode's first (triage.with_earlier_fevers)
EARLIER_FIRST = a("home_care", "reply_fever_earlier", "reply_fever_safety_net", reasons=("fever",))

# (what the text said, the reading's assessment, the doses, the state) -> the keys sent, in order
ROWS = [
    # a temperature (SOP 4 Grading: fever >= 100.4 F / 38.0 C)
    pytest.param(TEMP, ROUTINE, (), State(), ["reply_routine"], id="no-fever"),
    pytest.param(TEMP, FEVER_FIRST, (), State(), ["reply_fever_home_care", "reply_fever_safety_net"],
                 id="fever-first-time-acetaminophen-now-and-safety-net"),
    pytest.param(TEMP, FEVER, (), State(), ["reply_fever_home_care"], id="fever-again-acetaminophen-due"),
    pytest.param(TEMP, FEVER_WAIT, (), State(), ["reply_fever_wait"], id="fever-acetaminophen-too-early-or-at-max"),
    pytest.param(TEMP, RECURRENT, (), State(), ["reply_clinician_review", "reply_fever_wait"],
                 id="recurrent-fever-review-and-wait"),
    # a temperature we had to guess at is never "No fever now" (issue 14 fault 2)
    pytest.param(GUESSED, ROUTINE, (), State(), ["reply_reading_unsure"], id="guessed-decimal-routine"),
    pytest.param(GUESSED, FEVER_FIRST, (), State(), ["reply_fever_home_care", "reply_fever_safety_net"],
                 id="guessed-decimal-fever-is-a-fever"),
    # a value no body shows (triage.ranges): measure again
    pytest.param(IMPLAUSIBLE, MEASURE_AGAIN, (), State(), ["reply_measure_again"], id="implausible-reading"),
    pytest.param(IMPLAUSIBLE, URGENT_IMPLAUSIBLE, (), State(), ["reply_urgent_in_hours"],
                 id="implausible-beside-a-red-flag-urgent-only"),
    # red flags (SOP 5 Grade 1 Home; Grade 2: ED after hours)
    pytest.param(NO_TEMP, URGENT, (), State(), ["reply_urgent_in_hours"], id="red-flag-in-hours"),
    pytest.param(NO_TEMP, URGENT_NIGHT, (), State(), ["reply_urgent_after_hours"], id="red-flag-after-hours"),
    pytest.param(TEMP, URGENT_FEVER, (), State(), ["reply_urgent_in_hours"], id="red-flag-with-fever-urgent-only"),
    # no temperature: never "No fever now"
    pytest.param(SYMPTOMS, ROUTINE, (), State(), ["reply_symptoms_noted"], id="symptom-or-denial-without-temp"),
    pytest.param(NO_TEMP, ROUTINE, (), State(), ["reply_readings_noted"], id="bp-or-spo2-without-temp"),
    # worrying words (messages.concern): the nurse calls, and no calm reply contradicts it
    pytest.param(Said(concern="asks_for_call"), None, (), State(), ["reply_clinician_review"],
                 id="concerning-text-alone"),
    pytest.param(Said(has_reading=True, temperature_read=True, concern="concerning_text"), ROUTINE, (), State(),
                 ["reply_clinician_review"], id="concerning-text-drops-no-fever"),
    pytest.param(Said(has_reading=True, temperature_read=True, concern="concerning_text"), FEVER_FIRST, (), State(),
                 ["reply_clinician_review", "reply_fever_home_care", "reply_fever_safety_net"],
                 id="concerning-text-with-fever-keeps-the-advice"),
    pytest.param(Said(has_reading=True, concern="concerning_text"), URGENT, (), State(),
                 ["reply_urgent_in_hours"], id="concerning-text-with-red-flag-urgent-only"),
    # medicines (SOP 5 Grade 1 Home: acetaminophen >= 6-8 h apart; DESIGN: 4 g / 24 h)
    pytest.param(Said(), None, (DoseAnswer("acetaminophen", MED_OK, NEXT),), State(), ["reply_med_recorded"],
                 id="acetaminophen-taken"),
    pytest.param(Said(), None, (DoseAnswer("acetaminophen", MED_SOON, NEXT),), State(), ["reply_med_too_soon"],
                 id="acetaminophen-too-soon"),
    pytest.param(Said(), None, (DoseAnswer("acetaminophen", MED_MAY, NEXT),), State(), ["reply_med_may_take"],
                 id="acetaminophen-asked-and-allowed"),
    # two doses in one text ("took tylenol at 4am and again at 10"): one answer, the last check's time, the worst key
    pytest.param(Said(), None, (DoseAnswer("acetaminophen", MED_OK, NEXT), DoseAnswer("acetaminophen", MED_OK, NEXT)),
                 State(), ["reply_med_recorded"], id="two-doses-one-answer"),
    pytest.param(Said(), None, (DoseAnswer("acetaminophen", MED_OK, NEXT), DoseAnswer("acetaminophen", MED_SOON, NEXT)),
                 State(), ["reply_med_too_soon"], id="two-doses-second-too-soon-one-answer"),
    pytest.param(Said(), None, (DoseAnswer("acetaminophen", MED_SOON, NEXT), DoseAnswer("acetaminophen", MED_OK, NEXT)),
                 State(), ["reply_med_too_soon"], id="two-doses-first-too-soon-one-answer"),
    pytest.param(Said(), None, (DoseAnswer("acetaminophen", MED_MAX, NEXT),), State(), ["reply_med_daily_max"],
                 id="acetaminophen-over-daily-max"),
    pytest.param(TEMP, FEVER_WAIT, (DoseAnswer("acetaminophen", MED_OK),), State(), ["reply_fever_wait"],
                 id="took-tylenol-temp-101-one-answer"),
    pytest.param(TEMP, ROUTINE, (DoseAnswer("acetaminophen", MED_SOON),), State(),
                 ["reply_routine", "reply_med_too_soon"], id="reading-and-an-early-dose"),
    pytest.param(Said(), None, (DoseAnswer("ibuprofen"),), State(), ["reply_other_medicine"], id="another-medicine"),
    # nothing clinical
    pytest.param(TEMP, EARLIER_FIRST, (), State(), ["reply_fever_earlier", "reply_fever_safety_net"],
                 id="earlier-fever-noted-no-fever-now-and-safety-net"),
    # "no fever now, noted" is a calm reply: beside "the nurse will call you" it goes
    pytest.param(replace(TEMP, concern="asks_for_call"), EARLIER_FIRST, (), State(),
                 ["reply_clinician_review", "reply_fever_safety_net"], id="earlier-fever-with-a-plea-the-nurse-calls"),
    pytest.param(TEMP, EARLIER_FIRST, (), WAITING, ["reply_fever_earlier", "reply_still_urgent"],
                 id="earlier-fever-still-urgent"),
    pytest.param(Said(acknowledgement=True), None, (), State(), ["reply_thanks"], id="ack-thanks"),
    pytest.param(Said(no_fever_claim=True), None, (), State(), ["reply_no_fever_noted"], id="no-fever-said-no-number"),
    pytest.param(Said(), None, (), State(), ["reply_unreadable"], id="small-talk-unreadable"),
    # a picture alone (an MMS: a photo of the thermometer): only typed words are read, say so
    pytest.param(Said(picture=True), None, (), State(), ["reply_picture"], id="a-picture-alone"),
    pytest.param(Said(picture=True, acknowledgement=True), None, (), State(), ["reply_thanks"],
                 id="a-picture-with-thanks"),
    pytest.param(replace(TEMP, picture=True), ROUTINE, (), State(), ["reply_routine"],
                 id="a-picture-with-a-temperature-answers-the-temperature"),
    # an urgent alert nobody has acknowledged: a calm reply must not read as an all-clear
    pytest.param(TEMP, ROUTINE, (), WAITING, ["reply_routine", "reply_still_urgent"], id="calm-reply-still-urgent"),
    pytest.param(TEMP, FEVER_FIRST, (), WAITING, ["reply_fever_home_care", "reply_still_urgent"],
                 id="first-fever-no-safety-net-while-urgent-waits"),
    pytest.param(NO_TEMP, URGENT, (), WAITING, ["reply_urgent_in_hours"], id="urgent-again-not-still-urgent"),
    pytest.param(Said(acknowledgement=True), None, (), WAITING, ["reply_thanks"], id="thanks-while-urgent-waits"),
    # commands
    pytest.param(Said(command="stop"), None, (), State(), ["opted_out"], id="stop"),
    pytest.param(Said(command="start"), None, (), State(), ["opted_in"], id="start"),
    pytest.param(Said(command="help"), None, (), State(), ["help"], id="help"),
    # monitoring over: a red flag from a recent episode is never dropped
    pytest.param(TEMP, None, (), State(episode="none"), ["already_stopped"], id="not-monitored"),
    pytest.param(NO_TEMP, URGENT_NIGHT, (), State(episode="ended_recently"), ["reply_urgent_after_hours"],
                 id="recently-ended-red-flag"),
    pytest.param(TEMP, RECURRENT, (), State(episode="ended_recently"), ["reply_clinician_review"],
                 id="recently-ended-review"),
    pytest.param(TEMP, FEVER, (), State(episode="ended_recently"), ["already_stopped"], id="recently-ended-fever"),
    pytest.param(Said(acknowledgement=True), None, (), State(episode="ended_recently"), ["already_stopped"],
                 id="recently-ended-small-talk"),
]


@pytest.mark.parametrize("said, reading, doses, state, keys", ROWS)
def test_reply_keys(said, reading, doses, state, keys):
    assert [reply.key for reply in reply_keys(said, reading, NEXT, doses, state)] == keys


def test_each_reply_names_the_times_of_its_own_assessment():
    dose = DoseAnswer("acetaminophen", MED_SOON, None)
    chosen = reply_keys(TEMP, FEVER_FIRST, NEXT, (dose,), State())
    assert [(r.key, r.assessment, r.next_checkin) for r in chosen] == [
        ("reply_fever_home_care", FEVER_FIRST, NEXT), ("reply_fever_safety_net", FEVER_FIRST, NEXT),
        ("reply_med_too_soon", MED_SOON, None)]
    assert reply_keys(Said(), None, None, (DoseAnswer("acetaminophen", MED_OK, NEXT),))[0].next_checkin == NEXT
    assert reply_keys(Said(acknowledgement=True))[0].assessment is None


# triage's own instruction keys: urgent > clinician review > fever > measure again > routine
@pytest.mark.parametrize("level, fever_instruction, measure_again, urgent_key, keys", [
    pytest.param("routine", None, False, None, ("reply_routine",), id="routine"),
    pytest.param("routine", None, True, None, ("reply_measure_again",), id="measure-again"),
    pytest.param("home_care", "reply_fever_home_care", False, None, ("reply_fever_home_care",), id="fever-take-now"),
    pytest.param("home_care", "reply_fever_wait", True, None, ("reply_fever_wait", "reply_measure_again"),
                 id="fever-wait-and-measure-the-rest-again"),
    pytest.param("clinician_review", "reply_fever_wait", False, None, ("reply_clinician_review", "reply_fever_wait"),
                 id="review-then-fever-advice"),
    pytest.param("urgent", "reply_fever_home_care", False, "reply_urgent_in_hours",
                 ("reply_urgent_in_hours", "reply_fever_home_care"), id="urgent-in-hours-then-fever"),
    pytest.param("urgent", None, True, "reply_urgent_after_hours", ("reply_urgent_after_hours", "reply_measure_again"),
                 id="urgent-after-hours-then-measure-again"),
])
def test_instructions(level, fever_instruction, measure_again, urgent_key, keys):
    assert instructions(level, fever_instruction, measure_again, urgent_key) == keys


def test_an_urgent_instruction_needs_its_key():
    with pytest.raises(ValueError, match="urgent_key"):
        instructions("urgent", None, False)


@pytest.mark.parametrize("over_max, too_soon, asking, key", [
    pytest.param(False, False, False, "reply_med_recorded", id="dose-allowed"),
    pytest.param(False, True, False, "reply_med_too_soon", id="too-soon"),
    pytest.param(True, False, False, "reply_med_daily_max", id="over-max"),
    pytest.param(True, True, False, "reply_med_daily_max", id="over-max-named-first"),
    # "can I take tylenol?" when both limits allow: it may (SOP 5 Grade 1 Home: 650-1000 mg), not "dose noted, wait"
    pytest.param(False, False, True, "reply_med_may_take", id="asking-allowed-may-take"),
    pytest.param(False, True, True, "reply_med_too_soon", id="asking-too-soon"),
    pytest.param(True, False, True, "reply_med_daily_max", id="asking-over-max"),
])
def test_acetaminophen_instruction(over_max, too_soon, asking, key):
    assert acetaminophen_instruction(over_max, too_soon, asking=asking) == key


# the caregiver's daily neuro check (SOP 4 Workup: neurotoxicity)
@pytest.mark.parametrize("answer, more, keys", [
    pytest.param(a("routine", "neuro_check_normal"), False, ("neuro_check_normal",), id="normal-thanked"),
    pytest.param(a("routine", "neuro_check_normal"), True, (), id="normal-with-a-reading-its-reply-answers"),
    pytest.param(a("urgent", "reply_urgent_in_hours", reasons=("neuro_check_changed",)), False,
                 ("reply_urgent_in_hours",), id="changed-urgent"),
    pytest.param(a("urgent", "reply_urgent_after_hours", reasons=("neuro_check_changed",)), True,
                 ("reply_urgent_after_hours",), id="changed-with-a-reading-urgent-first"),
])
def test_neuro_check_keys(answer, more, keys):
    assert neuro_check_keys(answer, more_in_text=more) == keys


# a device reading (FHIR Observation): the SOP advice, only when it is news (docs/fhir.md)
@pytest.mark.parametrize("assessment, last_advice, news, keys", [
    pytest.param(ROUTINE, None, True, (), id="routine-never-texted"),
    pytest.param(FEVER_FIRST, None, True, ("reply_fever_home_care",), id="first-fever-advice"),
    pytest.param(FEVER, "reply_fever_home_care", False, (), id="same-advice-not-again"),
    pytest.param(FEVER, "reply_fever_home_care", True, ("reply_fever_home_care",), id="same-advice-a-dose-later"),
    pytest.param(RECURRENT, None, True, ("reply_clinician_review", "reply_fever_wait"), id="review-and-fever-advice"),
    pytest.param(RECURRENT, "reply_fever_wait", True, ("reply_clinician_review",), id="review-fever-advice-told-last"),
    pytest.param(URGENT_FEVER, "reply_fever_home_care", True, ("reply_urgent_in_hours",), id="urgent"),
])
def test_device_keys(assessment, last_advice, news, keys):
    assert device_keys(assessment, last_advice, news) == keys


# the phone that reads it: a caregiver's own wording; a flooding number's replies paused (not red flags)
@pytest.mark.parametrize("key, caregiver, paused, sent", [
    pytest.param("reply_fever_home_care", False, False, "reply_fever_home_care", id="patient"),
    # the same advice, said of the patient by name: "Pat has a fever. Give ...", not "You have a fever. Take ..."
    pytest.param("reply_fever_home_care", True, False, "caregiver_fever_home_care", id="caregiver-same-advice-give"),
    pytest.param("reply_fever_wait", True, False, "caregiver_fever_wait", id="caregiver-fever-wait"),
    pytest.param("reply_fever_safety_net", True, False, "caregiver_signs", id="caregiver-safety-net-their-signs"),
    pytest.param("reply_med_recorded", True, False, "caregiver_med_recorded", id="caregiver-their-dose"),
    pytest.param("reply_clinician_review", True, False, "caregiver_clinician_review", id="caregiver-nurse-calls"),
    pytest.param("reply_routine", True, False, "caregiver_reply_routine", id="caregiver-routine"),
    pytest.param("reply_measure_again", True, False, "reply_measure_again", id="caregiver-measure-again-same"),
    pytest.param("reply_picture", True, False, "caregiver_picture", id="caregiver-picture"),
    pytest.param("episode_end", True, False, "caregiver_episode_end", id="caregiver-episode-end"),
    pytest.param("opted_out", True, False, "caregiver_opted_out", id="caregiver-stop"),
    pytest.param("opted_in", True, False, "caregiver_opted_in", id="caregiver-start"),
    pytest.param("help", True, False, "caregiver_help", id="caregiver-help"),
    pytest.param("reply_urgent_after_hours", True, False, "caregiver_urgent_after_hours", id="caregiver-ed-at-night"),
    pytest.param("reply_urgent_after_hours", True, True, "caregiver_urgent_after_hours",
                 id="caregiver-flood-ed-at-night-always-sent"),
    pytest.param("reply_urgent_in_hours", True, False, "reply_urgent_in_hours", id="caregiver-call-the-clinic"),
    pytest.param("reply_routine", False, True, "reply_paused", id="flood-paused"),
    pytest.param("reply_routine", True, True, "reply_paused", id="caregiver-flood-paused"),  # worded by text_caregiver
    pytest.param("reply_urgent_in_hours", False, True, "reply_urgent_in_hours", id="flood-urgent-always-sent"),
    pytest.param("reply_still_urgent", False, True, "reply_still_urgent", id="flood-still-urgent-always-sent"),
    pytest.param("help", False, True, "help", id="flood-help-always-sent"),
])
def test_for_reader(key, caregiver, paused, sent):
    assert for_reader(key, caregiver=caregiver, replies_paused=paused) == sent


# A phone caring for several patients whose red flag or worry pages before it says which patient
# (monitoring.caregiver_texts._page_unattributed): the page's first instruction, to the caregiver, naming no one
# and not in the patient's words ("Your nurse ... will call you. If you feel worse").
@pytest.mark.parametrize("key", ["reply_urgent_in_hours", "reply_urgent_after_hours", "reply_clinician_review"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_caregivers_text_not_yet_attributed_is_answered_naming_no_one(key, language):
    worded = for_reader(key, caregiver=True, patient_known=False)
    text = render(worded, language, clinic_phone="(555) 555-0100", therapy="teclistamab")
    assert "{" not in text and "555-0100" in text
    assert worded == key or worded.startswith("caregiver_")
    assert not re.search(r"\b(you feel|your nurse|se siente|su enfermera)\b", text, re.IGNORECASE), text


# Not replies to a text: sent by the scheduler (prompts, reminders, the neuro check itself), by staff actions
# (pause, resume, end), to strangers and to staff.
NOT_REPLIES = {"first_prompt", "prompt", "reminder", "unknown_sender", "monitoring_paused", "monitoring_resumed",
               "monitoring_ended", "caregiver_welcome", "caregiver_signs", "caregiver_reminder",
               "caregiver_which_patient", "neuro_check", "staff_unreadable"}


def _templates(language: str) -> dict:
    with open(TEMPLATES / f"{language}.toml", "rb") as file:
        return {key: value for key, value in tomllib.load(file).items() if isinstance(value, str)}


def _table_keys() -> set[str]:
    keys = {key for row in ROWS for key in row.values[-1]}
    keys |= {"reply_fever_safety_net", "reply_paused", "episode_end", "neuro_check_normal"}
    keys |= {for_reader(key, caregiver=True) for key in CAREGIVER_WORDING}
    keys |= set(UNATTRIBUTED_WORDING.values())
    return keys


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_reply_template_is_in_the_table_and_every_key_in_both_languages(language):
    templates = _templates(language)
    patient_texts = {key for key in templates if not key.startswith("nurse_")} - NOT_REPLIES
    assert patient_texts - _table_keys() == set()  # a reply nobody lists here: add its row
    assert _table_keys() - set(templates) == set()  # a key the table sends that the language lacks


ASSESSMENTS = [ROUTINE, FEVER_FIRST, FEVER, FEVER_WAIT, RECURRENT, URGENT, URGENT_NIGHT, URGENT_FEVER,
               URGENT_IMPLAUSIBLE, MEASURE_AGAIN]
DOSES = [DoseAnswer("acetaminophen", MED_OK, NEXT), DoseAnswer("acetaminophen", MED_SOON),
         DoseAnswer("acetaminophen", MED_MAX), DoseAnswer("ibuprofen")]


@given(reading=st.sampled_from(ASSESSMENTS), doses=st.lists(st.sampled_from(DOSES), max_size=2),
       concern=st.sampled_from([None, "asks_for_call"]), urgent_open=st.booleans(), symptoms=st.booleans())
def test_a_guessed_temperature_never_gets_no_fever_now(reading, doses, concern, urgent_open, symptoms):
    """Issue 14: a reading that needed a guessed decimal (or may go on in a next text) never yields the routine
    "No fever now", whatever else the text holds and whatever state the patient is in."""
    said = Said(has_reading=True, temperature_read=True, temperature_guessed=True, symptoms_said=symptoms,
                concern=concern)
    keys = [r.key for r in reply_keys(said, reading, NEXT, tuple(doses), State(urgent_alert_open=urgent_open))]
    assert "reply_routine" not in keys and keys


@given(reading=st.sampled_from(ASSESSMENTS), doses=st.lists(st.sampled_from(DOSES), max_size=2),
       urgent_open=st.booleans())
def test_an_urgent_assessment_is_always_answered_urgently_first(reading, doses, urgent_open):
    said = Said(has_reading=True, temperature_read=True)
    keys = [r.key for r in reply_keys(said, reading, NEXT, tuple(doses), State(urgent_alert_open=urgent_open))]
    assert keys[0].startswith("reply_urgent") == (reading.level == "urgent")
