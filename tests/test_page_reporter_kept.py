"""A reason the patient's app (or a device, or the tick) adds to an alert a caregiver's text raised keeps the re-pages
naming that caregiver (alerts.reported_by_message_id), while the readings' values are read as of now (the app's
raise clears alerts.message_id, the values' cap). Found by a breaker helper."""
from __future__ import annotations

import pytest
from conftest import auth, enroll
from test_page_values import at, pages, tick

CAREGIVER = "+15555550188"
REPORTED = "Reported by caregiver (spouse) (555) 555-0188."


@pytest.fixture
def enrolled(client, admin_token, runner):
    patient = enroll(client, admin_token, baseline_systolic=125)
    tick(runner)
    return patient


def test_a_repage_still_names_the_caregiver_after_the_app_adds_a_reason(client, admin_token, enrolled, clock, phone,
                                                                       runner):
    """The spouse texts "he seems confused" (the page names the spouse); the patient texts a normal temperature,
    then his app sends an oxygen of 87, which adds low oxygen to the same alert (no text: message_id NULL). The
    re-page still carries the confusion the spouse reported: the nurse must still be told whom to call."""
    response = client.post(f"/api/v1/patients/{enrolled['id']}/caregivers", headers=auth(admin_token),
                           json={"name": "Carl Giver", "phone": CAREGIVER, "relationship": "spouse"})
    assert response.status_code == 201, response.get_json()
    at(clock, 1)
    assert phone.text("he seems confused", sender=CAREGIVER).status_code == 200
    [first] = pages(client, admin_token)
    assert "confusion" in first and REPORTED in first, first
    at(clock, 3)
    assert phone.text("98.6").status_code == 200
    at(clock, 5)
    response = client.post("/api/v1/me/readings", headers=auth(enrolled["patient_token"]), json={"spo2": 87})
    assert response.status_code == 201, response.get_json()
    at(clock, 40)
    tick(runner)
    repages = [body for body in pages(client, admin_token) if "NOT ACKED" in body]
    assert repages, pages(client, admin_token)
    for body in repages:
        assert "confusion" in body and "low oxygen 87%" in body, body
        assert REPORTED in body, body


