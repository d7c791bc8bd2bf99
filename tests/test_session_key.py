"""The dashboard session key: one per database, shared by every process that serves it (issue 11, item 9).

Under `gunicorn -w 3` with an empty `[web] secret_key`, each worker made its own key, so a sign-in made by
one worker was refused by the next. Now the first process keeps a key beside the database and every other
process (a second app on the same database path stands for a second worker) reads it.
"""
from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
from conftest import base_config
from test_dashboard import ADMIN, add_user, sign_in

from app import create_app
from web.session_key import SessionKeyError, key_path, session_key


def worker(tmp_path, name: str):
    application = create_app(base_config(tmp_path / "clinic.db"))
    application.testing = True
    return application


def test_a_sign_in_made_by_one_worker_is_accepted_by_another(tmp_path, clock):
    first, second = worker(tmp_path, "a"), worker(tmp_path, "b")
    assert first.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    add_user(first, ADMIN, "admin")
    one, other = first.test_client(), second.test_client()
    assert sign_in(one, ADMIN).status_code == 302
    cookie = first.config["SESSION_COOKIE_NAME"]  # "__Host-..." over https (issue 16)
    other.set_cookie(cookie, one.get_cookie(cookie).value)
    page = other.get("/dashboard")
    assert page.status_code == 200 and "Alerts and patients" in page.text
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_the_key_is_made_once_private_and_kept(tmp_path, clock):
    settings = create_app(base_config(tmp_path / "clinic.db")).config["CRS"]
    path = key_path(settings["database"]["path"])
    assert path == tmp_path / "clinic.db.secret_key"
    key = path.read_bytes()
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_key(settings) == key  # a restart reads the same key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.db.secret_key"]  # no temporary file left


def test_a_configured_secret_key_wins_and_nothing_is_written(tmp_path, clock):
    config = base_config(tmp_path / "clinic.db")
    config["web"] = {"secret_key": "set-by-the-clinic"}
    assert create_app(config).config["SECRET_KEY"] == b"set-by-the-clinic"
    assert not (tmp_path / "clinic.db.secret_key").exists()


def _key_in_a_new_process(db_path: str) -> bytes:
    return session_key({"web": {"secret_key": ""}, "database": {"path": db_path}})


def test_workers_starting_at_once_agree(tmp_path):
    db_path = str(tmp_path / "fresh" / "clinic.db")  # the folder does not exist yet either
    with ProcessPoolExecutor(max_workers=6, mp_context=get_context("fork")) as pool:
        keys = list(pool.map(_key_in_a_new_process, [db_path] * 24))
    assert len(set(keys)) == 1 and keys[0] == (tmp_path / "fresh" / "clinic.db.secret_key").read_bytes()


def test_a_damaged_key_file_is_named_with_what_to_do(tmp_path):
    (tmp_path / "clinic.db.secret_key").write_bytes(b"short")
    with pytest.raises(SessionKeyError) as raised:
        _key_in_a_new_process(str(tmp_path / "clinic.db"))
    message = raised.value.format_message()
    assert "clinic.db.secret_key" in message and "delete it" in message and "\n" not in message
