"""Read a text message into values: temperatures, vitals, symptoms, medicines, commands.

Pure: no I/O, no clock (pass `now` to resolve "at 2pm" / "30 min ago"), imports nothing of
`web` or `monitoring`. English and Spanish are read in every text, whatever the patient's language.

How a body is read, in order (each step blanks what it used, so a number is read once):

1. Normalise: NFKC, curly quotes to straight, lower case, accents off, emoji to spaces, and
   misspellings of the words we look for corrected ("confussed", "tilenol"; see `_correct`), and
   number words that are a reading written as digits (messages.reading.number_words).
2. A command is the whole message or nothing: "STOP" opts out, "stop the fever" is not a command.
   That is how Twilio itself matches opt-out words, so what we record matches what Twilio blocks.
   ACK alone may carry a nurse's note ("ACK 12 calling now"), unless the note holds a reading.
3. Times ("at 2pm", "hace 30 minutos"), then blood pressure pairs, SpO2 and heart rate by their
   labels (a few filler words between: "sats are 88", "o2 went down to 88"; two readings of one
   vital keep the worst), then medicines with their doses ("2 x 500" is 1000 mg), then what
   numbers are left are temperatures. A labelled number is never a temperature.
4. Symptoms and denials ("no confusion or dizziness", "sin mareos") from the words.

Never guess: a value outside what a body shows goes to `implausible` and stays None, so the
patient is asked to measure again.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from messages.reading.clock import Part, latest_wall_time, resolve_stated_time
from messages.reading.number_words import number_words_to_digits
from triage.model import SYMPTOMS

# What a body can show, as a home device reads it. Outside these: `implausible`, ask again.
TEMP_C_RANGE = (Decimal(34), Decimal(43))
TEMP_F_RANGE = (Decimal(93), Decimal(110))
SYSTOLIC_RANGE = (50, 260)
DIASTOLIC_RANGE = (20, 160)
SPO2_RANGE = (50, 100)  # a finger oximeter under 50% is almost always a bad reading: measure again
HEART_RATE_RANGE = (25, 250)

# Whole-message commands. Opt-out and opt-in are Twilio's default keywords (REVOKE and OPTOUT
# included), so every text Twilio blocks is one we record as an opt-out. PARAR and CANCELAR are
# ours: Twilio does not block on them unless Advanced Opt-Out is set up with them, but a patient
# who writes them wants the texts to stop, and the nurse must know.
COMMAND_WORDS = {
    "help": {"help", "ayuda", "info"},
    "stop": {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
             "parar", "cancelar"},
    "start": {"start", "yes", "unstop"},
}


@dataclass(frozen=True)
class MedicationReport:
    """A medicine the patient took (or asks whether they may take: `asking`).

    `taken_at` is None when no time was given (the dose was taken about when the text was sent),
    or when a time was given but `now` was not (then `taken_at_raw` holds the words).
    """

    name: str  # canonical: triage.model.MEDICATIONS, or "ibuprofen" (recorded, not counted)
    dose_mg: float | None = None
    taken_at: datetime | None = None
    asking: bool = False
    taken_at_raw: str | None = None


@dataclass(frozen=True)
class Parsed:
    """What one text said. None / empty where the text did not say it."""

    temperature_c: float | None = None
    temperature_raw: str | None = None  # the number and unit as written (lower-cased)
    temperature_unit: str | None = None  # "C" or "F": as written, or read from the range
    systolic: int | None = None
    diastolic: int | None = None
    spo2: int | None = None
    heart_rate: int | None = None
    symptoms: frozenset[str] = frozenset()
    denied_symptoms: frozenset[str] = frozenset()
    medications: tuple[MedicationReport, ...] = ()
    implausible: tuple[str, ...] = ()  # "temperature", "blood_pressure", "spo2", "heart_rate"
    command: str | None = None  # "help", "stop", "start", "ack"
    command_arg: int | None = None  # the alert id in "ACK 12"
    language_hint: str | None = None  # "en", "es", or None when the words do not tell
    # Said, not read: neither is a reading, so neither makes `understood` True.
    # "thanks", "ok", "👍", "I feel fine", "estoy bien": the whole text is polite or a status, and
    # nothing else was read (no value, symptom, denial, medicine, command or implausible value).
    acknowledgement: bool = False
    # "no fever", "temp normal", "sin fiebre", "no tengo fiebre": the patient says there is no fever
    # but no temperature was read (no number, and no implausible one).
    no_fever_claim: bool = False
    temperature_guessed: bool = False  # its decimal point was written another way ("100 7"): not a sure reading

    @property
    def has_values(self) -> bool:
        return any(v is not None for v in (self.temperature_c, self.systolic, self.spo2, self.heart_rate))

    @property
    def understood(self) -> bool:
        """Anything usable: a value, a symptom, a denial, a medicine or a command."""
        return bool(self.has_values or self.symptoms or self.denied_symptoms or self.medications
                    or self.command)

    @property
    def needs_clarification(self) -> bool:
        """Nothing usable (implausible values alone are not usable: they are asked again)."""
        return not self.understood

    @property
    def clarification_key(self) -> str | None:
        """The template to answer a text we cannot use, or None when the text is usable."""
        if self.understood:
            return None
        return "reply_measure_again" if self.implausible else "reply_unreadable"


# ---------------------------------------------------------------------------------------------
# Normalising and spelling

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00b4": "'", "`": "'",
                         "\u00ba": "\u00b0", "\u02da": "\u00b0"})
_KEEP = set(" .,:;/%?!'#@-=+&()\u00b0\u00bf\u00a1\n")

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words we look for, so that a misspelling one letter off (two for long words) reads as the word.
_LEXICON = _words("""
confused confusion confusing disoriented disorientated foggy weak weakness dizzy dizziness
lightheaded lighthead faint fainted fainting standing stand stood vertigo woozy spinning chills
chilly shivering shaking rigors freezing breath breathe breathing breathless shortness winded
nausea nauseous nauseated queasy vomit vomiting vomited throwing rash hives itchy headache
migraine aches aching achy muscle muscles myalgia body sore temperature temp fever pressure
oxygen saturation pulse heart tylenol acetaminophen paracetamol panadol dexamethasone decadron
tocilizumab actemra anakinra kineret siltuximab sylvant ibuprofen advil motrin minutes hours
confundido confundida desorientado desorientada debil debilidad mareado mareada mareos
escalofrios temblores respirar falta nauseas vomito vomitando sarpullido salpullido erupcion
ronchas cabeza migrana jaqueca dolor musculos muscular cuerpo temperatura fiebre presion oxigeno
pulso acetaminofen dexametasona ibuprofeno desmayo desmaye levantarme pararme minutos horas tome
grados fahrenheit celsius
drowsy lethargic somnolent slurred slurring handwriting tremor tremors seizure seizures convulsion
convulsions convulsing unconscious consciousness cyanotic fingertips somnoliento somnolienta
palabras escribir temblor convulsiones conocimiento
""")
_TYPOS = {"dizy": "dizzy", "dizi": "dizzy", "dizzi": "dizzy", "diz": "dizzy", "dizzie": "dizzy",
          "lite": "light", "heded": "headed", "wek": "weak", "weeak": "weak", "confuse": "confused",
          "tyl": "tylenol", "tynelol": "tylenol", "acetaminophin": "acetaminophen",
          "farenheit": "fahrenheit", "farenhait": "fahrenheit", "centigrade": "celsius",
          "mariado": "mareado", "mariada": "mareada", "confudido": "confundido", "debl": "debil"}
# Common words one letter from a lexicon word: never "corrected" ("never" is not "fever").
_NOT_TYPOS = _words("""
never paint saint point print fizzy debit sports weeks spots tired tries sending spending fiber
river lever liver seven fewer other heard hearty heart ached shaking chilli hills bread break
bodys busy dizzy stand stands stood sound found ground round temps tempo fevers shiver ounce
pause pulses muscle mussel braking cabezas horas hora minuto cuerpos falto falta sore hives head
heads rush cash wash tome como tomo toma tomar some sobre sobra sabor
woody wooly woods acting arching acres ashes mares marea mareas marcos marco mateos marcado
marcada ditzy flint feint froggy shaving shaping sharing shading shaming staking snaking slaking
soaking chilis chiles hikes hides hires winder wended breach breadth fiver purse falda falla
dolar dolares bread breed braid pause pulsar spinner spanning freeing shimmering slivering mussels
""")
# "week" is "weak" only where a feeling is said: "I feel week", "so week", not "this week".
_WEEK_AS_WEAK = re.compile(
    r"\b(?:feel|feels|feeling|felt|so+|very|really|too|kinda|kind\s+of|a\s+bit|little|i'?m|im|am|"
    r"getting|super|extremely|real)\s+week\b(?!\s*(?:\d|of\b|ago\b|before\b|after\b))")


def _strip_accents(text: str) -> str:
    keep = {"\u00bf", "\u00a1", "\u00b0"}
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            continue
        out.append(ch)
    text = unicodedata.normalize("NFC", "".join(out))
    return "".join(ch if ch.isascii() or ch in keep else " " for ch in text)


def _normalise(body: str) -> str:
    return _dose_arithmetic(_SPLIT_DECIMAL.sub(_join_decimal, number_words_to_digits(_plain_words(body))))


def _plain_words(body: str) -> str:
    text = unicodedata.normalize("NFKC", body.translate(_QUOTES)).casefold()  # before NFKC: º is "o" after
    text = _strip_accents(text)
    text = "".join(ch if ch.isalnum() or ch in _KEEP else " " for ch in text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text).strip()
    text = re.sub(r"[a-z]+", lambda m: _correct(m.group()), text)
    return _WEEK_AS_WEAK.sub(lambda m: m.group()[:-4] + "weak", text)


def guessed_decimal(body: str | None) -> bool:
    """True when a temperature in `body` had its decimal point written another way and was read by
    guessing ("100 7" as 100.7): such a reading must never be answered "No fever now" (issue 14)."""
    text = number_words_to_digits(_plain_words(body or ""))
    return any(_join_decimal(match) != match.group(0) for match in _SPLIT_DECIMAL.finditer(text))


# A temperature whose decimal point was written another way: "100 7", "100'7", "100·7" (both become a
# space above), "100. 7", "100 point 7", "38 punto 5". Dropping the digit would read "100 4" as 100.0 and
# answer "No fever now" at the fever line (SOP 4: >= 100.4 F); it is read as the decimal when the whole
# number is a plausible temperature in F (93-109) or C (34-42), and not when the number belongs to
# another vital or the digit counts something ("101 2 hours ago"). parse() marks such a reading as
# guessed, and a guessed reading never gets the routine "No fever now".
_SPLIT_DECIMAL = re.compile(
    r"(?<![\d.,/])\b(?P<whole>9[3-9]|10[0-9]|3[4-9]|4[0-2])(?:\s*\.\s+|\s*'\s*|\s+(?:point|punto|coma)\s+|\s+)"
    r"(?P<digit>\d)\b"
    r"(?![.,/]?\d)(?!\s*(?:h|hr|hrs|hours?|horas?|min|mins|minutes?|minutos?|days?|dias?|am|pm|times?|veces|"
    r"tabs?|tablets?|pills?|pastillas?|tabletas?|mg|x|over|sobre|de)\b)")
_OTHER_VITAL = re.compile(r"(?:o2|sat|sats|spo2|ox|oxygen|oxigeno|bp|pressure|presion|tension|pulse|pulso|hr|heart|"
                          r"rate|fc|ppm|bpm|systolic|sistolica)\W*$")

def _join_decimal(match: re.Match) -> str:
    before = match.string[max(0, match.start() - 14):match.start()]
    if _OTHER_VITAL.search(before):
        return match.group(0)
    return f"{match.group('whole')}.{match.group('digit')}"


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment), stopping early past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=4096)
def _correct(word: str) -> str:
    if word in _TYPOS:
        return _TYPOS[word]
    if len(word) < 5 or word in _LEXICON_SET or word in _NOT_TYPOS:
        return word
    limit = 2 if len(word) >= 9 else 1
    best, best_distance = word, limit + 1
    for candidate in _LEXICON_BY_INITIAL.get(word[0], ()):
        d = _distance(word, candidate, limit)
        if d < best_distance:
            best, best_distance = candidate, d
    return best


_LEXICON_SET = _LEXICON
_LEXICON_BY_INITIAL: dict[str, tuple[str, ...]] = {}
for _word in sorted(_LEXICON_SET):
    _LEXICON_BY_INITIAL[_word[0]] = _LEXICON_BY_INITIAL.get(_word[0], ()) + (_word,)


class _Work:
    """The normalised text, and a copy in which what has been read is blanked out."""

    def __init__(self, text: str):
        self.text = text
        self.left = text

    def take(self, start: int, end: int) -> None:
        self.left = self.left[:start] + " " * (end - start) + self.left[end:]

    def find(self, pattern: re.Pattern[str]):
        return list(pattern.finditer(self.left))


# ---------------------------------------------------------------------------------------------
# Commands and language


# "ACK", "ACK 12", and a nurse's note after it: "ACK 1 calling pt now", "ack 12 - on it", "ACK, calling".
_ACK = re.compile(r"ack(?:\s*#?\s*(\d{1,9}))?(?:$|(?=\W)(?(1)|(?!\s*#?\s*\d))(.*))", re.DOTALL)


def _command(text: str) -> tuple[str, int | None, str] | None:
    """(command, its number, the words after an ACK). Commands other than ACK are the whole message."""
    core = re.sub(r"^[\s.,;:!?\u00bf\u00a1'\"-]+|[\s.,;:!?\u00bf\u00a1'\"-]+$", "", text)
    ack = _ACK.fullmatch(core)
    if ack:
        return "ack", int(ack.group(1)) if ack.group(1) else None, (ack.group(2) or "").strip()
    squeezed = re.sub(r"[\s-]+", "", core) if len(core.split()) <= 2 else core
    for command, words in COMMAND_WORDS.items():
        if squeezed in words:
            return command, None, ""
    return None


_ES_WORDS = _words("""
me siento tengo estoy temperatura fiebre presion oxigeno pulso tome hace hora horas minutos
dolor cabeza mareado mareada mareos debil confundido confundida escalofrios sin de la el y con
muy puedo tomar pastilla gracias bien mal ayuda parar nada pero ya esta las los una que por
favor grados nauseas vomito respirar aire falta cuerpo tambien poco mucho ahora hoy desde
despues antes cuando debo mi duele todo sigo tuve tenia
""")
_EN_WORDS = _words("""
i im i'm feel feeling felt took take taken the and my is was temp fever dizzy weak confused
headache ago at hour hours minutes min not have has can with but ok okay fine better pressure
oxygen pulse short breath of it just still thanks thank you help am now today after before when
should this that pm had any little bit very so degrees
""")


def _language_hint(body: str) -> str | None:
    lowered = unicodedata.normalize("NFKC", body).casefold()
    es = sum(2 for ch in lowered if ch in "\u00f1\u00e1\u00e9\u00ed\u00f3\u00fa\u00bf\u00a1")
    words = re.findall(r"[a-z']+", _strip_accents(lowered))
    es += sum(1 for w in words if w in _ES_WORDS)
    en = sum(1 for w in words if w in _EN_WORDS)
    if es > en:
        return "es"
    if en > es:
        return "en"
    return None


# ---------------------------------------------------------------------------------------------
# Times: "at 2pm", "at 14:30", "a las 2", "30 min ago", "an hour ago", "hace 30 minutos"

_AMOUNT = r"(\d+(?:[.,]\d+)?|an?|one|two|three|half an?|una?|media|dos|tres)"
_WORD_AMOUNTS = {"a": 1, "an": 1, "one": 1, "una": 1, "un": 1, "two": 2, "dos": 2, "three": 3,
                 "tres": 3, "half a": 0.5, "half an": 0.5, "media": 0.5}
_UNIT = r"(minutes?|mins?|minutos?|m|hours?|hrs?|h|horas?)"
_RELATIVE = re.compile(
    rf"\b(?:{_AMOUNT}\s*{_UNIT}\s+ago|hace\s+{_AMOUNT}\s*{_UNIT})\b(?:\s+(?:and a half|y media))?")
_CLOCK = re.compile(
    r"(?:(?:\b(?:at|around|about|by|a\s+las?|como\s+a\s+las?|at\s+about)|@)\s*)?"
    r"(?<![\d.,/])(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?)?(?!\w|[.,]\d)"
    r"(?:\s+de\s+la\s+(manana|tarde|noche)|\s+(in the morning|in the afternoon|in the evening|at night))?")
_PARTS: dict[str, Part] = {"a": "am", "p": "pm"}  # the half of the day as _CLOCK reads it
_NOON = re.compile(r"\b(?:at\s+)?(noon|midday|midnight|(?:al\s+)?mediodia|medianoche)\b")
_VAGUE = re.compile(r"\b(this morning|last night|earlier|yesterday|esta manana|anoche|ayer|hoy temprano)\b")


@dataclass(frozen=True)
class _Time:
    start: int
    end: int
    raw: str
    at: datetime | None


def _ago(now: datetime, delta: timedelta) -> datetime:
    """Elapsed time, not wall-clock time: "30 min ago" stays 30 minutes across a DST change."""
    return (now.astimezone(UTC) - delta).astimezone(now.tzinfo)


def _most_recent(now: datetime, hour: int, minute: int) -> datetime:
    """The latest real instant at or before `now` the clock showed hour:minute (messages.reading.clock)."""
    return latest_wall_time(now, hour, minute)


def _extract_times(work: _Work, now: datetime | None) -> list[_Time]:
    times: list[_Time] = []
    for m in work.find(_RELATIVE):
        amount_text = (m.group(1) or m.group(3)).replace(",", ".")
        unit = m.group(2) or m.group(4)
        amount = float(amount_text) if amount_text[0].isdigit() else _WORD_AMOUNTS.get(amount_text, 1)
        if m.group(0).endswith(("and a half", "y media")):
            amount += 0.5
        minutes = amount if unit.startswith("m") else amount * 60
        at = _ago(now, timedelta(minutes=minutes)) if now is not None and minutes <= 48 * 60 else None
        times.append(_Time(m.start(), m.end(), m.group(0), at))
        work.take(m.start(), m.end())
    for m in work.find(_NOON):
        word = m.group(1)
        hour = 0 if word.startswith("mid") and "night" in word or word == "medianoche" else 12
        at = _most_recent(now, hour, 0) if now is not None else None
        times.append(_Time(m.start(), m.end(), m.group(0), at))
        work.take(m.start(), m.end())
    for m in work.find(_CLOCK):
        hour_text, minute_text, meridiem, es_part, en_part = m.groups()
        labelled = m.group(0)[0].isalpha() or m.group(0).startswith("@")
        if not (minute_text or meridiem or labelled):
            continue  # a bare number is a reading, not a time
        hour, minute = int(hour_text), int(minute_text or 0)
        if hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
            continue
        part = (meridiem or "")[:1] or {"manana": "a", "tarde": "p", "noche": "p"}.get(es_part or "", "")
        if en_part:
            part = "a" if "morning" in en_part else "p"
        at = resolve_stated_time(now, hour, minute, _PARTS.get(part)) if now is not None else None
        times.append(_Time(m.start(), m.end(), m.group(0).strip(), at))
        work.take(m.start(), m.end())
    for m in work.find(_VAGUE):
        times.append(_Time(m.start(), m.end(), m.group(0), None))
        work.take(m.start(), m.end())
    return times


# Counts and durations that are not readings: "day 2", "3 days", "for 2 hours", "2 times", "2nd".
_COUNTS = re.compile(
    r"(?:\b(?:day|dia|dose|dosis|cycle|ciclo)\s*|#)\d+\b|(?<![\d.,])\d+\s*(?:days?|dias?|times?|veces|weeks?|"
    r"semanas?|hours?|hrs?|horas?|minutes?|mins?|minutos?|x|st|nd|rd|th)\b")


def _drop_counts(work: _Work) -> None:
    for m in work.find(_COUNTS):
        work.take(m.start(), m.end())


# ---------------------------------------------------------------------------------------------
# Vitals by label: blood pressure, SpO2, heart rate


def _in(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


_BP_LABEL = r"(?:bp|b/p|blood\s*pressure|pressure|presion(?:\s+arterial)?|tension(?:\s+arterial)?|pa|ta)"
_BP_SINGLE_LABEL = r"(?:bp|b/p|blood\s*pressure|presion(?:\s+arterial)?|tension(?:\s+arterial)?)"
_SYS_LABEL = (r"(?:systolic|sbp|sys|top\s+number|upper\s+number|first\s+number|sistolica|"
              r"(?:el\s+)?numero\s+de\s+arriba)")
_DIA_LABEL = (r"(?:diastolic|dbp|(?:the\s+)?bottom(?:\s+(?:number|one))?|lower\s+number|diastolica|"
              r"(?:el\s+)?(?:numero\s+)?de\s+abajo)")
# Words between a label and its number: "sats are 88", "o2 went down to 88", "oxygen reads 88",
# "oxygen level is only 88", "my bp is low 85", "el oxigeno bajo a 88", "la saturacion marca 86".
_FILLER_WORDS = (
    r"is|are|was|were|been|be|it'?s|its|reads?|reading|says?|said|shows?|showed|showing|shown|went|goes|"
    r"gone|going|got|gets|getting|came|comes|back|down|dropped|drops|dropping|dipped|dips|fell|falls|"
    r"falling|sank|to|only|just|at|of|about|around|like|now|currently|still|right|level|levels|number|"
    r"low|lower|high|very|so|too|really|measured|checked|the|my|"
    r"es|de|en|esta|estaba|marca|marco|marcaba|dice|dijo|bajo|baja|bajando|ha|subio|hasta|a|ahora|solo|"
    r"como|sale|salio|da|dio|me|mi|el|la|nivel|muy")
_FILLER = rf"(?:\s*(?:(?:{_FILLER_WORDS})\b|[:=-])){{0,6}}\s*"
_PULSE_TAIL = (r"(?:(?P<slash>\s*/\s*)|\s*,?\s*(?:(?:pulse|p|hr|pulso)\s*:?\s*)?)"
               r"(?P<pulse>\d{2,3})(?!\d|[.,]\d|\s*(?:%|f\b|c\b|°))")
_BP_PAIR_LABELLED = re.compile(
    rf"\b{_BP_LABEL}{_FILLER}(?<![\d.,])(?P<sys>\d{{2,3}})(?P<sep>\s*[/\\-]\s*|\s+(?:over|sobre|x|by)\s+|\s*x\s*|\s+)"
    rf"(?P<dia>\d{{2,3}})(?![\d]|[.,]\d)(?:{_PULSE_TAIL})?")
_BP_PAIR = re.compile(
    rf"(?<![\d.,])(?P<sys>\d{{2,3}})(?P<sep>\s*(?:/|\\|over|sobre|x)\s*)(?P<dia>\d{{2,3}})(?![\d])(?:{_PULSE_TAIL})?")
_BP_SINGLE = re.compile(rf"\b(?:{_BP_SINGLE_LABEL}|{_SYS_LABEL}){_FILLER}(?<![\d.,])(\d{{2,3}})(?!\d|[.,]\d)")
_DIA_SINGLE = re.compile(rf"\b{_DIA_LABEL}{_FILLER}(?<![\d.,])(\d{{2,3}})(?!\d|[.,]\d)")
_SPO2_LABEL = (r"(?:spo2|sp\s?o2|sp02|pulse\s*ox(?:imeter)?|pulseox|pox|o2\s*sat(?:uration)?s?|"
               r"oxygen(?:\s*(?:level|sat(?:uration)?s?))?|saturation|saturacion(?:\s+de\s+oxigeno)?|"
               r"nivel\s+de\s+oxigeno|oxigeno|oximetro|oximeter|sats?|o2|ox|(?<![\d.])02)")
_SPO2 = re.compile(rf"(?<![a-z]){_SPO2_LABEL}{_FILLER}(?<![\d.,])(\d{{1,3}})(?!\d|[.,]\d)\s*%?")
_SPO2_AFTER = re.compile(
    rf"(?<![\w.,])(\d{{1,3}})\s*(?:%\s*(?:on\s+|de\s+|en\s+)?(?:{_SPO2_LABEL})?|"
    rf"\s+(?:(?:on|en|in|per|by|from|with)\s+(?:(?:the|my|el|la|mi)\s+)?)?{_SPO2_LABEL}\b)")
# "oxygen 91 then 87", "sats 88, now 93", "heart rate 110 then 120": the same vital read again.
_SPO2_MORE = re.compile(
    r"\s*,?\s*(?:(?:and|y)\s+)?(?:then|now|later|afterwards|after|ahora|luego|despues|went\s+to|"
    r"(?:went\s+|came\s+)?down\s+to|dropped\s+to|fell\s+to|bajo\s+a|->|>|to)(?:\s+(?:to|a|at|en|down\s+to))?"
    r"\s*(\d{1,3})(?!\d|[.,]\d)\s*%?")
_HR_LABEL = (r"(?:hr|heart\s*rate|heartrate|heart\s*beat|heartbeat|pulse|pulso|pulsaciones|fc|"
             r"frecuencia(?:\s+cardiaca)?|ritmo(?:\s+cardiaco)?|latidos|bpm|p(?=\s*[:=]?\s*\d))")
_HR = re.compile(rf"\b{_HR_LABEL}{_FILLER}(?<![\d.,])(\d{{1,3}})(?!\d|[.,]\d)")
_HR_AFTER = re.compile(r"(?<![\d.,])(\d{1,3})\s*(?:bpm|beats(?:\s+per\s+minute)?|latidos|lpm|ppm)\b")


def _extract_vitals(work: _Work) -> dict:
    """Values by their labels. Two readings of one vital in a text: the worst (lowest SpO2, lowest
    systolic with its diastolic), so a red flag is never read away. A labelled number is always
    that vital's: when it cannot be one, it is implausible, never a temperature."""
    found: dict = {"implausible": []}
    pressures: list[tuple[int, int | None]] = []
    for pattern in (_BP_PAIR_LABELLED, _BP_PAIR):
        for m in work.find(pattern):
            systolic, diastolic = int(m.group("sys")), int(m.group("dia"))
            pair_ok = _in(systolic, SYSTOLIC_RANGE) and _in(diastolic, DIASTOLIC_RANGE) and systolic > diastolic
            if not pair_ok and not m.group("sep").strip(" -"):
                # "presion 85 99": two numbers side by side that are no pair; read the first alone.
                continue
            work.take(m.start(), m.end() if m.group("pulse") is None else m.start("pulse"))
            if pair_ok:
                pressures.append((systolic, diastolic))
            else:
                found["implausible"].append("blood_pressure")
            if m.group("pulse") is not None:
                # A third number after the pair is the pulse, as a home cuff shows it (SYS/DIA/PUL):
                # always after a slash ("120/80/104"), otherwise unless it reads as a temperature.
                pulse = int(m.group("pulse"))
                labelled = re.search(r"(pulse|p|hr|pulso)\s*:?\s*\d+$", m.group(0))
                if m.group("slash") or labelled or not (_in(pulse, (34, 43)) or _in(pulse, (93, 110))):
                    work.take(m.start("pulse"), m.end("pulse"))
                    if _in(pulse, HEART_RATE_RANGE):
                        found.setdefault("heart_rate", pulse)
                    else:
                        found["implausible"].append("heart_rate")
    singles: list[int] = []
    for m in work.find(_BP_SINGLE):
        work.take(m.start(), m.end())
        if _in(int(m.group(1)), SYSTOLIC_RANGE):
            singles.append(int(m.group(1)))
        else:
            found["implausible"].append("blood_pressure")
    diastolics = []
    for m in work.find(_DIA_SINGLE):
        work.take(m.start(), m.end())
        diastolics.append(int(m.group(1)))
    for systolic in singles:
        diastolic = next((d for d in diastolics if _in(d, DIASTOLIC_RANGE) and d < systolic), None)
        pressures.append((systolic, diastolic))
    if pressures:
        found["systolic"], found["diastolic"] = min(pressures, key=lambda p: (p[0], p[1] is None))
    saturations: list[int] = []
    for pattern in (_SPO2, _SPO2_AFTER):
        for m in work.find(pattern):
            values, end = [int(m.group(1))], m.end()
            while pattern is _SPO2 and (more := _SPO2_MORE.match(work.left, end)) and _in(int(more.group(1)), SPO2_RANGE):
                values.append(int(more.group(1)))
                end = more.end()
            work.take(m.start(), end)
            for value in values:
                if _in(value, SPO2_RANGE):
                    saturations.append(value)
                else:
                    found["implausible"].append("spo2")
    if saturations:
        found["spo2"] = min(saturations)
    for pattern in (_HR, _HR_AFTER):
        for m in work.find(pattern):
            values, end = [int(m.group(1))], m.end()
            while pattern is _HR and (more := _SPO2_MORE.match(work.left, end)) and _in(int(more.group(1)),
                                                                                       HEART_RATE_RANGE):
                values.append(int(more.group(1)))  # "heart rate 110 then 120": the same vital again
                end = more.end()
            work.take(m.start(), end)
            plausible = [v for v in values if _in(v, HEART_RATE_RANGE)]
            if len(plausible) < len(values):
                found["implausible"].append("heart_rate")
            if plausible and "heart_rate" not in found:
                found["heart_rate"] = max(plausible)
    # A plausible value beside an implausible one of the same kind: keep the plausible one.
    have = {"blood_pressure": "systolic", "spo2": "spo2", "heart_rate": "heart_rate"}
    found["implausible"] = [f for f in found["implausible"] if have[f] not in found]
    return found


# ---------------------------------------------------------------------------------------------
# Medicines

_DRUGS = {
    "acetaminophen": "acetaminophen", "tylenol": "acetaminophen", "paracetamol": "acetaminophen",
    "acetaminofen": "acetaminophen", "acetaminofeno": "acetaminophen", "panadol": "acetaminophen",
    "apap": "acetaminophen", "dexamethasone": "dexamethasone", "dexametasona": "dexamethasone",
    "decadron": "dexamethasone", "dex": "dexamethasone", "dexa": "dexamethasone",
    "dexametazona": "dexamethasone", "tocilizumab": "tocilizumab", "actemra": "tocilizumab",
    "anakinra": "anakinra", "kineret": "anakinra", "siltuximab": "siltuximab", "sylvant": "siltuximab",
    # Not in triage.model.MEDICATIONS: recorded so the nurse sees it (it masks a fever too),
    # never counted as acetaminophen.
    "ibuprofen": "ibuprofen", "ibuprofeno": "ibuprofen", "advil": "ibuprofen", "motrin": "ibuprofen",
}
_DRUG = "|".join(sorted(_DRUGS, key=len, reverse=True))
_NUM = r"\d{1,2},\d{3}|\d+(?:[.,]\d+)?"
_MG = r"mg|mgs|milligrams?|miligramos?|g|grams?|gramos?|gr"
_COUNT = r"tabs?|tablets?|pills?|pastillas?|tabletas?|capsules?|caps?|pastilla"
_MED = re.compile(
    rf"(?:(?<![\d.,])(?P<pnum>{_NUM})\s*(?P<punit>{_MG}|{_COUNT})?\s*(?:(?:extra|regular)\s+strength\s+)?"
    rf"(?:of\s+|de\s+)?)?"
    rf"\b(?P<drug>{_DRUG})\b(?:\s+(?:extra\s+strength|regular\s+strength|es|fuerte|forte|extra))?"
    rf"(?:\s*[:=x]?\s*(?:(?:de|of)\s+)?(?<![\d.,])(?P<nnum>{_NUM})(?![\d])\s*(?P<nunit>{_MG}|{_COUNT})?\b)?")
# Dose arithmetic, written out before anything is read: "2 x 500", "took 2 tylenol 500mg",
# "tylenol 500 2 tabs", "500 mg x 2", "2 325s" are one dose of the product ("1000 mg").
_N_WORDS = {"one": 1, "un": 1, "una": 1, "uno": 1, "two": 2, "dos": 2, "three": 3, "tres": 3, "four": 4,
            "cuatro": 4}
_N = r"(?P<n>[1-4]|one|two|three|four|una?|uno|dos|tres|cuatro)"
_STRENGTH = r"(?:80|160|325|500|650|1000)"  # acetaminophen tablets: a bare number that is a strength
_TABS = r"(?:tabs?|tablets?|pills?|pastillas?|tabletas?|caps?|capsules?|capsulas?|gel\s*caps?|caplets?)"
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
_NOT_A_COUNT = re.compile(r"(?:\b(?:day|dia|dose|dosis|cycle|ciclo|at|a\s+las?|around|about|by|week|semana)\s*|#)$")


def _dose_arithmetic(text: str) -> str:
    def product(m: re.Match[str]) -> str:
        if _NOT_A_COUNT.search(text[:m.start()]):
            return m.group()
        n = m.group("n")
        count = int(n) if n.isdigit() else _N_WORDS[n]
        strength = int(m.groupdict().get("s") or m.group("s2"))
        if not strength:
            return m.group()
        drug = m.groupdict().get("drug")
        return f"{drug + ' ' if drug else ''}{count * strength} mg"
    for pattern in _DOSE_MATH:
        text = pattern.sub(product, text)
    return text


# Doses without a drug's name: "took it", "took 1000 mg", "lo tome", "me la tome".
_IT = re.compile(
    rf"\b(?:took|taken|take|had|tome|tomo|tomar)\s+(?:(?P<num>{_NUM})\s*(?P<unit>{_MG}|{_COUNT})\b|"
    r"(?P<bare>[1-9]\d{2,3})(?!\d|[.,]\d|\s*(?:f|c|degrees|grados)\b|\s*°)|"
    r"(?:it|them|one|two|the\s+pills?|the\s+medicine|una|la\s+pastilla|otra|another(?:\s+one)?|more))\b"
    r"|\b(?:ya\s+)?(?:me\s+)?(?:la|lo|las|los)\s+(?:tome|tomo|he\s+tomado)\b")
_LONE_MG = re.compile(rf"(?<![\d.,])(?P<num>{_NUM})\s*(?P<unit>mg|mgs|milligrams?|miligramos?)\b")
_ASKING = re.compile(
    r"\?|\u00bf|\b(?:can|could|may|should|shall)\s+(?:i|we|he|she)\b|\b(?:ok|okay|safe|alright|allowed)\s+to\b|"
    r"\bis\s+it\s+(?:ok|okay|safe|fine)\b|\bwhen\s+(?:can|should|do)\b|\b(?:want|need)\s+to\s+take\b|"
    r"\b(?:puedo|podria|debo|deberia|quiero|necesito)\s+(?:tomar|tomarme|darme)\b|\bcuando\s+puedo\b|"
    r"\bse\s+puede\b|"
    # A plan is not a dose taken: "going to take tylenol", "I'll take it at 2", "voy a tomar tylenol".
    r"\b(?:going\s+to|gonna|about\s+to|planning\s+(?:on|to)|plan\s+to|will|i'?ll|shall|wanna)\s+"
    r"(?:take|give|try|taking)\b|\b(?:voy|vamos|va|iba)\s+a\s+(?:tomar|tomarme|darme|dar|darle)\b|"
    r"\b(?:pienso|planeo|quisiera)\s+tomar\b|\btomare\b")
_NOT_TAKEN = re.compile(
    r"\b(?:didn'?t|did\s+not|haven'?t|have\s+not|hasn'?t|not|never|no|without|sin|ni|out\s+of|nunca)\b"
    r"(?:\s+(?:take|taken|took|had|tome|he|ha|tomado|any|more|yet|todavia|aun|tengo|have|got|any))*\s*$")


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
    if unit and re.fullmatch(_MG, unit):
        grams = unit.startswith("g")
        return ((value * 1000 if grams else value) or None), True  # "0 mg" is no dose we can count
    if unit:  # tablets: the strength is not known, so the dose is not either
        return None, True
    if value <= 10:
        return None, True  # "2 tylenol": a count
    if value >= 120:
        return value, True  # "tylenol 650"
    return None, False  # "tylenol 101" is the fever treated, not a 101 mg dose


def _extract_medications(work: _Work, times: list[_Time]) -> list[MedicationReport]:
    text = work.text
    reports: list[tuple[int, str, float | None, bool]] = []
    named: list[int] = []  # where a drug is named: "take more" beside it is the same report
    for m in work.find(_MED):
        named.append(m.start("drug"))
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
        if _NOT_TAKEN.search(re.sub(r"[\d.,]+\s*(?:" + _MG + r")?", " ", before)):
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
        name = next((r[1] for r in reports), "acetaminophen")
        reports.append((m.start(), name, dose_mg, asking))
    for m in work.find(_LONE_MG):  # "1000 mg at 2pm": a dose, never a temperature
        work.take(m.start(), m.end())
        if not reports:
            left, right = _clause_bounds(text, m.start(), m.end())
            asking = bool(_ASKING.search(text[left:right]))
            reports.append((m.start(), "acetaminophen", _dose(m.group("num"), m.group("unit"))[0], asking))
    result = []
    for position, name, dose_mg, asking in sorted(reports):
        when = None if asking else _time_for(text, position, times)
        result.append(MedicationReport(name, dose_mg, when.at if when else None, asking,
                                       when.raw if when else None))
    return result


def _time_for(text: str, position: int, times: list[_Time]) -> _Time | None:
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


# ---------------------------------------------------------------------------------------------
# Temperature: what numbers are left


_TEMP = re.compile(
    r"(?:(?<=t)|(?<=temp)|(?<=fever)|(?<![\w.,]))(?P<num>\d{1,5}(?:[.,]\d{1,3})?)(?![\d])\s*"
    r"(?P<unit>°\s*(?:f|c)?|degrees?\s*(?:f|c|fahrenheit|celsius)?|deg\s*(?:f|c)?|grados?(?:\s+(?:f|c|fahrenheit|celsius))?|"
    r"fahrenheit|celsius|centigrados?|f|c)?(?![a-z])")


def _unit(written: str) -> str | None:
    """ "F", "C" or None (a bare degree sign, "degrees", "grados": the range decides)."""
    last = re.findall(r"[a-z]+", written)
    word = last[-1] if last else ""
    if word in ("f", "fahrenheit"):
        return "F"
    if word in ("c", "celsius", "centigrado", "centigrados"):
        return "C"
    return None


def _extract_temperature(work: _Work) -> dict:
    plausible: list[tuple[Decimal, str, str, int, int]] = []
    implausible = False
    for m in work.find(_TEMP):
        value = Decimal(m.group("num").replace(",", "."))
        unit = _unit(m.group("unit") or "")
        in_c, in_f = TEMP_C_RANGE[0] <= value <= TEMP_C_RANGE[1], TEMP_F_RANGE[0] <= value <= TEMP_F_RANGE[1]
        if unit is None:
            unit = "C" if in_c else "F" if in_f else None
        if (unit == "C" and in_c) or (unit == "F" and in_f):
            celsius = value if unit == "C" else (value - 32) * 5 / 9
            plausible.append((celsius, m.group(0).strip(), unit, m.start(), m.start() + len(m.group(0).rstrip())))
        else:
            implausible = True
        work.take(m.start(), m.end())
    if plausible:
        # Several temperatures in one text: the one the text says is current ("99 now", "hoy 37.1",
        # "from 101 to 99"); when no clause says which is current, the highest, so a fever is never
        # read away ("101.2 then 100.4"). Rounded to 0.01 C: exact decimals make 100.4 F exactly
        # 38.0 C, and 0.01 is fine enough that no reading crosses the fever line by rounding
        # (100.35 F is 37.97 C, not a fever; 0.1 would have made it 38.0). See triage.ranges.
        celsius, raw, unit, _, _ = max(_current(work.text, plausible), key=lambda p: p[0])
        rounded = float(celsius.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        return {"temperature_c": rounded, "temperature_raw": raw, "temperature_unit": unit}
    return {"implausible": ["temperature"]} if implausible else {}


# Which of several temperatures is the current one. A marker belongs to the nearest temperature in
# its clause; on a tie, an English word to the one before it ("101 yesterday 99 now"), a Spanish
# one and "down to" to the one after it ("ayer 38.5 hoy 37.1", "101 went down to 99").
_NOW_MARK = re.compile(  # strong: the reading is now
    r"\b(?:right\s+now|just\s+now|now|currently|at\s+the\s+moment|at\s+present|this\s+reading|still|"
    r"(?:went|gone|came|come|is|it'?s|has\s+gone|now)\s+(?:down|up)\s+to|dropped\s+to|fell\s+to|rose\s+to|"
    r"ahora(?:\s+mismo)?|ahorita|en\s+este\s+momento|actualmente|todavia|"
    r"(?:bajo|baja|bajando|subio|sube|subiendo)\s+a)\b")
_TODAY_MARK = re.compile(r"\b(?:today|hoy(?!\s+temprano))\b")  # weaker: today, and now is later
_PAST_MARK = re.compile(
    r"\b(?:was|were|had|used\s+to\s+be|yesterday|last\s+night|earlier|before|previously|this\s+morning|"
    r"overnight|ago|tenia|tuve|estaba|era|fue|ayer|anoche|antes|esta\s+manana|hoy\s+temprano|"
    r"hace\s+(?:\S+\s+)?(?:minutos?|horas?|rato|un\s+rato|dias?))\b")
# Markers that go before their number on a tie: Spanish ones, and "down to 99".
_MARK_BEFORE = re.compile(r"^(?:ahora|ahorita|en\s|actualmente|todavia|baj|sub|hoy|tenia|tuve|estaba|era|fue|ayer|"
                          r"anoche|antes|esta\s|hace)|\sto$")
_TEMP_CLAUSE = re.compile(r"[,;!?\n()\[\]:]|\.(?!\d)|\b(?:but|and|then|pero|y|luego|despues|after\s+that)\b")
# "from 101 to 99", "de 38.9 a 37.8", "went down 101 to 99": the second is where it is now.
_FROM = re.compile(r"\b(?:from|de|desde|down|up|dropped|fell|rose|bajo|subio|baja|sube)\s*$")
_TO = re.compile(r"\s*(?:to|a|hasta)\s*$")


def _current(text: str, temps: list) -> list:
    """The temperatures that may be the current one: those the text marks as current, else all."""
    level = [0] * len(temps)  # 2 now, 1 today, 0 unmarked, -1 past
    for i in range(len(temps) - 1):
        if _FROM.search(text[:temps[i][3]]) and _TO.fullmatch(text[temps[i][4]:temps[i + 1][3]]):
            level[i], level[i + 1] = -1, 2
    cuts = [0, *(m.end() for m in _TEMP_CLAUSE.finditer(text)), len(text)]
    marks: dict[int, set[int]] = {}
    for left, right in itertools.pairwise(cuts):
        inside = [i for i, t in enumerate(temps) if left <= t[3] < right]
        if not inside:
            continue
        for kind, pattern in ((2, _NOW_MARK), (1, _TODAY_MARK), (-1, _PAST_MARK)):
            for m in pattern.finditer(text, left, right):
                if any(t[3] <= m.start() < t[4] for t in temps):
                    continue
                start, end, before = m.start(), m.end(), bool(_MARK_BEFORE.search(m.group()))
                nearest = min(inside, key=lambda i: (
                    temps[i][3] - end if end <= temps[i][3] else start - temps[i][4],  # the gap
                    (temps[i][3] < start) == before))  # on a tie: the side the marker goes with
                marks.setdefault(nearest, set()).add(kind)
    for i, kinds in marks.items():
        if level[i] == 0:
            level[i] = 2 if 2 in kinds else -1 if -1 in kinds else 1
    top = max(level)
    if top <= 0:
        return temps  # nothing says which is current: every one counts, and the highest wins
    first = level.index(top)
    # Current: the ones marked most current, and unmarked ones written after them ("99 now, 100.8
    # on a recheck"): an unmarked reading before them ("101, now 99") is the earlier one.
    return [t for i, t in enumerate(temps) if level[i] == top or (level[i] == 0 and i > first)]


# ---------------------------------------------------------------------------------------------
# Symptoms and denials

_SYMPTOM_PATTERNS = {
    "confusion": r"confused|confusion|confusing\s+things|disoriented|disorientated|foggy|brain\s+fog|"
                 r"mixed\s+up|can'?t\s+think(?:\s+straight)?|not\s+thinking\s+(?:straight|clearly)|"
                 r"confundid[oa]s?|confus[oa]s?|desorientad[oa]|no\s+pienso\s+bien|no\s+se\s+donde\s+estoy|"
                 r"no\s+puedo\s+pensar(?:\s+bien|\s+claro)?|no\s+(?:puede|pudo)\s+pensar|"
                 r"(?:don'?t|doesn'?t|didn'?t|do\s+not|does\s+not)\s+know\s+(?:what\s+(?:day|year|month|time)|"
                 r"where\s+(?:i|he|she|they|we)\s+(?:am|is|are|was|were)|who\s+(?:i|he|she|they|we)\s+(?:am|is|are))|"
                 r"(?:don'?t|doesn'?t|didn'?t|do\s+not|does\s+not|can'?t|won'?t)\s+recogni[sz]e|"
                 r"no\s+(?:me\s+|nos\s+|te\s+)?(?:reconoce|reconocio|reconozco)|"
                 r"no\s+sabe\s+(?:donde|que\s+dia|quien|en\s+que)|no\s+se\s+que\s+dia|"
                 r"out\s+of\s+it|(?:not|isn'?t|aren'?t|wasn'?t)\s+making\s+(?:any\s+)?sense|making\s+no\s+sense|"
                 r"talking\s+(?:nonsense|gibberish|funny|strange|weird)|not\s+(?:him|her)self|"
                 r"(?:dice|habla)\s+(?:cosas\s+)?(?:sin\s+sentido|incoherencias)|incoherente",
    "weakness": r"weak(?:ness|ened)?|no\s+strength|can'?t\s+(?:stand|walk|get\s+up)|debil(?:idad)?|"
                r"sin\s+fuerzas?|no\s+tengo\s+fuerzas?|flojera|flojo|floja|"
                r"can\s+(?:barely|hardly|scarcely)\s+(?:walk|stand|move|get\s+up|lift)|"
                r"(?:barely|hardly|not)\s+able\s+to\s+(?:walk|stand|get\s+up)|unable\s+to\s+(?:walk|stand|get\s+up)|"
                r"no\s+(?:puedo|puede|pude|pudo|podia)\s+(?:caminar|andar|levantarme|levantarse|pararme|pararse|"
                r"moverme|moverse|ponerme\s+de\s+pie|ponerse\s+de\s+pie|sostenerme|sostenerse)|"
                r"legs?\s+(?:gave|give|giving|gives|keep\s+giving)\s+(?:out|way)|"
                r"(?:keep|kept|keeps|keeping)\s+falling(?:\s+down)?|collaps(?:e|ed|es|ing)|"
                r"se\s+me\s+doblan\s+las\s+piernas|me\s+(?:sigo\s+cayendo|caigo)|se\s+desplomo|me\s+desplome",
    "dizziness": r"dizzy|dizziness|light\s*-?\s*headed(?:ness)?|lighthead|vertigo|woozy|"
                 r"room\s+(?:is\s+)?spinning|(?:feel|feeling|felt|very|so|a\s+bit|little)\s+faint|faint(?:ness)?|mareos?|mareado?s?|mareada?s?|"
                 r"me\s+da\s+vueltas\s+la\s+cabeza|(?:todo\s+)?me\s+da\s+vueltas(?:\s+todo)?|todo\s+da\s+vueltas|"
                 r"(?:head|room|everything|world)\s+(?:is\s+|keeps\s+|was\s+|starts\s+)?spinning|"
                 r"off\s+balance|unsteady|wobbly|los(?:ing|t|e)\s+(?:my\s+|his\s+|her\s+)?balance|"
                 r"(?:pierdo|perdi|pierde|perdio|sin)\s+(?:el\s+)?equilibrio|"
                 # about to faint: dizziness; with standing it is orthostatic too (_STANDING)
                 r"(?:feel(?:s|ing)?\s+like\s+(?:i'?m\s+|i\s+am\s+)?(?:going\s+to\s+|gonna\s+|about\s+to\s+)?|"
                 r"(?:going|about)\s+to\s+|gonna\s+|almost\s+|nearly\s+)"
                 r"(?:pass(?:ing)?\s+out|faint(?:ing)?|black(?:ing)?\s+out)|passing\s+out|"
                 r"vision\s+(?:goes|went|going|gets|got|turns|turned|is\s+going)\s+(?:dark|black|grey|gray|white)|"
                 r"(?:everything|it\s+all)\s+(?:goes|went|going|turns|turned)\s+(?:dark|black)|"
                 r"(?:seeing|see|saw)\s+stars|gr[ae]y(?:ing|ed)\s+out|"
                 r"(?:siento\s+que\s+)?me\s+(?:voy|iba)\s+a\s+desmayar|ganas\s+de\s+desmayarme|"
                 r"se\s+me\s+(?:nubla|nublo|oscurece|oscurecio|pone\s+negra|puso\s+negra)\s+la\s+vista|"
                 r"veo\s+(?:estrellitas|estrellas|todo\s+negro)",
    # Nearly fainting; fainting itself is `syncope` (below), orthostatic too when standing is said.
    "orthostatic": r"(?:almost|nearly)\s+(?:fainted|passed\s+out|blacked\s+out)|casi\s+me\s+desmay[oe]|"
                   r"siento\s+que\s+me\s+desmay[oe]",
    "chills": r"chills|chilly|chilled|shivering|shivers|shaking|rigors|freezing|feel\s+cold|feeling\s+cold|"
              r"escalofrios?|temblores|temblando|tengo\s+frio|mucho\s+frio",
    "shortness_of_breath": r"short(?:ness)?\s+of\s+breath|sob|can'?t\s+(?:catch\s+my\s+)?breathe?|"
                           r"(?:hard|difficult|trouble|difficulty|struggling)\s+(?:to\s+)?breath(?:e|ing)?|"
                           r"breathless|out\s+of\s+breath|winded|unable\s+to\s+breathe|"
                           r"falta\s+(?:de\s+)?aire|me\s+falta\s+el\s+aire|no\s+puedo\s+respirar|"
                           r"(?:dificultad|me\s+cuesta)\s+(?:para\s+)?respirar|me\s+ahogo|ahogo|ahogad[oa]",
    "nausea": r"nausea|nauseous|nauseated|queasy|sick\s+to\s+my\s+stomach|vomit(?:ing|ed)?|threw\s+up|"
              r"throwing\s+up|throw\s+up|nauseas?|vomito|vomitando|vomite|ganas\s+de\s+vomitar|asco",
    "rash": r"rash(?:es)?|hives|red\s+spots|itchy\s+skin|sarpullido|salpullido|erupcion|ronchas|"
            r"manchas\s+rojas",
    "headache": r"headaches?|head\s+ache|head\s+(?:hurts|is\s+pounding|pain)|migraine|dolor\s+de\s+cabeza|"
                r"me\s+duele\s+la\s+cabeza|migrana|jaqueca|cefalea",
    "myalgia": r"(?:body|muscle|muscular)\s+(?:aches?|pains?|hurts?)|aches|aching|achy|sore\s+muscles|"
               r"muscles?\s+(?:are\s+)?(?:sore|hurt|ache)|myalgias?|body\s+hurts|everything\s+hurts|"
               r"dolor(?:es)?\s+(?:muscular(?:es)?|de\s+cuerpo|en\s+el\s+cuerpo|de\s+musculos)|"
               r"me\s+duele\s+(?:todo\s+)?el\s+cuerpo|me\s+duelen\s+los\s+musculos|cuerpo\s+cortado",
}

# Neurotoxicity signs (ICANS; SOP 4 Workup, "Assess for concurrent symptoms of neurotoxicity";
# ASTCT consensus, Lee et al. 2019), as a patient or the person with them writes them. Disorientation
# and a change of behaviour others notice are `confusion` (above and in _BEHAVIOUR_CHANGE). One list a
# sign, English first, then Spanish; issue 14 turns these lists into data files.
_NEURO_PATTERNS = {
    # depressed level of consciousness: very drowsy, hard to wake or keep awake (plain "tired",
    # "sleepy" or "a bit drowsy" is not: fatigue after a dose is common and not a red flag)
    "somnolence": [
        r"(?:very|so+|really|extremely|super|too|abnormally|unusually|excessively)\s+(?:drowsy|sleepy)",
        r"excessive\s+(?:drowsiness|sleepiness)|somnolent|somnolence|lethargic",
        r"(?:hard|difficult|impossible)\s+to\s+(?:wake|rouse|arouse|keep\s+awake)(?:\s+(?:him|her|them|me))?(?:\s+up)?",
        r"(?:can'?t|cannot|couldn'?t|could\s+not|unable\s+to)\s+(?:wake|rouse)\s+(?:him|her|them|me|my\s+\w+)(?:\s+up)?",
        r"(?:can'?t|cannot|couldn'?t|unable\s+to)\s+(?:stay|keep\s+(?:him|her|them|myself))\s+awake",
        r"(?:can'?t|cannot|can\s+barely|can\s+hardly)\s+keep\s+(?:my|his|her|their)\s+eyes\s+open",
        r"(?:won'?t|wouldn'?t|will\s+not|doesn'?t|does\s+not)\s+wake(?:\s+up)?|not\s+waking(?:\s+up)?",
        r"(?:keeps?|kept)\s+(?:falling\s+asleep|dozing\s+off|nodding\s+off)",
        r"(?:sleeping|sleeps|slept)\s+all\s+(?:day|the\s+time)",
        r"unresponsive|not\s+responding(?!\s+to\s+(?:texts?|messages?|calls?|the\s+phone))",
        (r"muy\s+(?:dormid[oa]|somnolient[oa]|adormilad[oa]|aletargad[oa])|somnolient[oa]|somnolencia|"
        r"aletargad[oa]|(?:tengo|tiene)\s+mucho\s+sueno"),
        r"no\s+(?:se\s+)?(?:lo\s+|la\s+)?(?:puedo|puede|podemos|pudimos|logro|logramos)\s+despertar(?:lo|la|se|me)?",
        r"no\s+se\s+despierta|no\s+despierta|(?:le|me|nos)\s+cuesta\s+(?:mucho\s+)?despertar(?:lo|la|se|me)?",
        r"no\s+(?:se\s+)?(?:puede|puedo)\s+mantener(?:se|me)?\s+despiert[oa]|se\s+queda\s+dormid[oa]",
        (r"duerme\s+todo\s+el\s+(?:dia|tiempo)|no\s+responde(?!\s+(?:a\s+)?(?:los|mis|sus|el|al)\s+"
        r"(?:mensajes?|textos?|telefono|celular|llamadas?))"),
    ],
    # expressive or receptive language trouble (aphasia): slurred speech, cannot find or say words,
    # does not understand what is said ("talking nonsense" stays `confusion`)
    "speech_difficulty": [
        r"slurr(?:ed|ing)(?:\s+(?:his|her|my|their)?\s*(?:speech|words))?|aphasia|aphasic|garbled\s+speech",
        r"speech\s+(?:is\s+|was\s+|sounds?\s+|seems?\s+)?(?:slurred|garbled|slow|strange|weird|funny|off|different|wrong)",
        (r"(?:can'?t|cannot|couldn'?t|unable\s+to|hard\s+to|trouble|difficulty|struggling\s+to|struggles\s+to)\s+"
        r"(?:find|finding|get|getting|say|saying)\s+(?:the\s+|his\s+|her\s+|my\s+|their\s+)?(?:right\s+)?words(?:\s+out)?"),
        r"words\s+(?:are\s+|were\s+|come\s+|came\s+|coming\s+)?(?:out\s+)?(?:wrong|jumbled|mixed\s+up|garbled)",
        (r"(?:can'?t|cannot|couldn'?t|unable\s+to|hard\s+to|trouble|difficulty|struggling\s+to)\s+"
        r"(?:speak|speaking|talk|talking)(?!\s+(?:right\s+)?now|\s+(?:to|on|at|long|much|with)\b)"),
        (r"(?:doesn'?t|does\s+not|didn'?t|can'?t|cannot)\s+understand\s+(?:me|us|what\s+(?:i|we|you|people)\s+"
        r"(?:say|said|am\s+saying|are\s+saying)|anything|(?:simple\s+)?(?:questions|words))"),
        (r"habla\s+(?:muy\s+)?(?:arrastrad[oa]|arrastrando|enredad[oa]|trabad[oa]|rar[oa]|chistoso|mocha)|"
        r"arrastra\s+(?:las\s+palabras|la\s+lengua)|(?:se\s+le|se\s+me)\s+traba\s+la\s+lengua|lengua\s+trabada"),
        r"no\s+(?:le|me)\s+salen\s+las\s+palabras|no\s+(?:encuentra|encuentro)\s+(?:las\s+)?palabras",
        (r"(?:no|apenas)\s+(?:puede|puedo|pudo|pude)\s+hablar(?!\s+(?:ahora|ahorita|por\s+telefono|con\b))|"
        r"(?:le|me)\s+cuesta\s+(?:mucho\s+)?hablar|dificultad\s+para\s+hablar|afasia"),
        (r"no\s+(?:entiende|entendia)\s+(?:lo\s+que\s+(?:le\s+)?(?:digo|decimos|dicen|hablamos)|nada|las\s+preguntas)|"
        r"no\s+se\s+le\s+entiende"),
    ],
    # dysgraphia, the ICE score's writing item: handwriting changed, or cannot write
    "writing_difficulty": [
        (r"handwriting\s+(?:is\s+|has\s+|looks\s+|seems\s+|got\s+|became\s+|went\s+|is\s+all\s+)?(?:really\s+|very\s+)?"
        r"(?:changed|different|messy|shaky|weird|strange|off|bad|worse|wrong|illegible|unreadable|sloppy|scribbles?)"),
        r"(?:change|changes)\s+(?:in|to)\s+(?:his|her|my|their)\s+handwriting|dysgraphia",
        (r"(?:can'?t|cannot|couldn'?t|unable\s+to|hard\s+to|trouble|difficulty|struggling\s+to|struggles\s+to)\s+"
        r"(?:write|writing)(?!\s+(?:back|you|to|texts?|messages?|more|much|long|it\s+down|down|a\s+(?:text|message)|now)\b)"),
        (r"(?:la\s+)?letra\s+(?:le\s+|me\s+|se\s+le\s+|se\s+me\s+)?(?:cambio|sale\s+(?:rara|mal|fea|chueca)|"
        r"esta\s+(?:rara|diferente|fea|temblorosa)|es\s+diferente|se\s+ve\s+(?:rara|diferente))"),
        (r"(?:no|apenas)\s+(?:puede|puedo|pudo|pude)\s+escribir(?!\s+(?:mas|mensajes?|textos?|le|les|te|ahora)\b)|"
        r"(?:le|me)\s+cuesta\s+(?:mucho\s+)?escribir|dificultad\s+para\s+escribir|escribe\s+(?:muy\s+)?(?:raro|mal|diferente)"),
    ],
    # new tremor; shaking hands that come with chills are the chills (see _SHAKING_HANDS)
    "tremor": [
        r"tremors?|tremulous|tremoring|temblor(?:es)?\s+(?:en|de)\s+(?:las\s+|la\s+|sus\s+|mis\s+)?manos?|temblor\s+fino",
    ],
    "seizure": [
        (r"seizures?|seizing|seized(?!\s+up)|convuls(?:ion|ions|ing|ed|es|e)|epileptic\s+(?:fit|attack|episode)s?|"
        r"grand\s+mal"),
        r"(?:had|having|has|have|is\s+having|was\s+having)\s+(?:a\s+|another\s+)?fits?",
        (r"convulsion(?:es)?|convulsiono|convulsionando|convulsiona|crisis\s+convulsivas?|"
        r"ataques?\s+(?:epileptic[oa]s?|de\s+epilepsia)"),
    ],
    # loss of consciousness; "about to faint" and "feel faint" stay dizziness, "almost fainted" orthostatic
    "syncope": [
        r"(?<!almost\s)(?<!nearly\s)(?:fainted|faints|fainting|passed\s+out|passes\s+out|blacked\s+out|blacks\s+out)",
        r"(?<!to\s)(?<!gonna\s)(?<!almost\s)(?<!nearly\s)(?:pass|black)\s+out(?!\s+of\b)",
        r"(?:keeps?|kept)\s+(?:fainting|passing\s+out|blacking\s+out)|fainting\s+(?:spells?|episodes?)",
        r"los(?:t|es|ing)\s+consciousness|went\s+unconscious|was\s+unconscious|knocked\s+out",
        r"(?<!casi\sme\s)(?<!casi\sse\s)(?<!que\sme\s)desmay(?:o|os|e|ad[oa])|perd(?:i|io)\s+el\s+(?:conocimiento|sentido)",
    ],
}
# Shaking hands are chills when the text reports chills too ("chills, hands shaking"): rigors shake.
_SHAKING_HANDS = [
    (r"(?:hands?|arms?)\s+(?:are\s+|is\s+|keep\s+|keeps\s+|have\s+been\s+|started\s+|won'?t\s+stop\s+)?"
    r"(?:shaking|trembling|shaky|shake|tremble|twitching|jerking)"),
    r"(?:shaking|trembling|shaky|twitchy)\s+(?:hands?|arms?)",
    r"(?:me|le|les)\s+tiembla(?:n)?\s+(?:las\s+|la\s+)?manos?|manos?\s+temblorosas?|(?:las\s+)?manos\s+(?:le\s+|me\s+)?tiemblan",
]
_SHAKING_HANDS_RE = re.compile(rf"\b(?:{'|'.join(_SHAKING_HANDS)})\b")

# Signs that stand for a measurement the patient cannot make. Breathing fast or struggling to breathe
# joins `shortness_of_breath` (already urgent as the bedside sign of hypoxia); blue or grey lips or
# fingertips are `cyanosis`.
_BEDSIDE_PATTERNS = {
    "shortness_of_breath": [
        r"(?:breathing|breathes|breath)\s+(?:really\s+|very\s+|so\s+|too\s+)?(?:fast|quick(?:ly)?|rapid(?:ly)?|heavy|heavily|hard)",
        r"(?:rapid|fast|quick|labou?red|heavy)\s+breathing|panting|gasping(?:\s+for\s+(?:air|breath))?",
        r"respira(?:r|ndo)?\s+(?:muy\s+)?(?:rapido|rapidito|agitad[oa]|fuerte)|respiracion\s+(?:rapida|agitada)|jadea(?:ndo)?",
        r"(?:le|nos)\s+cuesta\s+respirar|no\s+(?:puede|pudo)\s+respirar|lucha\s+por\s+respirar|boqueando",
    ],
    "cyanosis": [
        r"cyanosis|cyanotic|(?:blue|bluish|grey|gray|purple|dusky)\s+(?:lips|fingers|fingertips|fingernails|nails|face|mouth)",
        (r"(?:lips|fingers|fingertips|fingernails|nails|face|mouth|skin)\s+(?:are\s+|is\s+|look\s+|looks\s+|looking\s+|"
        r"turned\s+|turning\s+|going\s+|went\s+|gone\s+|seem\s+|seems\s+|got\s+|getting\s+)?(?:kind\s+of\s+|a\s+bit\s+|"
        r"a\s+little\s+|very\s+|really\s+)?(?:blue|bluish|grey|gray|greyish|grayish|purple|purplish|dusky)"),
        r"turn(?:ed|ing|s)?\s+blue|going\s+blue",
        (r"cianosis|(?:labios|dedos|unas|boca|cara)\s+(?:(?:se\s+)?(?:le\s+|me\s+)?(?:estan|se\s+ven|pusieron|ponen|"
        r"se\s+pusieron|se\s+estan\s+poniendo)\s+)?(?:morad[oa]s?|moradit[oa]s|azul(?:es)?|azulad[oa]s?|gris(?:es)?|grisace[oa]s?)"),
    ],
}
# A change of behaviour someone else notices is how caregivers describe confusion; not knowing the
# date, the place or people (disorientation, ICE's orientation items) is confusion too.
_BEHAVIOUR_CHANGE = [
    r"not\s+(?:acting|behaving|being)\s+(?:like\s+)?(?:him|her|them|my)sel(?:f|ves)|(?:isn'?t|is\s+not)\s+(?:him|her)self",
    (r"(?:acting|behaving)\s+(?:very\s+|really\s+|so\s+|kind\s+of\s+)?(?:strange(?:ly)?|weird(?:ly)?|odd(?:ly)?|funny|"
    r"different(?:ly)?|bizarre|off|out\s+of\s+character|not\s+right|confused)"),
    (r"(?:keeps?|kept)\s+(?:on\s+)?(?:repeating|asking)\s+(?:him|her|them)sel(?:f|ves)|repeating\s+(?:him|her|them)sel(?:f|ves)|"
    r"(?:keeps?|kept)\s+(?:repeating|asking)\s+(?:the\s+same|the\s+same\s+(?:thing|question)s?)|"
    r"asks?\s+the\s+same\s+(?:thing|question)s?\s+(?:over\s+and\s+over|again\s+and\s+again)"),
    r"(?:doesn'?t|does\s+not|didn'?t|can'?t|don'?t)\s+(?:know|remember)\s+(?:what\s+)?(?:the\s+|today'?s\s+)?(?:date|day|year|month)",
    (r"(?:doesn'?t|does\s+not|didn'?t)\s+know\s+(?:his|her|their)\s+(?:own\s+)?name|"
    r"(?:doesn'?t|does\s+not|didn'?t)\s+know\s+who\s+(?:i|we|you)\s+(?:am|are)"),
    (r"no\s+(?:es|esta|parece)\s+(?:el|la)\s+mism[oa]|(?:actua|esta\s+actuando|se\s+comporta|se\s+esta\s+comportando|anda)\s+"
    r"(?:muy\s+)?(?:rar[oa]|extran[oa]|diferente)"),
    (r"repite\s+(?:y\s+repite\s+)?(?:lo\s+mismo|las\s+mismas\s+cosas|las\s+cosas|todo)|pregunta\s+lo\s+mismo|"
    r"no\s+sabe\s+(?:la\s+fecha|el\s+dia|en\s+que\s+(?:ano|mes|dia)|su\s+nombre|quien\s+soy|quienes\s+somos)|"
    r"no\s+se\s+ubica|desubicad[oa]"),
]


# About to faint, said with a modal ("I might pass out"): dizziness, like "going to pass out" above.
_NEAR_FAINT = [r"(?:might|could|will|may|would|'ll)\s+(?:pass|black)\s+out"]


def _merged_patterns() -> dict[str, str]:
    merged = dict(_SYMPTOM_PATTERNS)
    merged["dizziness"] += "|" + "|".join(_NEAR_FAINT)
    merged["confusion"] += "|" + "|".join(_BEHAVIOUR_CHANGE)
    for code, patterns in _BEDSIDE_PATTERNS.items():
        merged[code] = (merged[code] + "|" if code in merged else "") + "|".join(patterns)
    for code, patterns in _NEURO_PATTERNS.items():
        merged[code] = "|".join(patterns)
    merged["tremor"] += "|" + "|".join(_SHAKING_HANDS)
    return merged


_SYMPTOM_RES = {code: re.compile(rf"\b(?:{pattern})\b") for code, pattern in _merged_patterns().items()}
# Where one sign's words hold another's, the longer phrase is what was meant: "hands shaking" is a
# tremor, not chills; "almost fainting" is dizziness, not a faint; "keeps passing out" is a faint;
# "keeps falling asleep" is drowsiness, not "keeps falling".
_NESTED = (frozenset({"chills", "tremor"}), frozenset({"dizziness", "syncope"}), frozenset({"weakness", "somnolence"}))
_ANY_SYMPTOM = re.compile("|".join(f"(?:{r.pattern})" for r in _SYMPTOM_RES.values()))
_STANDING = re.compile(
    r"\b(?:when\s+i\s+(?:stand|get\s+up|sit\s+up)|standing(?:\s+up)?|stand(?:ing)?\s+up|stood\s+up|"
    r"getting\s+up|got\s+up|get\s+up|on\s+standing|upon\s+standing|"
    r"al\s+(?:levantarme|pararme|ponerme\s+de\s+pie)|cuando\s+me\s+(?:levanto|paro|pongo\s+de\s+pie)|de\s+pie)\b")
_NEGATORS = (r"no|not|don'?t|dont|didn'?t|doesn'?t|isn'?t|aren'?t|wasn'?t|haven'?t|hasn'?t|never|without|"
             r"denies|deny|denied|none|sin|nunca|ni|ningun|ninguna|nada\s+de|no\s+more|no\s+longer|ya\s+no|"
             r"free\s+of|nor|tampoco|zero|cero|niega|niego|negative\s+for|negativo\s+para")
_NEGATOR = re.compile(rf"\b(?:{_NEGATORS})\b")
# Negators that open a list: "denies confusion, weakness, dizziness", "No: dizziness, confusion".
_LIST_NEGATOR = re.compile(r"denies|deny|denied|niega|niego|negative\s+for|negativo\s+para")
_CHAIN_WORDS = _words("""
i im i'm am feel feeling felt have having had any a an the me siento sentido tengo estoy he more
longer real really at all signs sign of de el la los las un una muy too very so that much
symptom symptoms sintomas get getting got experiencing noticed issues problems with con fever
fiebre temperature temp temperatura or nor ni o u / , sym been estado ningun ninguna nada
anymore mas se hay siente sientes sentia noto nota ha han tenido tiene tenia presenta esta anda
ando being for complaints calentura
""")
_OR_WORDS = {"or", "nor", "ni", "o", "u", "/"}
# What a negation governs: a symptom, or fever. A negation stops at the first thing it governs
# unless "or"/"nor"/"ni" (or a list) joins the next: "no fever dizzy" reports dizziness.
_GOVERNED = {"sym", "fever", "fiebre", "temperature", "temp", "temperatura", "calentura"}
_CLAUSE_BREAK = re.compile(r"[.;!?\n]|\b(?:but|pero|though|although|however|aunque|sino|just|only|solo|"
                           r"still|todavia|and|y|e)\b")
_POSTFIX_NO = re.compile(
    r"^\s*[:=?-]?\s*(?:no|none|nope|negative|neg|nada|ninguno|ninguna|denied)\b\s*(?:[,.;!]|$)|"
    r"^\s*[:=-]\s*n\b\s*(?:[,.;!]|$)")
# "the dizziness is gone", "dizziness went away", "el mareo ya se me quito"; not "went away when I
# sat down" (it was there) nor "goes away" (it comes and goes).
_RESOLVED = re.compile(
    r"^\s*(?:(?:is|are|has|have|had|was)\s+)?(?:(?:been|now|all|completely|totally|finally)\s+)*"
    r"(?:gone(?:\s+away)?|went\s+away|resolved|stopped|disappeared)\b"
    r"(?!\s*(?:when|after|once|if|while|as\s+soon|until|for\s+a|but|then))|"
    r"^\s*(?:(?:ya|se|me|le|nos|ha)\s+)*(?:quito|fue|paso|desaparecio|quitado|ido|pasado)\b"
    r"(?!\s*(?:cuando|al|despues|un\s+rato|pero))")
_NEVER_SO = re.compile(r"\b(?:so|this|that|such|as|tan|tanto|asi)\b")


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
_NOT_ABOUT_THE_BODY = re.compile(
    r"\bweak\s+(?:wifi|wi\s*fi|signal|battery|connection|internet|reception|service|coffee|tea|joke|password)\b"
    r"|\bconfus(?:ed|ing)\s+(?:about|by|with|over)\s+(?:the\s+|your\s+|this\s+|these\s+|my\s+|all\s+)?"
    r"(?:instructions?|messages?|texts?|questions?|app|form|website|schedule|directions|doses?|dosing|times?|bill|"
    r"appointments?|links?)\b"
    r"|\b(?:instructions?|messages?|texts?|questions?|app|form|website|schedule|directions)\s+(?:is|are|was|were)\s+"
    r"(?:a\s+(?:bit|little)\s+|very\s+|so\s+|kind\s+of\s+|kinda\s+)?confusing\b"
    r"|\bconfusing\s+(?:instructions?|messages?|texts?|questions?|app|form|directions)\b"
    r"|\bconfundid[oa]s?\s+con\s+(?:las?\s+|el\s+|los\s+)?(?:instrucciones|mensajes?|preguntas?|horarios?|dosis)\b"
    r"|\b(?:instrucciones|mensajes|preguntas)\s+(?:son|estan)\s+(?:un\s+poco\s+|muy\s+)?confus[ao]s\b")


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


def _extract_symptoms(text: str) -> tuple[frozenset[str], frozenset[str]]:
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


# ---------------------------------------------------------------------------------------------


# Said, not read: "no fever", "temp normal" (`no_fever_claim`); "thanks", "I feel fine"
# (`acknowledgement`). Neither is a reading: the patient is still asked for one.
_NO_FEVER = re.compile(
    r"\b(?:(?:no|not\s+any|without|sin|zero|no\s+more|no\s+longer\s+(?:have|has|having)(?:\s+a|\s+any)?|"
    r"(?:don'?t|dont|do\s+not|doesn'?t|does\s+not|didn'?t|did\s+not)\s+have(?:\s+a|\s+any)?|"
    r"(?:ya\s+)?no\s+(?:tengo|tiene|tuve|tuvo|hay|he\s+tenido|ha\s+tenido)(?:\s+(?:mas|nada\s+de))?|nada\s+de)\s+"
    r"(?:fever|fevers|fiebre|calentura|temperatura)(?!\s*(?:reducers?|medicines?|medications?|meds?|pills?|"
    r"medicinas?|medicamentos?|pastillas?|para\b|\?))|"
    r"not\s+(?:feverish|febrile)|afebrile|fever\s*-?\s*free|"
    r"(?:the\s+|my\s+|la\s+)?(?:fever|fiebre|calentura)\s+(?:is\s+|has\s+|se\s+(?:me\s+)?|ya\s+(?:se\s+(?:me\s+)?)?)?"
    r"(?:(?:all\s+)?gone|went\s+away|broke|resolved|fue|quito|paso)|"
    r"(?:temp|temperature|temperatura)\s+(?:is\s+|was\s+|es\s+|esta\s+|fue\s+|looks\s+|seems\s+|sigue\s+)?"
    r"(?:normal|fine|good|ok|okay|bien)(?!\s*\?)|"
    r"normal\s+(?:temp|temperature)(?!\s*\?))\b")
_ACK_PHRASES = re.compile(
    r"\b(?:no\s+(?:problems?|issues?|complaints?|symptoms?|concerns?)|nothing\s+new|same\s+as\s+(?:before|yesterday)|"
    r"sin\s+(?:problemas?|sintomas|novedad(?:es)?|quejas)|nada\s+nuevo|de\s+acuerdo|got\s+it|will\s+do|"
    r"sounds\s+good|me\s+siento|me\s+encuentro)\b")
_ACK_CORE = _words("""
thanks thank thankyou thanx thx ty tysm ok okay okey okie oki okk kk k fine good great better alright
noted understood perfect cool awesome nice appreciated well gracias bien mejor vale listo perfecto
entendido genial excelente bueno claro dale
""")
_ACK_FILLER = _words("""
you u i im i'm am feel feeling feelin felt doing all is it's its it everything everythings everything's
so very much really again for the and today now still just pretty too a lot much appreciate sure your
help doctor dr doc nurse team y hoy ahora estoy esta todo muy muchas mil por favor tambien me siento
estamos seguimos sigo de la el su enfermera doctora ya
""")
_ACK_EMOJI = set("\U0001f44d\U0001f44c\U0001f64f\u2705\u2714\u263a\U0001f642\U0001f60a\U0001f600\U0001f603"
                 "\U0001f4aa\u2764\U0001f44f\U0001f917\U0001f601\U0001f604")
_EMOJI_JOINERS = set("\ufe0f\ufe0e\u200d") | {chr(c) for c in range(0x1F3FB, 0x1F400)}  # skin tones


def _acknowledgement(original: str, text: str) -> bool:
    """The whole text is thanks, ok or a "fine" ("thanks", "👍", "I feel fine", "estoy bien", "all
    good, no fever"): nothing else in it, no number, and no word we do not know for one."""
    symbols = [ch for ch in original if not ch.isspace() and unicodedata.category(ch)[0] in "SC"
               and ch not in _EMOJI_JOINERS and ch not in "\u00b0"]
    if any(ch not in _ACK_EMOJI for ch in symbols if not ch.isascii()):
        return False  # "lol 😂", "🤒": not a thank-you
    rest = _ACK_PHRASES.sub(" ack ", _NO_FEVER.sub(" ", text))
    tokens = re.findall(r"[a-z0-9']+", rest)
    if any(t not in _ACK_CORE and t not in _ACK_FILLER and t != "ack" for t in tokens):
        return False
    return any(t in _ACK_CORE or t == "ack" for t in tokens) or any(ch in _ACK_EMOJI for ch in symbols)


def parse(body: str | None, now: datetime | None = None) -> Parsed:
    """Read one text. Never raises; a body with nothing usable gives `needs_clarification`.

    >>> parse("temp 100.9 bp 92/60 o2 95").spo2
    95
    """
    original = body or ""
    text = _normalise(original)
    language = _language_hint(original)
    command = _command(text)
    if command is not None:
        name, arg, note = command
        # An ACK with words after it is a nurse's note, unless the words carry a reading, a symptom
        # or a medicine ("ack, I'm dizzy" from a patient is read as what it says).
        if not note or not _read(note, language, now).understood:
            return Parsed(command=name, command_arg=arg, language_hint=language)
    parsed = _read(text, language, now)
    no_fever = (bool(_NO_FEVER.search(text)) and parsed.temperature_c is None
                and "temperature" not in parsed.implausible)
    nothing_read = not (parsed.understood or parsed.implausible)
    acknowledgement = nothing_read and _acknowledgement(original, text)
    if no_fever or acknowledgement:
        parsed = replace(parsed, no_fever_claim=no_fever, acknowledgement=acknowledgement)
    if parsed.temperature_c is not None and guessed_decimal(original):
        parsed = replace(parsed, temperature_guessed=True)
    return parsed


def _read(text: str, language: str | None, now: datetime | None) -> Parsed:
    """Read a normalised text that is not a command."""
    work = _Work(text)
    times = _extract_times(work, now)
    vitals = _extract_vitals(work)
    medications = _extract_medications(work, times)
    _drop_counts(work)
    temperature = _extract_temperature(work)
    symptoms, denied = _extract_symptoms(text)
    implausible = vitals.pop("implausible") + temperature.pop("implausible", [])
    return Parsed(
        **vitals,
        **temperature,
        symptoms=symptoms,
        denied_symptoms=denied,
        medications=tuple(medications),
        implausible=tuple(dict.fromkeys(implausible)),
        language_hint=language,
    )


_STAFF_ACK = re.compile(r"^\W*(?:ack(?:nowledged?)?|ok\s+ack)(?:\b|(?=\d))\W*#?\s*(\d{1,9})?", re.IGNORECASE)


_STAFF_ACK_ALL = re.compile(r"^\W*(?:ack(?:nowledged?)?|ok\s+ack)\W+(?:all|todas?|todos)\b", re.IGNORECASE)


def staff_ack(body: str | None) -> tuple[bool, int | None]:
    """A text from a staff phone that starts with ACK acknowledges, whatever note follows
    ("ACK 12 pt dizzy, calling"): staff do not report readings, so no words after it are read as one.
    Returns (is_ack, alert id or None)."""
    match = _STAFF_ACK.match(body or "")
    if not match:
        return False, None
    if match.group(1) and re.match(r"[a-z]", (body or "")[match.end():match.end() + 1], re.IGNORECASE):
        return False, None  # "ACK 1O" (a letter O): a mistyped id must not acknowledge alert 1 or the newest
    return True, int(match.group(1)) if match.group(1) else None


def staff_ack_all(body: str | None) -> bool:
    """`ACK ALL` (any case; "ack todas" too): every open alert that phone may acknowledge."""
    return bool(_STAFF_ACK_ALL.match(body or ""))
