"""Said, not read: "no fever" without a number, and a whole text of thanks or "I feel fine"."""
from __future__ import annotations

import re
import unicodedata

from . import vocabulary


def _slot(key: str) -> str:
    return f"(?:{vocabulary.alternation('no_fever', key)})"


# Said, not read: "no fever", "temp normal" (`no_fever_claim`); "thanks", "I feel fine"
# (`acknowledgement`). Neither is a reading: the patient is still asked for one. The four forms of
# "no fever", their words in vocabulary/<language>.toml [no_fever].
NO_FEVER = re.compile(
    rf"\b(?:{_slot('negations')}\s+{_slot('fever')}(?!\s*(?:{vocabulary.alternation('no_fever', 'not_before')}|\?))|"
    rf"{_slot('phrases')}|"
    rf"(?:{_slot('articles')}\s+)?{_slot('fever_subject')}\s+(?:{_slot('gone_joiners')}\s+)?{_slot('gone')}|"
    rf"{_slot('temp_words')}\s+(?:{_slot('temp_verbs')}\s+)?{_slot('normal')}(?!\s*\?))\b")
# A whole text of these is an acknowledgement: vocabulary/<language>.toml [acknowledgement] (`words`
# make it one, `filler` may stand beside them, `phrases` count as a word).
_ACK_PHRASES = re.compile(rf"\b(?:{vocabulary.alternation('acknowledgement', 'phrases')})\b")
_ACK_CORE = vocabulary.words("acknowledgement", "words")
_ACK_FILLER = vocabulary.words("acknowledgement", "filler")
_ACK_EMOJI = set("\U0001f44d\U0001f44c\U0001f64f\u2705\u2714\u263a\U0001f642\U0001f60a\U0001f600\U0001f603"
                 "\U0001f4aa\u2764\U0001f44f\U0001f917\U0001f601\U0001f604")
_EMOJI_JOINERS = set("\ufe0f\ufe0e\u200d") | {chr(c) for c in range(0x1F3FB, 0x1F400)}  # skin tones


def is_acknowledgement(original: str, text: str) -> bool:
    """The whole text is thanks, ok or a "fine" ("thanks", "👍", "I feel fine", "estoy bien", "all
    good, no fever"): nothing else in it, no number, and no word we do not know for one."""
    symbols = [ch for ch in original if not ch.isspace() and unicodedata.category(ch)[0] in "SC"
               and ch not in _EMOJI_JOINERS and ch not in "\u00b0"]
    if any(ch not in _ACK_EMOJI for ch in symbols if not ch.isascii()):
        return False  # "lol 😂", "🤒": not a thank-you
    rest = _ACK_PHRASES.sub(" ack ", NO_FEVER.sub(" ", text))
    tokens = re.findall(r"[a-z0-9']+", rest)
    if any(t not in _ACK_CORE and t not in _ACK_FILLER and t != "ack" for t in tokens):
        return False
    return any(t in _ACK_CORE or t == "ack" for t in tokens) or any(ch in _ACK_EMOJI for ch in symbols)
