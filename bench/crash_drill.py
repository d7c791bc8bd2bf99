#!/usr/bin/env python3
"""Crash drill: the app and its scheduler (two processes), 200 enrolled patients, `kill -9` mid-run, restart.

Prints prompts sent, duplicates, skipped check-ins, undelivered texts, and what happened to the
texts patients sent before the crash. The last three counts of the first table must be 0. A burst of
texts is answered 200 right before the kill: each must be stored and processed, once, after the restart
(processed twice would store its reading twice). The service's scheduler holds its lease, so the webhook
answers each text at its commit and hands it over to the scheduler (issue 19). The scheduler is frozen
(SIGSTOP, as a hung one) halfway through the burst, so the kill lands on texts handed over and not yet acted
on, on any machine; the restarted scheduler (or its webhooks) must act on each once.

    .venv/bin/python bench/crash_drill.py [--patients 200]

Runs on loopback only, in a temporary folder, with the outbox backend (no network).
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
AUTH_TOKEN = "drill-auth-token"
BURST = 60  # texts answered right before the kill
BURST_TEXTS = ["98.7", "temp 99.1", "100.9", "o2 86", "37.2", "temp 98.4 bp 118/76"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(message: str) -> None:
    print(f"[drill] {message}", flush=True)


class Service:
    """The web app (`flask serve` with `[scheduler] enabled = false`, as a gunicorn worker is configured) and the
    scheduler in its own process (`flask --app app scheduler`): the deployment docs/operations.md recommends, in
    which the webhook hands each text over to the scheduler (issue 19). Both are killed together."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.env = {**os.environ, "CRS_CONFIG": str(folder / "clinic.toml")}
        self.web_env = {**os.environ, "CRS_CONFIG": str(folder / "web.toml")}
        self.process: subprocess.Popen | None = None
        self.scheduler: subprocess.Popen | None = None

    def flask(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, check=True)
        return result.stdout

    def start(self) -> None:
        with open(self.folder / "service.log", "a") as log:  # the child keeps its own copy of the handle
            self.scheduler = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "scheduler"], cwd=ROOT,
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(self.port)], cwd=ROOT,
                env=self.web_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)  # a drill that stops on an error must not leave the service running
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the service did not start; see service.log")

    def freeze_scheduler(self) -> None:
        os.killpg(self.scheduler.pid, signal.SIGSTOP)

    def kill9(self) -> None:
        for process in (self.process, self.scheduler):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for process in (self.process, self.scheduler):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)


def post_json(port: int, path: str, body: dict, token: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def text(port: int, sender: str, body: str, sid: str) -> int:
    url = f"http://127.0.0.1:{port}/sms/inbound"
    params = {"From": sender, "To": "+15555550123", "Body": body, "MessageSid": sid, "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    request = urllib.request.Request(url, data=urlencode(params).encode(), headers={"X-Twilio-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except OSError:
        return 0


def queued_count(db_path) -> int:
    """Texts in the hand-over queue beside the database (monitoring.inbound): handed over, not yet acted on."""
    queue = f"{db_path}-inbound"
    if not os.path.exists(queue):
        return 0
    conn = sqlite3.connect(queue)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM inbound").fetchone()[0])
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crswatch-drill-"))
    port = free_port()
    db_path = folder / "drill.db"
    settings = f"""
[database]
path = "{db_path}"
[sms]
backend = "outbox"
public_base_url = "http://127.0.0.1:{port}"
max_per_second = 40.0
[sms.twilio]
auth_token = "{AUTH_TOKEN}"
[scheduler]
enabled = true
poll_seconds = 1
lease_seconds = 5
"""
    (folder / "clinic.toml").write_text(settings)
    (folder / "web.toml").write_text(settings.replace("enabled = true", "enabled = false"))
    service = Service(folder, port)
    say(f"working in {folder}")
    service.flask("init-db")
    token = service.flask("staff", "add", "Drill Admin", "--role", "admin").strip().splitlines()[-1]
    say("starting the web app and its scheduler in a process of its own (outbox backend, 40 texts/s)")
    service.start()
    phones = [f"+1312300{index:04d}" for index in range(args.patients)]  # numbers that can exist (enrollment checks)
    say(f"enrolling {len(phones)} patients: each is due a prompt at once")
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    ids = {}
    for index, phone in enumerate(phones):
        ids[phone] = post_json(port, "/api/v1/patients", {"name": f"Drill Patient {index}", "phone": phone,
                                                          "therapy": "teclistamab", "dose_given_at": now}, token)["id"]
    db = sqlite3.connect(db_path)
    # the first 40 answer their prompt: each is sent first (the scheduler's poll, 1 s; an answer before it would
    # answer the check-in, and no prompt would be due)
    first = [ids[phone] for phone in phones[:40]]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and db.execute(
            f"SELECT COUNT(DISTINCT patient_id) FROM messages WHERE kind = 'prompt' AND status = 'sent' "
            f"AND patient_id IN ({', '.join('?' for _ in first)})", first).fetchone()[0] < len(first):
        time.sleep(0.05)
    accepted = []
    for index, phone in enumerate(phones[:40]):  # some patients answer, a few with red flags
        body = "o2 86" if index % 10 == 0 else "98.7"
        if text(port, phone, body, f"SMdrill{index:026d}") == 200:
            accepted.append(f"SMdrill{index:026d}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sent = db.execute("SELECT COUNT(*) FROM messages WHERE kind = 'prompt' AND status = 'sent'").fetchone()[0]
        if sent >= len(phones) // 3:
            break
        time.sleep(0.05)
    # A burst answered right before the kill, from 16 connections at once: the kill lands on texts being stored
    # and processed, and each one answered 200 must be there after the restart, processed once. Half of it comes
    # while the scheduler is frozen (SIGSTOP, as a hung one; its lease still fresh): those are handed over and wait,
    # so the kill finds texts handed over and not yet acted on, whatever the machine's speed.
    burst = phones[40:40 + BURST]
    half = BURST // 2
    def answer(item: tuple[int, str]) -> tuple[str, int]:
        return item[1], text(port, item[1], BURST_TEXTS[item[0] % len(BURST_TEXTS)], f"SMburst{item[0]:026d}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(answer, enumerate(burst[:half])))
        service.freeze_scheduler()
        statuses += list(pool.map(answer, enumerate(burst[half:], start=half)))
    burst_accepted = [phone for phone, status in statuses if status == 200]
    service.kill9()
    # handed over: answered 200 at their commit to the hand-over queue, the scheduler was to act on them
    # (monitoring.inbound)
    handed = queued_count(db_path)
    waiting = handed + db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in' "
                                  "AND processed_at IS NULL").fetchone()[0]
    say(f"kill -9 with {sent} of {len(phones)} prompts delivered, right after {len(burst_accepted)} texts were "
        f"answered 200; {waiting} stored and not yet processed at the kill ({handed} handed over to the scheduler)")
    state = dict(db.execute("SELECT status, COUNT(*) FROM messages WHERE direction = 'out' GROUP BY status").fetchall())
    say(f"outbox at the crash: {state}")
    say("restarting; texts interrupted mid-send are recovered after 60 s, so this waits up to 2 minutes")
    service.start()
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        pending = db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status IN ('queued', 'sending')"
                             ).fetchone()[0]
        prompted = db.execute("SELECT COUNT(DISTINCT patient_id) FROM messages WHERE kind = 'prompt'").fetchone()[0]
        if pending == 0 and prompted == len(phones):
            break
        time.sleep(0.5)
    service.stop()

    per_patient = dict(db.execute(
        "SELECT patient_id, COUNT(*) FROM messages WHERE kind = 'prompt' AND status = 'sent' GROUP BY patient_id"))
    prompts_sent = sum(per_patient.values())
    duplicates = sum(count - 1 for count in per_patient.values() if count > 1)
    skipped = sum(1 for patient_id in ids.values() if patient_id not in per_patient)
    undelivered = db.execute(
        "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status != 'sent'").fetchone()[0]
    stored = db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND processed_at IS NOT NULL "
                        "AND sid NOT LIKE 'SMburst%'").fetchone()[0]
    replies = db.execute("SELECT COUNT(*) FROM messages WHERE kind = 'reply' AND status = 'sent'").fetchone()[0]
    alerts = db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    pages = db.execute("SELECT COUNT(*) FROM messages WHERE kind = 'alert' AND status = 'sent'").fetchone()[0]
    print()
    print(f"{'patients enrolled':<34}{len(phones):>8}")
    print(f"{'prompts sent':<34}{prompts_sent:>8}")
    print(f"{'duplicate prompts':<34}{duplicates:>8}")
    print(f"{'skipped check-ins':<34}{skipped:>8}")
    print(f"{'undelivered texts':<34}{undelivered:>8}")
    print()
    print(f"{'patient texts answered 200':<34}{len(accepted):>8}")
    print(f"{'  stored and processed':<34}{stored:>8}")
    print(f"{'  replies delivered':<34}{replies:>8}")
    print(f"{'  alerts opened (red flags)':<34}{alerts:>8}")
    print(f"{'  nurse pages delivered':<34}{pages:>8}")
    burst_ids = [row[0] for row in db.execute("SELECT id FROM messages WHERE direction = 'in' AND sid LIKE 'SMburst%'")]
    burst_processed = db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND sid LIKE 'SMburst%' "
                                 "AND status = 'processed'").fetchone()[0]
    # each burst text carries a reading: processed twice would store it twice
    twice = db.execute("SELECT COUNT(*) FROM (SELECT message_id FROM readings WHERE message_id IN (SELECT id FROM "
                       "messages WHERE sid LIKE 'SMburst%') GROUP BY message_id HAVING COUNT(*) > 1)").fetchone()[0]
    once = db.execute("SELECT COUNT(DISTINCT message_id) FROM readings WHERE message_id IN (SELECT id FROM messages "
                      "WHERE sid LIKE 'SMburst%')").fetchone()[0]
    print()
    print(f"{'burst texts answered 200':<34}{len(burst_accepted):>8}")
    print(f"{'  not yet processed at the kill':<34}{waiting:>8}")
    print(f"{'    handed over to the scheduler':<34}{handed:>8}")
    print(f"{'  stored':<34}{len(burst_ids):>8}")
    print(f"{'  processed':<34}{burst_processed:>8}")
    print(f"{'  reading stored once':<34}{once:>8}")
    print(f"{'  processed twice':<34}{twice:>8}")
    ok = duplicates == 0 and skipped == 0 and undelivered == 0 and stored == len(accepted)
    ok = ok and len(burst_ids) == len(burst_accepted) == burst_processed == once and twice == 0
    print("\nDRILL " + ("PASSED" if ok else "FAILED") + f" (service log: {folder / 'service.log'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
