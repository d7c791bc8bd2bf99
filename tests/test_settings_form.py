"""The settings page as an administrator fills it in: settings that must change together, a page left open while
someone else saved, and the words of what is refused (the form's labels, never a config key), through Flask's
test client."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from conftest import auth
from test_dashboard import admin, users  # noqa: F401  (fixtures)
from werkzeug.datastructures import MultiDict

from monitoring.clinic import open_clinic


def errors(html: str) -> str:
    """The page's error summary and the messages beside the fields."""
    return " ".join(re.findall(r'<(?:div class="error-summary"|p class="field-error").*?</(?:div|p)>', html, re.DOTALL))


def saved(app) -> dict:
    return open_clinic(app.config["CRS"]).effective


@pytest.mark.parametrize("form, expect", [
    pytest.param({"checkins.quiet_start": "22:00", "checkins.quiet_end": "06:00"},
                 {("checkins", "quiet_start"): "22:00", ("checkins", "quiet_end"): "06:00"}, id="quiet-hours"),
    pytest.param({"clinic.open": "18:00", "clinic.close": "23:00"},
                 {("clinic", "open"): "18:00", ("clinic", "close"): "23:00"}, id="evening-clinic"),
    pytest.param({"checkins.interval_minutes": "30", "checkins.febrile_interval_minutes": "30",
                  "checkins.missed_after_minutes": "20"},
                 {("checkins", "interval_minutes"): 30, ("checkins", "missed_after_minutes"): 20}, id="half-hourly"),
])
def test_settings_that_must_change_together_are_saved_together(app, client, admin, form, expect):  # noqa: F811
    """Quiet hours need both ends, so the page could never set them: each field was checked alone over the
    current settings, and 'quiet start 22:00' alone has no end ('set both ... or neither')."""
    response = client.post("/dashboard/settings", data={"csrf_token": admin, **form})
    assert response.status_code == 302, response.text[response.text.find('class="error-summary"'):][:400]
    effective = saved(app)
    for (section, key), value in expect.items():
        assert effective[section][key] == value


def test_a_clash_among_the_submitted_values_is_refused_in_the_forms_words(app, client, admin):  # noqa: F811
    response = client.post("/dashboard/settings", data={"csrf_token": admin, "checkins.quiet_start": "22:00"})
    assert response.status_code == 400
    assert "Quiet hours end: set both “Quiet hours start” and “Quiet hours end”, or neither" in response.text
    order = client.post("/dashboard/settings", data={"csrf_token": admin, "checkins.missed_after_minutes": "130"})
    assert order.status_code == 400
    assert ("Count as missed after (minutes) must be later than “Remind after (minutes without an answer)” (15) and "
            "sooner than “Minutes between check-ins” (120)") in order.text
    assert "reminder_after_minutes" not in errors(order.text) and "quiet_start" not in errors(response.text)
    assert saved(app)["checkins"]["quiet_start"] == "" and saved(app)["checkins"]["missed_after_minutes"] == 45


def test_a_bad_value_beside_a_good_one_saves_nothing_and_names_both_problems(app, client, admin):  # noqa: F811
    response = client.post("/dashboard/settings", data={"csrf_token": admin, "thresholds.fever_c": "45",
                                                        "clinic.open": "8am", "checkins.interval_minutes": "90"})
    assert response.status_code == 400
    assert "Please fix these 2 things" in response.text
    assert "must be between 37.5 and 39.5" in response.text and "24-hour time like 08:00" in response.text
    effective = saved(app)
    assert effective["thresholds"]["fever_c"] == 38.0 and effective["checkins"]["interval_minutes"] == 120


@pytest.mark.parametrize("chain, words", [
    pytest.param("", "On-call chain: write at least one person to page, one a line: Name, +15555550142", id="emptied"),
    pytest.param("Nurse A, +15555550142\nnurse a, +15555550143",
                 "On-call chain, line 2: name &#39;Nurse A&#39; is already in the chain; each person once", id="name-twice"),
    pytest.param("Nurse A, +15555550142\nNurse B, +1 555 555 0142",
                 "On-call chain, line 2: phone +15555550142 is already Nurse A&#39;s; each phone once in the chain",
                 id="phone-twice"),
])
def test_the_on_call_chain_emptied_or_with_someone_twice_is_refused_in_words(app, client, admin, chain, words):  # noqa: F811
    response = client.post("/dashboard/settings", data={"csrf_token": admin, "oncall": chain})
    assert response.status_code == 400 and words in response.text
    assert "tables" not in errors(response.text)
    assert [person["name"] for person in saved(app)["oncall"]] == ["Primary nurse", "Backup nurse"]


def test_a_clash_does_not_hide_the_other_fields_problems(app, client, admin):  # noqa: F811
    response = client.post("/dashboard/settings", data={"csrf_token": admin, "thresholds.fever_c": "100.4",
                                                        "clinic.open": "8am", "checkins.quiet_start": "22:00",
                                                        "oncall": ""})
    assert response.status_code == 400 and "Please fix these 4 things" in response.text
    for words in ("Fever at or above (°C) must be between 37.5 and 39.5, not 100.4",
                  "Opens must be a 24-hour time like 08:00, not &#39;8am&#39;", "Quiet hours end: set both",
                  "On-call chain: write at least one person"):
        assert words in errors(response.text), words


class SettingsForm(HTMLParser):
    """What a browser sends for the page's settings form as it was shown: every input, select and textarea."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = self._select = self._textarea = None
        self._selected: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "settings" in (attrs.get("class") or ""):
            self._inside = True
        elif not self._inside:
            return
        elif tag == "input":
            self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self._select, self._selected = attrs["name"], ""
        elif tag == "option" and self._select and "selected" in attrs:
            self._selected = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select" and self._select:
            self.fields.append((self._select, self._selected or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def sent(self, **changes) -> MultiDict:
        return MultiDict([(name, changes.get(name, value)) for name, value in self.fields])


@pytest.fixture
def api_token(runner) -> str:
    from conftest import add_staff

    return add_staff(runner, "Api Admin", "admin")


def test_a_page_opened_before_another_admins_edit_does_not_undo_it(app, client, admin, api_token):  # noqa: F811
    """The form sends every field; a page left open (another tab, another admin) while someone raised the fever
    line sent the old 38.0 back with its own edit, and the save quietly put the fever line back."""
    opened = SettingsForm(client.get("/dashboard/settings").text)
    assert client.put("/api/v1/settings", json={"thresholds.fever_c": 38.3, "oncall": [
        {"name": "Dr On Call", "phone": "+15555550150"}]}, headers=auth(api_token)).status_code == 200
    response = client.post("/dashboard/settings", data=opened.sent(**{"checkins.interval_minutes": "90"}))
    assert response.status_code == 302
    effective = saved(app)
    assert effective["checkins"]["interval_minutes"] == 90
    assert effective["thresholds"]["fever_c"] == 38.3 and [p["name"] for p in effective["oncall"]] == ["Dr On Call"]


def test_an_edit_of_a_setting_someone_changed_meanwhile_is_refused(app, client, admin, api_token):  # noqa: F811
    opened = SettingsForm(client.get("/dashboard/settings").text)
    client.put("/api/v1/settings", json={"thresholds.fever_c": 38.3}, headers=auth(api_token))
    response = client.post("/dashboard/settings", data=opened.sent(**{"thresholds.fever_c": "38.5",
                                                                     "checkins.interval_minutes": "90"}))
    assert response.status_code == 400
    assert ("Fever at or above (°C) was changed to 38.3 by Api Admin since this page was opened; it shows 38.3 now: "
            "check it and save again") in errors(response.text)
    assert saved(app)["thresholds"]["fever_c"] == 38.3 and saved(app)["checkins"]["interval_minutes"] == 120
    again = SettingsForm(response.text)  # saved again as shown: the other edits go in, the fever line stays
    assert client.post("/dashboard/settings", data=again.sent()).status_code == 302
    assert saved(app)["thresholds"]["fever_c"] == 38.3 and saved(app)["checkins"]["interval_minutes"] == 90


def test_the_clinic_phone_is_never_a_patients(app, client, admin, api_token):  # noqa: F811
    """Every urgent text tells the patient to call the clinic phone: a patient's number typed there sent every
    patient in danger to call that patient."""
    from conftest import PATIENT_PHONE, enroll

    enroll(client, api_token)
    response = client.post("/dashboard/settings", data={"csrf_token": admin, "clinic.phone": PATIENT_PHONE})
    assert response.status_code == 400
    assert ("Clinic phone patients call: +15555550199 is the phone of patient Pat Example: every urgent text would "
            "tell patients to call them") in errors(response.text)
    assert saved(app)["clinic"]["phone"] == "+15555550100"


def test_a_refused_on_call_pick_is_named_beside_its_chain(app, client, admin):  # noqa: F811
    from monitoring.staff import set_phone

    set_phone(open_clinic(app.config["CRS"]), "Nora Nurse", "+15555550177", actor="test")
    response = client.post("/dashboard/settings", data=MultiDict([
        ("csrf_token", admin), ("rota.clinic_hours", "Nora Nurse"), ("rota.clinic_hours", "Nora Nurse")]))
    assert response.status_code == 400
    assert '<a href="#rota-clinic_hours">On call in clinic hours: Nora Nurse is in the chain twice; each person once' \
        in response.text
    assert 'id="rota-clinic_hours"' in response.text  # the summary's link leads to the chain
    assert '<p class="field-error" id="rota-clinic_hours-error">On call in clinic hours: Nora Nurse is in the chain' \
        in response.text
    assert saved(app)["rota"]["clinic_hours"] == []


@pytest.mark.parametrize("typed", ["Monday to Friday", "monday - friday", "Mon through Fri"])
def test_days_open_typed_as_a_range_is_refused_not_read_as_monday(app, client, admin, typed):  # noqa: F811
    """An administrator typed "Monday to Friday" in "Days open": saved as mon alone (a day's full name was read from
    the text's end), the clinic was closed Tuesday to Friday, so urgent texts said ED in clinic hours and the
    nights-and-weekends chain was paged (SOP 5 Grade 2: ED "if after hours")."""
    response = client.post("/dashboard/settings", data={"csrf_token": admin, "clinic.days": typed})
    assert response.status_code == 400
    assert f"Days open must be days among mon, tue, wed, thu, fri, sat, sun, not {typed}; a range is each day" in (
        errors(response.text))
    assert saved(app)["clinic"]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    spelled = client.post("/dashboard/settings", data={"csrf_token": admin, "clinic.days": "Monday, Tuesday, Friday"})
    assert spelled.status_code == 302 and saved(app)["clinic"]["days"] == ["mon", "tue", "fri"]


def test_the_settings_page_speaks_of_yes_and_no_not_false(client, admin):  # noqa: F811
    """'Pages carry the patient's phone number' is a yes/no choice on the page, but its help read "false (no) where
    pagers are not secure" (the config file's word) to an administrator who never sees a false."""
    page = client.get("/dashboard/settings").text
    assert "Yes: pages carry the patient&#39;s phone number so the nurse can call back at once; no where pagers" in page
    assert "false (no)" not in page
