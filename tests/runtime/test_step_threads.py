"""The OpenMP policy of a step process: idle threads sleep unless the user says otherwise.

libgomp reads ``OMP_WAIT_POLICY`` once, when scikit-learn loads it, so the
check is what libgomp itself reports (``OMP_DISPLAY_ENV=verbose`` makes it
print its settings on stderr as it initialises), not just ``os.environ``.
libgomp shows its default as 'PASSIVE' too, so the telling line is
``GOMP_SPINCOUNT``: 0 when threads sleep at once, 300000 by default.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlcli.threads import OMP_POLICY_ENV, apply_thread_policy
from tests.runtime.test_monitor_support import SPEC, baskets, make_project

ROOT = Path(__file__).resolve().parents[2]
SETTING = re.compile(r"^\s*(OMP_WAIT_POLICY|GOMP_SPINCOUNT)\s*=\s*'(\w+)'", re.MULTILINE)


def run_mlproject(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m mlcli ARGS`` in a fresh process, libgomp asked to report its settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", OMP_POLICY_ENV))}
    base = {k: v for k, v in base.items() if not k.startswith("GITHUB_")}  # no job outputs
    base.update(env, OMP_DISPLAY_ENV="verbose", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "mlcli", *args]
    return subprocess.run(command, env=base, capture_output=True, text=True, check=False)


def reported(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    settings = {name: value.upper() for name, value in SETTING.findall(proc.stderr)}
    if "GOMP_SPINCOUNT" not in settings:
        pytest.skip("scikit-learn's OpenMP runtime is not libgomp (no GOMP_SPINCOUNT shown)")
    return settings


def openmp_settings(tmp_path: Path, **env: str) -> dict[str, str]:
    """The wait policy and spin count libgomp initialised with in ``mlproject step train``."""
    # No compiled project: the step imports its runtime (scikit-learn, so
    # OpenMP) and then fails on the missing config, which is all this needs.
    proc = run_mlproject(["step", "train", "--project-dir", str(tmp_path)], **env)
    assert proc.returncode == 1, proc.stderr
    assert "mlproject.compiled.json not found" in proc.stderr
    return reported(proc)


def test_step_threads_sleep_when_unset(tmp_path: Path) -> None:
    assert openmp_settings(tmp_path)["GOMP_SPINCOUNT"] == "0"


def test_users_omp_wait_policy_wins(tmp_path: Path) -> None:
    settings = openmp_settings(tmp_path, OMP_WAIT_POLICY="active")
    assert settings["OMP_WAIT_POLICY"] == "ACTIVE"
    assert settings["GOMP_SPINCOUNT"] != "0"


def test_policy_off_keeps_libgomp_default(tmp_path: Path) -> None:
    assert openmp_settings(tmp_path, **{OMP_POLICY_ENV: "off"})["GOMP_SPINCOUNT"] != "0"


def test_apply_thread_policy_only_fills_gaps(tmp_path: Path) -> None:
    environ: dict[str, str] = {OMP_POLICY_ENV: "off"}
    apply_thread_policy(environ)
    assert environ == {OMP_POLICY_ENV: "off"}
    environ = {"OMP_NUM_THREADS": "4"}
    apply_thread_policy(environ)
    assert environ == {"OMP_NUM_THREADS": "4", "OMP_WAIT_POLICY": "PASSIVE"}


# ── commands outside `mlproject step` that load scikit-learn ────────────────


def test_ci_monitor_of_a_labelled_window_sleeps(tmp_path: Path) -> None:
    """``ci monitor`` scores a labelled window in its own process (scikit-learn's metrics)."""
    spec = SPEC.replace("monitoring:\n  drift:", "monitoring:\n  labels: labelled\n  drift:", 1)
    root = make_project(tmp_path / "shop", spec=spec)
    (root / "labelled").mkdir()
    baskets(300, seed=2, start="2024-07-01", days=1).to_csv(root / "labelled/2024-07-01.csv")
    args = ["ci", "monitor", "--project-dir", str(root), "--now", "2024-07-02T00:00:00Z"]
    proc = run_mlproject(args)
    assert proc.returncode == 0, proc.stderr
    assert "(labelled)" in proc.stdout
    assert reported(proc)["GOMP_SPINCOUNT"] == "0"


POLICY_AT_EXIT = (
    "import atexit, os, sys\n"
    "policy = lambda: os.environ.get('OMP_WAIT_POLICY')\n"
    "atexit.register(lambda: print('policy:', policy(), file=sys.stderr))\n"
    "from mlcli.app import main\n"
    "sys.argv = ['mlproject', *sys.argv[1:]]\n"
    "main()\n"
)


def test_champion_sets_the_policy(tmp_path: Path) -> None:
    """The pipeline's champion stage (``mlproject champion --out``) scores the champion's
    model and the new one with scikit-learn: it sets the policy before it reads anything.
    (Reaching the scoring takes a registered, promoted version: the DVC end-to-end
    tests; here the process's own environment as it exits is the witness.)"""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", OMP_POLICY_ENV))}
    base["PYTHONPATH"] = str(ROOT)
    out = str(tmp_path / "champion.json")
    args = ["champion", "--out", out, "--project-dir", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, "-c", POLICY_AT_EXIT, *args],
        env=base,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "policy: PASSIVE" in proc.stderr, proc.stderr
