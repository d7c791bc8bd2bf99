"""The page's "Reported by caregiver" names whoever wrote the text that raised the alert (issue 13: the nurse
calls whoever noticed), whatever order the texts are processed in: the patient's later text processed first
(the caregiver's retried by the tick after a failed first try, or two workers taking the write lock in the
other order), and on a re-page after the patient texted again (alerts.message_id, read by monitoring.pagefacts).
Found in review of 37de7ff, which took the reporter from the newest processed text."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

from conftest import NURSES, PATIENT_PHONE, START, auth, texts_to

from monitoring.store import to_text

CAREGIVER = "+15555550188"
REPORTED = "Reported by caregiver (spouse) (555) 555-0188."


def _add_spouse(client, admin_token, patient) -> None:
    response = client.post(f"/api/v1/patients/{patient['id']}/caregivers", headers=auth(admin_token),
                           json={"name": "Carl Giver", "phone": CAREGIVER, "relationship": "spouse"})
    assert response.status_code == 201, response.get_json()


def _pages(client, admin_token) -> list[str]:
    return [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]


def test_a_caregiver_text_retried_by_the_tick_after_the_patients_next_text_still_names_the_caregiver(
        phone, patient, client, admin_token, runner, clock, monkeypatch):
    """The caregiver's "he seems confused" fails its first processing (any failure: StoreBusy under load, a
    bug); the patient texts a normal temperature, processed at once; the tick retries the caregiver's text and
    pages for confusion. The page must say the caregiver reported it: it is the caregiver's text that raised it."""
    from monitoring import inbound

    _add_spouse(client, admin_token, patient)
    real = inbound.process

    def fails_once(clinic, message_id, known=None, **kwargs):
        monkeypatch.setattr(inbound, "process", real)
        raise sqlite3.OperationalError("database is locked")  # the first try only

    monkeypatch.setattr(inbound, "process", fails_once)
    assert phone.text("he seems confused", sender=CAREGIVER).status_code == 200
    assert _pages(client, admin_token) == []  # not processed yet: kept for the tick
    clock.move_to(START + timedelta(seconds=10))
    assert phone.text("98.6").status_code == 200  # the patient's own text, processed at once
    clock.move_to(START + timedelta(minutes=2))
    assert runner.invoke(args=["tick"]).exit_code == 0  # retries the caregiver's text
    pages = _pages(client, admin_token)
    assert pages and "confusion" in pages[-1], pages
    assert REPORTED in pages[-1], pages[-1]


def test_a_page_names_the_caregiver_when_another_worker_processed_the_patients_later_text_first(
        phone, patient, config, client, admin_token, monkeypatch):
    """The mirror of test_inbound_lock's test: the patient's next text is stored AND processed by another worker
    (it took the write lock first) between the caregiver's commit and its processing."""
    from monitoring import inbound

    _add_spouse(client, admin_token, patient)
    real = inbound.process

    def process(clinic, message_id, known=None, **kwargs):
        monkeypatch.setattr(inbound, "process", real)
        stamp = to_text(START)
        other = sqlite3.connect(config["database"]["path"])
        try:
            with other:  # another worker: stored and processed (a routine reading: nothing more it writes matters)
                other.execute(
                    "INSERT INTO messages (direction, to_number, from_number, body, kind, patient_id, status, sid, "
                    "created_at, updated_at, processed_at) VALUES ('in', '+15555550123', ?, '98.6', 'reply', ?, "
                    "'processed', ?, ?, ?, ?)", [PATIENT_PHONE, patient["id"], "SM" + "7" * 32, stamp, stamp, stamp])
        finally:
            other.close()
        real(clinic, message_id, known, **kwargs)

    monkeypatch.setattr(inbound, "process", process)
    assert phone.text("he seems confused", sender=CAREGIVER).status_code == 200
    pages = _pages(client, admin_token)
    assert pages and "confusion" in pages[-1], pages
    assert REPORTED in pages[-1], pages[-1]


def test_a_repage_names_the_caregiver_who_reported_it_like_the_first_page(phone, patient, client, admin_token, runner,
                                                                         clock):
    """pagefacts: "Read at each page, so a re-page or a call says the same as the first page". The caregiver's
    text raises the page; the patient then texts a normal temperature (no new alert); nobody ACKs, and the re-page
    takes its reporter from the newest processed text, now the patient's own: the caregiver is gone from it."""
    _add_spouse(client, admin_token, patient)
    assert phone.text("he seems confused", sender=CAREGIVER).status_code == 200
    first = _pages(client, admin_token)
    assert first and REPORTED in first[-1], first
    clock.move_to(START + timedelta(minutes=5))
    assert phone.text("98.6").status_code == 200
    clock.move_to(START + timedelta(minutes=40))  # past the ack timeout: the tick re-pages
    assert runner.invoke(args=["tick"]).exit_code == 0
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) + texts_to(client, admin_token, NURSES[1])
             if text["kind"] == "alert"]
    repages = [page for page in pages if page not in first]
    assert repages, pages
    assert REPORTED in repages[-1], repages[-1]
