"""Every script in bench/ still starts (issue 19): `make bench` runs them in turn and stops at the first that
fails, and bench/crash_drill.py had been stopping at enrollment unseen. Each script must import, have a
`main`, and answer `--help` without running; the few with a mode that runs in a second or two run it here
and must print their table. No figure is judged: speed is what the scripts print, never asserted here. Every
process a script starts runs on the suite's clock (CRS_TEST_NOW, else START), not the real one."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import START, TEST_NOW

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(path.name for path in (ROOT / "bench").glob("*.py"))

# script -> (arguments of a run that takes a second or two, a line its output must hold)
TINY = {
    # 100 and 200 enrolled, 10% due: the first tick queues a prompt to each of the 10 due
    "due_work.py": (["--sizes", "100,200"], re.compile(r"^\s+100\s+10\s+10\s+10\s", re.MULTILINE)),
    # one Bundle of 120 readings, then two search pages
    "fhir_ingest.py": (["--hours", "2"], re.compile(r"search page of 50 at offset 70 of 120")),
    "parse_triage.py": (["--seconds", "0.05"], re.compile(r"^parse \+ triage\s+[1-9]", re.MULTILINE)),
}


# A script runs in its own processes (due_work measures in a child), where the session's travel does not reach:
# each Python process they start travels itself, through a sitecustomize on PYTHONPATH, to the session's
# CRS_TEST_NOW or to START (a Tuesday in clinic hours), so no test here reads the real clock.
SITECUSTOMIZE = """
import os

import time_machine

if os.environ.get("CRS_BENCH_TRAVEL"):
    time_machine.travel(os.environ["CRS_BENCH_TRAVEL"], tick=True).start()
"""


@pytest.fixture(scope="module")
def travelled(tmp_path_factory) -> dict[str, str]:
    """The environment that starts every Python process at the suite's moment."""
    folder = tmp_path_factory.mktemp("travel")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    moment = os.environ.get(TEST_NOW, "").strip() or START.isoformat()
    return {"CRS_BENCH_TRAVEL": moment,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}


def run(script: str, *arguments: str, tmp_path: Path, travel: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The script as `make bench` runs it (from the checkout's root, this interpreter), its temporary files
    under tmp_path, its clocks at the suite's moment (`travel`). The timeout only stops a hung script; it
    judges no speed."""
    return subprocess.run([sys.executable, str(ROOT / "bench" / script), *arguments], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=120,
                          env={**os.environ, **travel, "TMPDIR": str(tmp_path)})


def test_bench_holds_the_scripts_make_bench_runs():
    assert "crash_drill.py" in SCRIPTS and "webhook.py" in SCRIPTS
    assert set(TINY) <= set(SCRIPTS), "a script with a tiny run here was renamed or removed"


@pytest.mark.parametrize("script", SCRIPTS)
def test_bench_script_imports_and_has_a_main(script):
    spec = importlib.util.spec_from_file_location(f"bench_{script.removesuffix('.py')}", ROOT / "bench" / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # top-level code only: every script runs under `if __name__ == "__main__"`
    assert callable(getattr(module, "main", None))


@pytest.mark.parametrize("script", SCRIPTS)
def test_bench_script_answers_help_without_running(script, tmp_path, travelled):
    done = run(script, "--help", tmp_path=tmp_path, travel=travelled)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script}")
    assert "Traceback" not in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # it made no database: it only answered


@pytest.mark.parametrize("script", sorted(TINY))
def test_bench_script_tiny_run_prints_its_table(script, tmp_path, travelled):
    arguments, expected = TINY[script]
    done = run(script, *arguments, tmp_path=tmp_path, travel=travelled)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert expected.search(done.stdout), done.stdout


def test_webhook_bench_reads_the_cores_busy_time_from_proc_stat():
    """bench/webhook.py says whether a run was bound by the cores: busy is every tick but idle and iowait."""
    spec = importlib.util.spec_from_file_location("bench_webhook_ticks", ROOT / "bench" / "webhook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # user nice system idle iowait irq softirq steal guest guest_nice
    assert module.busy_jiffies("cpu  600 10 200 1000 50 5 5 30 40 0") == (850, 1900)
