"""Medicines with their doses, and when they were taken."""
from __future__ import annotations

import re

from . import vocabulary
from .model import MedicationReport, Work
from .temperature import BRIDGE, CORRECTION
from .times import TimeSaid

# Every name a medicine goes by, to its canonical name (triage.model.MEDICATIONS, or model.OTHER_MEDICINES:
# recorded so the nurse sees it, never counted as acetaminophen): vocabulary/<language>.toml [medicines].
_DRUGS = vocabulary.mapping("medicines", "names")
_DRUG = vocabulary.names("medicines", "names")
NUMBER = r"\d{1,2},\d{3}|\d+(?:[.,]\d+)?"
MG_UNITS = vocabulary.alternation("units", "milligrams")
_COUNT = vocabulary.alternation("units", "count")
_MED = re.compile(
    rf"(?:(?<![\d.,])(?P<pnum>{NUMBER})\s*(?P<punit>{MG_UNITS}|{_COUNT})?\s*(?:(?:extra|regular)\s+strength\s+)?"
    rf"(?:of\s+|de\s+)?)?"
    rf"\b(?P<drug>{_DRUG})\b(?:\s+(?:extra\s+strength|regular\s+strength|es|fuerte|forte|extra))?"
    rf"(?:\s*[:=x]?\s*(?:(?:de|of)\s+)?(?<![\d.,])(?P<nnum>{NUMBER})(?![\d])\s*(?P<nunit>{MG_UNITS}|{_COUNT})?\b)?")
# Dose arithmetic, written out before anything is read: "2 x 500", "took 2 tylenol 500mg",
# "tylenol 500 2 tabs", "500 mg x 2", "2 325s" are one dose of the product ("1000 mg").
_N_WORDS = {"one": 1, "un": 1, "una": 1, "uno": 1, "two": 2, "dos": 2, "three": 3, "tres": 3, "four": 4,
            "cuatro": 4}
_N = r"(?P<n>[1-4]|one|two|three|four|una?|uno|dos|tres|cuatro)"
_STRENGTH = r"(?:80|160|325|500|650|1000)"  # acetaminophen tablets: a bare number that is a strength
_TABS = f"(?:{vocabulary.alternation('units', 'tablets')})"
_DOSE_MATH = (
    # 2 x 500, 2x500mg, 2 * 325 mg
    re.compile(rf"(?<![\w.,]){_N}\s*[x*]\s*(?:(?P<s>\d{{1,4}})\s*(?P<u>mg|mgs)\b|(?P<s2>{_STRENGTH})(?![\w.,]))"),
    # 500 x 2, 500 mg x 2, 500mg x2
    re.compile(rf"(?<![\w.,])(?:(?P<s>\d{{1,4}})\s*(?P<u>mg|mgs)|(?P<s2>{_STRENGTH}))\s*[x*]\s*{_N}(?![\w.,])"),
    # 2 tylenol 500mg, 2 pastillas de 500 mg, two 500mg tylenol, 2 tabs of 500
    re.compile(rf"(?<![\w.,]){_N}\s+(?:{_TABS}\s+)?(?:(?:extra|regular)\s+strength\s+)?(?:(?:of|de)\s+)?"
               rf"(?:(?P<drug>{_DRUG})\s+)?(?:(?:of|de)\s+)?"
               rf"(?:(?P<s>\d{{1,4}})\s*(?P<u>mg|mgs)\b|(?P<s2>{_STRENGTH})(?![\w.,])(?!\s*(?:f|c|degrees?|grados?|°)))"),
    # tylenol 500 2 tabs, 500 mg 2 pills
    re.compile(rf"(?<![\w.,])(?:(?P<s>\d{{1,4}})\s*(?P<u>mg|mgs)|(?P<s2>{_STRENGTH}))\s*,?\s*(?:x\s*)?{_N}\s*{_TABS}\b"),
    # 2 325s
    re.compile(rf"(?<![\w.,]){_N}\s+(?P<s2>{_STRENGTH})s\b"),
)
# Tablets counted by their strength's name, acetaminophen's only: "2 extra strength tylenol" is 2 x 500 mg, "2
# regular strength" 2 x 325 mg, "tome 2 tylenol extra fuerte" 2 x 500 mg. Read as "a dose of unknown strength"
# (counted as 1000 mg) before, "3 extra strength" (1500 mg) every 6 h reached 6 g a day counted as 4 g, under the
# daily maximum (DESIGN: 4 g / 24 h; SOP 5 Grade 1 Home: 650-1000 mg), and "2 regular strength" alone was read
# as an implausible temperature, its dose never counted. A combination product's strength names another
# amount of acetaminophen (Extra Strength Excedrin: 250 mg), so only plain acetaminophen's names count.
_PLAIN_APAP = r"(?:tylenol|acetaminophen|acetaminofeno?|paracetamol|panadol|apap)"
_STRENGTH_NAMES = {"extra": 500, "es": 500, "regular": 325}
_NAMED_STRENGTH = (
    # 2 extra strength tylenol, 2 regular strength, 2 ES tylenol, 3 regular tylenol, 2 tabs of extra strength
    re.compile(rf"(?<![\w.,])(?P<n>[1-9]|one|two|three|four|una?|uno|dos|tres|cuatro)\s+(?:{_TABS}\s+)?(?:(?:of|de)\s+)?"
               rf"(?:(?P<w>extra|regular)\s+strength(?:\s+(?P<drug>{_DRUG}))?|(?P<w2>es|extra|regular)\s+(?P<drug2>{_DRUG}))\b"),
    # 2 tylenol extra strength, tome 2 tylenol extra fuerte, 2 tylenol ES, 2 tylenol regular strength
    re.compile(rf"(?<![\w.,])(?P<n>[1-9]|one|two|three|four|una?|uno|dos|tres|cuatro)\s+(?:{_TABS}\s+)?(?:(?:of|de)\s+)?"
               rf"(?P<drug>{_DRUG})\s+(?:(?P<w>extra|regular)\s+strength|(?P<w2>es|extra)(?:\s+fuerte)?)\b"),
)


def _named_strength(m: re.Match[str]) -> str:
    """The dose of tablets counted by their strength's name ("1000 mg tylenol"), or the words as written when
    the medicine is not plain acetaminophen."""
    drug = m.group("drug") or m.groupdict().get("drug2")
    if drug is not None and not re.fullmatch(_PLAIN_APAP, drug):
        return m.group()
    n = m.group("n")
    count = int(n) if n.isdigit() else _N_WORDS[n]
    strength = _STRENGTH_NAMES[m.group("w") or m.group("w2")]
    return f"{count * strength} mg{' ' + drug if drug else ''}"


_NOT_A_COUNT = re.compile(r"(?:\b(?:day|dia|dose|dosis|cycle|ciclo|at|a\s+las?|around|about|by|week|semana)\s*|#)$")
# A bare strength that is a percent or a saturation, not tablets: "tengo un 80 de oxigeno", "un 80 de saturacion", "me
# siento un 80% mejor", "hay un 80% de probabilidad" were "80 mg" (one tablet of 80): an 80 mg dose no one took, and the
# saturation of 80 read as nothing, a new hypoxia unpaged (SOP 5 Grade 1 Home, line 64: < 90%).
_SPO2_WORDS = vocabulary.alternation("vitals", "labels", "spo2")
_NOT_A_STRENGTH_AFTER = re.compile(
    rf"\s*%|\s+(?:(?:de|of|on|en)\s+)?(?:(?:the|my|his|her|el|la|mi|su)\s+)?(?:{_SPO2_WORDS})\b")
_NOT_A_STRENGTH_BEFORE = re.compile(rf"(?<![a-z])(?:{_SPO2_WORDS})\b[^\d.,;!?]{{0,30}}$")


def dose_arithmetic(text: str) -> str:
    """The text with "2 x 500mg" / "two 325s" written as the total ("1000 mg"), unless the count is a day,
    dose number or time ("day 2 500mg")."""
    def product(m: re.Match[str]) -> str:
        if _NOT_A_COUNT.search(text[:m.start()]):
            return m.group()
        if m.group("s2") and (_NOT_A_STRENGTH_AFTER.match(text, m.end())
                              or _NOT_A_STRENGTH_BEFORE.search(text, 0, m.start())):
            return m.group()
        n = m.group("n")
        count = int(n) if n.isdigit() else _N_WORDS[n]
        strength = int(m.groupdict().get("s") or m.group("s2"))
        if not strength:
            return m.group()
        drug = m.groupdict().get("drug")
        return f"{drug + ' ' if drug else ''}{count * strength} mg"
    def named(m: re.Match[str]) -> str:
        return m.group() if _NOT_A_COUNT.search(text[:m.start()]) else _named_strength(m)
    for strength_named in _NAMED_STRENGTH:
        text = strength_named.sub(named, text)
    for pattern in _DOSE_MATH:
        text = pattern.sub(product, text)
    return text


# Doses without a drug's name: "took it", "took 1000 mg", "took 2 at 2", "lo tome", "me la tome". A bare 100-109 is a
# temperature, never a dose: "had 101", "I had 101 this morning" were recorded as a dose of unknown strength (counted
# 1000 mg) and the fever was read as nothing ("We noted your dose"; SOP 4 Grading: fever >= 100.4 F). A count of
# tablets alone ("took 2") only before a time, "more"/"again", or the end of its clause: "took 2 at 2" was an
# implausible temperature ("measure again") and no dose.
# The clause ends at a comma or a conjunction too, and a time read before it stands after it (blanked: two spaces or
# more, as the text's own spaces are one): "took 2, temp 101", "i took 2 at 2 and its 101 now" and "took 2 at 2 its 101
# now" recorded no dose, and the fever was told "Take acetaminophen now", no nurse told of a fever back soon after a
# dose (SOP 5 Grade 1 Home: repeat >= 6-8 h later; recurrent fever < 6-8 h: consider dexamethasone).
_TOOK_COUNT_END = (r"(?=\s{2,}|\s*(?:$|[,.;!]|\b(?:at|around|about|by|a\s+las?|more|again|earlier|ago|hace|now|ahora|for|para|"
                   r"and|but|then|so|y|pero|luego|today|tonight|hoy)\b|@))")
_IT = re.compile(
    rf"\b(?:took|taken|take|had|tome|tomo|tomar)\s+(?:(?P<num>{NUMBER})\s*(?P<unit>{MG_UNITS}|{_COUNT})\b|"
    r"(?!10\d(?!\d))(?P<bare>[1-9]\d{2,3})(?!\d|[.,]\d|\s*(?:f|c|degrees|grados)\b|\s*°)|"
    r"(?:it|them|one|two|the\s+pills?|the\s+medicine|una|la\s+pastilla|otra|another(?:\s+one)?|more|"
    # "my tylenol ran out, took the last one at 2", "se me acabo el tylenol, tome la ultima a las 2": the last dose is a
    # dose (the medicine's own clause says it ran out: no dose there; read as nothing, a fever an hour later was told to
    # take acetaminophen now, no nurse told of a fever back soon after a dose: SOP 5 Grade 1 Home, >= 6-8 h later)
    r"(?:the|my|his|her|el|la|mi|su)\s+(?:last|ultim[oa])(?:\s+(?:one|dose|pill|tablet|dosis|pastilla))?))\b"
    # "ran out yesterday, took some today": "some" alone, as a count (read as nothing: no dose, the next fever told to take
    # acetaminophen now; SOP 5 Grade 1 Home: repeat >= 6-8 h later)
    # A caregiver's "gave him 2 at 2", "le di 2 a las 2" too (review of de8b973: no dose, the fever told to take
    # acetaminophen now, an hour after two tablets)
    rf"|\b(?:took|tome|tomo|gave\s+(?:him|her|them)|le\s+di(?:mos)?)\s+(?:[1-4](?!\d|[.,]\d)|some\b){_TOOK_COUNT_END}"
    r"|\b(?:ya\s+)?(?:me\s+)?(?:la|lo|las|los)\s+(?:tome|tomo|he\s+tomado)\b")
_LONE_MG = re.compile(rf"(?<![\d.,])(?P<num>{NUMBER})\s*(?P<unit>mg|mgs|milligrams?|miligramos?)\b")
# Asked about or planned, not taken: "can I take tylenol?", "going to take tylenol", "voy a tomar"
# (vocabulary [medicines.reports] asking).
_ASKING = re.compile(rf"\?|\u00bf|\b(?:{vocabulary.alternation('medicines', 'reports', 'asking')})")
# Not taken: "didn't take", "no he tomado", "out of" (vocabulary [medicines.reports] not_taken); "no the tylenol was
# at 2" is a correction, a dose taken (correction_after_no).
_NOT_TAKEN = re.compile(
    rf"\b(?!no\s+(?:{vocabulary.alternation('medicines', 'reports', 'correction_after_no')})\b)"
    rf"(?:{vocabulary.alternation('medicines', 'reports', 'not_taken')})\b"
    rf"(?:\s+(?:{vocabulary.alternation('medicines', 'reports', 'not_taken_filler')}))*\s*$")

_NOT_TAKEN_AFTER = re.compile(rf"\s*(?:{vocabulary.alternation('medicines', 'reports', 'not_taken_after')})\b")


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around a match: between , . ; ! ? and the words 'and', 'but', 'y', 'pero'."""
    stops = re.compile(r"[.;!?\n,]|\b(?:and|but|then|y|pero|luego)\b|\u00bf|\u00a1")
    left = 0
    for m in stops.finditer(text, 0, start):
        if m.group() not in ("\u00bf", "\u00a1"):
            left = m.end()
        else:
            left = m.start()
    right_match = stops.search(text, end)
    right = right_match.end() if right_match and right_match.group() == "?" else (
        right_match.start() if right_match else len(text))
    return left, right


def _dose(number: str | None, unit: str | None) -> tuple[float | None, bool]:
    """(dose in mg, whether the number is a dose or a count) for a number beside a drug's name."""
    if number is None:
        return None, False
    thousands = re.fullmatch(r"\d{1,2},\d{3}", number)  # "1,000 mg"
    value = float(number.replace(",", "") if thousands else number.replace(",", "."))
    if unit and re.fullmatch(MG_UNITS, unit):
        grams = unit.startswith("g")
        return ((value * 1000 if grams else value) or None), True  # "0 mg" is no dose we can count
    if unit:  # tablets: the strength is not known, so the dose is not either
        return None, True
    if value <= 10:
        return None, True  # "2 tylenol": a count
    if value >= 120:
        return value, True  # "tylenol 650"
    return None, False  # "tylenol 101" is the fever treated, not a 101 mg dose


def extract_medications(work: Work, times: list[TimeSaid]) -> list[MedicationReport]:
    """Each medicine the text reports taking (acetaminophen, ibuprofen, ...; dose in mg when said, its stated
    time from `times`), marking what it read as taken in `work`."""
    text = work.text
    reports: list[tuple[int, str, float | None, bool]] = []
    named: list[int] = []  # where a drug is named: "take more" beside it is the same report
    named_drugs: list[str] = []  # each drug named, taken or not: "ran out of ibuprofen, took the last one" is ibuprofen
    for m in work.find(_MED):
        named.append(m.start("drug"))
        named_drugs.append(_DRUGS[m.group("drug")])
        left, right = _clause_bounds(text, m.start("drug"), m.end("drug"))
        before = text[left:m.start("drug")]
        dose_mg, used_pre = _dose(m.group("pnum"), m.group("punit"))
        post_dose, used_post = _dose(m.group("nnum"), m.group("nunit"))
        if used_post and dose_mg is None:
            dose_mg = post_dose
        start = m.start() if used_pre else m.start("drug")
        end = m.end() if used_post else m.end("drug")
        work.take(start, end)
        if not used_pre and m.group("pnum"):
            before = text[left:m.start("drug")].replace(m.group("pnum"), " ")
        if _NOT_TAKEN.search(re.sub(r"[\d.,]+\s*(?:" + MG_UNITS + r")?", " ", before)) \
                or _NOT_TAKEN_AFTER.match(text, m.end("drug")):
            continue
        clause = text[left:right]
        asking = bool(_ASKING.search(clause)) and not re.search(r"\b(?:took|taken|tome|had)\b", before)
        reports.append((m.start(), _DRUGS[m.group("drug")], dose_mg, asking))
    for m in work.find(_IT):
        work.take(m.start(), m.end())
        left, right = _clause_bounds(text, m.start(), m.end())
        if any(left <= position <= right for position in named):
            continue
        dose_mg = _dose(m.group("num") or m.group("bare"), m.group("unit"))[0]
        asking = bool(_ASKING.search(text[left:right])) or m.group(0).startswith(("take ", "tomar "))
        if _NOT_TAKEN.search(text[left:m.start()]):
            continue
        if m.group(0).startswith(("take ", "tomar ")) and not asking:
            continue
        name = next((r[1] for r in reports), named_drugs[0] if len(set(named_drugs)) == 1 else "acetaminophen")
        reports.append((m.start(), name, dose_mg, asking))
    for m in work.find(_LONE_MG):  # "1000 mg at 2pm": a dose, never a temperature
        work.take(m.start(), m.end())
        left, right = _clause_bounds(text, m.start(), m.end())
        if not reports:
            asking = bool(_ASKING.search(text[left:right]))
            reports.append((m.start(), "acetaminophen", _dose(m.group("num"), m.group("unit"))[0], asking))
        elif (previous := _dose_before(reports, m.start())) is not None and _own_time(times, left, right):
            # "took 1000 mg at 6am and 1000 mg at noon": a second dose, at its own time
            reports.append((m.start(), previous[1], _dose(m.group("num"), m.group("unit"))[0], False))
    for m in work.find(_AGAIN):  # "took tylenol at 7am and again at 12:30": a second dose, at its own time
        left, right = _clause_bounds(text, m.start(), m.end())
        previous = _dose_before(reports, m.start())
        if previous is None or not _own_time(times, left, right) \
                or any(left <= position < right for position, *_ in reports):
            continue  # no dose before it, no time of its own, or its clause's dose is counted already ("took it again")
        rest = text[left:right]
        for t in times:
            if left <= t.start < right:
                rest = rest.replace(t.raw, " ")
        if re.fullmatch(_AGAIN_CLAUSE, rest.strip()):
            work.take(m.start(), m.end())
            reports.append((m.start(), previous[1], None, False))
    corrected_times = _corrections(work, times, reports)
    result = []
    for position, name, dose_mg, asking in sorted(reports):
        when = None if asking else corrected_times.get(position) or _time_for(text, position, times)
        result.append(MedicationReport(name, dose_mg, when.at if when else None, asking,
                                       when.raw if when else None))
    return result


_CORRECTED_DOSE = re.compile(rf"(?<![\d.,])(?P<num>{NUMBER})\s*(?P<unit>{MG_UNITS}|{_COUNT})?(?![\d\w])")


def _corrections(work: Work, times: list[TimeSaid], reports: list[tuple[int, str, float | None, bool]]
                 ) -> dict[int, TimeSaid]:
    """A dose or a dose's time typed again to correct it ("took 500mg sorry 1000mg", "took tylenol 650 oops 1000",
    "took tylenol at 2 sorry at 3"; the words are temperature.py's): the dose before the correction takes the new
    amount (in `reports`, in place), and its new time is returned by the report's position. Read as typed first,
    500 mg was counted toward the daily maximum for 1000 taken (DESIGN: 4 g in 24 h), "1000" was an implausible
    temperature ("measure again"), and a dose at 3 was timed at 2, the next one allowed an hour early (SOP 5 Grade 1
    Home: >= 6-8 h later)."""
    text = work.text
    corrected: dict[int, TimeSaid] = {}
    for mark in CORRECTION.finditer(text):
        previous = _dose_before(reports, mark.start())
        bridge = BRIDGE.match(text, mark.end())
        if previous is None or bridge is None:
            continue
        start = bridge.end()
        when = next((t for t in times if t.start == start), None)
        if when is not None:
            corrected[previous[0]] = when
            continue
        amount = _CORRECTED_DOSE.match(text, start)  # "1000mg" after a dose was set aside already (_LONE_MG)
        if amount is None:
            continue
        dose_mg, is_dose = _dose(amount.group("num"), amount.group("unit"))
        if is_dose and (dose_mg is not None or amount.group("unit")):  # "sorry 2 tabs": a dose of unknown strength
            work.take(amount.start(), amount.end())
            reports[reports.index(previous)] = (previous[0], previous[1], dose_mg, previous[3])
    return corrected


# A clause that says only that a dose was taken again, at a time of its own: "and again at 2am", "y otra vez a las 2".
# Each is a dose: dropped, the next dose was timed from the first, and a patient who took one at 2 AM was told more
# was allowed at 4 AM (SOP 5 Grade 1 Home: repeat >= 6-8 h later), its milligrams left out of the daily total.
_AGAIN = re.compile(r"\b(?:again|once\s+more|otra\s+vez|de\s+nuevo)\b")
_AGAIN_CLAUSE = r"(?:(?:took|had|gave|taken|given|tome|tomo|le\s+di)\s+(?:it|one|him|her|them|la|lo)?\s*)?" \
                r"(?:again|once\s+more|otra\s+vez|de\s+nuevo)"


def _dose_before(reports: list[tuple[int, str, float | None, bool]],
                 position: int) -> tuple[int, str, float | None, bool] | None:
    """The last dose reported taken (not asked about) before `position`, or None."""
    taken = [report for report in reports if report[0] < position and not report[3]]
    return max(taken, default=None)


def _own_time(times: list[TimeSaid], left: int, right: int) -> bool:
    """A time is said inside the clause text[left:right]."""
    return any(left <= t.start < right for t in times)


def _time_for(text: str, position: int, times: list[TimeSaid]) -> TimeSaid | None:
    """The time said of the dose at `position`: in its own clause, else a time that stands alone
    ("took tylenol, 2 hours ago"); a time beside a reading ("101 at 2pm") is the reading's."""
    left, right = _clause_bounds(text, position, position + 1)
    own = [t for t in times if left <= t.start < right]
    if own:
        return own[0]
    alone = []
    for t in times:
        t_left, t_right = _clause_bounds(text, t.start, t.end)
        rest = text[t_left:t.start] + text[t.end:t_right]
        if not re.search(r"\d", rest):
            alone.append(t)
    return min(alone, key=lambda t: min(abs(t.start - position), abs(t.end - position)), default=None)
