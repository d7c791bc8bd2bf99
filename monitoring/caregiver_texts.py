"""Texts from a caregiver's phone: which patient they are about, the caregiver's own STOP/START/HELP, and
the answer to the daily neuro check. Everything else goes on to the patient's own pipeline
(inbound._from_patient), marked with the caregiver as its writer, so it is triaged exactly like the
patient's text, answers the open check-in, and its replies reach the right phones (care.reply_to_patient).

A phone may care for more than one patient (issue 13) only where each text can be attributed: a text
that starts with one patient's initials or first name is that patient's; any other is held, and the
caregiver is asked which patient by initials; a next text holding only the initials releases the held
one. Each function runs inside the caller's transaction.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import triage
from messages.concern import concern
from messages.parse import Parsed, parse
from messages.texts import SEND_FIRST, render
from monitoring import alerts, care, neuro_checks
from monitoring.clinic import Clinic
from monitoring.outbox import queue_text
from monitoring.rows import Patient
from monitoring.store import active_episode, from_text, patient_by_id, to_text
from triage import replies
from triage.model import History, Reading
from triage.ranges import trusted

# An earlier text held while we asked which patient it was about is released by initials this long after.
HOLD_FOR = timedelta(hours=2)
# The word between the initials in caregiver_which_patient, in the caregiver's language (English otherwise).
OR_WORD = {"en": "or", "es": "o"}


Cared = list[tuple[Patient, sqlite3.Row]]  # (patient, the phone's caregivers row for them)
Message = sqlite3.Row | dict[str, Any]  # a messages row (SELECT *), or one with its body changed


@dataclass
class Routed:
    """What the patient's pipeline reads of a caregiver's text (inbound._from_patient)."""

    patient: care.WrittenFor  # the patient, marked with its writer (care.caregiver_as_writer)
    message: dict[str, Any]  # the text to triage: this one without the initials, or the one held before it


def cared_for(clinic: Clinic, phone: str) -> Cared:
    """[(patient, caregivers row)] this phone (E.164) is a current caregiver for: those in an active episode,
    else the newest one (so a text after monitoring still reaches the 'not active' reply); [] for none."""
    rows = clinic.db.execute(
        "SELECT c.id AS caregiver_id, c.patient_id, EXISTS (SELECT 1 FROM episodes e WHERE e.patient_id = c.patient_id "
        "AND e.status = 'active') AS active FROM caregivers c WHERE c.phone = ? AND c.removed_at IS NULL "
        "ORDER BY c.patient_id DESC", [phone]).fetchall()
    chosen = [row for row in rows if row["active"]] or rows[:1]
    cared: Cared = []
    for row in chosen:
        patient = patient_by_id(clinic.db, row["patient_id"])
        assert patient is not None  # caregivers.patient_id is a foreign key
        cared.append((patient, clinic.db.execute("SELECT * FROM caregivers WHERE id = ?",
                                                 [row["caregiver_id"]]).fetchone()))
    return cared


def route(clinic: Clinic, cared: Cared, message: sqlite3.Row, now: datetime, *,
          processed_at: datetime | None = None) -> Routed | None:
    """Handle what only a caregiver's text (`message`, its messages row; `cared` from cared_for, not empty)
    does: STOP / START / HELP, attribution to one patient, the neuro check's answer. Return what the patient's
    pipeline must still read, or None when nothing is left for it. Inside the caller's transaction. `now`: aware
    UTC from the caller's request or pass (monitoring.inbound: when the text arrived); `processed_at`: the
    processing's time, which a page raised here takes (None: `now`)."""
    parsed = parse(message["body"], clinic.local(now))
    if parsed.command in ("stop", "start", "help"):
        _command(clinic, cared, message, parsed.command, now)
        return None
    routed = (Routed(care.caregiver_as_writer(*cared[0]), dict(message)) if len(cared) == 1
              else _attribute(clinic, cared, message, parsed, now, processed_at or now))
    if routed is None:
        return None
    patient, caregiver = routed.patient, routed.patient.caregiver
    for text in {message["id"], routed.message["id"]}:
        clinic.db.execute("UPDATE messages SET patient_id = ?, caregiver_id = ? WHERE id = ?",
                          [patient.id, caregiver["id"], text])
    # as of the answer's arrival: a check missed by a tick that ran before the text was read still takes it
    arrived = from_text(routed.message["created_at"])
    check = neuro_checks.open_check(clinic, patient.id, arrived)
    if check is not None and not neuro_checks.answer(clinic, check, patient, caregiver, routed.message, arrived,
                                                     processed_at=processed_at or now):
        return None
    return routed


def _command(clinic: Clinic, cared: Cared, message: sqlite3.Row, command: str, now: datetime) -> None:
    """STOP stops this phone's caregiver texts only (every patient it cares for: Twilio blocks the number
    for all of them); the patients stay monitored and no nurse is paged. START undoes it; HELP explains."""
    patient, caregiver = cared[0]
    phone = message["from_number"]
    clinic.db.execute("UPDATE messages SET patient_id = ?, caregiver_id = ? WHERE id = ?",
                      [patient.id, caregiver["id"], message["id"]])
    if command == "stop":
        clinic.db.execute("UPDATE caregivers SET opted_out_at = ? WHERE phone = ? AND removed_at IS NULL "
                          "AND opted_out_at IS NULL", [to_text(now), phone])
        clinic.audit("caregiver", "caregiver.opt_out", f"caregiver:{caregiver['id']}", phone_of_patients=len(cared))
        if clinic.config["sms"]["backend"] != "outbox":  # Twilio answers STOP itself and would refuse ours
            return
        reader: care.Caregiver = {**dict(caregiver), "opted_out_at": None}  # this one last text says what STOP did
    elif command == "start":
        clinic.db.execute("UPDATE caregivers SET opted_out_at = NULL WHERE phone = ? AND removed_at IS NULL", [phone])
        clinic.audit("caregiver", "caregiver.opt_in", f"caregiver:{caregiver['id']}")
        reader = {**dict(caregiver), "opted_out_at": None}
    else:
        reader = caregiver
    key = {"stop": "caregiver_opted_out", "start": "caregiver_opted_in", "help": "caregiver_help"}[command]
    care.text_caregiver(clinic, reader, patient, key, care.text_values(clinic, now=now), kind="reply", now=now)


def _initials_pattern(name: str) -> str:
    letters = [char.lower() for char in alerts.initials(name) if char.isalpha()]
    return r"\.?\s*".join(letters) + r"\.?"


def _attribute(clinic: Clinic, cared: Cared, message: sqlite3.Row, parsed: Parsed, now: datetime,
               processed_at: datetime) -> Routed | None:
    """Which of several patients a text is about: its leading initials or first name, else the held text
    an initials-only text answers for, else ask (and, for a red flag, page first: _page_unattributed)."""
    body = message["body"] or ""
    matches = []
    for patient, caregiver in cared:
        name = care.first_name(patient.name).lower()
        pattern = rf"^\s*(?:{_initials_pattern(patient.name)}|{re.escape(name)})(?![a-z])[\s:,.\-]*"
        found = re.match(pattern, body, re.IGNORECASE)
        if found:
            matches.append((patient, caregiver, body[found.end():].strip()))
    if len(matches) == 1:
        patient, caregiver, rest = matches[0]
        writer = care.caregiver_as_writer(patient, caregiver)
        if rest:
            return Routed(writer, {**dict(message), "body": rest})
        held = clinic.db.execute(
            "SELECT * FROM messages WHERE direction = 'in' AND from_number = ? AND id < ? ORDER BY id DESC LIMIT 1",
            [message["from_number"], message["id"]]).fetchone()
        if held is not None and held["patient_id"] is None and held["created_at"] >= to_text(now - HOLD_FOR):
            return Routed(writer, dict(held))
        return Routed(writer, {**dict(message), "body": rest})
    caregiver = cared[0][1]
    _page_unattributed(clinic, cared, message, parsed, now, processed_at)
    word = OR_WORD.get(caregiver["language"], OR_WORD["en"])
    choices = f" {word} ".join(alerts.initials(patient.name) for patient, _ in cared)
    values = {**care.text_values(clinic, now=now), "choices": choices}
    # filed under no patient: which one it is about is the question
    queue_text(clinic, caregiver["phone"], render("caregiver_which_patient", caregiver["language"], **values), "info",
               now=now)
    return None


def _page_unattributed(clinic: Clinic, cared: Cared, message: sqlite3.Row, parsed: Parsed, arrived: datetime,
                       now: datetime) -> None:
    """A text held while its caregiver is asked which patient it is about still pages at once when it is a red flag
    or asks for a person ("she won't wake up", "o2 86", "please call me", a high-risk patient's "101 at 2pm, now 99"):
    held, it paged no one until initials came, and never if they did not (break-it pass). Red flags page the on-call
    nurse within seconds (SOP 5 Grade 1 Home: "recontact the clinic urgently or present to ED if ..."; "immediate
    in-person evaluation" for a high-risk patient's fever; SOP 4 Workup: neurotoxicity). Each patient the phone
    cares for in an active episode is triaged on the text alone (nothing is stored on their record: it may be the
    other one's) and, at an alert level, paged, naming the caregiver; the caregiver is told the most urgent answer
    before the question. The initials later release the text to the one patient's record as before. `arrived`: when
    the text arrived (its reading's time); `now`: the processing's, which the page and the reply take."""
    worry = concern(message["body"])
    reading = trusted(Reading(
        taken_at=arrived, temperature_c=parsed.temperature_c, systolic=parsed.systolic, diastolic=parsed.diastolic,
        spo2=parsed.spo2, heart_rate=parsed.heart_rate, symptoms=parsed.symptoms,
        denied_symptoms=parsed.denied_symptoms))
    earlier = care.earlier_fevers(clinic, parsed, arrived)  # "101 at 2pm, now 99": a fever all the same (SOP 4)
    answers: list[tuple[str, str]] = []  # (level, the first instruction texted)
    therapies: list[str] = []
    for patient, caregiver in cared:
        episode = active_episode(clinic.db, patient.id)
        if episode is None:
            continue
        assessment = triage.assess(clinic.thresholds, care.profile(patient, episode), History(), reading, now,
                                   clinic.hours)
        earlier_parts = care.assess_earlier_fevers(clinic, patient, episode, earlier, History(), now)
        if earlier_parts:
            assessment = triage.with_earlier_fevers(assessment, *earlier_parts)
        if assessment.level in care.ALERT_LEVELS:
            level, reasons = assessment.level, care.alert_reasons(assessment, worry)
            told = care.texted_instructions(assessment)
        elif worry:
            level, reasons, told = "clinician_review", [worry], ("reply_clinician_review",)
        else:
            continue
        # the page names the caregiver who wrote (alerts.raise_alert reads it off the text); the text stays held
        clinic.db.execute("UPDATE messages SET caregiver_id = ? WHERE id = ?", [caregiver["id"], message["id"]])
        alerts.raise_alert(clinic, patient.id, level, reasons, episode_id=episode.id, told=told,
                           message_id=message["id"], now=now)
        answers.append((level, told[0]))
        therapies += [episode.therapy] if episode.therapy and episode.therapy not in therapies else []
    if not answers:
        return
    caregiver = cared[0][1]
    if caregiver["opted_out_at"]:
        return  # Twilio refuses texts to a number that sent STOP; the nurse has the page
    key = max(answers, key=lambda answer: triage.LEVELS.index(answer[0]))[1]
    values = {**care.text_values(clinic, now=now), "therapy": f" {OR_WORD.get(caregiver['language'], 'or')} ".join(
        therapies) or "?"}
    # which patient it is about is not known yet: the caregiver's wording that names no one
    worded = replies.for_reader(key, caregiver=True, patient_known=False)
    queue_text(clinic, caregiver["phone"], render(worded, caregiver["language"], **values), "reply",
               urgent=key in SEND_FIRST, now=now)
