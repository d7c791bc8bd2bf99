"""Issue 16 in chromium: the idle warning a minute before sign-out, "Stay signed in", the sign-out that lands
on sign-in and leads back to the same page, the self-refresh sent as background; screenshots of the sign-in,
staff (tokens) and access-log pages at phone and desktop widths."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from monitoring import patients

from .browserkit import DESKTOP, PHONE, focus_lands_on, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_idle_warning_stay_signed_in_then_sign_out_and_back_to_the_page(page, live):
    with time_machine.travel(datetime.now(UTC), tick=True) as server_clock:
        page.clock.install()
        sign_in(page)
        page.goto("/dashboard/grade")
        warning = page.locator("#idle-warning")
        assert warning.is_hidden()
        server_clock.shift(timedelta(minutes=14, seconds=1))  # the nurse did nothing for 14 minutes
        page.clock.run_for(14 * 60 * 1000 + 1000)
        warning.wait_for(state="visible")
        assert re.search(r"signed out in \d+ s", warning.inner_text())
        focus_lands_on(page, "idle-stay")
        page.set_viewport_size(PHONE)
        screenshot(page, "idle-warning-phone")
        page.set_viewport_size(DESKTOP)
        page.get_by_role("button", name="Stay signed in").click()
        warning.wait_for(state="hidden")
        server_clock.shift(timedelta(minutes=14, seconds=30))
        page.clock.run_for(14 * 60 * 1000 + 1000)
        warning.wait_for(state="visible")
        server_clock.shift(timedelta(seconds=61))
        page.clock.run_for(61 * 1000)
        page.wait_for_url(re.compile(r"/signin\?next=/dashboard/grade$"))
        assert "without activity" in page.locator(".flashes").inner_text()
        page.set_viewport_size(PHONE)
        screenshot(page, "signin-after-idle-phone")
        page.set_viewport_size(DESKTOP)
        page.get_by_label("Name").fill("Ada Admin")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard/grade")
    assert not page.console_errors


def test_the_self_refresh_is_a_background_request_that_replaces_the_list(page, live):
    page.clock.install()
    sign_in(page)
    clinic = live.clinic()
    try:
        patients.enroll(clinic, {"name": "Newly Enrolled", "phone": "+15555550186", "therapy": "teclistamab",
                                 "dose_given_at": datetime.now(UTC).isoformat()}, actor="test", now=datetime.now(UTC))
    finally:
        clinic.db.close()
    assert "Newly Enrolled" not in page.locator("main").inner_text()
    with page.expect_request(lambda request: request.headers.get("x-crswatch-background") == "1") as refresh:
        page.clock.run_for(31 * 1000)
    assert refresh.value.url.endswith("/dashboard")
    page.get_by_text("Newly Enrolled").first.wait_for()
    assert not page.console_errors


def test_screenshots_of_sign_in_staff_and_access_pages(page, live):
    page.goto("/signin?next=/dashboard/grade")
    page.get_by_label("Name").fill("Ada Admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    page.console_errors.clear()  # the refused sign-in's 401 is meant
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        screenshot(page, f"signin-refused-{width}")
    sign_in(page)
    clinic = live.clinic()
    try:
        from monitoring import staff as staff_module

        staff_module.add_staff(clinic, "Nora Nurse", "nurse", "+15555550178", now=datetime.now(UTC))
        patient_id = patients.enroll(clinic, {"name": "Maria Lopez", "phone": "+15555550188", "therapy": "teclistamab",
                                              "dose_given_at": datetime.now(UTC).isoformat()}, actor="test", now=datetime.now(UTC))["id"]
    finally:
        clinic.db.close()
    page.goto("/dashboard/staff")
    page.get_by_label("Owner", exact=True).select_option(label="Nora Nurse")
    page.get_by_label("Token name").fill("ward laptop")
    page.get_by_role("button", name="Make token").click()
    assert page.locator("code.token").inner_text().startswith("st_")
    page.goto(f"/dashboard/patients/{patient_id}")
    page.goto("/dashboard/staff")
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto("/dashboard/staff")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"staff-{width}")
        page.goto(f"/dashboard/access?patient_id={patient_id}")
        assert page.get_by_role("cell", name="Patient page").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"access-{width}")
    page.get_by_role("link", name="Ada Admin").click()
    page.get_by_label("Current password").fill("correct horse battery")
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("New password again").fill("password1234")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("alert").wait_for()
    page.console_errors.clear()  # the refused change's 400 is meant
    screenshot(page, "password-refused-desktop")
    assert not page.console_errors
