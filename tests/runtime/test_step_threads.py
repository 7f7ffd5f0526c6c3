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

from mlcli.steps import OMP_POLICY_ENV, apply_thread_policy

ROOT = Path(__file__).resolve().parents[2]
SETTING = re.compile(r"^\s*(OMP_WAIT_POLICY|GOMP_SPINCOUNT)\s*=\s*'(\w+)'", re.MULTILINE)


def openmp_settings(tmp_path: Path, **env: str) -> dict[str, str]:
    """The wait policy and spin count libgomp initialised with in ``mlproject step train``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", OMP_POLICY_ENV))}
    base.update(env, OMP_DISPLAY_ENV="verbose", PYTHONPATH=str(ROOT))
    # No compiled project: the step imports its runtime (scikit-learn, so
    # OpenMP) and then fails on the missing config, which is all this needs.
    proc = subprocess.run(
        [sys.executable, "-m", "mlcli", "step", "train", "--project-dir", str(tmp_path)],
        env=base,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "mlproject.compiled.json not found" in proc.stderr
    settings = {name: value.upper() for name, value in SETTING.findall(proc.stderr)}
    if "GOMP_SPINCOUNT" not in settings:
        pytest.skip("scikit-learn's OpenMP runtime is not libgomp (no GOMP_SPINCOUNT shown)")
    return settings


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
