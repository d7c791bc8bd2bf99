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
