"""When the daily neuro check is scheduled (monitoring.neuro_checks, SOP 4 Workup line 39: "Assess for concurrent
symptoms of neurotoxicity"), now that the episodes needing one are kept as state (`neuro_checks_to_schedule`,
migration m013, issue 19) instead of found by reading every active episode each tick.

Each transition that may make an episode need its next check puts it on the list (a start, a resume, a
caregiver added or back, a check answered, missed or cancelled, a new check time), the tick takes it off,
and a paused or ended episode never gets a check. Time moves with the `clock` fixture; `flask tick` runs
the due work."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from conftest import START, auth, enroll, texts_to
from test_migrations import legacy_database

from monitoring.store import known_migrations, to_text

DAUGHTER = "+15555550188"
MARIA = {"name": "Maria Example", "phone": DAUGHTER, "relationship": "daughter"}
NEXT_DAY_10 = 24 * 60  # START is Tuesday 10:00 clinic time, the default check time
DAY = 24 * 60


def tick(runner) -> None:
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def at(clock, minutes: float) -> None:
    clock.move_to(START + timedelta(minutes=minutes))


def db_rows(config, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(config["database"]["path"])
    try:
        return [tuple(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def listed(config) -> list[int]:
    """The episodes waiting for the tick to look at their next check."""
    return [row[0] for row in db_rows(config, "SELECT episode_id FROM neuro_checks_to_schedule ORDER BY episode_id")]


def episode_of(config, patient: dict) -> int:
    return db_rows(config, "SELECT max(id) FROM episodes WHERE patient_id = ?", [patient["id"]])[0][0]


def checks(config) -> list[tuple[str, str]]:
    """(status, due_at in clinic minutes after START) of every check, oldest first."""
    rows = db_rows(config, "SELECT status, due_at FROM neuro_checks ORDER BY id")
    from monitoring.store import from_text
    return [(status, int((from_text(due) - START).total_seconds() // 60)) for status, due in rows]


def daily_checks_to(client, token) -> list[dict]:
    return [m for m in texts_to(client, token, DAUGHTER) if "daily check" in m["body"]]


def test_an_episode_started_with_a_caregiver_is_listed_then_scheduled_once(client, runner, admin_token, clock,
                                                                           config):
    patient = enroll(client, admin_token, caregivers=[MARIA])
    assert listed(config) == [episode_of(config, patient)]
    tick(runner)
    assert listed(config) == [] and checks(config) == [("scheduled", NEXT_DAY_10)]
    at(clock, 60)
    tick(runner)
    assert checks(config) == [("scheduled", NEXT_DAY_10)]  # not looked at again: nothing changed
    at(clock, NEXT_DAY_10)
    tick(runner)
    assert checks(config) == [("sent", NEXT_DAY_10)] and len(daily_checks_to(client, admin_token)) == 1


def test_a_caregiver_added_later_gets_the_next_check(client, runner, admin_token, clock, config):
    patient = enroll(client, admin_token)
    tick(runner)
    assert listed(config) == [] and checks(config) == []  # no caregiver: taken off, nothing scheduled
    at(clock, 30)
    response = client.post(f"/api/v1/patients/{patient['id']}/caregivers", json=MARIA, headers=auth(admin_token))
    assert response.status_code == 201
    assert listed(config) == [episode_of(config, patient)]
    tick(runner)
    assert checks(config) == [("scheduled", NEXT_DAY_10)]
    at(clock, NEXT_DAY_10)
    tick(runner)
    assert len(daily_checks_to(client, admin_token)) == 1


@pytest.mark.parametrize("answer,status", [("ok all normal", "normal"), ("CHANGE she could not write", "changed")])
def test_an_answered_check_lists_the_episode_for_the_next_day(client, runner, admin_token, phone, clock, config,
                                                              answer, status):
    patient = enroll(client, admin_token, caregivers=[MARIA])
    tick(runner)
    at(clock, NEXT_DAY_10)
    tick(runner)
    at(clock, NEXT_DAY_10 + 5)
    phone.text(answer, sender=DAUGHTER)
    assert listed(config) == [episode_of(config, patient)]
    tick(runner)
    assert checks(config) == [(status, NEXT_DAY_10), ("scheduled", NEXT_DAY_10 + DAY)]
    at(clock, NEXT_DAY_10 + DAY)
    tick(runner)
    assert len(daily_checks_to(client, admin_token)) == 2


def test_a_missed_check_lists_the_episode_for_the_next_day(client, runner, admin_token, phone, clock, config):
    enroll(client, admin_token, caregivers=[MARIA])
    tick(runner)
    at(clock, NEXT_DAY_10)
    tick(runner)
    at(clock, NEXT_DAY_10 + 120)  # one check-in interval: unanswered by the next check-in
    tick(runner)
    assert checks(config) == [("missed", NEXT_DAY_10), ("scheduled", NEXT_DAY_10 + DAY)]


def test_a_paused_episode_gets_no_check_until_it_resumes(client, runner, admin_token, phone, clock, config):
    patient = enroll(client, admin_token, caregivers=[MARIA], monitoring_hours=120)
    tick(runner)
    assert checks(config) == [("scheduled", NEXT_DAY_10)]
    at(clock, 60)
    response = client.post(f"/api/v1/patients/{patient['id']}/pause", json={"reason": "admitted"},
                           headers=auth(admin_token))
    assert response.status_code == 200
    at(clock, NEXT_DAY_10)
    tick(runner)  # due while paused: cancelled, not sent (the patient is in care)
    assert checks(config) == [("cancelled", NEXT_DAY_10)]
    tick(runner)
    assert listed(config) == [] and checks(config) == [("cancelled", NEXT_DAY_10)]  # none while paused
    at(clock, NEXT_DAY_10 + DAY)
    tick(runner)
    assert daily_checks_to(client, admin_token) == []
    at(clock, NEXT_DAY_10 + DAY + 60)
    response = client.post(f"/api/v1/patients/{patient['id']}/resume", headers=auth(admin_token))
    assert response.status_code == 200
    assert listed(config) == [episode_of(config, patient)]
    tick(runner)
    assert checks(config)[-1] == ("scheduled", NEXT_DAY_10 + 2 * DAY)
    at(clock, NEXT_DAY_10 + 2 * DAY)
    tick(runner)
    assert len(daily_checks_to(client, admin_token)) == 1


def test_an_episode_paused_before_its_first_check_is_never_scheduled(client, runner, admin_token, clock, config):
    patient = enroll(client, admin_token, caregivers=[MARIA])
    response = client.post(f"/api/v1/patients/{patient['id']}/pause", json={"reason": "ed"},
                           headers=auth(admin_token))
    assert response.status_code == 200
    for minutes in (0, NEXT_DAY_10, NEXT_DAY_10 + DAY):
        at(clock, minutes)
        tick(runner)
    assert checks(config) == [] and daily_checks_to(client, admin_token) == []


def test_an_ended_episode_gets_no_check(client, runner, admin_token, clock, config):
    patient = enroll(client, admin_token, caregivers=[MARIA])
    tick(runner)
    at(clock, 60)
    response = client.post(f"/api/v1/patients/{patient['id']}/end", json={"reason": "moved to hospice care"},
                           headers=auth(admin_token))
    assert response.status_code == 200
    for minutes in (NEXT_DAY_10, NEXT_DAY_10 + DAY):
        at(clock, minutes)
        tick(runner)
    assert checks(config) == [("cancelled", NEXT_DAY_10)] and listed(config) == []
    assert daily_checks_to(client, admin_token) == []


def test_an_episode_that_ends_before_the_check_gets_none(client, runner, admin_token, clock, config):
    enroll(client, admin_token, caregivers=[MARIA], monitoring_hours=20)  # ends 06:00 tomorrow
    tick(runner)
    assert checks(config) == [] and listed(config) == []


def test_a_caregiver_who_stops_then_starts_again_gets_the_next_check(client, runner, admin_token, phone, clock,
                                                                     config):
    patient = enroll(client, admin_token, caregivers=[MARIA])
    tick(runner)
    at(clock, 30)
    phone.text("STOP", sender=DAUGHTER)
    at(clock, NEXT_DAY_10)
    tick(runner)  # no reachable caregiver at the check time: cancelled
    assert checks(config) == [("cancelled", NEXT_DAY_10)]
    tick(runner)
    assert listed(config) == [] and checks(config) == [("cancelled", NEXT_DAY_10)]
    at(clock, NEXT_DAY_10 + 60)
    phone.text("START", sender=DAUGHTER)
    assert listed(config) == [episode_of(config, patient)]
    tick(runner)
    assert checks(config)[-1] == ("scheduled", NEXT_DAY_10 + DAY)


def test_a_new_check_time_looks_at_every_active_episode_again(client, runner, admin_token, clock, config):
    """An episode left off because it ends before tomorrow's 10:00 gets a check when the clinic moves the check
    to 16:00 today; turning the check off empties the list and turning it on lists every active episode."""
    def put(value):
        response = client.put("/api/v1/settings", json={"checkins.neuro_check_time": value}, headers=auth(admin_token))
        assert response.status_code == 200, response.get_json()

    enroll(client, admin_token, caregivers=[MARIA], monitoring_hours=20)  # ends 06:00 tomorrow
    tick(runner)
    assert checks(config) == [] and listed(config) == []
    put("16:00")
    tick(runner)
    assert checks(config) == [("scheduled", 6 * 60)]
    put("")
    tick(runner)
    assert listed(config) == []
    put("16:00")
    tick(runner)  # listed again, and looked at: its check is still pending, so no second one
    assert checks(config) == [("scheduled", 6 * 60)] and listed(config) == []
    at(clock, 6 * 60)
    tick(runner)
    assert len(daily_checks_to(client, admin_token)) == 1 and listed(config) == []


def test_a_database_migrated_in_place_schedules_the_checks_that_were_due(tmp_path, clock, config):
    """A database from before m013, with active episodes whose check was due (one needing its next check, one
    with a check past due), a paused and an ended one: after the migration the first tick schedules and sends
    what was due, and the paused and ended episodes get nothing."""
    from app import create_app

    names = known_migrations()
    before = next(i for i, name in enumerate(names) if name.endswith("_neuro_checks_to_schedule"))
    db = legacy_database(config["database"]["path"], before)
    now, text = START, to_text
    rows = [  # (patient, episode status, paused_at, a check already scheduled and past due)
        (1, "active", None, False), (2, "active", None, True), (3, "active", now - timedelta(hours=1), False),
        (4, "ended", None, False)]
    for patient_id, status, paused_at, due in rows:
        db.execute("INSERT INTO patients (id, name, phone, language, token_hash, created_at) VALUES (?, ?, ?, 'en', ?, ?)",
                   [patient_id, f"Pat Example{patient_id}", f"+1555555030{patient_id}", f"hash{patient_id}",
                    text(now - timedelta(hours=30))])
        db.execute("INSERT INTO episodes (id, patient_id, therapy, dose_given_at, ends_at, status, next_checkin_at, "
                   "created_at, paused_at) VALUES (?, ?, 'teclistamab', ?, ?, ?, ?, ?, ?)",
                   [patient_id, patient_id, text(now - timedelta(hours=30)), text(now + timedelta(hours=42)), status,
                    text(now + timedelta(hours=1)) if status == "active" and not paused_at else None,
                    text(now - timedelta(hours=30)), text(paused_at) if paused_at else None])
        db.execute("INSERT INTO caregivers (patient_id, name, phone, language, created_at) VALUES (?, ?, ?, 'en', ?)",
                   [patient_id, f"Maria Example{patient_id}", f"+1555555040{patient_id}", text(now - timedelta(hours=30))])
        if due:
            db.execute("INSERT INTO neuro_checks (patient_id, episode_id, status, due_at, created_at) "
                       "VALUES (?, ?, 'scheduled', ?, ?)", [patient_id, patient_id, text(now - timedelta(minutes=1)),
                                                            text(now - timedelta(hours=23))])
    db.conn.commit()
    db.close()
    app = create_app(config)
    app.testing = True
    runner = app.test_cli_runner()
    migrated = runner.invoke(args=["init-db"])  # migrates in place
    assert migrated.exit_code == 0, migrated.output
    assert listed(config) == [1, 2]  # the active, unpaused episodes
    tick(runner)

    def by_patient() -> dict[int, list[tuple[str, int]]]:
        found: dict[int, list[tuple[str, int]]] = {}
        from monitoring.store import from_text
        for patient_id, status, due in db_rows(config, "SELECT patient_id, status, due_at FROM neuro_checks ORDER BY id"):
            found.setdefault(patient_id, []).append((status, int((from_text(due) - START).total_seconds() // 60)))
        return found

    assert by_patient() == {1: [("scheduled", NEXT_DAY_10)], 2: [("sent", -1)]}
    sent_to = [row[0] for row in db_rows(config, "SELECT to_number FROM messages WHERE direction = 'out' AND body "
                                                 "LIKE '%daily check%'")]
    assert sent_to == ["+15555550402"]
    at(clock, 120)
    tick(runner)  # patient 2's check is missed by the next check-in; its next one is tomorrow's
    assert by_patient() == {1: [("scheduled", NEXT_DAY_10)], 2: [("missed", -1), ("scheduled", NEXT_DAY_10)]}
    at(clock, NEXT_DAY_10)
    tick(runner)
    assert by_patient() == {1: [("sent", NEXT_DAY_10)], 2: [("missed", -1), ("sent", NEXT_DAY_10)]}
    assert listed(config) == []


def test_a_check_left_unanswered_during_a_pause_is_not_a_missed_checkin(client, runner, admin_token, phone, clock,
                                                                       config):
    patient = enroll(client, admin_token, caregivers=[MARIA], monitoring_hours=120)
    tick(runner)
    at(clock, NEXT_DAY_10)
    tick(runner)
    phone.text("98.6")  # the patient's own check-in answered: the missed count starts at 0
    at(clock, NEXT_DAY_10 + 30)
    response = client.post(f"/api/v1/patients/{patient['id']}/pause", json={"reason": "in_clinic"},
                           headers=auth(admin_token))
    assert response.status_code == 200
    at(clock, NEXT_DAY_10 + 120)
    tick(runner)
    assert checks(config) == [("missed", NEXT_DAY_10)]  # recorded as missed ...
    assert db_rows(config, "SELECT missed_count FROM episodes WHERE patient_id = ?", [patient["id"]]) == [(0,)]
    assert listed(config) == [] and len(checks(config)) == 1  # ... not counted, and no next check while paused
