"""Benchmark: a whole ``mlproject step monitor`` process on a small window, two source trees.

On a 10k-row window the step itself takes tens of milliseconds; what a user (an hourly
CI job) waits for is the process: interpreter start-up and imports. This runs
``python -m mlcli step monitor`` on the planted 10k-row windows (20 features, 7
drifted: :mod:`mlruntime.demo.planted_drift`) with ``PYTHONPATH`` set to the baseline
tree and to this one, interleaved (each round runs every command once, so a change of
load hits all of them), and prints the median wall and CPU time (the child's own, from
``os.wait4``) of each, and the ratio to the baseline. Also a healthy window of numeric
columns without missing values (nothing for which a p-value needs SciPy), and floors:
an empty interpreter and the third-party imports the step needs.

Two modes: ``as here`` inherits this environment (``PYTHONDONTWRITEBYTECODE=1`` in the
project's sessions: the project's own modules are compiled from source on every run);
``bytecode`` gives each tree its own ``PYTHONPYCACHEPREFIX``, as an installed package
has its ``.pyc`` files. Both trees' reports are compared byte for byte.

    git -C /work/main worktree add --detach /tmp/base <commit>   # or git archive
    python bench/bench_monitor_startup.py --baseline /tmp/base [--rounds 11]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_monitor import bench_spec, compile_spec, measure  # noqa: E402
from bench_monitor_planted import write_project  # noqa: E402

from mlruntime.demo import planted_drift as planted  # noqa: E402

# Planted numeric columns alike in both windows and never missing: no chi-squared
# p-value (no category, no change of the missing share), no KS tail.
HEALTHY = ("same_normal", "same_uniform", "same_exponential", "same_heavy_tail")
THIRD_PARTY = "import numpy, pyarrow.parquet, click, jinja2, yaml"


def healthy_project(work: Path) -> Path:
    project = work / "healthy"
    (project / "data").mkdir(parents=True)
    header = ",".join(("y", *HEALTHY))
    (project / "data" / "events.csv").write_text(f"{header}\n" + ",".join(["1.0"] * 5) + "\n")
    cols = "\n".join(f"        - {{name: {n}, type: float}}" for n in HEALTHY)
    spec = bench_spec(
        "healthy",
        f"""\
      columns:
        - {{name: y, type: float}}
{cols}
training:
  features: [{", ".join(HEALTHY)}]
monitoring:
  engine: memory
  drift:
    prediction: null
""",
    )
    return compile_spec(project, spec)


def env_prefix(tree: Path, mode: str, work: Path) -> list[str]:
    if mode != "bytecode":
        return ["env", f"PYTHONPATH={tree}"]
    cache = work / "pyc" / tree.name
    return [
        "env",
        "-u",
        "PYTHONDONTWRITEBYTECODE",
        f"PYTHONPATH={tree}",
        f"PYTHONPYCACHEPREFIX={cache}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the tree to compare with")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--modes", default="as here,bytecode")
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "this tree": ROOT}
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    planted_project = write_project(work, None)
    ref, cur = planted.write_pair(work / "w", args.rows, planted.REPORTED, planted.REPORTED_SEEDS)
    projects = {"planted": planted_project, "healthy": healthy_project(work)}
    healthy_cur = work / "w" / "healthy-current.parquet"
    import pyarrow.parquet as pq

    healthy_ref = work / "w" / "healthy-reference.parquet"
    pq.write_table(pq.read_table(ref, columns=list(HEALTHY)), healthy_ref)
    pq.write_table(pq.read_table(cur, columns=list(HEALTHY)), healthy_cur)
    windows = {"planted": (ref, cur), "healthy": (healthy_ref, healthy_cur)}

    commands: dict[str, tuple[list[str], Path]] = {}
    for mode in args.modes.split(","):
        for window, project in projects.items():
            reference, current = windows[window]
            for name, tree in trees.items():
                out = work / "out" / mode / window / name
                step = [
                    sys.executable, "-m", "mlcli", "step", "monitor", "--project-dir", str(project),
                    "--reference", str(reference), "--current", str(current),
                    "--out-dir", str(out), "--now", "2024-07-02T00:00:00Z",
                ]  # fmt: skip
                commands[f"{window}, {mode}, {name}"] = (env_prefix(tree, mode, work) + step, out)
    commands["floor: python -c pass"] = ([sys.executable, "-c", "pass"], work)
    commands[f"floor: {THIRD_PARTY}"] = ([sys.executable, "-c", THIRD_PARTY], work)
    commands["floor: the same + scipy.special"] = (
        [sys.executable, "-c", THIRD_PARTY + ", scipy.special"],
        work,
    )
    for key, (command, _) in commands.items():  # warm: page cache, .pyc files
        if measure(command, work)[3] not in (0, 10):
            raise SystemExit(f"{key}: failed")
    for key, (_, out) in commands.items():
        if key.endswith("this tree"):
            other = out.parent / "baseline"
            for report in sorted(p.name for p in other.iterdir()):
                if (out / report).read_bytes() != (other / report).read_bytes():
                    raise SystemExit(f"{key}: {report} differs from the baseline's")
    wall: dict[str, list[float]] = {key: [] for key in commands}
    cpu: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(args.rounds):
        for key, (command, _) in commands.items():
            seconds, _, _, code, cpu_seconds = measure(command, work)
            if code not in (0, 10):
                raise SystemExit(f"{key}: exit {code}")
            wall[key].append(seconds)
            cpu[key].append(cpu_seconds)
    print(f"\n{args.rounds} interleaved rounds, {args.rows:,}-row windows, load {os.getloadavg()}")
    print("\n| process | wall ms (median) | CPU ms (median) | CPU vs baseline |")
    print("|---|---|---|---|")
    for key in commands:
        base = key.replace("this tree", "baseline")
        ratio = statistics.median(cpu[key]) / statistics.median(cpu[base]) if base != key else None
        shown = f"{ratio:.2f}" if ratio is not None else ""
        print(
            f"| {key} | {statistics.median(wall[key]) * 1e3:.0f} "
            f"| {statistics.median(cpu[key]) * 1e3:.0f} | {shown} |"
        )
    print("\nreports byte-identical between the trees (both windows, every mode)")


if __name__ == "__main__":
    main()
