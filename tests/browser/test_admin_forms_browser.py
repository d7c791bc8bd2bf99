"""An administrator's refused form in chromium, at phone and desktop widths: what went wrong is on the screen
they land on (the error summary takes focus, so it is scrolled to and read out), never further down a page
that reloaded at its top."""
from __future__ import annotations

import pytest

from .browserkit import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser

IN_VIEW = """() => {
  const box = document.querySelector(".error-summary").getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight;
}"""


@pytest.mark.parametrize("width, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_refused_new_staff_member_shows_why_on_the_first_screen(page, live, width, viewport):
    page.set_viewport_size(viewport)
    sign_in(page)
    page.goto("/dashboard/staff")
    page.locator("#name").fill("Sam Nurse")
    page.locator("#phone").fill("12")
    page.locator("#password").fill("sam's long password")
    page.locator("#password_again").fill("sam's long password")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert "phone" in summary.inner_text().lower()
    page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('error-summary')")
    assert page.evaluate(IN_VIEW), "the error summary is off the screen the admin lands on"
    screenshot(page, f"staff-refused-{width}")
    assert not [error for error in page.console_errors if "status of 400" not in error]  # the refusal itself


def test_a_refused_settings_save_and_enrollment_take_the_admin_to_the_summary(page, live):
    page.set_viewport_size(PHONE)
    sign_in(page)
    page.goto("/dashboard/settings")
    page.locator("#thresholds-fever_c").fill("100.4")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('error-summary')")
    assert "must be between 37.5 and 39.5" in page.locator(".error-summary").inner_text()
    screenshot(page, "settings-refused-phone")
    page.goto("/dashboard/patients/new")
    page.locator("#name").fill("Zoë O'Brien")
    page.locator("#phone").fill("+15555550142")  # the on-call nurse's
    page.locator("#therapy").fill("teclistamab")
    page.get_by_role("button", name="Enroll and start monitoring").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('error-summary')")
    assert page.evaluate(IN_VIEW) and "staff or on-call phone" in page.locator(".error-summary").inner_text()
    screenshot(page, "enroll-refused-phone")
    assert not [error for error in page.console_errors if "status of 400" not in error]  # the refusal itself
