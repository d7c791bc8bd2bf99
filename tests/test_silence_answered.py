"""An alert raised only for silence (missed_checkins: CONTRACT section 5; DESIGN.md: silence is a symptom) stops
paging once the patient, or a caregiver for them, answers (monitoring.alerts.patient_answered): the nurse woken
for it is told once she may stand down, and the next person on call is not woken every ack timeout for a patient
who has answered. It stays open until a person resolves it; a red flag in the answer keeps it paging; a new
silence pages again."""
from conftest import NURSES, auth, enroll, texts_to
from test_caregivers import DAUGHTER, with_caregiver
from test_checkins import at, open_alerts, tick

SILENT_UNTIL_PAGED = (15, 45, 120, 135, 165)  # a reminder, a miss, a second prompt, reminder, second miss: paged


def silence_paged(client, runner, admin_token, clock) -> dict:
    for minute in SILENT_UNTIL_PAGED:
        at(clock, minute)
        tick(runner)
    [silence] = open_alerts(client, admin_token)
    assert silence["reasons"] == ["missed_checkins"]
    assert [m["kind"] for m in texts_to(client, admin_token, NURSES[0])] == ["alert"]
    return silence


def silent_on_a_rota(client, runner, admin_token, clock) -> None:
    """Staff on a rota (Dana Day first in clinic hours, then Nell Night: test_rota), a patient enrolled, then
    silent until the missed check-ins page Dana Day (SILENT_UNTIL_PAGED)."""
    from test_rota import set_rota, staff

    staff(runner)
    set_rota(client, admin_token, clinic_hours=["Dana Day", "Nell Night"])
    enroll(client, admin_token)
    tick(runner)
    for minute in SILENT_UNTIL_PAGED:
        at(clock, minute)
        tick(runner)


def nurse_texts(client, token, nurse=NURSES[0]) -> list[tuple[str, str]]:
    return [(m["kind"], m["body"]) for m in texts_to(client, token, nurse)]


def events(app, alert_id) -> list[str]:
    from monitoring.clinic import open_clinic
    from monitoring.timeline import alert_detail

    with app.app_context():
        opened = open_clinic(app.config["CRS"])
        try:
            return [event["kind"] for event in alert_detail(opened, alert_id)["events"]]
        finally:
            opened.db.close()


def test_an_answer_stops_the_silence_alert_paging_and_tells_the_nurse_once(app, client, runner, admin_token, patient,
                                                                           clock, phone):
    silence = silence_paged(client, runner, admin_token, clock)
    at(clock, 170)
    phone.text("98.6 sorry was asleep")  # SOP 4 Grading: no fever; nothing to page for
    for minute in (171, 181, 200, 230, 300):  # past the 15-minute ack timeout several times
        at(clock, minute)
        tick(runner)
    told = nurse_texts(client, admin_token)
    assert [kind for kind, _ in told] == ["alert", "info"]  # no NOT ACKED re-page after the answer
    assert told[1][1].startswith(f"crswatch: P.E.'s check-in was answered at 12:50 PM. Alert {silence['id']} (missed check-ins) "
                                 "pages no one now")
    assert "No reply needed" in told[1][1]
    assert texts_to(client, admin_token, NURSES[1]) == []  # the next person on call was never woken
    [still] = open_alerts(client, admin_token)
    assert still["id"] == silence["id"] and still["status"] == "open"  # a person closes it
    assert (silence["paging"], still["paging"]) == (True, False)  # what GET /api/v1/alerts tells an outside client
    assert "stopped_paging" in events(app, silence["id"])
    at(clock, 310)
    phone.text("ACK", sender=NURSES[0])
    shown = client.get("/api/v1/alerts", query_string={"status": "all"}, headers=auth(admin_token)).get_json()
    assert [(alert["id"], alert["status"]) for alert in shown] == [(silence["id"], "acknowledged")]


def test_a_red_flag_in_the_answer_keeps_the_alert_paging(app, client, runner, admin_token, patient, clock, phone):
    silence = silence_paged(client, runner, admin_token, clock)
    at(clock, 170)
    phone.text("o2 85")  # SOP 5 Grade 1 Home: new hypoxia (< 90%)
    [alert] = open_alerts(client, admin_token)
    assert alert["id"] == silence["id"] and set(alert["reasons"]) == {"missed_checkins", "hypoxia"}
    at(clock, 181)  # the silence page's 15-minute ack timeout
    tick(runner)
    told = nurse_texts(client, admin_token)
    assert [kind for kind, _ in told if kind == "alert"] == ["alert", "alert", "alert"]  # page, update, re-page
    assert "NOT ACKED" in told[-1][1] and "call" in [kind for kind, _ in told]  # urgent: called at 5 min
    assert texts_to(client, admin_token, NURSES[1])  # and up the chain
    assert "stopped_paging" not in events(app, silence["id"])


def test_a_new_silence_after_the_answer_pages_again(client, runner, admin_token, patient, clock, phone):
    silence = silence_paged(client, runner, admin_token, clock)
    at(clock, 170)
    phone.text("98.6")
    for minute in (290, 305, 335, 410, 425, 455):  # next prompt at 290: two more missed, unanswered
        at(clock, minute)
        tick(runner)
    [alert] = open_alerts(client, admin_token)
    assert alert["id"] == silence["id"]
    told = nurse_texts(client, admin_token)
    assert [kind for kind, _ in told] == ["alert", "info", "alert"]
    assert "missed check-ins" in told[2][1]
    at(clock, 471)  # and it escalates again when nobody acknowledges
    tick(runner)
    assert "NOT ACKED" in nurse_texts(client, admin_token)[-1][1]


def test_a_caregiver_s_answer_stops_it_too(client, runner, admin_token, clock, phone):
    with_caregiver(client, admin_token)  # the caregiver is asked to check first: the nurse is paged at 170, not 165
    for minute in range(5, 175, 5):
        at(clock, minute)
        tick(runner)
    assert [m["kind"] for m in texts_to(client, admin_token, NURSES[0])] == ["alert"]
    at(clock, 175)
    phone.text("her temp is 98.4, she was asleep", sender=DAUGHTER)
    at(clock, 200)
    tick(runner)
    assert [kind for kind, _ in nurse_texts(client, admin_token)] == ["alert", "info"]
    assert texts_to(client, admin_token, NURSES[1]) == []


def test_an_acknowledged_silence_alert_is_left_as_it_is(app, client, runner, admin_token, patient, clock, phone):
    silence = silence_paged(client, runner, admin_token, clock)
    at(clock, 168)
    phone.text(f"ACK {silence['id']}", sender=NURSES[0])
    at(clock, 170)
    phone.text("98.6")
    assert [kind for kind, _ in nurse_texts(client, admin_token)] == ["alert", "info"]  # the ACK's answer only
    assert "acknowledged" in nurse_texts(client, admin_token)[-1][1]
    assert "stopped_paging" not in events(app, silence["id"])


def test_the_dashboard_says_the_alert_pages_no_one_now(app, client, runner, admin_token, patient, clock, phone):
    from test_dashboard import add_user, sign_in

    silence = silence_paged(client, runner, admin_token, clock)
    add_user(app, "Nina Nurse", "nurse")
    sign_in(client, "Nina Nurse")
    assert "pages no one now" not in client.get("/dashboard").get_data(as_text=True)
    at(clock, 170)
    phone.text("98.6")
    board = client.get("/dashboard").get_data(as_text=True)
    assert "pages no one now: a check-in was answered" in board
    page = client.get(f"/dashboard/alerts/{silence['id']}").get_data(as_text=True)
    assert 'id="paging-stopped"' in page and "stopped paging" in page


def test_an_answer_committed_while_the_tick_re_pages_stops_the_re_page(client, runner, admin_token, patient, clock,
                                                                       phone, monkeypatch):
    """Review (race): page_due reads the alerts due, then claims each in its own transaction; an answer committed by
    another worker in between (the patient's text at the ack timeout's minute) set next_page_at NULL, and the claim,
    which checked only the status and the round, re-paged the nurse and woke the next person on call anyway."""
    from contextlib import contextmanager

    from monitoring import alerts

    silence_paged(client, runner, admin_token, clock)
    real = alerts.transaction
    answered = []

    @contextmanager
    def answer_commits_first(db):
        if not answered:  # the first claim of the pass: the webhook's worker commits the answer just before it
            answered.append(True)
            phone.text("98.6 sorry was asleep")
        with real(db) as inner:
            yield inner

    monkeypatch.setattr(alerts, "transaction", answer_commits_first)
    at(clock, 181)  # the silence page's 15-minute ack timeout
    tick(runner)
    assert answered
    assert [kind for kind, _ in nurse_texts(client, admin_token)] == ["alert", "info"]  # no NOT ACKED re-page
    assert texts_to(client, admin_token, NURSES[1]) == []  # the next person on call not woken


def test_the_stand_down_text_goes_to_no_phone_revoked_since_the_page(client, runner, admin_token, clock, phone):
    """Review: the 'answered, pages no one now' text went to every phone the page had reached, a phone revoked since
    (the nurse left, or lost it) too: a revoked phone hears nothing of an alert (monitoring.voice: 'not_staff'), and
    its ACK no longer counts. The nurse the alert was handed to is told."""
    from test_rota import DAY_NURSE, NIGHT_BACKUP

    silent_on_a_rota(client, runner, admin_token, clock)
    assert [m["kind"] for m in texts_to(client, admin_token, DAY_NURSE)] == ["alert"]
    at(clock, 167)
    assert runner.invoke(args=["staff", "revoke", "Dana Day"]).exit_code == 0
    tick(runner)  # handed over to the next on call (alerts.hand_over)
    assert [m["kind"] for m in texts_to(client, admin_token, NIGHT_BACKUP)] == ["alert"]
    at(clock, 170)
    phone.text("98.6 sorry was asleep")
    assert [m["kind"] for m in texts_to(client, admin_token, NIGHT_BACKUP)] == ["alert", "info"]
    assert [m["kind"] for m in texts_to(client, admin_token, DAY_NURSE)] == ["alert"]  # nothing to the revoked phone


def test_a_bare_ack_takes_the_alert_still_paging_not_the_one_that_pages_no_one(client, runner, admin_token, patient,
                                                                              clock, phone):
    """Review: a bare ACK takes the newest open alert paged to the phone; a silence alert that pages no one now
    (newer) was taken instead of the urgent one still paging her, which went on re-paging and was called up the
    chain while the nurse believed she had acknowledged it."""
    other = "+15555550177"
    enroll(client, admin_token, name="Alma Bravo", phone=other)
    at(clock, 5)
    phone.text("98.6", sender=other)  # she answers: no silence of hers
    for minute in SILENT_UNTIL_PAGED[:-1]:
        at(clock, minute)
        tick(runner)
    at(clock, 160)
    phone.text("o2 85", sender=other)  # SOP 5 Grade 1 Home: new hypoxia (< 90%): urgent, paged
    [urgent] = open_alerts(client, admin_token)
    at(clock, 165)
    tick(runner)  # P.E.'s second miss: the silence alert, newer
    silence = next(alert for alert in open_alerts(client, admin_token) if alert["id"] != urgent["id"])
    assert silence["reasons"] == ["missed_checkins"] and silence["id"] > urgent["id"]
    at(clock, 170)
    phone.text("98.6 sorry was asleep")  # the silence alert pages no one now
    at(clock, 171)
    phone.text("ACK", sender=NURSES[0])
    shown = client.get("/api/v1/alerts", query_string={"status": "active"}, headers=auth(admin_token)).get_json()
    assert {alert["id"]: alert["status"] for alert in shown} == {urgent["id"]: "acknowledged", silence["id"]: "open"}
    assert nurse_texts(client, admin_token)[-1][1].startswith(f"Alert {urgent['id']} for A.B. acknowledged.")


def test_an_answer_the_service_could_not_believe_keeps_the_silence_alert_paging(app, client, runner, admin_token,
                                                                               patient, clock, phone):
    """Review: 'temp 150' after two missed check-ins (a value no body shows: the patient is asked to measure again)
    stood the silence alert down, and the nurse was told the patient had answered. A garbled answer after a
    silence is what confusion looks like (SOP 5 Grade 1 Home: confusion; DESIGN.md: silence is a symptom): the
    alert pages until a person takes it, or until the patient answers with a reading the service can read."""
    silence = silence_paged(client, runner, admin_token, clock)
    at(clock, 170)
    phone.text("temp 150")
    assert "measure" in texts_to(client, admin_token, "+15555550199")[-1]["body"].lower()
    at(clock, 181)  # the page's 15-minute ack timeout
    tick(runner)
    told = nurse_texts(client, admin_token)
    assert [kind for kind, _ in told] == ["alert", "alert"] and "NOT ACKED" in told[-1][1]
    assert "stopped_paging" not in events(app, silence["id"])
    at(clock, 183)
    phone.text("sorry 98.6")  # a reading it can read: now the silence has ended
    assert [kind for kind, _ in nurse_texts(client, admin_token)][-1] == "info"
    assert "stopped_paging" in events(app, silence["id"])


def test_an_answer_committed_while_the_tick_hands_over_leaves_no_hand_over_in_the_history(app, client, runner,
                                                                                          admin_token, clock, phone,
                                                                                          monkeypatch):
    """Review (race): hand_over reads the alerts waiting on a revoked phone, then hands each over in its own
    transaction; an answer committed in between stood the alert down, and the history still said 'handed over'
    after 'stopped paging' (the hand-over itself paged no one: page_next_now skips an alert paging no one)."""
    from contextlib import contextmanager

    from test_rota import DAY_NURSE, NIGHT_BACKUP

    from monitoring import alerts

    silent_on_a_rota(client, runner, admin_token, clock)
    [silence] = open_alerts(client, admin_token)
    at(clock, 167)
    assert runner.invoke(args=["staff", "revoke", "Dana Day"]).exit_code == 0
    real = alerts.transaction
    answered = []

    @contextmanager
    def answer_commits_first(db):
        if not answered:  # hand_over's transaction: the webhook's worker commits the answer just before it
            answered.append(True)
            phone.text("98.6 sorry was asleep")
        with real(db) as inner:
            yield inner

    monkeypatch.setattr(alerts, "transaction", answer_commits_first)
    tick(runner)
    assert answered
    kinds = events(app, silence["id"])
    assert kinds[-1] == "stopped_paging" and "handed_over" not in kinds
    assert texts_to(client, admin_token, NIGHT_BACKUP) == [] and len(texts_to(client, admin_token, DAY_NURSE)) == 1


def test_a_caregiver_of_two_stands_down_only_the_patient_they_name(app, client, runner, admin_token, clock, phone):
    """Guard (review): a text from a phone caring for two silent patients is held until the caregiver says whose it
    is (caregiver_texts), so it stands neither silence alert down; the initials stand down that patient's only."""
    with_caregiver(client, admin_token)
    enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
           caregivers=[{"name": "Maria Example", "phone": DAUGHTER}])
    for minute in range(5, 175, 5):
        at(clock, minute)
        tick(runner)
    silences = {alert["patient_id"]: alert["id"] for alert in open_alerts(client, admin_token)}
    assert len(silences) == 2
    at(clock, 175)
    phone.text("98.4, she was asleep", sender=DAUGHTER)  # whose? asked by initials
    assert not any("stopped_paging" in events(app, alert_id) for alert_id in silences.values())
    at(clock, 176)
    phone.text("M.G.", sender=DAUGHTER)
    stopped = {patient_id for patient_id, alert_id in silences.items() if "stopped_paging" in events(app, alert_id)}
    mia = next(patient_id for patient_id in silences if patient_id != min(silences))
    assert stopped == {mia}
