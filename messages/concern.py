"""Texts that ask for a person: "please call me", "I feel terrible", "llámenme", "me siento muy mal".

Pure: a body in, True or False out. Whatever else a text says, these go to the nurse, because a
patient who asks to be called, or says they feel much worse, has told us what no number can.
"""
from __future__ import annotations

import re
import unicodedata

_PATTERNS = [
    # asking to be called or for help
    r"\b(?:please\s+)?call\s+me\b", r"\bcan\s+(?:someone|somebody|you|a\s+nurse)\s+call\b",
    r"\bneed\s+(?:to\s+talk|help|a\s+nurse|someone)\b", r"\bhelp\s+me\b", r"\bsomething\s+is\s+wrong\b",
    r"\bllam(?:e|enme|ame|adme)\b", r"\bnecesito\s+(?:ayuda|hablar)\b", r"\bayud(?:a|enme|ame)\s*me?\b.*\bpor\s+favor\b",
    # feeling much worse
    r"\bfeel(?:ing|s)?\s+(?:really\s+|very\s+|so\s+)?(?:terrible|awful|horrible)\b",
    r"\b(?:much|a\s+lot)\s+worse\b", r"\bgetting\s+worse\b",
    r"\bme\s+siento\s+(?:muy\s+)?(?:mal|peor|fatal)\b", r"\bestoy\s+(?:muy\s+)?(?:mal|peor|grave)\b",
]
_ASKS = re.compile("|".join(_PATTERNS))
_NEGATED = re.compile(r"\b(?:no|not|don'?t|dont|no\s+need\s+to)\s+(?:need\s+to\s+)?(?:call|llam)")


def _plain(body: str) -> str:
    text = unicodedata.normalize("NFKD", body or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\u2018\u2019`]", "'", text)


def asks_for_help(body: str | None) -> bool:
    """True when the patient asks to be called or says they feel much worse (en and es)."""
    text = _plain(body or "")
    if not text or _NEGATED.search(text):
        return False
    return bool(_ASKS.search(text))
