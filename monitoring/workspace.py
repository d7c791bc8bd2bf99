"""The alert page as the nurse's workspace (issue 12): what raised the alert and what came before, what the
patient said and was told, and who was reached how, each with its outcome. Read-only."""
from __future__ import annotations

from typing import Any

from messages.page import TOLD, fahrenheit
from messages.texts import format_phone
from monitoring.clinic import Clinic
from monitoring.store import from_text, loads

READINGS_SHOWN = 6
TEXTS_SHOWN = 5


def alert_workspace(clinic: Clinic, alert_id: int, patient_id: int) -> dict[str, Any]:
    """{"readings": newest first, the first being the one that raised or last updated the alert,
    "texts": the patient's last texts, "told": what the patient was told (phrases) and "replies" (the texts
    sent), "contacts": every page and call for the alert with who, how, when, status and outcome,
    "callback": the patient's number for tap-to-call}."""
    db = clinic.db
    alert = db.execute("SELECT * FROM alerts WHERE id = ?", [alert_id]).fetchone()
    patient = db.execute("SELECT * FROM patients WHERE id = ?", [patient_id]).fetchone()
    where, params = ("episode_id = ?", [alert["episode_id"]]) if alert["episode_id"] else ("patient_id = ?", [patient_id])
    readings = []
    for row in db.execute(f"SELECT * FROM readings WHERE {where} ORDER BY taken_at DESC, id DESC LIMIT ?",
                          params + [READINGS_SHOWN]):
        readings.append({
            "at": from_text(row["taken_at"]), "temperature_c": row["temperature_c"],
            "temperature_f": fahrenheit(row["temperature_c"]) if row["temperature_c"] is not None else None,
            "febrile": row["temperature_c"] is not None and row["temperature_c"] >= clinic.thresholds.fever_c,
            "systolic": row["systolic"], "diastolic": row["diastolic"], "spo2": row["spo2"],
            "heart_rate": row["heart_rate"], "symptoms": loads(row["symptoms"], []), "source": row["source"]})
    texts = [{"at": from_text(row["created_at"]), "body": row["body"]} for row in db.execute(
        "SELECT body, created_at FROM messages WHERE patient_id = ? AND direction = 'in' ORDER BY id DESC LIMIT ?",
        [patient_id, TEXTS_SHOWN])]
    told = loads(alert["told"], None) if alert["told"] else None
    next_dose = from_text(told["next_dose_at"]) if told and told.get("next_dose_at") else None
    phrases = []
    for key in (told or {}).get("keys", []):
        phrase = TOLD.get(key)
        if phrase and ("{next_dose_time}" not in phrase or next_dose):
            phrase = phrase.format(next_dose_time=clinic.local(next_dose).strftime("%-I:%M %p") if next_dose else "")
            if phrase not in phrases:
                phrases.append(phrase)
    replies = [{"at": from_text(row["created_at"]), "body": row["body"], "status": row["status"]} for row in db.execute(
        "SELECT body, created_at, status FROM messages WHERE patient_id = ? AND direction = 'out' AND kind = 'reply' "
        "AND created_at >= ? ORDER BY id DESC LIMIT 3", [patient_id, alert["created_at"]])]
    names = {person["phone"]: person["name"] for person in clinic.effective["oncall"]}
    names.update({row["phone"]: row["name"] for row in db.execute("SELECT name, phone FROM staff WHERE phone IS NOT NULL")})
    contacts = [{"at": from_text(row["created_at"]), "who": names.get(row["to_number"], f"...{row['to_number'][-4:]}"),
                 "how": "call" if row["kind"] == "call" else "text", "status": row["status"], "outcome": row["outcome"]}
                for row in db.execute("SELECT * FROM messages WHERE alert_id = ? AND direction = 'out' "
                                      "AND kind IN ('alert', 'call') ORDER BY id", [alert_id])]
    return {"readings": readings, "texts": texts, "told": phrases, "replies": replies, "contacts": contacts,
            "callback": patient["phone"], "callback_shown": format_phone(patient["phone"])}
