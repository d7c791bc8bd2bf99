"""A hub posts hours-late readings of a red flag the nurse has already acknowledged (docs/fhir.md, "One alert": after
an acknowledgement, a red flag still present `ack_timeout_minutes` later pages again). A reading taken before the
nurse had that time is not the flag "still present": the nurse woken at 3 a.m. who acknowledged the low oxygen and
is calling the patient must not be paged again, up the chain, for the minutes she acknowledged. Readings taken
`ack_timeout_minutes` after the acknowledgement still page, however late they arrive (SOP 5, Grade 1 Home, line 64)."""
from __future__ import annotations

from datetime import timedelta

from conftest import NURSES, START, auth, texts_to
from fhirkit import add_device, observation, post, transaction


def pages(client, admin_token) -> list[str]:
    return [text["body"] for number in NURSES for text in texts_to(client, admin_token, number)
            if text["kind"] == "alert"]


def test_late_readings_from_before_the_acknowledgement_page_no_one(client, runner, admin_token, patient, clock):
    oximeter = add_device(runner, "Ring oximeter", patient["id"])
    assert post(client, oximeter, observation("spo2", 86, START)).status_code == 201
    [alert] = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    clock.shift(timedelta(minutes=2))
    assert client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=auth(admin_token)).status_code == 200
    clock.shift(timedelta(minutes=40))  # the hub's backlog: a reading a minute from before the ACK to 10 minutes after
    backlog = [observation("spo2", 86, START + timedelta(minutes=minute)) for minute in range(1, 13)]
    response = post(client, oximeter, transaction(backlog), "/fhir/r4")
    assert response.status_code == 200
    assert len(pages(client, admin_token)) == 1
    [still] = client.get("/api/v1/alerts", query_string={"status": "all"}, headers=auth(admin_token)).get_json()
    assert (still["id"], still["status"]) == (alert["id"], "acknowledged")
    # a reading taken 15 minutes after the acknowledgement is the flag still present: paged again, late as it is
    late = post(client, oximeter, observation("spo2", 86, START + timedelta(minutes=2 + 15)))
    assert late.status_code == 201
    assert len(pages(client, admin_token)) == 2
