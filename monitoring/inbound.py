"""A text arrives: keep it first, then understand it and act.

`receive_sms` commits the inbound row before anything else, so a failure later on loses nothing:
the row stays unprocessed and `process_pending` (run by every tick) tries it again.
"""
from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from messages.concern import concern
from messages.parse import Parsed, open_decimal, parse, staff_ack, staff_ack_all
from messages.texts import render
from monitoring import alerts, care, caregiver_texts, patients
from monitoring.clinic import Clinic
from monitoring.outbox import queue_text
from monitoring.rows import Episode, Patient
from monitoring.staff import staff_by_phone
from monitoring.store import active_episode, from_text, patient_by_id, to_text, transaction, utcnow
from triage import replies

log = logging.getLogger("crswatch.inbound")

MAX_PROCESSING_ATTEMPTS = 3
# A number sending more than this many texts a minute (a stuck phone, a robot, abuse) has the rest
# stored at once but processed by the scheduler, PENDING_PER_SENDER a pass: never lost, and never
# crowding out the other patients' texts.
INBOUND_BURST = 30
PENDING_PER_SENDER = 10
UNKNOWN_SENDER_QUIET = timedelta(hours=24)  # one generic reply a day, so two robots never ping-pong


@dataclass
class Received:
    """What receive_sms did: the stored inbound row's id (None for a duplicate MessageSid), and whether it was one."""

    message_id: int | None
    duplicate: bool


@dataclass(frozen=True)
class _Known:
    """What receive_sms read in its transaction, for process to use instead of reading it again (issue 19),
    valid while no other connection has committed since (`data_version`, SQLite's PRAGMA data_version)."""

    message: sqlite3.Row
    own: Patient | None
    cared: list | None  # None: not looked up (the phone is a patient's own)
    data_version: int


@dataclass(frozen=True)
class _Ahead:
    """A text parsed before its transaction takes the write lock (issue 19): parse is pure (the body and the
    local time it arrived), and every text's work under the lock holds up every other worker's text. Used
    only for that same body and arrival time (a lone digit completing the text before it is parsed inside)."""

    body: str
    created_at: str
    parsed: Parsed


def _parse_ahead(clinic: Clinic, message: sqlite3.Row) -> _Ahead | None:
    body = message["body"]
    if body is None or _LONE_DIGIT.match(body):
        return None
    return _Ahead(body, message["created_at"], parse(body, clinic.local(from_text(message["created_at"]))))


def _data_version(clinic: Clinic) -> int:
    """Changes when another connection commits (never for this connection's own commits)."""
    return int(clinic.db.conn.execute("PRAGMA data_version").fetchone()[0])


def receive_sms(clinic: Clinic, *, sender: str, to: str, body: str, sid: str) -> Received:
    """Store an inbound text (idempotent on Twilio's MessageSid), then process it."""
    now = to_text(utcnow())
    try:
        with transaction(clinic.db):
            if clinic.db.execute("SELECT 1 FROM messages WHERE sid = ?", [sid]).fetchone():
                return Received(None, True)
            # the patient with an active episode on this phone, else the newest patient with it; else the one
            # patient this phone is a caregiver for (None when it cares for several: caregiver_texts asks which)
            own = _own_patient(clinic, sender)
            cared = caregiver_texts.cared_for(clinic, sender) if own is None else None
            patient = own if own is not None else (cared[0][0] if cared is not None and len(cared) == 1 else None)
            recent = clinic.db.execute(
                "SELECT COUNT(*) FROM messages WHERE direction = 'in' AND from_number = ? AND created_at >= ?",
                [sender, to_text(utcnow() - timedelta(minutes=1))]).fetchone()[0]
            deferred = recent >= INBOUND_BURST
            message = clinic.db.conn.execute(  # the stored row as it is, defaults too, without reading it back
                "INSERT INTO messages (direction, to_number, from_number, body, kind, patient_id, status, sid, "
                "created_at, updated_at) VALUES ('in', ?, ?, ?, 'reply', ?, ?, ?, ?, ?) RETURNING *",
                [to, sender, body, patient.id if patient else None, "deferred" if deferred else "received",
                 sid, now, now]).fetchall()[0]  # read to the end: no statement left open at COMMIT
            message_id = message["id"]
            # read while this transaction holds the write lock, so no other commit can fall in between
            known = _Known(message, own, cared, _data_version(clinic))
    except sqlite3.IntegrityError:  # the same MessageSid raced in on another worker
        return Received(None, True)
    if deferred and not _may_be_red_flag(clinic, body):
        log.warning("inbound message %s deferred: its number sent %s texts in a minute", message_id, recent)
        return Received(message_id, False)
    try:
        process(clinic, message_id, known)
    except Exception:
        log.exception("inbound message %s kept but not processed; the next tick retries it", message_id)
        _note_failure(clinic, message_id)
    return Received(message_id, False)


def _may_be_red_flag(clinic: Clinic, body: str) -> bool:
    """The cheap read a flooded text gets on arrival: a symptom, a plea for help, a low pressure or
    saturation, or a fever means it is triaged and paged now, flood or not; only the rest waits."""
    try:
        parsed = parse(body, clinic.local(utcnow()))
    except Exception:  # the parser never raises on any text (a property test); if it ever does, act now
        log.exception("parse failed on a flooded text; processing it at once")
        return True
    floors = clinic.thresholds
    return bool(
        (parsed.symptoms - parsed.denied_symptoms) or concern(body)
        or (parsed.spo2 is not None and parsed.spo2 < floors.spo2_floor)
        or (parsed.systolic is not None and parsed.systolic < floors.systolic_floor)
        or (parsed.temperature_c is not None and parsed.temperature_c >= floors.fever_c))


def _own_patient(clinic: Clinic, phone: str) -> Patient | None:
    return patients.patient_for_phone(clinic, phone)


def _note_failure(clinic: Clinic, message_id: int) -> None:
    with transaction(clinic.db):
        clinic.db.execute("UPDATE messages SET attempts = attempts + 1, updated_at = ? WHERE id = ?",
                          [to_text(utcnow()), message_id])
        row = clinic.db.execute("SELECT attempts, patient_id FROM messages WHERE id = ?", [message_id]).fetchone()
        if row["attempts"] >= MAX_PROCESSING_ATTEMPTS:
            clinic.db.execute("UPDATE messages SET status = 'error', processed_at = ? WHERE id = ?",
                              [to_text(utcnow()), message_id])
            if row["patient_id"]:  # a person must read what the machine could not
                alerts.raise_alert(clinic, row["patient_id"], "clinician_review", ["unprocessed_message"])


def process_pending(clinic: Clinic, settle_seconds: int = 30) -> int:
    """Texts left unprocessed: deferred by a flood from their number, or interrupted by a crash or a bug.
    Each number gets at most PENDING_PER_SENDER a pass, so one flood is worked off without crowding out
    anyone else."""
    cutoff = to_text(utcnow() - timedelta(seconds=settle_seconds))
    rows = clinic.db.execute(
        "SELECT id, from_number, status FROM messages WHERE direction = 'in' AND processed_at IS NULL "
        "AND (created_at <= ? OR status = 'deferred') ORDER BY id", [cutoff]).fetchall()
    per_sender: dict[str, int] = {}
    chosen = []
    for row in rows:
        per_sender[row["from_number"]] = per_sender.get(row["from_number"], 0) + 1
        if per_sender[row["from_number"]] <= PENDING_PER_SENDER:
            chosen.append(row)
    for row in chosen:
        try:
            process(clinic, row["id"])
        except Exception:
            log.exception("inbound message %s failed again", row["id"])
            _note_failure(clinic, row["id"])
    return len(chosen)


def process(clinic: Clinic, message_id: int, known: _Known | None = None) -> None:
    """Understand a stored text and act on it, in one transaction. `known`: what receive_sms read as it
    stored the text, used when no other connection has committed since (else everything is read again); its
    text is parsed before the write lock is taken."""
    ahead = _parse_ahead(clinic, known.message) if known is not None and known.message["id"] == message_id else None
    with transaction(clinic.db):
        if known is not None and known.message["id"] == message_id and _data_version(clinic) == known.data_version:
            message = known.message
        else:
            known = None
            message = clinic.db.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone()
        if message is None or message["processed_at"]:
            return
        sender = message["from_number"]
        is_ack = staff_ack(message["body"])[0]
        staff_command = is_ack and staff_by_phone(clinic, sender) is not None
        # An ACK from a staff or on-call phone is the nurse's, even where that phone is also a patient's
        # (enrolled before enrollment refused staff phones): the escalation must be stoppable by text.
        patient = None if staff_command else (known.own if known else _own_patient(clinic, sender))
        cared = [] if patient is not None else (
            known.cared if known and known.cared is not None else caregiver_texts.cared_for(clinic, sender))
        staff = staff_by_phone(clinic, sender) if patient is None else None
        if staff is not None and cared and not is_ack:
            staff = None  # a nurse who is also someone's caregiver: ACK is the nurse's, the rest the caregiver's
        if patient is not None:
            _from_patient(clinic, patient, message, ahead)
        elif cared and staff is None:  # a caregiver: their own commands and the neuro check here, the rest as the patient's text
            routed = caregiver_texts.route(clinic, cared, message, from_text(message["created_at"]))  # when it arrived
            if routed is not None:
                _from_patient(clinic, routed.patient, routed.message, ahead)
        elif staff is not None:
            _from_staff(clinic, staff, message)
        else:
            _from_stranger(clinic, sender)
        clinic.db.execute("UPDATE messages SET processed_at = ?, status = 'processed' WHERE id = ?",
                          [to_text(utcnow()), message_id])


def _from_stranger(clinic: Clinic, sender: str) -> None:
    since = to_text(utcnow() - UNKNOWN_SENDER_QUIET)
    recent = clinic.db.execute(
        "SELECT 1 FROM messages WHERE direction = 'out' AND to_number = ? AND kind = 'info' AND patient_id IS NULL "
        "AND created_at >= ?", [sender, since]).fetchone()
    if recent:
        return
    values = care.text_values(clinic)
    queue_text(clinic, sender, render("unknown_sender", "en", **values), "info")


def _from_staff(clinic: Clinic, staff: dict, message) -> None:
    is_ack, alert_id = staff_ack(message["body"])
    if not is_ack:
        queue_text(clinic, staff["phone"], render("staff_unreadable", "en"), "info", staff_id=staff["id"])
        return
    alerts.acknowledge_by_text(clinic, staff["phone"], staff["name"], alert_id, every=staff_ack_all(message["body"]))


def _from_patient(clinic: Clinic, patient, message, ahead: _Ahead | None = None) -> None:
    # When the text arrived, not when it is processed (a retry after a crash, or a deferred text):
    # readings and doses are timed by the patient's clock, and "30 min ago" counts from there.
    now = from_text(message["created_at"])
    body = _completed(clinic, message, now) or message["body"]
    parsed = (ahead.parsed if ahead is not None and ahead.body == body and ahead.created_at == message["created_at"]
              else parse(body, clinic.local(now)))
    said = _said(parsed, message["body"])
    episode = active_episode(clinic.db, patient.id)
    if parsed.command == "stop":
        _opt_out(clinic, patient, episode)
        return
    if parsed.command == "start":
        clinic.db.execute("UPDATE patients SET opted_out_at = NULL WHERE id = ?", [patient.id])
        clinic.audit("patient", "patient.opt_in", f"patient:{patient.id}")
        patient = patient_by_id(clinic.db, patient.id)
    if parsed.command in ("start", "help"):
        _send(clinic, patient, replies.reply_keys(said))
        return
    if episode is None:
        _after_monitoring(clinic, patient, parsed, said, message, now)
        return
    # Doses first: "took tylenol, temp 101" must not be answered "take acetaminophen now".
    doses = []
    dose_checks = []  # with a reading, the doses' assessments join the reading's: one text, one assessment
    for report in parsed.medications:
        answer, check = _medication(clinic, patient, episode, report, message, now, answered=said.has_reading)
        doses.append(answer)
        dose_checks += [check] if check else []
    assessment = next_checkin = None
    if said.has_reading:
        assessment, next_checkin = care.record_reading(
            clinic, patient, episode, _reading_values(parsed), taken_at=now, source="sms", message_id=message["id"],
            with_doses=tuple(dose_checks))
    if said.concern:
        # "please call me", "chest pain", "I fell": a person must read it, whatever else the text says.
        alerts.raise_alert(clinic, patient.id, "clinician_review", [said.concern], episode_id=episode.id,
                           told=("reply_clinician_review",))
        answered = said.has_reading or any(report.name == "acetaminophen" for report in parsed.medications)
        if not answered:  # a reading or an acetaminophen report in this text answered the check-in already
            care.answer_checkin(clinic, patient, episode)
    state = replies.State(urgent_alert_open=_urgent_alert_waiting(clinic, patient))
    _send(clinic, patient, replies.reply_keys(said, assessment, next_checkin, tuple(doses), state))


# A temperature that ends the text with a decimal point ("Temp 100.", "temperatura 37,"): the patient may have
# sent the text before the digit after the point. SOP 4 Grading puts fever at >= 100.4 F (38.0 C), so "100."
# may be a fever or not: it is read as guessed (issue 14, fault 2), never answered "No fever now"; its lower
# bound is triaged (at or above the fever line, a fever whatever follows). A lone digit from the same phone
# within SPLIT_WINDOW, right after it, completes it ("7": 100.7) and is triaged as that reading.
_LONE_DIGIT = re.compile(r"^\s*(\d)\s*$")
SPLIT_WINDOW = timedelta(minutes=5)


def _completed(clinic: Clinic, message, now) -> str | None:
    """A lone digit that completes the temperature the same phone's text just before it left open at its
    decimal point, as one text ("temp 100.7"); None otherwise. `now`: when this text arrived."""
    digit = _LONE_DIGIT.match(message["body"] or "")
    if digit is None:
        return None
    previous = clinic.db.execute(
        "SELECT body, created_at FROM messages WHERE direction = 'in' AND from_number = ? AND id < ? "
        "ORDER BY id DESC LIMIT 1", [message["from_number"], message["id"]]).fetchone()
    if previous is None or from_text(previous["created_at"]) < now - SPLIT_WINDOW:
        return None
    whole = open_decimal(previous["body"], parse(previous["body"], clinic.local(now)).temperature_raw)
    return None if whole is None else f"temp {whole}.{digit.group(1)}"


def _said(parsed, body: str) -> replies.Said:
    """What triage.replies needs of a parsed text, as plain values."""
    return replies.Said(
        command=parsed.command, has_reading=_has_reading(parsed), temperature_read=parsed.temperature_c is not None,
        temperature_guessed=parsed.temperature_guessed,
        symptoms_said=bool(parsed.symptoms or parsed.denied_symptoms),
        no_fever_claim=parsed.no_fever_claim, acknowledgement=parsed.acknowledgement, concern=concern(body))


def _send(clinic: Clinic, patient, chosen: tuple[replies.Reply, ...]) -> None:
    """Render and queue the chosen replies, each with the times its assessment and check-in name."""
    for reply in chosen:
        values = care.text_values(clinic, reply.assessment, reply.next_checkin, patient.language)
        care.reply_to_patient(clinic, patient, reply.key, values)


def _urgent_alert_waiting(clinic: Clinic, patient) -> bool:
    """An urgent alert for this patient that no one has acknowledged yet."""
    return clinic.db.execute(
        "SELECT 1 FROM alerts WHERE patient_id = ? AND status = 'open' AND level = 'urgent'", [patient.id]
    ).fetchone() is not None


# Not in the SOP: CRS after a step-up dose usually starts within days, and a patient may text the
# number they know for a week or two after monitoring; two weeks covers the next step-up's interval.
RECENTLY_ENDED = timedelta(days=14)


def _has_reading(parsed) -> bool:
    return any(getattr(parsed, field) is not None for field in care.VITALS) or bool(
        parsed.symptoms or parsed.denied_symptoms or parsed.implausible)


def _medication(clinic: Clinic, patient, episode, report, message, now,
                answered: bool) -> tuple[replies.DoseAnswer, tuple | None]:
    """Acetaminophen is checked against the interval and the daily total; any other medicine is
    recorded for the nurse (an antipyretic masks fever) and the patient is pointed to the plan.

    Returns the answer for triage.replies, and, when the text also carries a reading (`answered`), the
    acetaminophen check (assessment, medication id) for the reading's assessment to take in; otherwise the
    check is stored here on its own."""
    if report.name != "acetaminophen":
        if not report.asking:  # a question or a plan about a medicine is not a dose taken
            care.record_dose(clinic, patient, episode, report.name, given_at=report.taken_at or now,
                             dose_mg=report.dose_mg, source="sms", message_id=message["id"])
        return replies.DoseAnswer(report.name), None
    if not answered:
        assessment = care.patient_acetaminophen(
            clinic, patient, episode, given_at=report.taken_at or now, dose_mg=report.dose_mg,
            asking=report.asking, source="sms", message_id=message["id"])
        next_checkin = care.answer_checkin(clinic, patient, episode)
        return replies.DoseAnswer(report.name, assessment, next_checkin), None
    check = care.check_acetaminophen(
        clinic, patient, episode, given_at=report.taken_at or now, dose_mg=report.dose_mg,
        asking=report.asking, source="sms", message_id=message["id"])
    return replies.DoseAnswer(report.name, check[0]), check


def _after_monitoring(clinic: Clinic, patient, parsed, said: replies.Said, message, now) -> None:
    """Monitoring is over, but a red flag from a recent patient is never dropped: it is triaged against
    the last episode and pages the nurse; anything else gets the 'not active' reply."""
    recent = Episode.maybe(clinic.db.execute(
        "SELECT * FROM episodes WHERE patient_id = ? AND status = 'ended' AND ended_at >= ? ORDER BY id DESC LIMIT 1",
        [patient.id, to_text(now - RECENTLY_ENDED)]).fetchone())
    assessment = None
    if recent is not None and said.has_reading:
        assessment, _ = care.record_reading(clinic, patient, recent, _reading_values(parsed), taken_at=now,
                                            source="sms", message_id=message["id"])
    state = replies.State(episode="none" if recent is None else "ended_recently")
    _send(clinic, patient, replies.reply_keys(said, assessment, state=state))


# The parser names what it could not believe by what the patient wrote; triage by reading field.
IMPLAUSIBLE_FIELDS = {"temperature": "temperature_c", "blood_pressure": "systolic", "spo2": "spo2",
                      "heart_rate": "heart_rate"}


def _reading_values(parsed) -> dict:
    given = re.search(r"\d+(?:[.,]\d+)?", parsed.temperature_raw or "")
    return {
        **{field: getattr(parsed, field) for field in care.VITALS},
        "temperature_unit": parsed.temperature_unit,
        "temperature_given": float(given.group(0).replace(",", ".")) if given else None,
        "symptoms": parsed.symptoms, "denied_symptoms": parsed.denied_symptoms,
        "implausible": {IMPLAUSIBLE_FIELDS.get(name, name) for name in parsed.implausible},
    }


def _opt_out(clinic: Clinic, patient, episode) -> None:
    """STOP is honoured (Twilio blocks further texts) and the nurse is told: the patient is no longer watched."""
    clinic.db.execute("UPDATE patients SET opted_out_at = ? WHERE id = ?", [to_text(utcnow()), patient.id])
    clinic.audit("patient", "patient.opt_out", f"patient:{patient.id}")
    if episode is not None:
        alerts.raise_alert(clinic, patient.id, "clinician_review", ["opted_out"], episode_id=episode.id)
    if clinic.config["sms"]["backend"] == "outbox":  # Twilio answers STOP itself and would refuse ours
        key = replies.reply_keys(replies.Said(command="stop"))[0].key
        queue_text(clinic, patient.phone, _render(patient, key, care.text_values(clinic)), "reply",
                   patient_id=patient.id)


def _render(patient, key: str, values: dict) -> str:
    return render(key, patient.language, **values)

