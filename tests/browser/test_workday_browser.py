"""The clinic's working day in headless chromium: alert history for one patient, pause and resume, the printed
episode summary, a grade recorded from the patient page, the report's CSV, live updates, and axe-core over
every page. Screenshots of the new pages at 390x844 and 1280x800 go to artifacts/screenshots/.

Each test runs on a fixed clock: the next weekday at 10:00 in Chicago, ticking (time_machine), so nothing
depends on the hour the suite runs at. The date is taken after the real today so the session cookie's
expiry, read by chromium on the real clock, is in the future.
"""
from __future__ import annotations

import csv
import re
import struct
import zlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from messages.gateways import OutboxGateway
from monitoring import patients
from monitoring.inbound import receive_sms
from scheduler.jobs import deliver_only, run_due_work

from .axe import axe_violations
from .browserkit import DESKTOP, PHONE, SCREENSHOTS, focus_lands_on, screenshot, sign_in

pytestmark = pytest.mark.browser
CHICAGO = ZoneInfo("America/Chicago")


def clinic_morning() -> datetime:
    """The next weekday (after today, real clock) at 10:00 in Chicago: in clinic hours."""
    day = datetime.now(UTC).astimezone(CHICAGO).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=CHICAGO)


@pytest.fixture
def morning():
    start = clinic_morning()
    with time_machine.travel(start, tick=True):
        yield start


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def seed(live, start: datetime) -> dict:
    """Two patients enrolled two hours ago; Maria (Spanish) runs a fever and gets dizzy, John gets confused:
    each raises an alert that paged the chain. Returns {"maria": id, "john": id}."""
    clinic = live.clinic()
    config = live.app.config["CRS"]
    ids = {}
    try:
        with time_machine.travel(start - timedelta(hours=2), tick=False):
            ids["maria"] = patients.enroll(clinic, {
                "name": "Maria Lopez", "phone": "+15555550188", "language": "es", "therapy": "teclistamab",
                "mrn": "MRN-4471", "birth_date": "1961-08-23", "baseline_systolic": 124}, actor="Ada Admin", now=datetime.now(UTC))["id"]
            ids["john"] = patients.enroll(clinic, {
                "name": "John Smith", "phone": "+15555550187", "therapy": "elranatamab"}, actor="Ada Admin", now=datetime.now(UTC))["id"]
            run_due_work(config, OutboxGateway(echo=False))
        for minutes, sender, body in ((20, "+15555550188", "37.9"), (70, "+15555550188", "38.9 mareado"),
                                      (80, "+15555550187", "39.2 confused"), (100, "+15555550188", "38.4")):
            with time_machine.travel(start - timedelta(hours=2) + timedelta(minutes=minutes), tick=False):
                receive_sms(clinic, sender=sender, to="+15555550123", body=body, sid=f"SMSEED{minutes}")
                deliver_only(config, OutboxGateway(echo=False))
    finally:
        clinic.db.close()
    return ids


def test_alert_history_filtered_to_one_patient(page, live, morning):
    ids = seed(live, morning)
    sign_in(page)
    nav(page, "History")
    rows = page.locator("#history tbody tr")
    assert rows.count() == 2
    page.get_by_label("Patient").select_option(label="John Smith")
    page.get_by_role("button", name="Show alerts").click()
    page.wait_for_url(re.compile(rf"patient_id={ids['john']}"))
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("data-patient-id") == str(ids["john"])
    assert "John Smith" in row.inner_text() and "confusion" in row.inner_text()
    assert "Primary nurse at" in row.inner_text()  # who was paged, and when
    page.get_by_label("Patient").select_option(label="Maria Lopez (MRN MRN-4471)")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Show alerts").click()
    page.wait_for_url(re.compile(rf"patient_id={ids['maria']}"))  # under load the count ran on the old page
    assert rows.count() == 1 and "Maria Lopez" in rows.first.inner_text()
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        screenshot(page, f"history-{width}")
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert not page.console_errors


def prompts_and_alerts(live, patient_id: int, since_id: int = 0) -> tuple[int, int]:
    clinic = live.clinic()
    try:
        prompts = clinic.db.execute("SELECT COUNT(*) FROM messages WHERE patient_id = ? AND id > ? AND kind IN "
                                    "('prompt', 'reminder')", [patient_id, since_id]).fetchone()[0]
        alerts = clinic.db.execute("SELECT COUNT(*) FROM alerts WHERE patient_id = ?", [patient_id]).fetchone()[0]
        return prompts, alerts
    finally:
        clinic.db.close()


def last_message_id(live) -> int:
    clinic = live.clinic()
    try:
        return clinic.db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0]
    finally:
        clinic.db.close()


def test_pause_with_a_reason_then_resume(page, live, morning):
    clinic = live.clinic()
    try:
        patient_id = patients.enroll(clinic, {"name": "Pat Example", "phone": "+15555550199",
                                              "therapy": "teclistamab"}, actor="Ada Admin", now=datetime.now(UTC))["id"]
    finally:
        clinic.db.close()
    config = live.app.config["CRS"]
    run_due_work(config, OutboxGateway(echo=False))  # the first prompt goes out, unanswered
    sign_in(page)
    page.goto(f"/dashboard/patients/{patient_id}")
    panel = page.locator("#monitoring")
    panel.get_by_label("In clinic").check()
    panel.get_by_role("button", name="Pause check-ins").click()
    page.locator("#flashes").wait_for()
    focus_lands_on(page, "flashes")  # the confirmation has focus
    assert "Monitoring paused (in clinic)" in page.locator("#flashes").inner_text()
    assert "Paused" in page.locator("#monitoring-state").inner_text()
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        screenshot(page, f"patient-paused-{width}")
    after_pause = last_message_id(live)
    # Behind the page, on the clock: eight hours of due work bring no prompt and no missed-check-in alert.
    for quarter in range(1, 33):
        with time_machine.travel(morning + timedelta(minutes=15 * quarter), tick=False):
            run_due_work(config, OutboxGateway(echo=False))
    assert prompts_and_alerts(live, patient_id, after_pause) == (0, 0)
    with time_machine.travel(morning + timedelta(hours=8, minutes=5), tick=True):
        sign_in(page)  # eight hours idle: the idle sign-out (issue 16) has ended the session
        page.goto(f"/dashboard/patients/{patient_id}")
        page.get_by_role("button", name="Resume check-ins now").click()
        page.locator("#flashes").wait_for()
        assert "Monitoring resumed" in page.locator("#flashes").inner_text()
        assert "Active until" in page.locator("#monitoring-state").inner_text()
        run_due_work(config, OutboxGateway(echo=False))
        assert prompts_and_alerts(live, patient_id, after_pause) == (1, 0)  # the next check-in went out at once
        timeline = page.locator("#timeline + ol").inner_text()
        assert "Monitoring paused" in timeline and "Monitoring resumed" in timeline
    assert not page.console_errors


def png_gray(path, width: int, height: int, stride: int, pixels: bytes) -> None:
    """Write an 8-bit grayscale PNG (no Pillow needed)."""
    rows = b"".join(b"\x00" + pixels[y * stride:y * stride + width] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def test_print_the_episode_summary(page, live, morning):
    import pypdfium2

    ids = seed(live, morning)
    sign_in(page)
    page.goto(f"/dashboard/patients/{ids['maria']}")
    page.get_by_role("link", name="Episode summary for the chart").click()
    page.wait_for_url("**/summary")
    assert page.title() == "Episode summary: Maria Lopez · crswatch"
    summary = page.locator("#summary").inner_text()
    for expected in ("MRN MRN-4471", "born 1961-08-23", "teclistamab", "38.9 °C", "dizziness", "Primary nurse at"):
        assert expected in summary, expected
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        screenshot(page, f"summary-{width}")
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("#summary .no-print").first.is_hidden()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=False)
        assert pdf.startswith(b"%PDF")
        (SCREENSHOTS / f"summary-{paper}.pdf").write_bytes(pdf)
        document = pypdfium2.PdfDocument(pdf)
        first = document[0]
        text = first.get_textpage().get_text_range()
        assert "episode summary" in text and "Maria Lopez" in text and "MRN-4471" in text
        bitmap = first.render(scale=1.5, grayscale=True)
        pixels = bytes(bitmap.buffer)
        png_gray(SCREENSHOTS / f"summary-{paper}-page1.png", bitmap.width, bitmap.height, bitmap.stride, pixels)
        assert min(pixels) < 64 and max(pixels) > 240  # black print on white paper
        document.close()
    assert not page.console_errors


def test_grade_from_the_patient_page_shows_on_the_timeline(page, live, morning):
    ids = seed(live, morning)
    sign_in(page)
    page.goto(f"/dashboard/patients/{ids['maria']}")
    page.get_by_role("link", name="Grade CRS for Maria Lopez").click()
    page.wait_for_url(re.compile(r"/dashboard/grade\?patient_id="))
    expect(page.get_by_role("heading", name="ASTCT CRS grading for Maria Lopez")).to_be_visible()  # waits for the page the click asked for
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        screenshot(page, f"grade-patient-{width}")
    page.get_by_label("Temperature").fill("102.3")
    page.get_by_role("button", name="Grade and record").click()  # 102.3 in C: the form asks about F
    assert "did you mean 102.3 °F" in page.locator("#temperature_c-error").inner_text()
    page.console_errors.clear()  # chromium logs the refused form's 400; that one is meant
    page.get_by_label("Unit").select_option("F")
    page.get_by_label("Hypotension", exact=True).check()
    page.get_by_role("button", name="Grade and record").click()
    page.wait_for_url(re.compile(rf"/dashboard/patients/{ids['maria']}$"))
    focus_lands_on(page, "flashes")
    assert "Grade 2 recorded" in page.locator("#flashes").inner_text()
    entry = page.locator(".tl-grade").first
    assert "ASTCT grade recorded by Ada Admin" in entry.inner_text()
    assert "Grade 2" in entry.inner_text() and "temperature 39.1 C, hypotension" in entry.inner_text()
    assert not page.console_errors


def test_report_csv_matches_the_table(page, live, morning):
    seed(live, morning)
    sign_in(page)
    nav(page, "Reports")
    table = [(row.locator("th").inner_text(), row.locator("td").inner_text())
             for row in page.locator("#report-table tbody tr").all()]
    assert ("Alerts", "2") in table
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these rows as CSV").click()
    rows = list(csv.reader(download.value.path().read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["measure", "value"]
    assert [tuple(row) for row in rows[1:]] == table
    assert page.locator("svg.chart-bars rect.bar").count() == 2
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        screenshot(page, f"report-{width}")
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert not page.console_errors


def test_live_update_announces_a_new_alert_and_keeps_focus(page, live, morning):
    seed(live, morning)
    sign_in(page)
    page.goto("/dashboard")
    assert page.locator("#open-alerts .alert-card").count() == 2
    patients_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients", exact=True)
    patients_link.focus()
    clinic = live.clinic()
    try:
        other = patients.enroll(clinic, {"name": "Ann Lee", "phone": "+15555550181", "therapy": "teclistamab"},
                                actor="Ada Admin", now=datetime.now(UTC))["id"]
        receive_sms(clinic, sender="+15555550181", to="+15555550123", body="o2 85 and short of breath",
                    sid="SMLIVE1")
    finally:
        clinic.db.close()
    page.evaluate("window.crswatchUpdate()")
    page.locator("#open-alerts .alert-card", has_text="Ann Lee").wait_for()
    assert "New alert:" in page.locator("#live-status").text_content()
    assert "Ann Lee" in page.locator("#live-status").text_content()
    assert page.evaluate("document.activeElement.textContent") == "Patients"  # focus stayed where it was
    toggle = page.get_by_role("button", name="Pause updates")
    toggle.click()
    assert page.get_by_role("button", name="Resume updates").get_attribute("aria-pressed") == "true"
    assert other
    assert not page.console_errors


NEW_PAGES = {"patients": "/dashboard/patients?show=all", "history": "/dashboard/history",
             "report": "/dashboard/reports/alerts"}


def test_no_axe_violations_on_any_page(page, live, morning):
    ids = seed(live, morning)
    sign_in(page)
    clinic = live.clinic()
    try:
        alert_id = clinic.db.execute("SELECT MIN(id) FROM alerts").fetchone()[0]
    finally:
        clinic.db.close()
    pages = {
        "dashboard": "/dashboard", "alert": f"/dashboard/alerts/{alert_id}",
        "patient": f"/dashboard/patients/{ids['maria']}", "summary": f"/dashboard/patients/{ids['maria']}/summary",
        "grade": "/dashboard/grade", "grade-patient": f"/dashboard/grade?patient_id={ids['john']}",
        "enroll": "/dashboard/patients/new", "settings": "/dashboard/settings", "staff": "/dashboard/staff",
        "simulator": "/simulator?phone=%2B15555550188", **NEW_PAGES,
    }
    found = {}
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        for name, url in pages.items():
            page.goto(url)
            violations = axe_violations(page)
            if violations:
                found[f"{name} at {width}"] = violations
            if name in NEW_PAGES:
                screenshot(page, f"{name}-{width}")
    page.goto("/dashboard/history?since=soon")  # a form with its errors
    if violations := axe_violations(page):
        found["history with errors"] = violations
    page.context.clear_cookies()
    page.goto("/signin")
    if violations := axe_violations(page):
        found["signin"] = violations
    assert found == {}
    page.console_errors.clear()  # the refused history form's 400 is meant


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_new_pages_never_scroll_sideways(page, live, morning, width):
    ids = seed(live, morning)
    clinic = live.clinic()
    try:  # a long unbroken name must wrap, not widen the page
        patients.enroll(clinic, {"name": "Bartholomew" * 8, "phone": "+15555550186", "therapy": "teclistamab",
                                 "mrn": "X" * 40}, actor="Ada Admin", now=datetime.now(UTC))
    finally:
        clinic.db.close()
    sign_in(page)
    page.set_viewport_size({"width": width, "height": 800})
    for url in (*NEW_PAGES.values(), f"/dashboard/patients/{ids['maria']}/summary", "/dashboard",
                f"/dashboard/grade?patient_id={ids['maria']}", f"/dashboard/patients/{ids['maria']}"):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{url} at {width}px is {overflow}px too wide"


def test_acknowledge_and_resolve_move_focus_to_the_confirmation(page, live, morning):
    seed(live, morning)
    sign_in(page)
    card = page.locator("#open-alerts .alert-card", has_text="John Smith")
    card.get_by_role("button", name=re.compile("Acknowledge")).click()
    page.locator("#flashes").wait_for()
    focus_lands_on(page, "flashes")
    assert "acknowledged" in page.locator("#flashes").inner_text()
    card = page.locator("#acknowledged-alerts .alert-card", has_text="John Smith")
    card.get_by_label(re.compile("Outcome of alert")).select_option("admitted")
    card.get_by_label(re.compile("Resolution note")).fill("admitted to 4 West")
    card.get_by_role("button", name=re.compile("Resolve")).click()  # the confirm dialog is accepted
    page.get_by_text("resolved: admitted.").wait_for()
    focus_lands_on(page, "flashes")
    nav(page, "History")
    row = page.locator("#history tbody tr", has_text="John Smith")
    assert "admitted" in row.inner_text() and "admitted to 4 West" in row.inner_text()
    assert "Ada Admin" in row.inner_text()
    assert not page.console_errors
