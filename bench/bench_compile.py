"""Benchmark: the compile path's cost (issue 2's performance contract).

1. Cold ``mlproject validate`` and ``mlproject compile`` of examples/churn, each a
   fresh process, as a ratio to ``python -c "import yaml, pydantic, jinja2, click"``
   measured in the same run, interleaved. Target: <= 1.5x.
2. A monorepo of N generated specs (default 1,000) in one tree: full compile
   (target <= 10 s on 2 cores) and a no-op recompile (target <= 1 s).

Run: ``python bench/bench_compile.py [--runs 15] [--specs 1000]``. Prints medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = [sys.executable, "-c", "import yaml, pydantic, jinja2, click"]


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout.decode()}{done.stderr.decode()}")
    return elapsed


def cold_start(runs: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="mlp-bench-"))
    churn = work / "churn"
    shutil.copytree(ROOT / "examples" / "churn", churn)
    (churn / ".git").mkdir()
    spec = str(churn / "mlproject.yaml")
    cli = [sys.executable, "-m", "compiler"]
    commands = {
        "baseline: import yaml, pydantic, jinja2, click": BASELINE,
        "mlproject validate (churn)": [*cli, "validate", spec],
        # --no-cache: every run renders every target, as a first compile in CI does
        "mlproject compile --check --no-cache (churn)": [*cli, "compile", "--no-cache", spec],
    }
    timed(commands["mlproject compile --check --no-cache (churn)"])  # create the outputs once
    commands["mlproject compile --check --no-cache (churn)"] = [
        *cli,
        "compile",
        "--check",
        "--no-cache",
        spec,
    ]
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():  # interleaved: load changes hit all alike
            samples[name].append(timed(cmd))
    base = statistics.median(samples[next(iter(commands))])
    print(f"cold start, median of {runs} runs each")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:<48} {median * 1000:7.1f} ms   {median / base:4.2f}x baseline")
    shutil.rmtree(work)


def monorepo(count: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="mlp-mono-"))
    (work / ".git").mkdir()
    template = (ROOT / "examples" / "churn" / "mlproject.yaml").read_text(encoding="utf-8")
    for i in range(count):
        project = work / "projects" / f"p{i:04d}"
        project.mkdir(parents=True)
        text = template.replace("\n  name: churn\n", f"\n  name: churn-{i:04d}\n")
        (project / "mlproject.yaml").write_text(text, encoding="utf-8")
    cli = [sys.executable, "-m", "compiler", "compile", str(work)]
    full = timed(cli, cwd=work)
    noop = [timed(cli, cwd=work) for _ in range(5)]
    check = [timed([*cli, "--check"], cwd=work) for _ in range(3)]
    files = sum(1 for p in work.rglob("*") if p.is_file())
    print(f"monorepo of {count} specs ({files} files after compile)")
    print(f"  full compile            {full:7.2f} s   (target <= 10 s)")
    print(
        f"  no-op recompile         {statistics.median(noop):7.2f} s   (target <= 1 s; median of 5)"
    )
    print(f"  compile --check, clean  {statistics.median(check):7.2f} s   (median of 3)")
    shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--specs", type=int, default=1000)
    args = parser.parse_args()
    cold_start(args.runs)
    monorepo(args.specs)


if __name__ == "__main__":
    main()
