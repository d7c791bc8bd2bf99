"""What reaches a nurse's page keeps it GSM-7: the patient's words (gsm_plain), and also the initials
(monitoring.alerts.initials) and the caregiver's relationship (free text, up to 40 characters). A name starting
with an accented capital GSM-7 lacks (Á, Í, Ó, Ú: Ángela, Óscar, Úrsula) or a relationship like "mamá" made the
whole page UCS-2 (67 characters a segment): render_page then dropped what the patient was told and the callback
numbers, and the page still exceeded its budget of three segments (SEGMENT_BUDGET). Found in review."""
from __future__ import annotations

import pytest
from conftest import NURSES, enroll, texts_to

from messages.texts import SEGMENT_BUDGET, is_gsm7, segments


def _page(client, admin_token) -> str:
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages
    return pages[-1]


@pytest.mark.parametrize("name, relationship", [
    pytest.param("Ángela Núñez", None, id="accented-initial"),
    pytest.param("Pat Example", "mamá", id="accented-relationship"),
    pytest.param("Angela Nunez", None, id="control-plain-initial"),
    pytest.param("Pat Example", "mama", id="control-plain-relationship"),
])
def test_a_page_stays_gsm7_within_its_budget_and_keeps_what_the_patient_was_told(client, admin_token, runner, phone,
                                                                                 name, relationship):
    caregivers = [] if relationship is None else [
        {"name": "Rosa Example", "phone": "+15555550188", "relationship": relationship}]
    enroll(client, admin_token, name=name, caregivers=caregivers)
    assert runner.invoke(args=["tick"]).exit_code == 0
    sender = "+15555550188" if relationship else None
    response = phone.text("temp 103, short of breath, heart rate 124, please call me I feel awful", **({"sender": sender} if sender else {}))
    assert response.status_code == 200
    page = _page(client, admin_token)
    assert "Told: call clinic now." in page, page  # SOP 5 Grade 2 in clinic hours: what the patient was told
    assert segments(page) <= SEGMENT_BUDGET["nurse_alert"], (segments(page), page)
    assert is_gsm7(page), page


def test_a_nurses_ack_confirmation_names_the_patient_in_gsm7(client, admin_token, runner, phone):
    enroll(client, admin_token, name="Ángela Núñez")
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert phone.text("temp 103, short of breath").status_code == 200
    assert phone.text("ACK", sender=NURSES[0]).status_code == 200
    confirmation = texts_to(client, admin_token, NURSES[0])[-1]["body"]
    assert "A.N." in confirmation and is_gsm7(confirmation), confirmation
