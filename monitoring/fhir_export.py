"""Bulk export for a nightly EHR feed, laid out as the FHIR Bulk Data Access spec (hl7.org/fhir/uv/bulkdata)
lays out an export's output: one NDJSON file per resource type (`Observation.ndjson`: one resource per
line), and the completion manifest (`transactionTime`, `request`, `requiresAccessToken`, `output` with each
file's `type`, `url` and `count`, `error`) written beside them as `manifest.json`.

`since` works as the spec's `_since`: only resources whose lastUpdated is at or after it. The next night
passes the manifest's `transactionTime` as `since`, so nothing changed in between is missed.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from monitoring import fhir_search
from monitoring.clinic import Clinic

EXPORT_TYPES = tuple(fhir_search.SEARCH)
BATCH = fhir_search.MAX_COUNT


def export(clinic: Clinic, out_dir: Path, since: datetime | None, request: str, now: datetime) -> dict[str, Any]:
    """Write `<Type>.ndjson` for every type with resources changed since `since` (all when None) and
    `manifest.json`; return the manifest. Files are written whole (to a temporary name, then renamed).
    `now` (aware UTC, read by the caller before the export starts) is the manifest's transactionTime, the
    `since` of the next export (FHIR Bulk Data: transactionTime)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    transaction_time = now
    params = {"_lastUpdated": [f"ge{since.isoformat()}"]} if since is not None else {}
    output = []
    for resource_type in EXPORT_TYPES:
        path = out_dir / f"{resource_type}.ndjson"
        partial = path.with_suffix(".ndjson.partial")
        count = 0
        with partial.open("w", encoding="utf-8") as handle:
            offset = 0
            while True:
                page = fhir_search.search(clinic, resource_type, {
                    **params, "_count": [str(BATCH)], "_offset": [str(offset)]})
                for resource in page.resources:
                    handle.write(json.dumps(resource, separators=(",", ":")) + "\n")
                count += len(page.resources)
                offset += BATCH
                if offset >= page.total:
                    break
        if count:
            os.replace(partial, path)
            output.append({"type": resource_type, "url": path.resolve().as_uri(), "count": count})
        else:  # the spec lists only types that have resources
            partial.unlink()
            path.unlink(missing_ok=True)
    manifest = {"transactionTime": transaction_time.isoformat(), "request": request,
                "requiresAccessToken": False, "output": output, "error": []}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
