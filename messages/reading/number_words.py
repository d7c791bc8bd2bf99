"""Number words written as digits, where they are a reading (issue 14, fault 3).

"it's a hundred and one point five" -> "it's 101.5", "thirty eight point nine" -> "38.9",
"ciento uno" -> "101", "treinta y ocho y medio" -> "38.5", "one oh one point two" -> "101.2",
"bp one twenty over eighty" -> "bp 120 over 80". Pure: text in, text out; the words it knows are
data (number_words.toml beside this file, English and Spanish side by side).

Input is text as messages.parse normalises it (lower case, accents off). A run is a longest
sequence of number words joined only by spaces or hyphens that reads as one number: under 100
("thirty eight", "treinta y ocho", "eleven"), a hundred form ("a hundred and one", "ciento uno"),
three digits said one by one ("one oh one"), a digit and a tens ("one twenty"), each with an
optional decimal ("point five", "punto ocho", "con cinco", "and a half", "y medio").

The rule, so that ordinary words stay words ("one tylenol", "took two pills", "uno de mis",
"I'm one of", "a hundred times better"; dose counts are read from "one"/"two" elsewhere):

1. A single digit ("one", "dos") is never rewritten: no reading is one digit, and counts are.
2. A run right after a vital's label (a few filler words between: "my temp is", "presion",
   "oxygen level is now") is that vital's number, whatever its value; so is a run after a blood
   pressure's first number and "over"/"sobre"/"/" ("120 over eighty"), a run before a percent
   sign ("ochenta y ocho %": normalise reads "por ciento" as "%"), and a run before an oxygen
   label (`after_labels`: "ochenta y ocho de oxigeno"), and a run after a label's number and a
   then-word (`then_words`: "sats 94 then eighty six"). The parser then judges it.
3. Any other run is rewritten only when its value is a plausible temperature (triage.ranges: 34-43 C, 93.2-109.4 F,
   the parser's ranges), it does not follow a dose verb or a count word (`not_after`: "took a
   hundred"), a run said like a clock time ("one oh five", "one thirty") does not follow a clock
   word ("at", "a las"), and it ends the text or is followed by a mark or a word that leaves it a
   reading (`follow`: "degrees", "now", "and", "grados", "de"...). "a hundred times", "a hundred
   percent", "forty minutes", "treinta y ocho años" stay words.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from triage.ranges import temperature_unit

VOCABULARY_FILE = Path(__file__).with_name("number_words.toml")
_MAX_FILLERS = 6  # words between a label and its number, as messages.parse allows


@dataclass(frozen=True)
class Vocabulary:
    """One language's number words (a section of number_words.toml). Phrases are tuples of words."""

    digits: Mapping[str, int]
    zero_between: frozenset[str]
    singles: Mapping[str, int]
    tens: Mapping[str, int]
    tens_join: frozenset[str]
    hundreds: Mapping[str, int]
    hundred_lead: Mapping[str, int]
    hundred_join: frozenset[str]
    decimal_point: frozenset[str]
    half: tuple[tuple[str, ...], ...]
    follow: frozenset[str]
    clock_words: tuple[tuple[str, ...], ...]
    not_after: frozenset[str]
    labels: tuple[tuple[str, ...], ...]
    temperature_labels: tuple[tuple[str, ...], ...]
    after_labels: tuple[tuple[str, ...], ...]
    after_fillers: frozenset[str]
    then_words: frozenset[str]
    fillers: frozenset[str]
    pair_join: frozenset[str]

    @property
    def number_words(self) -> frozenset[str]:
        """Every word that can open or carry a run."""
        return frozenset({*self.digits, *self.zero_between, *self.singles, *self.tens, *self.hundreds,
                          *self.hundred_lead})


@cache
def vocabularies(path: Path = VOCABULARY_FILE) -> tuple[Vocabulary, ...]:
    """The languages in `path`, in file order. Raises OSError, tomllib.TOMLDecodeError or KeyError
    (naming the missing list) when the file is missing or malformed: a packaging error, not input."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)

    def phrases(words: list[str]) -> tuple[tuple[str, ...], ...]:
        return tuple(sorted((tuple(w.split()) for w in words), key=len, reverse=True))

    return tuple(Vocabulary(
        digits=section["digits"], zero_between=frozenset(section["zero_between"]), singles=section["singles"],
        tens=section["tens"], tens_join=frozenset(section["tens_join"]), hundreds=section["hundreds"],
        hundred_lead=section["hundred_lead"], hundred_join=frozenset(section["hundred_join"]),
        decimal_point=frozenset(section["decimal_point"]), half=phrases(section["half"]),
        follow=frozenset(section["follow"]), clock_words=phrases(section["clock_words"]),
        not_after=frozenset(section["not_after"]), labels=phrases(section["labels"]),
        temperature_labels=phrases(section["temperature_labels"]),
        after_labels=phrases(section["after_labels"]), after_fillers=frozenset(section["after_fillers"]),
        then_words=frozenset(section["then_words"]),
        fillers=frozenset(section["fillers"]), pair_join=frozenset(section["pair_join"]),
    ) for section in data.values())


@dataclass(frozen=True)
class _Run:
    end: int  # index of the word after the run
    whole: int
    fraction: str  # the digits after the decimal point, "" for none
    clock_like: bool  # said as a clock time could be: "one oh five", "one thirty"
    apart: bool = False  # its tenths said with no point: "treinta y ocho cinco", "ninety nine four"

    @property
    def value(self) -> Decimal:
        return Decimal(f"{self.whole}.{self.fraction}" if self.fraction else self.whole)

    @property
    def digits(self) -> str:
        if self.apart:  # "38 5": read as the decimal it may be, and guessed (numbers.SPLIT_DECIMAL), as typed digits are
            return f"{self.whole} {self.fraction}"
        return f"{self.whole}.{self.fraction}" if self.fraction else str(self.whole)


def _below_100(v: Vocabulary, words: list[str], i: int) -> tuple[int, int] | None:
    """(value, next index) for "thirty eight", "treinta y ocho", "eleven", "eight" at words[i]."""
    if i >= len(words):
        return None
    word = words[i]
    if word in v.tens:
        value, j = v.tens[word], i + 1
        if v.tens_join and j + 1 < len(words) and words[j] in v.tens_join and v.digits.get(words[j + 1], 0) > 0:
            return value + v.digits[words[j + 1]], j + 2
        if not v.tens_join and j < len(words) and v.digits.get(words[j], 0) > 0:
            return value + v.digits[words[j]], j + 1
        return value, j
    if word in v.singles:
        return v.singles[word], i + 1
    if word in v.digits:
        return v.digits[word], i + 1
    return None


def _whole(v: Vocabulary, words: list[str], i: int) -> tuple[int, int, bool] | None:
    """(value, next index, clock-like) of the longest whole number at words[i]."""
    found: list[tuple[int, int, bool]] = []
    j, lead = i, 1
    if j + 1 < len(words) and words[j] in v.hundred_lead and words[j + 1] in v.hundreds:
        lead, j = v.hundred_lead[words[j]], j + 1
    if j < len(words) and words[j] in v.hundreds:
        value, j = lead * v.hundreds[words[j]], j + 1
        rest = (_below_100(v, words, j + 1) if j < len(words) and words[j] in v.hundred_join else None) \
            or _below_100(v, words, j)
        found.append((value + rest[0], rest[1], False) if rest else (value, j, False))

    def digit(k: int, zero: bool) -> int | None:
        if k >= len(words):
            return None
        if zero and words[k] in v.zero_between:
            return 0
        return v.digits.get(words[k])

    first = digit(i, zero=False)
    if first in (1, 2):  # readings said digit by digit are 100-299
        second, third = digit(i + 1, zero=True), digit(i + 2, zero=True)
        if second is not None and third is not None:  # "one oh one", "one zero two"
            found.append((first * 100 + second * 10 + third, i + 3, True))
        elif i + 1 < len(words) and (words[i + 1] in v.tens or words[i + 1] in v.singles):
            tail = _below_100(v, words, i + 1)  # "one twenty", "one thirty five"
            if tail:
                found.append((first * 100 + tail[0], tail[1], True))
    under = _below_100(v, words, i)
    if under:
        found.append((under[0], under[1], False))
    return max(found, key=lambda f: f[1]) if found else None


def _starts_with(words: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(words[i:i + len(phrase)]) == phrase


def _run(v: Vocabulary, words: list[str], i: int) -> _Run | None:
    """The number said at words[i] in this language, or None."""
    whole = _whole(v, words, i)
    if whole is None:
        return None
    value, j, clock_like = whole
    if j + 1 < len(words) and words[j] in v.decimal_point:
        fraction = ""
        for word in words[j + 1:j + 3]:
            if word in v.zero_between or word in v.digits:
                fraction += "0" if word in v.zero_between else str(v.digits[word])
            else:
                break
        if fraction:
            return _Run(j + 1 + len(fraction), value, fraction, False)
    for phrase in v.half:
        if _starts_with(words, j, phrase):
            return _Run(j + len(phrase), value, "5", False)
    # "treinta y ocho cinco", "ninety nine four": a thermometer read aloud with no point. Left words, "oxigeno 95 hoy
    # treinta y ocho cinco" lost its fever of 38.5 C and "temperatura treinta y ocho cinco" was 38.0 (SOP 4 Grading:
    # fever >= 100.4 F / 38 C). Only after a whole a temperature can be (34-42 C, 93-109 F).
    if (not clock_like and j < len(words) and words[j] in v.digits
            and (34 <= value <= 42 or 93 <= value <= 109)):
        return _Run(j + 1, value, str(v.digits[words[j]]), False, apart=True)
    return _Run(j, value, "", clock_like)


_TOKEN = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")
_ENDS_IN_NUMBER = re.compile(r"(?<![\d.,])\d{2,3}\s*$")


def _labelled(before: str) -> bool:
    """`before` ends with a vital's label and up to a few filler words, or with "120 over"."""
    tokens = _TOKEN.findall(before)
    for v in vocabularies():
        if tokens and tokens[-1] in v.pair_join and _ENDS_IN_NUMBER.search(before[:before.rstrip().rfind(tokens[-1])]):
            return True
        end, crossed, then = len(tokens), False, False
        for _ in range(2 * _MAX_FILLERS + 2):
            if any(tuple(tokens[end - len(label):end]) == label for label in v.labels if len(label) <= end):
                return True
            if end == 0:
                break
            if tokens[end - 1] in v.fillers or (not crossed and tokens[end - 1] in v.then_words):
                # never "and" alone ("bp 120 and eighty" is no fall), as vitals._THEN reads it
                then = then or (not crossed and tokens[end - 1] in v.then_words - _JOINING_WORDS)
                end -= 1
            elif then and not crossed and _WHOLE_NUMBER.fullmatch(tokens[end - 1]) and (end < 2 or tokens[end - 2] != "."):
                # "sats 94 then eighty six", "presion 120 ahora ochenta y cinco": the same vital again, its number in
                # words after its first one and a then-word (left words, a new hypoxia or a systolic under 90 went
                # unread: SOP 5 Grade 1 Home, line 64). The parser then judges it as it judges "sats 94 then 86".
                crossed = True
                end -= 1
            else:
                break
    return False


_WHOLE_NUMBER = re.compile(r"\d{2,3}")
_JOINING_WORDS = frozenset({"and", "y", ","})


def _labelled_after(after: str) -> bool:
    """`after` starts with a vital's label said after its number, a few small words between ("de oxigeno", "on the
    oximeter"): "ochenta y ocho de oxigeno", "eighty six oxygen" were left words, a new hypoxia unread (SOP 5 Grade 1
    Home, line 64: < 90%)."""
    tokens = _TOKEN.findall(after[:60])
    fillers = {word for v in vocabularies() for word in v.after_fillers}  # the speller writes "saturacion" in English
    start = 0
    while start < len(tokens) and start < 3 and tokens[start] in fillers:
        start += 1
    return any(tuple(tokens[start:start + len(label)]) == label for v in vocabularies() for label in v.after_labels)


def _labelled_other_vital(before: str) -> bool:
    """`before` ends with a label (and fillers) of a vital that is no temperature: "oxygen", "presion", "pulse is"."""
    tokens = _TOKEN.findall(before)
    for v in vocabularies():
        end = len(tokens)
        for _ in range(_MAX_FILLERS + 1):
            found = [label for label in v.labels if len(label) <= end and tuple(tokens[end - len(label):end]) == label]
            if found:
                return not any(label in v.temperature_labels for label in found)
            if end == 0 or tokens[end - 1] not in v.fillers:
                break
            end -= 1
    return False


def _reading_alone(run: _Run, before: str, after: str) -> bool:
    """Rule 3: an unlabelled run is a plausible temperature in words that leave it a reading."""
    if temperature_unit(run.value) is None:  # triage.ranges: the one definition of a plausible temperature
        return False
    previous = _TOKEN.findall(before)
    for v in vocabularies():
        if previous and previous[-1] in v.not_after:
            return False
        if run.clock_like and any(tuple(previous[-len(c):]) == c for c in v.clock_words if len(c) <= len(previous)):
            return False
    following = _TOKEN.match(after.lstrip())
    if following is None or not following.group()[0].isalnum():
        return True  # the end of the text, or a mark
    if re.fullmatch(r"\d", following.group()):
        return True  # "ninety nine 1": its tenths typed as a digit (numbers.SPLIT_DECIMAL reads it, guessed)
    return any(following.group() in v.follow for v in vocabularies())


@cache
def _any_number_word() -> re.Pattern[str]:
    words = sorted({w for v in vocabularies() for w in v.number_words}, key=len, reverse=True)
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, words))})\b")


_WORD = re.compile(r"[a-z]+")
_PERCENT_AFTER = re.compile(r"\s*%")
_JOINER = re.compile(r"[\s-]+")


def number_words_to_digits(text: str) -> str:
    """`text` with every run of number words that is a reading (see the module's rule) as digits.

    `text`: normalised (lower case, accents off). Returns the text unchanged where no run is a
    reading. Never raises.
    """
    if not _any_number_word().search(text):
        return text
    spans = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    out: list[str] = []
    done = 0  # text[:done] is in `out`
    k = 0
    while k < len(spans):
        # the words from k on that follow each other with only spaces or hyphens between
        chain = [spans[k]]
        while k + len(chain) < len(spans) and _JOINER.fullmatch(text[chain[-1][2]:spans[k + len(chain)][1]]):
            chain.append(spans[k + len(chain)])
        words = [word for word, _, _ in chain]
        runs = [run for v in vocabularies() if (run := _run(v, words, 0)) is not None]
        if not runs:
            k += 1
            continue
        run = max(runs, key=lambda r: r.end)
        start = chain[0][1]
        before = "".join(out) + text[done:start]
        if run.apart and _labelled_other_vital(before):
            run = _Run(run.end - 1, run.whole, "", False)  # "oxygen ninety four five": 94, never tenths of a saturation
        end = chain[run.end - 1][2]
        # "ochenta y ocho por ciento" ("88 %" once the percent words are a sign): a percent is a reading whatever its
        # value, as after a label; left words, a saturation of 88 went unread (SOP 5 Grade 1 Home: new hypoxia < 90%)
        labelled = _labelled(before) or _PERCENT_AFTER.match(text, end) is not None or _labelled_after(text[end:])
        single_digit = run.whole < 10 and not run.fraction
        if not single_digit and (labelled or _reading_alone(run, before, text[end:])):
            out.append(text[done:start] + run.digits)
            done = end
        k += run.end  # a run that is not a reading stays words, and none of its words starts another
    return "".join(out) + text[done:]
