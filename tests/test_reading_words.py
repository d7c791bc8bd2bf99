"""How patients' and caregivers' words are read, through the signed webhook: what is stored, what the patient is told
and whether the nurse is paged (break-it pass on reading words: corrections, ordinals, approximate values)."""
from __future__ import annotations

import pytest
from conftest import NURSES, PATIENT_PHONE, START, texts_to

from messages.parse import parse
from monitoring.store import connect


def doses(config) -> list[tuple[str, float | None, str]]:
    return [tuple(row) for row in connect(config["database"]["path"]).execute(
        "SELECT name, dose_mg, given_at FROM medications ORDER BY id")]


@pytest.mark.parametrize("body", [
    "no the tylenol was at 2",
    "no my tylenol was at 2pm",
    "no el tylenol fue a las 2",
])
def test_a_corrected_dose_time_is_a_dose(phone, client, admin_token, patient, config, clock, body):
    """'no the tylenol was at 2' read 'no ... the tylenol' as not taken: no dose was recorded, and a fever 1.5 h
    later was told to take acetaminophen now, and no nurse heard of a
    fever back soon after a dose (SOP 5 Grade 1 Home: "Acetaminophen 650-1000 mg by mouth, can repeat, if recurrent
    fever, >= 6-8 h later"; "If refractory or recurrent fever (< 6-8 h) consider dexamethasone")."""
    clock.move_to(START.replace(hour=15))
    phone.text(body)
    assert [(name, given_at[11:16]) for name, _, given_at in doses(config)] == [("acetaminophen", "20:00")]  # 2 PM CST
    clock.move_to(START.replace(hour=15, minute=30))
    before = len(texts_to(client, admin_token, PATIENT_PHONE))
    phone.text("temp 101.2")
    told = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE)[before:]]
    pages = [m["body"] for n in NURSES for m in texts_to(client, admin_token, n)]
    assert any("Do not take more acetaminophen (Tylenol) until 8:00 PM" in body for body in told), told
    assert [page.split(" at ")[0] for page in pages] == [
        "crswatch REVIEW: P.E. fever again soon after acetaminophen 101.2F/38.4C"]


@pytest.mark.parametrize("body", ["no tylenol", "no more tylenol", "haven't had the tylenol", "not the tylenol",
                                  "no tome el tylenol", "didn't take my tylenol"])
def test_a_dose_not_taken_stays_not_taken(body):
    """The correction is only 'no' with an article or a possessive right after it: these say no dose was taken."""
    assert parse(body).medications == ()
