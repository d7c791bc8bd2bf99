"""A fever texted beside a normal temperature now ("temp 101 at lunch, now 99", "ayer 38.5 hoy 37.1") is kept as its own
reading, at the time the text gives (else at the latest it can have been, marked as said earlier), and never read as
the current temperature. Dropped, the episode lost its first CRS sign (SOP 4 Grading: fever >= 100.4 F / 38.0 C, the
defining sign of Grade 1), the patient was told "No fever now" as if there had been none, and what the next fever is
judged by (SOP 5 Grade 1 Home: "If refractory or recurrent fever (< 6-8 h) consider dexamethasone"; a high-risk
patient's fever: "immediate in-person evaluation") never saw it. Each webhook row checks what is stored, what the
patient is told and what the nurse sees."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import NURSES, PATIENT_PHONE, auth, enroll, texts_to
from test_dashboard import NURSE, add_user, sign_in

from messages.parse import parse
from monitoring.store import connect

CHICAGO = ZoneInfo("America/Chicago")
FOUR_PM = datetime(2026, 3, 3, 16, 0, tzinfo=CHICAGO)  # six hours after the step-up dose (conftest START)


# --- the parser: Parsed.earlier_fevers ------------------------------------------------------------------------------

@pytest.mark.parametrize("body, current_c, earlier", [
    pytest.param("temp 101 at lunch, now 99", 37.22, [(38.33, None, None)], id="at-lunch-no-time"),
    pytest.param("had 101.5 this morning now 99.1", 37.28, [(38.61, None, "this morning")], id="this-morning"),
    pytest.param("fever of 101 at 2pm, now 98.9", 37.17, [(38.33, "14:00", "at 2pm")], id="at-2pm"),
    pytest.param("was 102 an hour ago, 99 now", 37.22, [(38.89, "15:00", "an hour ago")], id="an-hour-ago"),
    pytest.param("ayer 38.5 hoy 37.1", 37.1, [(38.5, None, "ayer")], id="es-ayer-hoy"),
    pytest.param("fiebre de 38.6 a las 2, ahora 37", 37.0, [(38.6, "14:00", "a las 2")], id="es-a-las-2"),
    pytest.param("101 earlier, 99 now", 37.22, [(38.33, None, "earlier")], id="earlier-no-time"),
    pytest.param("99 now, 101 yesterday", 37.22, [(38.33, None, "yesterday")], id="yesterday-after"),
    pytest.param("from 101 to 99", 37.22, [(38.33, None, None)], id="from-to"),
    pytest.param("101 at 2pm 99 now", 37.22, [(38.33, "14:00", "at 2pm")], id="time-goes-with-the-one-before"),
    pytest.param("101 at noon, 102 at 2pm, now 99", 37.22, [(38.33, "12:00", "at noon"), (38.89, "14:00", "at 2pm")],
                 id="two-earlier-fevers"),
    # a fever now beside an earlier one: the current one is read as before, the earlier one kept as well
    pytest.param("102 this morning, 101 now", 38.33, [(38.89, None, "this morning")], id="earlier-fever-fever-now"),
    # nothing earlier to keep
    pytest.param("101 earlier", 38.33, [], id="alone-stays-current"),  # no current one given: read as the reading
    pytest.param("101 sorry 99", 37.22, [], id="correction-is-a-typo"),  # _corrected: 101 was a typo
    pytest.param("99.1 not 101", 37.28, [], id="taken-back"),
    pytest.param("101 then 99", 38.33, [], id="unmarked-highest-is-current"),  # no mark: the fever is current
    pytest.param("99 this morning, 100 now", 37.78, [], id="earlier-normal-changes-nothing"),
    # a fever by the lowest line a clinic may set (37.5 C): kept, the clinic's own line decides (care.earlier_fevers)
    pytest.param("99.7 this morning, now 98.6", 37.0, [(37.61, None, "this morning")], id="kept-by-the-lowest-line"),
    pytest.param("temp 101 at 2pm", 38.33, [], id="one-timed-fever"),
])
def test_parser_keeps_the_earlier_fever_with_its_time(body, current_c, earlier):
    parsed = parse(body, FOUR_PM)
    assert parsed.temperature_c == current_c
    assert [(f.temperature_c, f.taken_at.strftime("%H:%M") if f.taken_at else None, f.when)
            for f in parsed.earlier_fevers] == earlier
    assert all(f.taken_at is None or f.taken_at <= FOUR_PM for f in parsed.earlier_fevers)


def test_yesterday_is_marked_as_the_day_before():
    [fever] = parse("99 now, 101 yesterday", FOUR_PM).earlier_fevers
    assert fever.days_back == 1 and fever.taken_at is None
    [fever] = parse("ayer 38.5 hoy 37.1", FOUR_PM).earlier_fevers
    assert fever.days_back == 1
    [fever] = parse("101 earlier, 99 now", FOUR_PM).earlier_fevers
    assert fever.days_back == 0


# --- through the signed webhook ---------------------------------------------------------------------------------------

def stored(config) -> list[tuple]:
    """(temperature_c, taken_at HH:MM UTC, said_earlier, earlier_timed), oldest first."""
    return [(row[0], row[1][11:16], row[2], row[3]) for row in connect(config["database"]["path"]).execute(
        "SELECT temperature_c, taken_at, said_earlier, earlier_timed FROM readings ORDER BY taken_at, id")]


def told(client, token, after: int = 0) -> list[str]:
    return [m["body"] for m in texts_to(client, token, PATIENT_PHONE)[after:]]


def pages(client, token) -> list[str]:
    return [m["body"] for n in NURSES for m in texts_to(client, token, n) if m["kind"] == "alert"]


def latest_assessment(client, token, patient) -> dict:
    return client.get(f"/api/v1/patients/{patient['id']}", headers=auth(token)).get_json()["latest_assessment"]


def first_sign_at(config) -> str | None:
    return connect(config["database"]["path"]).execute("SELECT first_sign_at FROM episodes").fetchone()[0]


NO_FEVER_NOW_EARLIER_NOTED = "No fever now, and we noted the fever you had earlier."
SAFETY_NET = "With a fever, know when to get help."


@pytest.mark.parametrize("body, fever, current", [
    # 4:00 PM CST is 22:00 UTC; the dose was at 10:00 AM CST (16:00 UTC)
    pytest.param("temp 101 at lunch, now 99", (38.33, "22:00", "", 0), 37.22, id="at-lunch"),
    pytest.param("had 101.5 this morning now 99.1", (38.61, "22:00", "this morning", 0), 37.28, id="this-morning"),
    pytest.param("fever of 101 at 2pm, now 98.9", (38.33, "20:00", "at 2pm", 1), 37.17, id="at-2pm"),
    pytest.param("was 102 an hour ago, 99 now", (38.89, "21:00", "an hour ago", 1), 37.22, id="an-hour-ago"),
    pytest.param("101 earlier, 99 now", (38.33, "22:00", "earlier", 0), 37.22, id="earlier"),
])
def test_the_earlier_fever_is_stored_and_the_patient_told_it_was_noted(phone, client, admin_token, patient, config,
                                                                         clock, body, fever, current):
    clock.move_to(FOUR_PM)
    before = len(told(client, admin_token))
    phone.text(body)
    assert stored(config) == [fever, (current, "22:00", None, None)]
    replies = told(client, admin_token, before)
    assert NO_FEVER_NOW_EARLIER_NOTED in replies[0] and "You have a fever" not in " ".join(replies)
    assert any(SAFETY_NET in reply for reply in replies[1:])  # the episode's first fever: SOP 5 Grade 1 Home's signs
    assessment = latest_assessment(client, admin_token, patient)
    assert (assessment["level"], assessment["reasons"]) == ("home_care", ["fever"])
    assert pages(client, admin_token) == []  # a fever alone is home care (SOP 5 Grade 1 Home), as a current one is
    assert first_sign_at(config)[11:16] == fever[1]  # the episode's first CRS sign is the earlier fever's time
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert sorted(r["temperature_c"] for r in readings) == sorted([current, fever[0]])
    # the nurse's timeline says it was said as earlier
    add_user(client.application, NURSE, "nurse")
    sign_in(client, NURSE)
    page = client.get(f"/dashboard/patients/{patient['id']}").text
    assert "said as earlier" in page
    assert ("no time given" in page) == (not fever[3])


def test_spanish_ayer_on_the_day_after_the_dose_is_stored_at_midnight(phone, client, admin_token, config, clock):
    enroll(client, admin_token, language="es")
    clock.move_to(FOUR_PM + timedelta(days=1))
    phone.text("ayer 38.5 hoy 37.1")
    # no later than the clinic's midnight before the text (06:00 UTC), which is after the dose (16:00 UTC the day before)
    assert stored(config) == [(38.5, "06:00", "ayer", 0), (37.1, "22:00", None, None)]
    replies = told(client, admin_token)
    assert any("Ahora no tiene fiebre, y anotamos la fiebre que tuvo antes." in r for r in replies)
    assert not any("Tiene fiebre." in r for r in replies)


def test_yesterday_before_the_step_up_dose_is_no_reading_of_the_episode(phone, client, admin_token, patient, config,
                                                                         clock):
    """The dose was today at 10 AM: all of yesterday is before it, so yesterday's fever is no sign of this episode's
    CRS (app_api refuses an app reading from before the dose for the same reason); the text stays in the timeline."""
    clock.move_to(FOUR_PM)
    phone.text("99 now, 101 yesterday")
    assert stored(config) == [(37.22, "22:00", None, None)]
    assert first_sign_at(config) is None
    assert "No fever now." in told(client, admin_token)[-1]


def test_yesterday_inside_the_episode_is_kept(phone, client, admin_token, patient, config, clock):
    clock.move_to(FOUR_PM + timedelta(days=1))
    phone.text("99 now, 101 yesterday")
    assert stored(config) == [(38.33, "06:00", "yesterday", 0), (37.22, "22:00", None, None)]


def test_a_fever_alone_said_earlier_stays_the_reading(phone, client, admin_token, patient, config, clock):
    """"101 earlier" gives no current temperature: the fever is the text's reading, told as a fever (acetaminophen, and
    measure again in an hour: SOP 5 Grade 1 Home), so its course is asked for, not assumed over."""
    clock.move_to(FOUR_PM)
    phone.text("101 earlier")
    assert stored(config) == [(38.33, "22:00", None, None)]
    assert "You have a fever." in told(client, admin_token)[-2]


def test_a_corrected_temperature_is_no_earlier_fever(phone, client, admin_token, patient, config, clock):
    clock.move_to(FOUR_PM)
    phone.text("101 sorry 99")
    assert stored(config) == [(37.22, "22:00", None, None)]
    assert "No fever now." in told(client, admin_token)[-1]
    assert first_sign_at(config) is None


@pytest.mark.parametrize("second", ["101 at 2pm, now 99", "101 earlier, now 99"])
def test_a_fever_already_texted_is_not_stored_twice(phone, client, admin_token, patient, config, clock, second):
    clock.move_to(FOUR_PM - timedelta(hours=2))
    phone.text("101")
    clock.move_to(FOUR_PM)
    phone.text(second)
    assert stored(config) == [(38.33, "20:00", None, None), (37.22, "22:00", None, None)]
    assert "No fever now." in told(client, admin_token)[-1]  # it was answered when it was texted


@pytest.mark.parametrize("second, stored_again", [
    pytest.param("101 at 3pm, now 99", False, id="one-hour-after-it-is-the-same-fever"),
    pytest.param("101 at 3:05pm, now 99", True, id="one-hour-five-after-it-is-another-fever"),
])
def test_a_timed_fever_told_again_is_the_same_fever_within_an_hour(phone, client, admin_token, patient, config, clock,
                                                                   second, stored_again):
    """care.SAME_FEVER_WITHIN (1 h, inclusive) decides whether a stated time is the fever already texted (stored once:
    stored again, an acknowledged alert was re-raised "URGENT update") or another fever (stored: never lost, SOP 4
    Grading, line 47). The boundary both sides."""
    clock.move_to(FOUR_PM - timedelta(hours=2))
    phone.text("101")
    clock.move_to(FOUR_PM)
    phone.text(second)
    again = [(38.33, "21:05", "at 3:05pm", 1)] if stored_again else []
    assert stored(config) == [(38.33, "20:00", None, None), *again, (37.22, "22:00", None, None)]


@pytest.mark.parametrize("fever_at, stored_again", [
    pytest.param("at 4am", False, id="twelve-hours-before-it-is-the-same-fever"),
    pytest.param("at 3:55am", True, id="twelve-hours-five-before-it-is-another-fever"),
])
def test_an_untimed_fever_covers_twelve_hours_before_it(phone, client, admin_token, patient, config, clock, fever_at,
                                                        stored_again):
    """ "101 earlier, now 99" is stored at the latest it can have been (its text's arrival, 4 PM); a later text giving
    the same fever a time within care.UNTIMED_COVERS (12 h, inclusive) before that is the same fever told again;
    further back, another fever (stored: never lost, SOP 4 Grading, line 47). The boundary both sides."""
    clock.move_to(FOUR_PM + timedelta(days=1))  # Wednesday 4 PM; the dose was Tuesday 10 AM
    phone.text("101 earlier, now 99")  # stored at Wednesday 4 PM
    clock.move_to(FOUR_PM + timedelta(days=1, minutes=40))
    phone.text(f"101 {fever_at}, now 99")  # Wednesday's 4 AM is 12 h before 4 PM
    temperatures = [row[0] for row in stored(config)]
    assert temperatures.count(38.33) == (2 if stored_again else 1)


def test_a_new_fever_after_normal_readings_is_stored(phone, client, admin_token, patient, config, clock):
    """The same number as a fever hours before, but a normal temperature since: a new fever, never lost."""
    clock.move_to(FOUR_PM - timedelta(hours=4))
    phone.text("101")
    clock.move_to(FOUR_PM - timedelta(hours=2))
    phone.text("99")
    clock.move_to(FOUR_PM)
    phone.text("101 earlier, now 99")
    assert stored(config) == [(38.33, "18:00", None, None), (37.22, "20:00", None, None),
                              (38.33, "22:00", "earlier", 0), (37.22, "22:00", None, None)]


def test_a_high_risk_patient_s_earlier_fever_pages_with_its_value_and_time(phone, client, admin_token, config, clock):
    """SOP 5 Grade 1: "immediate in-person evaluation for patients with multiple disease risk factors": the fever
    happened, whatever the thermometer says now. The page shows the fever, when it was, and the temperature now."""
    patient = enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM)
    phone.text("fever of 101 at 2pm, now 98.9")
    [page] = pages(client, admin_token)
    assert page.startswith("crswatch URGENT: P.E. fever in a high-risk patient 101.0F/38.3C said earlier (2:00 PM), "
                           "now 98.9F/37.2C at 4:00 PM"), page
    assert "call the clinic NOW".lower() in told(client, admin_token)[-1].lower()
    assert (latest_assessment(client, admin_token, patient)["level"]) == "urgent"


def test_an_earlier_fever_soon_after_acetaminophen_is_a_recurrent_fever(phone, client, admin_token, patient, config,
                                                                          clock):
    """SOP 5 Grade 1 Home: "If refractory or recurrent fever (< 6-8 h) consider dexamethasone": the fever at 2 PM came
    three hours after the 11 AM dose, whatever it is at 4 PM."""
    clock.move_to(FOUR_PM - timedelta(hours=5))
    phone.text("took 1000 mg tylenol")
    clock.move_to(FOUR_PM)
    phone.text("101 at 2pm, now 99")
    [page] = pages(client, admin_token)
    assert "fever again soon after acetaminophen 101.0F/38.3C said earlier (2:00 PM), now 99.0F/37.2C" in page, page
    replies = told(client, admin_token)
    assert any(r.startswith("Thank you. Your nurse has been alerted") for r in replies)
    assert not any("You have a fever" in r for r in replies)


def test_an_earlier_fever_before_the_dose_it_prompted_is_no_recurrent_fever(phone, client, admin_token, patient,
                                                                              config, clock):
    """'101 at 1pm, took tylenol, now 99': the fever came before the dose, the common course, not a recurrence."""
    clock.move_to(FOUR_PM)
    phone.text("101 at 1pm, took tylenol at 1:15pm, now 99")
    assert pages(client, admin_token) == []
    assert (38.33, "19:00", "at 1pm", 1) in stored(config)


def test_an_untimed_earlier_fever_is_not_claimed_to_follow_the_dose(phone, client, admin_token, patient, config,
                                                                     clock):
    """"101 last night, took tylenol at 6am, now 99" at 8 AM: the fever's time is not known, so it is not paged as
    "fever again soon after acetaminophen" (most likely the dose treated it, the SOP's Grade 1 home care working); it
    is stored (the episode's first sign) and the patient told it was noted, with the safety net."""
    clock.move_to(FOUR_PM + timedelta(days=1) - timedelta(hours=8))
    phone.text("101 last night, took tylenol at 6am, now 99")
    assert stored(config) == [(38.33, "14:00", "last night", 0), (37.22, "14:00", None, None)]
    assert pages(client, admin_token) == []
    replies = told(client, admin_token)
    assert any(NO_FEVER_NOW_EARLIER_NOTED in r for r in replies) and any(SAFETY_NET in r for r in replies)
    assert latest_assessment(client, admin_token, patient)["reasons"] == ["fever"]


def test_the_next_fever_knows_an_earlier_one_came_first(phone, client, admin_token, patient, config, clock):
    """After "101 at 2pm, now 99" told the safety net, a fever at 6 PM is not the episode's first: no second safety
    net, and the episode's first sign stays at 2 PM."""
    clock.move_to(FOUR_PM)
    phone.text("101 at 2pm, now 99")
    clock.move_to(FOUR_PM + timedelta(hours=2))
    before = len(told(client, admin_token))
    phone.text("101.5")
    replies = told(client, admin_token, before)
    assert replies[0].startswith("You have a fever.") and not any(SAFETY_NET in r for r in replies)
    assert first_sign_at(config)[11:16] == "20:00"


def test_the_earlier_fever_s_time_is_never_after_the_text(phone, client, admin_token, patient, config, clock):
    clock.move_to(FOUR_PM)
    phone.text("was 102 an hour ago, 99 now")
    arrived = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)
    for temperature, at, said, _ in stored(config):
        assert at <= arrived.strftime("%H:%M")


def test_an_earlier_fever_inside_a_flood_is_triaged_on_arrival(client, runner, admin_token, clock, phone):
    """A flooded number's small talk waits; a fever does not, one said as earlier neither: a high-risk patient's
    "101 at 2pm, now 99" pages at once (SOP 5 Grade 1: immediate in-person evaluation)."""
    enroll(client, admin_token, high_risk=True)
    runner.invoke(args=["tick"])
    for second in range(60):  # well past the flood limit: the rest is deferred
        clock.move_to(FOUR_PM - timedelta(seconds=60 - second))  # all inside the minute the flood is counted in
        phone.text("hello there")  # no number: "hello 38" is a fever
    clock.move_to(FOUR_PM)
    phone.text("101 at 2pm, now 99")  # no tick: it must not wait behind the flood
    [page] = pages(client, admin_token)
    assert "fever in a high-risk patient 101.0F/38.3C said earlier (2:00 PM)" in page


@pytest.mark.parametrize("language, body, noted, temperatures", [
    ("en", "temp 101 at lunch, now 99", "No fever now for Pat, and we noted the fever they had earlier.",
     [38.33, 37.22]),
    ("es", "ayer en la tarde 38.5, hoy 37.1", "Pat ahora no tiene fiebre, y anotamos la fiebre que tuvo antes.",
     [38.5, 37.1]),
])
def test_a_caregiver_is_told_in_their_own_words(client, runner, admin_token, phone, clock, config, language, body,
                                                 noted, temperatures):
    daughter = "+15555550188"
    enroll(client, admin_token, caregivers=[{"name": "Maria Example", "phone": daughter, "language": language,
                                             "relationship": "daughter"}])
    runner.invoke(args=["tick"])
    clock.move_to(FOUR_PM + timedelta(days=1))
    phone.text(body, sender=daughter)
    replies = [m["body"] for m in texts_to(client, admin_token, daughter)]
    assert any(noted in reply for reply in replies), replies
    assert [row[0] for row in stored(config)] == temperatures  # the earlier fever, then the temperature now


@pytest.mark.parametrize("body, note", [
    ("had 101.5 this morning now 99.1", ('Reported by text as an earlier temperature ("this morning"); the text gave '
                                         "no time: effectiveDateTime is the latest it can have been")),
    ("fever of 101 at 2pm, now 98.9", 'Reported by text as an earlier temperature ("at 2pm"), at the time the text gave'),
])
def test_the_fhir_observation_says_the_fever_was_reported_as_earlier(phone, client, admin_token, patient, clock, body,
                                                                     note):
    from fhirkit import search_all

    clock.move_to(FOUR_PM)
    phone.text(body)
    temps = sorted((r for r in search_all(client, admin_token, "Observation", patient=patient["id"])
                    if r["id"].endswith("-temp")), key=lambda r: r["valueQuantity"]["value"])
    current, earlier = temps
    assert [n["text"] for n in earlier["note"]][1:] == [note]
    assert len(current["note"]) == 1  # "Given as ...": a reading of now says nothing more


# --- breaker-fever: texts the first cut read wrong ----------------------------------------------------------------------

@pytest.mark.parametrize("body, days_back, when", [
    pytest.param("101 3 days ago, 99 now", 3, "3 days ago", id="3-days-ago"),
    pytest.param("had 101 two days ago, now 99", 2, "two days ago", id="two-days-ago"),
    pytest.param("101 the day before yesterday, 99 now", 2, "the day before yesterday", id="day-before-yesterday"),
    pytest.param("101 last week, 99 now", 1, "last week", id="last-week"),
    pytest.param("hace 3 dias 38.5, hoy 37", 3, "hace 3 dias", id="es-hace-3-dias"),
    pytest.param("antier 38.5 hoy 37", 2, "antier", id="es-antier"),
])
def test_the_parser_places_a_fever_days_before(body, days_back, when):
    [fever] = parse(body, FOUR_PM).earlier_fevers
    assert (fever.days_back, fever.when, fever.taken_at, fever.before_treatment) == (days_back, when, None, False)


@pytest.mark.parametrize("body", [
    "101 3 days ago, 99 now", "had 101 two days ago, now 99", "101 the day before yesterday, 99 now",
    "101 last week, 99 now", "101 before the infusion, now 99", "hace 3 dias 38.5, hoy 37", "antier 38.5 hoy 37",
    "38.5 antes de la infusion, ahora 37",
])
def test_a_fever_from_days_before_the_step_up_dose_does_not_page(phone, client, admin_token, config, clock, body):
    """The dose was today at 10 AM: a fever of days ago (or "before the infusion") is no sign of this episode's CRS
    (SOP 4 Grading), as "101 yesterday" is not. Stored at the text's arrival, it paged a high-risk patient URGENT
    ("fever in a high-risk patient ... said earlier") and dated the episode's first sign to 4 PM."""
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM)
    phone.text(body)
    assert pages(client, admin_token) == []
    assert first_sign_at(config) is None
    assert [row[2] for row in stored(config)] == [None]  # the text's current temperature alone


def test_a_fever_days_ago_inside_the_episode_is_stored_at_the_end_of_that_day(phone, client, admin_token, patient,
                                                                               config, clock):
    """Four days into the episode, "3 days ago" is inside it: kept (SOP 4 Grading), no later than the midnight that
    ended that day (the clinic's 06:00 UTC two days before the text), never at the text's minute."""
    clock.move_to(FOUR_PM + timedelta(days=4))
    phone.text("101 3 days ago, 99 now")
    assert stored(config) == [(38.33, "06:00", "3 days ago", 0), (37.22, "22:00", None, None)]
    assert first_sign_at(config).startswith("2026-03-05T06:00")


@pytest.mark.parametrize("body, current", [("fever 101 earlier today, still 101", 38.33),
                                           ("102 this morning, 101 now", 38.33), ("101 earlier then 100.9 now", 38.28)])
def test_an_untimed_earlier_fever_beside_a_fever_now_is_one_reading(phone, client, admin_token, patient, config,
                                                                     clock, body, current):
    """With no time said, the earlier fever can only be placed at the text's arrival, where the fever now already is:
    it was stored as a second fever of the same minute (two rows on the chart and in FHIR for one fever)."""
    clock.move_to(FOUR_PM)
    phone.text(body)
    assert stored(config) == [(current, "22:00", None, None)]
    assert told(client, admin_token)[-2].startswith("You have a fever.")


@pytest.mark.parametrize("second, sender", [("she had 101 earlier, 99 now", "+15555550188"),
                                            ("101 earlier, now 99", PATIENT_PHONE)])
def test_an_untimed_earlier_fever_told_again_does_not_re_raise_the_acknowledged_alert(
        phone, client, admin_token, config, clock, second, sender):
    """A high-risk patient's "101 earlier, now 99" pages (SOP 5 Grade 1: immediate in-person evaluation); the nurse
    ACKs. The same fever told again 40 minutes on (by the patient or a caregiver) is not a new fever: it was stored
    again and sent an "URGENT update" reopening the alert the nurse had taken."""
    enroll(client, admin_token, high_risk=True, caregivers=[{"name": "Maria Example", "phone": "+15555550188",
                                                             "language": "en", "relationship": "daughter"}])
    clock.move_to(FOUR_PM)
    phone.text("101 earlier, now 99")
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=auth(admin_token)).status_code == 200
    clock.move_to(FOUR_PM + timedelta(minutes=40))
    phone.text(second, sender=sender)
    assert len(pages(client, admin_token)) == 1
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).get_json() == []
    assert [row[0] for row in stored(config)] == [38.33, 37.22, 37.22]


def test_yesterday_s_fever_already_paged_is_not_paged_again(phone, client, admin_token, config, clock):
    """A high-risk patient's 101 at 6 PM paged (SOP 5 Grade 1: immediate in-person evaluation) and the nurse took it;
    the next afternoon "101 yesterday, 99 now" tells the same fever: it was stored again at midnight and sent an
    "URGENT update" for a fever the nurse had already acted on."""
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM + timedelta(hours=2))
    phone.text("101")
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=auth(admin_token)).status_code == 200
    clock.move_to(FOUR_PM + timedelta(hours=7))
    phone.text("99")
    clock.move_to(FOUR_PM + timedelta(days=1))
    phone.text("101 yesterday, 99 now")
    assert len(pages(client, admin_token)) == 1
    assert [row[2] for row in stored(config)] == [None, None, None]


def test_a_timed_fever_told_after_an_untimed_one_is_the_same_fever(phone, client, admin_token, config, clock):
    """"101 earlier, now 99" at 4 PM pages (high risk), the nurse ACKs; at 4:40 "101 at 2pm, 99 now" gives the same
    fever its time: not a second fever, no "URGENT update"."""
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM)
    phone.text("101 earlier, now 99")
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=auth(admin_token)).status_code == 200
    clock.move_to(FOUR_PM + timedelta(minutes=40))
    phone.text("101 at 2pm, 99 now")
    assert len(pages(client, admin_token)) == 1
    assert [row[0] for row in stored(config)] == [38.33, 37.22, 37.22]


@pytest.mark.parametrize("body", ["101 at 2pm sorry 100 at 2pm, now 99", "101 sorry meant 100 earlier, now 99",
                                  "had 101 this morning oops 100.1 this morning, now 99",
                                  "101 earlier, sorry, i meant 100 earlier. now 99"])
def test_an_earlier_temperature_corrected_is_no_earlier_fever(phone, client, admin_token, config, clock, body):
    """A typo taken back by the temperature right after it is no fever (as "101 sorry 99" is none): kept as an earlier
    fever, it paged a high-risk patient URGENT and set the episode's first CRS sign."""
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM)
    phone.text(body)
    # the typo (101 F, 38.33 C) is not kept; the corrected 100 is (37.78 C: a fever by the lowest line a clinic may
    # set, none by this clinic's 38.0: care.earlier_fevers), and the outcome below is this clinic's
    assert [fever.temperature_c for fever in parse(body, FOUR_PM).earlier_fevers] in ([], [37.78], [37.83])
    assert pages(client, admin_token) == []
    assert first_sign_at(config) is None
    assert [row[2] for row in stored(config)] == [None]  # only the current 99 is stored: no earlier reading


def test_a_page_does_not_say_earlier_twice(phone, client, admin_token, config, clock):
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM)
    phone.text("101 earlier, now 99")
    [page] = pages(client, admin_token)
    assert "101.0F/38.3C said earlier, now 99.0F/37.2C" in page, page


@pytest.mark.parametrize("body, current", [("heart 101 this morning, 99 now", 37.22),
                                           ("my heart was 101 earlier, temp 99 now", 37.22),
                                           ("corazon 101 esta manana, ahora 37", 37.0)])
def test_a_heart_rate_is_no_earlier_fever(phone, client, admin_token, config, clock, body, current):
    """A pulse the vitals' labels do not name ("heart 101") was kept as a fever said earlier: stored, paged URGENT for
    a high-risk patient and set as the episode's first CRS sign. The temperature now is read as before."""
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM)
    phone.text(body)
    assert parse(body, FOUR_PM).earlier_fevers == ()
    assert pages(client, admin_token) == []
    assert [(row[0], row[2]) for row in stored(config)] == [(current, None)]


def test_a_caregiver_of_two_patients_earlier_fever_pages_before_it_is_attributed(client, runner, admin_token, phone,
                                                                                   clock):
    """A caregiver of two patients texting "101 at 2pm, now 99" is asked which patient it is about, and the text is
    held; a fever now ("101") paged the high-risk patient's nurse at once, one said as earlier paged no one until the
    initials came, and never if they did not. A high-risk patient's fever: "immediate in-person evaluation" (SOP 5
    Grade 1 Home, line 64), whenever the thermometer read it (SOP 4 Grading, line 47: fever >= 100.4 F / 38.0 C)."""
    daughter = "+15555550188"
    enroll(client, admin_token, high_risk=True, caregivers=[{"name": "Maria Example", "phone": daughter}])
    enroll(client, admin_token, name="Mia Garcia", phone="+15555550177",
           caregivers=[{"name": "Maria Example", "phone": daughter}])
    runner.invoke(args=["tick"])
    clock.move_to(FOUR_PM)
    phone.text("101 at 2pm, now 99", sender=daughter)
    [page] = pages(client, admin_token)  # the high-risk patient's; Mia's fever alone is home care (SOP 5 Grade 1)
    assert page.startswith("crswatch URGENT: P.E. fever in a high-risk patient"), page
    assert "of 2 patients, not yet said which" in page
    assert texts_to(client, admin_token, daughter)[-1]["body"].startswith(
        "Test Cancer Center: you help more than one patient. Which one is this about?")


@pytest.mark.parametrize("fever_c, body, earlier", [
    # a clinic whose line is below the SOP's default: its fever, said as earlier, is kept and pages the high-risk
    pytest.param(37.8, "37.9 at 2pm, now 37.0", [(37.9, "20:00", "at 2pm", 1)], id="line-37.8-keeps-37.9"),
    # a clinic whose line is above it: 38.2 is no fever there, nor is it kept as one
    pytest.param(38.3, "38.2 at 2pm, now 37.0", [], id="line-38.3-drops-38.2"),
])
def test_an_earlier_fever_is_judged_by_the_clinic_s_fever_line(client, admin_token, phone, clock, config, fever_c,
                                                                body, earlier):
    """[thresholds] fever_c (SOP 4 Grading, line 47, by default 38.0 C) decides what a fever said as earlier is, as it
    does for a fever now: the parser kept only those over 38.0 C whatever the clinic had set, so at 37.8 a high-risk
    patient's "37.9 at 2pm, now 37.0" paged no one ("37.9" alone paged URGENT), and at 38.3 a 38.2 was stored and
    the patient told "we noted the fever you had earlier"."""
    response = client.put("/api/v1/settings", json={"thresholds.fever_c": fever_c}, headers=auth(admin_token))
    assert response.status_code == 200, response.get_json()
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM)
    phone.text(body)
    assert stored(config) == [*earlier, (37.0, "22:00", None, None)]
    assert bool(pages(client, admin_token)) == bool(earlier)
    replies = " ".join(told(client, admin_token))
    assert ("Call the clinic NOW" in replies) == bool(earlier)  # a high-risk patient's fever: urgent (SOP 5 Grade 1)
    assert NO_FEVER_NOW_EARLIER_NOTED not in replies


def test_a_timed_earlier_fever_of_the_day_before_is_paged_with_its_day(phone, client, admin_token, config, clock):
    """ "101 at 5pm, now 99" texted at 4 PM on the day after the step-up dose: the 5 PM was yesterday's. The page
    said "said earlier (5:00 PM), now ... at 4:00 PM", a time after the text; it names the day (a wrong fact on the
    pager misleads the nurse deciding on the evaluation the SOP asks for: SOP 5 Grade 1 Home, line 64)."""
    enroll(client, admin_token, high_risk=True)
    clock.move_to(FOUR_PM + timedelta(days=1))  # Wednesday 4 PM; the dose was Tuesday 10 AM
    phone.text("101 at 5pm, now 99")
    [page] = pages(client, admin_token)
    assert "101.0F/38.3C said earlier (Tue 5:00 PM), now 99.0F/37.2C" in page, page
