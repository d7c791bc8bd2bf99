"""A device's reading that a body can show is never lost to how the device wrote it (docs/fhir.md, "Readings from
devices"): a blood pressure panel whose diastolic the cuff could not read, a systolic posted on its own, a UCUM unit
with an annotation ('%{saturation}', '{beats}/min'), a saturation or pulse with decimals. Each is triaged as the
app's reading of the same values is, and a red flag in it pages the nurse (SOP 5, Grade 1 Home, line 64: "blood
pressure ... < 90 mm Hg systolic", "new hypoxia (< 90%)")."""
from __future__ import annotations

import pytest
from conftest import NURSES, START, auth, texts_to
from fhirkit import LOINC, add_device, observation, post, quantity, valid

ABSENT = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error"}]}


@pytest.fixture
def device(runner, patient) -> str:
    return add_device(runner, "Cuff and oximeter", patient["id"])


def newest_reading(client, admin_token, patient) -> dict:
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert len(readings) == 1, readings
    return readings[0]


def paged(client, admin_token) -> list[str]:
    return [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]


def systolic_only_panel(systolic: int, diastolic_component) -> dict:
    resource = observation("bp", (systolic, 0), START)
    resource["component"] = resource["component"][:1] + ([diastolic_component] if diastolic_component else [])
    return resource


@pytest.mark.parametrize("resource", [
    pytest.param(systolic_only_panel(82, {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                                          "dataAbsentReason": ABSENT}), id="diastolic-data-absent"),
    pytest.param(systolic_only_panel(82, None), id="diastolic-left-out"),
    pytest.param({**observation("spo2", 0, START), "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                  "valueQuantity": quantity(82, "mm[Hg]")}, id="systolic-on-its-own"),
])
def test_a_low_systolic_without_its_diastolic_pages_the_nurse(client, admin_token, device, patient, resource):
    response = post(client, device, resource)
    assert response.status_code == 201, response.get_json()
    created = valid(response.get_json())
    assert created["component"][0]["valueQuantity"]["value"] == 82 and "dataAbsentReason" in created["component"][1]
    reading = newest_reading(client, admin_token, patient)
    assert (reading["systolic"], reading["diastolic"], reading["source"]) == (82, None, "device")
    [page] = paged(client, admin_token)
    assert "URGENT" in page and "82" in page


def test_a_diastolic_posted_on_its_own_is_kept(client, admin_token, device, patient):
    resource = {**observation("spo2", 0, START), "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": quantity(61, "mm[Hg]")}
    assert post(client, device, resource).status_code == 201
    reading = newest_reading(client, admin_token, patient)
    assert (reading["systolic"], reading["diastolic"]) == (None, 61)
    assert paged(client, admin_token) == []


@pytest.mark.parametrize("kind, value, unit, field", [
    pytest.param("spo2", 86, "%{saturation}", "spo2", id="percent-saturation"),
    pytest.param("spo2", 86, "%{SpO2}", "spo2", id="percent-spo2"),
    pytest.param("hr", 72, "{beats}/min", "heart_rate", id="beats-per-minute"),
    pytest.param("temp", 38.4, "Cel{oral}", "temperature_c", id="celsius-oral"),
])
def test_a_ucum_annotation_is_the_same_unit(client, admin_token, device, patient, kind, value, unit, field):
    """UCUM (unitsofmeasure.org, section 6, "curly braces"): an annotation has no effect on the unit's meaning."""
    response = post(client, device, observation(kind, value, START, unit=unit))
    assert response.status_code == 201, response.get_json()
    assert newest_reading(client, admin_token, patient)[field] == value
    if kind == "spo2":
        [page] = paged(client, admin_token)
        assert "low oxygen 86%" in page


def test_an_unknown_unit_inside_braces_is_still_refused(client, admin_token, device, patient):
    response = post(client, device, observation("spo2", 96, START, unit="{ratio}"))
    assert response.status_code == 422
    assert client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"] == []


@pytest.mark.parametrize("kind, value, field, stored, urgent", [
    # Every SOP line is a whole number ("< 90%", "< 90 mm Hg systolic", baseline - 10): x < N exactly when
    # floor(x) < N, so the whole number below keeps each rule's answer; rounding would make 89.6% a normal 90%.
    pytest.param("spo2", 89.6, "spo2", 89, True, id="spo2-89.6-is-hypoxia"),
    pytest.param("spo2", 90.4, "spo2", 90, False, id="spo2-90.4-is-not"),
    pytest.param("hr", 88.5, "heart_rate", 88, False, id="pulse-88.5"),
    pytest.param("bp", (89.7, 60.2), "systolic", 89, True, id="systolic-89.7-is-low"),
])
def test_a_decimal_from_a_device_is_kept_on_the_sop_side_of_its_line(client, admin_token, device, patient, kind,
                                                                      value, field, stored, urgent):
    response = post(client, device, observation(kind, value, START))
    assert response.status_code == 201, response.get_json()
    assert newest_reading(client, admin_token, patient)[field] == stored
    assert bool(paged(client, admin_token)) is urgent


@pytest.mark.parametrize("resource, expression", [
    pytest.param({**observation("spo2", 0, START), "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                  "valueQuantity": quantity(400, "mm[Hg]")}, "Observation.valueQuantity.value", id="systolic-alone"),
    pytest.param({**observation("bp", (0, 0), START), "component": [
        {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "valueQuantity": quantity(70, "mm[Hg]")},
        {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": quantity(400, "mm[Hg]")}]},
                 "Observation.component[1].valueQuantity.value", id="systolic-second-in-the-panel"),
])
def test_an_implausible_pressure_names_the_element_it_came_in(client, admin_token, device, patient, resource,
                                                              expression):
    response = post(client, device, resource)
    assert response.status_code == 422
    assert response.get_json()["issue"][0]["expression"] == [expression]
    assert client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"] == []


def test_an_effective_instant_is_when_it_was_taken(client, admin_token, device, patient):
    """Observation.effective[x] may be an instant (FHIR R4: always with its offset): an oximeter's 85% then is read."""
    resource = observation("spo2", 85, START)
    resource["effectiveInstant"] = resource.pop("effectiveDateTime")
    response = post(client, device, resource)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["effectiveDateTime"] == "2026-03-03T16:00:00+00:00"  # START, as stored (UTC)
    [page] = paged(client, admin_token)
    assert "low oxygen 85%" in page
    again = post(client, device, {**resource, "effectiveInstant": "2026-03-03T16:00:00Z"})
    assert again.status_code == 200 and again.get_json()["id"] == response.get_json()["id"]
