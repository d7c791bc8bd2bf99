"""Two readings a device posts for the same moment with different values are two readings (docs/fhir.md, "A
duplicate is accepted once"): a wearable that stamps its readings to the minute, or a 'corrected' Observation
for a reading already sent. Before, the second was answered 200 OK with the first one's Observation and dropped,
so an SpO2 of 85 sent after a 97 stamped the same minute paged no one (SOP 5, Grade 1 Home, line 64: "new hypoxia
(< 90%)"). The same values again are still the duplicate, answered with their own Observation."""
from __future__ import annotations

from conftest import NURSES, START, auth, texts_to
from fhirkit import add_device, observation, post, transaction


def test_another_value_for_the_same_moment_is_a_reading_of_its_own(client, runner, admin_token, patient):
    device = add_device(runner, "Ring oximeter", patient["id"])
    first = post(client, device, observation("spo2", 97, START))
    corrected = {**observation("spo2", 85, START), "status": "corrected"}
    second = post(client, device, corrected)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get_json()["id"] != first.get_json()["id"]
    assert second.get_json()["valueQuantity"]["value"] == 85
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert len(pages) == 1 and "low oxygen 85%" in pages[0]
    # each again is its own duplicate, in a Bundle too
    assert post(client, device, corrected).get_json()["id"] == second.get_json()["id"]
    again = post(client, device, transaction([observation("spo2", 97, START), corrected]), "/fhir/r4").get_json()
    assert [entry["response"]["status"] for entry in again["entry"]] == ["200 OK", "200 OK"]
    assert [entry["resource"]["id"] for entry in again["entry"]] == [first.get_json()["id"], second.get_json()["id"]]
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert sorted(reading["spo2"] for reading in readings) == [85, 97]


def test_a_blood_pressure_is_the_same_reading_only_with_both_values(client, runner, admin_token, patient):
    device = add_device(runner, "Cuff", patient["id"])
    assert post(client, device, observation("bp", (118, 76), START)).status_code == 201
    assert post(client, device, observation("bp", (118, 76), START)).status_code == 200
    assert post(client, device, observation("bp", (84, 76), START)).status_code == 201
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert sorted(reading["systolic"] for reading in readings) == [84, 118]


def test_a_constraint_the_duplicate_check_cannot_explain_is_a_409_not_a_500(client, runner, admin_token, patient,
                                                                           monkeypatch):
    """The IntegrityError branch finds the row that raced in; when it finds none (another constraint, values read
    back differently), the hub is told to send it again (409 OperationOutcome), never a bare 500."""
    import sqlite3

    from monitoring import device_readings

    device = add_device(runner, "Ring oximeter", patient["id"])

    def refusing(*args, **kwargs):
        raise sqlite3.IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr(device_readings, "insert", refusing)
    response = post(client, device, observation("spo2", 97, START))
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["resourceType"] == "OperationOutcome"
    assert "send it again" in response.get_json()["issue"][0]["diagnostics"]
