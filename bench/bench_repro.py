"""Benchmark: ``dvc repro --force`` of the compiled churn pipeline vs a hand-written one.

(a) ``examples/churn`` compiled by ``mlproject compile`` (targets ``config`` and
``dvc``: what ``dvc repro`` needs) into a fresh git repository; (b)
``bench/handwritten/``: a hand-written ``dvc.yaml`` with plain pandas +
scikit-learn scripts doing the same work on the same data (the same 56 schema
checks, the same seeded stratified split, the same HistGradientBoostingClassifier
with the same params and preprocessing, the same Dummy baseline, metrics, plots
and gate). Both repositories are set up alike (``.dvc/config`` with analytics
and update checks off, data tracked with ``dvc add``), warmed up with one
``dvc repro``, checked to produce the same metrics, then timed interleaved
(a, b, a, b, ...). Issue 3's target: median ratio a/b <= 1.1.

Per stage, two views: the time between DVC's ``Running stage`` lines (the
stage's process plus DVC's bookkeeping for it; ``dvc start`` is everything
before the first stage), and, with ``--commands``, each stage's command run on
its own (interleaved too). ``--profile`` adds each command's import time
(``python -X importtime``, self time summed by top-level package).
``--what-if`` also times a copy of the compiled pipeline without its
``champion`` stage, to price that stage. CPU time (user + sys of the whole
process tree) is reported beside wall time: it is far less sensitive to other
load on the machine.

Finally it confirms that the compile path imports none of scikit-learn,
pandas, DVC (``python -X importtime -m compiler compile`` of every target).

Offline: ``DVC_NO_ANALYTICS=1``, no remote is touched. The interpreter's bin
directory goes first on ``PATH`` for both sides, as in an activated venv.

Run: ``python bench/bench_repro.py [--runs 5] [--commands] [--profile]
[--what-if] [--threads N] [--keep]``. ``--threads N`` sets ``OMP_NUM_THREADS``
(and the BLAS equivalents) to N for both sides; by default they are unset.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "churn"
HANDWRITTEN = ROOT / "bench" / "handwritten"
DATA = "data/customers.csv"
SIDES = ("compiled", "handwritten")
WHAT_IF = "compiled-no-champion"
STAGE_LINE = re.compile(r"^Running stage '([^']+)':")
START = "dvc start"
# What the compile path must never import (DESIGN.md, "runtime").
FORBIDDEN = ("sklearn", "pandas", "dvc", "scipy", "pyarrow", "mlserver", "joblib", "gto")
# How an import profile groups top-level packages; the rest is "other".
IMPORT_GROUPS = {
    "sklearn+scipy": ("sklearn", "scipy"),
    "pandas+numpy+pyarrow": ("pandas", "numpy", "pyarrow"),
    "pydantic": ("pydantic", "pydantic_core", "annotated_types", "typing_inspection"),
    "mlproject": ("compiler", "targets"),
    "click": ("click",),
    "gto+git": ("gto", "scmrepo", "pygit2", "dulwich", "fsspec", "funcy", "semver"),
}


def environment(work: Path, threads: int | None) -> dict[str, str]:
    gitconfig = work / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    env = dict(os.environ)
    # Both sides run from .pyc files, as installed code does: the warm-up repro writes them
    # (with PYTHONDONTWRITEBYTECODE set, every process would recompile its scripts).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(work / "dvc-site-cache"),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if threads is None:
            env.pop(name, None)
        else:
            env[name] = str(threads)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        sys.exit(f"failed in {cwd}: {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def setup_compiled(repo: Path, env: dict[str, str]) -> None:
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    shutil.copytree(EXAMPLE, repo, dirs_exist_ok=True)
    targets = ["--target", "config", "--target", "dvc"]
    run(["mlproject", "compile", *targets, "mlproject.yaml"], repo, env)
    run(["dvc", "add", "-q", DATA], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-q", "-m", "compile churn"], repo, env)


def setup_handwritten(repo: Path, env: dict[str, str]) -> None:
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    run(["dvc", "init", "-q"], repo, env)
    run(["dvc", "config", "core.analytics", "false"], repo, env)
    run(["dvc", "config", "core.check_update", "false"], repo, env)
    shutil.copytree(HANDWRITTEN, repo, dirs_exist_ok=True)
    (repo / "data").mkdir()
    shutil.copy2(EXAMPLE / DATA, repo / DATA)
    run(["dvc", "add", "-q", DATA], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-q", "-m", "hand-written churn"], repo, env)


def without_champion(compiled: Path, to: Path, env: dict[str, str]) -> Path:
    """A copy of the compiled repository whose dvc.yaml has no champion stage.

    The gate then runs without --champion-metrics: the beat-the-champion check is
    "skipped: no champion", as it is in the real pipeline while nothing is released.
    """
    import yaml

    shutil.copytree(compiled, to, symlinks=True)
    pipeline = to / "dvc.yaml"
    data = yaml.safe_load(pipeline.read_text())
    stages = data["stages"]
    stages.pop("champion")
    gate = stages["gate"]
    gate["cmd"] = gate["cmd"].split(" --champion-metrics")[0]
    gate["deps"] = [d for d in gate["deps"] if "champion" not in str(d)]
    pipeline.write_text(yaml.safe_dump(data, sort_keys=False))
    run(["dvc", "repro"], to, env)
    return to


def stage_commands(repo: Path) -> dict[str, str]:
    import yaml

    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    return {name: stage["cmd"] for name, stage in stages.items()}


def timed_repro(repo: Path, env: dict[str, str]) -> tuple[float, float, dict[str, float]]:
    """One ``dvc repro --force``: wall seconds, CPU seconds, seconds per stage."""
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["dvc", "repro", "--force"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    marks: list[tuple[str, float]] = [(START, start)]
    lines = []
    for line in proc.stdout:
        lines.append(line)
        found = STAGE_LINE.match(line)
        if found:
            marks.append((found.group(1), time.perf_counter()))
    code = proc.wait()
    end = time.perf_counter()
    if code != 0:
        sys.exit(f"dvc repro --force failed in {repo}:\n{''.join(lines)}")
    marks.append(("", end))
    stages = {name: marks[i + 1][1] - at for i, (name, at) in enumerate(marks[:-1])}
    return end - start, children_cpu() - cpu, stages


def timed_command(cmd: str, repo: Path, env: dict[str, str]) -> tuple[float, float]:
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, shell=True, cwd=repo, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed in {repo}: {cmd}\n{done.stdout.decode()}{done.stderr.decode()}")
    return elapsed, children_cpu() - cpu


def as_python(cmd: str, flags: list[str]) -> list[str]:
    """A stage command as ``python <flags> ...`` (``mlproject`` is ``python -m mlcli``)."""
    words = cmd.split()
    if words[0] == "mlproject":
        return [sys.executable, *flags, "-m", "mlcli", *words[1:]]
    if words[0] == "python":
        return [sys.executable, *flags, *words[1:]]
    raise ValueError(f"not a Python stage command: {cmd}")


def import_times(stderr: str) -> tuple[float, dict[str, float]]:
    """Total import seconds, and self time per top-level package, from ``-X importtime``.

    Self times add up to the total, so each package is charged only for its own
    modules (cumulative times would charge ``compiler`` for the scikit-learn it imports).
    """
    by_package: dict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|", 2)
        if own.strip().isdigit():  # not the header
            by_package[name.strip().split(".")[0]] += int(own) / 1e6
    return sum(by_package.values()), dict(by_package)


def imported_modules(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}" if b > 0 else "    -"


def print_stage_table(title: str, samples: dict[str, dict[str, list[float]]]) -> None:
    compiled, handwritten = samples["compiled"], samples["handwritten"]
    print(f"\n{title}")
    print(f"  {'stage':<12} {'compiled':>10} {'hand-written':>13} {'a - b':>8} {'a/b':>6}")
    for name in dict.fromkeys([*compiled, *handwritten]):
        a = median(compiled.get(name, []))
        b = median(handwritten.get(name, []))
        a_ms = "-" if math.isnan(a) else f"{a * 1000:8.0f} ms"
        b_ms = "-" if math.isnan(b) else f"{b * 1000:8.0f} ms"
        diff = (0.0 if math.isnan(a) else a) - (0.0 if math.isnan(b) else b)
        print(f"  {name:<12} {a_ms:>10} {b_ms:>13} {diff * 1000:+8.0f} {ratio(a, b):>6}")


def bench_repro(repos: dict[str, Path], env: dict[str, str], runs: int) -> None:
    sides = list(repos)
    wall: dict[str, list[float]] = {side: [] for side in sides}
    cpu: dict[str, list[float]] = {side: [] for side in sides}
    stages: dict[str, dict[str, list[float]]] = {side: defaultdict(list) for side in sides}
    for i in range(runs):
        for side in sides:  # interleaved: load from elsewhere hits every side alike
            seconds, cpu_seconds, per_stage = timed_repro(repos[side], env)
            wall[side].append(seconds)
            cpu[side].append(cpu_seconds)
            for name, value in per_stage.items():
                stages[side][name].append(value)
            print(f"  run {i + 1}/{runs} {side:<20} {seconds:6.2f} s wall {cpu_seconds:6.2f} s CPU")
    b, cb = median(wall["handwritten"]), median(cpu["handwritten"])
    print(f"\ndvc repro --force, median of {runs} runs each (interleaved)")
    print(f"  {'':<20} {'wall':>8} {'CPU':>8} {'wall/b':>7} {'CPU/b':>7}")
    for side in sides:
        a, ca = median(wall[side]), median(cpu[side])
        print(f"  {side:<20} {a:7.2f}s {ca:7.2f}s {a / b:7.3f} {ca / cb:7.3f}")
    print("  target: compiled/handwritten <= 1.1")
    pairs = [x / y for x, y in zip(wall["compiled"], wall["handwritten"], strict=True)]
    print(f"  per-run wall ratios compiled/handwritten: {', '.join(f'{p:.3f}' for p in pairs)}")
    print_stage_table("per stage, wall, from dvc repro output (median)", stages)


def bench_commands(repos: dict[str, Path], env: dict[str, str], runs: int) -> None:
    commands = {side: stage_commands(repos[side]) for side in SIDES}
    wall: dict[str, dict[str, list[float]]] = {side: defaultdict(list) for side in SIDES}
    cpu: dict[str, dict[str, list[float]]] = {side: defaultdict(list) for side in SIDES}
    for _ in range(runs):
        for side in SIDES:
            for name, cmd in commands[side].items():  # in pipeline order: inputs exist
                seconds, cpu_seconds = timed_command(cmd, repos[side], env)
                wall[side][name].append(seconds)
                cpu[side][name].append(cpu_seconds)
    for side in SIDES:
        total = sum(median(v) for v in wall[side].values())
        wall[side]["total"] = [total]
        cpu[side]["total"] = [sum(median(v) for v in cpu[side].values())]
    print_stage_table(f"per stage command run alone, wall (median of {runs})", wall)
    print_stage_table(f"per stage command run alone, CPU (median of {runs})", cpu)


def profile_imports(repos: dict[str, Path], env: dict[str, str]) -> None:
    print("\nimports per stage command: python -X importtime, one run (it inflates them);")
    print("  self time summed by top-level package, in ms")
    for side in SIDES:
        print(f"  {side}")
        for name, cmd in stage_commands(repos[side]).items():
            done = subprocess.run(
                as_python(cmd, ["-X", "importtime"]),
                cwd=repos[side],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            total, by_package = import_times(done.stderr)
            groups = {
                group: sum(by_package.get(package, 0.0) for package in packages)
                for group, packages in IMPORT_GROUPS.items()
            }
            groups["other"] = total - sum(groups.values())
            shown = ", ".join(f"{k} {v * 1000:.0f}" for k, v in groups.items() if v >= 0.0005)
            print(f"    {name:<10} {total * 1000:6.0f} ms imports   ({shown})")


def check_compile_imports(work: Path, env: dict[str, str]) -> None:
    """Compile every target of a fresh copy under -X importtime: no runtime package loaded."""
    repo = work / "compile-imports"
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    shutil.copytree(EXAMPLE, repo, dirs_exist_ok=True)
    cmd = [sys.executable, "-X", "importtime", "-m", "mlcli", "compile", "mlproject.yaml"]
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    modules = imported_modules(done.stderr)
    found = sorted(m for m in modules if m.split(".")[0] in FORBIDDEN)
    print(f"\ncompile path: {' '.join(['python', *cmd[1:]])}  (exit {done.returncode})")
    print(f"  {len(modules)} modules imported; of {', '.join(FORBIDDEN)}: {found or 'none'}")
    print(f"  numpy imported: {'yes' if 'numpy' in modules else 'no'}")
    if done.returncode != 0:
        print(f"  compile failed:\n{done.stdout}{done.stderr[-2000:]}")


def same_results(repos: dict[str, Path]) -> None:
    """Both pipelines must have done the same work: identical metrics, plots, predictions."""
    identical = ("metrics/model.json", "metrics/baseline.json", "build/eval/predictions.csv")
    identical += ("plots/roc.csv", "plots/precision_recall.csv", "plots/confusion.csv")
    for path in identical:
        if (repos["compiled"] / path).read_bytes() != (repos["handwritten"] / path).read_bytes():
            sys.exit(f"the two pipelines disagree on {path}")
    checks = [
        len(json.loads((repos[s] / "reports/data-validation.json").read_text())["checks"])
        for s in SIDES
    ]
    print(f"identical outputs: {', '.join(identical)}")
    print(f"schema checks: {checks[0]} compiled, {checks[1]} hand-written")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed repros per side (default 5)")
    parser.add_argument("--commands", action="store_true", help="also time each stage command")
    parser.add_argument("--profile", action="store_true", help="import time per stage command")
    parser.add_argument(
        "--threads", type=int, default=None, help="OMP/BLAS threads for both sides (default: unset)"
    )
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also time the compiled pipeline without its champion stage (a what-if, not shipped)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary repositories")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlp-bench-repro-"))
    env = environment(work, args.threads)
    repos = {side: work / side for side in SIDES}
    try:
        setup_compiled(repos["compiled"], env)
        setup_handwritten(repos["handwritten"], env)
        threads = env.get("OMP_NUM_THREADS", "unset")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, OMP_NUM_THREADS={threads}")
        print(f"{work}: compiled = examples/churn, handwritten = bench/handwritten")
        for side in SIDES:  # warm-up: dvc.lock, page cache, .pyc files
            run(["dvc", "repro"], repos[side], env)
        same_results(repos)
        timed = dict(repos)
        if args.what_if:
            timed[WHAT_IF] = without_champion(repos["compiled"], work / WHAT_IF, env)
        bench_repro(timed, env, args.runs)
        if args.commands:
            bench_commands(repos, env, args.runs)
        if args.profile:
            profile_imports(repos, env)
        check_compile_imports(work, env)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
