"""Read a text message into values: temperatures, vitals, symptoms, medicines, commands.

Pure: no I/O, no clock (pass `now` to resolve "at 2pm" / "30 min ago"), imports nothing of
`web` or `monitoring`. English and Spanish are read in every text, whatever the patient's language.

How a body is read, in order (each step blanks what it used, so a number is read once):

1. Normalise: NFKC, curly quotes to straight, lower case, accents off, emoji to spaces, and
   misspellings of the words we look for corrected ("confussed", "tilenol"; see `normalise.correct`).
2. A command is the whole message or nothing: "STOP" opts out, "stop the fever" is not a command.
   That is how Twilio itself matches opt-out words, so what we record matches what Twilio blocks.
   ACK alone may carry a nurse's note ("ACK 12 calling now"), unless the note holds a reading.
3. Times ("at 2pm", "hace 30 minutos"), then blood pressure pairs, SpO2 and heart rate by their
   labels (a few filler words between: "sats are 88", "o2 went down to 88"; two readings of one
   vital keep the worst), then medicines with their doses ("2 x 500" is 1000 mg), then numbers
   the words before them give to a vital ("my heart is pounding, 128"), then what numbers are left
   are temperatures. A labelled number is never a temperature.
   What a body can show, and F to C, are triage.ranges's (one definition for the whole service).
4. Symptoms and denials ("no confusion or dizziness", "sin mareos") from the words.

Never guess: a value outside what a body shows goes to `implausible` and stays None, so the
patient is asked to measure again. The words are data: vocabulary/en.toml and es.toml.

The stages, one module each: `normalise` (with `number_words`: "a hundred and one point five"), `numbers`, `times`, `vitals`, `medicines`, `temperature`,
`symptoms`, `said` (no-fever and thank-you texts), `commands` (both ACK grammars), `concern` (texts a
person must read), and `pipeline` (`parse`, a short pipeline over them); `vocabulary` loads the words;
`clock` resolves a stated clock time to a real instant (daylight-saving days included).
"""
from __future__ import annotations

from .commands import COMMAND_WORDS, opt_command, staff_ack, staff_ack_all
from .model import MedicationReport, Parsed
from .numbers import guessed_decimal, open_decimal
from .pipeline import parse
from .vitals import DIASTOLIC_RANGE, HEART_RATE_RANGE, SPO2_RANGE, SYSTOLIC_RANGE

__all__ = ["COMMAND_WORDS", "DIASTOLIC_RANGE", "HEART_RATE_RANGE", "SPO2_RANGE", "SYSTOLIC_RANGE",
           "MedicationReport", "Parsed", "guessed_decimal", "open_decimal", "opt_command", "parse", "staff_ack",
           "staff_ack_all"]
