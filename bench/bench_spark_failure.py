"""Benchmark: how long `mlproject step monitor` on the spark engine takes to fail on a
corrupt Parquet window, against the same command on the intact window.

The shop project of the monitor tests (4,000 reference rows, spark engine) and a
3,000-row current window whose data pages are overwritten (footer intact: the schema
and row count read, the rows do not). Each run is a fresh process, as a user runs it (a
JVM and a local Spark session every time). ``--tree NAME=PATH`` runs the command with
``PYTHONPATH=PATH`` (another checkout, e.g. the commit before a change); the trees'
runs are interleaved and their medians printed, then (one more run per tree with
``MLPROJECT_DEBUG=1``) the Spark stage that failed: the stages before it are the work
done before the corrupt window was read, a figure that does not depend on the load.
Not part of the tests.

    python bench/bench_spark_failure.py [--tree before=/tmp/before] [--tree after=.]
        [--repeat 3] [--intact]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from click.testing import CliRunner

from mlcli.app import cli
from tests.runtime.test_monitor_engines import _corrupt_pages
from tests.runtime.test_monitor_support import (
    NOW_AFTER_REFERENCE,
    baskets,
    make_project,
)


def spark_project(root: Path) -> tuple[Path, Path, Path]:
    """The shop project compiled with ``monitoring.engine: spark``, its intact current
    window and a copy of that window with corrupt pages."""
    project = make_project(root / "shop", reference_rows=4000)
    spec = project / "mlproject.yaml"
    spec.write_text(spec.read_text().replace("monitoring:\n", "monitoring:\n  engine: spark\n", 1))
    done = CliRunner().invoke(cli, ["compile", str(spec), "--root", str(project)])
    if done.exit_code != 0:
        raise SystemExit(done.output)
    current, corrupt = root / "current.parquet", root / "corrupt.parquet"
    shift = frozenset({"amount", "channel"})
    window = baskets(3000, seed=7, shift=shift, start="2024-07-01", days=1)
    window.to_parquet(current, index=False)
    _corrupt_pages(current, corrupt)
    return project, current, corrupt


FAILED_STAGE = re.compile(r"Task \S+ in stage (\d+)\.\d+ failed")


def run(
    tree: Path, project: Path, window: Path, out: Path, *, debug: bool = False
) -> tuple[float, int, str]:
    command = [sys.executable, "-m", "mlcli", "step", "monitor", "--project-dir", str(project),
               "--current", str(window), "--now", NOW_AFTER_REFERENCE,
               "--out-dir", str(out)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "MLPROJECT_DEBUG"}
    env["PYTHONPATH"] = str(tree)
    if debug:
        env["MLPROJECT_DEBUG"] = "1"
    started = time.perf_counter()
    # cwd: `python -m` puts the working directory first on sys.path, before PYTHONPATH
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.returncode, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--intact", action="store_true", help="also time the intact window")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    trees = dict(t.split("=", 1) for t in args.tree) or {"this tree": str(here)}
    if shutil.which("java") is None:
        raise SystemExit("the spark engine needs Java")
    work = Path(tempfile.mkdtemp(prefix="bench-spark-failure-"))
    try:
        project, current, corrupt = spark_project(work)
        cases = [("corrupt", corrupt)] + ([("intact", current)] if args.intact else [])
        times: dict[tuple[str, str], list[float]] = {}
        for i in range(args.repeat):
            for name, tree in trees.items():
                for case, window in cases:
                    seconds, code, _ = run(Path(tree).resolve(), project, window, work / "out")
                    times.setdefault((name, case), []).append(seconds)
                    load = os.getloadavg()[0]
                    print(f"round {i} {name} {case}: {seconds:.1f} s, exit {code}, load {load:.1f}")
        print("| tree | window | median s | runs s |\n|---|---|---|---|")
        for (name, case), found in times.items():
            runs = ", ".join(f"{t:.1f}" for t in found)
            print(f"| {name} | {case} | {statistics.median(found):.1f} | {runs} |")
        for name, tree in trees.items():
            _, _, stderr = run(Path(tree).resolve(), project, corrupt, work / "out", debug=True)
            stage = FAILED_STAGE.search(stderr)
            print(f"{name}: the corrupt window failed in Spark stage {stage[1] if stage else '?'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
