"""axe-core (the npm package) for the browser tests: installed into tests/browser/vendor on first use
(`make axe` does the same), injected into the page through Playwright, run at WCAG 2.1 A and AA."""
from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

AXE_VERSION = "4.14.1"
VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_JS = VENDOR / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    """The axe-core script, installed with npm when it is not there yet (a fresh clone, CI)."""
    if not AXE_JS.exists():
        VENDOR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                               "--prefix", str(VENDOR), f"axe-core@{AXE_VERSION}"], check=False, capture_output=True,
                              text=True)
        if done.returncode != 0 or not AXE_JS.exists():
            raise RuntimeError(f"could not install axe-core@{AXE_VERSION} with npm (run `make axe`): {done.stderr}")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    """Run axe over the page as it stands: one line per violation and node, empty when none.
    page.evaluate is not bound by the page's Content-Security-Policy, so the strict policy stays on."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
                           "['violations']})", TAGS)
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at {node['target']}"
            for violation in result["violations"] for node in violation["nodes"]]
