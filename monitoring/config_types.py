"""The kinds of value a setting takes, each refusing a wrong value in the words the config file's reader needs.

A field's problem is a `PydanticCustomError` whose message is what follows the key in the one-line
`ConfigError` (monitoring.config adds the key from the error's location). Used by the settings model
(monitoring/config_model.py); no setting is described here.
"""
from __future__ import annotations

import json
import re
from datetime import time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import phonenumbers
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from messages.texts import plain_punctuation

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAY_NAMES = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
                  "saturday": "sat", "sunday": "sun"}
BACKENDS = ("outbox", "twilio")


class ConfigError(click.ClickException):
    """A setting the service cannot start with; the message names the key. Exit status 2."""

    exit_code = 2

    def __init__(self, key: str, problem: str):
        super().__init__(f"config: {key}: {problem}")
        self.key = key


def problem(text: str) -> PydanticCustomError:
    """A field's problem in words (what follows 'config: KEY: ')."""
    return PydanticCustomError("setting", "{problem}", {"problem": text})


# --- value types: each refuses a wrong type with the words the config file's reader needs -----------------

def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise problem(f"must be true or false, not {value!r}")
    return value


def _whole(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise problem(f"must be a whole number, not {value!r}")
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > 1e9:
        raise problem(f"must be a number, not {str(value)[:20]!r}")
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise problem(f"must be a string, not {value!r}")
    return value


def _words(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        hint = ""
        if isinstance(value, str) and value.strip() and not re.search(r"\w-\w", value):  # "mon, tue", "A, B"
            items = [item.strip() for item in value.split(",") if item.strip()]
            hint = f"; write it as [{', '.join(json.dumps(item, ensure_ascii=False) for item in items)}]"
        raise problem(f"must be a list of strings, not {value!r}{hint}")
    return list(value)


def normalised_phone(value: object) -> str | None:
    """`value` as E.164 (+15555550100), or None when it is not a possible phone number."""
    if not isinstance(value, str) or not value.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(value: object) -> str:
    phone = normalised_phone(value)
    if phone is None:
        meant = normalised_phone(f"+1{re.sub(r'[^0-9]', '', value).removeprefix('1')}") if isinstance(value, str) else None
        hint = f" (a US number? write {meant})" if meant and len(re.sub(r"[^0-9]", "", str(value))) in (10, 11) else ""
        raise problem(f"must be an E.164 phone number like +15555550100, not {value!r}{hint}")
    return phone


def _phone_or_empty(value: object) -> str:
    return "" if isinstance(value, str) and not value.strip() else _phone(value)


def clinic_own_number(phone: str, clinic_phone: str, sends_from: tuple[str, ...], whose: str) -> str | None:
    """Why `phone` (E.164) cannot be `whose` own phone ("the patient's", "the nurse's"): it is the clinic's phone
    (`clinic_phone`, a desk line: texts to it reach no one) or a number the service texts from (`sends_from`: [sms]
    from_number and pager_number; texts to itself fail); else None. The one wording of the check for a patient's,
    a caregiver's, a staff member's and an `[[oncall]]` phone."""
    if phone == clinic_phone:
        return f"{phone} is the clinic's phone (the number patients are told to call); enter {whose} own mobile"
    if phone in sends_from:
        return f"{phone} is the number the service texts from; enter {whose} own mobile"
    return None


CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _clock_text(value: object) -> str:
    """A time of day as the file may write it: "08:00", or a TOML time without quotes (08:00, 08:00:00)."""
    if isinstance(value, time) and not value.second and not value.microsecond and value.tzinfo is None:
        return value.strftime("%H:%M")
    if not isinstance(value, str):
        raise problem(f'must be a 24-hour time in quotes, like "08:00", not {value!r}')
    return value


def _clock(value: str) -> str:
    if not CLOCK.fullmatch(value.strip()):
        raise problem(f"must be a 24-hour time like 08:00, not {value!r}")
    return value


def site_address(value: str) -> str:
    """`clinic.dashboard_url` and `sms.public_base_url` as the site's address, which the service adds its own paths
    to ("/dashboard/alerts/<id>" in nurse texts; "/sms/inbound" when it checks Twilio's signatures): an address
    copied from the browser ("https://host/dashboard/alerts/12") or the webhook's own ("https://host/sms/inbound")
    is cut before that path. Else the links were ".../dashboard/dashboard/alerts/1" and every text's signature was
    checked over ".../sms/inbound/sms/inbound" and refused. Only the path is cut: a host named "dashboard" or "sms"
    stays ("https://sms.example.org")."""
    parts = urlsplit(value.strip())
    path = re.sub(r"/(dashboard|sms|voice)(/.*)?$", "", parts.path).rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _clock_or_empty(value: str) -> str:
    return _clock(value) if value else value


def known_backend(value: str) -> str:
    """`sms.backend`: one of BACKENDS (outbox, twilio, ...); else a problem naming them."""
    if value not in BACKENDS:
        raise problem(f"must be one of {', '.join(BACKENDS)}, not {value!r}")
    return value


def messaging_service(value: str) -> str:
    """A Twilio Messaging Service SID ("MG" + 32 hex digits, https://www.twilio.com/docs/messaging/services),
    or empty to send from `sms.from_number`."""
    if value and not re.fullmatch(r"MG[0-9a-f]{32}", value):
        raise problem(f"must be a Messaging Service SID like MG followed by 32 hex digits, or empty to send from "
                      f"sms.from_number; not {value!r}")
    return value


def _address(value: str) -> str:
    if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise problem(f"must be an http(s) address like https://monitor.example.org, not {value!r}")
    return value


def time_zone(value: str) -> str:
    """An IANA time zone name Python's zoneinfo knows (America/Chicago); else a problem with an example."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f"must be an IANA time zone like America/Chicago, not {value!r}") from None
    return value


def clinic_name(value: str) -> str:
    """`clinic.name` with plain punctuation (GSM-7 texts), 1 to 40 characters: it starts every prompt."""
    # Where a text's inserted values enter (the file and the settings page both pass here): a curly
    # apostrophe in "St. Mary’s" would turn every text into UCS-2.
    value = plain_punctuation(value)
    if not value.strip():
        raise problem("must not be empty: patients see it in every prompt")
    if len(value) > 40:
        raise problem("must be at most 40 characters: it starts every prompt, which must stay short")
    return value


def open_days(value: list[str]) -> list[str]:
    """`clinic.days`: at least one of DAYS (mon ... sun), in any case, a day's full name read as its three letters
    ("Monday": mon); else a problem naming the bad ones."""
    if not value:
        raise problem(f"must name at least one day among {', '.join(DAYS)}")
    days = [day.strip().lower() for day in value]
    # a full name is its own day only: "monday to friday" ends in a day's name too, and was read as mon
    days = [FULL_DAY_NAMES.get(day, day) for day in days]
    bad = [original for original, day in zip(value, days, strict=True) if day not in DAYS]
    if bad:
        ranged = any(re.search(r"\w\s*(-|–|to|through|thru)\s*\w", original, re.IGNORECASE) for original in bad)
        hint = "; a range is each day, like mon, tue, wed, thu, fri" if ranged else ""
        raise problem(f"must be days among {', '.join(DAYS)}, not {', '.join(bad)}{hint}")
    return days


def mrn_uri(value: str) -> str:
    """`fhir.mrn_system`: an http(s) URI or a URN (the Identifier.system of the clinic's MRNs, FHIR R4)."""
    if not re.fullmatch(r"(https?://[^\s]+|urn:[a-z0-9][a-z0-9-]*:[^\s]+)", value):
        raise problem(f"must be a URI like https://ehr.example.org/mrn or urn:oid:1.2.3, not {value!r}")
    return value


def storage_uri(value: str) -> str:
    """`web.ratelimit_storage_uri`: memory:// or a Flask-Limiter storage URI (redis://host:6379, ...)."""
    if not re.fullmatch(r"(memory|redis|rediss|redis\+cluster|redis\+sentinel|memcached|mongodb|valkey)://\S*", value):
        raise problem(f"must be memory:// or a Flask-Limiter storage URI like redis://host:6379, not {value!r}")
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]
Whole = Annotated[int, BeforeValidator(_whole)]
Number = Annotated[float, BeforeValidator(_number)]
Text = Annotated[str, BeforeValidator(_text)]
Words = Annotated[list[str], BeforeValidator(_words)]
Phone = Annotated[str, BeforeValidator(_phone)]
OptionalPhone = Annotated[str, BeforeValidator(_phone_or_empty)]
Clock = Annotated[str, BeforeValidator(_clock_text), AfterValidator(_clock)]
OptionalClock = Annotated[str, BeforeValidator(_clock_text), AfterValidator(_clock_or_empty)]
Address = Annotated[Text, AfterValidator(_address)]


def person_name(value: object) -> str:
    """A rota entry's staff name: a non-empty string, trimmed, with plain punctuation."""
    if not isinstance(value, str) or not value.strip():
        raise problem("must be a non-empty string")
    return plain_punctuation(value.strip())


def session_secret(value: str) -> str:
    """`web.secret_key`: empty (a key is made and kept beside the database) or at least 16 characters: it signs every
    dashboard session, and a short one ("changeme") is guessed offline from one cookie."""
    if value and len(value) < 16:
        raise problem("must be at least 16 characters (it signs every sign-in), like the output of "
                      "python3 -c 'import secrets; print(secrets.token_hex(32))', or empty to have one made")
    return value


def database_file(value: str) -> str:
    """`database.path`: a file. SQLite makes a private temporary database for "" (and a private one in memory for
    ":memory:") on each connection: the service would start and keep nothing."""
    if value.strip() in ("", ":memory:"):
        raise problem(f"must be a file path, like instance/crswatch.db, not {value!r}: that keeps nothing")
    if Path(value).is_dir():
        raise problem(f"{value} is a folder; name a file in it, like {Path(value) / 'crswatch.db'}")
    return value


def on_call_chain(value: object) -> object:
    """The rota's `oncall` chain: a non-empty list of {name, phone} tables (each checked by its own model)."""
    if not isinstance(value, list) or not value:
        # `[oncall]` with one pair of brackets is one table, not a list: TOML's list of tables takes two
        hint = "; write [[oncall]] (two brackets) above each person's name and phone" if isinstance(value, dict) else ""
        raise problem(f"must be a non-empty list of {{name, phone}} tables{hint}")
    return value


def is_example_number(phone: str) -> bool:
    """555-0100 to 555-0199 are fictional numbers in every North American area code."""
    return phone.startswith("+1") and phone[5:9] == "5550" and phone[9:10] == "1"


def parse_clock(key: str, value: str) -> time:
    """'08:00' as a time of day; ConfigError naming `key` when it is not a 24-hour HH:MM."""
    match = CLOCK.fullmatch(value.strip())
    if not match:
        raise ConfigError(key, f"must be a 24-hour time like 08:00, not {value!r}")
    return time(int(match.group(1)), int(match.group(2)))
