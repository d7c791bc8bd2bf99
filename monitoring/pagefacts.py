"""What a nurse's page says, read from the store: the values behind each reason, the patient's words,
what the patient was told, and the callback number (issue 12; rendered by messages.page).

Read at each page, so a re-page or a call says the same as the first page and a page never carries a
fact the store does not hold.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from itertools import chain
from typing import Any

from messages.concern import concern
from messages.page import FEVER_REASONS, FREE_TEXT_REASONS, PageFacts
from messages.parse import parse
from messages.texts import format_phone
from monitoring.clinic import Clinic
from monitoring.rows import Alert
from monitoring.store import dumps, from_text, loads, patient_by_id, to_text
from triage.model import ESCALATION_SYMPTOMS, LEVELS

# Reasons a reading raised: the page's time is the reading's; for the others (missed check-ins, STOP)
# the time is when the alert was raised.
READING_REASONS = frozenset({*FEVER_REASONS, "hypotension", "hypoxia", "prolonged_symptoms", *ESCALATION_SYMPTOMS})
FIELDS = ("temperature_c", "systolic", "diastolic", "spo2", "heart_rate")
# The reading field each valued reason is shown with (messages.page.reason_phrases).
VALUE_REASONS = {"temperature_c": frozenset(FEVER_REASONS), "systolic": frozenset({"hypotension"}),
                 "spo2": frozenset({"hypoxia"})}


def record_told(clinic: Clinic, alert_id: int, level: str, told: tuple[str, ...],
                next_dose_at: datetime | None, *, kept: str | None) -> None:
    """Keep what the patient was told with the alert (inside the caller's transaction): the replies'
    template keys (messages.texts) and the acetaminophen time. A calmer answer does not replace a more urgent one given
    while the alert is active (a text with both a red flag and 'call me' is told the red flag's answer).
    `kept`: the alert's `told` column as the caller read it in this transaction (None for an alert just opened),
    so it is not read again."""
    if not told:
        return
    current = loads(kept, None) if kept else None
    if current and LEVELS.index(current["level"]) > LEVELS.index(level):
        return
    clinic.db.execute("UPDATE alerts SET told = ? WHERE id = ?", [dumps(
        {"level": level, "keys": list(told), "next_dose_at": to_text(next_dose_at) if next_dose_at else None}),
        alert_id])


def facts(clinic: Clinic, alert: Alert, reasons: list[str]) -> tuple[PageFacts, datetime | None]:
    """The page's facts for `alert` and `reasons` (reason keys): the values behind each reason (degrees
    Celsius, mmHg, %, per minute), the patient's own words and who wrote them, what the patient was told, the
    callback number (issue 12); with the time of the reading behind them (None when no reading raised them).
    The values, words and writer are those of the text that raised the alert (`alert.message_id`), else the
    newest reading and text read."""
    db = clinic.db
    patient = patient_by_id(db, alert.patient_id)
    assert patient is not None  # alerts.patient_id is a foreign key
    where, params = ("episode_id = ?", [alert.episode_id]) if alert.episode_id else (
        "patient_id = ?", [alert.patient_id])
    # The text that raised the alert (monitoring.inbound passes its id down): the page reads the texts' readings as
    # they were when it arrived, its own the newest, not one sent since, which is another text's when the tick reads
    # an older text after a newer one. Readings no text brought (the app, a device) are all read: an app's taken_at
    # may be up to five minutes ahead of ours (app_api.FUTURE_ALLOWANCE, a phone's clock). Without a text (the tick,
    # the app, a device), the newest.
    raised_by = db.execute("SELECT body, created_at FROM messages WHERE id = ?",
                           [alert.message_id]).fetchone() if alert.message_id else None
    if raised_by is not None:
        where, params = f"{where} AND (message_id IS NULL OR taken_at <= ?)", [*params, raised_by["created_at"]]
    values: dict[str, Any] = {}
    by_device: set[str] = set()  # the fields whose value shown with a reason a device measured
    taken_at: datetime | None = None
    latest = db.execute(f"SELECT * FROM readings WHERE {where} ORDER BY taken_at DESC, id DESC LIMIT 1",
                        params).fetchone()
    if latest is not None:
        values = {field: latest[field] for field in FIELDS}
        taken_at = from_text(latest["taken_at"])
        # Each reason shows the value of the reading triage judged it by (its assessment names the reason), not the
        # newest reading's: low blood pressure at 84/50, then a text with low oxygen and a pressure of 118/76, pages
        # "low blood pressure 84/50", never "low blood pressure 118/76". The last such reading triaged, whichever text
        # or device sent it: oxygen 88 pages, then a text with 82 (the same reason, not paged again) makes the
        # re-page and the call say 82%, not the raising text's 88; a text the tick reads late names its reason by its
        # own value (it is triaged last). Else the newest reading with the value.
        for field, codes in VALUE_REASONS.items():
            wanted = codes & set(reasons)
            if not wanted:
                continue
            marks = ", ".join("?" for _ in wanted)
            judged = db.execute(
                "SELECT r.* FROM assessments a JOIN readings r ON r.id = a.reading_id WHERE a.patient_id = ? "
                f"AND a.assessed_at >= ? AND r.{field} IS NOT NULL "
                f"AND EXISTS (SELECT 1 FROM json_each(a.reasons) WHERE value IN ({marks})) "
                "ORDER BY a.id DESC LIMIT 1",
                [alert.patient_id, alert.created_at, *sorted(wanted)]).fetchone()
            if judged is None and values[field] is None:
                judged = db.execute(
                    f"SELECT * FROM readings WHERE {where} AND {field} IS NOT NULL ORDER BY taken_at DESC, id DESC "
                    "LIMIT 1", params).fetchone()
            shown = judged if judged is not None else latest
            if judged is not None:
                values[field] = judged[field]
                if field == "systolic":
                    values["diastolic"] = judged["diastolic"]
            if shown["source"] == "device" and values[field] is not None:
                by_device.add(field)
    earlier_when = now_c = None
    if VALUE_REASONS["temperature_c"] & set(reasons) and values.get("temperature_c") is not None \
            and values["temperature_c"] < clinic.thresholds.fever_c:
        earlier_when, now_c, shown_c = _fever_said_earlier(clinic, alert, values["temperature_c"])
        values["temperature_c"] = shown_c
    spo2_said = systolic_said = None
    if {"hypoxia", "hypotension"} & set(reasons) and raised_by is not None:
        # "o2 in the high 80s" is stored as 87, the decade's worst: the page says the words, not a number never sent
        said = parse(raised_by["body"])
        spo2_said = said.spo2_said if said.spo2 is not None and said.spo2 == values.get("spo2") else None
        systolic_said = said.systolic_said if said.systolic is not None and said.systolic == values.get("systolic") \
            else None
    words = None
    if set(reasons) & set(FREE_TEXT_REASONS):
        # the text that raised the alert, else the newest text read so far that asked for a person (a reading sent
        # since must not stand in for the words; a text stored after the one being processed is not read yet:
        # monitoring.inbound.process marks each text processed as its transaction starts)
        read_so_far = db.execute("SELECT body FROM messages WHERE patient_id = ? AND direction = 'in' "
                                 "AND processed_at IS NOT NULL ORDER BY id DESC LIMIT 20", [alert.patient_id])
        for said in chain([raised_by] if raised_by is not None else [], read_so_far):
            if concern(said["body"]):
                words = said["body"]
                break
    told = loads(alert.told, None) if alert.told else None
    next_dose = from_text(told["next_dose_at"]) if told and told.get("next_dose_at") else None
    floor = clinic.thresholds.spo2_floor
    if patient.baseline_spo2 is not None:  # triage.rules.spo2_floor: min(clinic floor, own baseline)
        floor = min(floor, patient.baseline_spo2)
    allow_numbers = clinic.effective["escalation"]["page_callback_number"]
    # whoever wrote the text that raised the alert or this page (none when it was the patient); when the app, a
    # device or the tick raised it, the caregiver whose text raised it before, if any (a caregiver who only texted
    # a reading did not report it). Named as this alert's patient's caregiver: a phone caring for two patients has
    # a record (and a relationship) for each, and its held text is marked with the last one paged for.
    reported = alert.message_id or alert.reported_by_message_id
    reporter = db.execute(
        "SELECT c.relationship, c.phone, m.patient_id FROM messages m JOIN caregivers w ON w.id = m.caregiver_id "
        "JOIN caregivers c ON c.id = CASE WHEN w.patient_id = ? THEN w.id ELSE COALESCE((SELECT MAX(o.id) FROM "
        "caregivers o WHERE o.phone = w.phone AND o.patient_id = ?), w.id) END WHERE m.id = ?",
        [alert.patient_id, alert.patient_id, reported]).fetchone() if reported else None
    reported_by = None
    if reporter is not None:
        reported_by = f"caregiver ({reporter['relationship']})" if reporter["relationship"] else "caregiver"
        # held while its writer says whose it is, every patient they care for is paged; once she has said, the others'
        # alerts still page (a nurse closes them) and must not read as about their patient
        attributed = reporter["patient_id"]
        if attributed is None or attributed != alert.patient_id:
            cared = db.execute("SELECT COUNT(*) FROM caregivers WHERE phone = ? AND removed_at IS NULL",
                               [reporter["phone"]]).fetchone()[0]
            reported_by += f" of {cared} patients, " + (
                "not yet said which" if attributed is None else "since said it was about another")
    page = PageFacts(
        reported_by=reported_by,
        reporter_phone=format_phone(reporter["phone"]) if reporter and allow_numbers else None,
        reasons=tuple(reasons), **values, spo2_said=spo2_said, systolic_said=systolic_said, baseline_systolic=patient.baseline_systolic, spo2_floor=floor,
        words=words, told=tuple(told["keys"]) if told else (), by_device=frozenset(by_device),
        fever_earlier_when=earlier_when, temperature_now_c=now_c,
        next_dose_time=clinic.local(next_dose).strftime("%-I:%M %p") if next_dose else None,
        callback=format_phone(patient.phone) if clinic.effective["escalation"]["page_callback_number"]
        else None)
    if taken_at is None or READING_REASONS & set(reasons):
        return page, taken_at
    # The page is timed by the alert (a plea, silence, STOP), not by this reading: a reading from another minute
    # than the alert's says when it was read, so the nurse never takes a morning's fever for the 3 a.m. plea's.
    local, raised = clinic.local(taken_at), clinic.local(from_text(alert.created_at))
    if local.strftime("%a %-I:%M %p") != raised.strftime("%a %-I:%M %p"):
        page = replace(page, values_at=_clock_beside(local, raised))
    return page, None


def _clock_beside(local: datetime, raised: datetime) -> str:
    """`local` (the clinic's time) as the page shows it beside the alert raised at `raised`: its clock time, and its
    weekday too when it was another day ("Mon 5:00 PM"), so the nurse never reads yesterday's as today's."""
    return local.strftime("%-I:%M %p" if local.date() == raised.date() else "%a %-I:%M %p")


def _fever_said_earlier(clinic: Clinic, alert: Alert, shown_c: float) -> tuple[str | None, float | None, float]:
    """A fever reason shown with a normal temperature: the fever was one a text gave as earlier than its current
    temperature ("temp 101 at 2pm, now 99": monitoring.care stores it with `said_earlier`). Returns when it was (the
    clinic's clock when the text gave a time, else the words, '' for none), the temperature now, and the earlier
    fever to show; (None, None, `shown_c`) when no such fever is found (the page stays as it was)."""
    row = clinic.db.execute(
        "SELECT r.temperature_c, r.taken_at, r.said_earlier, r.earlier_timed FROM readings r "
        "WHERE r.patient_id = ? AND r.said_earlier IS NOT NULL AND r.temperature_c >= ? AND r.created_at >= ? "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
        [alert.patient_id, clinic.thresholds.fever_c, alert.created_at]).fetchone()
    if row is None:
        return None, None, shown_c
    # a time the text gave: the clinic's clock, with its day when not the alert's ("101 at 5pm" texted at 4 PM was
    # yesterday's 5 PM; shown bare, it read as a time after the text)
    when = _clock_beside(clinic.local(from_text(row["taken_at"])), clinic.local(from_text(alert.created_at))) \
        if row["earlier_timed"] else row["said_earlier"]
    return when, shown_c, row["temperature_c"]
