"""What the operator is told: the gateway's health, the scheduler's heartbeat, a suspected clock step.

Kept in the database (`service_state`, `gateway_errors`), not in a process, so every gunicorn worker
and the scheduler process see the same picture, and `/healthz`, `/metrics` and the dashboard banner
agree. Each writer runs inside the caller's transaction.
"""
from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from monitoring.store import dumps, from_text, loads, to_text

log = logging.getLogger("crswatch.operator")

GATEWAY_SUCCESS = "gateway.last_success"
GATEWAY_FAILURE = "gateway.account_failure"  # set while the account or network refuses every text
PAGER_REFUSED = "gateway.pager_refused"  # set while Twilio refuses [sms] pager_number (pages go from from_number)
HEARTBEAT = "scheduler.heartbeat"
CLOCK_HOLD = "clock.hold"
# A wall clock that moved this much further than the monotonic clock between two scheduler passes has
# stepped (NTP correction, a VM restored, a hand-set date), not run.
CLOCK_STEP_TOLERANCE = timedelta(minutes=5)
# How long episode ends wait after a forward step, for the clock to be corrected or the operator to
# confirm it (`flask --app app clock-ok`); check-ins, pages and delivery go on meanwhile.
CLOCK_HOLD_FOR = timedelta(hours=24)

# Where the state is kept: the clinic's connection, or a bare sqlite3 one (the /healthz write probe).
Db = sqlite_utils.Database | sqlite3.Connection


def get(db: Db, key: str) -> dict[str, Any] | None:
    """The value stored under `key` (a dict), or None."""
    row = db.execute("SELECT value FROM service_state WHERE key = ?", [key]).fetchone()
    value: dict[str, Any] | None = loads(row[0]) if row else None
    return value


def put(db: Db, key: str, value: dict[str, Any], now: datetime) -> None:
    """Store `value` (JSON) under `key` at `now`, replacing what was there (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO service_state (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [key, dumps(value), to_text(now)])


_NUMBERS = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def scrub(message: str) -> str:
    """A gateway's error text without phone numbers (Twilio quotes the 'To' number), cut to 200
    characters: it goes to logs, /healthz and the dashboard banner, which must carry no PHI."""
    return _NUMBERS.sub("<number>", message)[:200]


def delete(db: Db, key: str) -> None:
    """Forget `key` (inside the caller's transaction)."""
    db.execute("DELETE FROM service_state WHERE key = ?", [key])


# --- the gateway -------------------------------------------------------------------------------------

def gateway_succeeded(db: Db, now: datetime, others: Iterable[str] = ()) -> None:
    """A text was handed over: the account works, whatever failed before, except an account refusal of one of
    `others`, the clinic's other numbers in force: the pager number's success (`[sms] pager_number`) says
    nothing of a main number Twilio refuses, whose patients still hear nothing (a refusal of a number no longer
    in the settings is over)."""
    put(db, GATEWAY_SUCCESS, {"at": to_text(now)}, now)
    failure = get(db, GATEWAY_FAILURE)
    if failure is not None and failure.get("scope") == "account" and failure.get("sender") in set(others):
        return
    if failure is not None:
        delete(db, GATEWAY_FAILURE)
        log.warning("SMS gateway recovered: texts are leaving again (it had refused since %s, code %s)",
                    failure["since"], failure["code"])


def gateway_failed(db: Db, code: int | None, scope: str, message: str, now: datetime,
                   sender: str | None = None) -> None:
    """Count a failure by Twilio error `code` (None when Twilio was not reached) and `scope`
    (messages.gateways.SCOPES) of a text from `sender` (when known); an account or network failure is raised to
    the operator at once (a CRITICAL log line on the first, and health, metrics and the dashboard banner from
    then on, until a text leaves: from `sender` itself after an account refusal)."""
    _count(db, code, scope, message, now)
    message = scrub(message)
    if scope not in ("account", "network"):
        return
    failure = get(db, GATEWAY_FAILURE)
    if failure is None:
        log.critical("SMS gateway refuses every text (%s, code %s): %s. Pages and replies stay queued and "
                     "are retried every few seconds; check the Twilio account, auth token and sender number",
                     scope, code, message)
        failure = {"since": to_text(now)}
    failure.update({"code": code, "scope": scope, "message": message, "last_at": to_text(now), "sender": sender})
    put(db, GATEWAY_FAILURE, failure, now)


def _count(db: Db, code: int | None, scope: str, message: str, now: datetime) -> None:
    db.execute(
        "INSERT INTO gateway_errors (code, scope, count, last_at, last_message) VALUES (?, ?, 1, ?, ?) "
        "ON CONFLICT (code, scope) DO UPDATE SET count = count + 1, last_at = excluded.last_at, "
        "last_message = excluded.last_message",
        [str(code) if code is not None else "none", scope, to_text(now), scrub(message)])


def pager_refused(db: Db, code: int | None, message: str, now: datetime, carrier: bool = False,
                  number: str | None = None) -> None:
    """Twilio refused the pager number (`[sms] pager_number`) for the account's reason `code`: pages go from
    the main number meanwhile (monitoring.outbox.falls_back), which a nurse's phone may keep silent in Do Not
    Disturb, so the operator is told at once (a CRITICAL log line, then /healthz, metrics and the dashboard
    banner until a text leaves from the pager number again: is delivered, after a `carrier` block that Twilio
    reported after taking the text). Inside the caller's transaction."""
    _count(db, code, "account", message, now)
    refused = get(db, PAGER_REFUSED)
    if refused is not None and refused.get("number") not in (None, number):
        refused = None  # a refusal of the number before it: over
    if refused is None:
        log.critical("Twilio refuses the pager number (code %s): %s. Pages and calls go from the main number "
                     "([sms] from_number) meanwhile; fix [sms] pager_number or that number in Twilio", code,
                     scrub(message))
        refused = {"since": to_text(now)}
    refused.update({"code": code, "message": scrub(message), "last_at": to_text(now), "carrier": carrier,
                    "number": number})
    put(db, PAGER_REFUSED, refused, now)


def pager_worked(db: Db, now: datetime, delivered: bool = False) -> None:
    """A text left from the pager number (was `delivered`): whatever refused it before is over; a carriers'
    block only once a text from it was delivered (Twilio takes every text of a blocked number)."""
    refused = get(db, PAGER_REFUSED)
    if refused is not None and refused.get("carrier") and not delivered:
        return
    if refused is not None:
        delete(db, PAGER_REFUSED)
        log.warning("the pager number works again (Twilio had refused it since %s, code %s)", refused["since"],
                    refused["code"])


def pager_refusal(db: Db, number: str | None = None) -> dict[str, Any] | None:
    """The pager number's refusal in force: {"since", "code", "message", "last_at"}, or None. With `number`, the
    pager number in [sms] now ("" when none is set): a refusal of a number since changed or removed is over."""
    refused = get(db, PAGER_REFUSED)
    if refused is None or number is None:
        return refused
    if not number or refused.get("number") not in (None, number):
        return None
    return refused


# --- staff phones that texted STOP ---------------------------------------------------------------------

STAFF_OPTED_OUT = "staff.opted_out."  # + the staff phone: it texted STOP to one of the clinic's numbers


def staff_opted_out(db: Db, phone: str, name: str, number: str, now: datetime) -> None:
    """The staff or on-call phone `phone` (E.164, `name`'s) texted an opt-out keyword to the clinic's number
    `number`: Twilio sends it nothing from that number any more (Advanced Opt-Out, error 21610) until it texts
    START. Told to the operator at once (a CRITICAL log line, then /healthz and the dashboard banner, when it is
    the number pages come from: staff_opt_outs): a nurse who typed STOP to stop tonight's paging gets no page
    again, and does not know it."""
    if get(db, STAFF_OPTED_OUT + phone) is None:
        log.critical("%s texted STOP to the number ending %s: Twilio sends that phone no page from it until it "
                     "texts START", name, number[-4:])
    put(db, STAFF_OPTED_OUT + phone, {"name": name, "number": number, "since": to_text(now)}, now)


def staff_opted_in(db: Db, phone: str) -> None:
    """`phone` texted START: pages reach it again."""
    delete(db, STAFF_OPTED_OUT + phone)


def staff_opt_outs(db: Db, paging_number: str) -> dict[str, dict[str, Any]]:
    """Staff phones that texted STOP to `paging_number` (the number pages come from: Clinic.pager_number) and not
    START since: {phone: {"name", "number", "since" (stored UTC text)}}. A STOP to the clinic's other number
    stops nothing a nurse needs (Twilio's opt-out holds between two numbers only)."""
    rows = db.execute("SELECT key, value FROM service_state WHERE key LIKE ?", [STAFF_OPTED_OUT + "%"]).fetchall()
    found = {row[0][len(STAFF_OPTED_OUT):]: loads(row[1]) for row in rows}
    return {phone: seen for phone, seen in found.items() if seen["number"] == paging_number}


@dataclass(frozen=True)
class GatewayHealth:
    """The gateway as the operator sees it: when a text last left, and the account or network failure in
    force (since when, Twilio's code, its scope and scrubbed message), all None when none is."""

    last_success_at: datetime | None
    failing_since: datetime | None  # an account or network failure not yet followed by a success
    code: int | None
    scope: str | None
    message: str | None


def gateway_health(db: Db) -> GatewayHealth:
    """The gateway's health from the stored state (GatewayHealth)."""
    success = get(db, GATEWAY_SUCCESS)
    failure = get(db, GATEWAY_FAILURE) or {}
    return GatewayHealth(
        last_success_at=from_text(success["at"]) if success else None,
        failing_since=from_text(failure.get("since")), code=failure.get("code"), scope=failure.get("scope"),
        message=failure.get("message"))


def last_gateway_error(db: Db) -> dict[str, Any] | None:
    """The newest failure of any scope: {"code" (text, 'none' when Twilio was not reached), "scope", "at"
    (stored UTC text), "message" (scrubbed)}, or None."""
    row = db.execute("SELECT code, scope, last_at, last_message FROM gateway_errors ORDER BY last_at DESC LIMIT 1"
                     ).fetchone()
    return {"code": row[0], "scope": row[1], "at": row[2], "message": row[3]} if row else None


# --- the scheduler's heartbeat and the clock ---------------------------------------------------------

def beat(db: Db, now: datetime, holder: str) -> None:
    """The scheduler finished a pass at `now` (the last sane time, for clock checks and /healthz)."""
    put(db, HEARTBEAT, {"at": to_text(now), "holder": holder}, now)


def heartbeat(db: Db) -> datetime | None:
    """When the scheduler last finished a pass (any process), or None before the first."""
    value = get(db, HEARTBEAT)
    return from_text(value["at"]) if value else None


def clock_stepped(db: Db, step: timedelta, now: datetime) -> None:
    """The wall clock moved `step` more than the monotonic clock since the last pass. A forward step
    holds episode ends (so a wrong date cannot end everyone's monitoring); a backward step that undoes
    a held forward step lifts the hold. Both are raised to the operator."""
    hold = get(db, CLOCK_HOLD)
    if step > timedelta(0):
        log.critical("the wall clock jumped %s forward; episode ends are held until %s or until "
                     "`flask --app app clock-ok` confirms the time", step, now + CLOCK_HOLD_FOR)
        total = step + timedelta(seconds=hold["step_seconds"]) if hold else step
        put(db, CLOCK_HOLD, {"since": to_text(now), "until": to_text(now + CLOCK_HOLD_FOR),
                             "step_seconds": total.total_seconds()}, now)
        return
    log.critical("the wall clock stepped %s back; due times further ahead than they can be are treated "
                 "as due now", -step)
    if hold is not None:
        remaining = timedelta(seconds=hold["step_seconds"]) + step
        if remaining <= CLOCK_STEP_TOLERANCE:
            delete(db, CLOCK_HOLD)
            log.warning("the clock is back where it was; the hold on episode ends is lifted")
        else:
            put(db, CLOCK_HOLD, {**hold, "step_seconds": remaining.total_seconds()}, now)


def clock_hold(db: Db, now: datetime) -> dict[str, Any] | None:
    """The active hold on episode ends after a forward clock step at `now`: {"since", "until" (stored UTC
    texts), "step_seconds"}, or None."""
    hold = get(db, CLOCK_HOLD)
    if hold is None:
        return None
    if from_text(hold["until"]) <= now:
        return None
    return hold


def release_clock_hold(db: Db) -> bool:
    """The operator confirmed the clock: episode ends go ahead. False if there was no hold."""
    existed = get(db, CLOCK_HOLD) is not None
    delete(db, CLOCK_HOLD)
    return existed
