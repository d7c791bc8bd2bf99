"""Caregivers (issue 13, CONTRACT section 8): enrolled with the patient, answer for them through the signed
webhook, get urgent replies, missed-check-in reminders and the episode's end, STOP only themselves, and do
the daily neuro check. Time moves with the `clock` fixture; `flask tick` runs the due work."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import NURSES, PATIENT_PHONE, START, auth, enroll, messages, texts_to
from test_dashboard import add_user, csrf_from, sign_in

from messages.texts import CAREGIVER_KEYS, CAREGIVER_UCS2, LANGUAGES, format_phone, is_gsm7, render
from monitoring.clinic import Conflict
from triage.replies import CAREGIVER_WORDING

DAUGHTER = "+15555550188"
HUSBAND = "+15555550187"
CLINIC_PHONE_SHOWN = format_phone("+15555550100")
DAUGHTER_BODY = {"name": "Maria Example", "phone": DAUGHTER, "language": "es", "relationship": "daughter"}


def tick(runner) -> None:
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def at(clock, minutes: float) -> None:
    clock.move_to(START + timedelta(minutes=minutes))


def with_caregiver(client, token, **extra) -> dict:
    return enroll(client, token, caregivers=[{"name": "Maria Example", "phone": DAUGHTER, "relationship": "daughter"}],
                  **extra)


def alerts(client, token) -> list[dict]:
    return client.get("/api/v1/alerts", query_string={"status": "all"}, headers=auth(token)).get_json()


def nurse_pages(client, token) -> list[dict]:
    return [m for m in messages(client, token) if m["direction"] == "out" and m["to"] in NURSES]


# --- API shapes ---------------------------------------------------------------------------------------------

def test_enroll_with_caregivers_returns_them_and_texts_each_an_explanation(client, admin_token):
    enrolled = enroll(client, admin_token, caregivers=[
        DAUGHTER_BODY, {"name": "Joe Example", "phone": "(555) 555-0187"}])
    assert [c["phone"] for c in enrolled["caregivers"]] == [DAUGHTER, HUSBAND]  # E.164, a US number without +
    assert all(isinstance(c["id"], int) for c in enrolled["caregivers"])
    assert enrolled["caregivers"][0]["relationship"] == "daughter"
    assert enrolled["caregivers"][1]["language"] == "en"  # the patient's, when not given
    shown = client.get(f"/api/v1/patients/{enrolled['id']}", headers=auth(admin_token)).get_json()
    assert shown["caregivers"] == enrolled["caregivers"]
    welcome = texts_to(client, admin_token, DAUGHTER)
    assert [m["kind"] for m in welcome] == ["info", "info"]
    assert all(m["patient_id"] == enrolled["id"] for m in welcome)  # filed under the patient
    assert all(m["caregiver_id"] == enrolled["caregivers"][0]["id"] for m in welcome)
    assert "STOP" in welcome[0]["body"] and "Pat" in welcome[0]["body"]  # in her language: Spanish
    assert "confusión" in welcome[1]["body"] and CLINIC_PHONE_SHOWN in welcome[1]["body"]
    english = [m["body"] for m in texts_to(client, admin_token, HUSBAND)]
    assert "You may answer our texts for them" in english[0]
    for sign in ("top blood pressure number under 90", "feeling faint when standing up", "weakness", "confusion", "dizziness",
                 "low oxygen", CLINIC_PHONE_SHOWN):
        assert sign in english[1]


@pytest.mark.parametrize("caregivers,field", [
    ([DAUGHTER_BODY] * 3, "caregivers"),
    ("Maria", "caregivers"),
    ([{"name": "Maria", "phone": "12"}], "caregivers[0].phone"),
    ([{"phone": DAUGHTER}], "caregivers[0].name"),
    ([DAUGHTER_BODY, {"name": "Joe", "phone": "not a phone"}], "caregivers[1].phone"),
    ([{"name": "Maria", "phone": DAUGHTER, "language": "fr"}], "caregivers[0].language"),
    ([{"name": "Maria", "phone": DAUGHTER, "age": 40}], "caregivers[0].age"),
    ([{"name": "Maria", "phone": PATIENT_PHONE}], "caregivers[0].phone"),
    ([DAUGHTER_BODY, {"name": "Joe", "phone": DAUGHTER}], "caregivers[1].phone"),
], ids=["three", "not-a-list", "short-phone", "no-name", "second-bad-phone", "language", "unknown-field",
        "patient-own-phone", "same-phone-twice"])
def test_enrollment_refuses_bad_caregivers_naming_the_field(client, admin_token, caregivers, field):
    body = {"name": "Pat Example", "phone": PATIENT_PHONE, "therapy": "teclistamab", "caregivers": caregivers}
    response = client.post("/api/v1/patients", json=body, headers=auth(admin_token))
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert client.get("/api/v1/patients", headers=auth(admin_token)).get_json() == []  # nothing changed


def test_add_and_remove_caregivers_at_most_two(client, admin_token):
    patient = enroll(client, admin_token)
    url = f"/api/v1/patients/{patient['id']}/caregivers"
    first = client.post(url, json=DAUGHTER_BODY, headers=auth(admin_token))
    assert first.status_code == 201 and first.get_json()["phone"] == DAUGHTER
    assert len(texts_to(client, admin_token, DAUGHTER)) == 2  # the explanation, when added later too
    bad = client.post(url, json={"name": "Joe", "phone": "+1 555"}, headers=auth(admin_token))
    assert bad.status_code == 400 and bad.get_json()["field"] == "phone"
    twice = client.post(url, json=DAUGHTER_BODY, headers=auth(admin_token))
    assert twice.status_code == 409
    second = client.post(url, json={"name": "Joe", "phone": HUSBAND}, headers=auth(admin_token))
    assert second.status_code == 201
    third = client.post(url, json={"name": "Ann", "phone": "+15555550186"}, headers=auth(admin_token))
    assert third.status_code == 409 and third.get_json()["field"] == "caregivers"
    removed = client.delete(f"{url}/{first.get_json()['id']}", headers=auth(admin_token))
    assert removed.status_code == 200
    assert [c["name"] for c in removed.get_json()["caregivers"]] == ["Joe"]
    assert client.delete(f"{url}/{first.get_json()['id']}", headers=auth(admin_token)).status_code == 404
    assert client.post(url, json={"name": "Ann", "phone": "+15555550186"}, headers=auth(admin_token)).status_code == 201
    assert client.post("/api/v1/patients/999/caregivers", json=DAUGHTER_BODY,
                       headers=auth(admin_token)).status_code == 404


# --- Texts from a caregiver -------------------------------------------------------------------------------

def test_caregiver_reports_confusion_both_phones_get_the_urgent_reply_and_the_nurse_sees_who_wrote(
        app, client, runner, admin_token, phone, clock):
    patient = with_caregiver(client, admin_token)
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    assert phone.text("he is very confused today, temp 99.1", sender=DAUGHTER).status_code == 200
    urgent = render("reply_urgent_in_hours", "en", clinic_phone=CLINIC_PHONE_SHOWN)
    assert [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)] == [urgent]
    assert [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE, before)] == [urgent]
    [alert] = alerts(client, admin_token)
    assert alert["level"] == "urgent" and "confusion" in alert["reasons"]
    page = nurse_pages(client, admin_token)[-1]["body"]  # paged at once
    # the nurse calls whoever noticed: the page names the caregiver by relationship (no name) with the number
    assert "Reported by caregiver (daughter) (555) 555-0188." in page and "Maria" not in page
    inbound = [m for m in messages(client, admin_token, patient_id=patient["id"]) if m["direction"] == "in"]
    assert inbound[-1]["patient_id"] == patient["id"] and inbound[-1]["caregiver_id"] == patient["caregivers"][0]["id"]
    shown = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert shown["episode"]["checkin_open_since"] is None  # the caregiver's answer closed the check-in
    assert shown["readings"][0]["temperature_c"] is not None and "confusion" in shown["readings"][0]["symptoms"]
    assert "Text from Maria Example (caregiver, daughter)" in dashboard(app, f"/dashboard/alerts/{alert['id']}")


def first_reading_fails(monkeypatch) -> list:
    """The next text's processing fails after it is routed (a fault: the text is kept, unprocessed, and the
    tick retries it); the list returned is non-empty once it has."""
    from monitoring import inbound

    from_patient, failed = inbound._from_patient, []

    def fails_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise RuntimeError("a fault while reading the text")
        return from_patient(*args, **kwargs)

    monkeypatch.setattr(inbound, "_from_patient", fails_once)
    return failed


@pytest.mark.parametrize("older,newer,reported", [
    pytest.param(DAUGHTER, PATIENT_PHONE, "Reported by caregiver (daughter) (555) 555-0188.",
                 id="caregivers-text-retried-after-the-patients"),
    pytest.param(PATIENT_PHONE, DAUGHTER, None, id="patients-text-retried-after-the-caregivers")])
def test_a_page_raised_by_a_retried_text_names_that_texts_writer_and_words(
        client, runner, admin_token, phone, clock, monkeypatch, older, newer, reported):
    """Break-it pass: the page named the writer and quoted the words of the newest text read, so when the tick
    retried an older text (after a fault) once a newer one had been read, its page named the newer text's writer
    (a caregiver for the patient, or the reverse) and quoted the newer words. Re-pages keep naming the same."""
    with_caregiver(client, admin_token)
    failed = first_reading_fails(monkeypatch)
    at(clock, 3)
    assert phone.text("fell in the bathroom and hit her head", sender=older).status_code == 200
    assert failed
    at(clock, 4)
    assert phone.text("please call me", sender=newer).status_code == 200  # read at once: the alert opens
    opened = nurse_pages(client, admin_token)[-1]["body"]
    assert 'texted "please call me"' in opened
    at(clock, 5)
    tick(runner)  # the older text is read again: its reason is new, so the nurse is paged again
    update = nurse_pages(client, admin_token)[-1]["body"]
    assert update.startswith("crswatch REVIEW update") and 'texted "fell in the bathroom and hit her head"' in update
    assert "please call me" not in update
    at(clock, 21)
    tick(runner)  # no ACK: the re-page reads the same facts
    repage = nurse_pages(client, admin_token)[-1]["body"]
    assert "NOT ACKED" in repage
    for page in (update, repage):
        if reported is None:
            assert "Reported by" not in page, page
        else:
            assert reported in page, page


def test_a_routine_reply_goes_only_to_whoever_wrote(client, runner, admin_token, phone, clock):
    with_caregiver(client, admin_token)
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    phone.text("98.6", sender=DAUGHTER)
    assert [m["kind"] for m in texts_to(client, admin_token, DAUGHTER, before)] == ["reply"]
    assert texts_to(client, admin_token, PATIENT_PHONE, before) == []
    phone.text("98.4")
    assert len(texts_to(client, admin_token, PATIENT_PHONE, before)) == 1
    assert len(texts_to(client, admin_token, DAUGHTER, before)) == 1


@pytest.mark.parametrize("language, said, first, then", [
    ("en", "101.5", "Pat has a fever. Give 650-1000 mg of acetaminophen (Tylenol) now",
     "Call us now at (555) 555-0100 if Pat has any of these signs"),
    ("es", "fiebre 38.6", "Pat tiene fiebre. Dele ahora 650-1000 mg de acetaminofén (Tylenol)",
     "Llame ya al (555) 555-0100 si Pat tiene una de estas señales"),
], ids=["en", "es"])
def test_a_caregivers_fever_reply_says_give_and_names_the_patient(client, runner, admin_token, phone, clock,
                                                                    language, said, first, then):
    """The same advice as the patient's (SOP.txt line 64, Grade 1 Home: acetaminophen 650-1000 mg, fluids, the
    signs to call for), said to the person at the bedside: "You have a fever. Take ..." read as if the
    caregiver had the fever and should take the tablets."""
    enroll(client, admin_token, caregivers=[{"name": "Maria Example", "phone": DAUGHTER, "relationship": "daughter",
                                             "language": language}])
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    phone.text(said, sender=DAUGHTER)
    told = [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)]
    assert len(told) == 2 and told[0].startswith(first) and told[1].startswith(then), told
    assert not any(body.startswith(("You have", "Tiene fiebre")) for body in told)
    assert texts_to(client, admin_token, PATIENT_PHONE, before) == []  # a fever reply goes to whoever wrote


def test_a_flooding_caregiver_is_told_once_that_replies_are_paused(client, runner, admin_token, phone, clock):
    """Past the reply budget (care.REPLY_BUDGET, 20 in ten minutes) a number is told once a window that replies
    are paused: the caregiver in their own words, and once, as the patient is (the check for "told already"
    looked for the patient's wording, so a caregiver was told again at every text)."""
    with_caregiver(client, admin_token)
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    for second in range(25):
        clock.move_to(START + timedelta(minutes=2, seconds=second * 2))
        assert phone.text(f"98.{second % 10}", sender=DAUGHTER).status_code == 200
    told = texts_to(client, admin_token, DAUGHTER, before)
    paused = [m["body"] for m in told if m["kind"] == "info"]
    assert paused == [render("caregiver_paused", "en", first_name="Pat", clinic_phone=CLINIC_PHONE_SHOWN)]
    assert len([m for m in told if m["kind"] == "reply"]) == 20


def test_missed_checkin_reaches_the_caregiver_before_the_nurse(client, runner, admin_token, clock):
    with_caregiver(client, admin_token)
    tick(runner)  # the first prompt
    at(clock, 16)
    tick(runner)
    [reminder] = texts_to(client, admin_token, DAUGHTER)[2:]
    assert reminder["kind"] == "reminder"
    assert reminder["body"].startswith("Test Cancer Center: we have not heard from Pat. Please check on them")
    assert nurse_pages(client, admin_token) == []
    for minutes in (46, 121, 137, 167):  # missed, the next prompt, its reminder, missed again: the nurse
        at(clock, minutes)
        tick(runner)
    pages = nurse_pages(client, admin_token)
    assert pages and pages[0]["id"] > reminder["id"]
    assert [m["kind"] for m in texts_to(client, admin_token, DAUGHTER)[2:]] == ["reminder", "reminder"]


def test_stop_from_a_caregiver_stops_only_them(client, runner, admin_token, phone, clock):
    patient = with_caregiver(client, admin_token)
    tick(runner)
    phone.text("STOP", sender=DAUGHTER)
    [told] = texts_to(client, admin_token, DAUGHTER)[2:]
    assert "no more caregiver texts" in told["body"]
    assert alerts(client, admin_token) == []  # no page: the patient is still monitored
    shown = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert shown["caregivers"][0]["opted_out_at"] is not None and shown["opted_out_at"] is None
    at(clock, 16)
    tick(runner)  # the reminder: to the patient, not to her
    at(clock, 121)
    tick(runner)
    assert [m["kind"] for m in texts_to(client, admin_token, PATIENT_PHONE)] == ["prompt", "reminder", "prompt"]
    assert len(texts_to(client, admin_token, DAUGHTER)) == 3
    phone.text("START", sender=DAUGHTER)
    assert "back on" in texts_to(client, admin_token, DAUGHTER)[-1]["body"]


def test_the_episode_end_reaches_patient_and_caregiver(client, runner, admin_token, clock):
    with_caregiver(client, admin_token, monitoring_hours=2)
    tick(runner)
    at(clock, 121)
    tick(runner)
    assert "complete" in texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"]
    assert texts_to(client, admin_token, DAUGHTER)[-1]["body"].startswith(
        "Test Cancer Center: check-in texts for Pat are complete")


def test_a_phone_caring_for_two_patients_is_asked_which_by_initials(client, runner, admin_token, phone, clock):
    first = with_caregiver(client, admin_token)
    second = enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
                    caregivers=[{"name": "Maria Example", "phone": DAUGHTER}])
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    phone.text("101.2", sender=DAUGHTER)
    [asked] = texts_to(client, admin_token, DAUGHTER, before)
    assert "P.E." in asked["body"] and "M.G." in asked["body"]
    assert client.get(f"/api/v1/patients/{first['id']}", headers=auth(admin_token)).get_json()["readings"] == []
    phone.text("M.G.", sender=DAUGHTER)  # the initials release the held text for Mia
    readings = client.get(f"/api/v1/patients/{second['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert [round(r["temperature_c"], 1) for r in readings] == [38.4]
    phone.text("PE: 98.6", sender=DAUGHTER)  # initials first: attributed at once
    readings = client.get(f"/api/v1/patients/{first['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert [round(r["temperature_c"], 1) for r in readings] == [37.0]



@pytest.mark.parametrize("body, reason", [
    ("she won't wake up", "very drowsy or hard to wake"),
    ("mom is confused", "confusion"),
    ("o2 86", "low oxygen"),  # no value: nothing is stored on either record until the initials say whose it is
    ("please call me", 'texted "please call me"'),
])
def test_a_red_flag_from_a_phone_caring_for_two_patients_pages_before_it_is_attributed(
        client, runner, admin_token, phone, clock, body, reason):
    """Break-it pass: a caregiver of two patients texting "she won't wake up" at night was only asked which patient
    it was about, and the text held: no nurse was paged until initials came, and none at all if they never did.
    Red flags page the on-call nurse within seconds (SOP 5 Grade 1 Home: "recontact the clinic urgently or present
    to ED"; SOP 4 Workup: neurotoxicity): each patient the phone cares for is paged, naming the caregiver, and the
    caregiver is told what to do as well as asked which patient."""
    with_caregiver(client, admin_token)
    enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
           caregivers=[{"name": "Maria Example", "phone": DAUGHTER}])
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    phone.text(body, sender=DAUGHTER)
    paged = [m["body"] for m in messages(client, admin_token, after_id=before)
             if m["direction"] == "out" and m["to"] in NURSES]
    assert sorted(page.split(" at ")[0].split(": ", 1)[1] for page in paged) == [
        f"M.G. {reason}", f"P.E. {reason}"]
    assert all("Reported by caregiver" in page and "(555) 555-0188." in page for page in paged)
    # each page says the patient is not yet known: one of the two is about someone else
    assert all("of 2 patients, not yet said which" in page for page in paged), paged
    told = [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)]
    assert told[-1].startswith("Test Cancer Center: you help more than one patient. Which one is this about?")
    assert told[0].startswith(("This needs care now.", "Thank you. The nurse has been alerted"))
    phone.text("M.G.", sender=DAUGHTER)  # the initials still release the held text to Mia's record
    assert len(alerts(client, admin_token)) == 2


def test_a_re_page_names_the_caregiver_as_the_alerts_own_patients(client, runner, admin_token, phone, clock):
    """Maria is Pat's daughter and Mia's neighbor. Her held red flag pages for both; each page of Mia's alert said
    "caregiver (daughter)" from the re-page on: the text was marked with the caregiver record of the last patient
    paged (Pat's), and the page read the relationship off that one record. Each alert's pages name her as that
    alert's patient's caregiver, before and after her initials say whose the text is; once they have said it, the
    other patient's pages say so instead of reading as about him."""
    with_caregiver(client, admin_token)
    enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
           caregivers=[{"name": "Maria Example", "phone": DAUGHTER, "relationship": "neighbor"}])
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    at(clock, 1)
    phone.text("she won't wake up", sender=DAUGHTER)
    at(clock, 17)
    tick(runner)  # no ACK: both alerts page again
    phone.text("M.G.", sender=DAUGHTER)  # the text is Mia's
    at(clock, 33)
    tick(runner)
    paged = [m["body"] for m in messages(client, admin_token, after_id=before)
             if m["direction"] == "out" and m["to"] in NURSES and m["kind"] == "alert"]
    mia = [page for page in paged if ": M.G. " in page]
    pat = [page for page in paged if ": P.E. " in page]
    assert len(mia) >= 3 and len(pat) >= 3, paged
    assert any("NOT ACKED" in page for page in mia) and any("NOT ACKED" in page for page in pat)
    assert all("Reported by caregiver (neighbor)" in page for page in mia), "\n".join(mia)
    assert all("Reported by caregiver (daughter) of 2 patients" in page for page in pat), "\n".join(pat)
    # after "M.G.": Mia's pages no longer say it is unsure whose; Pat's say it was about someone else
    assert "not yet said which" not in mia[-1] and "since said it was about another" in pat[-1], (mia[-1], pat[-1])


def test_a_calm_text_from_a_phone_caring_for_two_patients_pages_no_one(client, runner, admin_token, phone, clock):
    with_caregiver(client, admin_token)
    enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
           caregivers=[{"name": "Maria Example", "phone": DAUGHTER}])
    tick(runner)
    phone.text("98.6", sender=DAUGHTER)
    assert alerts(client, admin_token) == [] and nurse_pages(client, admin_token) == []


@pytest.mark.parametrize("language,lead,word", [
    ("en", "Reply with their initials:", "or"),
    ("es", "Responda con sus iniciales:", "o"),
])
def test_the_which_patient_question_lists_the_initials_in_the_caregivers_words(
        client, runner, admin_token, phone, clock, language, lead, word):
    """Break-it pass: the question joined the initials with an English "or" for a Spanish caregiver, and the
    last initials' own full stop met the template's ("M.G..")."""
    caregiver = {"name": "Maria Example", "phone": DAUGHTER, "language": language}
    enroll(client, admin_token, caregivers=[caregiver])
    enroll(client, admin_token, name="Mia Garcia", phone="+15555550177", caregivers=[caregiver])
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    phone.text("101.2", sender=DAUGHTER)
    [asked] = texts_to(client, admin_token, DAUGHTER, before)
    assert asked["body"].endswith((f"{lead} P.E. {word} M.G.", f"{lead} M.G. {word} P.E."))


def route_fails(monkeypatch, times: int = 1) -> list:
    """The next `times` routings of caregiver texts fail (a fault: the text is kept, the tick retries it); the
    list returned holds one entry per failure so far."""
    from monitoring import caregiver_texts

    route, failed = caregiver_texts.route, []

    def fails(*args, **kwargs):
        if len(failed) < times:
            failed.append(True)
            raise RuntimeError("a fault while routing")
        return route(*args, **kwargs)

    monkeypatch.setattr(caregiver_texts, "route", fails)
    return failed



def test_initials_retried_after_a_fault_release_the_text_held_when_they_arrived(
        client, runner, admin_token, phone, clock, monkeypatch):
    """Break-it pass: a caregiver's text retried by the tick was routed at the retry's time, so initials that
    arrived within the 2 hours but were processed after them found the held text expired: the reading was lost."""
    with_caregiver(client, admin_token)
    second = enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
                    caregivers=[{"name": "Maria Example", "phone": DAUGHTER}])
    tick(runner)
    phone.text("101.2", sender=DAUGHTER)  # held: which patient?
    failed = route_fails(monkeypatch)
    at(clock, 110)
    phone.text("M.G.", sender=DAUGHTER)  # within the 2 hours; kept, not processed
    assert failed
    at(clock, 125)
    tick(runner)  # the retry, past the 2 hours
    readings = client.get(f"/api/v1/patients/{second['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert [(round(r["temperature_c"], 1), r["taken_at"][:16]) for r in readings] == [(38.4, "2026-03-03T16:00")]


# --- The daily neuro check --------------------------------------------------------------------------------

NEXT_DAY_10 = 24 * 60  # START is 10:00 clinic time


def neuro_check_sent(client, runner, token, clock) -> dict:
    tick(runner)
    at(clock, NEXT_DAY_10 - 1)
    tick(runner)
    assert not any(m["body"].startswith("Test Cancer Center daily check") for m in texts_to(client, token, DAUGHTER))
    at(clock, NEXT_DAY_10)
    tick(runner)
    check = texts_to(client, token, DAUGHTER)[-1]
    assert check["body"].startswith("Test Cancer Center daily check on Pat: Do they know where they are")
    assert "not a test score" in check["body"]
    tick(runner)
    assert texts_to(client, token, DAUGHTER)[-1]["id"] == check["id"]  # once
    return check


def dashboard(app, path: str) -> str:
    """The page as a signed-in nurse sees it (a client of its own, so API calls keep their bearer tokens)."""
    try:
        add_user(app, "Nina Nurse", "nurse")
    except Conflict:
        pass  # signed up by an earlier look
    browser = app.test_client()
    assert sign_in(browser, "Nina Nurse").status_code == 302
    page = browser.get(path)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def neuro_items(app, patient_id) -> list[str]:
    """The timeline's neuro check entries, as text."""
    page = dashboard(app, f"/dashboard/patients/{patient_id}")
    blocks = re.findall(r'<li class="tl tl-neuro_check">(.*?)</li>', page, re.DOTALL)
    return [re.sub(r"<[^>]+>|\s+", " ", block) for block in blocks]


def test_neuro_check_normal_answer(app, client, runner, admin_token, phone, clock):
    patient = with_caregiver(client, admin_token)
    neuro_check_sent(client, runner, admin_token, clock)
    at(clock, NEXT_DAY_10 + 5)
    before = messages(client, admin_token)[-1]["id"]
    phone.text("ok all normal", sender=DAUGHTER)
    assert [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)] == [
        render("neuro_check_normal", "en", first_name="Pat", clinic_phone=CLINIC_PHONE_SHOWN)]
    assert texts_to(client, admin_token, PATIENT_PHONE, before) == []
    assert not any("neuro_check_changed" in a["reasons"] for a in alerts(client, admin_token))
    assert any("all as usual" in line for line in neuro_items(app, patient["id"]))



def test_a_neuro_check_answer_retried_after_a_fault_is_dated_when_it_arrived(
        app, client, runner, admin_token, phone, clock, monkeypatch, config):
    """Break-it pass: the answer's time was the retry's, so the timeline placed it late (and the clinic hours
    of its reply were the retry's too); a patient's own text already counts from when it arrived."""
    from monitoring.store import connect
    answer_routed_after_the_tick(client, runner, admin_token, phone, clock, monkeypatch, "ok all normal", arrives=5,
                                 read=40)
    db = connect(config["database"]["path"])
    assert [tuple(row) for row in db.execute("SELECT status, answered_at FROM neuro_checks")] == [
        ("normal", "2026-03-04T16:05:00.000000+00:00")]


def answer_routed_after_the_tick(client, runner, token, phone, clock, monkeypatch, body: str, arrives: int,
                                 read: int = 125) -> None:
    """The caregiver's `body` arrives `arrives` minutes after the check went out but its routing fails; the
    tick that retries it runs `read` minutes after the check went out: by default 5 minutes past the check's
    answer_by (one check-in interval, 120 minutes), so the check is counted missed first (scheduler.jobs:
    neuro checks missed before inbound_retried)."""
    with_caregiver(client, token)
    neuro_check_sent(client, runner, token, clock)
    failed = route_fails(monkeypatch)
    at(clock, NEXT_DAY_10 + arrives)
    phone.text(body, sender=DAUGHTER)
    assert failed
    at(clock, NEXT_DAY_10 + read)
    tick(runner)


@pytest.mark.parametrize("body,status", [("ok all normal", "normal"), ("CHANGE she could not write her name",
                                                                        "changed")])
def test_an_answer_that_arrived_in_time_counts_though_the_check_was_missed_before_it_was_read(
        app, client, runner, admin_token, phone, clock, monkeypatch, config, body, status):
    """Break-it pass: an answer that arrived before answer_by but was read after the tick marked the check
    missed (a retry after a fault; a flood defers texts the same way) found no open check and was read as an
    ordinary text, so a change (a neurotoxicity sign, SOP 4 line 39) was never recorded as the check's answer
    nor raised as urgent. The check is looked up as of the text's arrival."""
    from monitoring.store import connect
    answer_routed_after_the_tick(client, runner, admin_token, phone, clock, monkeypatch, body, arrives=115)
    db = connect(config["database"]["path"])
    assert [tuple(row) for row in db.execute("SELECT status, answered_at FROM neuro_checks ORDER BY id")] == [
        (status, "2026-03-04T17:55:00.000000+00:00"), ("scheduled", None)]
    raised = [a for a in alerts(client, admin_token) if "neuro_check_changed" in a["reasons"]]
    if status == "normal":
        assert raised == []
        assert texts_to(client, admin_token, DAUGHTER)[-1]["body"] == render(
            "neuro_check_normal", "en", first_name="Pat", clinic_phone=CLINIC_PHONE_SHOWN)
    else:
        [alert] = raised
        assert alert["level"] == "urgent" and alert["status"] != "resolved"
        urgent = render("reply_urgent_in_hours", "en", clinic_phone=CLINIC_PHONE_SHOWN)
        assert texts_to(client, admin_token, DAUGHTER)[-1]["body"] == urgent
        assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"] == urgent
        shown = client.get("/api/v1/patients/1", headers=auth(admin_token)).get_json()
        assert shown["latest_assessment"]["reasons"] == ["neuro_check_changed"]


def test_a_late_read_change_adds_to_the_page_already_sent_for_the_missed_check(
        app, client, runner, admin_token, phone, clock, monkeypatch, config):
    """When the nurse was already paged for the missed check-ins (silence is a symptom), the change read later is a new red
    flag on that alert, as monitoring.alerts.raise_alert does for any: its reason added, its level raised to
    urgent, the nurse paged again; not a second alert."""
    assert client.put("/api/v1/settings", json={"checkins.escalate_after_missed": 1},
                      headers=auth(admin_token)).status_code == 200
    answer_routed_after_the_tick(client, runner, admin_token, phone, clock, monkeypatch,
                                 "CHANGE she could not write her name", arrives=115)
    [alert] = [a for a in alerts(client, admin_token) if a["status"] != "resolved"]
    assert alert["level"] == "urgent"
    assert {"missed_checkins", "neuro_check_changed"} <= set(alert["reasons"])
    pages = [m["body"] for m in nurse_pages(client, admin_token)]
    assert "missed check-ins" in pages[0]  # paged for the silence before the change was read
    assert pages[-1].startswith("crswatch URGENT update") and "change on the daily neuro check" in pages[-1]


def test_an_answer_that_arrived_after_answer_by_is_still_not_the_checks_answer(
        app, client, runner, admin_token, phone, clock, monkeypatch, config):
    """The other side of the line: a change that arrived after answer_by (read by the same late tick) is an
    ordinary text, as before; the check stays missed."""
    from monitoring.store import connect
    answer_routed_after_the_tick(client, runner, admin_token, phone, clock, monkeypatch,
                                 "CHANGE she could not write her name", arrives=121)
    db = connect(config["database"]["path"])
    assert [tuple(row) for row in db.execute("SELECT status, answered_at FROM neuro_checks ORDER BY id")] == [
        ("missed", None), ("scheduled", None)]
    assert not any("neuro_check_changed" in a["reasons"] for a in alerts(client, admin_token))


# An answer that arrived before answer_by but was read after count_missed counted the check as a missed check-in
# takes that miss back: silence that never happened must not page the nurse, nor show on the dashboard.

def missed_checkins(client, token, patient_id: int) -> int:
    """The episode's missed check-ins in a row, as the dashboard and the API show them."""
    shown = client.get(f"/api/v1/patients/{patient_id}", headers=auth(token)).get_json()
    return int(shown["episode"]["missed_checkins"])


def check_statuses(config) -> list[str]:
    from monitoring.store import connect
    return [row[0] for row in connect(config["database"]["path"]).execute("SELECT status FROM neuro_checks ORDER BY id")]


def answer_deferred_by_a_flood(phone, clock, body: str, arrives: int) -> None:
    """The caregiver's phone sends INBOUND_BURST texts in the minute before `body` (a stuck phone resending
    HELP), so `body`, arriving `arrives` minutes after the check went out, waits for the tick (it is no red flag)."""
    for second in range(30):
        at(clock, NEXT_DAY_10 + arrives - 1 + second / 60)
        assert phone.text("HELP", sender=DAUGHTER).status_code == 200
    at(clock, NEXT_DAY_10 + arrives)
    assert phone.text(body, sender=DAUGHTER).status_code == 200


@pytest.mark.parametrize("late", ["retried-after-a-fault", "deferred-by-a-flood"])
def test_an_answer_read_after_its_check_was_missed_takes_back_the_missed_checkin(
        client, runner, admin_token, phone, clock, monkeypatch, config, late):
    """Break-it pass: the answer was recorded over the missed check, but the missed check-in count_missed had
    added stayed, so the dashboard showed a silence that never happened, and with the patient's own next miss
    the nurse would have been paged for it."""
    patient = with_caregiver(client, admin_token)
    neuro_check_sent(client, runner, admin_token, clock)
    phone.text("98.6")  # the patient answers their own check-in: the missed count starts at 0
    if late == "retried-after-a-fault":
        failed = route_fails(monkeypatch, times=2)  # on arrival and on the first tick's retry
        at(clock, NEXT_DAY_10 + 115)
        phone.text("ok all normal", sender=DAUGHTER)
    else:
        answer_deferred_by_a_flood(phone, clock, "ok all normal", arrives=115)
        failed = route_fails(monkeypatch, times=1)  # on the first tick's try
    at(clock, NEXT_DAY_10 + 121)
    tick(runner)  # past answer_by: missed and counted before the answer is read
    assert check_statuses(config) == ["missed", "scheduled"] and failed
    assert missed_checkins(client, admin_token, patient["id"]) == 1
    at(clock, NEXT_DAY_10 + 125)
    tick(runner)  # the answer is read: it arrived in time
    assert check_statuses(config) == ["normal", "scheduled"]
    assert missed_checkins(client, admin_token, patient["id"]) == 0
    assert not [a for a in alerts(client, admin_token) if "missed_checkins" in a["reasons"]]


@pytest.mark.parametrize("between,counted", [
    pytest.param("patient-answers", 1, id="count-reset-by-the-patients-answer-since"),
    pytest.param("paused", 0, id="missed-while-paused-never-counted")])
def test_a_late_answer_takes_back_only_a_miss_still_in_the_count(
        client, runner, admin_token, phone, clock, monkeypatch, config, between, counted):
    """The answer takes back only the 1 count_missed added and that is still there: not when the check was
    missed while monitoring was paused (not counted), nor when the count was reset since (the patient answered,
    or a resume). Here the patient's own check-in is missed after that: that miss is real and must stay."""
    patient = with_caregiver(client, admin_token, monitoring_hours=120)
    neuro_check_sent(client, runner, admin_token, clock)
    phone.text("98.6")  # the missed count starts at 0
    if between == "paused":
        at(clock, NEXT_DAY_10 + 60)
        assert client.post(f"/api/v1/patients/{patient['id']}/pause", json={"reason": "in_clinic"},
                           headers=auth(admin_token)).status_code == 200
    answer_deferred_by_a_flood(phone, clock, "ok all normal", arrives=115)
    failed = route_fails(monkeypatch, times=2)  # read at the third tick after it arrived
    at(clock, NEXT_DAY_10 + 121)
    tick(runner)
    assert check_statuses(config)[0] == "missed" and len(failed) == 1
    assert missed_checkins(client, admin_token, patient["id"]) == counted
    at(clock, NEXT_DAY_10 + 122)
    if between == "paused":
        assert client.post(f"/api/v1/patients/{patient['id']}/resume", headers=auth(admin_token)).status_code == 200
    else:
        phone.text("98.6")
    assert missed_checkins(client, admin_token, patient["id"]) == 0
    at(clock, NEXT_DAY_10 + 242)
    tick(runner)  # the patient's next check-in is asked ...
    assert len(failed) == 2
    at(clock, NEXT_DAY_10 + 288)
    tick(runner)  # ... and missed, then the caregiver's answer is read
    assert check_statuses(config)[0] == "normal"
    assert missed_checkins(client, admin_token, patient["id"]) == 1  # the patient's own miss, not taken back


def test_a_page_already_sent_for_the_silence_stays_when_the_late_answer_takes_the_miss_back(
        app, client, runner, admin_token, phone, clock, monkeypatch, config):
    """One missed check-in pages here: the nurse was paged for the silence before the answer was read. The miss
    is taken back, but the alert stays open: a person has been told, and only a person closes it."""
    assert client.put("/api/v1/settings", json={"checkins.escalate_after_missed": 1},
                      headers=auth(admin_token)).status_code == 200
    patient = with_caregiver(client, admin_token)
    neuro_check_sent(client, runner, admin_token, clock)
    phone.text("98.6")
    route_fails(monkeypatch, times=2)
    at(clock, NEXT_DAY_10 + 115)
    phone.text("ok all normal", sender=DAUGHTER)
    at(clock, NEXT_DAY_10 + 121)
    tick(runner)
    [silence] = [a for a in alerts(client, admin_token) if a["status"] == "open"]
    assert silence["reasons"] == ["missed_checkins"] and "missed check-ins" in nurse_pages(client, admin_token)[-1]["body"]
    at(clock, NEXT_DAY_10 + 125)
    tick(runner)
    assert check_statuses(config)[0] == "normal" and missed_checkins(client, admin_token, patient["id"]) == 0
    assert [(a["id"], a["status"], a["reasons"]) for a in alerts(client, admin_token)] == [
        (silence["id"], "open", ["missed_checkins"])]
    # the alert's history tells the nurse why the episode now shows no missed check-in
    with app.app_context():
        from monitoring.clinic import open_clinic
        from monitoring.timeline import alert_detail
        opened = open_clinic(app.config["CRS"])
        events = alert_detail(opened, silence["id"])["events"]
        opened.db.close()
    [taken_back] = [event for event in events if event["kind"] == "miss_taken_back"]
    assert taken_back["at"] == START + timedelta(minutes=NEXT_DAY_10 + 115)  # when the answer arrived
    assert "answered before its deadline" in taken_back["detail"]["note"]
    # ... but it pages no one now (docs/caregivers.md; alerts.patient_answered): the silence it paged for never
    # happened, so the next person on call is not woken at the ack timeouts (review: it re-paged 'NOT ACKED')
    for minute in (140, 160):  # past the page's 15-minute ack timeout (at 136) twice
        at(clock, NEXT_DAY_10 + minute)
        tick(runner)
    told = nurse_pages(client, admin_token)
    # the first page and its stand-down (the patient's 98.6 the day before), the page the counted miss raised
    # again (a new silence), and the stand-down once the miss is taken back; no NOT ACKED re-page, nobody else woken
    assert [m["kind"] for m in told] == ["alert", "info", "alert", "info"] and "pages no one now" in told[-1]["body"]
    assert not any("NOT ACKED" in m["body"] for m in told) and {m["to"] for m in told} == {NURSES[0]}


def test_a_check_missed_after_monitoring_ended_pages_no_one(client, runner, admin_token, phone, clock, config):
    """The check went out, then the nurse ended monitoring; its answer time passing later is no silence to page
    for (count_missed counts nothing for an ended episode, so it must not escalate on the count left there)."""
    assert client.put("/api/v1/settings", json={"checkins.escalate_after_missed": 1},
                      headers=auth(admin_token)).status_code == 200
    patient = with_caregiver(client, admin_token)
    neuro_check_sent(client, runner, admin_token, clock)  # the patient's own check-in went unanswered meanwhile
    [silence] = [a for a in alerts(client, admin_token) if a["status"] == "open"]
    assert silence["reasons"] == ["missed_checkins"]
    at(clock, NEXT_DAY_10 + 20)
    assert client.post(f"/api/v1/alerts/{silence['id']}/resolve", json={"note": "Called, she is fine"},
                       headers=auth(admin_token)).status_code == 200
    at(clock, NEXT_DAY_10 + 30)
    assert client.post(f"/api/v1/patients/{patient['id']}/end", json={"reason": "admitted"},
                       headers=auth(admin_token)).status_code == 200
    pages_before = len(nurse_pages(client, admin_token))
    at(clock, NEXT_DAY_10 + 121)
    tick(runner)
    assert check_statuses(config)[0] == "missed"
    assert [a["status"] for a in alerts(client, admin_token)] == ["resolved"]
    assert len(nurse_pages(client, admin_token)) == pages_before


def test_neuro_check_changed_answer_is_urgent(app, client, runner, admin_token, phone, clock):
    patient = with_caregiver(client, admin_token)
    neuro_check_sent(client, runner, admin_token, clock)
    at(clock, NEXT_DAY_10 + 5)
    before = messages(client, admin_token)[-1]["id"]
    phone.text("CHANGE she could not write her name", sender=DAUGHTER)
    urgent = render("reply_urgent_in_hours", "en", clinic_phone=CLINIC_PHONE_SHOWN)
    assert [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)] == [urgent]
    assert [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE, before)] == [urgent]
    [alert] = [a for a in alerts(client, admin_token) if a["status"] != "resolved"]
    assert alert["level"] == "urgent" and "neuro_check_changed" in alert["reasons"]
    assert any("change" in line for line in neuro_items(app, patient["id"]))
    shown = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert shown["latest_assessment"]["reasons"] == ["neuro_check_changed"]


def test_neuro_check_in_spanish_with_a_spanish_answer(client, runner, admin_token, phone, clock):
    with_caregiver(client, admin_token)
    client.delete("/api/v1/patients/1/caregivers/1", headers=auth(admin_token))
    client.post("/api/v1/patients/1/caregivers", json=DAUGHTER_BODY, headers=auth(admin_token))
    check = neuro_check_sent_es(client, runner, admin_token, clock)
    assert "no un examen" in check["body"]
    at(clock, NEXT_DAY_10 + 5)
    phone.text("Todo bien, gracias", sender=DAUGHTER)
    assert texts_to(client, admin_token, DAUGHTER)[-1]["body"].startswith("Gracias, anotamos que Pat sigue igual")


def neuro_check_sent_es(client, runner, token, clock) -> dict:
    tick(runner)
    at(clock, NEXT_DAY_10)
    tick(runner)
    return texts_to(client, token, DAUGHTER)[-1]


def test_neuro_check_without_an_answer_is_missed_by_the_next_checkin(app, client, runner, admin_token, phone, clock):
    patient = with_caregiver(client, admin_token)
    neuro_check_sent(client, runner, admin_token, clock)
    phone.text("98.6")  # the patient answers their own check-in: the missed count starts at 0
    at(clock, NEXT_DAY_10 + 119)
    tick(runner)
    assert not any("missed" in line for line in neuro_items(app, patient["id"]))
    at(clock, NEXT_DAY_10 + 120)
    tick(runner)
    assert any("missed" in line for line in neuro_items(app, patient["id"]))
    shown = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert shown["episode"]["missed_checkins"] >= 1  # counted as a missed check-in: silence is a symptom
    phone.text("ok", sender=DAUGHTER)  # too late for that check: an ordinary text now
    assert sum("as usual" in line for line in neuro_items(app, patient["id"])) == 0


def test_no_neuro_check_without_a_caregiver_or_when_turned_off(client, runner, admin_token, clock, config):
    enroll(client, admin_token)
    tick(runner)
    at(clock, NEXT_DAY_10)
    tick(runner)
    assert not any("daily check" in m["body"] for m in messages(client, admin_token))


def test_neuro_check_setting_off_and_validated(tmp_path, clock):
    from conftest import base_config

    from app import create_app
    from monitoring.config import ConfigError, load

    config = base_config(tmp_path / "off.db")
    config["checkins"] = {"neuro_check_time": ""}
    app = create_app(config)
    app.testing = True
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    client = app.test_client()
    from conftest import add_staff
    token = add_staff(runner, "Ada Admin", "admin")
    with_caregiver(client, token)
    tick(runner)
    at(clock, NEXT_DAY_10)
    tick(runner)
    assert not any("daily check" in m["body"] for m in messages(client, token))
    with pytest.raises(ConfigError, match="checkins.neuro_check_time"):
        load({"checkins": {"neuro_check_time": "25:00"}})


@pytest.mark.parametrize("language, said", [
    ("en", ("This needs care now. Get them to the emergency department NOW. Call 911 if it is severe or they cannot "
           "breathe. Tell the ED they had a dose of teclistamab. Clinic: (555) 555-0100")),
    ("es", ("Esto es urgente. Lleve AHORA a su familiar a la sala de emergencias. Llame al 911 si es grave o si no puede "
           "respirar. Diga que le dieron una dosis de teclistamab. Tel: (555) 555-0100")),
])
def test_a_caregivers_red_flag_at_night_tells_them_to_take_the_patient_to_the_ed(client, runner, admin_token, phone,
                                                                              clock, language, said):
    """Played at 3 a.m.: a husband texted "her o2 is 86" and was told, as the patient is, "Go to the emergency
    department NOW. Call 911 if it is severe or you cannot breathe. Tell them you had a dose of teclistamab": the
    ED must hear that the patient had the drug, and the one to act is the caregiver (SOP 5 Grade 1 Home: new
    hypoxia < 90%, present to ED; Grade 2: ED after hours). The patient still gets the patient's words."""
    clock.move_to(START.replace(hour=3))
    enroll(client, admin_token, caregivers=[{"name": "Luis", "phone": DAUGHTER, "language": language,
                                             "relationship": "husband"}])
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    assert phone.text("her o2 is 86", sender=DAUGHTER).status_code == 200
    assert [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)] == [said]
    [patients_text] = [m["body"] for m in texts_to(client, admin_token, PATIENT_PHONE, before)]
    assert patients_text == render("reply_urgent_after_hours", "en", clinic_phone=CLINIC_PHONE_SHOWN,
                                   therapy="teclistamab")


@pytest.mark.parametrize("key,language", [(k, lang) for k in CAREGIVER_KEYS for lang in LANGUAGES])
def test_caregiver_texts_are_gsm7_where_the_words_allow(key, language):
    text = render(key, language, clinic_name="Northern Valley Cancer Centers", clinic_phone=CLINIC_PHONE_SHOWN,
                  first_name="Guadalupe", choices="P.E. or M.G.", therapy="teclistamab", next_checkin="3:45 PM",
                  next_dose_time="Wed 11:45 PM")
    assert is_gsm7(text) or (key in CAREGIVER_UCS2 and language == "es")


# --- The dashboard ------------------------------------------------------------------------------------------

@pytest.fixture
def nurse_browser(app):
    add_user(app, "Nina Nurse", "nurse")
    browser = app.test_client()
    assert sign_in(browser, "Nina Nurse").status_code == 302
    return browser


def test_the_enrollment_form_takes_caregivers_and_names_a_bad_one(nurse_browser, client, admin_token):
    token = csrf_from(nurse_browser.get("/dashboard/patients/new").text)
    form = {"name": "Pat Example", "phone": PATIENT_PHONE, "language": "en", "therapy": "teclistamab",
            "dose_given_at": "2026-03-03T09:30", "csrf_token": token,
            "caregivers[0].name": "Maria Example", "caregivers[0].phone": "12",
            "caregivers[0].relationship": "daughter"}
    refused = nurse_browser.post("/dashboard/patients/new", data=form)
    assert refused.status_code == 400
    assert "Caregiver 1: cell &#39;12&#39; is not a possible phone number" in refused.text
    assert 'id="caregivers[0]-phone"' in refused.text and 'aria-describedby="caregivers[0].phone-error"' in refused.text
    form["caregivers[0].phone"] = DAUGHTER
    form["caregivers[1].name"], form["caregivers[1].phone"], form["caregivers[1].language"] = "Joe", HUSBAND, "es"
    enrolled = nurse_browser.post("/dashboard/patients/new", data=form)
    assert enrolled.status_code == 303
    [patient] = client.get("/api/v1/patients", headers=auth(admin_token)).get_json()
    assert [(c["name"], c["relationship"], c["language"]) for c in patient["caregivers"]] == [
        ("Maria Example", "daughter", "en"), ("Joe", None, "es")]


def test_the_patient_page_shows_adds_and_removes_caregivers(nurse_browser, client, admin_token):
    patient = with_caregiver(client, admin_token)
    page = nurse_browser.get(f"/dashboard/patients/{patient['id']}").text
    assert "Maria Example (caregiver, daughter)" in page and DAUGHTER in page
    token = csrf_from(page)
    url = f"/dashboard/patients/{patient['id']}/caregivers"
    bad = nurse_browser.post(url, data={"name": "Joe", "phone": PATIENT_PHONE, "csrf_token": token})
    assert bad.status_code == 400 and "must not be the patient&#39;s own phone" in bad.text
    added = nurse_browser.post(url, data={"name": "Joe", "phone": HUSBAND, "relationship": "husband",
                                          "csrf_token": token})
    assert added.status_code == 302
    page = nurse_browser.get(f"/dashboard/patients/{patient['id']}").text
    assert "Joe (caregiver, husband)" in page and "Add caregiver" not in page  # two: the form goes
    maria = patient["caregivers"][0]["id"]
    assert nurse_browser.post(f"{url}/{maria}/remove", data={"csrf_token": token}).status_code == 302
    shown = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert [c["name"] for c in shown["caregivers"]] == ["Joe"]


def test_a_nurse_who_is_also_a_caregiver_still_acknowledges_by_text(client, runner, admin_token, phone, clock):
    # the on-call nurse's phone: an SMS ACK takes only alerts that phone was paged for or is on call for
    nurse_phone = NURSES[0]
    patient = enroll(client, admin_token, caregivers=[{"name": "Nora Nurse", "phone": nurse_phone}])
    tick(runner)
    phone.text("o2 85")
    [alert] = alerts(client, admin_token)
    phone.text("ACK", sender=nurse_phone)
    assert alerts(client, admin_token)[0]["status"] == "acknowledged"
    phone.text("98.6", sender=nurse_phone)  # anything else from that phone is the caregiver's
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert round(readings[0]["temperature_c"], 1) == 37.0 and alert["id"] == 1


def test_the_neuro_check_time_is_a_clinic_setting(client, runner, admin_token, clock):
    def put(value):
        return client.put("/api/v1/settings", json={"checkins.neuro_check_time": value}, headers=auth(admin_token))

    refused = put("25:00")
    assert refused.status_code == 400 and refused.get_json()["field"] == "checkins.neuro_check_time"
    assert put("09:30").status_code == 200
    with_caregiver(client, admin_token)
    tick(runner)
    at(clock, NEXT_DAY_10 - 31)
    tick(runner)
    assert not any("daily check" in m["body"] for m in texts_to(client, admin_token, DAUGHTER))
    at(clock, NEXT_DAY_10 - 30)
    tick(runner)
    assert "daily check" in texts_to(client, admin_token, DAUGHTER)[-1]["body"]


def test_a_caregivers_picture_is_answered_in_a_caregivers_words(client, runner, admin_token, phone, clock):
    with_caregiver(client, admin_token)
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    phone.text("", sender=DAUGHTER, media=1)
    assert [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)] == [
        render("caregiver_picture", "en", first_name="Pat", clinic_phone=CLINIC_PHONE_SHOWN)]


@pytest.mark.parametrize("language, body", [("en", "please call me"), ("es", "please call me")], ids=["en", "es"])
def test_a_held_worry_from_a_phone_caring_for_two_patients_is_answered_in_a_caregivers_words(
        client, runner, admin_token, phone, clock, language, body):
    """Review: a caregiver of two patients texting "please call me" pages both nurses' alerts before it is
    attributed, and was told the patient's words, "Your nurse has been alerted and will call you soon. If you
    feel worse ...", as if she were the patient. Which patient it is about is not known yet, so the caregiver's
    wording names no one."""
    with_caregiver(client, admin_token)
    enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
           caregivers=[{"name": "Maria Example", "phone": DAUGHTER, "language": language}])
    tick(runner)
    before = messages(client, admin_token)[-1]["id"]
    phone.text(body, sender=DAUGHTER)
    told = [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)]
    assert len(nurse_pages(client, admin_token)) == 2
    assert told[0] == render("caregiver_review_unattributed", language, clinic_phone=CLINIC_PHONE_SHOWN), told
    assert render("reply_clinician_review", language, clinic_phone=CLINIC_PHONE_SHOWN) not in told


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_caregivers_signs_carry_the_numbers_of_the_patients_safety_net(language):
    """Review: a caregiver's fever reply carries caregiver_signs where the patient's carries reply_fever_safety_net
    (triage.replies.CAREGIVER_WORDING). SOP 5, Grade 1 Home (SOP.txt line 64): recontact the clinic if the blood
    pressure is "< 90 mm Hg systolic" or "new hypoxia (< 90%)". The patient is told "your top blood pressure number
    is under 90"; the caregiver (and the caregiver's welcome) only "low blood pressure": the number was dropped."""
    values = {"clinic_phone": CLINIC_PHONE_SHOWN, "first_name": "Pat"}
    patient = render("reply_fever_safety_net", language, **values)
    caregiver = render("caregiver_signs", language, **values)
    # two numbers: the patient's Spanish says both at once ("la presion de arriba o el oxigeno bajan de 90")
    assert caregiver.count("90") == max(2, patient.count("90")), (patient, caregiver)
    assert CLINIC_PHONE_SHOWN in caregiver


@pytest.mark.parametrize("key", sorted(set(CAREGIVER_WORDING.values())))
def test_a_spanish_caregiver_is_never_told_su_temperatura_or_si_tiene_fiebre(key):
    """Review: to a caregiver spoken to as "usted", "mande su temperatura" reads "send YOUR temperature" and "si tiene
    fiebre ... puede darle otra" "if YOU have a fever"; the English twins say "their temperature", "if Pat has a
    fever". The patient's temperature and fever are said of the patient by name ("la temperatura de Pat")."""
    text = render(key, "es", clinic_phone=CLINIC_PHONE_SHOWN, first_name="Pat", next_checkin="a las 3:45 PM",
                  next_dose_time="a las 9:45 PM", therapy="teclistamab", clinic_name="Test Cancer Center")
    assert not re.search(r"\bsu temperatura\b|\bsi tiene fiebre\b", text, re.IGNORECASE), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caregivers_text_after_monitoring_ended_is_answered_about_the_patient(client, runner, admin_token, phone,
                                                                                  clock, language):
    """Review: a caregiver texting after the episode ended was told the patient's "Check-in texts are not active for
    you" ("Sus mensajes de control ya terminaron"): the texts that ended are the patient's. Same facts (no one
    reads it; call the clinic; 911), said of the patient by name."""
    enroll(client, admin_token, monitoring_hours=2, caregivers=[
        {"name": "Maria Example", "phone": DAUGHTER, "relationship": "daughter", "language": language}])
    tick(runner)
    at(clock, 121)
    tick(runner)  # the episode ends
    at(clock, 200)
    before = messages(client, admin_token)[-1]["id"]
    phone.text("ok thanks", sender=DAUGHTER)
    told = [m["body"] for m in texts_to(client, admin_token, DAUGHTER, before)]
    assert len(told) == 1 and not told[0].startswith(("Check-in texts are not active for you", "Sus mensajes")), told
    assert told == [render("caregiver_already_stopped", language, first_name="Pat", clinic_phone=CLINIC_PHONE_SHOWN)]
    assert "911" in told[0] and CLINIC_PHONE_SHOWN in told[0]
