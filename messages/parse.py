"""Read a text message into values: the names other modules import, kept here.

The reader itself is the package `messages.reading` (one module a stage, the words in
`messages/reading/vocabulary/<language>.toml`); this module only re-exports it.
"""
from __future__ import annotations

from messages.reading import (
    COMMAND_WORDS,
    DIASTOLIC_RANGE,
    HEART_RATE_RANGE,
    SPO2_RANGE,
    SYSTOLIC_RANGE,
    MedicationReport,
    Parsed,
    guessed_decimal,
    open_decimal,
    opt_command,
    parse,
    staff_ack,
    staff_ack_all,
)

__all__ = ["COMMAND_WORDS", "DIASTOLIC_RANGE", "HEART_RATE_RANGE", "SPO2_RANGE", "SYSTOLIC_RANGE",
           "MedicationReport", "Parsed", "guessed_decimal", "open_decimal", "opt_command", "parse", "staff_ack",
           "staff_ack_all"]
