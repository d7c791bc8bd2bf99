"""Is the paging path working? The checks behind /healthz and the figures behind /metrics.

Everything is read from the database, so a gunicorn worker answers for the scheduler process and for
the other workers alike (CONTRACT section 8: `{"ok", "checks": {name: {"ok", ...figures}}}`).
"""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from typing import Any

from monitoring import inbound, operator
from monitoring.clinic import Clinic
from monitoring.staff import staff_by_phone
from monitoring.store import from_text, storage_fault, to_text

# A page due this long and not handed to the gateway means nurses are not being reached.
PAGE_LATE = timedelta(minutes=2)
# Any other text due this long: replies and prompts are not leaving.
TEXT_LATE = timedelta(minutes=15)
# The scheduler's heartbeat may be this much older than its poll before the check fails.
HEARTBEAT_SLACK = timedelta(seconds=60)
# A text a webhook handed over to the scheduler (monitoring.inbound's hand-over queue) is acted on within a second
# or two; one waiting this long means the scheduler is not reading patients' texts, though it may still beat.
WAITING_LATE = timedelta(seconds=60)
# Queued rows oldest_waiting looks up in messages (moved, their delete failed) before it counts the rest unread.
MOVED_LOOKED_AT = 100
WRITE_PROBE_TIMEOUT_S = 2.0


def checks(clinic: Clinic, now: datetime) -> dict[str, dict[str, Any]]:
    """Every check with its figures: {name: {"ok": bool, ...}} for database, scheduler, clock,
    outbox and gateway. Never raises: a check that cannot run fails with its error."""
    result = {"database": _database(clinic, now)}
    for name, check in PATH_CHECKS:
        try:
            result[name] = check(clinic, now)
        except sqlite3.Error as error:
            result[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return result


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds(), 1)


def _database(clinic: Clinic, now: datetime) -> dict[str, Any]:
    """A real write, on a connection of its own with a short timeout: locked, full, read-only and
    corrupt all fail here ({"ok": False, "error", "fault": monitoring.store.StorageFault's name or None})."""
    started = time.perf_counter()
    try:
        probe = sqlite3.connect(clinic.config["database"]["path"], timeout=WRITE_PROBE_TIMEOUT_S,
                                isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            operator.put(probe, "health.probe", {"at": to_text(now)}, now)
            probe.execute("COMMIT")
        finally:
            probe.close()
    except sqlite3.Error as error:
        fault = storage_fault(error)
        return {"ok": False, "error": f"{type(error).__name__}: {error}", "fault": fault.name if fault else None,
                "write_ms": round((time.perf_counter() - started) * 1000, 1)}
    return {"ok": True, "write_ms": round((time.perf_counter() - started) * 1000, 1)}


def _scheduler(clinic: Clinic, now: datetime) -> dict[str, Any]:
    last = operator.heartbeat(clinic.db)
    allowed = timedelta(seconds=clinic.config["scheduler"]["poll_seconds"] * 3) + HEARTBEAT_SLACK
    if last is None:
        return {"ok": False, "heartbeat_age_seconds": None, "error": "no scheduler pass has run yet"}
    age = now - last
    figures = {"heartbeat_age_seconds": _seconds(age), "allowed_seconds": _seconds(allowed)}
    if age > allowed:
        return {"ok": False, **figures, "error": "the scheduler has not run: prompts, re-pages and delivery stop"}
    if age < -HEARTBEAT_SLACK:
        return {"ok": False, **figures, "error": "the last pass lies in the future: the clock stepped back"}
    try:
        waited, waiting = oldest_waiting(clinic, now)
    except sqlite3.Error as error:  # its file a directory, no database, unreadable: the web acts on texts itself
        return {"ok": False, **figures,
                "error": f"the hand-over queue {clinic.config['database']['path']}{inbound.QUEUE_SUFFIX} cannot be "
                         f"read ({type(error).__name__}: {error}); the web acts on texts itself meanwhile: move it "
                         "aside once the scheduler has stopped, or repair it"}
    figures |= {"texts_waiting": waiting, "oldest_waiting_text_seconds": _seconds(waited)}
    if waited is not None and waited > WAITING_LATE:
        return {"ok": False, **figures,
                "error": "texts the web handed to the scheduler have not been read for over a minute: red flags "
                         "in them page no one. Restart the scheduler service (flask --app app scheduler); the web "
                         "workers act on texts themselves once its lease lapses"}
    return {"ok": True, **figures}


def _clock(clinic: Clinic, now: datetime) -> dict[str, Any]:
    hold = operator.clock_hold(clinic.db, now)
    if hold is None:
        return {"ok": True}
    return {"ok": False, "step_seconds": hold["step_seconds"], "episode_ends_held_until": hold["until"],
            "error": "the wall clock jumped forward; episode ends are held: correct the clock or run "
                     "`flask --app app clock-ok`"}


def oldest_waiting(clinic: Clinic, now: datetime) -> tuple[timedelta | None, int]:
    """(how long the oldest text handed over to the scheduler and not yet read has waited, how many wait): the
    hand-over queue beside the database (monitoring.inbound.hand_over_queue; none while its file does not exist),
    its rows already moved into messages left out (those before the oldest unread one)."""
    if not inbound.queue_file_exists(clinic.config["database"]["path"]):
        return None, 0
    queue = inbound.hand_over_queue(clinic)
    if queue is None:
        return None, 0
    # a row whose MessageSid is in messages was moved and acted on, its delete from the queue failed (a read-only
    # or full queue file) or not yet made: not unread. The oldest first, up to the first unread one.
    waiting = int(queue.conn.execute("SELECT COUNT(*) FROM inbound").fetchall()[0][0])
    for sid, created_at in queue.conn.execute("SELECT sid, created_at FROM inbound ORDER BY id LIMIT ?",
                                              [MOVED_LOOKED_AT]).fetchall():
        if not clinic.db.execute("SELECT 1 FROM messages WHERE sid = ?", [sid]).fetchall():
            return max(now - from_text(created_at), timedelta(0)), waiting
        waiting -= 1
    if waiting:  # more than MOVED_LOOKED_AT moved rows ahead of them (never seen): the next is counted unread
        rows = queue.conn.execute("SELECT created_at FROM inbound ORDER BY id LIMIT 1 OFFSET ?",
                                  [MOVED_LOOKED_AT]).fetchall()
        return (max(now - from_text(rows[0][0]), timedelta(0)) if rows else None), waiting
    return None, waiting


def oldest_due(clinic: Clinic, now: datetime) -> tuple[timedelta | None, timedelta | None, int]:
    """(oldest due page or call's wait, oldest due other text's wait, texts queued): a call to a nurse is as
    urgent as a page."""
    rows = clinic.db.execute(
        "SELECT kind IN ('alert', 'call') AS page, MIN(next_attempt_at), COUNT(*) FROM messages "
        "WHERE direction = 'out' AND status IN ('queued', 'sending') GROUP BY kind IN ('alert', 'call')").fetchall()
    page = text = None
    queued = 0
    for is_page, due, count in rows:
        queued += count
        wait = max(now - from_text(due), timedelta(0)) if due else None
        if is_page:
            page = wait
        else:
            text = wait
    return page, text, queued


def _outbox(clinic: Clinic, now: datetime) -> dict[str, Any]:
    page, text, queued = oldest_due(clinic, now)
    figures = {"queued": queued, "oldest_due_page_seconds": _seconds(page),
               "oldest_due_text_seconds": _seconds(text)}
    if page is not None and page > PAGE_LATE:
        return {"ok": False, **figures, "error": "a nurse's page has waited to be sent"}
    if text is not None and text > TEXT_LATE:
        return {"ok": False, **figures, "error": "texts are waiting to be sent"}
    return {"ok": True, **figures}


def _gateway(clinic: Clinic, now: datetime) -> dict[str, Any]:
    health = operator.gateway_health(clinic.db)
    last_error = operator.last_gateway_error(clinic.db)
    figures = {
        "backend": clinic.config["sms"]["backend"],
        "last_success_at": to_text(health.last_success_at),
        "last_error": last_error,
    }
    if health.failing_since is not None:
        return {"ok": False, **figures, "failing_since": to_text(health.failing_since),
                "scope": health.scope, "code": health.code,
                "error": f"the SMS gateway refuses every text ({health.scope}, code {health.code})"}
    refused = operator.pager_refusal(clinic.db, clinic.own_pager)
    if refused is not None and refused.get("carrier"):  # Twilio takes its texts, then blocks them
        return {"ok": False, **figures, "pager_refused_since": refused["since"], "code": refused["code"],
                "error": f"carriers block texts from the pager number (code {refused['code']}: not registered in "
                         "an A2P 10DLC campaign, or a toll-free number not verified): each page goes again from "
                         "the main number ([sms] from_number) once Twilio reports the block; register the number "
                         "in Twilio"}
    if refused is not None:  # pages still leave, from the main number, which a nurse's Do Not Disturb may silence
        return {"ok": False, **figures, "pager_refused_since": refused["since"], "code": refused["code"],
                "error": f"Twilio refuses the pager number (code {refused['code']}): pages and calls go from the main "
                         "number ([sms] from_number) meanwhile; fix [sms] pager_number or that number in Twilio"}
    return {"ok": True, **figures}


def _staff_phones(clinic: Clinic, now: datetime) -> dict[str, Any]:
    """Staff phones pages cannot reach: those that texted STOP to the number pages come from
    (operator.staff_opt_outs) and are still staff or on call (Twilio sends them no page until they text START), and
    the config file's `[[oncall]]` phones that are a patient's (checked against the clinic's own numbers at start,
    monitoring.config; a patient's phone is only known here: pages to it would reach that patient). Names no patient:
    /healthz is read outside the clinic."""
    stopped = [(phone, seen) for phone, seen in operator.staff_opt_outs(clinic.db, clinic.pager_number).items()
               if staff_by_phone(clinic, phone) is not None]
    patients = _on_call_patient_phones(clinic)
    if not stopped and not patients:
        return {"ok": True, "opted_out": 0, "patient_phones": 0}
    problems = ["; ".join(f"{seen['name']} (...{phone[-4:]}) texted STOP to the number ending {seen['number'][-4:]}"
                          for phone, seen in stopped) + ": Twilio sends no page to that phone until it texts START to "
                "that number"] if stopped else []
    problems += [f"{key} ({person['name']}, ...{person['phone'][-4:]}) is a patient's phone: pages to it would reach "
                 "the patient and no nurse; set the nurse's own phone in the config file (or on the settings page)"
                 for key, person in patients]
    return {"ok": False, "opted_out": len(stopped), "patient_phones": len(patients), "error": "; ".join(problems)}


def _on_call_patient_phones(clinic: Clinic) -> list[tuple[str, dict[str, Any]]]:
    """[(key "oncall[i].phone", person)] of the `[[oncall]]` chain in effect whose phone is a patient's own."""
    chain: list[dict[str, Any]] = clinic.effective["oncall"]
    marks = ", ".join("?" for _ in chain)
    taken = {row[0] for row in clinic.db.execute(f"SELECT DISTINCT phone FROM patients WHERE phone IN ({marks})",
                                                 [person["phone"] for person in chain])}
    return [(f"oncall[{index}].phone", person) for index, person in enumerate(chain) if person["phone"] in taken]


# The paging path's checks after the database write probe, each (name, check(clinic, now) -> figures).
PATH_CHECKS = (("scheduler", _scheduler), ("clock", _clock), ("outbox", _outbox), ("gateway", _gateway),
               ("staff_phones", _staff_phones))


def problems(clinic: Clinic, now: datetime) -> list[str]:
    """What the operator must hear, one plain sentence each (the dashboard banner)."""
    found = []
    if clinic.config["sms"]["backend"] == "outbox":
        found.append("Demo mode: no text leaves this building (SMS backend 'outbox').")
    # Not the database probe: a page view must not cost a write (/healthz makes it).
    for name, check in PATH_CHECKS:
        try:
            result = check(clinic, now)
        except sqlite3.Error as error:  # as checks(): a check that cannot run fails with its error, no page 500s
            result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        if not result["ok"]:
            found.append(f"{name.capitalize()}: {result['error']}.")
    return found
