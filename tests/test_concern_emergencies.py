"""Emergencies said in words reach a person (found by a breaker helper): "I think I am dying", "he is not breathing",
"he is unconscious", "call 911" read as nothing at all (no reading, no symptom, no concern), so the patient was told
the text could not be read and no nurse was paged. Through the signed webhook."""
from __future__ import annotations

import pytest
from conftest import NURSES, PATIENT_PHONE, texts_to


def _pages(client, admin_token) -> list[str]:
    return [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]


@pytest.mark.parametrize("body", [
    # dying: asks for a person (messages/reading vocabulary [concern] asks_for_call)
    "I think I am dying", "im dying", "I feel like I'm dying", "I am going to die", "creo que me estoy muriendo",
    "me voy a morir",
    # it is an emergency
    "call 911", "we are calling an ambulance", "this is an emergency", "should I go to the ER?",
    "I need to go to the hospital",
    # words a person must read though no SOP red flag names them ([concern] concerning)
    "her face is drooping", "I can't feel my legs", "my heart is racing", "heart pounding", "peeing blood",
    "blood in my urine", "my vision is blurry", "seeing double", "coughing up blood", "black stool", "la cara caída",
    "no siento las piernas", "el corazón me late muy rápido", "veo borroso"])
def test_words_a_person_must_read_reach_a_nurse(client, admin_token, patient, phone, body):
    """Each was answered 'Sorry, I could not read that' and paged no one."""
    assert phone.text(body).status_code == 200
    assert _pages(client, admin_token), [text["body"] for text in texts_to(client, admin_token, PATIENT_PHONE)][-1:]


@pytest.mark.parametrize("body", ["he is not breathing", "she stopped breathing", "not breathing well"])
def test_not_breathing_is_shortness_of_breath_and_urgent(client, admin_token, patient, phone, body):
    """'can't breathe' was read as shortness of breath (urgent: SOP 5 red flag), 'not breathing' as nothing."""
    assert phone.text(body).status_code == 200
    pages = _pages(client, admin_token)
    assert pages and pages[-1].startswith("crswatch URGENT") and "short of breath" in pages[-1], pages


@pytest.mark.parametrize("body", ["he is unconscious", "she's unconscious", "está inconsciente", "no reacciona"])
def test_unconscious_is_somnolence_and_urgent(client, admin_token, patient, phone, body):
    """'unresponsive' and 'won't wake up' were read as somnolence (an urgent neurotoxicity sign); 'unconscious' and
    'no reacciona' as nothing at all."""
    assert phone.text(body).status_code == 200
    pages = _pages(client, admin_token)
    assert pages and pages[-1].startswith("crswatch URGENT"), (pages, texts_to(client, admin_token, PATIENT_PHONE)[-1:])


@pytest.mark.parametrize("body", ["I am not breathing hard", "not breathing fast now", "this is not an emergency",
                                  "I'm dying to see my grandkids", "me muero de hambre"])
def test_words_that_only_look_like_an_emergency_page_no_one(client, admin_token, patient, phone, body):
    assert phone.text(body).status_code == 200
    assert not _pages(client, admin_token)
