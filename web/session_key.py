"""The key that signs dashboard sessions: `[web] secret_key`, or one generated once and kept beside the database.

Every process that serves the dashboard (gunicorn workers, a restarted service, a second host on the same
disk) must sign and check sessions with the same key, or a sign-in made by one worker is refused by the
next. With `[web] secret_key` empty, the first process to start writes 32 random bytes to
`<database path>.secret_key` (mode 0600) and every other process reads them from there.
"""
from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

import click

log = logging.getLogger("crswatch.web")
KEY_BYTES = 32
SUFFIX = ".secret_key"


class SessionKeyError(click.ClickException):
    """The kept key cannot be read or made (a one-line message naming the file and what to do)."""

    exit_code = 2


def key_path(database_path: str) -> Path | None:
    """Where the generated key lives for this database: `crswatch.db` -> `crswatch.db.secret_key`.
    None for an in-memory database (one process only, so a key per start is enough)."""
    if database_path == ":memory:" or not database_path:
        return None
    path = Path(database_path)
    return path.with_name(path.name + SUFFIX)


def session_key(settings: dict) -> bytes:
    """`[web] secret_key` if set; else the key kept beside the database, made once.

    Creating it is atomic and never overwrites: the key is written and flushed to a private temporary file,
    then hard-linked to its name; when two workers start at once, the second link fails and that worker
    reads the first one's key. Raises SessionKeyError naming the file when it cannot be read or written.
    """
    configured = settings["web"]["secret_key"]
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    path = key_path(settings["database"]["path"])
    if path is None:
        return os.urandom(KEY_BYTES)
    try:
        return _read(path) if path.exists() else _create(path)
    except OSError as exc:
        raise SessionKeyError(
            f"web.secret_key is empty and the session key file {path} cannot be used ({exc.strerror or exc}); "
            "make its folder writable by the service, or set [web] secret_key") from None


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process made it first: use theirs
            return _read(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    log.info("generated the dashboard session key in %s (set [web] secret_key to choose your own)", path)
    return key


def _read(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("session key file %s is readable by others (mode %o); run: chmod 600 %s", path, mode, path)
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise SessionKeyError(f"the session key file {path} is damaged ({len(key)} bytes); delete it and restart "
                              "(a new key is made; everyone signs in again), or set [web] secret_key")
    return key
