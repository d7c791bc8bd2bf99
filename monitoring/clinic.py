"""The clinic as the service layer sees it: its settings, its store, and the errors it answers with."""
from __future__ import annotations

import contextlib
import sqlite3
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import click
import sqlite_utils

from monitoring import config as config_module
from monitoring.config_types import clinic_own_number
from monitoring.store import dumps, to_text, utcnow
from triage.hours import in_clinic_hours
from triage.model import ClinicHours, Thresholds


class ServiceError(Exception):
    """A request the clinic cannot act on; `field` names the input at fault where there is one."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(ServiceError):
    """The input is not acceptable (400): the message says what is wrong and `field` which input."""

    status = 400


class NotFound(ServiceError):
    """No such record (404)."""

    status = 404


class Unprocessable(ServiceError):
    """Well formed, but not acceptable with what was sent before (422), e.g. an Idempotency-Key sent again with
    another body."""

    status = 422


class Conflict(ServiceError):
    """The record is not in a state that allows this (409), e.g. an alert already resolved."""

    status = 409


@dataclass
class Clinic:
    """Settings and store for one request or one job. Build one per thread; never share `db`."""

    db: sqlite_utils.Database
    config: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)  # admin edits from the settings table
    settings_version: int | None = None  # the settings_version the overrides were read at (None: not known)

    @cached_property
    def effective(self) -> dict[str, Any]:
        """The config with the dashboard's stored edits laid over it."""
        if not self.overrides:
            return self.config
        merged = {section: (dict(values) if isinstance(values, dict) else values)
                  for section, values in self.config.items()}
        for dotted, value in self.overrides.items():
            if dotted == "oncall":
                merged["oncall"] = value
            else:
                section, key = dotted.split(".", 1)
                merged[section][key] = value
        return merged

    @cached_property
    def thresholds(self) -> Thresholds:
        """The clinical thresholds in force (the SOP's defaults with the clinic's settings; triage.model)."""
        return config_module.thresholds(self.effective)

    @cached_property
    def hours(self) -> ClinicHours:
        """The clinic's opening hours (`[clinic] open/close/days`), which decide "after hours" (SOP 5 Grade 2)."""
        return config_module.clinic_hours(self.effective)

    @cached_property
    def tz(self) -> ZoneInfo:
        """The clinic's time zone (`[clinic] timezone`)."""
        return ZoneInfo(self.effective["clinic"]["timezone"])

    def prepare(self) -> None:
        """Build the settings triage and paging read (thresholds, opening hours, time zone) now: a caller about to
        take the write lock calls this first, so that work is not done while every other writer waits (issue 19).
        Each is built once per Clinic from its settings as opened, so building it earlier changes nothing."""
        _ = self.thresholds, self.hours, self.tz

    def refresh(self) -> bool:
        """Take in a settings edit committed since this Clinic was opened (an admin's, on another worker or in
        another process): called as a write transaction that triages begins (monitoring.inbound.process,
        monitoring.app_api), so a text or a reading is judged by the thresholds in force when its transaction
        took the write lock, not when its request began. One row read when nothing changed; when something
        did, the overrides are read again and the thresholds, hours and time zone rebuilt. Returns whether
        they changed. A database without `settings_version` (not yet migrated) is never re-read here."""
        if self.settings_version is None or self.db is None:
            return False
        row = self.db.conn.execute("SELECT version FROM settings_version WHERE id = 1").fetchone()
        if row is None or row[0] == self.settings_version:
            return False
        self.settings_version, self.overrides = _read_settings(self.db)
        for built in ("effective", "thresholds", "hours", "tz"):
            self.__dict__.pop(built, None)  # functools.cached_property keeps each in the instance's __dict__
        return True

    @property
    def checkins(self) -> dict[str, Any]:
        """The `[checkins]` settings in force (intervals in minutes)."""
        checkins: dict[str, Any] = self.effective["checkins"]
        return checkins

    @property
    def oncall(self) -> list[dict[str, Any]]:
        """The on-call chain in force now (`oncall_at` at the wall clock), for callers that do not pass
        `now` yet: [{"name", "phone"}] in paging order."""
        return self.oncall_at(utcnow())

    def oncall_at(self, moment: datetime) -> list[dict[str, Any]]:
        """The on-call chain in force at `moment` (aware): the rota's chain for clinic hours or for nights and
        weekends (issue 12, monitoring.rota), else `[[oncall]]`. [{"name", "phone"}] in paging order."""
        return self.chain_for(self.shift_at(moment))

    def shift_at(self, moment: datetime) -> str:
        """'clinic_hours' or 'after_hours' at `moment` (aware): the clinic's own hours, `[clinic]
        open/close/days` (the SOP's "after hours", SOP 5 Grade 2)."""
        return "clinic_hours" if in_clinic_hours(self.hours, moment) else "after_hours"

    def chain_for(self, shift: str) -> list[dict[str, Any]]:
        """The staff named in `[rota] <shift>` who are active and have a phone, in order: [{"name", "phone"}];
        the `[[oncall]]` chain when none is."""
        names = self.effective["rota"][shift]
        if names and self.db is not None:
            marks = ", ".join("?" for _ in names)
            found = {row["name"]: row["phone"] for row in self.db.execute(
                f"SELECT name, phone FROM staff WHERE active = 1 AND phone IS NOT NULL AND name IN ({marks})", names)}
            chain = [{"name": name, "phone": found[name]} for name in names if name in found]
            if chain:
                return chain
        configured: list[dict[str, Any]] = self.effective["oncall"]
        return configured

    @property
    def clinic_phone(self) -> str:
        """The clinic's phone number patients are told to call (`[clinic] phone`, E.164)."""
        phone: str = self.effective["clinic"]["phone"]
        return phone

    @property
    def from_number(self) -> str:
        """The number texts to patients and caregivers are sent from (`[sms] from_number`, E.164)."""
        number: str = self.config["sms"]["from_number"]
        return number

    @property
    def pager_number(self) -> str:
        """The number pages, calls and texts to staff are sent from: `[sms] pager_number` (E.164), else
        `from_number` when it is empty."""
        return self.own_pager or self.from_number

    @property
    def own_pager(self) -> str:
        """`[sms] pager_number` (E.164; the config refuses it equal to `from_number`), or "" when none is set."""
        number: str = self.config["sms"].get("pager_number") or ""
        return number

    def own_number(self, phone: str, whose: str = "the patient's") -> str | None:
        """Why `phone` (E.164) cannot be a patient's, a caregiver's or (`whose` "the nurse's") a staff phone: it is
        the clinic's phone (a desk line: texts to it reach no one) or a number the service texts from ([sms]
        from_number, pager_number: texts to itself fail); else None."""
        return clinic_own_number(phone, self.clinic_phone, (self.from_number, self.own_pager), whose)

    def is_pager(self, number: str | None) -> bool:
        """Whether `number` is the clinic's own pager number (`[sms] pager_number`, set and in force now)."""
        return bool(number) and number == self.own_pager

    def local(self, moment: datetime) -> datetime:
        """`moment` (aware) in the clinic's time zone."""
        return moment.astimezone(self.tz)

    def dashboard_url(self, path: str = "") -> str:
        """The dashboard address nurse texts and calls link to: the live setting (an admin's edit on the
        settings page applies at once, in every process), else [sms] public_base_url, else localhost."""
        base: str = (self.effective["clinic"]["dashboard_url"] or self.config["sms"]["public_base_url"]
                     or "http://localhost:5000")
        return base.rstrip("/") + path

    def audit(self, actor: str, action: str, subject: str | None = None, *, at: datetime | None = None,
              **detail: Any) -> None:
        """Append who did what to the audit log (inside the caller's transaction): `action` such as
        'alert.acknowledge', `subject` such as 'alert:7', `detail` as JSON, at `at` (aware UTC; None reads
        the clock, for callers that do not pass their time yet)."""
        self.db.execute(
            "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            [to_text(at or utcnow()), actor, action, subject, dumps(detail)],
        )


def open_clinic(config: dict[str, Any], db: sqlite_utils.Database | None = None) -> Clinic:
    """The clinic on `db` (else a new connection), with the stored settings edits: one per request or job."""
    from monitoring.store import connect

    db = db or connect(config["database"]["path"])
    version, overrides = _read_settings(db)
    return Clinic(db=db, config=config, overrides=overrides, settings_version=version)


# The settings edits last read on each connection, with the version they were read at (stored_settings).
_SETTINGS_CACHE: weakref.WeakKeyDictionary[sqlite_utils.Database, tuple[int, dict[str, Any]]] = (
    weakref.WeakKeyDictionary())


def stored_settings(db: sqlite_utils.Database) -> dict[str, Any]:
    """The settings table's edits {"section.key": value}, read again only when they changed: the table's
    triggers bump `settings_version` on every insert, update and delete (whoever writes, in any process),
    so a request on a kept connection reads one row instead of the schema and the table (issue 19). A
    database without the version (before its migration, or not initialised) is read as before."""
    return _read_settings(db)[1]


def _read_settings(db: sqlite_utils.Database) -> tuple[int | None, dict[str, Any]]:
    """stored_settings, with the settings_version they were read at (None: the database has none)."""
    from monitoring.store import loads

    try:
        version = db.conn.execute("SELECT version FROM settings_version WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # no such table: an older or an empty database
        version = None
    cached = _SETTINGS_CACHE.get(db)
    if version is not None and cached is not None and cached[0] == version[0]:
        return version[0], dict(cached[1])
    overrides: dict[str, Any] = {}
    if version is not None or "settings" in db.table_names():
        overrides = {row["key"]: loads(row["value"]) for row in db.execute("SELECT key, value FROM settings")}
    if version is not None:
        _SETTINGS_CACHE[db] = (version[0], overrides)
    else:
        _SETTINGS_CACHE.pop(db, None)
    return (None if version is None else version[0]), dict(overrides)


@contextlib.contextmanager
def command_clinic(config: dict[str, Any]) -> Iterator[Clinic]:
    """The clinic for one command-line command: refuses an uninitialised or newer database, turns a
    ServiceError into one line and exit status 1 (click.ClickException), and always closes the connection.
    Every command module opens its clinic through this."""
    from monitoring.store import require_current, schema_version

    opened = open_clinic(config)
    try:
        require_current(opened.db)
        if schema_version(opened.db) == 0:
            raise click.ClickException("the database is not initialised; run: flask --app app init-db")
        yield opened
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    finally:
        opened.db.close()
