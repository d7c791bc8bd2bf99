"""The signed webhook under gunicorn: requests/s and latency, beside a floor that only checks the signature.

    .venv/bin/python bench/webhook.py [--seconds 60] [--workers 2] [--concurrency 16] [--rate 200]

Same server setup for both: gunicorn (sync workers) on 127.0.0.1, a temp database, the outbox backend,
the scheduler off. The full app gets signed, realistic texts (temperatures, vitals, red flags, Spanish,
medication reports, junk) from 200 enrolled patients, each with a new MessageSid; the floor is a bare
Flask endpoint that validates the same Twilio signature and answers empty TwiML. The load generator
runs in its own processes (threads over http.client, one connection per request as Twilio does):
closed loop at `--concurrency` for throughput, then open loop at a fixed `--rate` for tail latency
(measured from each request's scheduled time, so queueing counts). The generator shares the machine's
cores with the server. Prints tables; asserts nothing.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

AUTH_TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+15555550123"
PATIENTS = 200
TEXTS = [
    "98.6", "99.1", "100.9", "38,4", "temp 100.9 bp 92/60 o2 95", "temp 98.8 bp 118/76 o2 97 hr 82",
    "took 1000 mg tylenol", "me siento bien 37.2", "fiebre 38.6", "I feel ok", "no fever", "101.5 chills",
    "o2 85", "bp 84/50 dizzy", "confused", "temp 102 weak", "asdf", "HELP", "37.0", "fine thanks 98.4",
]


def floor_app():
    """The floor: a bare Flask app that checks the Twilio signature and returns empty TwiML."""
    from flask import Flask, Response, request
    from twilio.request_validator import RequestValidator

    app = Flask("floor")
    base = os.environ["BENCH_PUBLIC_BASE_URL"]
    validator = RequestValidator(AUTH_TOKEN)

    @app.post("/sms/inbound")
    def inbound():
        if not validator.validate(base + request.path, request.form.to_dict(),
                                  request.headers.get("X-Twilio-Signature", "")):
            return Response("invalid signature", status=403)
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', mimetype="text/xml")

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(folder: str, port: int) -> str:
    path = os.path.join(folder, "bench.toml")
    with open(path, "w") as handle:
        handle.write(f"""
[database]
path = "{os.path.join(folder, 'bench.db')}"
[sms]
backend = "outbox"
from_number = "{FROM_NUMBER}"
public_base_url = "http://127.0.0.1:{port}"
[sms.twilio]
account_sid = "{ACCOUNT_SID}"
auth_token = "{AUTH_TOKEN}"
[scheduler]
enabled = false
""")
    return path


def enroll_patients(config_path: str) -> list[str]:
    """Migrate and enroll through the app itself (test client), as staff would."""
    from app import create_app
    from monitoring import staff
    from monitoring.clinic import open_clinic
    from monitoring.store import connect, migrate

    app = create_app(config_path)
    app.testing = True
    db = connect(app.config["CRS"]["database"]["path"])
    migrate(db)
    db.close()
    opened = open_clinic(app.config["CRS"])
    token = staff.add_staff(opened, "Bench Admin", "admin")
    opened.db.close()
    client, phones = app.test_client(), []
    for i in range(PATIENTS):
        phone = f"+1555{2000000 + i:07d}"
        response = client.post("/api/v1/patients", headers={"Authorization": f"Bearer {token}"},
                               json={"name": f"Bench Patient {i}", "phone": phone, "therapy": "teclistamab"})
        assert response.status_code == 201, response.get_json()
        phones.append(phone)
    return phones


def start_gunicorn(spec: str, port: int, workers: int, env: dict, log_path: str) -> subprocess.Popen:
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    log = open(log_path, "a")  # noqa: SIM115 (the server writes to it until stop())
    server = subprocess.Popen(
        [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--pythonpath", f"{ROOT},{os.path.join(ROOT, 'bench')}", spec],
        env=env, stdout=log, stderr=log, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn {spec} exited; see {log_path}")
            time.sleep(0.1)
    raise SystemExit(f"gunicorn {spec} did not listen within 30 s; see {log_path}")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# --- the load generator (runs in child processes) ------------------------------------------------------

def _signed_request(port: int, phones: list[str], seq: str, rng: random.Random) -> tuple[bytes, dict]:
    from twilio.request_validator import RequestValidator

    params = {"From": rng.choice(phones), "To": FROM_NUMBER, "Body": rng.choice(TEXTS),
              "MessageSid": "SM" + seq.rjust(32, "0"), "AccountSid": ACCOUNT_SID, "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"http://127.0.0.1:{port}/sms/inbound", params)
    return urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                        "X-Twilio-Signature": signature}


def _post(port: int, body: bytes, headers: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/sms/inbound", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _closed_loop(port, phones, seconds, threads, tag, out):
    rng, latencies, errors, lock = random.Random(tag), [], [0], threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(index):
        count = 0
        while time.perf_counter() < stop_at:
            count += 1
            body, headers = _signed_request(port, phones, f"{tag}x{index}x{count}", rng)
            started = time.perf_counter()
            try:
                ok = _post(port, body, headers) == 200
            except OSError:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed) if ok else None
                errors[0] += 0 if ok else 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    [t.start() for t in pool]
    [t.join() for t in pool]
    out.put((latencies, errors[0]))


def _open_loop(port, phones, seconds, rate, threads, tag, out):
    """Requests scheduled every 1/rate s; latency counts from the scheduled time (no coordinated omission)."""
    import queue

    rng, latencies, errors, lock = random.Random(tag), [], [0], threading.Lock()
    slots: queue.Queue = queue.Queue()
    start = time.perf_counter() + 0.2
    total = int(seconds * rate)
    for n in range(total):
        slots.put((start + n / rate, n))
    [slots.put(None) for _ in range(threads)]

    def worker():
        while (slot := slots.get()) is not None:
            due, n = slot
            body, headers = _signed_request(port, phones, f"{tag}o{n}", rng)
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                ok = _post(port, body, headers) == 200
            except OSError:
                ok = False
            elapsed = time.perf_counter() - due
            with lock:
                latencies.append(elapsed) if ok else None
                errors[0] += 0 if ok else 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    [t.start() for t in pool]
    [t.join() for t in pool]
    out.put((latencies, errors[0]))


def run_load(mode: str, port: int, phones: list[str], seconds: float, processes: int, threads: int,
             rate: float, tag: str) -> dict:
    out = multiprocessing.Queue()
    if mode == "closed":
        children = [multiprocessing.Process(target=_closed_loop,
                                            args=(port, phones, seconds, threads, f"{tag}{p}", out))
                    for p in range(processes)]
    else:
        children = [multiprocessing.Process(target=_open_loop,
                                            args=(port, phones, seconds, rate / processes, threads, f"{tag}{p}", out))
                    for p in range(processes)]
    started = time.perf_counter()
    [c.start() for c in children]
    results = [out.get() for _ in children]
    [c.join() for c in children]
    wall = time.perf_counter() - started
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / min(wall, seconds + 0.2)
            if mode == "closed" else len(latencies) / seconds,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "max": latencies[-1] if latencies else 0,
            "mean": statistics.fmean(latencies) if latencies else 0}


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=60,
                         help="time under load per server, half closed loop, half open loop (default 60)")
    options.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2), help="gunicorn workers")
    options.add_argument("--concurrency", type=int, default=16, help="closed-loop requests in flight")
    options.add_argument("--rate", type=float, default=200, help="open-loop requests per second (default 200)")
    args = options.parse_args()
    folder = tempfile.mkdtemp(prefix="crswatch-bench-")
    try:
        port = free_port()
        config_path = write_config(folder, port)
        phones = enroll_patients(config_path)
        env = {**os.environ, "CRS_CONFIG": config_path, "BENCH_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
        log_path = os.path.join(folder, "gunicorn.log")
        processes = 2
        threads = max(1, args.concurrency // processes)
        rows = []
        half = args.seconds / 2
        for label, spec in (("full app", "app:create_app()"), ("floor", "webhook:floor_app()")):
            server = start_gunicorn(spec, port, args.workers, env, log_path)
            try:
                run_load("closed", port, phones, min(2.0, half), processes, threads, 0, f"w{label[0]}")  # warm up
                print(f"  {label}: closed loop, {args.concurrency} in flight, {half:g} s ...", flush=True)
                closed = run_load("closed", port, phones, half, processes, threads, 0, f"c{label[0]}")
                print(f"  {label}: open loop at {args.rate:g}/s, {half:g} s ...", flush=True)
                opened = run_load("open", port, phones, half, processes, 32, args.rate, f"o{label[0]}")
            finally:
                stop(server)
            rows.append((label, closed, opened))
        from monitoring.store import connect

        db = connect(os.path.join(folder, "bench.db"))
        inbound = db.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in'").fetchone()[0]
        alerts = db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    cores = os.cpu_count()
    print(f"\nPOST /sms/inbound under gunicorn, {args.workers} sync workers, {cores} cores shared with the load "
          f"generator; {half:g} s per loop")
    print(f"{'server':<10}{'closed loop: req/s':>19}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'| at ' + format(args.rate, 'g') + '/s: p50 ms':>21}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for label, closed, opened in rows:
        print(f"{label:<10}{closed['rps']:>19,.0f}{closed['p50'] * 1e3:>9.1f}{closed['p99'] * 1e3:>9.1f}"
              f"{closed['errors']:>8}{opened['p50'] * 1e3:>21.1f}{opened['p99'] * 1e3:>9.1f}"
              f"{opened['max'] * 1e3:>9.1f}{opened['errors']:>8}")
    full, floor = rows[0][1], rows[1][1]
    print(f"full app / floor throughput: {full['rps'] / floor['rps']:.2f} (goal >= 0.5); "
          f"full app p99 at {args.rate:g}/s: {rows[0][2]['p99'] * 1e3:.1f} ms (goal < 25 ms)")
    print(f"the full app stored {inbound:,} inbound texts and opened {alerts} alerts")


if __name__ == "__main__":
    main()
