"""Read-only queries for the dashboard: the open alerts, the active patients, one patient's whole timeline.

Nothing here writes or reads the clock: a caller that needs "now" passes it (aware UTC, read once per request).
Times come back as aware datetimes (UTC); the web layer shows them in clinic time. Rows of patients, episodes,
readings, alerts and messages are read as `monitoring.rows` typed rows.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from monitoring.clinic import Clinic, NotFound
from monitoring.episodes import episode_status
from monitoring.medications import refusal_of_tocilizumab
from monitoring.rows import Alert, Episode, Message, Reading
from monitoring.store import current_episode, from_text, loads, patient_by_id, to_text
from triage import tocilizumab as toci_rules

Shaped = dict[str, Any]
"""One item as the dashboard shows it: a dict of plain values, times aware UTC."""

TEMPERATURE_POINTS = 72  # a 72 h episode at hourly check-ins


def paged_by(clinic: Clinic, alert_ids: list[int]) -> dict[int, list[Shaped]]:
    """Who each alert paged: {alert id: [{"name": str, "at": datetime}]}, oldest page first, one entry per phone
    (its latest page). The name is the on-call or staff name of the phone, else "...0142" (its last four
    digits). Every id in `alert_ids` has a list (empty when it paged no one). Used by the dashboard, the
    history and the episode summary alike."""
    if not alert_ids:
        return {}
    names = {person["phone"]: person["name"] for person in clinic.oncall}
    for row in clinic.db.execute("SELECT name, phone FROM staff WHERE phone IS NOT NULL"):
        names.setdefault(row["phone"], row["name"])
    marks = ",".join("?" * len(alert_ids))
    rows = clinic.db.execute(
        f"SELECT alert_id, to_number, MAX(created_at) AS at FROM messages WHERE kind = 'alert' "
        f"AND direction = 'out' AND alert_id IN ({marks}) GROUP BY alert_id, to_number ORDER BY at", alert_ids)
    paged: dict[int, list[Shaped]] = {alert_id: [] for alert_id in alert_ids}
    for row in rows:
        phone = row["to_number"]
        paged[row["alert_id"]].append({"name": names.get(phone, f"...{phone[-4:]}"), "at": from_text(row["at"])})
    return paged


def _names_by_ending(clinic: Clinic) -> dict[str, str]:
    """On-call and staff names by the last four digits of their phone (page events store only those)."""
    names = {person["phone"][-4:]: person["name"] for person in clinic.oncall}
    for row in clinic.db.execute("SELECT name, phone FROM staff WHERE phone IS NOT NULL"):
        names.setdefault(row["phone"][-4:], row["name"])
    return names


def _named(detail: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A page event's detail with "to_names": who was paged, by name where known ("...0142" otherwise)."""
    if isinstance(detail.get("to"), list):
        detail = {**detail, "to_names": [names.get(end, f"...{end}") for end in detail["to"]]}
    return detail


def _alert(alert: Alert, patient_name: str, paged: list[Shaped]) -> Shaped:
    return {
        "id": alert.id, "patient_id": alert.patient_id, "patient_name": patient_name,
        "level": alert.level, "reasons": loads(alert.reasons, []), "status": alert.status,
        "created_at": from_text(alert.created_at), "updated_at": from_text(alert.updated_at),
        "acknowledged_at": from_text(alert.acknowledged_at), "acknowledged_by": alert.acknowledged_by,
        "resolved_at": from_text(alert.resolved_at), "resolved_by": alert.resolved_by,
        "resolution_note": alert.resolution_note, "page_round": alert.page_round, "paged": paged,
        # open but paging no one: the silence it paged for ended when the patient answered (alerts.patient_answered)
        "paging_stopped": alert.status == "open" and alert.next_page_at is None,
    }


def active_alerts(clinic: Clinic) -> dict[str, list[Shaped]]:
    """{"open": [...], "acknowledged": [...]}: open ones most urgent and oldest first (who waits longest).
    Each alert: {"id", "patient_id", "patient_name", "level", "reasons" (keys), "status", "created_at",
    "updated_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution_note",
    "page_round", "paged" (as `paged_by`), "paging_stopped" (open, but the patient answered the silence it paged
    for: alerts.patient_answered)}, times aware UTC."""
    rows = clinic.db.execute(
        "SELECT a.*, p.name AS patient_name FROM alerts a JOIN patients p ON p.id = a.patient_id "
        "WHERE a.status IN ('open', 'acknowledged') "
        "ORDER BY CASE a.level WHEN 'urgent' THEN 0 WHEN 'clinician_review' THEN 1 ELSE 2 END, a.created_at"
    ).fetchall()
    alerts = [(Alert.from_row(row), row["patient_name"]) for row in rows]
    paged = paged_by(clinic, [alert.id for alert, _ in alerts])
    shaped = [_alert(alert, name, paged[alert.id]) for alert, name in alerts]
    return {"open": [a for a in shaped if a["status"] == "open"],
            "acknowledged": [a for a in shaped if a["status"] == "acknowledged"]}


def alert_detail(clinic: Clinic, alert_id: int) -> Shaped:
    """One alert shaped as in `active_alerts`, with "events": [{"at", "kind", "actor", "detail"}] (opened,
    paged, acknowledged, resolved...) oldest first; a page's detail names who was paged ("to_names").
    NotFound (field alert_id) for no such alert."""
    row = clinic.db.execute(
        "SELECT a.*, p.name AS patient_name FROM alerts a JOIN patients p ON p.id = a.patient_id WHERE a.id = ?",
        [alert_id]).fetchone()
    if row is None:
        raise NotFound(f"no alert {alert_id}", "alert_id")
    alert = _alert(Alert.from_row(row), row["patient_name"], paged_by(clinic, [alert_id])[alert_id])
    names = _names_by_ending(clinic)
    alert["events"] = [
        {"at": from_text(event["at"]), "kind": event["kind"], "actor": event["actor"],
         "detail": _named(loads(event["detail"], {}), names)}
        for event in clinic.db.execute("SELECT * FROM alert_events WHERE alert_id = ? ORDER BY id", [alert_id])
    ]
    return alert


def temperatures(clinic: Clinic, episode_id: int, limit: int = TEMPERATURE_POINTS) -> list[tuple[datetime, float]]:
    """The episode's temperatures as (taken_at aware UTC, degrees C), oldest first (the last `limit`)."""
    readings = [Reading.from_row(row) for row in clinic.db.execute(
        "SELECT * FROM readings WHERE episode_id = ? AND temperature_c IS NOT NULL "
        "ORDER BY taken_at DESC, id DESC LIMIT ?", [episode_id, limit]).fetchall()]
    return [(from_text(reading.taken_at), reading.temperature_c) for reading in reversed(readings)
            if reading.temperature_c is not None]


def active_patients(clinic: Clinic) -> list[Shaped]:
    """Patients in an active episode, those with an open or acknowledged alert first, then by name: {"id",
    "name", "high_risk", "opted_out", "episode_id", "paused_at", "pause_reason", "pause_until", "therapy",
    "dose_given_at", "ends_at", "next_checkin_at", "waiting_since" (the open check-in's prompt), "missed",
    "last_checkin_at", "last_temperature" ((at, degrees C) or None), "temperatures" (as `temperatures`),
    "alert" ({"id", "level", "status"} of their newest active alert, or None)}."""
    rows = clinic.db.execute(
        "SELECT e.*, p.name AS patient_name, p.high_risk, p.opted_out_at, "
        "a.id AS alert_id, a.level AS alert_level, a.status AS alert_status "
        "FROM episodes e JOIN patients p ON p.id = e.patient_id "
        "LEFT JOIN alerts a ON a.id = (SELECT id FROM alerts WHERE patient_id = p.id "
        "  AND status IN ('open', 'acknowledged') ORDER BY id DESC LIMIT 1) "
        "WHERE e.status = 'active' ORDER BY a.id IS NULL, p.name").fetchall()
    patients = []
    for row in rows:
        episode = Episode.from_row(row)
        series = temperatures(clinic, episode.id)
        patients.append({
            "id": episode.patient_id, "name": row["patient_name"], "high_risk": bool(row["high_risk"]),
            "opted_out": row["opted_out_at"] is not None, "episode_id": episode.id,
            "paused_at": from_text(episode.paused_at), "pause_reason": episode.pause_reason,
            "pause_until": from_text(episode.pause_until),
            "therapy": episode.therapy, "dose_given_at": from_text(episode.dose_given_at),
            "ends_at": from_text(episode.ends_at), "next_checkin_at": from_text(episode.next_checkin_at),
            "waiting_since": from_text(episode.checkin_sent_at), "missed": episode.missed_count,
            "last_checkin_at": from_text(episode.last_answer_at),
            "last_temperature": series[-1] if series else None, "temperatures": series,
            "alert": {"id": row["alert_id"], "level": row["alert_level"], "status": row["alert_status"]}
            if row["alert_id"] else None,
        })
    return patients


def patient_summary(clinic: Clinic, patient_id: int) -> Shaped:
    """The patient page's head: {"id", "name", "phone", "language", "baseline_systolic" (mmHg),
    "baseline_spo2" (%), "high_risk", "risk_factors" (keys), "opted_out_at", "mrn", "birth_date", "episode"
    (the current episode, `store.current_episode`, or None), "temperatures" (as `temperatures`),
    "latest_assessment" ({"level", "reasons", "assessed_at"} or None)}. NotFound (patient_id) for no patient."""
    patient = patient_by_id(clinic.db, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id}", "patient_id")
    episode = current_episode(clinic.db, patient_id)
    latest = clinic.db.execute(
        "SELECT level, reasons, assessed_at FROM assessments WHERE patient_id = ? ORDER BY id DESC LIMIT 1",
        [patient_id]).fetchone()
    return {
        "id": patient.id, "name": patient.name, "phone": patient.phone, "language": patient.language,
        "baseline_systolic": patient.baseline_systolic, "baseline_spo2": patient.baseline_spo2,
        "high_risk": bool(patient.high_risk), "risk_factors": loads(patient.risk_factors, []),
        "opted_out_at": from_text(patient.opted_out_at), "mrn": patient.mrn, "birth_date": patient.birth_date,
        "episode": None if episode is None else {
            "id": episode.id, "therapy": episode.therapy, "status": episode.status,
            "dose_given_at": from_text(episode.dose_given_at), "ends_at": from_text(episode.ends_at),
            "next_checkin_at": from_text(episode.next_checkin_at),
            "last_answer_at": from_text(episode.last_answer_at), "missed": episode.missed_count,
            "monitoring": episode_status(episode.status, episode.paused_at, patient.opted_out_at),
            "paused_at": from_text(episode.paused_at),
            "pause_reason": episode.pause_reason, "pause_until": from_text(episode.pause_until),
            "ended_at": from_text(episode.ended_at), "end_reason": episode.end_reason,
            "ended_by": episode.ended_by},
        "temperatures": temperatures(clinic, episode.id) if episode else [],
        "latest_assessment": None if latest is None else {
            "level": latest["level"], "reasons": loads(latest["reasons"], []),
            "assessed_at": from_text(latest["assessed_at"])},
    }


def patient_timeline(clinic: Clinic, patient_id: int, limit: int = 500) -> list[Shaped]:
    """Everything that happened to a patient, newest first (at most `limit`): texts in and out, neuro checks,
    readings, doses, assessments, alert events, monitoring changes and grades. Each item: {"at" (aware UTC),
    "kind" (text_in | text_out | neuro_check | reading | medication | assessment | alert | grade |
    monitoring), "id", ...} with the fields its kind shows; at the same instant the text in comes first,
    then what it caused, then the reply."""
    db = clinic.db
    items: list[Shaped] = []
    for row in db.execute(
            "SELECT m.*, c.name AS caregiver_name, c.relationship FROM messages m "
            "LEFT JOIN caregivers c ON c.id = m.caregiver_id WHERE m.patient_id = ? ORDER BY m.id DESC LIMIT ?",
            [patient_id, limit]):
        message = Message.from_row(row)
        items.append({"at": from_text(message.created_at), "kind": "text_" + message.direction, "id": message.id,
                      "body": message.body, "text_kind": message.kind, "status": message.status,
                      "pictures": message.media_count,  # an MMS's: not shown here, only said
                      # who wrote or was texted, when not the patient: "Maria (caregiver, daughter)"
                      "caregiver": caregiver_label(row["caregiver_name"], row["relationship"])
                      if message.caregiver_id else None})
    for row in db.execute(
            "SELECT n.*, c.name AS caregiver_name, c.relationship FROM neuro_checks n "
            "LEFT JOIN caregivers c ON c.id = n.caregiver_id WHERE n.patient_id = ? AND n.status NOT IN "
            "('scheduled', 'cancelled') ORDER BY n.id DESC LIMIT ?", [patient_id, limit]):
        items.append({"at": from_text(row["answered_at"] or row["sent_at"]), "kind": "neuro_check", "id": row["id"],
                      "status": row["status"], "sent_at": from_text(row["sent_at"]),
                      "caregiver": caregiver_label(row["caregiver_name"], row["relationship"])
                      if row["caregiver_id"] else None})
    for row in db.execute("SELECT * FROM readings WHERE patient_id = ? ORDER BY taken_at DESC LIMIT ?",
                          [patient_id, limit]):
        reading = Reading.from_row(row)
        items.append({"at": from_text(reading.taken_at), "kind": "reading", "id": reading.id,
                      "temperature_c": reading.temperature_c, "systolic": reading.systolic,
                      "diastolic": reading.diastolic, "spo2": reading.spo2, "heart_rate": reading.heart_rate,
                      "symptoms": loads(reading.symptoms, []), "denied_symptoms": loads(reading.denied_symptoms, []),
                      "source": reading.source,
                      # a fever a text gave as earlier ("temp 101 at lunch, now 99"): its time words, and whether
                      # the text gave its time (else it is shown at the latest it can have been: the text's time)
                      "said_earlier": reading.said_earlier, "earlier_timed": bool(reading.earlier_timed)})
    for row in db.execute(
            "SELECT m.*, s.name AS staff_name FROM medications m LEFT JOIN staff s ON s.id = m.recorded_by "
            "WHERE m.patient_id = ? ORDER BY m.given_at DESC LIMIT ?", [patient_id, limit]):
        items.append({"at": from_text(row["given_at"]), "kind": "medication", "id": row["id"], "name": row["name"],
                      "dose_mg": row["dose_mg"], "weight_kg": row["weight_kg"], "source": row["source"],
                      "by": row["staff_name"]})
    for row in db.execute("SELECT * FROM assessments WHERE patient_id = ? ORDER BY id DESC LIMIT ?",
                          [patient_id, limit]):
        items.append({"at": from_text(row["assessed_at"]), "kind": "assessment", "id": row["id"],
                      "level": row["level"], "reasons": loads(row["reasons"], [])})
    names = _names_by_ending(clinic)
    for row in db.execute(
            "SELECT e.*, a.level FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.patient_id = ? "
            "ORDER BY e.id DESC LIMIT ?", [patient_id, limit]):
        items.append({"at": from_text(row["at"]), "kind": "alert", "id": row["id"], "alert_id": row["alert_id"],
                      "event": row["kind"], "actor": row["actor"], "level": row["level"],
                      "detail": _named(loads(row["detail"], {}), names)})
    items.extend(monitoring_changes(clinic, patient_id, limit))
    items.extend(_grades(clinic, patient_id, limit))
    # Newest first; at the same instant the text in comes first, then what it caused, then the reply.
    order = {"text_in": 0, "neuro_check": 1, "reading": 1, "medication": 2, "assessment": 3, "alert": 4, "grade": 5,
             "monitoring": 6, "text_out": 7}
    items.sort(key=lambda item: (item["at"], order[item["kind"]], item["id"]), reverse=True)
    return items[:limit]


def caregiver_label(name: str | None, relationship: str | None) -> str:
    """How the timeline and the nurse name a caregiver: 'Maria Example (caregiver, daughter)'."""
    return f"{name} (caregiver{', ' + relationship if relationship else ''})"


def caregivers(clinic: Clinic, patient_id: int) -> list[Shaped]:
    """The patient's current caregivers for the patient page, oldest first: {"id", "name", "phone",
    "language", "relationship", "opted_out_at" (aware UTC or None), "label" (as `caregiver_label`)}."""
    rows = clinic.db.execute("SELECT * FROM caregivers WHERE patient_id = ? AND removed_at IS NULL ORDER BY id",
                             [patient_id]).fetchall()
    return [{"id": row["id"], "name": row["name"], "phone": row["phone"], "language": row["language"],
             "relationship": row["relationship"], "opted_out_at": from_text(row["opted_out_at"]),
             "label": caregiver_label(row["name"], row["relationship"])} for row in rows]


MONITORING_ACTIONS = ("episode.pause", "episode.resume", "episode.end", "patient.opt_out", "patient.opt_in")


def monitoring_changes(clinic: Clinic, patient_id: int, limit: int) -> list[Shaped]:
    """Pauses, resumptions, early ends and STOP/START from the audit log, newest first (at most `limit`):
    {"at" (aware UTC), "kind": "monitoring", "id", "action" (without its prefix: pause, resume, end, opt_out,
    opt_in), "actor", "detail" (the audit detail, a dict)}. The timeline and the episode summary show them."""
    marks = ",".join("?" * len(MONITORING_ACTIONS))
    rows = clinic.db.execute(
        f"SELECT * FROM audit_log WHERE subject = ? AND action IN ({marks}) ORDER BY id DESC LIMIT ?",
        [f"patient:{patient_id}", *MONITORING_ACTIONS, limit])
    return [{"at": from_text(row["at"]), "kind": "monitoring", "id": row["id"],
             "action": row["action"].split(".", 1)[1], "actor": row["actor"], "detail": loads(row["detail"], {})}
            for row in rows]


def _grades(clinic: Clinic, patient_id: int, limit: int) -> list[Shaped]:
    """ASTCT grades recorded on the patient: {"kind": "grade", "grade", "driver", "inputs", "by"}."""
    rows = clinic.db.execute("SELECT * FROM grades WHERE patient_id = ? ORDER BY id DESC LIMIT ?", [patient_id, limit])
    return [{"at": from_text(row["graded_at"]), "kind": "grade", "id": row["id"], "grade": row["grade"],
             "driver": row["driver"], "inputs": loads(row["inputs"], {}), "by": row["graded_by"]} for row in rows]


def tocilizumab_status(clinic: Clinic, patient_id: int, now: datetime) -> Shaped:
    """What the SOP's tocilizumab limits allow at `now` (aware UTC), shown beside the medication form before
    it is sent (SOP line 73: 8 mg/kg IV, at most twice per CRS event at least 8 h apart, 3 times in 6 weeks;
    the numbers are triage.tocilizumab's): {"dosing", "mg_per_kg", "max_dose_mg",
    "this_event", "max_per_event", "in_six_weeks", "max_per_window", "last_at", "next_allowed_at",
    "refusal_now" (why a dose now would be refused, or None)}. Only doses staff recorded count."""
    episode = current_episode(clinic.db, patient_id)
    this_event = clinic.db.execute(
        "SELECT COUNT(*) FROM medications WHERE name = 'tocilizumab' AND source = 'staff' AND episode_id = ?",
        [episode.id if episode else -1]).fetchone()[0]
    in_window = clinic.db.execute(
        "SELECT COUNT(*) FROM medications WHERE name = 'tocilizumab' AND source = 'staff' AND patient_id = ? "
        "AND given_at >= ?",
        [patient_id, to_text(now - toci_rules.WINDOW)]).fetchone()[0]
    last = clinic.db.execute(
        "SELECT MAX(given_at) FROM medications WHERE name = 'tocilizumab' AND source = 'staff' AND patient_id = ?",
        [patient_id]).fetchone()[0]
    last_at = from_text(last)
    return {
        "dosing": toci_rules.DOSING_TEXT, "mg_per_kg": toci_rules.MG_PER_KG, "max_dose_mg": toci_rules.MAX_DOSE_MG,
        "this_event": this_event, "max_per_event": toci_rules.MAX_PER_EVENT,
        "in_six_weeks": in_window, "max_per_window": toci_rules.MAX_PER_WINDOW,
        "last_at": last_at, "next_allowed_at": last_at + toci_rules.MIN_SPACING if last_at else None,
        "refusal_now": refusal_of_tocilizumab(clinic, patient_id, episode, now),
    }


def phones_for_simulator(clinic: Clinic) -> list[Shaped]:
    """Phones the simulator can text from: patients in an active episode, their caregivers, then the on-call
    chain; each phone once: {"phone" (E.164), "label" ("Name (patient)" ...), "language"}."""
    phones: list[Shaped] = [
        {"phone": row["phone"], "label": f"{row['name']} (patient)", "language": row["language"]}
        for row in clinic.db.execute(
            "SELECT DISTINCT p.name, p.phone, p.language FROM patients p JOIN episodes e ON e.patient_id = p.id "
            "WHERE e.status = 'active' ORDER BY p.name")]
    seen = {entry["phone"] for entry in phones}
    for row in clinic.db.execute(
            "SELECT DISTINCT c.name, c.phone, c.relationship, c.language FROM caregivers c "
            "JOIN episodes e ON e.patient_id = c.patient_id "
            "WHERE e.status = 'active' AND c.removed_at IS NULL ORDER BY c.name"):
        if row["phone"] not in seen:
            phones.append({"phone": row["phone"], "label": caregiver_label(row["name"], row["relationship"]),
                           "language": row["language"]})
            seen.add(row["phone"])
    for person in clinic.oncall:
        if person["phone"] not in seen:
            phones.append({"phone": person["phone"], "label": f"{person['name']} (on call)", "language": "en"})
            seen.add(person["phone"])
    return phones


def conversation(clinic: Clinic, phone: str, limit: int = 200) -> list[Shaped]:
    """Texts to and from one phone (E.164), oldest first (the last `limit`): {"id", "direction", "body",
    "kind", "status", "at" (aware UTC), "outcome", "alert_id", "sid"}."""
    rows = clinic.db.execute(
        "SELECT * FROM messages WHERE (direction = 'out' AND to_number = ?) OR (direction = 'in' AND from_number = ?) "
        "ORDER BY id DESC LIMIT ?", [phone, phone, limit]).fetchall()
    messages = [Message.from_row(row) for row in reversed(rows)]
    return [{"id": message.id, "direction": message.direction, "body": message.body, "kind": message.kind,
             "status": message.status, "at": from_text(message.created_at), "outcome": message.outcome,
             "alert_id": message.alert_id, "sid": message.sid} for message in messages]


def age(moment: datetime | None, now: datetime) -> str:
    """How long before `now` `moment` was (both aware): '' for None, 'just now' under a minute, '4 min',
    '2 h 5 min', '2 h' under 48 hours, else '3 d' (whole days, rounded down). A moment after `now` is 'just now'."""
    if moment is None:
        return ""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d"


__all__ = ["active_alerts", "active_patients", "age", "alert_detail", "caregiver_label", "caregivers", "conversation",
           "monitoring_changes", "paged_by", "patient_summary", "patient_timeline", "phones_for_simulator",
           "temperatures", "tocilizumab_status"]
