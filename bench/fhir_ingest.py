"""Device readings over FHIR: how long a continuous thermometer's Bundles take as the episode's history grows,
and how long a page of Observations takes to read back.

    .venv/bin/python bench/fhir_ingest.py [--hours 24]

One patient, one device, a reading a minute posted as a transaction Bundle of 120 (two hours) at a time,
through the Flask test client on a temporary SQLite file (WAL, synchronous=FULL, as served). Each reading
is triaged as care.record_reading does, on care.history: the fever's reset and the first febrile reading
since, each read through an index (issue 19). The thermometer here reads febrile from minute 30 on without
a break, so the fever is nearly the whole episode: the case where reading the whole fever run made
ms/reading grow with the readings so far (1.0 -> 10 ms at 1,440); it should now stay flat.
Prints a table; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import time_machine

from app import create_app

START = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
PER_BUNDLE = 120


def observation(minute: int) -> dict:
    value = 37.0 + (minute % 5) / 10 if minute < 30 else 38.1 + (minute % 7) / 10
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
            "effectiveDateTime": (START + timedelta(minutes=minute)).isoformat(),
            "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": "Cel"}}


def post_and_read(folder: str, hours: int) -> None:
    """Post `hours` of minute readings in Bundles into a database in `folder`, printing each Bundle's time,
    then read two pages back."""
    config = {"database": {"path": os.path.join(folder, "bench.db")}, "scheduler": {"enabled": False},
              "checkins": {"monitoring_hours": max(72, hours + 1)}}
    with time_machine.travel(START, tick=False) as clock:
        app = create_app(config)
        app.testing = True
        runner, client = app.test_cli_runner(), app.test_client()
        runner.invoke(args=["init-db"])
        staff = runner.invoke(args=["staff", "add", "Bench Admin", "--role", "admin"]).output.strip().splitlines()[-1]
        body = {"name": "Bench Patient", "phone": "+15555550199", "therapy": "teclistamab",
                "dose_given_at": START.isoformat()}
        patient = client.post("/api/v1/patients", json=body, headers={"Authorization": f"Bearer {staff}"}).get_json()
        device = runner.invoke(args=["device", "add", "Bench thermometer", "--patient", str(patient["id"])])
        token = device.output.strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
        print(f"{'readings so far':>16} {'bundle ms':>10} {'ms/reading':>11}")
        minute = 0
        while minute < hours * 60:
            clock.move_to(START + timedelta(minutes=minute + PER_BUNDLE))
            bundle = {"resourceType": "Bundle", "type": "transaction",
                      "entry": [{"request": {"method": "POST", "url": "Observation"}, "resource": observation(m)}
                                for m in range(minute, minute + PER_BUNDLE)]}
            started = time.perf_counter()
            response = client.post("/fhir/r4", json=bundle, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.get_json()
            minute += PER_BUNDLE
            if minute in (PER_BUNDLE, 6 * 60, 12 * 60) or minute % (24 * 60) == 0:
                print(f"{minute:>16} {elapsed:>10.0f} {elapsed / PER_BUNDLE:>11.1f}")
        for offset in (0, minute - 50):
            started = time.perf_counter()
            page = client.get("/fhir/r4/Observation", query_string={"patient": patient["id"], "_offset": offset},
                              headers={"Authorization": f"Bearer {staff}"})
            elapsed = (time.perf_counter() - started) * 1000
            assert page.status_code == 200
            print(f"search page of 50 at offset {offset} of {minute}: {elapsed:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=24, help="hours of minute readings to post (default 24)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="crswatch-bench-")
    try:
        post_and_read(folder, args.hours)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
