"""The clinic's settings: a TOML file or dict validated by the one model of every setting (config_model).

`load(config)` returns a plain nested dict (the model's defaults where the file says nothing); every
problem raises `ConfigError` whose message is one line naming the key and what it accepts.
`config.example.toml`, the manual of every key, is written from the model:
`python -m monitoring.config example > config.example.toml` (a test fails when the two differ).
"""
from __future__ import annotations

import json
import os
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from pydantic_core import ErrorDetails

from monitoring.config_model import Described, Settings, describe, described, editable_sections, table_of
from monitoring.config_types import DAYS, ConfigError, normalised_phone, parse_clock
from triage.model import ClinicHours, Thresholds

__all__ = ["DAYS", "DEFAULTS", "ConfigError", "Described", "clinic_hours", "describe", "described", "e164",
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
    try:
        return Settings.model_validate(config).model_dump()
    except ModelError as error:
        raise _one_line(error.errors()[0]) from None


def _one_line(error: ErrorDetails) -> ConfigError:
    """The first problem pydantic found, as the ConfigError naming its key."""
    loc = error["loc"]
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = ".".join(str(part) for part in loc[:-1])
        known = sorted(table_of(parent).model_fields) if parent else sorted(Settings.model_fields)
        return ConfigError(key, f"unknown key; known keys here: {', '.join(known)}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return ConfigError(key, "must be a table")
    if kind in ("greater_than_equal", "less_than_equal"):
        row = describe(key)
        return ConfigError(key, f"must be between {row.low:g} and {row.high:g}, not {error['input']!r}")
    return ConfigError(key, error["msg"])


def e164(key: str, value: Any) -> str:
    """Normalise a phone number to E.164 or raise ConfigError naming `key`."""
    phone = normalised_phone(value)
    if phone is None:
        raise ConfigError(key, f"must be an E.164 phone number like +15555550100, not {value!r}")
    return phone


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
