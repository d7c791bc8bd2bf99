"""Texts that ask for a person: "please call me", "I feel terrible", "llámenme", "me siento muy mal".

Pure: a body in, a reason or None out. Whatever else a text says, these go to the nurse, because a
patient who asks to be called, or says they feel much worse, has told us what no number can. The
phrases are vocabulary/<language>.toml [concern].
"""
from __future__ import annotations

import re
import unicodedata

from . import vocabulary
from .symptoms import negated

_ASKS = re.compile(rf"\b(?:{vocabulary.alternation('concern', 'asks_for_call')})")
_CONCERNING = re.compile(rf"\b(?:{vocabulary.alternation('concern', 'concerning')})")
_NEGATED = re.compile(rf"\b(?:{vocabulary.alternation('concern', 'no_call')})")


def _plain(body: str) -> str:
    text = unicodedata.normalize("NFKD", body or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\u2018\u2019`]", "'", text)


def concern(body: str | None) -> str | None:
    """The reason a person must read this text, if any: 'asks_for_call' or 'concerning_text'. A worrying phrase the
    text denies ("no chest pain", "not bleeding", "sin dolor de pecho": a checklist's answers) is none: each paged
    the nurse "worrying message, read it", and false pages teach the pager to be ignored (break-it pass)."""
    if asks_for_help(body):
        return "asks_for_call"
    text = _plain(body or "")
    found = list(_CONCERNING.finditer(text))
    # each phrase stands as one listed thing, so one negation reaches a list: "denies chest pain or bleeding"
    listed = text
    for m in found:
        listed = listed[:m.start()] + "sym".ljust(m.end() - m.start())[:m.end() - m.start()] + listed[m.end():]
    if any(not negated(listed, m.start(), m.end()) or _CONFIRMED_AFTER.match(text, m.end())
           or _SOME_BEFORE.search(text, 0, m.start()) for m in found):
        return "concerning_text"
    return None


# A negation that says the sign is there after all (review): "never had chest pain like this", "I never had chest
# pain this bad", "nunca tuve dolor de pecho asi" (worse than ever), "not much chest pain" (some).
_CONFIRMED_AFTER = re.compile(r"\s*(?:like\s+(?:this|that)|this\s+(?:bad|much|strong|hard)|so\s+bad|before|asi\b"
                              r"|como\s+(?:este|esta|ahora))")
_SOME_BEFORE = re.compile(r"\b(?:not|no)\s+(?:much|too\s+much|a\s+lot\s+of|so\s+much)\s+$|\bun\s+poco\s+(?:de\s+)?$")


def asks_for_help(body: str | None) -> bool:
    """True when the patient asks to be called or says they feel much worse (en and es)."""
    text = _plain(body or "")
    if not text or _NEGATED.search(text):
        return False
    return bool(_ASKS.search(text))
