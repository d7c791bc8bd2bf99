"""The read-only FHIR R4 API: every resource validates against fhir.resources R4B, for every kind of reading,
alert, page and medication; codes and units are the vital-signs profiles'; searches page; errors are
OperationOutcomes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import NURSES, START, auth, enroll
from fhirkit import add_device, get, issue, observation, post, search_all, valid

from messages.gateways import GatewayError
from monitoring.clinic import open_clinic
from monitoring.fhir_search import SEARCH
from monitoring.store import insert, to_text, transaction

MRN_SYSTEM = "https://crswatch.org/fhir/NamingSystem/mrn"


@pytest.fixture
def chart(app, client, admin_token, runner, phone, clock):
    """A patient with every kind of reading (text, app, device), an acknowledged-then-resolved alert, an open
    one, pages delivered, and every medication crswatch records."""
    patient = enroll(client, admin_token, mrn="MRN-0042", birth_date="1961-05-04")
    clinic = open_clinic(app.config["CRS"])
    with transaction(clinic.db):  # the caregivers API comes with the caregivers branch; its table is here
        insert(clinic.db, "caregivers", {"patient_id": patient["id"], "name": "Sam Example", "phone": "+15555550188",
                                         "language": "en", "relationship": "spouse", "created_at": to_text(START)})
    clinic.db.close()
    runner.invoke(args=["tick"])
    phone.text("temp 101.2 bp 85/60 o2 88 pulse 112 dizzy no confusion")
    runner.invoke(args=["tick"])
    first_alert = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()[0]["id"]
    assert client.post(f"/api/v1/alerts/{first_alert}/ack", headers=auth(admin_token)).status_code == 200
    clock.shift(timedelta(minutes=10))
    app_reading = {"temperature": {"value": 38.4, "unit": "C"}, "symptoms": ["chills"], "spo2": 95}
    assert client.post("/api/v1/me/readings", json=app_reading, headers=auth(patient["patient_token"])).status_code == 201
    device = add_device(runner, "Hub 7", patient["id"])
    taken = START + timedelta(minutes=12)
    for resource in (observation("temp", 101.5, taken, unit="[degF]"), observation("bp", (118, 76), taken),
                     observation("hr", 96, taken), observation("spo2", 97, taken)):
        assert post(client, device, resource).status_code == 201
    for body in ({"name": "acetaminophen", "dose_mg": 1000}, {"name": "dexamethasone", "dose_mg": 10},
                 {"name": "tocilizumab", "weight_kg": 70}, {"name": "anakinra", "dose_mg": 100},
                 {"name": "siltuximab", "dose_mg": 770}):
        response = client.post(f"/api/v1/patients/{patient['id']}/medications", json=body, headers=auth(admin_token))
        assert response.status_code == 201, response.get_json()
    phone.text("took tylenol 500mg")
    clock.shift(timedelta(minutes=5))
    assert client.post(f"/api/v1/alerts/{first_alert}/resolve", json={"note": "seen in clinic"},
                       headers=auth(admin_token)).status_code == 200
    phone.text("i feel confused")
    runner.invoke(args=["tick"])
    return {"patient": patient, "first_alert": first_alert, "device": device}


def by_id(resources: list[dict]) -> dict[str, dict]:
    return {resource["id"]: resource for resource in resources}


def test_every_resource_of_every_type_validates_and_reads_back(client, admin_token, chart):
    for resource_type in SEARCH:
        found = search_all(client, admin_token, resource_type)
        assert found, resource_type
        for resource in found:
            assert resource["resourceType"] == resource_type
            read = get(client, admin_token, f"{resource_type}/{resource['id']}")
            assert read.status_code == 200 and valid(read.get_json()) == resource


def test_observations_follow_the_vital_signs_profiles(client, admin_token, chart):
    found = search_all(client, admin_token, "Observation", patient=chart["patient"]["id"])
    kinds = {}
    for resource in found:
        kinds.setdefault(resource["id"].split("-")[1], []).append(resource)
    assert {kind: len(items) for kind, items in kinds.items()} == {"temp": 3, "bp": 2, "hr": 2, "spo2": 3, "sym": 3}
    for resource in found:
        if resource["id"].endswith("-sym"):
            assert resource["category"][0]["coding"][0]["code"] == "survey"
            continue
        assert resource["category"][0]["coding"][0]["code"] == "vital-signs"
        assert resource["meta"]["profile"][0].startswith("http://hl7.org/fhir/StructureDefinition/")
        assert resource["meta"]["profile"][1].startswith("http://hl7.org/fhir/us/core/StructureDefinition/us-core-")
    text, app_reading, device = sorted(kinds["temp"], key=lambda r: r["effectiveDateTime"])
    assert [r["valueQuantity"]["code"] for r in (text, app_reading, device)] == ["Cel"] * 3
    assert [r["code"]["coding"][0]["code"] for r in (text, app_reading, device)] == ["8310-5"] * 3
    assert (text["valueQuantity"]["value"], text["note"][0]["text"]) == (38.44, "Given as 101.2 [degF]")
    assert (app_reading["valueQuantity"]["value"], app_reading["note"][0]["text"]) == (38.4, "Given as 38.4 Cel")
    assert (device["valueQuantity"]["value"], device["note"][0]["text"]) == (38.61, "Given as 101.5 [degF]")
    assert [r["meta"]["tag"][0]["code"] for r in (text, app_reading, device)] == ["sms", "app", "device"]
    assert "device" not in text and "device" not in app_reading
    assert text["performer"][0]["display"] == "Reported by the patient by text message"
    assert app_reading["performer"][0]["display"] == "Reported by the patient in the app"
    assert device["device"]["reference"].startswith("Device/")
    assert get(client, admin_token, device["device"]["reference"]).get_json()["deviceName"][0]["name"] == "Hub 7"
    assert text["effectiveDateTime"] == START.isoformat().replace("-06:00", "+00:00").replace("T10", "T16")

    pressure = min(kinds["bp"], key=lambda r: r["effectiveDateTime"])
    assert pressure["code"]["coding"][0]["code"] == "85354-9"
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
            for c in pressure["component"]] == [("8480-6", 85, "mm[Hg]"), ("8462-4", 60, "mm[Hg]")]
    pulse = min(kinds["hr"], key=lambda r: r["effectiveDateTime"])
    assert (pulse["code"]["coding"][0]["code"], pulse["valueQuantity"]["value"], pulse["valueQuantity"]["code"]) == (
        "8867-4", 112, "/min")
    oxygen = min(kinds["spo2"], key=lambda r: r["effectiveDateTime"])
    assert [c["code"] for c in oxygen["code"]["coding"]] == ["2708-6", "59408-5"]
    assert (oxygen["valueQuantity"]["value"], oxygen["valueQuantity"]["code"]) == (88, "%")
    symptoms = min(kinds["sym"], key=lambda r: r["effectiveDateTime"])
    assert symptoms["code"]["coding"][0]["code"] == "75325-1"
    assert {(c["code"]["coding"][0]["code"], c["valueBoolean"]) for c in symptoms["component"]} == {
        ("dizziness", True), ("confusion", False)}
    assert ("http://snomed.info/sct", "404640003") in {
        (coding["system"], coding["code"]) for c in symptoms["component"] for coding in c["code"]["coding"]}


def test_patient_has_mrn_caregiver_and_language(client, admin_token, chart):
    patient = valid(get(client, admin_token, f"Patient/{chart['patient']['id']}").get_json())
    mrn = patient["identifier"][0]
    assert (mrn["system"], mrn["value"], mrn["type"]["coding"][0]["code"]) == (MRN_SYSTEM, "MRN-0042", "MR")
    assert patient["name"][0] == {"text": "Pat Example", "family": "Example", "given": ["Pat"]}
    assert patient["telecom"] == [{"system": "phone", "value": "+15555550199", "use": "mobile"}]
    assert patient["birthDate"] == "1961-05-04" and patient["gender"] == "unknown"
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "en"
    contact = patient["contact"][0]
    assert contact["name"]["text"] == "Sam Example" and contact["relationship"][0]["text"] == "spouse"
    assert contact["telecom"][0]["value"] == "+15555550188"
    found = search_all(client, admin_token, "Patient", identifier=f"{MRN_SYSTEM}|MRN-0042")
    assert [p["id"] for p in found] == [str(chart["patient"]["id"])]


def test_alerts_are_flags_and_pages_are_communications(client, admin_token, chart):
    flags = by_id(search_all(client, admin_token, "Flag", patient=chart["patient"]["id"]))
    first = flags.pop(str(chart["first_alert"]))
    assert first["status"] == "inactive" and "end" in first["period"]
    assert first["code"]["coding"][0]["code"] == "urgent" and "low blood pressure" in first["code"]["text"].lower()
    (second,) = flags.values()
    assert second["status"] == "active" and "end" not in second["period"]
    pages = search_all(client, admin_token, "Communication", patient=chart["patient"]["id"])
    first_pages = [page for page in pages if page["about"] == [{"reference": f"Flag/{chart['first_alert']}"}]]
    assert first_pages and all(page["status"] == "completed" and page["sent"] for page in first_pages)
    assert first_pages[0]["recipient"][0] == {"identifier": {"system": "urn:ietf:rfc:3966", "value": f"tel:{NURSES[0]}"},
                                              "display": "Primary nurse"}
    assert first_pages[0]["note"][0]["authorString"] == "Ada Admin"
    assert "Pat" not in first_pages[0]["payload"][0]["contentString"]  # pages carry initials, never a name


def test_medications_are_administrations_with_rxnorm(client, admin_token, chart):
    given = search_all(client, admin_token, "MedicationAdministration", patient=chart["patient"]["id"])
    by_name = {m["medicationCodeableConcept"]["text"]: m for m in given if m["performer"][0]["actor"].get("display")
               == "Ada Admin"}
    assert {name: m["medicationCodeableConcept"].get("coding", [{}])[0].get("code") for name, m in by_name.items()} == {
        "acetaminophen": "161", "dexamethasone": "3264", "tocilizumab": "612865", "anakinra": "72435",
        "siltuximab": None}
    assert by_name["tocilizumab"]["dosage"]["dose"] == {"value": 560.0, "unit": "mg",
                                                        "system": "http://unitsofmeasure.org", "code": "mg"}
    assert by_name["tocilizumab"]["note"][0]["text"] == "Dosed for a weight of 70 kg"
    assert all(m["context"]["reference"].startswith("EpisodeOfCare/") for m in given)
    (texted,) = [m for m in given if m["performer"][0]["actor"].get("reference")]
    assert texted["performer"][0]["actor"]["display"] == "the patient, by text message"
    assert texted["dosage"]["dose"]["value"] == 500


def test_assessments_are_risk_assessments_with_reason_codes_and_basis(client, admin_token, chart):
    assessments = search_all(client, admin_token, "RiskAssessment", patient=chart["patient"]["id"])
    urgent = assessments[0]
    assert urgent["prediction"][0]["outcome"]["coding"][0]["code"] == "urgent"
    assert urgent["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"
    assert {c["coding"][0]["code"] for c in urgent["reasonCode"]} >= {"hypotension", "hypoxia", "dizziness", "fever"}
    assert {b["reference"].split("-")[-1] for b in urgent["basis"]} == {"temp", "bp", "hr", "spo2", "sym"}
    for basis in urgent["basis"]:
        assert get(client, admin_token, basis["reference"]).status_code == 200
    episodes = search_all(client, admin_token, "EpisodeOfCare", patient=chart["patient"]["id"])
    assert episodes[0]["status"] == "active" and "teclistamab" in episodes[0]["type"][0]["text"]


@pytest.mark.parametrize("query, expected", [
    pytest.param({"category": "vital-signs"}, {"temp": 3, "bp": 2, "hr": 2, "spo2": 3}, id="category-vital-signs"),
    pytest.param({"category": "survey"}, {"sym": 3}, id="category-survey"),
    pytest.param({"code": "http://loinc.org|8310-5"}, {"temp": 3}, id="code-with-system"),
    pytest.param({"code": "8480-6"}, {"bp": 2}, id="component-code-finds-its-panel"),
    pytest.param({"code": "2708-6,8867-4"}, {"spo2": 3, "hr": 2}, id="code-or"),
    pytest.param({"code": "http://snomed.info/sct|8310-5"}, {}, id="code-other-system"),
    pytest.param({"date": "le2026-03-03T10:05:00-06:00"}, {"temp": 1, "bp": 1, "hr": 1, "spo2": 1, "sym": 1},
                 id="date-le"),
    pytest.param({"date": "ge2026-03-03T10:11:00-06:00", "code": "8310-5"}, {"temp": 1}, id="date-ge-and-code"),
    pytest.param({"date": "2026-03-03", "category": "vital-signs"}, {"temp": 3, "bp": 2, "hr": 2, "spo2": 3},
                 id="date-day-in-clinic-zone"),
    pytest.param({"date": "2026-03-04"}, {}, id="date-other-day"),
    pytest.param({"_lastUpdated": "gt2026-03-03T16:00:00+00:00", "category": "vital-signs"},
                 {"temp": 2, "hr": 1, "spo2": 2, "bp": 1}, id="last-updated"),
])
def test_observation_search(client, admin_token, chart, query, expected):
    found = search_all(client, admin_token, "Observation", patient=f"Patient/{chart['patient']['id']}", **query)
    counts = {}
    for resource in found:
        counts[resource["id"].split("-")[1]] = counts.get(resource["id"].split("-")[1], 0) + 1
    assert counts == expected


def test_paging_follows_next_links_to_every_observation(client, admin_token, chart):
    everything = search_all(client, admin_token, "Observation")
    paged = search_all(client, admin_token, "Observation", _count=3)
    assert [r["id"] for r in paged] == [r["id"] for r in everything] and len(everything) == 13
    second = get(client, admin_token, "Observation", _count=3, _offset=3).get_json()
    relations = {link["relation"]: link["url"] for link in second["link"]}
    assert second["total"] == 13 and set(relations) == {"self", "first", "previous", "next"}
    assert "_offset=0" in relations["previous"] and "_offset=6" in relations["next"]
    assert [e["resource"]["effectiveDateTime"] for e in second["entry"]] == sorted(
        e["resource"]["effectiveDateTime"] for e in second["entry"])


@pytest.mark.parametrize("path, query, status, expression", [
    pytest.param("Observation", {"date": "yesterday"}, 400, "date", id="bad-date"),
    pytest.param("Observation", {"date": "ge2026-03-03T10:00:00"}, 400, "date", id="date-without-offset"),
    pytest.param("Observation", {"flavour": "x"}, 400, "flavour", id="unknown-parameter"),
    pytest.param("Observation", {"_count": "-1"}, 400, "_count", id="bad-count"),
    pytest.param("Observation", {"patient": "Group/1"}, 400, "patient", id="bad-reference"),
    pytest.param("Flag", {"_id": "x"}, 400, "_id", id="bad-id"),
    pytest.param("EpisodeOfCare", {"status": "paused"}, 400, "status", id="bad-status"),
    pytest.param("Observation/99-temp", {}, 404, "id", id="unknown-observation"),
    pytest.param("Observation/1-nothing", {}, 404, "id", id="unknown-kind"),
    pytest.param("Patient/99999999999999999999999", {}, 404, "id", id="huge-id"),
    pytest.param("Encounter", {}, 404, None, id="unserved-type"),
])
def test_search_and_read_errors_are_operation_outcomes(client, admin_token, chart, path, query, status, expression):
    response = get(client, admin_token, path, **query)
    assert response.status_code == status
    found = issue(response)
    assert found.get("expression", [None])[0] == expression and found["diagnostics"]


def test_tokens(client, admin_token, nurse_token, chart):
    assert get(client, nurse_token, "Observation").status_code == 200  # any staff member reads
    for token in ("st_wrong", chart["patient"]["patient_token"], chart["device"]):
        response = get(client, token, "Observation")
        assert response.status_code == 401 and issue(response)["code"] == "login"
    assert client.get("/fhir/r4/Observation").status_code == 401
    response = client.put("/fhir/r4/Observation/1-temp", headers=auth(admin_token))
    assert response.status_code == 405 and issue(response)["code"] == "not-supported"


def test_capability_statement_is_public_and_true(client):
    response = client.get("/fhir/r4/metadata")
    statement = valid(response.get_json())
    assert response.mimetype == "application/fhir+json" and statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == set(SEARCH)
    for name, spec in SEARCH.items():
        assert {p["name"] for p in resources[name]["searchParam"]} == set(spec.params)
        codes = {i["code"] for i in resources[name]["interaction"]}
        assert codes == ({"read", "search-type", "create"} if name == "Observation" else {"read", "search-type"})
    assert {i["code"] for i in statement["rest"][0]["interaction"]} == {"transaction", "batch"}


class FailingFirstNurse:
    """A gateway whose first nurse's number is invalid for good (Twilio 21211); everything else is sent."""

    sent = 0

    def send(self, to, from_, body, kind, status_callback=None):
        if to == NURSES[0]:
            raise GatewayError("21211 invalid 'To' phone number", 21211, False)
        self.sent += 1
        return f"SMfhir{self.sent:026d}"


def test_a_failed_page_is_a_not_done_communication(app, client, admin_token, patient, runner, phone):
    app.extensions["crswatch.gateway"] = FailingFirstNurse()
    phone.text("o2 86")
    runner.invoke(args=["tick"])  # the first page fails for good ...
    runner.invoke(args=["tick"])  # ... and the backup is paged at once
    pages = {page["recipient"][0]["display"]: page for page in search_all(client, admin_token, "Communication")}
    assert pages["Primary nurse"]["status"] == "not-done" and "21211" in pages["Primary nurse"]["statusReason"]["text"]
    assert "sent" not in pages["Primary nurse"]
    assert pages["Backup nurse"]["status"] == "completed"


def test_episode_and_flag_states(client, admin_token, patient, phone, clock):
    phone.text("o2 86")
    (alert,) = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=auth(admin_token))
    flag = valid(get(client, admin_token, f"Flag/{alert['id']}").get_json())
    assert flag["status"] == "active" and "end" not in flag["period"]  # acknowledged is still being acted on
    clock.shift(timedelta(hours=30))
    response = client.post(f"/api/v1/patients/{patient['id']}/doses", json={"therapy": "teclistamab step-up 2"},
                           headers=auth(admin_token))
    assert response.status_code == 201
    episodes = search_all(client, admin_token, "EpisodeOfCare", patient=patient["id"])
    assert [(e["status"], "end" in e["period"]) for e in episodes] == [("finished", True), ("active", False)]
    assert [e["id"] for e in search_all(client, admin_token, "EpisodeOfCare", status="finished")] == [episodes[0]["id"]]


def test_fhir_reads_of_patient_data_are_in_the_access_log(client, admin_token, chart, config):
    """Issue 16: every read of a patient's data leaves an access record, through FHIR as elsewhere."""
    from monitoring.store import connect

    patient_id = chart["patient"]["id"]
    assert client.get(f"/fhir/r4/Patient/{patient_id}", headers=auth(admin_token)).status_code == 200
    assert client.get(f"/fhir/r4/Observation?patient={patient_id}", headers=auth(admin_token)).status_code == 200
    assert client.get("/fhir/r4/Observation?patient=999999", headers=auth(admin_token)).status_code == 200
    rows = connect(config["database"]["path"]).execute(
        "SELECT action, patient_id, actor FROM access_log WHERE action LIKE 'fhir.%' ORDER BY id").fetchall()
    assert [tuple(row) for row in rows][:2] == [("fhir.Patient.read", patient_id, "Ada Admin"),
                                                ("fhir.Observation.search", patient_id, "Ada Admin")]
