"""What the clinic's own monitoring reads: /healthz (CONTRACT section 8) and /metrics (Prometheus)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring import health, metrics
from monitoring.store import utcnow
from web.context import clinic, storage_failed

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """200 `{"ok": true, "checks": {...}}` when every check holds, else 503 naming what fails."""
    found = health.checks(clinic(), utcnow())
    if found["database"].get("fault") not in (None, "locked"):  # full, read-only, damaged: reconnect after
        storage_failed()
    ok = all(check["ok"] for check in found.values())
    response = jsonify({"ok": ok, "checks": found})
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_text():
    return Response(metrics.exposition(clinic(), utcnow()), mimetype=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
