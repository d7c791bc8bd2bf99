"""Triage on the part of the episode monitoring loads (issue 19) answers as on the whole episode.

monitoring.care.history loads the fever's reset (triage.fever_reset, over the normal temperatures only) and
the first febrile reading since (triage.fever_onset), and the reading(s) of the episode's first CRS sign
(kept as episode state), not every reading: not even every reading of a fever days long. These properties
build random episodes (fevers, masked and unmasked normal temperatures, pressures, saturations,
symptoms, acetaminophen and dexamethasone doses, readings arriving late) and compare the two answers;
the store-level test plays the same through the webhook with thresholds changed mid-episode.
"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage import (
    SYMPTOMS,
    ClinicHours,
    Dose,
    History,
    Profile,
    Reading,
    Thresholds,
    assess,
    fever_onset,
    fever_reset,
    shows_crs_sign,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
HOURS = ClinicHours()
FAST = settings(max_examples=150, deadline=None)

minutes = st.integers(min_value=0, max_value=10 * 24 * 60)
recent = st.integers(min_value=0, max_value=3 * 24 * 60)
readings = st.builds(
    Reading,
    taken_at=st.one_of(minutes, recent).map(lambda m: NOW - timedelta(minutes=m)),
    temperature_c=st.one_of(st.none(), st.sampled_from([36.5, 37.4, 37.9, 38.0, 38.6, 39.5, 38.3, 38.9, 39.1, 33.0, 44.0])),
    systolic=st.one_of(st.none(), st.sampled_from([70, 85, 95, 120, 300])),
    spo2=st.one_of(st.none(), st.sampled_from([84, 89, 92, 97])),
    symptoms=st.frozensets(st.sampled_from(SYMPTOMS), max_size=2),
    denied_symptoms=st.frozensets(st.sampled_from(SYMPTOMS), max_size=1),
)
doses = st.builds(
    Dose,
    name=st.sampled_from(["acetaminophen", "acetaminophen", "dexamethasone", "ibuprofen"]),
    given_at=minutes.map(lambda m: NOW - timedelta(minutes=m)),
    dose_mg=st.one_of(st.none(), st.sampled_from([500.0, 650.0, 1000.0])),
)
profiles = st.builds(
    Profile, dose_given_at=st.just(NOW - timedelta(days=11)),
    baseline_systolic=st.one_of(st.none(), st.sampled_from([100, 130])),
    baseline_spo2=st.one_of(st.none(), st.sampled_from([88, 95])), high_risk=st.booleans(),
)
thresholds = st.builds(Thresholds, fever_c=st.sampled_from([37.8, 38.0]),
                       protracted_fever_hours=st.sampled_from([24, 48]),
                       prolonged_symptoms_days=st.sampled_from([1, 7]))


def loaded(t: Thresholds, profile: Profile, episode: list[Reading], given: list[Dose], new: Reading) -> History:
    """What monitoring.care.history loads for `new`, done on lists as its two queries do: the readings under
    the fever line taken at or before it, newest first (ties newest stored first), down to the fever's reset;
    then those at or over it after the reset, oldest first, down to the first; and the first CRS sign's."""
    order = sorted(range(len(episode)), key=lambda i: (episode[i].taken_at, i))
    normal = [episode[i] for i in reversed(order)
              if episode[i].taken_at <= new.taken_at and episode[i].temperature_c is not None
              and episode[i].temperature_c < t.fever_c]
    reset = fever_reset(t, iter(normal), tuple(d for d in given if d.given_at <= new.taken_at))
    febrile = [episode[i] for i in order
               if (reset is None or episode[i].taken_at > reset.taken_at) and episode[i].taken_at <= new.taken_at
               and episode[i].temperature_c is not None and episode[i].temperature_c >= t.fever_c]
    onset = fever_onset(t, iter(febrile))
    window = [past for past in (reset, onset) if past is not None]
    first = min((r.taken_at for r in episode if shows_crs_sign(t, profile, r)), default=None)
    signs = [r for r in episode if first is not None and first <= new.taken_at and r.taken_at == first]
    return History(readings=tuple(sorted([*window, *signs], key=lambda r: r.taken_at)),
                   doses=tuple(sorted(given, key=lambda d: d.given_at)))


@FAST
@given(thresholds, profiles, st.lists(readings, min_size=3, max_size=40), st.lists(doses, max_size=8), readings)
def test_triage_on_the_loaded_part_answers_as_on_the_whole_episode(t, profile, episode, given, new):
    ordered = sorted(episode, key=lambda r: r.taken_at)
    whole = History(readings=tuple(ordered), doses=tuple(sorted(given, key=lambda d: d.given_at)))
    part = loaded(t, profile, ordered, given, new)
    expected = assess(t, profile, whole, new, NOW, HOURS)
    got = assess(t, profile, part, new, NOW, HOURS)
    assert (got.level, got.reasons, got.instructions, got.next_acetaminophen_at) == (
        expected.level, expected.reasons, expected.instructions, expected.next_acetaminophen_at)
    assert got.details == expected.details


def test_the_reset_is_the_newest_normal_temperature_and_nothing_older_is_read():
    t = Thresholds()
    at = [NOW - timedelta(hours=h) for h in range(10)]
    normal_newest_first = iter([Reading(at[2], 37.0), Reading(at[5], 36.8), Reading(at[7], 37.1)])
    assert fever_reset(t, normal_newest_first, ()).taken_at == at[2]  # ended the earlier fever
    assert next(normal_newest_first).taken_at == at[5]  # and nothing older was read


def test_a_normal_temperature_under_acetaminophen_is_not_the_reset():
    t = Thresholds()
    tylenol = Dose("acetaminophen", NOW - timedelta(hours=3), 1000)
    normal_newest_first = [Reading(NOW - timedelta(hours=2), 37.0), Reading(NOW - timedelta(hours=9), 36.9),
                           Reading(NOW - timedelta(hours=12), 36.7)]
    # 37.0 an hour after the dose is the drug; 36.9 at 9 h ends the run
    assert fever_reset(t, iter(normal_newest_first), (tylenol,)) == normal_newest_first[1]
    assert fever_reset(t, iter([Reading(NOW, 33.0)]), ()) is None  # an implausible value resets nothing


def test_the_onset_is_the_oldest_believable_fever_after_the_reset_and_nothing_later_is_read():
    t = Thresholds()
    febrile_oldest_first = iter([Reading(NOW - timedelta(hours=8), 44.0), Reading(NOW - timedelta(hours=7), 38.4),
                                 Reading(NOW - timedelta(hours=6), 39.0)])
    assert fever_onset(t, febrile_oldest_first).temperature_c == 38.4  # 44.0 C is a misread, not the onset
    assert next(febrile_oldest_first).temperature_c == 39.0


def test_the_first_sign_kept_by_the_episode_follows_a_change_of_thresholds(client, admin_token, patient, phone, clock,
                                                                             config):
    """Through the store: the episode's first CRS sign is kept as state, and judged again when the thresholds
    change, so SOP 4's "duration of symptoms over 1 week" (here a clinic's 1 day) counts from the reading that
    is a sign under the thresholds in force, exactly as a scan of the whole episode would."""
    import sqlite3

    from conftest import START, auth

    assert phone.text("bp 95/60").status_code == 200  # not a CRS sign while the floor is 90
    clock.move_to(START + timedelta(hours=2))
    assert phone.text("headache 98.4").status_code == 200  # the first sign, under these thresholds
    response = client.put("/api/v1/settings", json={"thresholds.systolic_floor": 100,
                                                    "thresholds.prolonged_symptoms_days": 1}, headers=auth(admin_token))
    assert response.status_code == 200, response.get_json()
    clock.move_to(START + timedelta(hours=25))  # a day after the 95 (now a sign), 23 h after the headache
    assert phone.text("headache 98.6").status_code == 200
    db = sqlite3.connect(config["database"]["path"])
    try:
        reasons = db.execute("SELECT reasons FROM assessments ORDER BY id DESC LIMIT 1").fetchone()[0]
        first = db.execute("SELECT first_sign_at FROM episodes WHERE patient_id = ?", [patient["id"]]).fetchone()[0]
    finally:
        db.close()
    assert "prolonged_symptoms" in reasons
    assert datetime.fromisoformat(first) == START


def _play(seed: int, client, admin_token, patient, phone, clock, runner) -> int:
    """A random episode through the service's roads: texts (Celsius and Fahrenheit), the patient app (readings
    and acetaminophen taken hours before it is reported, readings arriving late, two at one time, implausible
    values), a device hub (FHIR), dexamethasone from the clinic, and the fever line moved mid-fever. Returns
    how many requests were answered."""
    import random

    from conftest import START, auth
    from fhirkit import add_device, observation, post

    rng = random.Random(seed)
    device = add_device(runner, f"Thermometer {seed}", patient["id"])
    me = auth(patient["patient_token"])
    now, taken, answered = START, [START], 0
    for _ in range(36):
        now += timedelta(minutes=rng.choice([5, 20, 45, 90, 240, 600]))
        clock.move_to(now)
        earlier = now - timedelta(minutes=rng.randint(0, int((now - START).total_seconds() // 60)))
        at = rng.choice([now, earlier, rng.choice(taken)])  # now, late, or at a time already read
        taken.append(at)
        road = rng.choice(["text", "text", "app", "app", "device", "tylenol", "dex", "line"])
        if road == "text":
            response = phone.text(rng.choice(["98.6", "temp 100.4", "101.3", "99.9 chills", "102.2", "37.9",
                                              "38.0", "38.6", "36.8", "temp 100.0"]))
        elif road == "app":
            value, unit = rng.choice([(37.9, "C"), (38.0, "C"), (38.4, "C"), (36.9, "C"), (33.0, "C"), (44.0, "C"),
                                      (100.4, "F"), (99.5, "F"), (101.8, "F"), (37.8, "C")])
            response = client.post("/api/v1/me/readings", headers=me, json={
                "temperature": {"value": value, "unit": unit}, "taken_at": at.isoformat()})
        elif road == "device":
            response = post(client, device, observation("temp", rng.choice([37.2, 37.85, 38.1, 39.0]), at))
        elif road == "tylenol":  # taken before readings already stored, reported now
            response = client.post("/api/v1/me/medications", headers=me, json={
                "name": "acetaminophen", "dose_mg": 650, "taken_at": (now - timedelta(hours=rng.choice([0, 1, 3, 7]))
                                                                      ).isoformat()})
        elif road == "dex":
            response = client.post(f"/api/v1/patients/{patient['id']}/medications", headers=auth(admin_token), json={
                "name": "dexamethasone", "dose_mg": 10, "given_at": earlier.isoformat()})
        else:
            response = client.put("/api/v1/settings", headers=auth(admin_token),
                                  json={"thresholds.fever_c": rng.choice([37.8, 38.0])})
        assert response.status_code in (200, 201), (road, response.get_json())
        answered += 1
    return answered


def _compared_with_the_whole_episode(monkeypatch) -> tuple[list, list]:
    """From now on, each assessment the service makes on what care.history loads is also made by triage.assess
    on every reading of the episode: returns (the readings compared, the ones whose answers differ), filled as
    the service runs."""
    import triage
    from monitoring import care

    real_history, real_assess = care.history, triage.assess
    loaded: dict = {}
    compared: list = []
    differ: list = []

    def history(clinic, who, episode, reading):
        part = real_history(clinic, who, episode, reading)
        rows = care._readings(clinic, "SELECT * FROM readings WHERE episode_id = ? ORDER BY taken_at, id", [episode.id])
        loaded.update(part=part, whole=History(readings=tuple(care._reading(row) for row in rows), doses=part.doses))
        return part

    def assess(t, profile, past, reading, now, hours):
        got = real_assess(t, profile, past, reading, now, hours)
        if past is loaded.get("part"):
            expected = real_assess(t, profile, loaded["whole"], reading, now, hours)
            compared.append(reading)
            if (got.level, got.reasons, got.instructions, got.next_acetaminophen_at, got.details) != (
                    expected.level, expected.reasons, expected.instructions, expected.next_acetaminophen_at,
                    expected.details):
                differ.append((t.fever_c, reading, past.readings, got.reasons, expected.reasons))
        return got

    monkeypatch.setattr(care, "history", history)
    monkeypatch.setattr(triage, "assess", assess)
    return compared, differ


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_assessment_the_service_makes_is_the_whole_episodes(seed, client, admin_token, patient, phone, clock,
                                                                  runner, monkeypatch):
    """Through the store (the webhook, the app, a device, the clinic's API): each time the service assesses a
    reading on what care.history loads, triage.assess on every reading of the episode answers the same."""
    compared, differ = _compared_with_the_whole_episode(monkeypatch)
    assert _play(seed, client, admin_token, patient, phone, clock, runner) == 36
    assert len(compared) >= 10, "the readings were assessed"
    assert not differ, differ[:3]


def _fever_state(config, patient_id: int) -> tuple:
    import sqlite3

    db = sqlite3.connect(config["database"]["path"])
    try:
        return db.execute("SELECT fever_reset_through, fever_reset_at, fever_reset_c FROM episodes "
                          "WHERE patient_id = ?", [patient_id]).fetchone()
    finally:
        db.close()


def test_the_episode_keeps_its_fevers_reset_and_lets_it_go_when_it_no_longer_holds(client, admin_token, patient, phone,
                                                                                  clock, config):
    """The reset the episode keeps (m016) is the newest normal temperature acetaminophen does not explain, as of
    its newest reading: a fever leaves it, a masked normal temperature leaves it, an unmasked one moves it; a
    reading arriving late (taken at or before it) clears it, and the next reading finds it again."""
    import sqlite3

    from conftest import START, auth

    at = lambda hours: (START + timedelta(hours=hours)).astimezone(UTC)
    assert phone.text("98.6").status_code == 200
    through, reset_at, reset_c = _fever_state(config, patient["id"])
    assert (datetime.fromisoformat(through), datetime.fromisoformat(reset_at), reset_c) == (at(0), at(0), 37.0)
    clock.move_to(START + timedelta(hours=1))
    assert phone.text("temp 101.2").status_code == 200
    through, reset_at, _ = _fever_state(config, patient["id"])
    assert (datetime.fromisoformat(through), datetime.fromisoformat(reset_at)) == (at(1), at(0))
    clock.move_to(START + timedelta(hours=2))
    assert phone.text("took 1000 mg tylenol").status_code == 200
    clock.move_to(START + timedelta(hours=3))
    assert phone.text("98.2").status_code == 200  # an hour after the dose: the drug talking, the fever not over
    through, reset_at, _ = _fever_state(config, patient["id"])
    assert (datetime.fromisoformat(through), datetime.fromisoformat(reset_at)) == (at(3), at(0))
    clock.move_to(START + timedelta(hours=11))
    assert phone.text("98.4").status_code == 200  # 9 h after the dose: the fever is over
    assert datetime.fromisoformat(_fever_state(config, patient["id"])[1]) == at(11)
    db = sqlite3.connect(config["database"]["path"])
    try:  # a reading written the way no text writes it (an import, a repair), taken before the kept time
        episode_id = db.execute("SELECT id FROM episodes WHERE patient_id = ?", [patient["id"]]).fetchone()[0]
        with db:
            db.execute("INSERT INTO readings (patient_id, episode_id, taken_at, temperature_c, source, created_at) "
                       "VALUES (?, ?, ?, 38.9, 'device', ?)", [patient["id"], episode_id, at(10).isoformat(),
                                                               at(11).isoformat()])
    finally:
        db.close()
    assert _fever_state(config, patient["id"])[0] is None  # cleared by the trigger
    clock.move_to(START + timedelta(hours=12))
    assert phone.text("temp 101").status_code == 200
    through, reset_at, _ = _fever_state(config, patient["id"])
    assert (datetime.fromisoformat(through), datetime.fromisoformat(reset_at)) == (at(12), at(11))
    # acetaminophen reported late, taken half an hour before the 11 h normal temperature: that one was masked,
    # so the fever never ended after the first reading (the key the state was kept by no longer holds)
    response = client.post(f"/api/v1/patients/{patient['id']}/medications", headers=auth(admin_token), json={
        "name": "acetaminophen", "dose_mg": 1000, "given_at": at(10.5).isoformat()})
    assert response.status_code == 201, response.get_json()
    clock.move_to(START + timedelta(hours=13))
    assert phone.text("temp 101.4").status_code == 200
    through, reset_at, _ = _fever_state(config, patient["id"])
    assert (datetime.fromisoformat(through), datetime.fromisoformat(reset_at)) == (at(13), at(0))


def test_a_fevers_reads_do_not_grow_with_its_length_once_the_reset_is_kept(patient, phone, clock, config,
                                                                           monkeypatch):
    """Issue 19: a fever of days at a reading a minute costs a text no more SQLite work (virtual machine steps,
    counted by a progress handler: no clock) than a fever of minutes, once the episode keeps its reset. The
    first text after readings written behind the service's back (the trigger clears the state) walks them all:
    the count sees that walk, so it would see one that grew."""
    import sqlite3

    from conftest import START

    from monitoring import care

    steps: list[int] = []
    real_history = care.history

    def counted(clinic, who, episode, reading):
        count = [0]

        def step() -> int:
            count[0] += 1
            return 0

        clinic.db.conn.set_progress_handler(step, 1)
        try:
            return real_history(clinic, who, episode, reading)
        finally:
            clinic.db.conn.set_progress_handler(None, 1)
            steps.append(count[0])

    monkeypatch.setattr(care, "history", counted)

    def febrile_readings(count: int, before: datetime) -> None:
        db = sqlite3.connect(config["database"]["path"])
        try:
            episode_id = db.execute("SELECT id FROM episodes WHERE patient_id = ?", [patient["id"]]).fetchone()[0]
            with db:
                db.executemany(
                    "INSERT INTO readings (patient_id, episode_id, taken_at, temperature_c, source, created_at) "
                    "VALUES (?, ?, ?, ?, 'device', ?)",
                    [(patient["id"], episode_id, (before - timedelta(minutes=n + 1)).astimezone(UTC).isoformat(),
                      38.4 + (n % 5) / 10, before.astimezone(UTC).isoformat()) for n in range(count)])
        finally:
            db.close()

    febrile_readings(15, START)  # a fever of 15 minutes
    for minutes in (5, 10):
        clock.move_to(START + timedelta(minutes=minutes))
        assert phone.text("temp 101.2").status_code == 200
    febrile_readings(1500, START - timedelta(minutes=15))  # the same fever, 25 hours longer
    for minutes in (15, 20):
        clock.move_to(START + timedelta(minutes=minutes))
        assert phone.text("temp 100.9").status_code == 200
    cold_short, short, cold_long, long = steps
    assert long <= short + 20, steps  # the same reads, whatever the fever's length
    assert cold_long > 20 * long and cold_long > 5 * cold_short, steps  # the walk the kept reset saves


def _kept_resets_wrong(clinic) -> list[tuple]:
    """Every episode whose kept fever reset (m016) still claims to hold (fever_reset_through set and its key that
    of the clinic's thresholds and the doses now) but is not the reset a walk over all its readings up to that
    time finds."""
    import triage
    from monitoring import care
    from monitoring.rows import Episode
    from monitoring.store import from_text, to_text

    wrong = []
    for row in clinic.db.execute("SELECT * FROM episodes WHERE fever_reset_through IS NOT NULL").fetchall():
        episode = Episode.from_row(row)
        through = episode.fever_reset_through
        doses = care.episode_doses(clinic, episode.patient_id, episode)
        if episode.fever_reset_key != care._fever_reset_key(clinic, doses, through):
            continue  # let go: the next reading walks
        normal = [Reading(from_text(r[0]), r[1]) for r in clinic.db.execute(
            "SELECT taken_at, temperature_c FROM readings WHERE episode_id = ? AND taken_at <= ? "
            "AND temperature_c IS NOT NULL ORDER BY taken_at DESC, id DESC", [episode.id, through])]
        walked = triage.fever_reset(clinic.thresholds, iter(normal),
                                    tuple(d for d in doses if to_text(d.given_at) <= through))
        if (None if walked is None else to_text(walked.taken_at)) != episode.fever_reset_at:
            wrong.append((episode.id, through, episode.fever_reset_at, walked))
    return wrong


def _kept_resets_wrong_now(settings: dict) -> list[tuple]:
    """_kept_resets_wrong on the service's database with the settings in force."""
    from monitoring.clinic import open_clinic

    clinic = open_clinic(settings)
    try:
        return _kept_resets_wrong(clinic)
    finally:
        clinic.db.close()


def _play_every_road(seed: int, steps: int, client, admin_token, patient, phone, clock, runner) -> None:
    """A random course through every road that writes what the fever's reset is judged by, checking after each
    request that the reset the episode keeps is still the one a walk finds: texts (Celsius, Fahrenheit, with a
    dose in the same text, from a caregiver), app readings (now, late, at a time already read, implausible),
    acetaminophen reported late by app and text, doses from the clinic (before the episode's window too), a device
    hub's single readings and bundles (given newest first), the fever line, the acetaminophen interval and the
    protracted-fever hours changed, the clock stepping back, pause, resume, end (texts then go to the ended
    episode) and a new step-up dose (a new episode)."""
    import random

    from conftest import PATIENT_PHONE, START, auth
    from fhirkit import add_device, observation, post, transaction

    rng = random.Random(seed)
    device = add_device(runner, f"Thermometer {seed}", patient["id"])
    me, staff = auth(patient["patient_token"]), auth(admin_token)
    daughter = "+15555550188"
    response = client.post(f"/api/v1/patients/{patient['id']}/caregivers", headers=staff,
                           json={"name": "Maria Example", "phone": daughter, "relationship": "daughter"})
    assert response.status_code == 201, response.get_json()
    now, taken, ended, began = START, [START], False, START  # began: the current episode's step-up dose
    roads = {"text": 6, "caregiver": 2, "app": 6, "device": 3, "bundle": 2, "tylenol": 2, "tylenol text": 2,
             "staff dose": 2, "line": 1, "interval": 1, "protracted": 1, "clock back": 2, "pause": 1, "resume": 1,
             "end": 0.5, "new dose": 1}
    for _ in range(steps):
        now += timedelta(minutes=rng.choice([1, 5, 20, 45, 90, 240, 600]))
        clock.move_to(now)
        earlier = now - timedelta(minutes=rng.randint(0, max(0, int((now - START).total_seconds() // 60))))
        at = rng.choice([now, now, earlier, rng.choice([t for t in taken if t <= now] or [now])])
        taken.append(at)
        road = rng.choices(list(roads), weights=list(roads.values()))[0]
        if ended and rng.random() < 0.3:  # texts go to the ended episode for a while, then a new dose
            road = "new dose"
        fine = (200, 201)
        if road in ("text", "caregiver", "tylenol text"):
            body = rng.choice(["98.6", "temp 100.4", "101.3", "99.9 chills", "102.2", "37.9", "38.0", "38.6", "36.8",
                               "temp 100.0", "temp 120", "97.9 headache"])
            if road == "tylenol text":
                body = rng.choice(["took tylenol 650mg ", "took tylenol an hour ago ", "took tylenol 3 hours ago ",
                                   "took ibuprofen "]) + rng.choice(["", body])
            response = phone.text(body, sender=daughter if road == "caregiver" else PATIENT_PHONE)
        elif road == "app":
            value, unit = rng.choice([(37.9, "C"), (38.0, "C"), (38.4, "C"), (36.9, "C"), (33.0, "C"), (44.0, "C"),
                                      (100.4, "F"), (99.5, "F"), (101.8, "F"), (37.8, "C"), (37.95, "C")])
            response = client.post("/api/v1/me/readings", headers=me, json={
                "temperature": {"value": value, "unit": unit}, "taken_at": at.isoformat()})
            fine = (200, 201, 409)  # 409: monitoring has ended
            if at < began - timedelta(minutes=5) and not ended:  # no reading of this episode (app_api._in_episode)
                fine = (400,)
        elif road == "device":
            response = post(client, device, observation("temp", rng.choice([37.2, 37.85, 38.1, 39.0]), at))
            fine = (200, 201, 409, 422)
        elif road == "bundle":  # a hub's backlog, newest first, some at one time
            times = sorted({now - timedelta(minutes=rng.randint(0, 600)) for _ in range(rng.randint(2, 6))} | {at},
                           reverse=True)
            readings = [observation("temp", rng.choice([36.9, 37.6, 37.9, 38.0, 38.5, 39.2]), t) for t in times]
            response = post(client, device, transaction(readings), "/fhir/r4")
            fine = (200, 201, 409, 422)
        elif road == "tylenol":  # taken before readings already stored, reported now
            response = client.post("/api/v1/me/medications", headers=me, json={
                "name": "acetaminophen", "dose_mg": 650,
                "taken_at": (now - timedelta(hours=rng.choice([0, 1, 3, 7, 20]))).isoformat()})
            fine = (200, 201, 409)
        elif road == "staff dose":  # the clinic's record, at any earlier time (a day before the episode too)
            given = rng.choice([earlier, at, START - timedelta(hours=rng.choice([2, 23, 30]))])
            response = client.post(f"/api/v1/patients/{patient['id']}/medications", headers=staff, json={
                "name": rng.choice(["acetaminophen", "dexamethasone", "ibuprofen"]), "dose_mg": 10,
                "given_at": given.isoformat()})
            fine = (201, 400, 409)
        elif road in ("line", "interval", "protracted"):
            key, values = {"line": ("thresholds.fever_c", [37.8, 38.0, 38.3]),
                           "interval": ("thresholds.acetaminophen_interval_hours", [6, 8]),
                           "protracted": ("thresholds.protracted_fever_hours", [24, 48])}[road]
            response = client.put("/api/v1/settings", headers=staff, json={key: rng.choice(values)})
        elif road == "clock back":  # the server's clock steps back, then a text
            now -= timedelta(minutes=rng.choice([2, 30, 180]))
            clock.move_to(now)
            response = phone.text(rng.choice(["98.4", "101.1", "37.7"]))
        elif road == "pause":
            response = client.post(f"/api/v1/patients/{patient['id']}/pause", headers=staff, json={"reason": "admitted"})
            fine = (200, 409)
        elif road == "resume":
            response = client.post(f"/api/v1/patients/{patient['id']}/resume", headers=staff)
            fine = (200, 409)
        elif road == "end":
            response = client.post(f"/api/v1/patients/{patient['id']}/end", headers=staff, json={"reason": "a test"})
            fine = (200, 409)
        else:
            given = now - timedelta(hours=rng.choice([0, 6, 30]))
            response = client.post(f"/api/v1/patients/{patient['id']}/doses", headers=staff, json={
                "therapy": "teclistamab", "given_at": given.isoformat()})
            fine = (201, 400)
            began = given if response.status_code == 201 else began
        assert response.status_code in fine, (road, response.status_code, response.get_data(as_text=True)[:300])
        ended = (ended or road == "end") and road != "new dose"
        wrong = _kept_resets_wrong_now(client.application.config["CRS"])
        assert not wrong, (seed, road, wrong)


@pytest.mark.parametrize("seed", range(12))
def test_the_kept_reset_and_every_assessment_match_the_whole_episode_on_every_road(
        seed, client, admin_token, patient, phone, clock, runner, monkeypatch):
    """Through every road (see _play_every_road), each assessment the service makes is the one triage.assess
    makes on every reading of the episode, and the fever's reset each episode keeps is, after each request,
    either let go or the one a walk over all its readings finds."""
    compared, differ = _compared_with_the_whole_episode(monkeypatch)
    _play_every_road(seed, 60, client, admin_token, patient, phone, clock, runner)
    assert len(compared) >= 20, "the readings were assessed"
    assert not differ, differ[:3]


# A course of an episode as the store sees it (care.record_reading, care.record_dose, the clinic's thresholds),
# at times to the microsecond: readings in any order (late ones, several at one time), doses at a reading's
# very time (a dose and a reading in one text) or an interval before it, before the episode's window too, and
# the fever line and the acetaminophen interval changed between them.
_moments = st.builds(lambda minutes, tie: timedelta(minutes=minutes, microseconds=tie),
                     st.integers(min_value=-30 * 60, max_value=4 * 24 * 60).map(lambda m: m - m % 30),
                     st.sampled_from([0, 0, 0, 1]))
_steps = st.one_of(
    st.tuples(st.just("reading"), _moments,
              st.sampled_from([None, 36.5, 37.4, 37.79, 37.8, 37.9, 37.99, 38.0, 38.3, 38.6, 39.5])),
    st.tuples(st.just("dose"), _moments, st.sampled_from(["acetaminophen", "acetaminophen", "dexamethasone",
                                                          "ibuprofen"])),
    st.tuples(st.just("thresholds"), st.sampled_from([37.8, 38.0, 38.3]), st.sampled_from([6, 8])),
    st.tuples(st.just("dose and reading"), _moments, st.sampled_from([36.5, 37.9, 38.0, 38.6])),  # "took tylenol 98.6"
)
_phones = itertools.count()  # each example's patient has a phone of its own


def _store_patient(app, number: int):
    """A patient enrolled at START straight through the store, on a new connection to the app's database: (db,
    the settings, the patients row, the episode's id). The caller closes db."""
    from conftest import START

    from monitoring import patients
    from monitoring.clinic import Clinic
    from monitoring.rows import Patient
    from monitoring.store import connect, transaction

    settings_ = app.config["CRS"]
    db = connect(settings_["database"]["path"])
    with transaction(db):
        enrolled = patients.enroll(Clinic(db=db, config=settings_), {
            "name": "Pat Store", "phone": f"+1312234{number:04d}", "therapy": "teclistamab",
            "dose_given_at": START.isoformat()}, "test", now=START)
    who = Patient.from_row(db.execute("SELECT * FROM patients WHERE id = ?", [enrolled["id"]]).fetchone())
    return db, settings_, who, enrolled["episode_id"]


def _store_reading(clinic, who, episode_id: int, at: datetime, temperature_c: float | None) -> tuple:
    """Record a reading through care.record_reading (symptoms: chills) in one transaction, and return what
    triage.assess answered on the part care.history loaded and on every reading of the episode, as (reasons,
    details) each."""
    import triage
    from monitoring import care
    from monitoring.rows import Episode
    from monitoring.store import transaction

    episode = Episode.from_row(clinic.db.execute("SELECT * FROM episodes WHERE id = ?", [episode_id]).fetchone())
    reading = Reading(taken_at=at, temperature_c=temperature_c, symptoms=frozenset({"chills"}))
    with transaction(clinic.db):
        part = care.history(clinic, who, episode, reading)
        rows = care._readings(clinic, "SELECT * FROM readings WHERE episode_id = ? ORDER BY taken_at, id", [episode_id])
        whole = History(readings=tuple(care._reading(row) for row in rows), doses=part.doses)
        judged = care.profile(who, episode)
        got = triage.assess(clinic.thresholds, judged, part, reading, at, HOURS)
        expected = triage.assess(clinic.thresholds, judged, whole, reading, at, HOURS)
        care.record_reading(clinic, who, episode, {"temperature_c": temperature_c, "symptoms": ["chills"]},
                            taken_at=at, source="app", now=at)
    return (got.reasons, got.details), (expected.reasons, expected.details)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_steps, min_size=2, max_size=30))
def test_the_kept_reset_holds_through_any_course_of_readings_and_doses(app, clock, steps):
    """Store level, any order: after every reading and dose the reset each episode keeps is let go or the one a
    walk finds, and each reading is assessed as triage.assess on every reading of the episode assesses it."""
    from conftest import START

    from monitoring import care
    from monitoring.clinic import Clinic
    from monitoring.rows import Episode
    from monitoring.store import transaction

    db, settings_, who, episode_id = _store_patient(app, next(_phones))
    try:
        overrides: dict = {}
        for kind, *step in steps:
            clinic = Clinic(db=db, config=settings_, overrides=dict(overrides))
            if kind == "thresholds":
                overrides = {"thresholds.fever_c": step[0], "thresholds.acetaminophen_interval_hours": step[1]}
                continue
            if kind in ("dose", "dose and reading"):
                episode = Episode.from_row(db.execute("SELECT * FROM episodes WHERE id = ?", [episode_id]).fetchone())
                with transaction(db):
                    care.record_dose(clinic, who, episode, "acetaminophen" if kind == "dose and reading" else step[1],
                                     given_at=START + step[0], dose_mg=650, source="staff", now=START)
            if kind in ("dose and reading", "reading"):
                got, expected = _store_reading(clinic, who, episode_id, START + step[0], step[1])
                assert got == expected, (step, got, expected)
            assert not _kept_resets_wrong(clinic)
    finally:
        db.close()


def test_the_kept_reset_is_let_go_when_the_plausible_temperatures_change(app, clock, monkeypatch):
    """The kept reset is judged by what triage believes a body can show (triage.ranges): a release that narrows
    the plausible temperatures makes a kept 34.6 C reset a misread, and the fever run then starts where a walk
    over every reading starts it (at the first fever after the 36.8 C before it), not at the episode's first
    fever, without anyone remembering to raise care.FEVER_RESET_VERSION."""
    from conftest import START

    from monitoring.clinic import Clinic
    from triage import ranges

    db, settings_, who, episode_id = _store_patient(app, 9000)
    try:
        clinic = Clinic(db=db, config=settings_)
        for hours, celsius in ((1, 38.5), (2, 36.8), (3, 38.5), (4, 34.6), (5, 38.6)):
            got, expected = _store_reading(clinic, who, episode_id, START + timedelta(hours=hours), celsius)
            assert got == expected
        monkeypatch.setitem(ranges.PLAUSIBLE_RANGES, "temperature_c", (35.0, 43.0))  # the new release
        got, expected = _store_reading(Clinic(db=db, config=settings_), who, episode_id, START + timedelta(hours=6),
                                       38.7)
        assert expected[1]["fever_started_at"] == START + timedelta(hours=3)
        assert got == expected
    finally:
        db.close()


def test_the_kept_first_sign_is_judged_again_when_the_plausible_values_change(app, clock, monkeypatch):
    """The episode's first CRS sign is judged by what triage believes a body can show (triage.ranges): a release
    that narrows the plausible systolic pressures makes a kept 55 mmHg sign a misread, and the first sign is then
    the next one, where a scan of every reading finds it, without anyone raising care.FIRST_SIGN_VERSION."""
    from conftest import START

    import triage
    from monitoring import care
    from monitoring.clinic import Clinic
    from monitoring.rows import Episode
    from monitoring.store import from_text, transaction
    from triage import ranges

    db, settings_, who, episode_id = _store_patient(app, 9001)

    def first_sign_and_scan() -> tuple:
        clinic = Clinic(db=db, config=settings_)
        episode = Episode.from_row(db.execute("SELECT * FROM episodes WHERE id = ?", [episode_id]).fetchone())
        with transaction(db):
            state = db.execute("SELECT * FROM episodes WHERE id = ?", [episode_id]).fetchone()
            kept = care.first_sign(clinic, who, episode, state)
        scanned = min((row.taken_at for row in care._readings(clinic, "SELECT * FROM readings WHERE episode_id = ?",
                                                              [episode_id])
                       if triage.shows_crs_sign(clinic.thresholds, care.profile(who, episode), care._reading(row))),
                      default=None)
        return from_text(kept), from_text(scanned)

    try:
        clinic = Clinic(db=db, config=settings_)
        for hours, systolic in ((1, 55), (3, 85)):
            episode = Episode.from_row(db.execute("SELECT * FROM episodes WHERE id = ?", [episode_id]).fetchone())
            with transaction(db):
                care.record_reading(clinic, who, episode, {"systolic": systolic, "diastolic": 40},
                                    taken_at=START + timedelta(hours=hours), source="app", now=START)
        assert first_sign_and_scan() == (START + timedelta(hours=1),) * 2
        monkeypatch.setitem(ranges.PLAUSIBLE_RANGES, "systolic", (60, 260))  # the new release
        assert first_sign_and_scan() == (START + timedelta(hours=3),) * 2
    finally:
        db.close()


@pytest.mark.parametrize(("repair", "reset_at"), [
    pytest.param("UPDATE readings SET temperature_c = 38.9 WHERE temperature_c < 38", None, id="a-value-corrected"),
    pytest.param("UPDATE readings SET taken_at = '2026-03-03T15:30:00.000000+00:00' WHERE temperature_c < 38",
                 "2026-03-03T15:30:00.000000+00:00", id="a-time-corrected"),
    pytest.param("UPDATE readings SET episode_id = (SELECT MAX(id) + 1 FROM episodes) WHERE temperature_c < 38", None,
                 id="moved-out-of-the-episode"),
    pytest.param("DELETE FROM readings WHERE temperature_c < 38", None, id="deleted"),
    pytest.param("INSERT INTO readings (patient_id, episode_id, taken_at, temperature_c, source, created_at) "
                 "SELECT patient_id, id, fever_reset_through, 36.9, 'device', fever_reset_through FROM episodes",
                 "2026-03-03T17:00:00.000000+00:00", id="imported-at-the-kept-time"),
])
def test_a_repair_of_a_stored_reading_lets_the_kept_reset_go(repair, reset_at, patient, phone, clock, config, client):
    """No road of the service edits or deletes a reading, or writes one without keeping the reset after it, but a
    repair by hand, an import or a later migration may: the triggers on `readings` (m016) let the kept reset go
    whoever does it (an import at the very time it was kept too), and the next text finds it again."""
    import sqlite3

    from conftest import START

    assert phone.text("98.6").status_code == 200
    clock.move_to(START + timedelta(hours=1))
    assert phone.text("temp 101.2").status_code == 200
    assert _fever_state(config, patient["id"])[1] is not None
    db = sqlite3.connect(config["database"]["path"])
    try:
        with db:
            db.execute(repair)
    finally:
        db.close()
    assert _fever_state(config, patient["id"])[0] is None
    clock.move_to(START + timedelta(hours=2))
    assert phone.text("temp 101.4").status_code == 200
    assert _fever_state(config, patient["id"])[1] == reset_at  # found again by the walk
    assert not _kept_resets_wrong_now(client.application.config["CRS"])
