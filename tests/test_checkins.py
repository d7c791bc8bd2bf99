"""Check-ins on the clock: prompts, one reminder, missed check-ins, febrile pace, episode end, outages, DST.

Time is moved with time_machine; `flask tick` runs the due work, as the scheduler does every few seconds.
"""
from datetime import timedelta

import pytest
import time_machine
from conftest import NURSES, PATIENT_PHONE, START, auth, base_config, enroll, texts_to


def tick(runner):
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return result.output


def kinds(client, token, after_id=0):
    return [m["kind"] for m in texts_to(client, token, PATIENT_PHONE, after_id)]


def last_id(client, token):
    rows = client.get("/api/v1/messages", headers=auth(token)).get_json()
    return rows[-1]["id"] if rows else 0


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def open_alerts(client, token):
    return client.get("/api/v1/alerts", headers=auth(token)).get_json()


def test_first_prompt_at_enrollment_then_every_interval(client, runner, admin_token, clock):
    enroll(client, admin_token)
    tick(runner)
    assert kinds(client, admin_token) == ["prompt"]
    tick(runner)
    assert kinds(client, admin_token) == ["prompt"]  # a second tick sends nothing new
    at(clock, 119)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 1
    at(clock, 120)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 2


def test_one_reminder_then_missed_then_alert(client, runner, admin_token, patient, clock):
    at(clock, 14)
    tick(runner)
    assert "reminder" not in kinds(client, admin_token)
    at(clock, 15)
    tick(runner)
    at(clock, 30)
    tick(runner)
    assert kinds(client, admin_token).count("reminder") == 1
    at(clock, 45)
    tick(runner)
    assert open_alerts(client, admin_token) == []  # one miss is not yet an alert
    for minute in (120, 135, 164):
        at(clock, minute)
        tick(runner)
    assert open_alerts(client, admin_token) == []
    at(clock, 165)
    tick(runner)
    alerts = open_alerts(client, admin_token)
    assert [a["reasons"] for a in alerts] == [["missed_checkins"]]
    assert alerts[0]["level"] == "clinician_review"
    assert texts_to(client, admin_token, NURSES[0])


def test_an_answer_resets_the_missed_count(client, runner, admin_token, patient, clock, phone):
    at(clock, 45)
    tick(runner)  # missed 1
    at(clock, 100)
    phone.text("98.6")  # answers; next check-in due 120 min after the answer
    at(clock, 219)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 1
    at(clock, 220)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 2
    at(clock, 265)
    tick(runner)  # missed again, but the count restarted at the answer
    assert open_alerts(client, admin_token) == []
    body = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert body["episode"]["missed_checkins"] == 1


def test_fever_makes_check_ins_hourly(client, runner, admin_token, patient, clock, phone):
    at(clock, 5)
    phone.text("101.5")
    body = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert body["episode"]["next_checkin_at"] == (START + timedelta(minutes=65)).astimezone(
        __import__("datetime").timezone.utc).isoformat()
    at(clock, 65)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 2
    at(clock, 70)
    phone.text("98.9")  # back to normal: every two hours again
    at(clock, 189)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 2
    at(clock, 190)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 3


def test_patient_interval_override(client, runner, admin_token, clock):
    enroll(client, admin_token, checkin_interval_minutes=60)
    tick(runner)
    at(clock, 60)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 2


def test_episode_ends_after_monitoring_hours_with_closing_text(client, runner, admin_token, patient, clock, phone):
    at(clock, 72 * 60 - 1)
    tick(runner)
    before = kinds(client, admin_token)
    assert "info" not in before
    at(clock, 72 * 60)
    tick(runner)
    after = texts_to(client, admin_token, PATIENT_PHONE)
    closing = after[-1]
    assert closing["kind"] == "info" and "complete" in closing["body"].lower()
    count = len(after)
    at(clock, 80 * 60)
    tick(runner)
    assert len(texts_to(client, admin_token, PATIENT_PHONE)) == count  # prompts stopped
    body = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert body["episode"]["status"] == "ended"
    phone.text("101.5")
    reply = texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"]
    assert "not active" in reply.lower()


def test_six_hour_outage_sends_one_prompt_and_counts_one_miss(client, runner, admin_token, patient, clock):
    # prompt at 0 went out; the service is down from 1 min to 6 h 1 min
    at(clock, 361)
    tick(runner)
    patient_kinds = kinds(client, admin_token)
    assert patient_kinds.count("prompt") == 2  # one catch-up prompt, not three
    assert patient_kinds.count("reminder") == 0  # the stale reminder is not sent after the miss
    body = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()
    assert body["episode"]["missed_checkins"] == 1
    assert open_alerts(client, admin_token) == []
    # the catch-up prompt goes unanswered: the second miss in a row escalates
    at(clock, 361 + 45)
    tick(runner)
    assert [a["reasons"] for a in open_alerts(client, admin_token)] == [["missed_checkins"]]


def test_opted_out_patient_gets_no_prompts(client, runner, admin_token, patient, clock, phone):
    at(clock, 5)
    phone.text("STOP")
    count = len(texts_to(client, admin_token, PATIENT_PHONE))
    at(clock, 240)
    tick(runner)
    assert len(texts_to(client, admin_token, PATIENT_PHONE)) == count
    at(clock, 250)
    phone.text("START")
    at(clock, 251)
    tick(runner)
    assert texts_to(client, admin_token, PATIENT_PHONE)[-1]["kind"] == "prompt"


@pytest.fixture
def quiet_app(tmp_path):
    from app import create_app

    def build(start):
        config = base_config(tmp_path / "quiet.db")
        config["checkins"] = {"quiet_start": "22:00", "quiet_end": "06:00"}
        traveller = time_machine.travel(start, tick=False)
        clock = traveller.start()
        application = create_app(config)
        application.testing = True
        application.test_cli_runner().invoke(args=["init-db"])
        return application, clock, traveller

    return build


@pytest.mark.parametrize("start, night_prompts", [
    pytest.param("2026-03-07T20:00:00-06:00", "spring-forward", id="dst-spring-forward"),
    pytest.param("2026-10-31T20:00:00-05:00", "fall-back", id="dst-fall-back"),
])
def test_quiet_hours_hold_across_dst(quiet_app, start, night_prompts):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from conftest import add_staff

    application, clock, traveller = quiet_app(datetime.fromisoformat(start))
    try:
        client, runner = application.test_client(), application.test_cli_runner()
        token = add_staff(runner, "Ada Admin", "admin")
        enroll(client, token, dose_given_at=start)
        zone = ZoneInfo("America/Chicago")
        sent_local = []
        moment = datetime.fromisoformat(start)
        for _ in range(15 * 12):  # 15 hours in 5-minute ticks, through the night of the DST change
            clock.move_to(moment)
            before = len(kinds(client, token))
            tick(runner)
            if len(kinds(client, token)) > before and kinds(client, token)[-1] == "prompt":
                sent_local.append(moment.astimezone(zone))
            moment += timedelta(minutes=5)
        night = [t for t in sent_local if t.hour >= 22 or t.hour < 6]
        assert night == [], f"prompts in quiet hours: {night}"
        morning = [t for t in sent_local if t.hour == 6 and t.minute == 0]
        assert morning, f"no prompt at 06:00 local after the quiet night: {sent_local}"
    finally:
        traveller.stop()


def test_a_silent_febrile_patient_is_still_asked_hourly(client, runner, admin_token, patient, clock, phone):
    at(clock, 5)
    phone.text("101.5")  # next check-in at 65
    at(clock, 65)
    tick(runner)  # prompted, and then silence
    at(clock, 125)
    tick(runner)
    assert kinds(client, admin_token).count("prompt") == 3  # hourly, not two-hourly, while febrile


def _prompt_minutes(clinic) -> dict:
    """How many prompts may leave in each minute after START (their next_attempt_at)."""
    from collections import Counter

    from monitoring.store import from_text

    rows = clinic.db.execute("SELECT next_attempt_at FROM messages WHERE kind = 'prompt'").fetchall()
    return dict(Counter(int((from_text(row[0]) - START).total_seconds() // 60) for row in rows))


@pytest.mark.parametrize("per_second, spread, expected", [
    pytest.param(0.1, 5, {0: 8, 1: 8, 2: 8, 3: 8, 4: 8}, id="6-a-minute-sender-40-due-over-5-minutes"),
    pytest.param(0.1, 30, {0: 6, 1: 6, 2: 6, 3: 6, 4: 6, 5: 6, 6: 4}, id="at-the-sender-rate-within-the-spread"),
    pytest.param(0.1, 0, {0: 40}, id="spread-off"),
    pytest.param(1.0, 5, {0: 40}, id="fewer-than-a-minute-of-sending-leave-at-once"),
])
def test_prompts_due_together_are_spread_over_the_first_minutes(app, client, admin_token, clock, per_second,
                                                                 spread, expected):
    """Issue 19: 40 prompts due in the same minute leave over the interval's first minutes (`[sms]
    prompt_spread_minutes`), as fast as the sender takes them, and before their reminder is due (15 min)."""
    import copy

    from monitoring.checkins import send_prompts
    from monitoring.clinic import open_clinic

    for index in range(40):
        enroll(client, admin_token, name=f"P {index}", phone=f"+1312555{index:04d}")
    settings = copy.deepcopy(app.config["CRS"])
    settings["sms"].update(max_per_second=per_second, prompt_spread_minutes=spread)
    clinic = open_clinic(settings)
    assert send_prompts(clinic, START) == 40  # the clock fixture stands at START
    assert _prompt_minutes(clinic) == expected
    assert max(expected) < settings["checkins"]["reminder_after_minutes"]


def test_a_spread_burst_leaves_a_minute_at_a_time_and_urgent_texts_never_wait_behind_it(app, client, admin_token,
                                                                                        clock, phone):
    import copy

    from monitoring.checkins import send_prompts
    from monitoring.clinic import open_clinic
    from scheduler.delivery import deliver_due

    class Gateway:
        def __init__(self):
            self.sent = []

        def send(self, to, from_, body, kind, status_callback=None):
            self.sent.append((to, kind))
            return f"SMout{len(self.sent):029d}"

    enroll(client, admin_token)
    for index in range(39):
        enroll(client, admin_token, name=f"P {index}", phone=f"+1312555{index:04d}")
    settings = copy.deepcopy(app.config["CRS"])
    settings["sms"].update(max_per_second=0.1, prompt_spread_minutes=5)
    send_prompts(open_clinic(settings), START)  # the clock fixture stands at START
    gateway = Gateway()
    phone.text("o2 85")  # SOP 5 Grade 1 Home: new hypoxia, during the burst
    deliver_due(open_clinic(settings), gateway)
    assert gateway.sent[:2] == [(NURSES[0], "alert"), (PATIENT_PHONE, "reply")]
    assert [kind for _, kind in gateway.sent[2:]] == ["prompt"] * 8  # only the first minute's share
    at(clock, 1)
    deliver_due(open_clinic(settings), gateway)
    assert len(gateway.sent) == 2 + 16
