"""The daily neuro check's answer (messages.neuro_check) and its triage (triage.neuro_check), as tables.

SOP 4 line 39: "Assess for concurrent symptoms of neurotoxicity"; the check's items follow the ICE score
(Lee et al. 2019). A screen: anything not plainly "as usual" is a change."""
from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messages.neuro_check import neuro_answer
from triage.model import ClinicHours
from triage.neuro_check import assess_neuro_check

ROWS = [
    ("OK", "normal"), ("ok!", "normal"), ("all normal", "normal"), ("All good, thanks", "normal"),
    ("yes", "normal"), ("fine", "normal"), ("no change", "normal"), ("nothing has changed", "normal"),
    ("same as usual", "normal"), ("no problems", "normal"), ("todo bien", "normal"), ("Sí, todo normal", "normal"),
    ("sin cambios", "normal"), ("igual que siempre", "normal"), ("OK temp 98.6", "normal"),
    ("CHANGE", "changed"), ("change: she could not write her name", "changed"), ("no", "changed"),
    ("he doesn't know what day it is, not right", "changed"), ("can't name the pen", "changed"),
    ("confused today", "changed"), ("very sleepy, hard to wake", "changed"), ("his writing is off", "changed"),
    ("CAMBIO, no sabe dónde está", "changed"), ("está confundida", "changed"), ("no puede escribir", "changed"),
    ("ok but slurring words", "changed"),
    ("101.2", None), ("what is this?", None), ("", None), ("took tylenol", None),
]


@pytest.mark.parametrize("body,expected", ROWS, ids=[f"{b or 'empty'}-{e}" for b, e in ROWS])
def test_neuro_answer(body, expected):
    assert neuro_answer(body) == expected


@given(st.text(max_size=200))
def test_no_text_crashes_the_reader(body):
    assert neuro_answer(body) in ("normal", "changed", None)


HOURS = ClinicHours()
TUESDAY_10 = datetime.fromisoformat("2026-03-03T10:00:00-06:00")
SATURDAY_10 = datetime.fromisoformat("2026-03-07T10:00:00-06:00")


@pytest.mark.parametrize("answer,now,level,reasons,first", [
    ("normal", TUESDAY_10, "routine", (), "neuro_check_normal"),
    ("changed", TUESDAY_10, "urgent", ("neuro_check_changed",), "reply_urgent_in_hours"),
    ("changed", SATURDAY_10, "urgent", ("neuro_check_changed",), "reply_urgent_after_hours"),
], ids=["normal-routine", "changed-urgent-in-hours", "changed-urgent-weekend-ed"])
def test_assess_neuro_check(answer, now, level, reasons, first):
    assessment = assess_neuro_check(answer, HOURS, now)
    assert (assessment.level, assessment.reasons, assessment.instructions[0]) == (level, reasons, first)


def test_assess_neuro_check_refuses_another_answer():
    with pytest.raises(ValueError, match="normal, changed"):
        assess_neuro_check("maybe", HOURS, TUESDAY_10)
