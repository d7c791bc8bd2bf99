"""A page about a device's reading says a device measured it (docs/fhir.md): a wearable's one-minute 85% when the
finger moved is paged (SOP 5, Grade 1 Home, line 64: "new hypoxia (< 90%)"), but not as if the patient had measured
and sent it; the nurse who calls at 3 a.m. knows to ask for a reading on the finger, still. A value the patient
texted or sent from the app is paged as before."""
from __future__ import annotations

from datetime import timedelta

from conftest import NURSES, START, auth, texts_to
from fhirkit import add_device, observation, post

from messages.page import PageFacts, render_page, spoken_reasons


def pages(client, admin_token) -> list[str]:
    return [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]


def test_a_device_low_oxygen_is_paged_as_measured_by_a_device(client, runner, admin_token, patient, clock):
    device = add_device(runner, "Ring oximeter", patient["id"])
    assert post(client, device, observation("spo2", 85, START)).status_code == 201
    [page] = pages(client, admin_token)
    assert "low oxygen 85% by device (floor 90%)" in page


def test_a_device_low_pressure_then_a_texted_fever(client, runner, phone, admin_token, patient, clock):
    device = add_device(runner, "Cuff", patient["id"])
    assert post(client, device, observation("bp", (84, 55), START)).status_code == 201
    clock.shift(timedelta(minutes=3))
    phone.text("temp 101.5 and i feel dizzy")
    first, update = pages(client, admin_token)
    assert "low blood pressure 84/55 by device (no baseline)" in first
    assert "by device" not in update  # the dizziness and the fever the patient texted


def test_the_app_reading_is_paged_without_a_device(client, admin_token, patient):
    response = client.post("/api/v1/me/readings", json={"spo2": 85}, headers=auth(patient["patient_token"]))
    assert response.status_code == 201
    [page] = pages(client, admin_token)
    assert "low oxygen 85% (floor 90%)" in page and "device" not in page


def test_the_call_says_it_too():
    facts = PageFacts(reasons=("hypoxia",), spo2=85, spo2_floor=90, by_device=frozenset({"spo2"}))
    assert spoken_reasons(facts) == "low oxygen, 85 percent, measured by a device, floor 90"
    page = render_page("nurse_alert", level="URGENT", initials="P.E.", time="3:02 AM", alert_id=4,
                       link="https://x.example/a/4", facts=facts)
    assert "low oxygen 85% by device (floor 90%)" in page
