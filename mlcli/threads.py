"""OpenMP's wait policy for the commands that load scikit-learn in their own process.

libgomp (scikit-learn's OpenMP runtime) reads ``OMP_WAIT_POLICY`` once, when it is
loaded, so a command calls :func:`apply_thread_policy` before it imports anything
that loads scikit-learn: every ``mlproject step`` (the group does it), ``mlproject
champion`` (the pipeline's champion stage scores models) and ``mlproject ci
monitor`` (a labelled window is scored). ``step decide`` and ``step abtest`` load
NumPy and SciPy only, whose BLAS threads are not OpenMP's; they get it anyway as
steps.
"""

from __future__ import annotations

import os

OMP_POLICY_ENV = "MLPROJECT_OMP_POLICY"  # "off": leave OpenMP's own defaults alone
OMP_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}


def apply_thread_policy(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Make OpenMP's idle threads sleep instead of spin, unless the user said otherwise.

    Threads stay at one per CPU (parallel fits on a dedicated runner), but an idle
    one no longer spins: on a busy 2-core machine the spinning made ``step train``
    up to 3x slower here, 8x in a trial at load 12-14 (docs/benchmarks.md, "Step
    threads"). A user's own ``OMP_*`` value wins; ``MLPROJECT_OMP_POLICY=off``
    leaves every OpenMP default alone.
    """
    if environ.get(OMP_POLICY_ENV, "").strip().lower() == "off":
        return
    for name, value in OMP_DEFAULTS.items():
        environ.setdefault(name, value)
