"""The mypy gate (issue 18): every package of ours is checked strictly, and no override turns a check off for
one of our modules (third-party SDKs without type information may only be marked so)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ("triage", "messages", "monitoring", "scheduler")


def mypy_settings() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def loosened(overrides: list[dict]) -> list[str]:
    """Modules of ours an override loosens (anything but ignore_missing_imports)."""
    found = []
    for override in overrides:
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        if set(override) - {"module", "ignore_missing_imports"}:
            found += [m for m in modules if m.split(".")[0] in OURS]
    return found


def test_every_package_is_checked_strictly():
    settings = mypy_settings()
    assert settings["strict"] is True
    assert set(OURS) <= set(settings["files"])


def test_no_module_of_ours_has_a_check_turned_off():
    assert loosened(mypy_settings().get("overrides", [])) == []


def test_the_gate_sees_an_override_that_turns_a_check_off():
    assert loosened([{"module": ["monitoring.inbound"], "disable_error_code": ["type-arg"]},
                     {"module": ["twilio.*"], "ignore_missing_imports": True}]) == ["monitoring.inbound"]
