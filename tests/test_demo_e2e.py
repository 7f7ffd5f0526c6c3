"""End to end: ``mlproject demo``, the README's first command, as a real subprocess.

The demo runs once per module in tmp_path (``--quick``: smaller traffic
windows and load test; every phase and tool is the same as in the default
run), with a git configuration of its own (no identity: the demo must supply
one) and DVC's site cache under tmp. The tests then read what it left behind:
its timeline, the registry, the reports. Two shorter runs check the refusal
of a non-empty working directory and that Ctrl-C stops MLServer.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from compiler.demo.plan import QUICK

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "churn"
PHASES = [
    "project",
    "train",
    "release",
    "serve",
    "traffic",
    "monitor",
    "retrain",
    "abtest",
    "promote",
]
TIMEOUT = 600


@dataclass(frozen=True)
class DemoRun:
    workdir: Path
    stdout: str
    timeline: dict[str, Any]
    env: dict[str, str]


def _env(base: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(base / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "DVC_SITE_CACHE_DIR": str(base / "dvc-site-cache"),
        "NO_COLOR": "1",
    }


def _demo(workdir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "compiler",
        "demo",
        "--workdir",
        str(workdir),
        "--example",
        str(EXAMPLE),
        *extra,
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers signal 0; it no longer runs
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split(") ")[-1].startswith("Z"))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    base = tmp_path_factory.mktemp("demo")
    workdir = base / "run"
    env = _env(base)
    done = subprocess.run(
        _demo(workdir, "--quick"),
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    timeline = json.loads((workdir / "demo" / "timeline.json").read_text())
    return DemoRun(workdir, done.stdout, timeline, env)


def test_timeline_has_every_phase_in_order_and_prints_progress(demo_run: DemoRun) -> None:
    phases = demo_run.timeline["phases"]
    assert [p["name"] for p in phases] == PHASES
    assert all(p["ok"] for p in phases)
    assert demo_run.timeline["ok"] is True
    for number, name in enumerate(PHASES, start=1):
        assert f"[{number}/{len(PHASES)}] {name}" in demo_run.stdout
    steps = {s["step"] for s in demo_run.timeline["steps"]}
    for step in ("mlproject compile", "dvc repro", "mlproject loadtest", "step decide"):
        assert step in steps
    assert "Timeline" in demo_run.stdout
    assert "$ mlproject lineage production" in demo_run.stdout


def test_drift_is_first_detected_on_the_expected_window(demo_run: DemoRun) -> None:
    drift = demo_run.timeline["drift"]
    expected = len(QUICK.shifts)
    assert drift["expected_window"] == expected
    assert drift["first_breach_window"] == expected
    statuses = [w["status"] for w in drift["windows"]]
    assert statuses == ["healthy"] * (expected - 1) + ["breach"]
    assert drift["windows"][-1]["breaches"] == ["drift"]
    assert drift["windows"][-1]["drifted"]


def test_v2_is_in_production(demo_run: DemoRun) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "lineage", "production", "--format", "json"],
        cwd=demo_run.workdir,
        env=demo_run.env,
        capture_output=True,
        text=True,
        check=True,
    )
    lineage = json.loads(done.stdout)
    assert lineage["model"]["tag"] == "churn-classifier@v2.0.0"
    assert lineage["model"]["stage"] == "production"
    assert demo_run.timeline["abtest"]["decision"] == "promote_challenger"
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=demo_run.workdir,
        env=demo_run.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""  # every change committed; the demo's own files excluded


def test_reports_and_model_card_are_left_for_inspection(demo_run: DemoRun) -> None:
    html = demo_run.workdir / "reports" / "monitor.html"
    card = demo_run.workdir / "MODEL_CARD.md"
    assert "<html" in html.read_text().lower()
    assert "churn" in card.read_text()
    assert str(html) in demo_run.stdout
    assert str(card) in demo_run.stdout


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_predictions_are_logged_with_their_model_version_and_no_pii(demo_run: DemoRun) -> None:
    stream = _rows(demo_run.workdir / "demo" / "predictions.csv")
    assert len(stream) == QUICK.window_rows * len(QUICK.shifts)
    assert {r["model_version"] for r in stream} == {"v1.0.0"}
    ab = _rows(demo_run.workdir / "demo" / "abtest.csv")
    versions = {(r["variant"], r["model_version"]) for r in ab}
    assert versions == {("champion", "v1.0.0"), ("challenger", "v2.0.0")}
    for row in (stream[0], ab[0]):
        assert not {"customer_id", "email"} & set(row)


def test_mlserver_is_stopped(demo_run: DemoRun) -> None:
    pids = demo_run.timeline["mlserver_pids"]
    assert len(pids) == 2
    assert not [pid for pid in pids if _alive(pid)]


def test_refuses_a_non_empty_workdir_without_force(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "notes.txt").write_text("mine\n")
    for extra in ((), ("--force",)):
        done = subprocess.run(
            _demo(workdir, "--quick", *extra),
            cwd=tmp_path,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert "--force" in done.stderr or "will not remove" in done.stderr
    assert (workdir / "notes.txt").read_text() == "mine\n"


def test_ctrl_c_stops_mlserver(tmp_path: Path) -> None:
    """SIGINT once MLServer serves: exit 130, and the MLServer process is gone."""
    process = subprocess.Popen(
        _demo(tmp_path / "run", "--quick"),
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    pid = None
    try:
        for line in process.stdout:
            if "MLServer pid" in line:
                pid = int(line.split("MLServer pid", 1)[1].split()[0])
                break
        assert pid is not None, "the demo never reported a running MLServer"
        assert _alive(pid)
        process.send_signal(signal.SIGINT)
        assert process.wait(TIMEOUT) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)
