"""Break-it pass (outside the merged work, found while reading messages.concern): a patient who texts that they
are dying must reach a person. "I think I am dying" read as nothing at all: no reading, no symptom, no concern, so
the patient was told the text could not be read and no nurse was paged. Through the signed webhook."""
from __future__ import annotations

import pytest
from conftest import NURSES, PATIENT_PHONE, texts_to


@pytest.mark.parametrize("body", ["I think I am dying", "im dying", "I feel like I'm dying", "I am going to die",
                                  "creo que me estoy muriendo", "me voy a morir"])
def test_a_patient_who_says_they_are_dying_reaches_a_nurse(client, admin_token, patient, phone, body):
    assert phone.text(body).status_code == 200
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages, [text["body"] for text in texts_to(client, admin_token, PATIENT_PHONE)][-1:]


@pytest.mark.parametrize("body", ["he is not breathing", "she stopped breathing", "not breathing well"])
def test_not_breathing_is_shortness_of_breath_and_urgent(client, admin_token, patient, phone, body):
    """'can't breathe' was read as shortness of breath (urgent: SOP 5 red flag), 'not breathing' as nothing."""
    assert phone.text(body).status_code == 200
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages and pages[-1].startswith("crswatch URGENT") and "short of breath" in pages[-1], pages


@pytest.mark.parametrize("body", ["I am not breathing hard", "not breathing fast now"])
def test_not_breathing_hard_is_no_red_flag(client, admin_token, patient, phone, body):
    assert phone.text(body).status_code == 200
    assert not [text for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]


@pytest.mark.parametrize("body", ["call 911", "we are calling an ambulance", "this is an emergency",
                                  "should I go to the ER?", "I need to go to the hospital"])
def test_a_text_that_says_emergency_reaches_a_nurse(client, admin_token, patient, phone, body):
    assert phone.text(body).status_code == 200
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages, [text["body"] for text in texts_to(client, admin_token, PATIENT_PHONE)][-1:]


@pytest.mark.parametrize("body", ["her face is drooping", "I can't feel my legs", "my heart is racing",
                                  "heart pounding", "peeing blood", "blood in my urine", "my vision is blurry",
                                  "seeing double"])
def test_worrying_words_no_sop_red_flag_names_reach_a_nurse(client, admin_token, patient, phone, body):
    """Words a person must read though no SOP red flag names them (messages/reading [concern] concerning): a
    drooping face, numb legs, a racing heart, blood in the urine, blurred or double vision."""
    assert phone.text(body).status_code == 200
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages, [text["body"] for text in texts_to(client, admin_token, PATIENT_PHONE)][-1:]


@pytest.mark.parametrize("body", ["he is unconscious", "she's unconscious", "está inconsciente", "no reacciona"])
def test_unconscious_is_somnolence_and_urgent(client, admin_token, patient, phone, body):
    """'unresponsive' and 'won't wake up' were read as somnolence (an urgent neurotoxicity sign); 'unconscious' and
    'no reacciona' as nothing at all."""
    assert phone.text(body).status_code == 200
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages and pages[-1].startswith("crswatch URGENT"), (pages, texts_to(client, admin_token, PATIENT_PHONE)[-1:])


@pytest.mark.parametrize("body", ["coughing up blood", "black stool", "la cara caída", "no siento las piernas",
                                  "el corazón me late muy rápido", "veo borroso"])
def test_more_worrying_words_reach_a_nurse(client, admin_token, patient, phone, body):
    assert phone.text(body).status_code == 200
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages, [text["body"] for text in texts_to(client, admin_token, PATIENT_PHONE)][-1:]
