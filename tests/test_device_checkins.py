"""A device's readings (a wearable or a hub posting FHIR Observations) are no answer from the patient
(care.keep_checkin_pace): prompts and reminders go on, silence is still counted and paged (DESIGN.md: silence is a
symptom; confusion can stop a patient answering while the wearable goes on reading), and a fever the device reads
brings the next prompt forward to the febrile pace (SOP 5 Grade 1 Home: the 1-2 h check; config
febrile_interval_minutes), never later."""
from datetime import datetime, timedelta

from conftest import NURSES, PATIENT_PHONE, START, auth, texts_to
from fhirkit import add_device, observation, post
from test_checkins import at, open_alerts, tick


def device_reading(client, token, kind, value, minute):
    response = post(client, token, observation(kind, value, START + timedelta(minutes=minute)))
    assert response.status_code == 201, response.get_json()


def episode(client, token, patient):
    return client.get(f"/api/v1/patients/{patient['id']}", headers=auth(token)).get_json()["episode"]


def next_checkin(client, token, patient):
    return datetime.fromisoformat(episode(client, token, patient)["next_checkin_at"])


def test_a_silent_patient_wearing_a_device_is_still_asked_and_their_silence_paged(client, runner, admin_token,
                                                                                  patient, clock):
    """Before, every reading answered the check-in: a patient whose watch read an SpO2 every 10 minutes was never
    prompted again after enrollment and never counted missing, however long they stayed silent."""
    watch = add_device(runner, "Watch", patient["id"])
    for minute in range(5, 185, 10):
        at(clock, minute)
        device_reading(client, watch, "spo2", 96, minute)
        tick(runner)
    kinds = [text["kind"] for text in texts_to(client, admin_token, PATIENT_PHONE)]
    assert kinds == ["prompt", "reminder", "prompt", "reminder"]  # at 0 and 15, then at 125 and 145 (the ticks every 10 minutes)
    assert episode(client, admin_token, patient)["missed_checkins"] == 2
    [silence] = open_alerts(client, admin_token)
    assert silence["reasons"] == ["missed_checkins"]  # escalate_after_missed = 2
    assert "missed check-ins" in texts_to(client, admin_token, NURSES[0])[-1]["body"]


def test_a_device_reading_closes_no_check_in_and_takes_back_no_miss(client, runner, admin_token, patient, clock,
                                                                    phone):
    watch = add_device(runner, "Watch", patient["id"])
    at(clock, 5)
    device_reading(client, watch, "temp", 37.1, 5)
    at(clock, 15)
    tick(runner)
    assert [text["kind"] for text in texts_to(client, admin_token, PATIENT_PHONE)] == ["prompt", "reminder"]
    at(clock, 45)
    tick(runner)
    assert episode(client, admin_token, patient)["missed_checkins"] == 1
    at(clock, 50)
    device_reading(client, watch, "temp", 37.0, 50)
    assert episode(client, admin_token, patient)["missed_checkins"] == 1  # not taken back by the device
    at(clock, 60)
    phone.text("98.6 feel fine")  # the patient's own answer is one
    assert episode(client, admin_token, patient)["missed_checkins"] == 0


def test_a_fever_the_device_reads_brings_the_next_prompt_forward_never_later(client, runner, admin_token, patient,
                                                                             clock, phone):
    watch = add_device(runner, "Patch thermometer", patient["id"])
    at(clock, 5)
    phone.text("98.6")  # answered: next check-in at 125 (interval_minutes 120)
    assert next_checkin(client, admin_token, patient) == START + timedelta(minutes=125)
    at(clock, 20)
    device_reading(client, watch, "temp", 37.2, 20)  # no fever: the pace is kept, not put off
    assert next_checkin(client, admin_token, patient) == START + timedelta(minutes=125)
    at(clock, 30)
    device_reading(client, watch, "temp", 38.4, 30)  # SOP 4 Grading: fever >= 38.0 C: hourly (febrile_interval 60)
    assert next_checkin(client, admin_token, patient) == START + timedelta(minutes=90)
    at(clock, 40)
    device_reading(client, watch, "temp", 38.5, 40)  # a later fever never puts the sooner prompt off
    assert next_checkin(client, admin_token, patient) == START + timedelta(minutes=90)
    at(clock, 90)
    tick(runner)
    assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["kind"] == "prompt"


def test_a_fever_the_device_reads_while_a_check_in_is_open_still_brings_the_next_prompt_forward(
        client, runner, admin_token, patient, clock, phone):
    """Review: the fever came while the prompt was out, unanswered (the likelier moment: the patient feels ill and
    does not answer), and the next prompt stayed at the 2-hour pace (245) for a febrile, silent patient; the SOP's
    1 h end (SOP 5 Grade 1 Home, febrile_interval_minutes 60) puts it at 190."""
    watch = add_device(runner, "Patch thermometer", patient["id"])
    at(clock, 5)
    phone.text("98.6")  # next check-in at 125
    at(clock, 125)
    tick(runner)  # the prompt goes out: the check-in is open; the next one due at 245 (no fever yet)
    assert next_checkin(client, admin_token, patient) == START + timedelta(minutes=245)
    at(clock, 130)
    device_reading(client, watch, "temp", 38.6, 130)  # SOP 4 Grading: fever >= 38.0 C
    assert next_checkin(client, admin_token, patient) == START + timedelta(minutes=190)
    for minute in (140, 170, 190):  # reminder, missed, and the febrile-pace prompt
        at(clock, minute)
        tick(runner)
    sent = [(text["kind"], text["created_at"]) for text in texts_to(client, admin_token, PATIENT_PHONE)
            if text["kind"] in ("prompt", "reminder")]
    assert [kind for kind, _ in sent] == ["prompt", "prompt", "reminder", "prompt"]  # 0, 125, 140, 190
    assert datetime.fromisoformat(sent[-1][1]) == START + timedelta(minutes=190)
