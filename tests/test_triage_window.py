"""Triage on the part of the episode monitoring loads (issue 19) answers as on the whole episode.

monitoring.care.history loads the fever's reset (triage.fever_reset, over the normal temperatures only) and
the first febrile reading since (triage.fever_onset), and the reading(s) of the episode's first CRS sign
(kept as episode state), not every reading: not even every reading of a fever days long. These properties
build random episodes (fevers, masked and unmasked normal temperatures, pressures, saturations,
symptoms, acetaminophen and dexamethasone doses, readings arriving late) and compare the two answers;
the store-level test plays the same through the webhook with thresholds changed mid-episode.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_assessment_the_service_makes_is_the_whole_episodes(seed, client, admin_token, patient, phone, clock,
                                                                  runner, monkeypatch):
    """Through the store (the webhook, the app, a device, the clinic's API): each time the service assesses a
    reading on what care.history loads, triage.assess on every reading of the episode answers the same."""
    import triage
    from monitoring import care

    real_history, real_assess = care.history, triage.assess
    loaded: dict = {}
    compared, differ = [], []

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
