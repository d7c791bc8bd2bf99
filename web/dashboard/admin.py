"""Admin pages: the clinic's effective settings (edits stored in the database, audited) and staff sign-ins."""
from __future__ import annotations

import json
import re
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from monitoring import config as config_module
from monitoring import rota, sessions, settings, signin, tokens
from monitoring import staff as staff_module
from monitoring.clinic import NotFound, ServiceError, ValidationError
from monitoring.store import from_text, utcnow
from web.context import clinic
from web.dashboard import forms
from web.dashboard.security import admin_required, current_user, idle_timeout, protect

bp = Blueprint("admin", __name__, url_prefix="/dashboard", template_folder="../templates")
protect(bp)

NBSP = "\u00a0"  # keeps a number and its unit on one line
ROTA_SLOTS = 4  # people a chain can hold on the settings page, in paging order


def _shown(value) -> str:
    """A setting's value as the form shows it: lists comma-separated, the on-call chain as name and phone."""
    if isinstance(value, list):
        return "; ".join(f"{item['name']}, {item['phone']}" if isinstance(item, dict) else str(item) for item in value)
    return "" if value is None else str(value)


def short_label(key: str) -> str:
    """What an administrator reads instead of the config key (config_model's label), in messages and the
    change history."""
    if key == "oncall":
        return config_module.ONCALL_LABEL
    try:
        return config_module.describe(key).label
    except KeyError:
        return key.split(".", 1)[-1].replace("_", " ")


def _shown_default(row: config_module.Described) -> str:
    if row.kind == "flag":
        return "yes" if row.default else "no"
    if row.kind == "words":
        return ", ".join(row.default)
    return str(row.default) or "(empty)"


def _rows(effective: dict) -> list[dict]:
    """One row a setting of the page's tables, all it says from the model (config_model)."""
    from_file = clinic().config
    rows = []
    for section in settings.EDITABLE_SECTIONS:
        if section == "rota":  # the on-call fieldset picks these
            continue
        for row in config_module.described(section):
            name = row.key.split(".", 1)[1]
            value = effective[section][name]
            bounds = f"{row.low:g} to {row.high:g}{NBSP + row.unit if row.unit else ''}" if row.low is not None else ""
            help = row.form_help or row.help
            rows.append({
                "key": row.key, "id": row.key.replace(".", "-"), "section": config_module.table_of(section).title,
                "name": row.label, "value": ", ".join(value) if isinstance(value, list) else value,
                "default": _shown_default(row), "file": _shown(from_file[section][name]),
                "help": "; ".join(part for part in (help[:1].upper() + help[1:], bounds) if part), "sop": row.sop,
                "number": row.kind in ("whole", "number"), "boolean": row.kind == "flag",
            })
    return rows


def _parse(key: str, raw: str):
    """A form field's text as the value the model takes (its kind from config_model)."""
    kind = config_module.describe(key).kind
    raw = raw.strip()
    if kind == "words":
        return [item.strip() for item in raw.split(",") if item.strip()]
    if kind == "flag":
        return raw.lower() in ("on", "true", "1", "yes")
    if kind in ("whole", "number"):
        if re.fullmatch(r"\d{1,3}(,\d{3})+", raw):  # 4,000: a thousands separator, not a decimal comma
            raise ValidationError(f"{short_label(key)}: write {raw.replace(',', '')} without the comma", key)
        number = forms.number({key: raw}, key, short_label(key))  # 38,0 reads as 38.0, as in the other forms
        if number is None:
            raise ValidationError(f"{short_label(key)} must be a number", key)
        return int(number) if kind == "whole" and float(number).is_integer() else number
    return raw


def _parse_oncall(raw: str) -> list[dict]:
    chain = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        name, _, phone = line.rpartition(",")
        if not name.strip() or not phone.strip():
            raise ValidationError(f"on-call line {number}: write it as 'Name, +15555550142'", "oncall")
        chain.append({"name": name.strip(), "phone": phone.strip()})
    if not chain:  # the model's words ("a non-empty list of {name, phone} tables") are the config file's
        raise ValidationError("write at least one person to page, one a line: Name, +15555550142", "oncall")
    return chain


def _current(effective: dict, key: str):
    """One editable setting's value in `effective` (settings.public_view's), by its key."""
    if key == "oncall":
        return effective["oncall"]
    section, name = key.split(".", 1)
    return effective[section][name]


def _settings_page(errors: dict | None = None, submitted=None, status: int = 200, conflicts: frozenset = frozenset()):
    """The page; after a refused save, with what was `submitted`, except the `conflicts` (settings someone else
    changed since the page was opened), shown as they are now. Each field carries the value the page showed
    (`shown.<key>`), so a save changes only what the admin changed (_form_changes)."""
    view = settings.public_view(clinic())
    effective = view["effective"]
    rows = _rows(effective)
    if submitted is not None:
        for row in rows:
            if row["key"] in conflicts:
                continue
            row["value"] = submitted.get(row["key"], row["value"])
            if row["boolean"] and isinstance(row["value"], str):  # the form sends "true" or "false"
                row["value"] = row["value"] == "true"
    oncall_text = submitted.get("oncall") if submitted is not None and "oncall" not in conflicts else "\n".join(
        f"{person['name']}, {person['phone']}" for person in effective["oncall"])
    history = [{**change, "at": from_text(change["at"]), "label": short_label(change["key"]),
                "old": _shown(change.get("old")), "new": _shown(change.get("new"))} for change in view["history"]]
    chains = {shift: (submitted.getlist(f"rota.{shift}") if submitted is not None and f"rota.{shift}" not in conflicts
                      else effective["rota"][shift]) for shift in rota.SHIFTS}
    shown = {key: (submitted[f"shown.{key}"] if submitted is not None and key not in conflicts
                   and f"shown.{key}" in submitted else json.dumps(_current(effective, key)))
             for key in settings.editable_keys()}
    return render_template("settings.html", title="Clinic settings", rows=rows, oncall_text=oncall_text,
                           oncall_file=_shown(clinic().config["oncall"]), overrides=view["overrides"],
                           history=history, errors=errors or {}, chains=chains, shifts=rota.SHIFTS,
                           pickable=rota.pickable(clinic()), slots=ROTA_SLOTS, shown=shown), status


@bp.get("/settings")
@admin_required
def settings_page():
    return _settings_page()


@bp.post("/settings")
@admin_required
def settings_save():
    form = request.form
    changes, errors, conflicts = _form_changes(form)
    if not errors and not changes:
        flash("Nothing changed.", "ok")
        return redirect(url_for(".settings_page"))
    if not errors:
        try:
            settings.update(clinic(), changes, actor=current_user().name, now=utcnow())
        except ServiceError as error:  # a clash between fields (opens after it closes), found together
            errors = {_field(error.field): _in_words(error.field, error.message)}
    if errors:
        return _settings_page(errors, form, 400, conflicts)
    flash(f"Saved: {'; '.join(short_label(key) for key in sorted(changes))}.", "ok")
    return redirect(url_for(".settings_page"))


def _form_changes(form) -> tuple[dict, dict[str, str], frozenset[str]]:
    """The form's changed settings, in words beside each field every problem at once, and the settings someone
    else changed since the page was opened that this form changes too (refused: the admin sees the new value).
    Only what the admin changed is a change: a field still as the page showed it (`shown.<key>`) is left alone,
    so a page left open never puts back a setting edited since. Each value is read, then the changes are
    checked together over the current settings (settings.check), the one at fault
    set aside and the rest checked again, so settings that must move together (both quiet hours, opening and
    closing times) are saved together and every field's own problem is still named."""
    view = settings.public_view(clinic())
    current = view["effective"]
    changes, errors, conflicts = {}, {}, set()
    for key in settings.editable_keys():
        if key not in form:
            continue
        try:
            if key == "oncall":
                value, old = _parse_oncall(form[key]), current["oncall"]
            elif key.startswith("rota."):  # ordered picks; an empty slot is skipped
                value, old = [name for name in form.getlist(key) if name], current["rota"][key.split(".")[1]]
            else:
                section, name = key.split(".", 1)
                value, old = _parse(key, form[key]), current[section][name]
        except ValidationError as error:
            errors[key] = _in_words(key, error.message)
            continue
        try:
            shown = json.loads(form[f"shown.{key}"]) if f"shown.{key}" in form else old
        except ValueError:
            shown = old
        if value == shown:
            continue  # as the page showed it: not this admin's change
        if shown != old and value != old:  # changed by someone else too, since the page was shown
            by = next((change["by"] for change in view["history"] if change["key"] == key), "someone else")
            now = _shown_value(key, old)
            errors[key] = (f"{short_label(key)} was changed to {now} by {by} since this page was opened; it shows "
                           f"{now} now: check it and save again")
            conflicts.add(key)
            continue
        if value != old:
            changes[key] = value
    remaining = dict(changes)
    while remaining:
        try:
            settings.check(clinic(), remaining)
        except ServiceError as error:
            errors.setdefault(_field(error.field), _in_words(error.field, error.message))
            at_fault = error.field if error.field in remaining else "oncall" if _field(error.field) == "oncall" else None
            if at_fault not in remaining:  # a clash with a setting left as it was: nothing more to set aside
                break
            del remaining[at_fault]
        else:
            remaining = {}
    for key, value in remaining.items():  # after such a clash, each other value's own problem (out of range, ...)
        try:
            settings.check(clinic(), {key: value})
        except ServiceError as error:
            if _field(error.field) == _field(key):
                errors.setdefault(_field(key), _in_words(error.field, error.message))
    return changes, errors, frozenset(conflicts)


def _shown_value(key: str, value) -> str:
    """A setting's value in a sentence: yes or no, a list comma-separated, the on-call chain as names and phones."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and key != "oncall":
        return ", ".join(str(item) for item in value) or "(empty)"
    return _shown(value) or "(empty)"


def _field(key: str | None) -> str:
    """The form field a config key belongs to: oncall[0].phone is the on-call box."""
    return "oncall" if (key or "").startswith("oncall") else (key or "body")


def _in_words(key: str | None, message: str) -> str:
    """A settings problem in the form's words, never a config key:
    'thresholds.fever_c: must be between 37.5 and 39.5, not 45' -> 'Fever at or above (°C) must be between ...';
    'oncall[1].phone: must be ...' -> 'On-call chain, line 2: phone must be ...'."""
    key = key or ""
    if key.startswith("oncall"):
        message = re.sub(r"^on-call line (\d+): ", r"line \1: ", message.removeprefix(f"{key}: "))
        if key.startswith("oncall[") and "]" in key:
            line = int(key[7:key.index("]")]) + 1
            message = f"line {line}: {key[key.index(']') + 2:]} {message}"
        return f"On-call chain, {message}" if message.startswith("line ") else f"On-call chain: {message}"
    label = short_label(key)
    for prefix in (f"{key}: ", f"{key} ", f"{label}: ", f"{label} "):
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    # another setting named in the message (opens after it closes) by its label too
    message = re.sub(r"\b(clinic|checkins|thresholds|escalation)\.[a-z_]+\b",
                     lambda match: f"“{short_label(match.group(0))}”", message)
    if message.startswith(label):
        return message
    # "must be ...", "is still ..." read on from the label; an instruction ("set both ...") follows a colon
    return f"{label} {message}" if re.match(r"(must|is|are)\b", message) else f"{label}: {message}"


@bp.post("/settings/revert")
@admin_required
def settings_revert():
    key = request.form.get("key") or ""
    try:
        settings.revert(clinic(), key, actor=current_user().name)
    except ServiceError as error:
        flash(f"{short_label(key)}: {error.message}", "error")
    else:
        flash(f"{short_label(key)} is back to the config file's value.", "ok")
    return redirect(url_for(".settings_page"))


def _staff_page(now: datetime, errors: dict | None = None, values=None, token: str | None = None,
                added: str | None = None, status: int = 200, token_values=None, joined_name: str | None = None):
    """The staff page as of `now` (aware UTC, the request's one reading of the clock)."""
    return render_template("staff.html", title="Staff", people=signin.staff_list(clinic(), now), errors=errors or {},
                           add_errors={k: v for k, v in (errors or {}).items() if k not in ("owner", "token_name")},
                           values=values or {"role": "nurse"}, token=token, added=added, joined_name=joined_name,
                           roles=staff_module.ROLES, tokens=tokens.list_tokens(clinic()),
                           sessions=sessions.open_sessions(clinic(), idle_timeout()),
                           token_values=token_values or {}, default_days=clinic().config["web"]["api_token_days"]), status


@bp.get("/staff")
@admin_required
def staff_page():
    return _staff_page(utcnow())


@bp.post("/staff")
@admin_required
def staff_add():
    form, now = request.form, utcnow()
    name = (form.get("name") or "").strip()
    password = form.get("password") or ""
    if password != (form.get("password_again") or ""):
        return _staff_page(now, {"password_again": "The two passwords differ."}, form, status=400)
    try:
        token = signin.create_user(clinic(), name, form.get("role") or "", form.get("phone") or None, password,
                                   actor=current_user().name, now=now)
    except ServiceError as error:
        return _staff_page(now, {error.field or "name": error.message}, form, status=error.status)
    return _staff_page(now, token=token, added=name, status=201, joined_name=name)


def _person(staff_id: int, now: datetime) -> dict:
    for person in signin.staff_list(clinic(), now):
        if person["id"] == staff_id:
            return person
    raise NotFound(f"no staff member {staff_id}", "staff_id")


@bp.post("/staff/<row_id:staff_id>/password")
@admin_required
def staff_password(staff_id: int):
    person = _person(staff_id, utcnow())
    try:
        staff_module.set_password(clinic(), person["name"], request.form.get("password") or "",
                                  actor=current_user().name)
    except ServiceError as error:
        flash(f"{person['name']}: {error.message}", "error")
    else:
        flash(f"New password set for {person['name']}: their sessions ended and sign-in waits are lifted.", "ok")
    return redirect(url_for(".staff_page"))


@bp.post("/staff/<row_id:staff_id>/phone")
@admin_required
def staff_phone(staff_id: int):
    person = _person(staff_id, utcnow())
    try:
        stored = staff_module.set_phone(clinic(), person["name"], request.form.get("phone") or "",
                                        actor=current_user().name)
    except ServiceError as error:
        flash(f"{person['name']}: {error.message}", "error")
    else:
        flash(staff_module.phone_changed(person["name"], stored), "ok")
    return redirect(url_for(".staff_page"))


@bp.post("/staff/<row_id:staff_id>/revoke")
@admin_required
def staff_revoke(staff_id: int):
    now = utcnow()
    person = _person(staff_id, now)
    if person["id"] == current_user().id:
        flash("You cannot revoke yourself; ask another admin.", "error")
        return redirect(url_for(".staff_page"))
    try:
        staff_module.revoke_staff(clinic(), person["name"], actor=current_user().name, now=now)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"Revoked {person['name']}: their API tokens, sessions and sign-in no longer work.", "ok")
    return redirect(url_for(".staff_page"))


@bp.post("/staff/<row_id:staff_id>/role")
@admin_required
def staff_role(staff_id: int):
    person = _person(staff_id, utcnow())
    role = request.form.get("role") or ""
    if person["id"] == current_user().id:
        flash("You cannot change your own role; ask another admin.", "error")
        return redirect(url_for(".staff_page"))
    try:
        staff_module.set_role(clinic(), person["name"], role, actor=current_user().name)
    except ServiceError as error:
        flash(f"{person['name']}: {error.message}", "error")
    else:
        flash(f"{person['name']} is now {role}; their dashboard sessions ended.", "ok")
    return redirect(url_for(".staff_page"))


@bp.post("/tokens")
@admin_required
def token_issue():
    owner = request.form.get("owner") or ""
    label, now = request.form.get("token_name") or "", utcnow()
    try:
        if not (owner.isascii() and owner.isdigit() and len(owner) < 19):
            raise ValidationError("Choose whose token it is.", "owner")
        person = _person(int(owner), now)
        token = tokens.issue(clinic(), person["id"], label, actor=current_user().name)
    except ServiceError as error:
        return _staff_page(now, {error.field or "token_name": error.message}, token_values=request.form,
                           status=error.status)
    return _staff_page(now, token=token, added=f"{person['name']} ({' '.join(label.split())})", status=201)


@bp.post("/tokens/<row_id:token_id>/revoke")
@admin_required
def token_revoke(token_id: int):
    try:
        revoked = tokens.revoke(clinic(), token_id, actor=current_user().name)
    except NotFound:
        flash("That token is already revoked.", "error")
    else:
        flash(f"Revoked the token '{revoked['name']}': it no longer works.", "ok")
    return redirect(url_for(".staff_page") + "#tokens")
