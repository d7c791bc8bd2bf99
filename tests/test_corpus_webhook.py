"""Every corpus reply, texted through the signed webhook, gets an answer in the patient's language.

English rows (and the two mixed ones) come from an English-speaking patient, Spanish rows from a
Spanish-speaking one: the answer follows the language chosen at enrollment, whatever the text's.
"""
import json
from datetime import timedelta
from pathlib import Path

from conftest import START, auth, enroll

from messages.texts import PATIENT_KEYS, template

ROWS = [json.loads(line) for line in (Path(__file__).parent / "corpus" / "replies.jsonl").read_text().splitlines()
        if line.strip()]
PHONES = {"en": "+15555550199", "es": "+15555550188"}


def stems(language: str) -> set[str]:
    """The fixed opening of every patient text in one language (up to its first placeholder)."""
    return {template(key, language).split("{")[0][:18] for key in PATIENT_KEYS}


def test_every_corpus_text_is_answered_in_the_patients_language(client, runner, admin_token, clock, phone):
    for language, number in PHONES.items():
        enroll(client, admin_token, language=language, phone=number, name=f"Corpus {language}",
               monitoring_hours=336)
    runner.invoke(args=["tick"])
    openings = {language: stems(language) for language in PHONES}
    seen = client.get("/api/v1/messages", headers=auth(admin_token)).get_json()[-1]["id"]
    failures = []
    for index, row in enumerate(ROWS):
        language = "es" if row["lang"] == "es" else "en"
        number = PHONES[language]
        clock.move_to(START + timedelta(minutes=11 * (index + 1)))  # past the reply budget's window
        assert phone.text(row["body"], sender=number).status_code == 200
        if row.get("cmd") == "stop":
            phone.text("START", sender=number)
        new = client.get(f"/api/v1/messages?after_id={seen}", headers=auth(admin_token)).get_json()
        seen = new[-1]["id"] if new else seen
        replies = [m["body"] for m in new if m["direction"] == "out" and m["to"] == number]
        if not replies:
            failures.append(f"{row['id']}: no reply")
            continue
        other = "en" if language == "es" else "es"
        for body in replies:
            mine = any(body.startswith(stem) for stem in openings[language])
            theirs = any(body.startswith(stem) for stem in openings[other] - openings[language])
            if not mine or theirs:
                failures.append(f"{row['id']}: reply not in {language}: {body[:60]!r}")
    assert not failures, f"{len(failures)} of {len(ROWS)} rows:\n" + "\n".join(failures[:30])
