"""Neurotoxicity and bedside signs through the signed webhook (issue 13): every corpus row that reports one
gets the urgent reply in the patient's language and pages the nurse with the sign in plain words; every
row that denies one pages no one.

SOP 4 Workup (line 39): "Assess for concurrent symptoms of neurotoxicity"; ASTCT ICANS consensus
(Lee et al. 2019, SOP reference 1). Bedside signs of hypoxia: SOP 5 Grade 1 Home, "new hypoxia (< 90%)".
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NURSES, auth, enroll, texts_to

from messages.texts import reason_label, template
from triage.model import HYPOXIA_SIGNS, NEUROTOXICITY_SIGNS

ROWS = [json.loads(line) for line in (Path(__file__).parent / "corpus" / "replies.jsonl").read_text().splitlines()
        if line.strip()]
SIGNS = set(NEUROTOXICITY_SIGNS) | set(HYPOXIA_SIGNS) | {"confusion", "shortness_of_breath"}
ISSUE_ROWS = [row for row in ROWS if row["id"].startswith(("neuro-", "bedside-"))]
REPORTING = [row for row in ISSUE_ROWS if SIGNS & set(row.get("sym", []))]
DENYING = [row for row in ISSUE_ROWS if not row.get("sym") and row.get("deny")]
PHONE = "+15555550177"


def _enroll_and_text(client, admin_token, runner, phone, row) -> tuple[str, int]:
    language = "es" if row["lang"] == "es" else "en"
    enroll(client, admin_token, language=language, phone=PHONE, name="Sam Rivera")
    assert runner.invoke(args=["tick"]).exit_code == 0
    seen = client.get("/api/v1/messages", headers=auth(admin_token)).get_json()[-1]["id"]
    assert phone.text(row["body"], sender=PHONE).status_code == 200
    return language, seen


def test_every_sign_has_rows_in_both_languages():
    for code in SIGNS:
        for language in ("en", "es"):
            reporting = [r for r in REPORTING if code in r.get("sym", []) and r["lang"] == language]
            assert len(reporting) >= 2, f"{code} ({language}): {len(reporting)} reporting rows"


@pytest.mark.parametrize("row", REPORTING, ids=[row["id"] for row in REPORTING])
def test_sign_gets_urgent_reply_and_a_page_naming_it(client, admin_token, runner, phone, row):
    language, seen = _enroll_and_text(client, admin_token, runner, phone, row)
    replies = [m["body"] for m in texts_to(client, admin_token, PHONE, after_id=seen)]
    urgent = template("reply_urgent_in_hours", language).split("{")[0]  # 10:00 on a Tuesday: clinic open
    assert any(body.startswith(urgent) for body in replies), replies
    pages = [m["body"] for m in texts_to(client, admin_token, NURSES[0], after_id=seen)]
    assert pages, "no page"
    for code in SIGNS & set(row["sym"]):
        assert reason_label(code, "en") in pages[0], (code, pages[0])
    alert = client.get("/api/v1/alerts?status=open", headers=auth(admin_token)).get_json()[0]
    assert alert["level"] == "urgent" and SIGNS & set(row["sym"]) <= set(alert["reasons"])


@pytest.mark.parametrize("row", DENYING, ids=[row["id"] for row in DENYING])
def test_denied_sign_pages_no_one(client, admin_token, runner, phone, row):
    _, seen = _enroll_and_text(client, admin_token, runner, phone, row)
    assert not texts_to(client, admin_token, NURSES[0], after_id=seen)
    assert client.get("/api/v1/alerts?status=open", headers=auth(admin_token)).get_json() == []
