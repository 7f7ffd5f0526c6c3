"""``mlproject step train`` wall and CPU time under three OpenMP settings.

Usage: python bench/bench_threads.py PROJECT_DIR [--runs N]

Runs the variants interleaved (libgomp's default, nothing set, i.e. the
step's own policy, OMP_WAIT_POLICY=PASSIVE, OMP_NUM_THREADS=1), N rounds, and
prints the medians (wall, and CPU of the step process) with the load average.
Each variant's environment has OMP_*/MLPROJECT_OMP* removed first and then its
own setting; MLPROJECT_OMP_POLICY=off keeps the step's policy out of the way.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

VARIANTS: dict[str, dict[str, str]] = {
    "libgomp default (MLPROJECT_OMP_POLICY=off)": {"MLPROJECT_OMP_POLICY": "off"},
    "nothing set (the step's policy)": {},
    "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "OMP_NUM_THREADS=1": {"OMP_NUM_THREADS": "1"},
}


def run_once(project: str, extra: dict[str, str]) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "MLPROJECT_OMP"))}
    env.update(extra)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mlcli", "step", "-q", "train", "--project-dir", project],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpus: dict[str, list[float]] = {name: [] for name in VARIANTS}
    loads = []
    for _ in range(args.runs):
        for name, extra in VARIANTS.items():
            loads.append(os.getloadavg()[0])
            wall, cpu = run_once(args.project, extra)
            walls[name].append(wall)
            cpus[name].append(cpu)
    print(f"cpus={os.cpu_count()} runs={args.runs} load1 {min(loads):.1f}-{max(loads):.1f}")
    print("| setting | wall median | CPU median | wall range |")
    print("|---|---|---|---|")
    for name in VARIANTS:
        w, c = walls[name], cpus[name]
        print(
            f"| {name} | {statistics.median(w):.2f} s | {statistics.median(c):.2f} s "
            f"| {min(w):.2f}-{max(w):.2f} s |"
        )


if __name__ == "__main__":
    main()
