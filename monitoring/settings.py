"""Clinic settings edited by an admin: stored in the database over the config file, every change audited.

The config file stays the default; an edit here wins until removed. Only clinical and scheduling
settings can be edited this way, never the database, SMS credentials or web secrets.
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from monitoring import config as config_module
from monitoring import staff
from monitoring.clinic import Clinic, NotFound, ValidationError
from monitoring.store import dumps, loads, patient_name_by_phone, to_text, transaction

EDITABLE_SECTIONS = tuple(config_module.editable_sections())  # the model marks them (config_model.Table.editable)


def editable_keys() -> list[str]:
    """Every setting an administrator may edit ("section.key", and "oncall"), in the config file's order."""
    return [row.key for section in EDITABLE_SECTIONS for row in config_module.described(section)] + ["oncall"]


def check(clinic: Clinic, changes: Any) -> dict[str, Any]:
    """Validate `{"section.key": value}` changes laid over the effective settings without storing them; return
    the validated config (through the same model as the config file, config_model.Settings). ValidationError
    naming the key at fault (the first problem)."""
    return _validated(clinic, changes)


def update(clinic: Clinic, changes: Any, actor: str, *, now: datetime) -> dict[str, Any]:
    """Apply `{"section.key": value}` changes after validating the whole result (check: ValidationError naming the
    key, nothing stored); each is stored as of `now` (aware UTC from the caller) and
    audited (settings.change, old and new value). Returns the effective config."""
    validated = _validated(clinic, changes)
    stamp = to_text(now)
    with transaction(clinic.db):
        for key in changes:
            value = validated["oncall"] if key == "oncall" else validated[key.split(".")[0]][key.split(".")[1]]
            old = clinic.effective["oncall"] if key == "oncall" else clinic.effective[key.split(".")[0]][key.split(".")[1]]
            clinic.db.execute(
                "INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, "
                "updated_at = excluded.updated_at", [key, dumps(value), actor, stamp])
            clinic.audit(actor, "settings.change", key, old=old, new=value)
    return effective(clinic, stored(clinic))


def _validated(clinic: Clinic, changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise ValidationError('send an object of changes, like {"thresholds.fever_c": 38.0}', "body")
    allowed = set(editable_keys())
    for key in changes:
        if key not in allowed:
            raise ValidationError(f"{key!r} cannot be edited here; editable: {', '.join(sorted(allowed))}", key)
    candidate = copy.deepcopy(clinic.effective)
    for key, value in changes.items():
        if key == "oncall":
            candidate["oncall"] = value
        else:
            section, name = key.split(".", 1)
            candidate[section][name] = value
    try:
        validated = config_module.load(candidate)
    except config_module.ConfigError as error:
        raise ValidationError(error.format_message().removeprefix("config: "), error.key) from None
    if "clinic.phone" in changes:
        phone = validated["clinic"]["phone"]
        patient = patient_name_by_phone(clinic.db, phone)
        if patient is not None:
            raise ValidationError(f"clinic.phone: {phone} is the phone of patient {patient}: every urgent text "
                                  "would tell patients to call them", "clinic.phone")
    if "oncall" in changes:
        for index, person in enumerate(validated["oncall"]):
            field = f"oncall[{index}].phone"
            try:
                staff.check_not_a_patients_phone(clinic, person["phone"], field)
            except ValidationError as error:
                raise ValidationError(f"{field}: {error.message}", field) from None
    for key in changes:
        if key.startswith("rota."):
            from monitoring import rota

            rota.check_names(clinic, key, validated["rota"][key.split(".")[1]])
    return validated


def revert(clinic: Clinic, key: str, actor: str) -> dict[str, Any]:
    """Drop the stored edit of `key` so the config file's value applies again, audited like update()
    (a settings.change with reverted=True); return the effective config. ValidationError for a key that is
    not editable or whose file value clashes with another edit; NotFound (404) for a key not edited."""
    edits = stored(clinic)
    if key not in set(editable_keys()):
        raise ValidationError(f"{key!r} cannot be edited here", "key")
    if key not in edits:
        raise NotFound(f"{key} is not edited: it already has the config file's value", key)
    remaining = {name: value for name, value in edits.items() if name != key}
    try:
        config_module.load(copy.deepcopy(effective(clinic, remaining)))
    except config_module.ConfigError as error:  # the file's value clashes with another edit
        raise ValidationError(error.format_message().removeprefix("config: "), error.key) from None
    old = _value(clinic.effective, key)
    with transaction(clinic.db):
        clinic.db.execute("DELETE FROM settings WHERE key = ?", [key])
        clinic.audit(actor, "settings.change", key, old=old, new=_value(clinic.config, key), reverted=True)
    return effective(clinic, remaining)


def _value(config: dict[str, Any], key: str) -> Any:
    if key == "oncall":
        return config["oncall"]
    section, name = key.split(".", 1)
    return config[section][name]


def stored(clinic: Clinic) -> dict[str, Any]:
    """The stored edits, {"section.key" (or "oncall"): value}."""
    return {row["key"]: loads(row["value"]) for row in clinic.db.execute("SELECT key, value FROM settings")}


def effective(clinic: Clinic, overrides: dict[str, Any]) -> dict[str, Any]:
    """The clinic's config file with `overrides` ({"section.key": value}) laid over it (Clinic.effective)."""
    config: dict[str, Any] = Clinic(db=clinic.db, config=clinic.config, overrides=overrides).effective
    return config


def history(clinic: Clinic, limit: int = 100) -> list[dict[str, Any]]:
    """The last `limit` settings changes, newest first: {"at" (stored UTC text), "by", "key", "old", "new",
    and "reverted" for a revert}."""
    rows = clinic.db.execute(
        "SELECT at, actor, subject, detail FROM audit_log WHERE action = 'settings.change' ORDER BY id DESC LIMIT ?",
        [limit]).fetchall()
    return [{"at": row["at"], "by": row["actor"], "key": row["subject"], **loads(row["detail"], {})} for row in rows]


def public_view(clinic: Clinic) -> dict[str, Any]:
    """The effective settings without secrets: {"effective": {editable section: values, "oncall": [...]},
    "overrides": the stored edits, "history": history()}."""
    current = effective(clinic, stored(clinic))
    shown = {section: current[section] for section in EDITABLE_SECTIONS}
    shown["oncall"] = current["oncall"]
    return {"effective": shown, "overrides": stored(clinic), "history": history(clinic)}
