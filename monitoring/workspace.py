"""The alert page as the nurse's workspace (issue 12): what raised the alert and what came before, what the
patient said and was told, and who was reached how, each with its outcome. Read-only."""
from __future__ import annotations

from typing import Any

from messages.page import TOLD, fahrenheit
from messages.texts import format_phone
from monitoring.clinic import Clinic
from monitoring.rows import Alert, Message, Reading
from monitoring.store import from_text, loads, patient_by_id

READINGS_SHOWN = 6
TEXTS_SHOWN = 5


def alert_workspace(clinic: Clinic, alert_id: int, patient_id: int) -> dict[str, Any]:
    """{"readings": the last READINGS_SHOWN of the alert's episode (or of the patient), newest first, the first
    being the one that raised or last updated the alert: {"at", "temperature_c", "temperature_f", "febrile"
    (at or above the clinic's fever_c, SOP line 55), "systolic", "diastolic" (mmHg), "spo2" (%), "heart_rate",
    "symptoms", "source"}, "texts": the patient's last TEXTS_SHOWN texts in {"at", "body"}, "told": what the
    patient was told (phrases of messages.page.TOLD) and "replies" (the last 3 texts sent since the alert:
    {"at", "body", "status"}), "contacts": every page and call for the alert {"at", "who", "how" (text |
    call), "status", "outcome"}, "callback" (E.164) and "callback_shown": the patient's number for
    tap-to-call}. Times aware UTC. `patient_id` is the alert's patient (the caller reads it from the alert)."""
    db = clinic.db
    alert = Alert.from_row(db.execute("SELECT * FROM alerts WHERE id = ?", [alert_id]).fetchone())
    patient = patient_by_id(db, patient_id)
    assert patient is not None  # the alert's patient: alerts.patient_id is a foreign key
    where, params = ("episode_id = ?", [alert.episode_id]) if alert.episode_id else ("patient_id = ?", [patient_id])
    readings = []
    for reading in map(Reading.from_row, db.execute(
            f"SELECT * FROM readings WHERE {where} ORDER BY taken_at DESC, id DESC LIMIT ?",
            params + [READINGS_SHOWN])):
        readings.append({
            "at": from_text(reading.taken_at), "temperature_c": reading.temperature_c,
            "temperature_f": fahrenheit(reading.temperature_c) if reading.temperature_c is not None else None,
            "febrile": reading.temperature_c is not None and reading.temperature_c >= clinic.thresholds.fever_c,
            "systolic": reading.systolic, "diastolic": reading.diastolic, "spo2": reading.spo2,
            "heart_rate": reading.heart_rate, "symptoms": loads(reading.symptoms, []), "source": reading.source})
    texts = [{"at": from_text(message.created_at), "body": message.body, "pictures": message.media_count}  # an MMS's
             for message in map(Message.from_row, db.execute(
        "SELECT * FROM messages WHERE patient_id = ? AND direction = 'in' ORDER BY id DESC LIMIT ?",
        [patient_id, TEXTS_SHOWN]))]
    told = loads(alert.told, None) if alert.told else None
    next_dose = from_text(told["next_dose_at"]) if told and told.get("next_dose_at") else None
    phrases: list[str] = []
    for key in (told or {}).get("keys", []):
        phrase = TOLD.get(key)
        if phrase and ("{next_dose_time}" not in phrase or next_dose):
            phrase = phrase.format(next_dose_time=clinic.local(next_dose).strftime("%-I:%M %p") if next_dose else "")
            if phrase not in phrases:
                phrases.append(phrase)
    replies = [{"at": from_text(message.created_at), "body": message.body, "status": message.status}
               for message in map(Message.from_row, db.execute(
                   "SELECT * FROM messages WHERE patient_id = ? AND direction = 'out' AND kind = 'reply' "
                   "AND created_at >= ? ORDER BY id DESC LIMIT 3", [patient_id, alert.created_at]))]
    names = {person["phone"]: person["name"] for person in clinic.effective["oncall"]}
    names.update({row["phone"]: row["name"] for row in db.execute("SELECT name, phone FROM staff WHERE phone IS NOT NULL")})
    contacts = [{"at": from_text(message.created_at), "who": names.get(message.to_number, f"...{message.to_number[-4:]}"),
                 "how": "call" if message.kind == "call" else "text", "status": message.status,
                 "outcome": message.outcome}
                for message in map(Message.from_row, db.execute(
                    "SELECT * FROM messages WHERE alert_id = ? AND direction = 'out' "
                    "AND kind IN ('alert', 'call') ORDER BY id", [alert_id]))]
    return {"readings": readings, "texts": texts, "told": phrases, "replies": replies, "contacts": contacts,
            "callback": patient.phone, "callback_shown": format_phone(patient.phone)}
