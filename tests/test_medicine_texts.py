"""What a patient is told, and what is stored, when a text reports or asks about a medicine: through the signed
webhook, as a patient types it (break-it pass on how texts are read). SOP 5, Grade 1 Home: "Acetaminophen
650-1000 mg by mouth, can repeat, if recurrent fever, >= 6-8 h later"; DESIGN: at most 4 g in 24 h."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PATIENT_PHONE, START, texts_to

from monitoring.store import connect


def doses(config) -> list[tuple[str, float | None]]:
    return [tuple(row) for row in connect(config["database"]["path"]).execute(
        "SELECT name, dose_mg FROM medications ORDER BY id")]


@pytest.mark.parametrize("body", [
    "can I take tylenol?",
    "will take tylenol at 10",
    "gonna take tylenol",
    "¿puedo tomar paracetamol?",
])
def test_asking_for_an_allowed_dose_is_told_it_may_take_one(phone, client, admin_token, patient, config, clock, body):
    """No dose in the last 6 h: the answer was "We noted your dose, thank you. Do not take more acetaminophen
    (Tylenol) yet. You can take more at <now>": no dose was taken, and the patient asking for the SOP's dose was
    told to wait. The dose is the SOP's for a fever (SOP 5 Grade 1 Home: "Acetaminophen 650-1000 mg by mouth"),
    so the answer says so: a question without a fever is not told to take one (review)."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    [reply] = texts_to(client, admin_token, PATIENT_PHONE)[-1:]
    assert reply["body"].startswith("If your temperature is 100.4 F (38.0 C) or more, you may take acetaminophen "
                                    "(Tylenol) now: 650-1000 mg")
    assert doses(config) == []  # asked, not taken


def test_asking_too_soon_after_a_dose_is_told_to_wait(phone, client, admin_token, patient, config, clock):
    clock.move_to(START + timedelta(minutes=5))
    phone.text("took 1000 mg tylenol")
    clock.move_to(START + timedelta(hours=3))
    phone.text("can I take tylenol?")
    [reply] = texts_to(client, admin_token, PATIENT_PHONE)[-1:]
    assert reply["body"].startswith("Please wait: it is too soon for more acetaminophen (Tylenol). "
                                    "If you have a fever at 4:05 PM or later, you may take the next dose.")
    assert doses(config) == [("acetaminophen", 1000.0)]


@pytest.mark.parametrize("language, body, said", [
    ("en", "took 1000mg tylenol", ("We noted your dose, thank you. Do not take more acetaminophen (Tylenol) yet. "
                                  "If you have a fever at 4:05 PM or later, you may take more.")),
    ("es", "tome 1000 mg de tylenol", ("Anotamos su dosis, gracias. No tome otra dosis de acetaminofén (Tylenol) por "
                                      "ahora. Si tiene fiebre a las 4:05 PM o después, puede tomar otra.")),
])
def test_a_recorded_dose_allows_the_next_only_for_a_fever(phone, client, admin_token, config, clock, language, body,
                                                          said):
    """SOP 5 Grade 1 Home: "Acetaminophen 650-1000 mg by mouth, can repeat, if recurrent fever, >= 6-8 h later".
    The answer to a dose was "You can take more at 4:05 PM": read at 3 a.m., a time to take the next one, fever or
    not (a patient sets an alarm for it)."""
    from conftest import enroll

    enroll(client, admin_token, language=language)
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    [reply] = texts_to(client, admin_token, PATIENT_PHONE)[-1:]
    assert reply["body"].startswith(said)
    assert doses(config) == [("acetaminophen", 1000.0)]


def test_extra_strength_tablets_count_to_the_daily_maximum(phone, client, admin_token, patient, config, clock):
    """"took 3 extra strength tylenol" is 1500 mg: read as a dose of unknown strength (1000 mg), three of them 6 h
    apart (4500 mg in 18 h) were 'noted' under the 4 g daily maximum (DESIGN; SOP 5 Grade 1 Home: 650-1000 mg)."""
    for hours in (0, 6, 12):
        clock.move_to(START + timedelta(hours=hours, minutes=5))
        phone.text("took 3 extra strength tylenol")
    [reply] = texts_to(client, admin_token, PATIENT_PHONE)[-1:]
    assert reply["body"].startswith("You have taken the most acetaminophen (Tylenol) allowed in 24 hours.")
    assert doses(config) == [("acetaminophen", 1500.0)] * 3


def test_regular_strength_tablets_are_a_dose_not_a_temperature(phone, client, admin_token, patient, config, clock):
    """"2 regular strength" was read as an implausible temperature (the 2): the patient was told to measure again
    and the 650 mg dose was never counted."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text("2 regular strength")
    [reply] = texts_to(client, admin_token, PATIENT_PHONE)[-1:]
    assert reply["body"].startswith("We noted your dose, thank you.")
    assert doses(config) == [("acetaminophen", 650.0)]


@pytest.mark.parametrize("body, medicine", [
    ("took aleve", "naproxen"),
    ("took 2 aspirin", "aspirin"),
    ("le di naproxeno", "naproxen"),
])
def test_another_fever_medicine_is_recorded_and_the_plan_named(phone, client, admin_token, patient, config, clock,
                                                                body, medicine):
    """"took aleve" was answered "Sorry, I could not read that" and recorded nothing: a fever-masking medicine the
    nurse never saw, and a patient never told the plan is acetaminophen (SOP 5 Grade 1 Home)."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    [reply] = texts_to(client, admin_token, PATIENT_PHONE)[-1:]
    assert reply["body"].startswith("Noted. Your plan uses acetaminophen (Tylenol) for fever.")
    assert doses(config) == [(medicine, None)]


@pytest.mark.parametrize("body", ["took tylenol at 4am and again at 10", "took 1000 mg at 4am and 1000 mg at 10",
                                  "took tylenol at 4 and took it again at 10"])  # review: the last counted 3 doses
def test_two_doses_in_one_text_time_the_next_from_the_later(phone, client, admin_token, patient, config, clock, body):
    """The second dose of a text was dropped: timed from 4 AM, a patient who took acetaminophen at 10 AM was told at
    10:05 "You can take more at 10:05 AM" (SOP 5 Grade 1 Home: repeat >= 6-8 h later)."""
    clock.move_to(START + timedelta(minutes=5))
    before = texts_to(client, admin_token, PATIENT_PHONE)[-1]["id"]
    phone.text(body)
    [reply] = texts_to(client, admin_token, PATIENT_PHONE, before)  # one answer, not "at 10:05 AM" then "at 4:00 PM"
    assert "If you have a fever at 4:00 PM or later, you may take more." in reply["body"]
    assert [name for name, _ in doses(config)] == ["acetaminophen", "acetaminophen"]


@pytest.mark.parametrize("body", ["he refused the tylenol", "puedo darle paracetamol", "le puedo dar tylenol",
                                  "do I take tylenol now", "she won't take tylenol"])
def test_a_dose_asked_about_or_refused_does_not_hold_back_the_next(phone, client, admin_token, patient, config, clock,
                                                                    body):
    """Each was recorded as a dose taken: the next fever was told "Do not take more acetaminophen (Tylenol) until"
    six hours on, a fever left untreated for a dose no one took (SOP 5 Grade 1 Home: acetaminophen 650-1000 mg)."""
    clock.move_to(START + timedelta(minutes=5))
    phone.text(body)
    assert doses(config) == []
    clock.move_to(START + timedelta(minutes=20))
    phone.text("101.5")
    assert texts_to(client, admin_token, PATIENT_PHONE)[-2]["body"].startswith(
        "You have a fever. Take 650-1000 mg of acetaminophen (Tylenol) now")
