#!/usr/bin/env python3
"""Storage drill: the signed webhook under gunicorn while the database's storage fails, then Twilio's retry.

    .venv/bin/python bench/storage_drill.py [--lock-seconds 20]

Three faults, each on a served app (gunicorn, 2 sync workers, `--timeout 20`, 127.0.0.1, a temporary
database, the outbox backend, the scheduler off):

  (a) another process holds BEGIN IMMEDIATE on the database for 20 s; the webhook is posted again and again
      for Twilio's whole 15 s budget, as Twilio does with `#rc=...&rp=5xx...` (docs/operations.md);
  (b) the disk is full (a small tmpfs filled to the last byte);
  (c) the filesystem is read-only (the service restarted onto it: Linux refuses to remount a filesystem
      read-only under files open for writing; only a disk error does that, and then SQLite sees I/O errors).

Then, with the scheduler running in its own process (the webhooks hand their texts over through the hand-over
queue beside the database, monitoring.inbound, issue 19), three more:

  (d) another process holds BEGIN IMMEDIATE on the database for 20 s: the queue has its own lock, so the text
      is answered 200 at once and acted on once the lock is free;
  (e) another process holds BEGIN IMMEDIATE on the hand-over queue for 20 s: the worker waits its busy
      timeout, then stores and acts on the text itself in the database (200);
  (f) the disk is full: neither the queue nor the database takes it (503), then the retry is handed over.

Then the fault is removed and the same signed request is sent again, as Twilio would retry it. Prints for
each: the status and seconds of the answer under the fault, and whether the text was stored exactly once
after the retry (handed over: in the database once, and gone from the queue, once the scheduler has moved it). Goal: every answer under 10 s, a status Twilio retries (503), nothing lost, nothing doubled;
a 200 counts only when the text was stored by it (a lock held shorter than the busy timeout is waited out).
Exits 1 if a fault misses the goal, so `make bench` stops there.

(b) and (c) mount a tmpfs and so need root; not as root, (b) is skipped and (c) uses chmod instead.
Loopback only; everything is in a temporary folder that is unmounted and removed at the end.
"""
from __future__ import annotations

import argparse
import errno
import http.client
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

AUTH_TOKEN = "drill-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+15555550123"
PATIENT = "+15555550199"
TWILIO_TOTAL_SECONDS = 15  # Twilio's whole budget for a webhook, retries included (tt <= 15000 ms)
GOAL_SECONDS = 10


def say(message: str) -> None:
    print(f"[drill] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Drill:
    def __init__(self, folder: str, lock_seconds: float):
        self.folder, self.lock_seconds = folder, lock_seconds
        self.disk = os.path.join(folder, "disk")
        os.makedirs(self.disk)
        self.db_path = os.path.join(self.disk, "clinic.db")
        self.port = free_port()
        self.config_path = os.path.join(folder, "drill.toml")
        self.log_path = os.path.join(folder, "gunicorn.log")
        self.server: subprocess.Popen | None = None
        self.scheduler: subprocess.Popen | None = None
        self.mounted = False

    # --- setup and teardown ---------------------------------------------------------------------------

    def mount(self) -> None:
        if os.geteuid() != 0:
            return
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", self.disk],
                                check=False, capture_output=True, text=True)
        self.mounted = result.returncode == 0
        if not self.mounted:
            say(f"could not mount a tmpfs ({result.stderr.strip()}); the disk-full case is skipped")

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,rw", self.disk], check=False, capture_output=True)
            subprocess.run(["umount", self.disk], check=False, capture_output=True)
            self.mounted = False

    def prepare(self) -> None:
        """Write the config, migrate, enroll one patient (through the app, as staff would)."""
        with open(self.config_path, "w") as handle:
            handle.write(f"""
[database]
path = "{self.db_path}"
[sms]
backend = "outbox"
from_number = "{FROM_NUMBER}"
public_base_url = "http://127.0.0.1:{self.port}"
[sms.twilio]
account_sid = "{ACCOUNT_SID}"
auth_token = "{AUTH_TOKEN}"
[scheduler]
enabled = false
""")
        from app import create_app
        from monitoring import staff
        from monitoring.clinic import open_clinic
        from monitoring.store import connect, migrate, utcnow

        app = create_app(self.config_path)
        app.testing = True
        db = connect(self.db_path)
        migrate(db)
        db.close()
        opened = open_clinic(app.config["CRS"])
        token = staff.add_staff(opened, "Drill Admin", "admin", now=utcnow())
        opened.db.close()
        response = app.test_client().post("/api/v1/patients", headers={"Authorization": f"Bearer {token}"},
                                          json={"name": "Drill Patient", "phone": PATIENT, "therapy": "teclistamab"})
        assert response.status_code == 201, response.get_json()
        from web.context import forget_connections

        forget_connections()  # this process keeps no file open on the drill's disk

    def start(self) -> None:
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        log = open(self.log_path, "a")  # noqa: SIM115 (the server writes to it until stop())
        self.server = subprocess.Popen(
            [gunicorn, "--workers", "2", "--timeout", "20", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--pythonpath", ROOT, "app:create_app()"],
            env={**os.environ, "CRS_CONFIG": self.config_path}, stdout=log, stderr=log, cwd=ROOT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.server.poll() is not None:
                    raise SystemExit(f"gunicorn exited; see {self.log_path}") from None
                time.sleep(0.1)
        raise SystemExit(f"gunicorn did not listen within 30 s; see {self.log_path}")

    def stop(self) -> None:
        for process in (self.server, self.scheduler):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def start_scheduler(self) -> None:
        """`flask --app app scheduler` in its own process (docs/operations.md); returns once its lease is fresh, so
        the webhooks hand their texts over to it."""
        flask = os.path.join(os.path.dirname(sys.executable), "flask")
        log = open(self.log_path, "a")  # noqa: SIM115 (the scheduler writes to it until stop())
        self.scheduler = subprocess.Popen([flask, "--app", "app", "scheduler"],
                                          env={**os.environ, "CRS_CONFIG": self.config_path}, stdout=log,
                                          stderr=log, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db = sqlite3.connect(self.db_path, timeout=30)
            try:
                if db.execute("SELECT 1 FROM leases WHERE name = 'scheduler'").fetchone():
                    time.sleep(0.5)  # and the webhooks' warm-up texts go through it
                    return
            finally:
                db.close()
            if self.scheduler.poll() is not None:
                raise SystemExit(f"the scheduler exited; see {self.log_path}")
            time.sleep(0.1)
        raise SystemExit(f"the scheduler took no lease within 30 s; see {self.log_path}")

    # --- what Twilio does -----------------------------------------------------------------------------

    def post(self, sid: str, body: str) -> tuple[int, float, str]:
        """One signed inbound text, as Twilio posts it: (status, seconds to answer, Retry-After)."""
        from twilio.request_validator import RequestValidator

        params = {"From": PATIENT, "To": FROM_NUMBER, "Body": body, "MessageSid": sid,
                  "AccountSid": ACCOUNT_SID, "NumMedia": "0"}
        url = f"http://127.0.0.1:{self.port}/sms/inbound"
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, params)}
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TWILIO_TOTAL_SECONDS)
        try:
            connection.request("POST", "/sms/inbound", body=urlencode(params), headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, time.monotonic() - started, response.getheader("Retry-After") or "-"
        except (TimeoutError, OSError):
            return 0, time.monotonic() - started, "-"  # no answer at all: what Twilio's read timeout sees
        finally:
            connection.close()

    def warm_up(self) -> None:
        """A running service is warm: a few ordinary texts, so each worker has imported and connected."""
        for n in range(4):
            status = self.post("SM" + f"warm{n}".rjust(32, "0"), "98.6")[0]
            assert status == 200, f"warm-up text answered {status}; see {self.log_path}"

    def warm_up_read_only(self) -> None:
        """Warm the restarted workers with requests that only read (the filesystem is read-only now)."""
        for _ in range(4):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()

    def queued(self, sid: str) -> int:
        """Rows of the text in the hand-over queue beside the database (none while it has no file)."""
        path = self.db_path + "-inbound"
        if not os.path.exists(path):
            return 0
        queue = sqlite3.connect(path, timeout=30)
        try:
            return queue.execute("SELECT COUNT(*) FROM inbound WHERE sid = ?", [sid]).fetchone()[0]
        except sqlite3.OperationalError:  # no table yet
            return 0
        finally:
            queue.close()

    def stored(self, sid: str) -> int:
        """Rows of the text kept: in the database, or handed over and still in the queue."""
        db = sqlite3.connect(self.db_path, timeout=30)
        try:
            return db.execute("SELECT COUNT(*) FROM messages WHERE sid = ?", [sid]).fetchone()[0] + self.queued(sid)
        finally:
            db.close()

    def settled(self, sid: str, wait: float = 30) -> int:
        """Rows of the text in the database once nothing of it is left in the queue (the scheduler moved it), or
        after `wait` s (then -1: still queued)."""
        deadline = time.monotonic() + wait
        while self.queued(sid) and time.monotonic() < deadline:
            time.sleep(0.1)
        return -1 if self.queued(sid) else self.stored(sid)

    def retry_after_fix(self, sid: str, body: str) -> tuple[int, int]:
        """Twilio's retry once the fault is gone, twice (a retry may repeat): (last status, rows stored)."""
        first = self.post(sid, body)[0]
        second = self.post(sid, body)[0]
        return (first if first != 200 else second), self.settled(sid)

    # --- the faults -----------------------------------------------------------------------------------

    def held_lock(self, sid: str = "SM" + "a" * 32, path: str | None = None, fault: str = "write lock held") -> dict:
        """Another process holds BEGIN IMMEDIATE on `path` (the database, or the hand-over queue) for lock_seconds
        while Twilio posts the text again and again for its whole budget."""
        body = "o2 85"
        taken, release = threading.Event(), threading.Event()

        def hold():
            holder = sqlite3.connect(path or self.db_path, isolation_level=None, timeout=30)
            holder.execute("BEGIN IMMEDIATE")
            taken.set()
            release.wait(self.lock_seconds)
            holder.execute("ROLLBACK")
            holder.close()

        thread = threading.Thread(target=hold, daemon=True)
        thread.start()
        taken.wait(10)
        started = time.monotonic()
        attempts = []
        while time.monotonic() - started < TWILIO_TOTAL_SECONDS:  # Twilio's retries inside its budget
            attempts.append(self.post(sid, body))
            if attempts[-1][0] == 200:
                break
        thread.join(self.lock_seconds + 5)  # the lock is released after lock_seconds: the fault is gone
        kept = self.stored(sid)  # a 200 above must have stored the text: Twilio does not retry a 200
        status, rows = self.retry_after_fix(sid, body)
        return {"fault": f"{fault} {self.lock_seconds:g} s", "attempts": attempts,
                "kept_under_fault": kept, "retry": status, "stored": rows}

    def disk_full(self, sid: str = "SM" + "b" * 32, fault: str = "disk full") -> dict:
        body = "temp 101.5 chills"
        for path in (self.db_path, self.db_path + "-inbound"):
            if os.path.exists(path):
                db = sqlite3.connect(path, timeout=30)
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the next write must grow the WAL on the full disk
                db.close()
        filler = os.path.join(self.disk, "filler")
        descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for chunk in (1 << 20, 1 << 12, 1 << 9):  # to the last block
                try:
                    while True:
                        os.write(descriptor, b"\0" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        finally:
            os.close(descriptor)
        attempt = self.post(sid, body)
        os.remove(filler)
        kept = self.stored(sid)
        status, rows = self.retry_after_fix(sid, body)
        return {"fault": fault, "attempts": [attempt], "kept_under_fault": kept, "retry": status, "stored": rows}

    def read_only(self) -> dict:
        sid, body = "SM" + "c" * 32, "confused 39.4"
        self.stop()
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,ro", self.disk], check=True, capture_output=True)
            how = "read-only filesystem"
        else:
            os.chmod(self.db_path, 0o444)
            os.chmod(self.disk, 0o555)
            how = "read-only file and folder"
        self.start()
        self.warm_up_read_only()
        attempt = self.post(sid, body)
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,rw", self.disk], check=True, capture_output=True)
        else:
            os.chmod(self.disk, 0o755)
            os.chmod(self.db_path, 0o644)
        kept = self.stored(sid)
        status, rows = self.retry_after_fix(sid, body)  # the same workers: no restart after the fix
        return {"fault": how, "attempts": [attempt], "kept_under_fault": kept, "retry": status, "stored": rows}


def operator_lines(log_path: str) -> list[str]:
    """The first 503 log line of each kind, without the timestamp."""
    seen, lines = set(), []
    try:
        with open(log_path) as handle:
            for line in handle:
                if "answered 503" not in line:
                    continue
                kind = line.split("answered 503: ", 1)[1].split(" on ")[0].split(" is ")[0][:40]
                if kind not in seen:
                    seen.add(kind)
                    lines.append(line.split(" ", 2)[2].strip()[:400])
    except FileNotFoundError:
        pass
    return lines


def report(rows: list[dict]) -> bool:
    print(f"\nPOST /sms/inbound under gunicorn (2 sync workers, --timeout 20) while the storage fails; "
          f"goal: each answer < {GOAL_SECONDS} s with a status Twilio retries, stored exactly once after the retry")
    print(f"{'fault':<30}{'answers under the fault (status, seconds)':<46}{'Retry-After':>12}"
          f"{'retry after fix':>17}{'stored':>8}  verdict")
    good = True
    for row in rows:
        answers = ", ".join(f"{status} in {seconds:.2f} s" for status, seconds, _ in row["attempts"])
        slowest = max(seconds for _, seconds, _ in row["attempts"])
        *before, (last, _, _) = row["attempts"]
        # 503 (Twilio retries), or a last 200 that stored the text (the write waited the fault out)
        retryable = all(status == 503 for status, _, _ in before) and (
            last == 503 or (last == 200 and row["kept_under_fault"] == 1))
        ok = slowest < GOAL_SECONDS and retryable and row["retry"] == 200 and row["stored"] == 1
        good &= ok
        print(f"{row['fault']:<30}{answers:<46}{row['attempts'][0][2]:>12}{row['retry']:>17}{row['stored']:>8}  "
              f"{'ok' if ok else 'FAILS THE GOAL'}")
    return good


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--lock-seconds", type=float, default=20, help="how long the lock is held (default 20)")
    args = options.parse_args()
    folder = tempfile.mkdtemp(prefix="crswatch-storage-drill-")
    drill = Drill(folder, args.lock_seconds)
    rows = []
    try:
        drill.mount()
        say("preparing a database with one enrolled patient")
        drill.prepare()
        drill.start()
        drill.warm_up()
        say(f"(a) holding the write lock for {args.lock_seconds:g} s and posting for Twilio's {TWILIO_TOTAL_SECONDS} s")
        rows.append(drill.held_lock())
        if drill.mounted:
            say("(b) filling the database's disk")
            rows.append(drill.disk_full())
        else:
            say("(b) skipped: a full disk needs root to mount a small tmpfs")
        if drill.mounted or os.geteuid() != 0:
            say("(c) restarting the service onto a read-only " + ("filesystem" if drill.mounted else "file"))
            rows.append(drill.read_only())
        else:
            say("(c) skipped: root ignores file modes, and no tmpfs could be mounted to remount read-only")
        say("(d)-(f): the scheduler in its own process, the webhooks handing their texts over to it")
        drill.stop()
        drill.start()
        drill.start_scheduler()
        drill.warm_up()
        say(f"(d) holding the database's write lock for {args.lock_seconds:g} s; the texts go to the queue")
        rows.append(drill.held_lock("SM" + "d" * 32, fault="handed over, db lock"))
        say(f"(e) holding the hand-over queue's write lock for {args.lock_seconds:g} s")
        rows.append(drill.held_lock("SM" + "e" * 32, drill.db_path + "-inbound", fault="handed over, queue lock"))
        if drill.mounted:
            say("(f) filling the disk under the database and the queue")
            rows.append(drill.disk_full("SM" + "f" * 32, fault="handed over, disk full"))
        else:
            say("(f) skipped: a full disk needs root to mount a small tmpfs")
    finally:
        drill.stop()
        drill.unmount()
        told = operator_lines(drill.log_path)
        shutil.rmtree(folder, ignore_errors=True)
    good = report(rows)
    print("\nwhat the service logged for the operator (one line per fault):")
    for line in told:
        print(f"  {line}")
    print("every fault answered in time (503, or 200 once stored) and no text was lost or doubled" if good
          else "at least one fault missed the goal (see above)")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
