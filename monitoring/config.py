"""The clinic's settings: a TOML file or dict validated by the one model of every setting (config_model).

`load(config)` returns a plain nested dict (the model's defaults where the file says nothing); every
problem raises `ConfigError` whose message is one line naming the key and what it accepts.
`config.example.toml`, the manual of every key, is written from the model:
`python -m monitoring.config example > config.example.toml` (a test fails when the two differ).
"""
from __future__ import annotations

import difflib
import json
import os
import re
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from pydantic_core import ErrorDetails

from monitoring.config_model import Described, Settings, describe, described, editable_sections, table_of
from monitoring.config_types import DAYS, ConfigError, parse_clock
from triage.model import ClinicHours, Thresholds

__all__ = ["DAYS", "DEFAULTS", "ConfigError", "Described", "clinic_hours", "describe", "described",
           "editable_sections", "example_toml", "load", "parse_clock", "thresholds"]


_ONCALL = Settings.model_fields["oncall"].json_schema_extra
ONCALL_LABEL = str(_ONCALL["label"]) if isinstance(_ONCALL, dict) else "oncall"  # the settings page's name for it

# The defaults as the plain dict `load` returns, derived from the model (never edited by hand).
DEFAULTS: dict[str, Any] = Settings().model_dump()


def load(config: str | os.PathLike[str] | dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, overlaid with `config` (a TOML path or a nested dict), validated: a new nested dict.
    ConfigError (one line naming the key, exit status 2) for a missing file, bad TOML or a bad value."""
    if config is None:
        config = os.environ.get("CRS_CONFIG") or {}
    if isinstance(config, (str, os.PathLike)):
        config = _read_toml(Path(config))
    if not isinstance(config, dict):
        raise ConfigError("config", "must be a path to a TOML file or a dict")
    try:
        return Settings.model_validate(config).model_dump()
    except ModelError as error:
        raise _one_line(error.errors()[0]) from None


CURLY_QUOTES = "\u201c\u201d\u2018\u2019"


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML file at `path` as a dict; ConfigError (one line) for a file that is missing or unreadable, not
    UTF-8 (a file Windows saved as "ANSI", Windows-1252), or not TOML. A UTF-8 byte order mark (Notepad's
    "UTF-8 with BOM") is read past."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("CRS_CONFIG", f"no file at {path}; copy config.example.toml there") from None
    except OSError as error:  # a folder, no permission
        raise ConfigError("CRS_CONFIG", f"cannot read {path} ({error.strerror or error}); point CRS_CONFIG at the "
                                        "TOML file and let the service read it") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise ConfigError(str(path), f"is not UTF-8 text (line {line}, column {column}); save it as UTF-8 "
                                     "(in Notepad: Save as, Encoding: UTF-8)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), f"not valid TOML ({error}){_toml_hint(text, str(error))}") from None


def _toml_hint(text: str, error: str) -> str:
    """What to do about a TOML error, from the line it names: the line as it reads and the usual slip on it."""
    at = re.search(r"at line (\d+)", error)
    lines = text.splitlines()
    if at is None or not 0 < int(at.group(1)) <= len(lines):
        return ""
    line = lines[int(at.group(1)) - 1].strip()
    hint = f"; line {at.group(1)} reads: {line[:60]}"
    key, equals, value = line.partition("=")
    value = value.strip()
    if any(mark in line for mark in CURLY_QUOTES):  # a word processor's or a mail program's quotes
        return hint + '; it has curly quotes (\u201c \u201d \u2018 \u2019): type straight quotes, like name = "St. Mary\'s"'
    if equals and re.fullmatch(r"\d{1,2}:\d\d(:\d\d)?", value):
        return hint + f'; write a time in quotes, like {key.strip()} = "08:00"'
    if value.lower() in ("yes", "no", "on", "off", "true", "false"):
        return hint + f"; write true or false, in small letters and without quotes, like {key.strip()} = true"
    if equals and value and value[0] not in "\"'[{0123456789+-" and value not in ("true", "false"):
        return hint + '; write text in straight double quotes, like name = "St. Mary\'s"'
    return hint


def _one_line(error: ErrorDetails) -> ConfigError:
    """The first problem pydantic found, as the ConfigError naming its key."""
    loc = error["loc"]
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = ".".join(str(part) for part in loc[:-1])
        known = sorted(table_of(parent).model_fields) if parent else sorted(Settings.model_fields)
        homes = [f"[{name}]" for name in Settings.model_fields if not parent and name != "oncall"
                 and loc[-1] in table_of(name).model_fields]
        if homes:  # `name = ...` above any [table] line: the [clinic] line left out
            return ConfigError(key, f"unknown key at the top of the file; it belongs under a {' or '.join(homes)} line "
                                    "above it")
        if parent and "." not in parent:  # `fever_c` under [clinic]: a key of another table, named where it goes
            elsewhere = [f"[{name}]" for name in Settings.model_fields if name not in (parent, "oncall")
                         and loc[-1] in table_of(name).model_fields]
            if elsewhere:
                return ConfigError(key, f"unknown key under [{parent}]; it belongs under {' or '.join(elsewhere)}")
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.75)  # `nmae`, `fever_C`, `timezone `
        guess = f"did you mean {close[0]}? " if close else ""
        return ConfigError(key, f"unknown key; {guess}known keys here: {', '.join(known)}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return ConfigError(key, "must be a table")
    if kind in ("greater_than_equal", "less_than_equal"):
        row = describe(key)
        hint = ""
        if row.unit == "°C" and isinstance(error["input"], (int, float)) and 90 <= error["input"] <= 110:
            hint = f": it is in °C ({error['input']:g} °F is {(error['input'] - 32) * 5 / 9:.1f} °C)"  # a US habit
        return ConfigError(key, f"must be between {row.low:g} and {row.high:g}, not {error['input']!r}{hint}")
    return ConfigError(key, error["msg"])


def thresholds(config: dict[str, Any]) -> Thresholds:
    """The frozen thresholds triage works with, from a loaded config's `[thresholds]`."""
    return Thresholds(**config["thresholds"])


def clinic_hours(config: dict[str, Any]) -> ClinicHours:
    """When the clinic answers its phone, from a loaded config's `[clinic]`."""
    clinic = config["clinic"]
    return ClinicHours(
        timezone=clinic["timezone"],
        open=parse_clock("clinic.open", clinic["open"]),
        close=parse_clock("clinic.close", clinic["close"]),
        days=frozenset(clinic["days"]),
    )


# --- config.example.toml, written from the model ----------------------------------------------------------

HEADER = """\
# crswatch settings: the manual of every key.
#
# Copy this file, change what your clinic needs, and point CRS_CONFIG at it:
#     CRS_CONFIG=/etc/crswatch/clinic.toml flask --app app serve
# Every key is optional: what you leave out keeps the default shown here. The defaults are the
# numbers of the clinic's SOP ("Management of CRS Associated with BTCEs"); the SOP line is named
# beside each clinical key. A key crswatch does not know, a value of the wrong type, or a clinical
# threshold outside its allowed range stops the service at start with one line naming the key.
#
# Written from monitoring/config_model.py by `python -m monitoring.config example`: change the model, not this file."""
COMMENT_AT = 38  # the column comments start at
WIDTH = 116


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string, or a list of them


def _comment(row: Described) -> str:
    words = row.help
    if row.sop:
        words += f". {row.sop}"
    if row.low is not None and row.high is not None:
        words += f" ({row.low:g}-{row.high:g}{' ' + row.unit if row.unit else ''})"
    return words


def _lines(row: Described) -> list[str]:
    """`key = default` with its comment from column COMMENT_AT, wrapped under itself."""
    assignment = f"{row.key.rsplit('.', 1)[1]} = {_toml(row.default)}".ljust(COMMENT_AT - 2)
    first, *rest = textwrap.wrap(_comment(row), WIDTH - len(assignment) - 3) or [""]
    rest = textwrap.wrap(" ".join(rest), WIDTH - COMMENT_AT - 4)
    return [f"{assignment} # {first}"] + [f"{'':{COMMENT_AT - 2}} #   {line}" for line in rest]


def _manual(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(" ".join(text.split()), WIDTH - 2)]


def example_toml() -> str:
    """config.example.toml: every table and key in the model's order, each with its default and its comment."""
    out = [HEADER]
    for section in Settings.model_fields:
        if section == "oncall":
            continue
        model = table_of(section)
        out += ["", *_manual(getattr(model, "manual", "")), f"[{section}]"]
        out += [line for row in described(section) for line in _lines(row)]
        for name, sub in model.model_fields.items():
            if isinstance(sub.annotation, type) and issubclass(sub.annotation, BaseModel):
                out += ["", f"[{section}.{name}]"]
                out += [line for row in described(f"{section}.{name}") for line in _lines(row)]
    out += ["", *_manual(Settings.model_fields["oncall"].description or "")]
    for person in Settings().oncall:
        out += ["[[oncall]]", f"name = {_toml(person.name)}", f"phone = {_toml(person.phone)}"]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    """`python -m monitoring.config example`: print config.example.toml as the model describes it."""
    if argv[1:] != ["example"]:
        print("usage: python -m monitoring.config example > config.example.toml", file=sys.stderr)
        return 2
    sys.stdout.write(example_toml())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
