"""A real FHIR client (fhirclient 4.4.0, its R4 models) reads a patient's Observations from the app served on a
free loopback port, following the searchset's next links."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import START
from fhirclient import client as fhir_client
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirkit import add_device, observation, post, transaction
from werkzeug.serving import make_server


@pytest.fixture
def served(app):
    """The app on 127.0.0.1 and a port the system chose; stopped after the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/fhir/r4/"
    server.shutdown()
    thread.join(timeout=10)


def test_fhirclient_reads_every_observation_through_the_paging_links(served, client, runner, admin_token, patient,
                                                                     clock):
    device = add_device(runner, "Hub", patient["id"])
    readings = [observation("temp", 37.1 + minute / 10, START + timedelta(minutes=minute)) for minute in range(23)]
    readings += [observation("bp", (110 + minute, 70), START + timedelta(minutes=minute)) for minute in range(4)]
    clock.shift(timedelta(hours=1))
    assert post(client, device, transaction(readings), "/fhir/r4").status_code == 200

    smart = fhir_client.FHIRClient(settings={"app_id": "crswatch-test", "api_base": served})
    smart.server.session.headers["Authorization"] = f"Bearer {admin_token}"
    assert smart.server.get_capability() is None and smart.server.capabilityStatement.fhirVersion == "4.0.1"

    search = Observation.where(struct={"patient": str(patient["id"]), "_count": "5"})
    pages = list(search.perform_iter(smart.server))
    assert len(pages) == 6 and all(page.type == "searchset" and page.total == 27 for page in pages)
    found = [entry.resource for page in pages for entry in page.entry]
    assert len({resource.id for resource in found}) == 27
    temperatures = [r for r in found if r.code.coding[0].code == "8310-5"]
    assert [r.valueQuantity.value for r in temperatures] == [round(37.1 + hour / 10, 2) for hour in range(23)]
    assert {r.valueQuantity.code for r in temperatures} == {"Cel"}
    pressures = [r for r in found if r.code.coding[0].code == "85354-9"]
    assert [[c.valueQuantity.value for c in r.component] for r in pressures] == [[110 + h, 70] for h in range(4)]
    assert all(r.effectiveDateTime.datetime.tzinfo is not None for r in found)

    vitals = Observation.where(struct={"patient": str(patient["id"]), "code": "http://loinc.org|85354-9"})
    assert len(list(vitals.perform_resources_iter(smart.server))) == 4
    person = Patient.read(str(patient["id"]), smart.server)
    assert person.name[0].family == "Example" and person.telecom[0].value == "+15555550199"
