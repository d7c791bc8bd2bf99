"""The dashboard in headless chromium: sign in, a simulated text raises an alert, acknowledge it, enroll, grade.

Screenshots of the dashboard, a patient page and the simulator at phone and desktop widths go to
artifacts/screenshots/ for a person to look at.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from messages.gateways import OutboxGateway
from monitoring import patients, settings
from monitoring.inbound import receive_sms
from scheduler.jobs import deliver_only

from .browserkit import DESKTOP, PHONE, focus_lands_on, screenshot, sign_in

pytestmark = pytest.mark.browser


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def enroll_in_form(page, name: str = "Pat Example", phone: str = "+15555550199") -> None:
    nav(page, "Enroll")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Mobile phone").fill(phone)
    page.get_by_label("Therapy").first.fill("teclistamab")
    page.get_by_label("Systolic blood pressure").fill("120")
    page.get_by_role("button", name="Enroll and start monitoring").click()
    page.wait_for_load_state("domcontentloaded")  # the answer's page, title and all, before anyone reads it


def test_sign_in_and_keyboard_reaches_the_form(page):
    page.goto("/dashboard")
    assert re.search(r"/signin\?next=/dashboard$", page.url)
    assert page.title() == "Sign in · crswatch"
    focus_lands_on(page, "name")  # the form is ready to type into
    page.keyboard.type("Ada Admin")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password!")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text().startswith("Wrong name or password")
    page.console_errors.clear()  # chromium logs the refused sign-in's 401; that one is meant
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/dashboard")
    assert page.title() == "Alerts and patients · crswatch"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    expect(page.get_by_role("heading", name=re.compile("Open alerts"))).to_be_visible()  # waits for the page the click asked for
    assert not page.console_errors


def test_enroll_through_the_form(page):
    sign_in(page)
    enroll_in_form(page)
    assert page.title() == "Pat Example · crswatch"  # straight to the patient's page
    assert "Enrolled Pat Example" in page.locator(".flashes").inner_text()
    assert page.locator("#patient-token code").inner_text().startswith("pt_")
    page.reload()  # a reload shows the page again, it does not enroll again (and the token is gone)
    assert page.locator("#patient-token").count() == 0 and page.locator(".flash").count() == 0
    nav(page, "Alerts")
    expect(page.locator("#patients").get_by_role("link", name="Pat Example")).to_be_visible()  # waits for the page the click asked for
    enroll_in_form(page, name="Second Try", phone="12")  # a bad phone is named beside its field
    assert page.locator("#phone").get_attribute("aria-invalid") == "true"
    assert "phone" in page.locator("#phone-error").inner_text()


def test_simulated_text_raises_an_alert_that_is_acknowledged(page, live):
    sign_in(page)
    enroll_in_form(page)
    nav(page, "Simulator")
    assert page.title() == "Phone simulator · crswatch"
    page.get_by_label("Text message").fill("39.4 and I feel confused")
    page.get_by_role("button", name="Send").click()
    conversation = page.locator("#conversation")
    conversation.locator(".bubble-in", has_text="39.4 and I feel confused").wait_for()
    assert "Call the clinic" in conversation.locator(".bubble-out").last.inner_text()

    nav(page, "Alerts")
    card = page.locator("#open-alerts .alert-card").first
    assert "Pat Example" in card.inner_text() and "URGENT" in card.inner_text()
    assert "confusion" in card.inner_text() and "Primary nurse" in card.inner_text()
    card.get_by_role("button", name=re.compile("Acknowledge")).click()
    page.locator("#no-open-alerts").wait_for()
    assert page.locator("#open-alerts").count() == 0
    assert "Acknowledged by Ada Admin" in page.locator("#acknowledged-alerts").inner_text()
    page.locator("#acknowledged-alerts").get_by_role("button", name=re.compile("Resolve")).click()  # confirm accepted
    page.get_by_text("resolved.").wait_for()
    assert page.locator("#acknowledged-alerts").count() == 0
    assert not page.console_errors


@pytest.mark.parametrize("fields, grade", [
    pytest.param({"Temperature": "38.6"}, "Grade 1", id="fever"),
    pytest.param({"Temperature": "38.6", "Hypotension": True}, "Grade 2", id="hypotension"),
])
def test_grade_through_the_form(page, fields, grade):
    sign_in(page)
    nav(page, "Grade")
    for label, value in fields.items():
        if value is True:
            page.get_by_label(label, exact=True).check()
        else:
            page.get_by_label(label).fill(value)
    page.get_by_label("Oxygen", exact=True).select_option("none")
    page.get_by_role("button", name="Grade", exact=True).click()
    result = page.locator("#grade-result")
    expect(result.get_by_role("heading", name=grade)).to_be_visible()  # waits for the page the click asked for
    assert result.locator(".management li").count() >= 2


def seed_a_febrile_night(live) -> int:
    """A patient enrolled 9 h ago who texted every hour, the fever rising; returns the patient id."""
    now = datetime.now(UTC)
    start = now - timedelta(hours=9)
    clinic = live.clinic()
    try:
        with time_machine.travel(start, tick=False):
            patient_id = patients.enroll(clinic, {
                "name": "Maria Lopez", "phone": "+15555550188", "language": "es", "therapy": "teclistamab",
                "dose_given_at": start.isoformat(), "baseline_systolic": 124}, actor="Ada Admin", now=datetime.now(UTC))["id"]
            patients.enroll(clinic, {"name": "John Smith", "phone": "+15555550187", "therapy": "elranatamab",
                                     "dose_given_at": start.isoformat()}, actor="Ada Admin", now=datetime.now(UTC))
        replies = ["36.9", "37.2", "37.4", "37.9", "38.3", "38.6 tome tylenol 1000 mg", "38.9", "38.4", "39.1 mareado"]
        for hour, body in enumerate(replies, start=1):
            with time_machine.travel(start + timedelta(hours=hour - 0.5), tick=False):
                receive_sms(clinic, sender="+15555550188", to="+15555550123", body=body, sid=f"SIMSEED{hour}")
                if hour % 3 == 0:
                    receive_sms(clinic, sender="+15555550187", to="+15555550123", body=f"37.{hour}",
                                sid=f"SIMSEEDJ{hour}")
                deliver_only(live.app.config["CRS"], OutboxGateway(echo=False))
    finally:
        clinic.db.close()
    return patient_id


def test_screenshots_at_phone_and_desktop_widths(page, live):
    patient_id = seed_a_febrile_night(live)
    sign_in(page)
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto("/dashboard")
        assert page.locator("#open-alerts .alert-card").count() == 1
        assert page.locator("#patients .chart .fever-line").count() == 2
        screenshot(page, f"dashboard-{width}")
        page.goto(f"/dashboard/patients/{patient_id}")
        assert page.locator(".chart .point-fever").count() == 5
        screenshot(page, f"patient-{width}")
        page.goto("/simulator?phone=%2B15555550188")
        screenshot(page, f"simulator-{width}")
        # nothing sideways: a phone screen never scrolls horizontally
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{width}: page is {overflow}px wider than the screen"
    assert not page.console_errors


WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !el.closest(".table-wrap"))
    .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${el.getBoundingClientRect().right}`);
}"""


@pytest.mark.parametrize("width", [320, 360, 390])
def test_no_page_scrolls_sideways_on_a_phone(page, live, width):
    patient_id = seed_a_febrile_night(live)
    clinic = live.clinic()
    try:  # an edited setting: its badge, its undo button and a history row are on the settings page
        settings.update(clinic, {"thresholds.fever_c": 38.3, "oncall": [
            {"name": "Primary nurse", "phone": "+15555550142"}]}, actor="Ada Admin", now=datetime.now(UTC))
    finally:
        clinic.db.close()
    sign_in(page)
    page.set_viewport_size({"width": width, "height": 740})
    pages = {"dashboard": "/dashboard", "grade": "/dashboard/grade", "staff": "/dashboard/staff",
             "simulator": "/simulator?phone=%2B15555550188", "patient": f"/dashboard/patients/{patient_id}",
             "alert": "/dashboard/alerts/1", "enroll": "/dashboard/patients/new", "settings": "/dashboard/settings"}
    for name, url in pages.items():
        page.goto(url)
        if name == "grade":
            page.get_by_label("Oxygen", exact=True).select_option("high_flow")  # the longest label on show
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} at {width}px is {overflow}px wider than the screen: {page.evaluate(WIDEST)}"
        for table in page.locator(".table-wrap").all():  # a wide table scrolls inside its own box
            assert table.bounding_box()["x"] + table.bounding_box()["width"] <= width + 0.5, name
        if width == 320:
            screenshot(page, f"{name}-320")
    page.goto("/dashboard/patients/new")  # the form with all its errors
    page.get_by_label("Mobile phone").fill("+15555550188")
    page.get_by_label("Monitoring hours").fill("400")
    page.get_by_role("button", name="Enroll and start monitoring").click()
    expect(page.locator(".field-error")).to_have_count(5)  # name, therapy, hours, the phone and who is on it
    expect(page.locator("#phone-enrolled").get_by_role("link", name="Maria Lopez")).to_be_visible()  # waits for the page the click asked for
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    if width == 320:
        screenshot(page, "enroll-errors-320")
    page.console_errors.clear()  # chromium logs the refused form's 409; that one is meant
    page.goto("/dashboard")
    for button in page.locator("#open-alerts .actions button").all():  # Acknowledge and Resolve inside the card
        card = page.locator("#open-alerts .alert-card").first.bounding_box()
        box = button.bounding_box()
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"], button.inner_text()
    page.goto("/simulator?phone=%2B15555550188")
    send = page.get_by_role("button", name="Send")
    box = send.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"Send is off screen at {width}px: {box}"
    page.get_by_label("Text message").fill("37.0")
    send.click()
    page.locator("#conversation .bubble-in", has_text="37.0").last.wait_for()
    assert not page.console_errors


@pytest.mark.parametrize("width", [320, 1280])
def test_a_fever_said_as_earlier_reads_on_the_patient_page_at_phone_and_desktop_widths(page, live, width):
    """The timeline's longest reading label (an untimed fever said as earlier: its words, and that it is shown at
    the latest it can have been) wraps inside the screen at 320 px, and the page is screenshotted for a person."""
    seed_a_febrile_night(live)
    clinic = live.clinic()
    try:
        receive_sms(clinic, sender="+15555550187", to="+15555550123", body="fever 101.5 earlier, now 99",
                    sid="SIMEARLIER1")
        patient_id = clinic.db.execute("SELECT id FROM patients WHERE phone = '+15555550187'").fetchone()[0]
    finally:
        clinic.db.close()
    sign_in(page)
    page.set_viewport_size({"width": width, "height": 740 if width < 1000 else DESKTOP["height"]})
    page.goto(f"/dashboard/patients/{patient_id}")
    label = page.locator(".tl-kind", has_text="said as earlier")
    expect(label).to_have_count(1)
    expect(label).to_contain_text('"earlier"; no time given, shown at the latest it can have been')
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the patient page at {width}px is {overflow}px wider than the screen: {page.evaluate(WIDEST)}"
    label.scroll_into_view_if_needed()
    screenshot(page, f"earlier-fever-{width}")
    assert not page.console_errors
