"""The words the reader understands, from `vocabulary/<language>.toml`: one file per language.

Every text is read in both languages (patients write Spanglish), so each accessor merges the files,
English first. A phrase is a Python regular expression over normalised text (lower case, no accents);
word lists are whitespace-separated strings. The files are read once, at import of the stage that
uses them; the stages compile their regexes from them at import, so reading costs what it did when
the words were written in the code.

Errors: a missing file or key raises at import (KeyError naming the key, or FileNotFoundError), so a
broken vocabulary stops the app at start, never in the middle of reading a patient's text.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "es")
VOCABULARY_DIR = Path(__file__).with_name("vocabulary")


@cache
def language_file(language: str) -> dict[str, Any]:
    """The parsed `vocabulary/<language>.toml` (language: "en" or "es")."""
    with (VOCABULARY_DIR / f"{language}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _entry(language: str, path: tuple[str, ...]) -> Any:
    node: Any = language_file(language)
    for key in path:
        if key not in node:
            return None
        node = node[key]
    return node


def _present(path: tuple[str, ...]) -> list[Any]:
    entries = [_entry(language, path) for language in LANGUAGES]
    if all(entry is None for entry in entries):
        raise KeyError(f"no language file of {VOCABULARY_DIR} has {'.'.join(path)}")
    return [entry for entry in entries if entry is not None]


def words_in(language: str, *path: str) -> frozenset[str]:
    """One language's word list at `path` (a whitespace-separated string or a list of words)."""
    entry = _entry(language, path)
    if entry is None:
        return frozenset()
    return frozenset(entry.split() if isinstance(entry, str) else entry)


def words(*path: str) -> frozenset[str]:
    """The word list at `path`, both languages together: ("spelling", "lexicon") -> {"dizzy", "mareado", ...}."""
    _present(path)
    return frozenset().union(*(words_in(language, *path) for language in LANGUAGES))


def phrases(*path: str) -> list[str]:
    """The phrase list at `path`, English first then Spanish, in the files' order (order is kept:
    where two alternatives match at one place, the regex takes the first)."""
    return [phrase for entry in _present(path) for phrase in entry]


def alternation(*path: str) -> str:
    """The phrases at `path` as one regex group body: "a|b|c" (no enclosing group)."""
    return "|".join(phrases(*path))


def names(*path: str) -> str:
    """The names a table at `path` maps, as one regex group body, longest first (so "tylenol pm" is tried before
    "tylenol"): ("medicines", "names") -> "extra strength tylenol|...|apap"."""
    return "|".join(sorted(mapping(*path), key=len, reverse=True))


def mapping(*path: str) -> dict[str, str]:
    """The table at `path`, both languages merged: ("medicines", "names") -> {"tylenol": "acetaminophen", ...}."""
    merged: dict[str, str] = {}
    for entry in _present(path):
        merged.update(entry)
    return merged


def symptom_phrases() -> dict[str, list[str]]:
    """Each symptom code's phrases: the code's groups in the files' order, English then Spanish within
    a group ("symptoms", "near_faint", "behaviour_change", "bedside", "neuro", "shaking_hands")."""
    codes: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        for code, groups in language_file(language)["symptoms"].items():
            for group, items in groups.items():
                codes.setdefault(code, {}).setdefault(group, []).extend(items)
    return {code: [phrase for items in groups.values() for phrase in items] for code, groups in codes.items()}


def symptom_group(group: str) -> list[str]:
    """One group's phrases over every code, English then Spanish: symptom_group("shaking_hands")."""
    return [phrase for language in LANGUAGES for groups in language_file(language)["symptoms"].values()
            for phrase in groups.get(group, [])]
