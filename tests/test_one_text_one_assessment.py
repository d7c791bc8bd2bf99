"""One text, one assessment (issue 13): a text that reports or asks about acetaminophen and also carries
a symptom or a reading is stored as ONE assessment with every reason, so an early dose is never hidden
behind the routine assessment of a harmless symptom (SOP 5 Grade 1 Home: acetaminophen "can repeat ...
>= 6-8 h later"; SOP 4 Workup: "Review medications, including ... last dose of antipyretic therapy")."""
from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from conftest import START, auth

EARLY_DOSE_WITH_SYMPTOM = [
    pytest.param("took 1000 mg tylenol again, headache", "en", ("acetaminophen_too_soon",), "home_care",
                 id="en-took-again-with-headache"),
    pytest.param("took 2 tylenol, temp 99.1", "en", ("acetaminophen_too_soon",), "home_care",
                 id="en-took-again-with-normal-temp"),
    pytest.param("can I take more tylenol? body aches", "en", ("acetaminophen_too_soon",), "home_care",
                 id="en-asks-with-myalgia"),
    pytest.param("took tylenol again and I'm dizzy", "en", ("dizziness", "acetaminophen_too_soon"), "urgent",
                 id="en-took-again-with-dizziness-both-kept"),
    pytest.param("took 650 mg tylenol, temp 101.5", "en", ("fever", "acetaminophen_too_soon"), "home_care",
                 id="en-took-again-with-fever-both-kept"),
    pytest.param("tomé otro tylenol, me duele la cabeza", "es", ("acetaminophen_too_soon",), "home_care",
                 id="es-took-again-with-headache"),
    pytest.param("tomé tylenol otra vez y tengo náuseas", "es", ("acetaminophen_too_soon",), "home_care",
                 id="es-took-again-with-nausea"),
]


@pytest.mark.parametrize("body, language, reasons, level", EARLY_DOSE_WITH_SYMPTOM)
def test_early_dose_and_symptom_keep_every_reason(client, admin_token, runner, phone, clock, config,
                                                  body, language, reasons, level):
    from conftest import enroll
    patient = enroll(client, admin_token, language=language)
    runner.invoke(args=["tick"])
    assert phone.text("took 1000 mg tylenol").status_code == 200
    clock.move_to(START + timedelta(hours=2))  # the SOP's interval is 6 h: another dose now is too soon
    assert phone.text(body).status_code == 200

    latest = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["latest_assessment"]
    assert tuple(latest["reasons"]) == reasons and latest["level"] == level

    db = sqlite3.connect(config["database"]["path"])
    rows = db.execute("SELECT reasons, reading_id, medication_id FROM assessments ORDER BY id").fetchall()
    db.close()
    # The first dose was on time (nothing to store); the second text is ONE assessment, not two.
    assert len(rows) == 1, rows
    stored_reasons, reading_id, medication_id = rows[0]
    assert tuple(json.loads(stored_reasons)) == reasons
    assert reading_id is not None  # it holds the reading...
    assert (medication_id is None) == ("?" in body)  # ...and the dose taken (a question records none)
