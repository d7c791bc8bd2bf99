"""The clinic's settings: embedded defaults (the SOP's numbers), a TOML file or dict over them, validated.

`load(config)` returns a plain nested dict; every problem raises `ConfigError` whose message is one
line naming the key and what it accepts. `config.example.toml` documents every key.
"""
from __future__ import annotations

import copy
import os
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import phonenumbers

from messages.texts import plain_punctuation
from triage.model import ClinicHours, Thresholds
from triage.ranges import THRESHOLD_RANGES

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DEFAULTS: dict[str, Any] = {
    "clinic": {
        "name": "Example Cancer Center",
        "phone": "+15555550100",
        "timezone": "America/Chicago",
        "open": "08:00",
        "close": "17:00",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "dashboard_url": "",  # where nurse texts link to; empty: [sms] public_base_url, else localhost
    },
    "database": {"path": "instance/crswatch.db"},
    "sms": {
        "backend": "outbox",
        "from_number": "+15555550123",
        "public_base_url": "",
        "webhook_overrides": "",  # Twilio connection overrides on the webhook URL, e.g. "rc=3&rp=ct,rt,5xx"
        "max_per_second": 1.0,  # a US long code's sending limit
        "retry_for_minutes": 60,  # retryable failures are retried with backoff for this long
        # Issue 19: a Twilio Messaging Service (MG...) sends instead of from_number, through its pool of this
        # many senders, each at max_per_second; "" sends from from_number
        "messaging_service_sid": "",
        "messaging_service_senders": 1,
        # prompts falling due together leave over at most this many minutes, as fast as the senders allow; 0: at once
        "prompt_spread_minutes": 5,
        "twilio": {"account_sid": "", "auth_token": ""},
    },
    "scheduler": {"enabled": True, "poll_seconds": 5, "lease_seconds": 30},
    "checkins": {
        "interval_minutes": 120,  # SOP 5 Grade 1 Home: "check temperature every 1-2 h"
        "febrile_interval_minutes": 60,  # while the last temperature was febrile: the 1 h end
        # Not SOP numbers: the clinic's choices for a 2-hourly check-in (DESIGN: silence is a symptom).
        "reminder_after_minutes": 15,
        "missed_after_minutes": 45,
        "escalate_after_missed": 2,
        "monitoring_hours": 72,  # the step-up dose's usual CRS window; SOP 4 names only 1-2 h on site
        "quiet_start": "",  # none by default: the SOP says every 1-2 h, day and night
        "quiet_end": "",
        # Issue 13: the caregiver's daily neuro check (SOP 4: "assess for concurrent symptoms of
        # neurotoxicity"), clinic time; "" turns it off. The clinic's choice of hour, not an SOP number.
        "neuro_check_time": "10:00",
    },
    "thresholds": {
        "fever_c": 38.0,
        "systolic_floor": 90,
        "systolic_drop": 10,
        "spo2_floor": 90,
        "acetaminophen_interval_hours": 6.0,
        "acetaminophen_max_daily_mg": 4000,
        "protracted_fever_hours": 48.0,
        "prolonged_symptoms_days": 7.0,
    },
    "escalation": {
        "ack_timeout_minutes": 15,
        # Not SOP numbers: the clinic's paging choices (issue 12, CONTRACT 8).
        "call_after_minutes": 5,  # an urgent alert not acknowledged this long calls the nurse; 0: no calls
        "page_callback_number": True,  # pages carry the patient's number; off where pagers are not secure
    },
    "web": {
        "secret_key": "",
        "max_request_kb": 64,
        "idle_minutes": 15,  # HIPAA 164.312(a)(2)(iii) automatic logoff; background refreshes do not count
        "session_hours": 12,  # a sign-in lasts at most one shift, however active
        "api_token_days": 365,  # how long a new staff API token works
        "trusted_proxies": 0,  # reverse proxies in front whose X-Forwarded-For/-Proto are believed
        "ratelimit_storage_uri": "memory://",  # Flask-Limiter storage: per process, or shared (redis://...)
    },
    # FHIR R4 API (docs/fhir.md): the system URI of the clinic's MRNs, and the largest device Bundle accepted
    "fhir": {"mrn_system": "https://crswatch.org/fhir/NamingSystem/mrn", "max_bundle_kb": 1024},
    # Staff members (by name, each with a phone on the staff page) on call, in paging order: one chain for
    # clinic hours, one for nights and weekends. Empty: the [[oncall]] chain below (issue 12).
    "rota": {"clinic_hours": [], "after_hours": []},
    "oncall": [{"name": "Primary nurse", "phone": "+15555550142"}],
}

# Allowed ranges for numbers a clinic may change. Clinical thresholds come from triage, which owns
# what the SOP can reasonably mean; anything wider is a typo, not a policy.
RANGES: dict[str, tuple[float, float]] = {
    **{f"thresholds.{key}": bounds for key, bounds in THRESHOLD_RANGES.items()},
    "checkins.interval_minutes": (15, 240),
    "checkins.febrile_interval_minutes": (15, 240),
    "checkins.reminder_after_minutes": (1, 120),
    "checkins.missed_after_minutes": (2, 240),
    "checkins.escalate_after_missed": (1, 10),
    "checkins.monitoring_hours": (1, 24 * 14),
    "escalation.ack_timeout_minutes": (1, 120),
    "escalation.call_after_minutes": (0, 120),
    "sms.max_per_second": (0.1, 100),
    "sms.retry_for_minutes": (1, 24 * 60),
    "sms.messaging_service_senders": (1, 400),  # Twilio: a Messaging Service pools up to 400 senders
    "sms.prompt_spread_minutes": (0, 30),
    "scheduler.poll_seconds": (1, 60),
    "scheduler.lease_seconds": (5, 600),
    "web.max_request_kb": (4, 10_240),
    "fhir.max_bundle_kb": (64, 10_240),
    "web.idle_minutes": (2, 120),
    "web.session_hours": (1, 24),
    "web.api_token_days": (1, 3650),
    "web.trusted_proxies": (0, 5),
}

CHOICES = {"sms.backend": ("outbox", "twilio")}
PHONES = ("clinic.phone", "sms.from_number")


class ConfigError(click.ClickException):
    """A setting the service cannot start with; the message names the key. Exit status 2."""

    exit_code = 2

    def __init__(self, key: str, problem: str):
        super().__init__(f"config: {key}: {problem}")
        self.key = key


def load(config: str | os.PathLike | dict | None) -> dict:
    """Defaults, overlaid with `config` (a TOML path or a nested dict), validated."""
    if config is None:
        config = os.environ.get("CRS_CONFIG") or {}
    if isinstance(config, (str, os.PathLike)):
        path = Path(config)
        try:
            with path.open("rb") as handle:
                config = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError("CRS_CONFIG", f"no file at {path}; copy config.example.toml there") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(str(path), f"not valid TOML ({error})") from None
    if not isinstance(config, dict):
        raise ConfigError("config", "must be a path to a TOML file or a dict")
    merged = copy.deepcopy(DEFAULTS)
    _overlay(merged, config, "")
    _validate(merged)
    return merged


def _overlay(into: dict, extra: dict, prefix: str) -> None:
    for key, value in extra.items():
        dotted = f"{prefix}{key}"
        if key not in into:
            known = ", ".join(sorted(into))
            raise ConfigError(dotted, f"unknown key; known keys here: {known}")
        default = into[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(dotted, "must be a table")
            _overlay(default, value, dotted + ".")
        elif key == "oncall":
            into[key] = _oncall(value)
        else:
            into[key] = _typed(dotted, value, default)


def _typed(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be true or false, not {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(key, f"must be a whole number, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > 1e9:
            raise ConfigError(key, f"must be a number, not {str(value)[:20]!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, not {value!r}")
        return value
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(key, f"must be a list of strings, not {value!r}")
        return value
    raise ConfigError(key, "cannot be set")  # pragma: no cover - every default has a type above


def _oncall(value: Any) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise ConfigError("oncall", "must be a non-empty list of {name, phone} tables")
    chain = []
    for index, person in enumerate(value):
        key = f"oncall[{index}]"
        if not isinstance(person, dict) or set(person) - {"name", "phone"} or not {"name", "phone"} <= set(person):
            raise ConfigError(key, "must have exactly the keys name and phone")
        if not isinstance(person["name"], str) or not person["name"].strip():
            raise ConfigError(f"{key}.name", "must be a non-empty string")
        chain.append({"name": person["name"].strip(), "phone": e164(f"{key}.phone", person["phone"])})
    return chain


def e164(key: str, value: Any) -> str:
    """Normalise a phone number to E.164 or raise ConfigError naming `key`."""
    if not isinstance(value, str) or not value.startswith("+"):
        raise ConfigError(key, f"must be an E.164 phone number like +15555550100, not {value!r}")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ConfigError(key, f"must be an E.164 phone number like +15555550100, not {value!r}") from None
    if not phonenumbers.is_possible_number(number):
        raise ConfigError(key, f"must be an E.164 phone number like +15555550100, not {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_clock(key: str, value: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ConfigError(key, f"must be a 24-hour time like 08:00, not {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def _validate(config: dict) -> None:
    for dotted, (low, high) in RANGES.items():
        section, key = dotted.split(".")
        value = config[section][key]
        if not low <= value <= high:
            raise ConfigError(dotted, f"must be between {low:g} and {high:g}, not {value!r}")
    for dotted, allowed in CHOICES.items():
        section, key = dotted.split(".")
        if config[section][key] not in allowed:
            raise ConfigError(dotted, f"must be one of {', '.join(allowed)}, not {config[section][key]!r}")
    for dotted in PHONES:
        section, key = dotted.split(".")
        config[section][key] = e164(dotted, config[section][key])
    clinic = config["clinic"]
    # Where a text's inserted values enter (this file and the settings page both pass here): a curly
    # apostrophe in "St. Mary’s" would turn every text into UCS-2.
    clinic["name"] = plain_punctuation(clinic["name"])
    for person in config["oncall"]:
        person["name"] = plain_punctuation(person["name"])
    try:
        ZoneInfo(clinic["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("clinic.timezone", f"must be an IANA time zone like America/Chicago, not {clinic['timezone']!r}") from None
    opens, closes = parse_clock("clinic.open", clinic["open"]), parse_clock("clinic.close", clinic["close"])
    if closes <= opens:
        raise ConfigError("clinic.close", f"must be later than clinic.open ({clinic['open']})")
    if not clinic["name"].strip():
        raise ConfigError("clinic.name", "must not be empty: patients see it in every prompt")
    if len(clinic["name"]) > 40:
        raise ConfigError("clinic.name", "must be at most 40 characters: it starts every prompt, which must stay short")
    bad_days = [day for day in clinic["days"] if day not in DAYS]
    if not clinic["days"]:
        raise ConfigError("clinic.days", f"must name at least one day among {', '.join(DAYS)}")
    if bad_days:
        raise ConfigError("clinic.days", f"must be days among {', '.join(DAYS)}, not {bad_days}")
    checkins = config["checkins"]
    if not checkins["reminder_after_minutes"] < checkins["missed_after_minutes"] < checkins["interval_minutes"]:
        raise ConfigError("checkins.missed_after_minutes",
                          "must be later than reminder_after_minutes and sooner than interval_minutes")
    if checkins["missed_after_minutes"] >= checkins["febrile_interval_minutes"]:
        raise ConfigError("checkins.febrile_interval_minutes", "must be longer than missed_after_minutes")
    quiet = (checkins["quiet_start"], checkins["quiet_end"])
    if bool(quiet[0]) != bool(quiet[1]):
        raise ConfigError("checkins.quiet_end", "set both quiet_start and quiet_end, or neither")
    if quiet[0]:
        parse_clock("checkins.quiet_start", quiet[0])
        parse_clock("checkins.quiet_end", quiet[1])
    if checkins["neuro_check_time"]:
        parse_clock("checkins.neuro_check_time", checkins["neuro_check_time"])
    service = config["sms"]["messaging_service_sid"]
    if service and not re.fullmatch(r"MG[0-9a-f]{32}", service):
        raise ConfigError("sms.messaging_service_sid", f"must be a Messaging Service SID like MG followed by 32 hex "
                                                       f"digits, or empty to send from sms.from_number; not {service!r}")
    if config["sms"]["backend"] == "twilio":
        for key in ("account_sid", "auth_token"):
            if not config["sms"]["twilio"][key]:
                raise ConfigError(f"sms.twilio.{key}", "must be set when sms.backend is twilio")
        _no_examples_on_twilio(config)
    if not re.fullmatch(r"(https?://[^\s]+|urn:[a-z0-9][a-z0-9-]*:[^\s]+)", config["fhir"]["mrn_system"]):
        raise ConfigError("fhir.mrn_system", "must be a URI like https://ehr.example.org/mrn or urn:oid:1.2.3, "
                                             f"not {config['fhir']['mrn_system']!r}")
    storage = config["web"]["ratelimit_storage_uri"]
    if not re.fullmatch(r"(memory|redis|rediss|redis\+cluster|redis\+sentinel|memcached|mongodb|valkey)://\S*", storage):
        raise ConfigError("web.ratelimit_storage_uri", f"must be memory:// or a Flask-Limiter storage URI like "
                                                       f"redis://host:6379, not {storage!r}")
    if config["web"]["idle_minutes"] >= config["web"]["session_hours"] * 60:
        raise ConfigError("web.idle_minutes", "must be shorter than web.session_hours")
    for dotted in ("sms.public_base_url", "clinic.dashboard_url"):
        section, key = dotted.split(".")
        base = config[section][key]
        if base and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base):
            raise ConfigError(dotted, f"must be an http(s) address like https://monitor.example.org, not {base!r}")


def _is_example_number(phone: str) -> bool:
    """555-0100 to 555-0199 are fictional numbers in every North American area code."""
    return phone.startswith("+1") and phone[5:9] == "5550" and phone[9:10] == "1"


def _no_examples_on_twilio(config: dict) -> None:
    """Real texts must not go to the example numbers nor link nurses to localhost."""
    if not config["sms"]["public_base_url"]:
        raise ConfigError("sms.public_base_url", "must be set when sms.backend is twilio: Twilio calls it, "
                                                 "signatures are checked over it and nurse texts link to it")
    if _is_example_number(config["clinic"]["phone"]):
        raise ConfigError("clinic.phone", "is still the example number; set the number patients should call")
    if _is_example_number(config["sms"]["from_number"]):
        raise ConfigError("sms.from_number", "is still the example number; set your Twilio number")
    for index, person in enumerate(config["oncall"]):
        if _is_example_number(person["phone"]):
            raise ConfigError(f"oncall[{index}].phone", "is still an example number; set the on-call nurse's phone")


def thresholds(config: dict) -> Thresholds:
    """The frozen thresholds triage works with."""
    return Thresholds(**config["thresholds"])


def clinic_hours(config: dict) -> ClinicHours:
    clinic = config["clinic"]
    return ClinicHours(
        timezone=clinic["timezone"],
        open=parse_clock("clinic.open", clinic["open"]),
        close=parse_clock("clinic.close", clinic["close"]),
        days=frozenset(clinic["days"]),
    )
