"""FHIR errors: every refusal is an OperationOutcome naming the element at fault (FHIR R4 OperationOutcome)."""
from __future__ import annotations

from typing import Any

from monitoring.clinic import ServiceError

# ServiceError status -> OperationOutcome issue type (hl7.org/fhir/R4/valueset-issue-type.html)
ISSUE_TYPE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
              409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing", 503: "transient"}


class FhirError(ServiceError):
    """A request refused with `status`; `expression` is the FHIRPath of the element at fault."""

    def __init__(self, status: int, message: str, expression: str | None = None, code: str | None = None):
        super().__init__(message, expression)
        self.status = status
        self.code = code or ISSUE_TYPE.get(status, "processing")


def operation_outcome(message: str, expression: str | None = None, code: str = "processing",
                      severity: str = "error") -> dict[str, Any]:
    """An OperationOutcome (FHIR R4) with one issue: `severity` (fatal | error | warning | information), `code`
    (an issue type, ISSUE_TYPE), `message` as diagnostics and `expression` the FHIRPath of the element at fault."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_of(error: ServiceError, prefix: str | None = None) -> dict[str, Any]:
    """The OperationOutcome for a service error; `prefix` places a relative element inside a Bundle entry."""
    code = getattr(error, "code", None) or ISSUE_TYPE.get(error.status, "processing")
    expression = error.field
    if prefix and expression:
        expression = prefix + expression.removeprefix("Observation")
    return operation_outcome(error.message, expression or prefix, code)
