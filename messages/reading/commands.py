"""Commands (the patient's whole-message words, both ACK grammars) and the language a text is in."""
from __future__ import annotations

import re
import unicodedata

from . import vocabulary
from .concern import asks_for_help, concern
from .normalise import strip_accents

__all__ = ["COMMAND_WORDS", "asks_for_help", "concern", "language_hint", "opt_command", "read_command", "staff_ack",
           "staff_ack_all"]


# Whole-message commands. Opt-out and opt-in are Twilio's default keywords (REVOKE and OPTOUT
# included), so every text Twilio blocks is one we record as an opt-out. PARAR and CANCELAR are
# ours: Twilio does not block on them unless Advanced Opt-Out is set up with them, but a patient
# who writes them wants the texts to stop, and the nurse must know.
COMMAND_WORDS: dict[str, frozenset[str]] = {
    name: vocabulary.words("commands", name) for name in ("help", "stop", "start")}


# "ACK", "ACK 12", and a nurse's note after it: "ACK 1 calling pt now", "ack 12 - on it", "ACK, calling".
_ACK = re.compile(r"ack(?:\s*#?\s*(\d{1,9}))?(?:$|(?=\W)(?(1)|(?!\s*#?\s*\d))(.*))", re.DOTALL)


def read_command(text: str) -> tuple[str, int | None, str] | None:
    """(command, its number, the words after an ACK). Commands other than ACK are the whole message."""
    core = re.sub(r"^[\s.,;:!?\u00bf\u00a1'\"-]+|[\s.,;:!?\u00bf\u00a1'\"-]+$", "", text)
    ack = _ACK.fullmatch(core)
    if ack:
        return "ack", int(ack.group(1)) if ack.group(1) else None, (ack.group(2) or "").strip()
    squeezed = re.sub(r"[\s-]+", "", core) if len(core.split()) <= 2 else core
    for command, words in COMMAND_WORDS.items():
        if squeezed in words:
            return command, None, ""
    return None


def opt_command(body: str | None) -> str | None:
    """'stop' or 'start' when the whole text is an opt-out or opt-in keyword (COMMAND_WORDS: Twilio's default ones,
    which its Advanced Opt-Out acts on before the webhook hears them: STOP, UNSUBSCRIBE, CANCEL, START ...), else
    None. Case and the punctuation around it do not matter."""
    command = read_command((body or "").lower())
    return command[0] if command is not None and command[0] in ("stop", "start") else None


# Words that tell a text's language (vocabulary/<language>.toml [language]); an accented letter, ñ, ¿
# or ¡ counts twice for Spanish.
_ES_WORDS = vocabulary.words_in("es", "language", "hint_words")
_EN_WORDS = vocabulary.words_in("en", "language", "hint_words")


def language_hint(body: str) -> str | None:
    """"es" or "en" when the text's words (and Spanish letters) lean one way, else None (too few to tell)."""
    lowered = unicodedata.normalize("NFKC", body).casefold()
    es = sum(2 for ch in lowered if ch in "\u00f1\u00e1\u00e9\u00ed\u00f3\u00fa\u00bf\u00a1")
    words = re.findall(r"[a-z']+", strip_accents(lowered))
    es += sum(1 for w in words if w in _ES_WORDS)
    en = sum(1 for w in words if w in _EN_WORDS)
    if es > en:
        return "es"
    if en > es:
        return "en"
    return None



# "acked" too: the word a nurse answering a page often types
_STAFF_ACK = re.compile(r"^\W*(?:ack(?:nowledged?|ed)?|ok\s+ack)(?:\b|(?=\d))\W*#?\s*(\d{1,9})?", re.IGNORECASE)


_STAFF_ACK_ALL = re.compile(r"^\W*(?:ack(?:nowledged?|ed)?|ok\s+ack)\W+(?:all|todas?|todos)\b", re.IGNORECASE)


def staff_ack(body: str | None) -> tuple[bool, int | None]:
    """A text from a staff phone that starts with ACK acknowledges, whatever note follows
    ("ACK 12 pt dizzy, calling"): staff do not report readings, so no words after it are read as one.
    Returns (is_ack, alert id or None)."""
    match = _STAFF_ACK.match(body or "")
    if not match:
        return False, None
    if match.group(1) and re.match(r"[a-z]", (body or "")[match.end():match.end() + 1], re.IGNORECASE):
        return False, None  # "ACK 1O" (a letter O): a mistyped id must not acknowledge alert 1 or the newest
    return True, int(match.group(1)) if match.group(1) else None


def staff_ack_all(body: str | None) -> bool:
    """`ACK ALL` (any case; "ack todas" too): every open alert that phone may acknowledge."""
    return bool(_STAFF_ACK_ALL.match(body or ""))
