"""Shared by the browser tests and their fixtures: where chromium is, viewports, sign-in and screenshots."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ADMIN, PASSWORD = "Ada Admin", "correct horse battery"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def sign_in(page, name: str = ADMIN, password: str = PASSWORD) -> None:
    page.goto("/dashboard")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")


def screenshot(page, name: str) -> Path:
    """The whole page as `name`.png, and the first screen (what shows without scrolling) as `name`-fold.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-fold.png"))
    return path


def focus_lands_on(page, element_id: str, timeout_ms: int = 10_000) -> None:
    """Wait until the element with `element_id` has focus, failing after `timeout_ms`: pages move focus on
    load (a confirmation, an autofocused field), which can come a moment after the element is visible."""
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=element_id,
                           timeout=timeout_ms)
