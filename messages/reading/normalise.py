"""Normalising: NFKC, straight quotes, lower case, accents off, misspellings corrected."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import vocabulary

_QUOTES = str.maketrans({"\u2044": "/", "\u00bd": " 1/2", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00b4": "'", "`": "'",
                         "\u00ba": "\u00b0", "\u02da": "\u00b0",
                         # a keycap emoji is its digit: "1\ufe0f\u20e30\ufe0f\u20e31\ufe0f\u20e3" is 101 (it was an
                         # implausible temperature, "measure again", each digit read apart)
                         "\ufe0f": None, "\u20e3": None})
_KEEP = set(" .,:;/%?!'#@-=+&()\u00b0\u00bf\u00a1\n")

def word_set(text: str) -> frozenset[str]:
    """The words of a whitespace-separated list."""
    return frozenset(text.split())


# Words we look for, so that a misspelling one letter off (two for long words) reads as the word;
# known misspellings that rule would miss; and real words one letter from a lexicon word that are
# never "corrected" ("never" is not "fever"). vocabulary/<language>.toml [spelling].
_LEXICON = vocabulary.words("spelling", "lexicon")
_TYPOS = vocabulary.mapping("spelling", "typos")
_NOT_TYPOS = vocabulary.words("spelling", "not_typos")
# "week" is "weak" only where a feeling is said: "I feel week", "so week", not "this week".
_WEEK_AS_WEAK = re.compile(
    r"\b(?:feel|feels|feeling|felt|so+|very|really|too|kinda|kind\s+of|a\s+bit|little|i'?m|im|am|"
    r"getting|super|extremely|real)\s+week\b(?!\s*(?:\d|of\b|ago\b|before\b|after\b))")


def strip_accents(text: str) -> str:
    """Accents off ("mareé" -> "maree"); ¿ ¡ ° kept; any other character outside ASCII becomes a space."""
    if text.isascii():
        return text  # most texts: nothing to take off
    keep = {"\u00bf", "\u00a1", "\u00b0"}
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            continue
        out.append(ch)
    text = unicodedata.normalize("NFC", "".join(out))
    return "".join(ch if ch.isascii() or ch in keep else " " for ch in text)


# A number typed with the letter O for a zero, beside it on a phone's keyboard: "oxygen 8O", "temp 1O1.2", "1OO.4",
# "bp 12O/8O". Read as letters, "8O" was an implausible SpO2 (measure again, no page for a saturation of 80: SOP 5
# Grade 1 Home, new hypoxia < 90%) and "1O1.2" nothing at all ("could not read that", a fever unread). A number
# starts with a digit ("o2" stays the oxygen label); one O after a temperature ("38o", "101o") is its degree sign.
_LETTER_O_NUMBER = re.compile(r"(?<![\w.,])\d[\do]*(?:[.,][\do]+)?(?![a-z\d])")
_DEGREE_O = re.compile(r"(?P<whole>\d+(?:[.,]\d+)?)o")


def letter_o_as_zero(text: str) -> str:
    """`text` (lower case) with each number's letter O read as a zero ("1oo." -> "100.")."""
    return _LETTER_O_NUMBER.sub(_zeros, text)


def _zeros(match: re.Match[str]) -> str:
    number = match.group()
    if "o" not in number:
        return number
    degree = _DEGREE_O.fullmatch(number)
    if degree is not None:
        whole = float(degree.group("whole").replace(",", "."))
        if 34 <= whole <= 42 or 93 <= whole <= 109:  # a temperature in C or F with its degree sign typed as "o"
            return degree.group("whole") + "\u00b0"
    return number.replace("o", "0")


def plain_words(body: str) -> str:
    """The text as the reader reads it: NFKC, casefolded, accents and punctuation gone (but the kept marks),
    spaces collapsed, misspellings corrected, "week" read as "weak" where it means that."""
    text = unicodedata.normalize("NFKC", body.translate(_QUOTES)).casefold()  # before NFKC: º is "o" after
    text = strip_accents(text)
    text = "".join(ch if ch.isalnum() or ch in _KEEP else " " for ch in text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text).strip()
    text = letter_o_as_zero(text)
    text = re.sub(r"[a-z]+", lambda m: correct(m.group()), text)
    text = _PERCENT_WORDS.sub("%", text)
    return _WEEK_AS_WEAK.sub(lambda m: m.group()[:-4] + "weak", text)


# "85 por ciento de oxigeno", "85 per cent": a percent sign in words. "ciento" alone is a hundred (number_words), so
# "85 por ciento" read a temperature of 100 F no one took and left the saturation of 85 unread: a new hypoxia unpaged
# (SOP 5 Grade 1 Home: new hypoxia < 90%). "percent" and "pct" too: "88 percent" alone was an implausible temperature
# ("measure again", the new hypoxia unpaged) where "88%" is a saturation, and "im 100 percent" a temperature of 100 F no
# one took.
_PERCENT_WORDS = re.compile(r"\b(?:por\s*ciento|porciento|per\s*cent|pct)\b")


# The lexicon by first letter: a misspelling rarely changes a word's first letter, and looking only
# there keeps the search small and the false corrections few.
_LEXICON_BY_INITIAL: dict[str, tuple[str, ...]] = {}
for _word in sorted(_LEXICON):
    _LEXICON_BY_INITIAL[_word[0]] = _LEXICON_BY_INITIAL.get(_word[0], ()) + (_word,)


@lru_cache(maxsize=4096)
def correct(word: str) -> str:
    """The lexicon word `word` misspells, or `word` itself.

    A known misspelling ([spelling.typos]) is replaced; a word of 5 letters or more that is not a
    word we know or a real word ([spelling.not_typos]) becomes the nearest lexicon word with the same
    first letter, within one edit (two from 9 letters), counting a swap of two letters as one edit
    (optimal string alignment); on a tie, the first in alphabetical order.
    """
    if word in _TYPOS:
        return _TYPOS[word]
    if len(word) < 5 or word in _LEXICON or word in _NOT_TYPOS:
        return word
    limit = 2 if len(word) >= 9 else 1
    nearest = process.extractOne(word, _LEXICON_BY_INITIAL.get(word[0], ()), scorer=OSA.distance,
                                 score_cutoff=limit)
    return nearest[0] if nearest else word
