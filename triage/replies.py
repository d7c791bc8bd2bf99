"""Which texts a patient (or their caregiver) gets: template keys (messages/templates), in the order sent.

One pure place for the choice (issue 14), table-tested in tests/test_reply_keys.py: triage's own instruction
keys (`instructions`, `acetaminophen_instruction`), what a text reply carries of them (`texted_instructions`),
the replies to one text (`reply_keys`), the caregiver's daily neuro check (`neuro_check_keys`), a device
reading's advice (`device_keys`) and the wording for the phone that reads a reply (`for_reader`). No Flask, no database, no clock: what the text said and what
the store knows come in as plain values (`Said`, `DoseAnswer`, `State`); `monitoring` renders the keys, with
the times each `Reply` names, and sends them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .model import Assessment
from .reasons import combine

# The fever advice a text reply carries beside the first instruction while the nurse is paged for review.
FEVER_ADVICE = ("reply_fever_home_care", "reply_fever_wait")
# SOP 5, Grade 1 Home: "Patients should recontact the clinic urgently or present to ED if blood pressure
# goes < 10 mm Hg below baseline AND < 90 mm Hg systolic, new orthostatic symptoms, weakness, confusion,
# dizziness, or new hypoxia (< 90%)". The first fever advice of an episode carries this safety net, with
# the clinic's phone, as a second text (the fever advice fills its two segments). An urgent reply
# already says to call now, so it does not carry it (monitoring.care adds it to the instructions).
SAFETY_NET = "reply_fever_safety_net"
# No fever now, and the fever the text gave as earlier noted ("temp 101 at lunch, now 99"): "No fever now" alone read
# as if the fever never happened, the episode's first CRS sign (SOP 4 Grading: fever >= 100.4 F / 38.0 C).
EARLIER_FEVER = "reply_fever_earlier"
# Calm replies that a "the nurse will call you" must not sit beside (they would contradict it).
CALM_REPLIES = ("reply_routine", "reply_symptoms_noted", "reply_readings_noted", EARLIER_FEVER)
# Issue 13: red flags and the end of monitoring reach the patient AND every caregiver, whoever wrote; every
# other reply answers whoever wrote. A caregiver gets its own wording where the patient's would speak to
# the wrong person.
TO_EVERYONE = ("reply_urgent_in_hours", "reply_urgent_after_hours", "episode_end")
CAREGIVER_WORDING = {"episode_end": "caregiver_episode_end", "opted_out": "caregiver_opted_out",
                     "opted_in": "caregiver_opted_in", "help": "caregiver_help",
                     # the patient's text said "Call 911 if ... you cannot breathe. Tell them you had a dose of ..."
                     "reply_urgent_after_hours": "caregiver_urgent_after_hours",
                     # "You have a fever. Take ...", "your dose", "if you feel worse": the same advice (SOP.txt line
                     # 64, Grade 1 Home) said of the patient by name, "give" for "take"
                     "reply_fever_home_care": "caregiver_fever_home_care", "reply_fever_wait": "caregiver_fever_wait",
                     "reply_routine": "caregiver_reply_routine", EARLIER_FEVER: "caregiver_fever_earlier", "reply_clinician_review": "caregiver_clinician_review",
                     "reply_reading_unsure": "caregiver_reading_unsure", "reply_unreadable": "caregiver_unreadable",
                     "reply_med_recorded": "caregiver_med_recorded", "reply_med_may_take": "caregiver_med_may_take",
                     "reply_med_too_soon": "caregiver_med_too_soon", "reply_med_daily_max": "caregiver_med_daily_max",
                     "reply_other_medicine": "caregiver_other_medicine",
                     "reply_symptoms_noted": "caregiver_symptoms_noted",
                     "reply_readings_noted": "caregiver_readings_noted", "reply_thanks": "caregiver_thanks",
                     "reply_no_fever_noted": "caregiver_no_fever_noted", "reply_still_urgent": "caregiver_still_urgent",
                     "reply_paused": "caregiver_paused", "reply_picture": "caregiver_picture",
                     # "Check-in texts are not active for you": the patient's ended, not the caregiver's
                     "already_stopped": "caregiver_already_stopped",
                     # the SOP's signs (line 64) as the caregiver's welcome gave them: "if {first_name} has ..."
                     "reply_fever_safety_net": "caregiver_signs"}
# A caregiver's wording that names no patient, for a phone caring for several whose text is not yet attributed
# (monitoring.caregiver_texts._page_unattributed): the first instruction of a page (texted_instructions) said to
# the person at the bedside. The urgent keys name no one already; the patient's "Your nurse ... will call you. If
# you feel worse" spoke to the caregiver as the patient.
UNATTRIBUTED_WORDING = {"reply_clinician_review": "caregiver_review_unattributed"}
# Sent even to a number whose replies are paused by a flood (docs/operations.md): red flags, and what
# changes the monitoring itself.
ALWAYS_REPLY = ("reply_urgent_in_hours", "reply_urgent_after_hours", "reply_still_urgent", "episode_end", "opted_out",
                "help", "monitoring_paused", "monitoring_resumed", "monitoring_ended")
COMMAND_REPLIES = {"stop": "opted_out", "start": "opted_in", "help": "help"}
ALERT_LEVELS = ("clinician_review", "urgent")  # CONTRACT 6: these open an alert to the on-call nurse


def instructions(level: str, fever_instruction: str | None, measure_again: bool,
                 urgent_key: str | None = None) -> tuple[str, ...]:
    """An assessment's instruction keys, the one the reply is rendered from first:
    urgent > clinician review > fever > measure again > routine; then the fever advice and "measure again"
    where they are not first.

    `fever_instruction`: "reply_fever_home_care" or "reply_fever_wait" on a fever (SOP 5, Grade 1 Home:
    acetaminophen when the interval and the daily maximum allow it now), else None. `measure_again`: a value
    no body shows was given (triage.ranges). `urgent_key`, needed when the level is urgent:
    hours.urgent_instruction's key for now (SOP 5, Grade 2: ED after hours).
    """
    if level == "urgent":
        if urgent_key is None:
            raise ValueError("an urgent assessment needs its urgent_key (hours.urgent_instruction)")
        first = urgent_key
    elif level == "clinician_review":
        first = "reply_clinician_review"
    elif fever_instruction:
        first = fever_instruction
    elif measure_again:
        first = "reply_measure_again"  # nothing else to say than "measure again"
    else:
        first = "reply_routine"
    keys = [first]
    for extra in (fever_instruction, "reply_measure_again" if measure_again else None):
        if extra and extra not in keys:
            keys.append(extra)
    return tuple(keys)


def acetaminophen_instruction(over_max: bool, too_soon: bool, asking: bool = False) -> str:
    """The reply to an acetaminophen dose taken or asked about (`asking`). SOP 5, Grade 1 Home: "Acetaminophen
    650-1000 mg by mouth, can repeat ... >= 6-8 h later"; DESIGN: max 4 g / 24 h. The daily maximum is named first
    when both are broken (the overdose risk). A question or a plan ("can I take tylenol?", "will take tylenol at 10")
    that both limits allow is told it may take a dose now, never "we noted your dose, do not take more yet": no
    dose was taken, and that answer withheld the SOP's dose from a patient asking for it (break-it pass)."""
    if over_max:
        return "reply_med_daily_max"
    if too_soon:
        return "reply_med_too_soon"
    return "reply_med_may_take" if asking else "reply_med_recorded"


def texted_instructions(assessment: Assessment) -> tuple[str, ...]:
    """The instruction keys a text reply carries: the first (the answer: call now, go to the ED, take
    acetaminophen ...), and, at clinician_review, the fever advice while the nurse calls. The page tells
    the nurse exactly these, so it never says the patient was told what no text said."""
    if not assessment.instructions:
        return ()
    extra = tuple(key for key in assessment.instructions[1:] if key in FEVER_ADVICE) \
        if assessment.level == "clinician_review" else ()
    return (assessment.instructions[0], *extra)


@dataclass(frozen=True)
class Said:
    """What one text said, as the parser read it (plain values: triage imports nothing of messages)."""

    command: str | None = None  # "stop", "start", "help"
    has_reading: bool = False  # a value, a symptom, a denial or an implausible value: triaged as a reading
    temperature_read: bool = False  # a temperature was read (not an implausible one)
    temperature_guessed: bool = False  # read by guessing ("100 7", or "100." that may go on in a next text)
    symptoms_said: bool = False  # a symptom or a denial ("no confusion")
    no_fever_claim: bool = False  # "no fever", with no number
    acknowledgement: bool = False  # "thanks", "ok", "estoy bien", and nothing else
    concern: str | None = None  # messages.concern's reason code ("asks_for_call", "concerning_text")
    picture: bool = False  # it came with a picture or other media (an MMS), which nothing here reads


@dataclass(frozen=True)
class DoseAnswer:
    """A medicine the text reported, and, for acetaminophen, its check (triage.assess_acetaminophen)."""

    medicine: str
    assessment: Assessment | None = None  # None for any medicine but acetaminophen
    next_checkin: datetime | None = None  # when the dose alone answered the check-in


@dataclass(frozen=True)
class State:
    """What the store knows when the replies are chosen."""

    episode: str = "active"  # "active", "ended_recently" (a red flag is still triaged), "none"
    urgent_alert_open: bool = False  # an urgent alert for the patient that no one has resolved (open or acknowledged)


@dataclass(frozen=True)
class Reply:
    """One text to send: its template key, and the assessment and check-in whose times it may name."""

    key: str
    assessment: Assessment | None = None
    next_checkin: datetime | None = None


def reply_keys(said: Said, reading: Assessment | None = None, next_checkin: datetime | None = None,
               doses: tuple[DoseAnswer, ...] = (), state: State = State()) -> tuple[Reply, ...]:
    """The replies to one text from a patient (or their caregiver, who is answered the same keys: `for_reader`
    words them), in the order sent. `reading` is the assessment of the text's reading (None when the text had
    none), `next_checkin` when the next check-in is due after it.

    - A command: its own reply (STOP "opted_out", START "opted_in", HELP "help").
    - Monitoring over: "already_stopped", unless a recent episode's red flag (the reading's alert level)
      gives its first instruction (a red flag is never dropped).
    - A reading: its first instruction, except that a routine one is never "No fever now" about a guessed
      temperature ("reply_reading_unsure") nor about a text without a temperature ("reply_symptoms_noted",
      "reply_readings_noted"); then the fever advice at clinician review, and the first fever's safety net
      (SOP 5 Grade 1 Home, `SAFETY_NET`) unless an urgent alert already waits.
    - Each medicine: another medicine "reply_other_medicine"; acetaminophen its check's instruction (with a
      reading, only when the check found a reason: the reading's reply answers the check-in).
    - A worrying text (`said.concern`): "reply_clinician_review" first unless an urgent or review reply is
      there, and the calm replies dropped.
    - Nothing else to say: small talk ("reply_no_fever_noted", "reply_thanks", "reply_picture" for a picture
      alone, "reply_unreadable"); else,
      with an urgent alert waiting and no urgent reply here, "reply_still_urgent" last (a calm reply must
      not read as an all-clear).
    """
    if said.command in COMMAND_REPLIES:
        return (Reply(COMMAND_REPLIES[said.command]),)
    if state.episode != "active":
        if state.episode == "ended_recently" and reading is not None and reading.level in ALERT_LEVELS:
            return (Reply(reading.instructions[0]),)
        return (Reply("already_stopped"),)
    replies: list[Reply] = []
    if reading is not None:
        replies.append(Reply(_reading_key(said, reading), reading, next_checkin))
        replies += [Reply(key, reading, next_checkin) for key in texted_instructions(reading)[1:]]
        if SAFETY_NET in reading.instructions[1:] and not state.urgent_alert_open:
            replies.append(Reply(SAFETY_NET, reading, next_checkin))
    for dose in _one_acetaminophen_answer(doses):
        if dose.assessment is None:  # a medicine other than acetaminophen: recorded, the plan is acetaminophen
            replies.append(Reply("reply_other_medicine"))
        elif not said.has_reading or dose.assessment.reasons:
            replies.append(Reply(dose.assessment.instructions[0], dose.assessment, dose.next_checkin))
    if said.concern and not any(r.key.startswith(("reply_urgent", "reply_clinician")) for r in replies):
        # "please call me", "chest pain", "I fell": the nurse will call, which a calm "noted" would contradict
        replies = [Reply("reply_clinician_review")] + [r for r in replies if r.key not in CALM_REPLIES]
    if not replies:
        return (Reply(_small_talk_key(said)),)
    if state.urgent_alert_open and not any(r.key.startswith("reply_urgent") for r in replies):
        replies.append(Reply("reply_still_urgent"))
    return tuple(replies)


# The acetaminophen answers, least severe first (acetaminophen_instruction names the daily maximum before too soon).
_DOSE_ANSWER_ORDER = ("reply_med_may_take", "reply_med_recorded", "reply_med_too_soon", "reply_med_daily_max")


def _one_acetaminophen_answer(doses: tuple[DoseAnswer, ...]) -> tuple[DoseAnswer, ...]:
    """One answer for a text's acetaminophen doses ("took tylenol at 4am and again at 10"), in the first one's place:
    their checks combined (`triage.reasons.combine`: every reason, the most severe level), the last one's first, since
    it counts every dose of the text before it (so its next allowed time is the text's), answered with the most
    severe instruction any of them got. Two answers told one patient "You can take more at 10:05 AM" and then "at
    4:00 PM" (SOP 5 Grade 1 Home: repeat >= 6-8 h later)."""
    checked = [dose for dose in doses if dose.assessment is not None and dose.assessment.instructions]
    if len(checked) < 2:
        return doses
    merged = combine(*(dose.assessment for dose in reversed(checked) if dose.assessment is not None))
    key = max(merged.instructions, key=lambda k: _DOSE_ANSWER_ORDER.index(k) if k in _DOSE_ANSWER_ORDER else -1)
    one = replace(checked[-1], assessment=replace(merged, instructions=(key,)))
    first = checked[0]
    return tuple(one if dose is first else dose for dose in doses if dose is first or dose not in checked)


def _reading_key(said: Said, reading: Assessment) -> str:
    key = reading.instructions[0] if reading.instructions else "reply_routine"
    if key == "reply_routine" and said.temperature_guessed:
        return "reply_reading_unsure"  # never "No fever now" about a reading we had to guess at (issue 14)
    if key == "reply_routine" and not said.temperature_read:
        # "No fever now" only when a temperature said so
        return "reply_symptoms_noted" if said.symptoms_said else "reply_readings_noted"
    return key


def _small_talk_key(said: Said) -> str:
    """Nothing clinical was read: ask for the number after "no fever", thank a polite text, else say so."""
    if said.no_fever_claim:
        return "reply_no_fever_noted"
    if said.acknowledgement:
        return "reply_thanks"
    # a photo of the thermometer from a cheap phone: say we read only typed words, not "could not read that"
    return "reply_picture" if said.picture else "reply_unreadable"


def neuro_check_keys(answer: Assessment, more_in_text: bool) -> tuple[str, ...]:
    """The reply to a caregiver's answer to the daily neuro check (triage.neuro_check): "changed" gets its
    urgent instruction (SOP 4 Workup: neurotoxicity); "normal" is thanked, unless the text also carries a
    reading, whose own reply then answers it."""
    if answer.level == "routine" and more_in_text:
        return ()
    return answer.instructions[:1]


def device_keys(assessment: Assessment, last_advice: str | None, news: bool) -> tuple[str, ...]:
    """What a patient is texted about a device reading (no conversation to answer: monitoring.device_readings).
    A routine reading is never texted; otherwise its first instruction (the SOP advice), when it is news
    (`news`: no advice told yet this episode, or new advice, a higher level, or the same advice an
    acetaminophen interval ago), and at clinician review the fever advice not told last, as a text reply."""
    if assessment.level == "routine" or not assessment.instructions or not news:
        return ()
    extra = tuple(key for key in assessment.instructions[1:] if key in FEVER_ADVICE and key != last_advice) \
        if assessment.level == "clinician_review" else ()
    return (assessment.instructions[0], *extra)


def for_reader(key: str, *, caregiver: bool = False, replies_paused: bool = False, patient_known: bool = True) -> str:
    """The key as sent to one phone: "reply_paused" instead of anything not in ALWAYS_REPLY while the phone's
    replies are paused by a flood; a caregiver's own wording (CAREGIVER_WORDING) where the patient's would
    speak to the wrong person, and, while which patient a caregiver's text is about is not known
    (`patient_known` False), the one that names no patient (UNATTRIBUTED_WORDING)."""
    if replies_paused and key not in ALWAYS_REPLY:
        return "reply_paused"
    if not caregiver:
        return key
    if not patient_known and key in UNATTRIBUTED_WORDING:
        return UNATTRIBUTED_WORDING[key]
    return CAREGIVER_WORDING.get(key, key)


def everyone_reads(key: str) -> bool:
    """True when the reply goes to the patient and every caregiver, whoever wrote (TO_EVERYONE)."""
    return key in TO_EVERYONE
