"""The reader's vocabulary is data (messages/reading/vocabulary/<language>.toml), not code (issue 14).

A clinician reads en.toml and es.toml side by side, so: no symptom phrase is written in the code, the
two files name the same symptom codes and keys, every phrase compiles, and the files ship with the
package.
"""
from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from messages.reading import vocabulary
from triage.model import SYMPTOMS

ROOT = Path(__file__).resolve().parent.parent
READING = ROOT / "messages" / "reading"
FILES = {language: vocabulary.language_file(language) for language in vocabulary.LANGUAGES}
# Keys one language has and the other need not: misspellings, brand names and Twilio's keywords
# are what they are in each language, not translations.
ONE_LANGUAGE_KEYS = {"spelling.typos", "medicines.names"}


def _code_strings() -> list[tuple[str, str]]:
    """Every string literal in messages/reading/*.py (f-string parts included), less docstrings."""
    found = []
    for path in sorted(READING.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        found += [(path.name, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                  and node.value not in NAMES]
    return found


def _keys(node: dict) -> set[str]:
    return {key for key, value in node.items()} | {k for value in node.values() if isinstance(value, dict)
                                                   for k in _keys(value)}


# Strings in the code that name a symptom code or a vocabulary key ("dizziness", "shaking_hands") are
# names, not phrases.
NAMES = set(SYMPTOMS) | _keys(FILES["en"]) | _keys(FILES["es"])


def _symptom_phrases() -> list[tuple[str, str, str]]:
    return [(language, code, phrase) for language, data in FILES.items()
            for code, groups in data["symptoms"].items() for items in groups.values() for phrase in items]


def test_no_symptom_phrase_is_written_in_the_code():
    strings = _code_strings()
    inline = [(name, phrase) for _, _, phrase in _symptom_phrases() for name, text in strings
              if text == phrase or (len(phrase) >= 8 and phrase in text)]
    assert inline == [], "symptom phrases belong in messages/reading/vocabulary/*.toml"


def test_no_symptom_word_is_written_in_the_code():
    # A bare symptom word ("dizzy", "mareado") in a regex in the code is a phrase outside the vocabulary.
    symptom_words = {phrase for _, _, phrase in _symptom_phrases() if re.fullmatch(r"[a-z]{4,}", phrase)}
    used = {(name, word) for name, text in _code_strings() for word in re.findall(r"[a-z]+", text)
            if word in symptom_words}
    assert used == set()


def test_both_languages_name_the_same_symptom_codes():
    assert set(FILES["en"]["symptoms"]) == set(FILES["es"]["symptoms"]) == set(SYMPTOMS)


def _paths(node: dict, prefix: str = "") -> set[str]:
    paths = set()
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in ONE_LANGUAGE_KEYS and not path.startswith("symptoms."):
            paths |= _paths(value, path + ".")
        else:
            paths.add(path)
    return paths


def test_both_languages_have_the_same_keys():
    assert _paths(FILES["en"]) == _paths(FILES["es"])


def _entries(node: dict, path: str = ""):
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _entries(value, f"{path}{key}.")
        elif isinstance(value, list):
            yield from ((f"{path}{key}", item) for item in value)
        else:
            yield from ((f"{path}{key}", word) for word in value.split())


@pytest.mark.parametrize("language", vocabulary.LANGUAGES)
def test_every_entry_compiles_and_is_written_as_the_reader_sees_text(language):
    for path, entry in _entries(FILES[language]):
        re.compile(entry)
        # The reader sees lower-case text without accents: an entry with either could never match
        # (a regex escape such as \S is not a letter of the text).
        letters = re.sub(r"\\[A-Za-z]", "", entry)
        assert letters == letters.lower() and entry.isascii(), f"{language}.toml {path}: {entry!r}"


def test_the_vocabulary_ships_with_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["messages"]
    shipped = {path for pattern in globs for path in (ROOT / "messages").glob(pattern)}
    assert {READING / "vocabulary" / f"{language}.toml" for language in vocabulary.LANGUAGES} <= shipped
