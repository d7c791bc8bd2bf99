"""`flask --app app export-fhir --since ISO8601 --out DIR`: NDJSON per resource type and the Bulk Data manifest."""
from __future__ import annotations

import json
from datetime import timedelta

from conftest import START
from fhirkit import add_device, observation, post, valid

from monitoring.fhir_search import SEARCH


def test_export_writes_ndjson_per_type_and_a_manifest(client, runner, patient, phone, clock, tmp_path):
    phone.text("temp 101.5 dizzy")
    device = add_device(runner, "Hub", patient["id"])
    assert post(client, device, observation("spo2", 95, START)).status_code == 201
    out = tmp_path / "feed"
    result = runner.invoke(args=["export-fhir", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest) == {"transactionTime", "request", "requiresAccessToken", "output", "error"}
    assert manifest["error"] == [] and manifest["requiresAccessToken"] is False
    counts = {item["type"]: item["count"] for item in manifest["output"]}
    assert counts == {"Patient": 1, "EpisodeOfCare": 1, "Observation": 3, "Flag": 1, "Communication": 1,
                      "RiskAssessment": 2, "Device": 1}
    for item in manifest["output"]:
        assert item["url"] == (out / f"{item['type']}.ndjson").resolve().as_uri()
        lines = (out / f"{item['type']}.ndjson").read_text().splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = valid(json.loads(line))
            assert resource["resourceType"] == item["type"]
    assert not (out / "MedicationAdministration.ndjson").exists()  # no doses: no file, as the spec lays out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json"] + [f"{name}.ndjson" for name in SEARCH if name in counts])


def test_since_exports_only_what_changed(client, runner, patient, phone, clock, tmp_path):
    phone.text("temp 99.1")
    clock.shift(timedelta(minutes=1))
    first = tmp_path / "night1"
    assert runner.invoke(args=["export-fhir", "--out", str(first)]).exit_code == 0
    since = json.loads((first / "manifest.json").read_text())["transactionTime"]
    clock.shift(timedelta(hours=1))
    phone.text("temp 101.9")
    second = tmp_path / "night2"
    result = runner.invoke(args=["export-fhir", "--since", since, "--out", str(second)])
    assert result.exit_code == 0 and "Observation: 1" in result.output
    (line,) = (second / "Observation.ndjson").read_text().splitlines()
    assert json.loads(line)["valueQuantity"]["value"] == 38.83
    assert not (second / "Patient.ndjson").exists()


def test_bad_since_is_one_line(runner, tmp_path):
    result = runner.invoke(args=["export-fhir", "--since", "last tuesday", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "ISO 8601" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["export-fhir", "--since", "2026-03-03T10:00:00", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "offset" in result.output
