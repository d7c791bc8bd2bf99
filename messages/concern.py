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
# Worrying words that are not the SOP's red flags but that a nurse must read: chest pain, a fall or a
# head injury, not keeping fluids down (the SOP's home care rests on oral hydration), bleeding. A seizure
# is not here: messages.parse reads it as the urgent `seizure` sign, and reads "no seizures" as a denial.
_CONCERNING_PATTERNS = [
    r"\bchest\s+(?:pain|hurts?|pressure|tight)", r"\bpain\s+in\s+(?:my\s+)?chest\b",
    r"\bdolor\s+(?:de|en\s+el)\s+pecho\b",
    r"\bme\s+duele\s+el\s+pecho\b", r"\b(?:i\s+)?(?:fell|fallen|have\s+fallen)\b", r"\bhit\s+(?:my|his|her)\s+head\b",
    r"\bme\s+ca[iy]\b", r"\bse\s+cayo\b",
    r"\b(?:can'?t|cannot|unable\s+to)\s+keep\s+(?:\w+\s+){0,2}down\b", r"\bvomit(?:ing|ed)?\s+(?:all|everything)\b",
    r"\bthrowing\s+up\s+(?:all|everything)\b", r"\bno\s+(?:puedo|aguanto)\s+(?:retener|tomar)\s+(?:nada|agua|liquidos)\b",
    r"\bvomit(?:o|ando)\s+todo\b", r"\bbleeding\b", r"\bsangr(?:e|ando|ado)\b",
    # SOP 5 Grade 1 home's red flags said in words, without the number triage needs ("my oxygen is low",
    # "tiene la presion baja"): a nurse reads the patient's words at once rather than "I could not read
    # that" (found by the break-it pass)
    r"\blow\s+(?:oxygen|o2|sats?|saturation|pulse\s*ox)\b",
    r"\b(?:oxygen|o2|sats?|saturation|pulse\s*ox(?:imeter)?)(?:\s+level)?\s+(?:is\s+|are\s+|was\s+)?(?:low|dropping)\b",
    r"\b(?:oxigeno|oxigenacion|saturacion)\s+(?:esta\s+|muy\s+)*(?:baj[oa]|bajando)\b",
    r"\blow\s+(?:blood\s+)?pressure\b", r"\b(?:bp|blood\s+pressure|pressure)\s+(?:is\s+|was\s+)?(?:low|dropping)\b",
    r"\b(?:presion|tension)\s+(?:esta\s+|muy\s+)*(?:baj[ao]|bajando)\b",
    # speech trouble written with a negation the symptom reader takes as a denial ("no habla bien")
    r"\bno\s+(?:habla|puede\s+hablar)(?:\s+bien)?\b", r"\b(?:can'?t|cannot)\s+(?:talk|speak)\s+(?:right|properly|clearly)\b",
    # asking in a sentence for texts to stop: not Twilio's STOP keyword, so a person must read it
    r"\bstop\s+(?:texting|messaging|sending)\b", r"\bno\s+more\s+(?:texts|messages)\b",
    r"\bdej(?:e|en)\s+de\s+(?:mandar|enviar)\b",
]
_CONCERNING = re.compile("|".join(_CONCERNING_PATTERNS))
_NEGATED = re.compile(r"\b(?:no|not|don'?t|dont|no\s+need\s+to)\s+(?:need\s+to\s+)?(?:call|llam)")


def _plain(body: str) -> str:
    text = unicodedata.normalize("NFKD", body or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\u2018\u2019`]", "'", text)


def concern(body: str | None) -> str | None:
    """The reason a person must read this text, if any: 'asks_for_call' or 'concerning_text'."""
    if asks_for_help(body):
        return "asks_for_call"
    if _CONCERNING.search(_plain(body or "")):
        return "concerning_text"
    return None


def asks_for_help(body: str | None) -> bool:
    """True when the patient asks to be called or says they feel much worse (en and es)."""
    text = _plain(body or "")
    if not text or _NEGATED.search(text):
        return False
    return bool(_ASKS.search(text))
