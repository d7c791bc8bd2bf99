"""The nurse at 3 a.m. on a phone (issue 12): the page's link opens the alert after sign-in, the values are
there, the patient is one tap away (tel:), acknowledge, resolve with an outcome. Screenshots of the alert
page at 390x844 go to artifacts/screenshots/ (alert-workspace-*.png) for a person to look at."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from messages.gateways import OutboxGateway
from monitoring import patients, settings
from monitoring.inbound import receive_sms
from scheduler.jobs import deliver_only

from .browserkit import ADMIN, PASSWORD, PHONE, screenshot

pytestmark = pytest.mark.browser
NIGHT = datetime.fromisoformat("2026-03-03T03:00:00-06:00")  # a Tuesday, 3 a.m. in Chicago
PATIENT = "+15555550199"


def test_nurse_opens_the_page_link_on_a_phone_and_works_the_alert(browser, live):
    with time_machine.travel(NIGHT, tick=True):
        clinic = live.clinic()
        try:
            settings.update(clinic, {"clinic.dashboard_url": live.url}, actor="test", now=datetime.now(UTC))  # the link a moment before
            clinic.db.close()
            clinic = live.clinic()  # the next webhook's request
            patients.enroll(clinic, {"name": "Pat Example", "phone": PATIENT, "language": "en",
                                     "therapy": "teclistamab", "dose_given_at": NIGHT.isoformat(),
                                     "baseline_systolic": 125}, actor="test", now=datetime.now(UTC))
            receive_sms(clinic, sender=PATIENT, to="+15555550123", body="temp 39.4 bp 84/52 o2 87 pulse 118",
                        sid="SIMNIGHT1")
            receive_sms(clinic, sender=PATIENT, to="+15555550123", body="I feel awful, can someone call me",
                        sid="SIMNIGHT2")
            deliver_only(live.app.config["CRS"], OutboxGateway(echo=False))
            page_text = clinic.db.execute("SELECT body FROM messages WHERE kind = 'alert' ORDER BY id LIMIT 1"
                                          ).fetchone()["body"]
        finally:
            clinic.db.close()
        link = re.search(r"https?://\S+$", page_text).group(0)
        assert link == f"{live.url}/dashboard/alerts/1"

        context = browser.new_context(viewport=PHONE, base_url=live.url, is_mobile=True, has_touch=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        try:
            page.goto(link)
            assert "/signin" in page.url
            page.get_by_label("Name").fill(ADMIN)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/dashboard/alerts/1")

            latest = page.locator("ol.readings li").first.inner_text()
            assert "102.9 °F / 39.4 °C" in latest and "BP 84/52 (baseline 125)" in latest
            assert "SpO2 87% (floor 90%)" in latest and "HR 118" in latest
            assert "I feel awful, can someone call me" in page.locator("ol.said").inner_text()
            assert "call clinic now" in page.locator("#told").inner_text() or "go to ED" in page.locator(
                "#told").inner_text()
            assert "text to Primary nurse" in page.locator("#contacts").inner_text()

            call = page.get_by_role("link", name=re.compile("Call patient"))
            assert call.get_attribute("href") == f"tel:{PATIENT}"
            box = call.bounding_box()
            assert box["height"] >= 44 and box["y"] < PHONE["height"]  # a thumb-sized button, on the first screen
            screenshot(page, "alert-workspace-phone-open")

            page.get_by_role("button", name="Acknowledge").click()
            page.get_by_text("acknowledged: paging stopped").wait_for()
            assert "acknowledged" in page.locator("#alert-status").inner_text()

            page.get_by_label("Sent to the ED").check()
            page.get_by_label("Note").fill("Told to go to the ED, called ahead")
            page.get_by_role("button", name="Resolve alert 1").click()
            page.get_by_text("Alert 1 resolved: emergency department.").wait_for()  # names the outcome
            assert "resolved by Ada Admin" in page.locator("#alert-status").inner_text()
            assert "outcome: Sent to the ED" in page.locator("ol.timeline").first.inner_text()
            screenshot(page, "alert-workspace-phone-resolved")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"]  # nothing scrolls sideways on a phone
        finally:
            context.close()
