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
