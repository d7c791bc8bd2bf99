"""Read a caregiver's answer to the daily neuro check: "normal", "changed", or None (not an answer).

The check (template `neuro_check`) asks three things modelled on the ICE score's bedside items (Lee et al.
2019, the SOP's reference 1): knows where they are and what day it is, can name a few common objects,
can write a short sentence as usual; and asks for "OK" if all is as usual, or "CHANGE" and what was seen.
A screen, not a score: anything that is not plainly "as usual" is read as a change, because a false
alarm costs a nurse's call and a missed change costs a seizure or worse. Pure: imports nothing of
`web` or `monitoring`.

    neuro_answer("OK") -> "normal";  neuro_answer("todo bien") -> "normal"
    neuro_answer("no, he could not write") -> "changed";  neuro_answer("101.2") -> None
"""
from __future__ import annotations

import re
import unicodedata

# "No change", "nothing different", "sin cambios": normal, though they hold a word that names a change.
NO_CHANGE = re.compile(
    r"\b(?:no|sin|ningun|nada de|nothing|not any)\s+(?:changes?|cambios?|different|diferente|problems?|problemas?"
    r"|issues?|concerns?)\b|\bnothing (?:has )?changed\b|\bno ha cambiado\b|\bnada (?:ha )?cambiado\b"
    r"|\bnada cambio\b|\bsame as (?:usual|always|before)\b|\bas usual\b|\bcomo siempre\b|\bigual que siempre\b"
    r"|\bde lo normal\b")
CHANGE = re.compile(
    r"\b(?:change[sd]?|changing|cambio|cambios|cambiado|cambiada|different|diferente|worse|peor|confus\w*|confundid\w*|desorientad\w*"
    r"|no|not|nope|can'?t|cannot|couldn'?t|unable|wrong|off|strange|odd|weird|raro|rara|extran\w*|trouble|problems?"
    r"|problemas?|hard|dificil|sleepy|drowsy|somnolient\w*|dormid\w*|slurr\w*|mal|seizure|convulsion\w*|shak\w*"
    r"|temblor\w*)\b")
NORMAL = re.compile(
    r"\b(?:ok|okay|okey|k|normal|all normal|all good|good|fine|yes|yep|yeah|si|bien|todo bien|todo normal|igual"
    r"|listo|correcto|correcta|usual)\b")
# A number, a unit or a medicine: the text is (also) a reading, for the patient's pipeline to read.
READING_HINT = re.compile(r"\d")


def _plain(body: str) -> str:
    text = unicodedata.normalize("NFKD", body or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9'.\s]", " ", text)


def neuro_answer(body: str | None) -> str | None:
    """'normal', 'changed', or None when the text says neither (a temperature, a question)."""
    text = _plain(body or "")
    no_change = bool(NO_CHANGE.search(text))
    rest = NO_CHANGE.sub(" ", text)
    if CHANGE.search(rest):
        return "changed"
    if no_change or NORMAL.search(rest):
        return "normal"
    return None


def has_more_than_answer(body: str | None) -> bool:
    """Whether the text also carries a number (a temperature, a pressure) for the patient's pipeline."""
    return bool(READING_HINT.search(body or ""))
