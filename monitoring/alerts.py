"""Alerts to the on-call chain: open or update, page, re-page, acknowledge, resolve.

One alert per patient is active (open or acknowledged) until staff resolve it; a new reason on it
pages again. The chain (config `[[oncall]]` or the rota, `Clinic.oncall_at`, in order): round 0 pages the
first person; each `ack_timeout_minutes` without an ACK the next round pages the person paged last again
and the next one; once past the end of the chain every round pages the whole chain. An urgent alert not
acknowledged within `call_after_minutes` is due a phone call (`call_due_at`; monitoring.voice places it).

Every function takes `now` (aware UTC) from its caller (the web request or the scheduler pass), except
where marked: a few are still called by modules that do not pass it yet and read the clock when given None.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from messages.page import gsm_plain, render_page
from messages.texts import level_label, render
from monitoring import bodies, operator, outbox, pagefacts
from monitoring.clinic import Clinic, Conflict, NotFound, ValidationError
from monitoring.outbox import DeliveryOutcome, queue_text
from monitoring.rows import Alert
from monitoring.staff import staff_by_phone
from monitoring.store import dumps, from_text, insert, iso, loads, to_text, transaction
from triage.model import LEVELS

ACTIVE = ("open", "acknowledged")
log = logging.getLogger("crswatch.alerts")

# An alert with the name of its patient, for texts that show initials (never the name itself).
Named = tuple[Alert, str]


def initials(name: str) -> str:
    """Minimum PHI for nurse texts: 'Pat Acceptance' -> 'P.A.' (at most three letters; '?' for none). Each part's
    first letter, past any quote or bracket around it ("'Ana Lopez", 'Ana (Lupe) Lopez' keep the A and the L)."""
    letters = [next((character for character in part if character.isalpha()), "") for part in
               name.replace(".", " ").split()]
    return "".join(letter.upper() + "." for letter in [letter for letter in letters if letter][:3]) or "?"


def nurse_initials(name: str) -> str:
    """`initials` as a nurse's text shows them: GSM-7 only ('Ángela Núñez' -> 'A.N.', 'Łukasz Łapiński' -> 'L.L.'),
    so one accented capital never turns the text into UCS-2 (67 characters a segment, messages.texts.segments);
    a letter with no GSM-7 form (Cyrillic, Greek, CJK) is '?', never dropped ('Иван Петров' -> '?.?.')."""
    shown = initials(name)
    if shown == "?":
        return shown
    return "".join((gsm_plain(letter)[:1] or "?") + "." for letter in shown.split(".") if letter)


def recipients(chain: list[dict[str, Any]], page_round: int) -> list[dict[str, Any]]:
    """Who round `page_round` (0 first) pages out of `chain` ([{"name", "phone"}] in paging order): the first
    person; then the person paged last and the next one; past the end, the whole chain."""
    if page_round == 0:
        return chain[:1]
    if page_round < len(chain):
        return [chain[page_round - 1], chain[page_round]]
    return list(chain)


def active_alert(clinic: Clinic, patient_id: int) -> Alert | None:
    """The patient's newest alert that is open or acknowledged, or None."""
    return Alert.maybe(clinic.db.execute(
        f"SELECT * FROM alerts WHERE patient_id = ? AND status IN {ACTIVE} ORDER BY id DESC LIMIT 1",
        [patient_id],
    ).fetchone())


def get_alert(clinic: Clinic, alert_id: int) -> Alert | None:
    """The alert `alert_id`, or None."""
    return Alert.maybe(clinic.db.execute("SELECT * FROM alerts WHERE id = ?", [alert_id]).fetchone())


def _named(clinic: Clinic, alert_id: int) -> Named | None:
    row = clinic.db.execute("SELECT a.*, p.name AS patient_name FROM alerts a JOIN patients p ON p.id = a.patient_id "
                            "WHERE a.id = ?", [alert_id]).fetchone()
    return None if row is None else (Alert.from_row(row), row["patient_name"])


def raise_alert(clinic: Clinic, patient_id: int, level: str, reasons: list[str],
                episode_id: int | None = None, told: tuple[str, ...] = (), next_dose_at: datetime | None = None,
                *, message_id: int | None = None, reading_at: datetime | None = None, now: datetime) -> int:
    """Open an alert, or page again on the active one (inside a transaction); return its id.

    `level` one of triage.model.LEVELS; `reasons` reason keys (triage's, or service ones such as
    missed_checkins, undeliverable, opted_out). The active alert pages again when a reason is new to it;
    when it was acknowledged more than `ack_timeout_minutes` ago and the red flag is back (the nurse has had
    time to act, the patient still has it: someone must look again), timed by when the flag was measured
    (`reading_at`, the reading's taken_at; None: `now`), so a hub's late readings from the minutes the nurse
    acknowledged are not the flag "still present"; or when it belongs to an earlier episode. The same reason within the timeout of an ACK is recorded, not paged: the nurse is already on it.
    An update of an alert nobody acknowledged keeps its re-page time: the next person on call is not put off.
    `told`: the template keys of the replies the patient gets (and `next_dose_at`, when acetaminophen is
    allowed again), which the page repeats to the nurse. `message_id`: the text (its messages id) whose processing
    raises it (None for the tick, the app, a device), kept with the alert whenever it pages: the page, its re-pages
    and calls name that text's writer and words (monitoring.pagefacts), not the newest text read, which is another
    when the tick retries an older text. `now`: aware UTC, the caller's request's or pass's time.
    """
    db = clinic.db
    current = active_alert(clinic, patient_id)
    # a caregiver's text: kept as the alert's reporter until another caregiver's text raises it (pagefacts)
    reporter = message_id if message_id is not None and db.execute(
        "SELECT caregiver_id FROM messages WHERE id = ?", [message_id]).fetchone()[0] is not None else None
    if current is not None:
        known: list[str] = loads(current.reasons, [])
        added = [code for code in reasons if code not in known]
        measured = now if reading_at is None else min(reading_at, now)  # an app's clock may run 5 minutes ahead
        acked_long_ago = (current.status == "acknowledged" and current.acknowledged_at is not None
                          and current.acknowledged_at <= to_text(measured - _timeout(clinic)))
        earlier_episode = episode_id is not None and current.episode_id not in (None, episode_id)
        stopped = current.status == "open" and current.next_page_at is None  # patient_answered: paging no one
        pagefacts.record_told(clinic, current.id, level, told, next_dose_at, kept=current.told)
        if not (added or acked_long_ago or earlier_episode or stopped):
            record_event(clinic, current.id, "seen_again", now, reasons=list(reasons))
            return current.id
        merged_level = max(current.level, level, key=LEVELS.index)
        next_page_at = now + _timeout(clinic)
        if current.status == "open" and current.next_page_at:
            # still unacknowledged: the update pages, but never puts off the next person on call (a patient texting
            # a new sign every few minutes would otherwise keep the escalation at the first nurse)
            next_page_at = min(next_page_at, from_text(current.next_page_at))
        db.execute(
            "UPDATE alerts SET reasons = ?, level = ?, status = 'open', acknowledged_at = NULL, "
            "acknowledged_by = NULL, updated_at = ?, next_page_at = ?, episode_id = COALESCE(?, episode_id), "
            "message_id = ?, reported_by_message_id = COALESCE(?, reported_by_message_id) WHERE id = ?",
            [dumps(known + added), merged_level, to_text(now), to_text(next_page_at), episode_id,
             message_id, reporter, current.id],
        )
        record_event(clinic, current.id, "reopened" if not added else "reasons_added", now, reasons=list(reasons),
                     level=merged_level)
        _page(clinic, current.id, current.page_round, now, update=True, reasons=added or list(reasons))
        return current.id
    alert_id = insert(db, "alerts", {
        "patient_id": patient_id, "episode_id": episode_id, "level": level, "reasons": dumps(list(reasons)),
        "status": "open", "page_round": 0, "next_page_at": to_text(now + _timeout(clinic)),
        "round_started_at": to_text(now), "created_at": to_text(now), "updated_at": to_text(now),
        "message_id": message_id, "reported_by_message_id": reporter,
    })
    record_event(clinic, alert_id, "opened", now, level=level, reasons=list(reasons))
    pagefacts.record_told(clinic, alert_id, level, told, next_dose_at, kept=None)  # a new alert: told nothing yet
    _page(clinic, alert_id, 0, now)
    return alert_id


# Levels whose unacknowledged page becomes a phone call (issue 12; monitoring.voice places it).
CALLED_LEVELS = ("urgent",)


def call_after(clinic: Clinic) -> timedelta | None:
    """`[escalation] call_after_minutes` as read now (an edit applies at once); None when calls are off."""
    minutes = clinic.effective["escalation"]["call_after_minutes"]
    return timedelta(minutes=minutes) if minutes else None


def _schedule_call(clinic: Clinic, alert: Alert, now: datetime, keep_earlier: bool = False) -> None:
    """A page just went out for `alert` (its row as read in the caller's transaction, which has not changed it
    since): if it is urgent, a call is due `call_after_minutes` from now unless it is acknowledged first
    (monitoring.voice.calls_due places it). `keep_earlier`: a page does not put off a call already due sooner."""
    after = call_after(clinic)
    due = now + after if after and alert.level in CALLED_LEVELS and alert.status == "open" else None
    if due is not None and keep_earlier and alert.call_due_at and from_text(alert.call_due_at) < due:
        return
    clinic.db.execute("UPDATE alerts SET call_due_at = ? WHERE id = ?", [to_text(due), alert.id])


def _timeout(clinic: Clinic) -> timedelta:
    return timedelta(minutes=clinic.effective["escalation"]["ack_timeout_minutes"])


def record_event(clinic: Clinic, alert_id: int, kind: str, now: datetime, actor: str | None = None,
                 **detail: Any) -> None:
    """Append one line to the alert's history (`alert_events`, inside the caller's transaction) at `now`:
    `kind` (opened, paged, acknowledged, called ...), who did it (`actor`), and `detail` as JSON."""
    insert(clinic.db, "alert_events",
           {"alert_id": alert_id, "at": to_text(now), "kind": kind, "actor": actor, "detail": dumps(detail)})


def _page(clinic: Clinic, alert_id: int, page_round: int, now: datetime, update: bool = False,
          skip_phone: str | None = None, reasons: list[str] | None = None) -> list[str]:
    named = _named(clinic, alert_id)
    assert named is not None, alert_id  # paged inside the transaction that has it
    alert, name = named
    if reasons is None:
        reasons = loads(alert.reasons, [])
    repage = page_round > 0 and not update
    facts, taken_at = pagefacts.facts(clinic, alert, reasons)
    # a re-page says since when the alert has waited; a first page or an update, when the reading was
    # taken (else when it happened), in clinic time
    moment = from_text(alert.created_at) if repage else (taken_at or now)
    key = "nurse_alert_update" if update else ("nurse_repage" if repage else "nurse_alert")
    body = render_page(key, level=level_label(alert.level, "en").upper(), initials=nurse_initials(name),
                       time=clinic.local(moment).strftime("%-I:%M %p"), alert_id=alert_id,
                       link=clinic.dashboard_url(f"/dashboard/alerts/{alert_id}"), facts=facts)
    # A phone whose page for this alert failed for good is not tried again in this round (no storm of
    # failures); the next re-page tries it again, so no failure is remembered for good.
    dead: set[str | None] = {row[0] for row in clinic.db.execute(
        "SELECT to_number FROM messages WHERE alert_id = ? AND kind = 'alert' AND status IN ('failed', 'undelivered') "
        "AND created_at >= ?", [alert_id, alert.round_started_at or alert.created_at])} | {skip_phone}
    chain = clinic.oncall_at(now)
    people = [person for person in recipients(chain, page_round) if person["phone"] not in dead]
    if not people:
        people = [person for person in chain if person["phone"] not in dead] or _fallback_staff(clinic, dead)
    paged = []
    for person in people:
        queue_text(clinic, person["phone"], body, "alert", alert_id=alert_id, now=now)
        paged.append(person["phone"])
    if not paged:
        log.critical("alert %s: nobody left to page (on-call chain and staff phones exhausted)", alert_id)
    record_event(clinic, alert_id, "paged", now, round=page_round, to=[p[-4:] for p in paged])
    # A page never puts off a call already due sooner: with a cron tick every 20 minutes the re-page
    # would otherwise push the call 5 minutes on each time, and it would never come (break-it pass).
    # (`alert` as read above: the page wrote only texts and an event, nothing of the alert's row)
    _schedule_call(clinic, alert, now, keep_earlier=True)
    return paged


def someone_else_to_page(clinic: Clinic, phone: str, now: datetime) -> bool:
    """Whether anyone but `phone` could be paged at `now`: the chain in force, else every staff phone (_page's
    fallback). A nurse passing an alert on (monitoring.voice, key 2) must not be told it went to somebody when
    nobody else is there."""
    phones = {person["phone"] for person in clinic.oncall_at(now)} | {
        person["phone"] for person in _fallback_staff(clinic, set())}
    return bool(phones - {phone})


def _fallback_staff(clinic: Clinic, dead: set[str | None]) -> list[dict[str, Any]]:
    """When every on-call phone has failed for this alert, every other staff phone."""
    rows = clinic.db.execute("SELECT name, phone FROM staff WHERE active = 1 AND phone IS NOT NULL").fetchall()
    return [dict(row) for row in rows if row["phone"] not in dead]


def page_due(clinic: Clinic, now: datetime) -> int:
    """Re-page every open alert whose ack timeout has passed at `now` (a scheduler pass); return how many
    were due.

    A re-page time further ahead than one ack timeout can only come from a wall clock that stepped
    back: it is due now, so a clock step never silences an alert.
    """
    due = [Alert.from_row(row) for row in clinic.db.execute(
        "SELECT * FROM alerts WHERE status = 'open' AND (next_page_at <= ? OR next_page_at > ?) "
        "ORDER BY id", [to_text(now), to_text(now + _timeout(clinic) + timedelta(minutes=1))],
    ).fetchall()]
    for alert in due:
        with transaction(clinic.db):
            claimed = clinic.db.execute(
                "UPDATE alerts SET page_round = page_round + 1, next_page_at = ?, round_started_at = ?, "
                # and still due as read: an answer committed since (patient_answered) set next_page_at NULL
                "updated_at = ? WHERE id = ? AND status = 'open' AND page_round = ? AND next_page_at = ?",
                [to_text(now + _timeout(clinic)), to_text(now), to_text(now), alert.id, alert.page_round,
                 alert.next_page_at],
            ).rowcount
            if claimed:
                _page(clinic, alert.id, alert.page_round + 1, now)
    return len(due)


def page_next_now(clinic: Clinic, alert_id: int, now: datetime, failed_phone: str | None = None,
                  message_id: int | None = None, passed_by: str | None = None, handed_over: bool = False) -> None:
    """A page could not be delivered (failed for good, or `message_id` keeps failing and is still
    retried), or the nurse called about it pressed 2 (`passed_by`), or the round's nurses can no longer take it
    (`handed_over`, hand_over): move on to the next round at once,
    without that phone, inside the caller's transaction. Nothing happens to an alert no longer open."""
    alert = get_alert(clinic, alert_id)
    if alert is None or alert.status != "open" or alert.next_page_at is None:  # closed, or paging no one (patient_answered)
        return
    next_round = alert.page_round + 1
    clinic.db.execute(
        "UPDATE alerts SET page_round = ?, next_page_at = ?, updated_at = ? WHERE id = ?",
        [next_round, to_text(now + _timeout(clinic)), to_text(now), alert_id],
    )
    if passed_by is not None:
        record_event(clinic, alert_id, "passed", now, actor=passed_by, phone_end=(failed_phone or "")[-4:])
    elif handed_over:
        pass  # hand_over recorded it, naming every phone the round went to
    elif message_id is None:
        record_event(clinic, alert_id, "page_undeliverable", now, phone_end=(failed_phone or "")[-4:])
    else:
        record_event(clinic, alert_id, "page_failing", now, phone_end=(failed_phone or "")[-4:],
                     message_id=message_id)
    _page(clinic, alert_id, next_round, now, skip_phone=failed_phone)


def hand_over(clinic: Clinic, now: datetime) -> int:
    """An open alert whose current round was paged only to phones that can no longer take it (staff revoked, or
    a nurse's phone changed, while the alert waited on them: monitoring.staff.staff_by_phone knows them no more,
    so their ACK would not count; or the phone texted STOP: Twilio sends it nothing) goes to the next round at
    `now` (aware UTC, the pass's), as a failed page does:
    otherwise it would wait on someone who will never answer for up to `ack_timeout_minutes`. At most once a round
    (the round's pages count from its start, which a hand-over keeps): when the next round reaches nobody who can
    take it either, the alert waits for its re-page rather than being handed on at every pass. Returns how many
    alerts were handed over. A nurse merely off shift or off the rota still may ACK, and is left alone."""
    open_alerts = clinic.db.execute(
        "SELECT id, COALESCE(round_started_at, created_at) AS since FROM alerts WHERE status = 'open' "
        "AND next_page_at IS NOT NULL").fetchall()  # an alert paging no one (patient_answered) is handed to no one
    opted_out = operator.staff_opt_outs(clinic.db, clinic.pager_number) if open_alerts else {}
    handed = 0
    for alert in open_alerts:
        phones = [row[0] for row in clinic.db.execute(
            "SELECT DISTINCT to_number FROM messages WHERE alert_id = ? AND direction = 'out' AND kind = 'alert' "
            "AND status != 'canceled' AND created_at >= ?", [alert["id"], alert["since"]])]
        if not phones or any(staff_by_phone(clinic, phone) is not None and phone not in opted_out for phone in phones):
            continue
        if clinic.db.execute("SELECT 1 FROM alert_events WHERE alert_id = ? AND kind = 'handed_over' AND at >= ?",
                             [alert["id"], alert["since"]]).fetchone():
            continue  # once a round: handed to nobody who can take it either, it waits for its re-page, not a loop
        with transaction(clinic.db):
            current = get_alert(clinic, alert["id"])  # as it is now: acknowledged or stood down since it was read
            if current is None or current.status != "open" or current.next_page_at is None:
                continue
            record_event(clinic, alert["id"], "handed_over", now, phone_end=[phone[-4:] for phone in phones])
            page_next_now(clinic, alert["id"], now, failed_phone=phones[0], handed_over=True)
        handed += 1
    return handed


# Reasons that are the patient's silence: an answer from the patient (or a caregiver for them) ends them.
SILENCE_REASONS = frozenset({"missed_checkins"})


def patient_answered(clinic: Clinic, patient_id: int, now: datetime) -> None:
    """The patient (or a caregiver for them) answered a check-in at `now` (aware UTC; care.answer_checkin, inside
    its transaction). An unacknowledged alert whose every reason is silence (SILENCE_REASONS) stops paging: the
    silence it paged for has ended, and each re-page would wake the next person on call, every
    `ack_timeout_minutes`, for a patient who has answered (a flood of false pages teaches nurses to ignore the
    pager). It stays open (only a person closes an alert; the dashboard lists it), any page or call still queued
    for it is withdrawn, and each phone paged for it (still staff, not opted out) is told once that it may stand down. A red flag in the answer
    reaches the alert first (care.record_reading raises it before the check-in is answered) and keeps it paging; a
    later silence pages again (raise_alert: a stopped alert counts as not paging)."""
    current = active_alert(clinic, patient_id)
    if current is None or current.status != "open" or current.next_page_at is None \
            or not set(loads(current.reasons, [])) <= SILENCE_REASONS:
        return
    clinic.db.execute("UPDATE alerts SET next_page_at = NULL, call_due_at = NULL, updated_at = ? WHERE id = ?",
                      [to_text(now), current.id])
    outbox.withdraw_pages(clinic, current.id, now)
    answered_at = clinic.local(now).strftime("%-I:%M %p")
    record_event(clinic, current.id, "stopped_paging", now,
                 note=f"a check-in was answered at {answered_at} (by the patient or a caregiver): no more pages for missed "
                 "check-ins; open until resolved")
    named = _named(clinic, current.id)
    assert named is not None  # the alert read above, in the same transaction
    body = render("nurse_answered", "en", initials=nurse_initials(named[1]), time=answered_at, alert_id=current.id,
                  link=clinic.dashboard_url(f"/dashboard/alerts/{current.id}"))
    opted_out = operator.staff_opt_outs(clinic.db, clinic.pager_number)
    for (phone,) in clinic.db.execute(
            "SELECT DISTINCT to_number FROM messages WHERE alert_id = ? AND direction = 'out' AND kind = 'alert' "
            "AND status NOT IN ('canceled', 'failed', 'undelivered') ORDER BY to_number", [current.id]).fetchall():
        # those the page reached (or may yet), while they are staff: a phone revoked since hears nothing of the
        # alert (monitoring.voice 'not_staff'), and one that texted STOP to the pager number gets nothing from it
        if staff_by_phone(clinic, phone) is not None and phone not in opted_out:
            queue_text(clinic, phone, body, "info", to_staff=True, now=now)


def delivery_failed(clinic: Clinic, outcome: DeliveryOutcome, now: datetime) -> None:
    """Act on a try that failed (scheduler.delivery, or a carrier's status callback), inside the caller's
    transaction: a text that failed for good tells someone (a page: the next person on call now; a
    patient's text: an `undeliverable` alert); a page still retried that fails again pages the next
    person on call now, once per page (page_failing). Anything else is left to its retries (DESIGN.md,
    transactional outbox: a permanent failure such as Twilio 21610, 21211, 21614 opens an alert)."""
    if outcome.status == "failed":
        if outcome.kind == "call":
            log.error("call %s to a nurse could not be placed; the alert keeps paging by text", outcome.message_id)
        elif outcome.is_page and outcome.alert_id is not None:
            page_next_now(clinic, outcome.alert_id, now, failed_phone=outcome.to_number)
        elif outcome.patient_id:
            raise_alert(clinic, outcome.patient_id, "clinician_review", ["undeliverable"], now=now)
    elif outcome.status == "retrying":
        _page_failing(clinic, outcome, now)


def _page_failing(clinic: Clinic, outcome: DeliveryOutcome, now: datetime) -> None:
    """A page failed again: it is still retried, and the next person on call is paged now, once per page.
    Only when the failure is the phone's own or other texts are getting through: while the whole account
    is refused, a page to the next nurse would fail the same way, and marching every alert up the chain
    would flood everyone once the account is back."""
    if not outcome.is_page or outcome.alert_id is None or outcome.first_failure:
        return  # not a page, or its first failure
    if outcome.scope in ("account", "network"):
        success = operator.gateway_health(clinic.db).last_success_at
        if success is None or success <= from_text(outcome.created_at):
            return
    already = clinic.db.execute(
        "SELECT 1 FROM alert_events WHERE alert_id = ? AND kind = 'page_failing' "
        "AND json_extract(detail, '$.message_id') = ?", [outcome.alert_id, outcome.message_id]).fetchone()
    if already is None:
        page_next_now(clinic, outcome.alert_id, now, failed_phone=outcome.to_number, message_id=outcome.message_id)


def record_delivery_status(clinic: Clinic, sid: str, status: str, error_code: str | None, *,
                           now: datetime) -> bool:
    """A Twilio status callback (web.sms; MessageSid, MessageStatus, ErrorCode,
    https://www.twilio.com/docs/messaging/guides/track-outbound-message-status): the outbox moves the row
    forward and a text the carrier failed for good is acted on here, in one transaction. False for a sid
    not recorded yet (kept for later). `now`: aware UTC, the request's time."""
    with transaction(clinic.db):
        failures = outbox.record_status(clinic, sid, status, error_code, now)
        for failure in failures or ():
            delivery_failed(clinic, failure, now)
    return failures is not None


def acknowledge(clinic: Clinic, alert_id: int | None, actor: str, *, now: datetime) -> dict[str, Any]:
    """Stop the paging of one alert (the dashboard and the staff API: a signed-in person may
    acknowledge any alert); return its view (alert_view). Acknowledging an acknowledged alert changes
    nothing. Raises NotFound for an unknown or resolved alert."""
    with transaction(clinic.db):
        alert = None if alert_id is None else get_alert(clinic, alert_id)
        if alert is None or alert.status == "resolved":
            raise NotFound(f"no open alert {alert_id}", "alert_id")
        if alert.status == "open":
            mark_acknowledged(clinic, alert.id, actor, now)
        return alert_view(clinic, alert.id)


def mark_acknowledged(clinic: Clinic, alert_id: int, actor: str, now: datetime) -> None:
    """Acknowledge an open alert at `now` (inside the caller's transaction): paging and any due call stop (a
    page or call still waiting in the outbox too), and its history and the audit log say who (`actor`)."""
    at = to_text(now)
    clinic.db.execute(
        "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, "
        "next_page_at = NULL, call_due_at = NULL, updated_at = ? WHERE id = ?", [at, actor, at, alert_id])
    outbox.withdraw_pages(clinic, alert_id, now)  # a page or call held back (an outage, a retry) is not sent after all
    record_event(clinic, alert_id, "acknowledged", now, actor=actor)
    clinic.audit(actor, "alert.acknowledge", f"alert:{alert_id}", at=now)


def _ackable_by_phone(clinic: Clinic, phone: str, now: datetime) -> list[Named]:
    """Open alerts a phone may acknowledge by text, newest first: every open alert for a phone on the
    on-call chain, else those it was paged for. A staff phone that was never paged cannot stop an
    escalation meant for someone else. Those paged to it first, and of those the ones still paging before one
    that pages no one now (patient_answered): a bare ACK takes the alert waking the nurse, not one she was told
    needs no reply."""
    paged = "EXISTS (SELECT 1 FROM messages m WHERE m.alert_id = a.id AND m.kind = 'alert' AND m.to_number = ?)"
    on_call = any(person["phone"] == phone for person in clinic.oncall_at(now))
    rows = clinic.db.execute(
        "SELECT a.*, p.name AS patient_name FROM alerts a JOIN patients p ON p.id = a.patient_id "
        f"WHERE a.status = 'open' {'' if on_call else 'AND ' + paged} "
        f"ORDER BY {paged} DESC, a.next_page_at IS NOT NULL DESC, a.id DESC",
        [phone] if on_call else [phone, phone]).fetchall()
    return [(Alert.from_row(row), row["patient_name"]) for row in rows]


def acknowledge_by_text(clinic: Clinic, phone: str, actor: str, alert_id: int | None = None,
                        every: bool = False, *, now: datetime) -> list[int]:
    """A staff text: `ACK` (the newest open alert this phone may acknowledge), `ACK <id>` or `ACK ALL`
    (every open alert this phone may acknowledge). Always answers the phone with what happened and what
    is still open; returns the ids acknowledged (CONTRACT section 8). `now`: aware UTC, the text's processing
    time (monitoring.inbound)."""
    db = clinic.db
    with transaction(db):
        allowed = _ackable_by_phone(clinic, phone, now)
        if alert_id is not None:
            named = _named(clinic, alert_id)
            if named is not None and named[0].status != "open":
                queue_text(clinic, phone, _already_text(clinic, named), "info", to_staff=True, now=now)
                return []
            if named is None or named[0].id not in {alert.id for alert, _ in allowed}:
                may = _listed(allowed, with_initials=False)
                key = "nurse_ack_not_yours" if named is not None and may else "nurse_ack_none"
                queue_text(clinic, phone, render(key, "en", alert_id=alert_id, allowed=may), "info", to_staff=True,
                           now=now)
                return []
            chosen = [named]
        elif not allowed:
            taken = _recently_paged_closed(clinic, phone, now)
            body = _already_text(clinic, taken) if taken is not None else render(
                "nurse_ack_none", "en", alert_id="", allowed="")
            queue_text(clinic, phone, body, "info", to_staff=True, now=now)
            return []
        else:
            chosen = allowed if every else [allowed[0]]
        for alert, _ in chosen:
            mark_acknowledged(clinic, alert.id, actor, now)
        done = {alert.id for alert, _ in chosen}
        still_open = [(alert, name) for alert, name in allowed if alert.id not in done]
        if len(chosen) == 1:
            body = render("nurse_ack", "en", alert_id=chosen[0][0].id, initials=nurse_initials(chosen[0][1]))
        else:
            body = render("nurse_ack_all", "en", count=len(chosen), alerts=_listed(chosen))
        if still_open:
            body += " " + render("nurse_ack_also_open", "en", alerts=_listed(still_open))
        queue_text(clinic, phone, body, "info", to_staff=True, now=now)
        return sorted(done)


# A bare ACK with nothing open answers about the alert last paged to that phone within this time (who took it,
# when): the reply names a time of day only, so never an alert of an earlier night.
RECENT_PAGE = timedelta(hours=12)


def _recently_paged_closed(clinic: Clinic, phone: str, now: datetime) -> Named | None:
    """The alert last paged (or called) to `phone` within RECENT_PAGE, when someone has acknowledged or resolved
    it since: a second nurse's bare `ACK` is told who was first, so two nurses do not both drive in."""
    row = clinic.db.execute(
        "SELECT alert_id FROM messages WHERE to_number = ? AND direction = 'out' AND kind IN ('alert', 'call') "
        "AND alert_id IS NOT NULL AND created_at >= ? ORDER BY id DESC LIMIT 1",
        [phone, to_text(now - RECENT_PAGE)]).fetchone()
    named = None if row is None else _named(clinic, row[0])
    return named if named is not None and named[0].status != "open" else None


def _listed(named: list[Named], with_initials: bool = True, most: int = 4) -> str:
    """"3 (B.C.), 4 (D.E.), +2 more": a nurse's reply stays within its segments however many are open."""
    shown = [f"{alert.id} ({nurse_initials(name)})" if with_initials else str(alert.id) for alert, name in named[:most]]
    return ", ".join(shown + ([f"+{len(named) - most} more"] if len(named) > most else []))


def _already_text(clinic: Clinic, named: Named) -> str:
    """`ACK 7` for an alert someone already acknowledged or resolved: who, and when, so two nurses do
    not both drive in."""
    alert, name = named
    if alert.status == "resolved":
        return render("nurse_ack_resolved", "en", alert_id=alert.id, initials=nurse_initials(name),
                      resolved_by=alert.resolved_by,
                      time=clinic.local(from_text(alert.resolved_at or alert.updated_at)).strftime("%-I:%M %p"))
    return render("nurse_ack_already", "en", alert_id=alert.id, initials=nurse_initials(name),
                  acknowledged_by=alert.acknowledged_by,
                  time=clinic.local(from_text(alert.acknowledged_at or alert.updated_at)).strftime("%-I:%M %p"))


# What came of an alert, recorded when it is resolved (CONTRACT section 8); the response-time report counts them.
OUTCOMES = bodies.OUTCOMES  # one list: the resolve body's


def resolve(clinic: Clinic, alert_id: int, actor: str, note: str, outcome: str | None = None, *,
            now: datetime) -> dict[str, Any]:
    """Close the alert at `now` with a note and, optionally, its outcome (one of OUTCOMES), stored on the
    alert and kept in its history and the audit log; return its view (alert_view). Raises NotFound,
    Conflict (already resolved), ValidationError (outcome)."""
    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationError(f"outcome must be one of {', '.join(OUTCOMES)}", "outcome")
    db = clinic.db
    with transaction(db):
        alert = get_alert(clinic, alert_id)
        if alert is None:
            raise NotFound(f"no alert {alert_id}", "alert_id")
        if alert.status == "resolved":
            raise Conflict(f"alert {alert_id} is already resolved", "alert_id")
        at = to_text(now)
        db.execute(
            "UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution_note = ?, "
            "next_page_at = NULL, call_due_at = NULL, updated_at = ?, acknowledged_at = COALESCE(acknowledged_at, ?), "
            "acknowledged_by = COALESCE(acknowledged_by, ?) WHERE id = ?",
            [at, actor, note, at, at, actor, alert_id])
        if outcome is not None:
            db.execute("UPDATE alerts SET outcome = ? WHERE id = ?", [outcome, alert_id])
        outbox.withdraw_pages(clinic, alert_id, now)
        record_event(clinic, alert_id, "resolved", now, actor=actor, note=note,
                     **({"outcome": outcome} if outcome else {}))
        clinic.audit(actor, "alert.resolve", f"alert:{alert_id}", at=now, note=note, outcome=outcome)
    return alert_view(clinic, alert_id)


def alert_view(clinic: Clinic, alert_id: int) -> dict[str, Any]:
    """The API's shape of one alert (CONTRACT section 4): {"id", "patient_id", "level", "reasons" (list),
    "status", "created_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
    "resolution_note", "outcome"}, times ISO 8601 UTC. Raises NotFound for an unknown id."""
    alert = get_alert(clinic, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", "alert_id")
    return _shape(alert)


def _shape(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id, "patient_id": alert.patient_id, "level": alert.level,
        "reasons": loads(alert.reasons, []), "status": alert.status,
        "created_at": iso(alert.created_at), "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by, "resolved_at": iso(alert.resolved_at),
        "resolved_by": alert.resolved_by, "resolution_note": alert.resolution_note, "outcome": alert.outcome,
        # open and still paging someone at each ack timeout; false once acknowledged or resolved, and for a silence
        # alert a check-in answered since (patient_answered): open, but it pages no one
        "paging": alert.status == "open" and alert.next_page_at is not None,
    }


def list_alerts(clinic: Clinic, status: str = "open", patient_id: int | None = None, *,
                created: tuple[str, str] | None = None, level: str | None = None) -> list[dict[str, Any]]:
    """Alerts newest first, each in alert_view's shape. `status` open | active (open or acknowledged) | all |
    any one status; `created` = (since, until) stored UTC texts bound created_at (since <= t < until);
    `level` one level."""
    where: list[str] = []
    params: list[Any] = []
    if created is not None:
        where.append("created_at >= ? AND created_at < ?")
        params.extend(created)
    if level is not None:
        where.append("level = ?")
        params.append(level)
    if status == "open":
        where.append("status = 'open'")
    elif status == "active":
        where.append(f"status IN {ACTIVE}")
    elif status != "all":
        where.append("status = ?")
        params.append(status)
    if patient_id is not None:
        where.append("patient_id = ?")
        params.append(patient_id)
    sql = "SELECT * FROM alerts" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    return [_shape(Alert.from_row(row)) for row in clinic.db.execute(sql, params).fetchall()]
