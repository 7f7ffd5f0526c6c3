"""Benchmark: the compile path's cost (issue 2's performance contract).

1. Cold ``mlproject validate`` and ``mlproject compile`` of examples/churn, each a
   fresh process, as a ratio to ``python -c "import yaml, pydantic, jinja2, click"``
   measured in the same run, interleaved. Target (issue 11): <= 2.5x.
2. A monorepo of N generated specs (default 1,000) in one tree: full compile
   (target <= 10 s on 2 cores) and a no-op recompile (target <= 1 s).
3. With ``--stages``: one more full compile of the monorepo in this process, the
   wall time of each stage measured (validate, lower, each target's render and
   the YAML serialiser in them, emit and its disk commit).
4. With ``--profile FILE``: the same under cProfile, broken down the same way
   (profiled seconds: pure-Python code looks costlier than it is); raw stats in FILE.

Every command runs this checkout (``PYTHONPATH``), not whichever ``compiler`` the
interpreter has installed. Before timing, this checkout's modules are byte-compiled
(``compileall``), as pip does for an installed package and as the baseline's
libraries already are: with ``PYTHONDONTWRITEBYTECODE`` set (as on the
development machines) every run would otherwise recompile ~200 source files.
The load average is printed beside the figures: the machine may be shared, so
compare medians from the same run.

Run: ``python bench/bench_compile.py [--runs 15] [--specs 1000] [--full-runs 3]
[--stages] [--profile compile.prof] [--skip-cold-start] [--skip-monorepo]``.
Prints medians.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = [sys.executable, "-c", "import yaml, pydantic, jinja2, click"]
# The monorepo commands run from a temp directory: without this they would import
# the installed ``compiler`` (perhaps another checkout) instead of this one.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}

WORK_DIR: str | None = None  # where the trees are made (--dir); None: the system temp dir


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float  # user + system seconds of the command: less sensitive to the neighbours


def timed(cmd: list[str], cwd: Path | None = None) -> Sample:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout.decode()}{done.stderr.decode()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Sample(elapsed, cpu)


def medians(samples: list[Sample]) -> tuple[float, float]:
    return statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples)


def byte_compile() -> None:
    """Write the .pyc files an installed package has (``PYTHONDONTWRITEBYTECODE`` may be set)."""
    env = {k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}
    folders = [str(ROOT / name) for name in ("compiler", "targets", "mlcontract", "mlcli")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], env=env, check=True)


def cold_start(runs: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="mlp-bench-", dir=WORK_DIR))
    churn = work / "churn"
    shutil.copytree(ROOT / "examples" / "churn", churn)
    (churn / ".git").mkdir()
    spec = str(churn / "mlproject.yaml")
    cli = [sys.executable, "-m", "mlcli"]
    timed([*cli, "compile", spec])  # create the outputs once, so --check finds them
    commands = {
        "baseline: import yaml, pydantic, jinja2, click": BASELINE,
        "mlproject validate (churn)": [*cli, "validate", spec],
        # --no-cache: every run renders every target, as a first compile in CI does
        "mlproject compile --check --no-cache (churn)": [
            *cli,
            "compile",
            "--check",
            "--no-cache",
            spec,
        ],
    }
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    print(f"cold start, median of {runs} runs each ({load()})")
    for _ in range(runs):
        for name, cmd in commands.items():  # interleaved: load changes hit all alike
            samples[name].append(timed(cmd))
    base_wall, base_cpu = medians(samples[next(iter(commands))])
    for name, values in samples.items():
        wall, cpu = medians(values)
        print(
            f"  {name:<48} {wall * 1000:7.1f} ms   {wall / base_wall:4.2f}x baseline"
            f"   (CPU {cpu * 1000:6.1f} ms, {cpu / base_cpu:4.2f}x)"
        )
    print(f"  ({load()})")
    shutil.rmtree(work)


def make_monorepo(count: int) -> Path:
    """A git work tree with ``count`` copies of examples/churn, each with its own name."""
    work = Path(tempfile.mkdtemp(prefix="mlp-mono-", dir=WORK_DIR))
    (work / ".git").mkdir()
    template = (ROOT / "examples" / "churn" / "mlproject.yaml").read_text(encoding="utf-8")
    for i in range(count):
        project = work / "projects" / f"p{i:04d}"
        project.mkdir(parents=True)
        text = template.replace("\n  name: churn\n", f"\n  name: churn-{i:04d}\n")
        (project / "mlproject.yaml").write_text(text, encoding="utf-8")
    return work


def monorepo(count: int, full_runs: int) -> None:
    print(f"monorepo of {count} specs ({load()})")
    full: list[Sample] = []
    # Each full compile gets a new tree, and the trees are removed only at the end:
    # on ext4 without a journal (this machine's disk), creating files right after
    # 25,000 were deleted is several times slower (the allocator skips recently
    # deleted inodes one by one), which would time the benchmark's own rmtree.
    trees: list[Path] = []
    for _ in range(full_runs):
        work = make_monorepo(count)
        trees.append(work)
        cli = [sys.executable, "-m", "mlcli", "compile", str(work)]
        full.append(timed(cli, cwd=work))
    noop = [timed(cli, cwd=work) for _ in range(5)]
    check = [timed([*cli, "--check"], cwd=work) for _ in range(3)]
    files = sum(1 for p in work.rglob("*") if p.is_file())
    for tree in trees:
        shutil.rmtree(tree)
    runs = ", ".join(f"{t.wall:.2f}" for t in full)
    print(f"  {files} files after compile; wall seconds (CPU seconds of the command)")
    for name, values, note in (
        ("full compile", full, f"target <= 10 s; median of {full_runs}: {runs}"),
        ("no-op recompile", noop, "target <= 1 s; median of 5"),
        ("compile --check, clean", check, "median of 3"),
    ):
        wall, cpu = medians(values)
        print(f"  {name:<24} {wall:7.2f} s ({cpu:6.2f} s)   {note}")
    print(f"  ({load()})")


class _Clock:
    """Wall seconds spent in wrapped functions, per stage (nested stages overlap)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.originals: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attribute: str, stage: str) -> None:
        original = getattr(owner, attribute)
        seconds = self.seconds
        seconds.setdefault(stage, 0.0)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - start

        self.originals.append((owner, attribute, original))
        setattr(owner, attribute, timed_call)

    def unwrap(self) -> None:
        for owner, attribute, original in reversed(self.originals):
            setattr(owner, attribute, original)


def _compile_in_process(count: int, profiler: cProfile.Profile | None = None) -> float:
    from compiler.pipeline import compile_specs, find_root, find_specs
    from compiler.target_registry import available_targets

    work = make_monorepo(count)
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = compile_specs(find_specs([work]), find_root(work), list(available_targets()))
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - start
    shutil.rmtree(work)
    if report.has_errors:
        sys.exit("the in-process compile failed")
    return elapsed


def stages(count: int) -> None:
    """One full compile of the monorepo in this process, each stage timed (no profiler)."""
    import importlib

    import compiler.emit
    import compiler.lower
    import compiler.pipeline
    from compiler.target_registry import available_targets

    clock = _Clock()
    clock.wrap(compiler.pipeline, "validate_file", "validate (load, schema, checks)")
    clock.wrap(compiler.lower, "lower", "lower")
    for name, where in available_targets().items():
        module = importlib.import_module(where.partition(":")[0])
        clock.wrap(module, "render", f"render: target {name}")
    from compiler.serialize import dump_yaml

    for module in list(sys.modules.values()):
        if (
            module.__name__.startswith("targets.")
            and getattr(module, "dump_yaml", None) is dump_yaml
        ):
            clock.wrap(module, "dump_yaml", "  of which dump_yaml (all targets)")
    clock.wrap(compiler.emit, "apply", "emit (plan, write, rename)")
    clock.wrap(compiler.emit, "commit", "  of which commit (temp files, sync, renames)")
    try:
        elapsed = _compile_in_process(count)
    finally:
        clock.unwrap()
    print(f"stages of one full compile of {count} specs, in process, no profiler ({load()})")
    print(f"  {'total':<48} {elapsed:7.2f} s")
    for stage, seconds in clock.seconds.items():
        print(f"  {stage:<48} {seconds:7.2f} s  {seconds / elapsed:6.1%}")


def _stage_times(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Cumulative seconds of the functions that mark each stage of the compile."""
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]

    def cumulative(path_suffix: str, function: str) -> float:
        return sum(
            float(value[3])
            for (path, _, name), value in table.items()
            if name == function and path.replace(os.sep, "/").endswith(path_suffix)
        )

    from compiler.target_registry import available_targets

    stages = [
        ("find specs", cumulative("compiler/pipeline.py", "find_specs")),
        ("validate (load, schema, checks)", cumulative("compiler/pipeline.py", "validate_file")),
        ("lower", cumulative("compiler/lower.py", "lower")),
        ("render: every target", cumulative("compiler/pipeline.py", "render_targets")),
    ]
    for name, module in available_targets().items():
        path = module.partition(":")[0].replace(".", "/")
        stages.append((f"  target {name}", cumulative(f"{path}/__init__.py", "render")))
    stages += [
        ("  of which dump_yaml", cumulative("compiler/serialize.py", "dump_yaml")),
        ("emit (plan + write)", cumulative("compiler/emit.py", "apply")),
        (
            "  of which commit (temp files, sync, renames)",
            cumulative("compiler/manifest.py", "commit"),
        ),
    ]
    return stages


def profile(count: int, output: Path) -> None:
    """One full compile of the monorepo in this process, under cProfile."""
    profiler = cProfile.Profile()
    elapsed = _compile_in_process(count, profiler)
    profiler.dump_stats(output)
    stats = pstats.Stats(profiler)
    total: float = stats.total_tt  # type: ignore[attr-defined]
    print(f"profile of one full compile of {count} specs, in process ({load()})")
    print(f"  {elapsed:.2f} s wall with cProfile on; {total:.2f} s profiled; stats in {output}")
    for name, seconds in _stage_times(stats):
        print(f"  {name:<48} {seconds:7.2f} s  {seconds / total:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--full-runs", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="time each stage in process")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE")
    parser.add_argument("--skip-cold-start", action="store_true")
    parser.add_argument("--skip-monorepo", action="store_true")
    parser.add_argument(
        "--dir", default=None, help="make the trees here (e.g. a tmpfs, to leave the disk out)"
    )
    args = parser.parse_args()
    global WORK_DIR  # noqa: PLW0603 (one setting for the whole run)
    WORK_DIR = args.dir
    sys.path.insert(0, str(ROOT))  # the in-process parts, like the commands, run this checkout
    byte_compile()
    if not args.skip_cold_start:
        cold_start(args.runs)
    if not args.skip_monorepo:
        monorepo(args.specs, args.full_runs)
    if args.stages:
        stages(args.specs)
    if args.profile is not None:
        profile(args.specs, args.profile)


if __name__ == "__main__":
    main()
