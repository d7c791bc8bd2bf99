"""docs/reason-codes.md names every reason code triage can give, with its level and its page label."""
from __future__ import annotations

import re
from pathlib import Path

from messages.texts import reason_label
from triage.reasons import REASON_LEVELS

DOC = (Path(__file__).parent.parent / "docs" / "reason-codes.md").read_text(encoding="utf-8")
ROWS = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", DOC, re.MULTILINE)}


def test_every_code_is_documented_with_its_level_and_label():
    assert set(REASON_LEVELS) == set(ROWS)
    for code, level in REASON_LEVELS.items():
        cells = [cell.strip() for cell in ROWS[code].strip("|").split("|")]
        assert cells[2] == level, (code, cells)
        assert cells[3] == reason_label(code, "en"), (code, cells)
