"""Schemathesis fuzzes every /api/v1 operation from the OpenAPI document, with valid tokens.

Checks: no 5xx, every status is documented, and every body fits the document. Bounded (a few dozen
examples per operation, no deadline) so the whole file stays well under a minute and a half.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import schemathesis
import time_machine
from conftest import START, add_staff, auth, base_config, enroll
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from web.openapi import document

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fixed_clock():
    """The whole module at START (a Tuesday, in clinic hours), time moving: answers never depend on the hour."""
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory, fixed_clock):
    app = create_app(base_config(tmp_path_factory.mktemp("fuzz") / "fuzz.db"))
    app.testing = True
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    admin = add_staff(runner, "Fuzz Admin", "admin")
    patient = enroll(app.test_client(), admin, dose_given_at=datetime.now(UTC).isoformat())
    app.config["FUZZ_TOKENS"] = {"staff": admin, "patient": patient["patient_token"]}
    return app


# The document is built without an app, so the operations are known at collection time; each case is sent
# to the module's app. (schemathesis' lazy fixture loader trips over pytest 9's node ids.)
schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_holds_up(case, fuzzed_app, fixed_clock):
    tokens = fuzzed_app.config["FUZZ_TOKENS"]
    token = tokens["patient"] if case.path.split("/")[3] == "me" else tokens["staff"]
    case.call_and_validate(headers=auth(token), checks=CHECKS, app=fuzzed_app)
