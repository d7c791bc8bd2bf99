"""Typed rows (monitoring.rows) match their tables column for column, and read a stored row back whole."""
from __future__ import annotations

import dataclasses

import pytest

from monitoring import rows
from monitoring.store import connect, migrate

TABLES = [("patients", rows.Patient), ("episodes", rows.Episode), ("readings", rows.Reading),
          ("alerts", rows.Alert), ("messages", rows.Message)]


@pytest.fixture
def db(tmp_path):
    database = connect(str(tmp_path / "rows.db"))
    migrate(database)
    return database


@pytest.mark.parametrize(("table", "kind"), TABLES, ids=[t for t, _ in TABLES])
def test_fields_are_the_tables_columns_in_order(db, table, kind):
    columns = [c["name"] for c in db.conn.execute(f"PRAGMA table_info({table})")]
    assert [f.name for f in dataclasses.fields(kind)] == columns


def test_a_stored_row_reads_back_typed_and_frozen(db):
    db.conn.execute(
        "INSERT INTO patients (name, phone, language, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        ["Ana Diaz", "+15551230000", "es", "h", "2026-03-03T16:00:00.000000+00:00"])
    patient = rows.Patient.from_row(db.conn.execute("SELECT * FROM patients").fetchone())
    assert (patient.name, patient.language, patient.high_risk, patient.risk_factors) == ("Ana Diaz", "es", 0, "[]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        patient.name = "x"  # type: ignore[misc]
    assert rows.Patient.maybe(None) is None


def test_a_row_missing_a_column_is_an_error_not_a_silent_none(db):
    with pytest.raises(IndexError):
        rows.Patient.from_row(db.conn.execute("SELECT 1 AS id").fetchone())
