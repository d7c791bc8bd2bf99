"""Commands: `export-fhir` (the nightly NDJSON feed) and `device add|list|revoke` (device hub tokens)."""
from __future__ import annotations

import shlex
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from monitoring import devices, fhir_export
from monitoring.clinic import command_clinic
from monitoring.store import utcnow


def _clinic():
    """The clinic for one command, opened as every command opens it (monitoring.clinic.command_clinic)."""
    return command_clinic(current_app.config["CRS"])


def _since(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not ISO 8601; like 2026-03-03T00:00:00-06:00") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the offset too, like 2026-03-03T00:00:00-06:00 or ...Z")
    return moment


@click.command("export-fhir")
@with_appcontext
@click.option("--since", callback=_since, help="only resources changed at or after this ISO 8601 time "
                                               "(the last run's transactionTime); default: everything")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="directory for <Type>.ndjson and manifest.json")
def export_fhir(since: datetime | None, out_dir: Path):
    """Bulk export as FHIR Bulk Data NDJSON: one file per resource type, and manifest.json."""
    with _clinic() as opened:
        manifest = fhir_export.export(opened, out_dir, since, request=shlex.join(["flask", *sys.argv[1:]]),
                                       now=utcnow())
    for item in manifest["output"]:
        click.echo(f"{item['type']}: {item['count']}")
    click.echo(f"wrote {out_dir}/manifest.json; transactionTime {manifest['transactionTime']} "
               "(pass it as --since next time)")


device = AppGroup("device", help="Device hubs that post FHIR Observations, and their tokens.")


@device.command("add")
@click.argument("name")
@click.option("--patient", "patient_id", type=int, default=None,
              help="bind to this patient id; without it the device serves the clinic and names patients by MRN")
def device_add(name: str, patient_id: int | None):
    """Add a device; prints its token on the last line (shown once)."""
    with _clinic() as opened:
        added = devices.add_device(opened, name, patient_id, actor="cli", now=utcnow())
    bound = f"patient {patient_id}" if patient_id else "the clinic (patients by MRN)"
    click.echo(f"added device {added['id']} {name!r} for {bound}; its token (keep it secret, it is not shown again):")
    click.echo(added["token"])


@device.command("list")
def device_list():
    """List devices."""
    with _clinic() as opened:
        for row in devices.list_devices(opened):
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else f"last seen {row['last_seen_at'] or '-'}"
            click.echo(f"{row['id']}\t{row['name']}\t{row['patient_id'] or 'clinic'}\t{state}")


@device.command("revoke")
@click.argument("device_id", type=int)
def device_revoke(device_id: int):
    """Revoke a device's token."""
    with _clinic() as opened:
        devices.revoke_device(opened, device_id, actor="cli", now=utcnow())
    click.echo(f"revoked device {device_id}")


def init_app(app: Flask) -> None:
    app.cli.add_command(export_fhir)
    app.cli.add_command(device)
