"""Symptoms and denials: what the patient reports, and what they say they do not have."""
from __future__ import annotations

import re

from triage.model import SYMPTOMS

from . import vocabulary

# Each symptom code's phrases, from vocabulary/<language>.toml [symptoms.<code>].
_SYMPTOM_RES = {code: re.compile(rf"\b(?:{'|'.join(patterns)})\b")
                for code, patterns in vocabulary.symptom_phrases().items()}
# Shaking hands are chills when the text reports chills too ("chills, hands shaking"): rigors shake.
_SHAKING_HANDS_RE = re.compile(rf"\b(?:{'|'.join(vocabulary.symptom_group('shaking_hands'))})\b")
# Where one sign's words hold another's, the longer phrase is what was meant: "hands shaking" is a
# tremor, not chills; "almost fainting" is dizziness, not a faint; "keeps passing out" is a faint;
# "keeps falling asleep" is drowsiness, not "keeps falling".
_NESTED = (frozenset({"chills", "tremor"}), frozenset({"dizziness", "syncope"}), frozenset({"weakness", "somnolence"}))
_ANY_SYMPTOM = re.compile("|".join(f"(?:{r.pattern})" for r in _SYMPTOM_RES.values()))
# Standing up: dizziness or a faint on standing is orthostatic too.
_STANDING = re.compile(rf"\b(?:{vocabulary.alternation('standing', 'phrases')})\b")
_NEGATOR = re.compile(rf"\b(?:{vocabulary.alternation('negation', 'negators')})\b")
# Negators that open a list: "denies confusion, weakness, dizziness", "No: dizziness, confusion".
_LIST_NEGATOR = re.compile(vocabulary.alternation("negation", "list_negators"))
# Words that may stand between a negator and what it governs ("no real signs of confusion"); "sym"
# stands for a symptom phrase already read, "," and "/" join a list.
_CHAIN_WORDS = vocabulary.words("negation", "chain_words") | {"sym", ",", "/"}
_OR_WORDS = vocabulary.words("negation", "or_words") | {"/"}
# What a negation governs: a symptom, or fever. A negation stops at the first thing it governs
# unless "or"/"nor"/"ni" (or a list) joins the next: "no fever dizzy" reports dizziness.
_GOVERNED = vocabulary.words("negation", "governed") | {"sym"}
_CLAUSE_BREAK = re.compile(rf"[.;!?\n]|\b(?:{vocabulary.alternation('negation', 'clause_breaks')})\b")
# "dizzy: no", "confusion - none", and a checklist's "dizzy: n".
_POSTFIX_NO = re.compile(
    rf"^\s*[:=?-]?\s*(?:{vocabulary.alternation('negation', 'answered_no')})\b\s*(?:[,.;!]|$)|"
    r"^\s*[:=-]\s*n\b\s*(?:[,.;!]|$)")
# "the dizziness is gone", "el mareo ya se me quito" (vocabulary [negation] resolved).
_RESOLVED = re.compile(rf"^\s*(?:{vocabulary.alternation('negation', 'resolved')})")
_NEVER_SO = re.compile(rf"\b(?:{vocabulary.alternation('negation', 'never_so')})\b")
# A bare "no" with an article or a possessive right after it corrects what was said before, as for a medicine
# (vocabulary [medicines.reports] correction_after_no): "no the dizziness is back" denied dizziness, a red flag read
# away (SOP 5 Grade 1 Home: recontact the clinic urgently for weakness, confusion, dizziness).
_CORRECTION_AFTER_NO = re.compile(rf"\s+(?:{vocabulary.alternation('medicines', 'reports', 'correction_after_no')})\b")


def negated(text: str, start: int, end: int) -> bool:
    """The words at text[start:end] (a normalised text) are denied: "no chest pain", "denies bleeding", "sin dolor
    de pecho" (the symptoms' negation rules, vocabulary [negation])."""
    return _negated(text, start, end)


def _negated(text: str, start: int, end: int) -> bool:
    window_start = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    # Symptom phrases that hold a "no" of their own ("no puedo caminar") are symptoms, not negators.
    before = _ANY_SYMPTOM.sub(" sym ", text[window_start:start])
    after = text[end:]
    if _POSTFIX_NO.match(after) or _RESOLVED.match(after):
        return True
    negators = list(_NEGATOR.finditer(before))
    if not negators:
        return False
    negator = negators[-1]
    between = before[negator.end():]
    if negator.group() == "no" and _CORRECTION_AFTER_NO.match(between):
        return False  # "no the dizziness is back", "no my confusion is worse"
    if negator.group() in ("never", "nunca") and _NEVER_SO.search(between):
        return False  # "I've never felt so weak" says how weak
    tokens = re.findall(r"[a-z']+|[,/]", between)
    if not all(t in _CHAIN_WORDS for t in tokens):
        return False
    governed = False
    for token in tokens:
        if token in _GOVERNED:
            governed = True
        elif token in _OR_WORDS or token == ",":
            governed = False
    if governed:
        return False  # "no fever dizzy": the "no" was fever's
    if "," in tokens and not any(t in _OR_WORDS for t in tokens):
        # "no confusion, dizziness or weakness" is a list under "no"; "no fever, confused" is not,
        # unless the negator opens a list ("denies confusion, weakness, dizziness", "No: dizziness,").
        if _LIST_NEGATOR.fullmatch(negator.group()) or re.match(r"\s*:", between):
            return True
        rest = re.split(r"[.;!?\n]|\b(?:but|pero|and|y)\b", after, maxsplit=1)[0]
        return bool(re.search(r"\b(?:or|nor|ni|o|u)\b", rest))
    return True


# A symptom word that describes a thing, not the person: "weak wifi", "confused about the instructions",
# "the texts are confusing", "confundida con las instrucciones". Urgent pages for these teach nurses to
# ignore the pager (found by the break-it pass); the person's own "I'm weak" or "confused" still counts.
_NOT_ABOUT_THE_BODY = re.compile(vocabulary.alternation("not_about_the_body", "phrases"))


def _symptom_matches(text: str) -> list[tuple[str, re.Match[str]]]:
    """Every symptom phrase in the text, less those inside a longer phrase of a related sign (_NESTED) and
    those that describe a thing rather than the person (_NOT_ABOUT_THE_BODY)."""
    things = [m.span() for m in _NOT_ABOUT_THE_BODY.finditer(text)]
    found = [(code, m) for code, pattern in _SYMPTOM_RES.items() for m in pattern.finditer(text)
             if not any(start <= m.start() and m.end() <= end for start, end in things)]

    def inside(inner: re.Match[str], outer: re.Match[str]) -> bool:
        return (outer.start() <= inner.start() and inner.end() <= outer.end()
                and outer.end() - outer.start() > inner.end() - inner.start())

    return [(code, m) for code, m in found
            if not any(frozenset({code, other}) in _NESTED and inside(m, om) for other, om in found)]


def extract_symptoms(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(symptom keys present, symptom keys denied) in the normalised text ("no chills" denies chills),
    from vocabulary/<language>.toml."""
    present: set[str] = set()
    denied: set[str] = set()
    shaking_hands_only = True  # every tremor read came from shaking-hands words
    for code, m in _symptom_matches(text):
        negated = _negated(text, m.start(), m.end())
        (denied if negated else present).add(code)
        if code == "tremor" and not negated and not _SHAKING_HANDS_RE.fullmatch(m.group()):
            shaking_hands_only = False
        if code in ("dizziness", "syncope"):  # dizzy or fainting on standing: orthostatic too
            clause = text[max(0, m.start() - 40):m.end() + 40]
            if _STANDING.search(clause):
                (denied if negated else present).add("orthostatic")
    if "tremor" in present and "chills" in present and shaking_hands_only:
        present.discard("tremor")  # "chills, my hands are shaking": the shaking is the chills
    return frozenset(present & set(SYMPTOMS)), frozenset((denied - present) & set(SYMPTOMS))
