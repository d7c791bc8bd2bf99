"""Readings as a patient types them on a phone at 2 a.m., through the signed webhook (break-it pass on how texts are
read): what is stored, what the nurse is paged, what the patient is told."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import NURSES, PATIENT_PHONE, START, messages, texts_to

from monitoring.store import connect


def stored(config) -> list[tuple]:
    return [tuple(row) for row in connect(config["database"]["path"]).execute(
        "SELECT temperature_c, systolic, diastolic, spo2, heart_rate FROM readings ORDER BY id")]


def pages(client, token) -> list[str]:
    return [m["body"] for m in messages(client, token) if m["direction"] == "out" and m["to"] in NURSES]


@pytest.mark.parametrize("body, reading, paged", [
    # the letter O for a zero: "8O" was an implausible SpO2 ("measure again") and no page (SOP 5 Grade 1 Home:
    # new hypoxia < 90%); "1O1.2" was read as nothing ("could not read that") and the fever went unread
    pytest.param("oxygen 8O", (None, None, None, 80, None), "low oxygen 80%", id="spo2-8O"),
    pytest.param("temp 1O1.2", (38.44, None, None, None, None), None, id="temp-1O1.2"),
    pytest.param("bp 8O/5O", (None, 80, 50, None, None), "low blood pressure 80/50", id="bp-8O-5O"),
])
def test_a_letter_o_for_a_zero_is_read_as_the_number(phone, client, admin_token, patient, config, clock,
                                                      body, reading, paged):
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    assert stored(config) == [reading]
    if paged:
        [page] = pages(client, admin_token)
        assert f"P.E. {paged}" in page
    else:
        assert pages(client, admin_token) == []
        assert texts_to(client, admin_token, PATIENT_PHONE)[-2]["body"].startswith("You have a fever.")


@pytest.mark.parametrize("body, reading, reply", [
    # dexamethasone (SOP 5) raises blood sugar and patients check it: its number was a temperature
    pytest.param("blood sugar 102", None, "Sorry, I could not read that.", id="sugar-was-a-fever"),
    pytest.param("glucose 98", None, "Sorry, I could not read that.", id="glucose-was-no-fever"),
    pytest.param("bs 101 temp 98.6", (37.0, None, None, None, None), "Thank you. No fever now.", id="sugar-and-temp"),
    pytest.param("azucar en la sangre 250, temperatura 37.5", (37.5, None, None, None, None), "Thank you. No fever now.",
                 id="azucar-en-la-sangre-no-page"),
])
def test_a_blood_sugar_is_no_temperature(phone, client, admin_token, patient, config, clock, body, reading, reply):
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    assert stored(config) == ([reading] if reading else [])
    assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"].startswith(reply)
    assert pages(client, admin_token) == []


def test_a_blood_sugar_in_mg_dl_is_no_acetaminophen_dose(phone, client, admin_token, patient, config, clock):
    """"sugar 180 mg/dl" was recorded as 180 mg of acetaminophen: the next real dose was timed from it."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text("sugar 180 mg/dl, temp 98.9")
    assert connect(config["database"]["path"]).execute("SELECT COUNT(*) FROM medications").fetchone()[0] == 0


@pytest.mark.parametrize("body", ["temp fell to 99", "she fell asleep, 98.9"])
def test_a_fever_that_fell_or_a_patient_who_fell_asleep_pages_no_one(phone, client, admin_token, patient, config,
                                                                      clock, body):
    """Both paged the nurse "worrying message, read it" (the word "fell"): a false page teaches the pager to be ignored."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    assert pages(client, admin_token) == []
    assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"].startswith("Thank you. No fever now.")


@pytest.mark.parametrize("body, reading, reply", [
    # the meter swung over a range: 96 was stored as a temperature of 96 F no one took, answered "No fever now"
    pytest.param("o2 95-96", (None, None, None, 95, None), "Thank you, we noted your readings.", id="spo2-range"),
    # oxygen flow: the 2 was an implausible temperature, answered "That reading does not look right"
    pytest.param("o2 92% on 2 liters", (None, None, None, 92, None), "Thank you, we noted your readings.",
                 id="spo2-on-2-liters"),
])
def test_a_saturation_range_or_oxygen_flow_is_no_temperature(phone, client, admin_token, patient, config, clock,
                                                              body, reading, reply):
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    assert stored(config) == [reading]
    assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"].startswith(reply)


@pytest.mark.parametrize("body", ["temp below 100.4", "menos de 38", "almost 100.4"])
def test_a_temperature_said_below_the_fever_line_is_no_fever_reading(phone, client, admin_token, patient, config,
                                                                      clock, body):
    """Read as exactly the line (SOP 4 Grading: fever >= 100.4 F / 38.0 C), each stored a fever and told the patient
    "You have a fever. Take 650-1000 mg of acetaminophen (Tylenol) now": no reading is stored, the number is asked for."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    assert stored(config) == []
    assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"].startswith(
        "Thank you. Please send the number from your thermometer")


def test_a_bound_above_the_fever_line_stays_a_fever(phone, client, admin_token, patient, config, clock):
    clock.move_to(START + timedelta(minutes=5))
    phone.text("under 103")
    assert stored(config) == [(39.44, None, None, None, None)]


@pytest.mark.parametrize("body, paged", [
    pytest.param("oxygen under 90", "low oxygen under 90 (floor 90%)", id="oxygen-under-90"),
    pytest.param("o2 less than 90", "low oxygen under 90 (floor 90%)", id="o2-less-than-90"),
    pytest.param("oxigeno menos de 90", "low oxygen under 90 (floor 90%)", id="es-oxigeno-menos-de-90"),
    pytest.param("o2 in the 80s", "low oxygen in the 80s (floor 90%)", id="o2-in-the-80s"),
])
def test_a_saturation_said_below_the_line_pages(phone, client, admin_token, patient, config, clock, body, paged):
    """SOP 5 Grade 1 Home: new hypoxia (< 90%). "oxygen under 90" was a saturation of 90 (no page), "o2 less than 90"
    an implausible temperature ("measure again"), "o2 in the 80s" nothing ("could not read that"). Stored as 89 and 80
    (vitals.py says why), the page says the patient's words, not a number they never sent (test_reading_words.py)."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    [page] = pages(client, admin_token)
    assert f"P.E. {paged}" in page


@pytest.mark.parametrize("body", ["no chest pain, no bleeding, 98.6", "sin dolor de pecho, 37.0"])
def test_a_checklist_of_denials_pages_no_one(phone, client, admin_token, patient, config, clock, body):
    """Each denial paged the nurse "worrying message, read it", every check-in of a patient who answers a checklist."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    assert pages(client, admin_token) == []
    assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"].startswith("Thank you. No fever now.")
