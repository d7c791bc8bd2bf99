"""What a new engineer meets on the first `make run` (README): a port already taken, a second start on a seeded
database. Each says in one line what to do next, before anything starts."""
from __future__ import annotations

import socket
from unittest import mock

from conftest import base_config

from app import create_app


def test_a_taken_port_stops_serve_with_one_line_naming_make_run_port(tmp_path):
    """Werkzeug said "Address already in use ... start the server with a different port" after the banner had
    said "crswatch is running at http://127.0.0.1:5000" and the scheduler had started; `make run` took no port."""
    config = {**base_config(tmp_path / "p.db"), "scheduler": {"enabled": True}}
    app = create_app(config)  # not serving here: the scheduler starts only under `serve`
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with mock.patch("werkzeug.serving.run_simple") as run, mock.patch("app.start_scheduler") as scheduler:
            result = app.test_cli_runner().invoke(args=["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert not run.called and not scheduler.called
    assert "is running at" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert f"port {port} on 127.0.0.1 is in use" in lines[0]
    assert f"make run PORT={port + 1}" in lines[0] and f"serve --port {port + 1}" in lines[0]


def test_a_free_port_serves(tmp_path):
    app = create_app(base_config(tmp_path / "f.db"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with mock.patch("werkzeug.serving.run_simple") as run:
        result = app.test_cli_runner().invoke(args=["serve", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert run.called and f"crswatch is running at http://127.0.0.1:{port}" in result.output


def test_the_banner_says_where_to_sign_in(tmp_path):
    app = create_app(base_config(tmp_path / "b.db"))
    with mock.patch("werkzeug.serving.run_simple"):
        result = app.test_cli_runner().invoke(args=["serve", "--port", "0"])
    assert "  dashboard: sign in at http://127.0.0.1:0/signin" in result.output.splitlines()


def test_a_second_demo_after_someone_added_their_own_staff_says_nothing_of_the_demo_admin(app, runner):
    from conftest import add_staff

    add_staff(runner, "Ada Admin", "admin")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0 and "Demo Admin" not in result.output
    assert "enrolled Demo Patient" in result.output


def test_a_database_on_a_read_only_filesystem_says_read_only_not_cannot_open(tmp_path, monkeypatch):
    """A database on a filesystem remounted read-only (seen by hand: `mount -o remount,ro`): SQLite opens the file
    read-only by itself, cannot make its WAL files beside it and answers "unable to open database file", so the
    start said "the database file cannot be opened: check [database] path, the folder's permissions and that its
    filesystem is mounted" (it was mounted). Faked at the boundaries as SQLite and the kernel answer on such a
    mount: the open fails so, and access(2) refuses writing in the folder (EROFS, for root too)."""
    import os
    import sqlite3

    from monitoring import store

    config = {**base_config(tmp_path / "ro" / "clinic.db"), "web": {"secret_key": "k" * 32}}
    app = create_app(config)
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    path, folder = config["database"]["path"], str(tmp_path / "ro")

    def read_only_mount(database, *args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    real_access = os.access
    monkeypatch.setattr(store.sqlite3, "connect", read_only_mount)
    monkeypatch.setattr(os, "access", lambda where, mode, **kwargs: False if str(where) == folder and mode & os.W_OK
                        else real_access(where, mode, **kwargs))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [(f"Error: database {path}: the database, its folder or its filesystem is read-only: check the "
                     "mount (a disk error can remount it read-only: see dmesg) and that the service user owns the "
                     "folder")], lines
    monkeypatch.setattr(os, "access", real_access)  # a folder that is writable: the open failed for another reason
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 2 and "the database file cannot be opened" in result.output


def test_nurse_pages_link_to_the_port_served(tmp_path, clock):
    """`make run PORT=5001` with no address configured: the nurse's page linked to http://localhost:5000/dashboard/
    alerts/1, the fallback, where another program (or nothing) answers."""
    from conftest import NURSES, Phone, add_staff, enroll, texts_to

    config = base_config(tmp_path / "l.db")
    config["sms"] = {**config["sms"], "public_base_url": ""}
    app = create_app(config)
    app.testing = True
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with mock.patch("werkzeug.serving.run_simple"):
        assert runner.invoke(args=["serve", "--port", str(port)]).exit_code == 0
    client = app.test_client()
    token = add_staff(runner, "Ada Admin", "admin")
    enroll(client, token)
    answer = Phone(client).text("o2 85", url="http://localhost/sms/inbound", base_url="http://localhost")
    assert answer.status_code == 200
    [page] = [m for m in texts_to(client, token, NURSES[0]) if m["kind"] == "alert"]
    assert f"http://127.0.0.1:{port}/dashboard/alerts/1" in page["body"], page["body"]


def test_the_readmes_second_staff_add_says_how_to_get_a_token(app, runner, client):
    """README, top to bottom: 'The dashboard' adds "Ada Admin" with --password, then 'Trying it by hand' adds
    "Ada Admin" again for the API token: 'Error: a staff member named 'Ada Admin' already exists', and TOKEN=
    stayed empty with no word of `staff token`."""
    first = runner.invoke(args=["staff", "add", "Ada Admin", "--role", "admin", "--password"],
                          input="correct horse battery\ncorrect horse battery\n")
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["staff", "add", "ada admin", "--role", "admin"])
    assert again.exit_code == 1
    assert again.output.strip().splitlines() == [
        ("Error: a staff member named 'Ada Admin' already exists; another API token: .venv/bin/flask --app app "
        'staff token "Ada Admin"; a new password: .venv/bin/flask --app app staff password "Ada Admin"')]
    token = runner.invoke(args=["staff", "token", "Ada Admin"]).output.strip().splitlines()[-1]
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_refused_password_on_staff_add_adds_nobody(app, runner):
    """README: `staff add "Ada Admin" --role admin --password`. A password on the breach list was refused, but
    Ada had been added already, with no password and her API token never shown; the same command again said
    'already exists'."""
    from monitoring.clinic import open_clinic
    from monitoring.staff import list_staff

    refused = runner.invoke(args=["staff", "add", "Bob Admin", "--role", "admin", "--password"],
                            input="password1234\npassword1234\n")
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines()[-1] == (
        "Error: That password is on a list of passwords stolen in breaches; choose another. Nobody was added; run "
        "the command again.")
    assert list_staff(open_clinic(app.config["CRS"])) == []
    again = runner.invoke(args=["staff", "add", "Bob Admin", "--role", "admin", "--password"],
                          input="correct horse battery\ncorrect horse battery\n")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1].startswith("st_")
