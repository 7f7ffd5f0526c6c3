"""Benchmark: each drift statistic of the monitor against SciPy's, at every sample size.

For n in 1k, 10k (KS exact regime), 100k and 1M (asymptotic) per window: the
median time of ``mlruntime.steps.monitor.stats`` and of the SciPy function it
matches, in one process, interleaved; the ratio ours / SciPy (under 1: ours
is faster). Inputs are sorted once beforehand for both (the monitor sorts
each column once and shares it between statistics). Then the time per row of
the 20 planted drift tests, and of the whole step in process (reading both
Parquet windows, every check, the four reports; interpreter start-up and
imports apart, measured on their own) at 10k, 20k, 100k, 500k and 1M rows,
and the marginal cost of a row at 10k and at 1M (the step's time between two
sizes over the rows between them). Not part of the tests.

    python bench/bench_monitor_stats.py [--repeat 5] [--only stats,drift,step]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats as scipy_stats
from scipy.spatial.distance import jensenshannon

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor import drift, stats
from mlruntime.steps.monitor.tables import Window

if TYPE_CHECKING:
    from mlruntime.steps.monitor.run import MonitorOptions


def runs(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def timed(fn: Callable[[], object], repeat: int) -> float:
    return statistics.median(runs(fn, repeat))


Pair = tuple[Callable[[], object], Callable[[], object]]


def contenders(a: np.ndarray, b: np.ndarray, ra: np.ndarray, rb: np.ndarray) -> dict[str, Pair]:
    """(ours, SciPy's) per statistic, on the same inputs."""
    return {
        "ks (p-value)": (
            lambda: stats.ks_2samp(a, b),
            lambda: scipy_stats.ks_2samp(a, b, method="auto"),
        ),
        "wasserstein": (
            lambda: stats.wasserstein(a, b),
            lambda: scipy_stats.wasserstein_distance(a, b),
        ),
        "chi_squared": (
            lambda: stats.chi_squared(ra, rb),
            lambda: scipy_stats.chi2_contingency(np.vstack([ra, rb]), correction=False),
        ),
        "jensen_shannon": (
            lambda: stats.jensen_shannon(ra, rb),
            lambda: jensenshannon(ra / ra.sum(), rb / rb.sum(), base=2),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="stats,drift,step", help="which tables")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"load average at the start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if "stats" in only:
        versus_scipy(args.repeat)
    if "drift" in only:
        per_row(args.repeat)
    if "step" in only:
        step_per_row(args.repeat)
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


def versus_scipy(repeat: int) -> None:
    rng = np.random.default_rng(0)
    print("| n per window | statistic | ours ms | SciPy ms | ours / SciPy |")
    print("|---|---|---|---|---|")
    for n in (1_000, 10_000, 100_000, 1_000_000):
        a = np.sort(rng.normal(size=n))
        b = np.sort(rng.normal(0.02, 1.0, size=n - n // 10))  # unequal sizes, as in practice
        edges = stats.quantile_edges(a, 10)
        ra, rb = stats.numeric_counts(a, edges)[:-1], stats.numeric_counts(b, edges)[:-1]
        cases = contenders(a, b, ra, rb)
        for name, (ours, theirs) in cases.items():
            ours(), theirs()  # warm: imports, caches
            mine = timed(ours, repeat)
            other = timed(theirs, repeat)
            print(f"| {n:,} | {name} | {mine * 1e3:.2f} | {other * 1e3:.2f} | {mine / other:.2f} |")
    # Windows nearly alike (a stable integer column): a KS distance so small for its n that
    # SciPy's kstwo.sf takes Durbin's matrix, up to n = 100,000 effective.
    for n in (2_000, 20_000, 200_000):
        effective = n // 2  # two windows of n rows
        d = 0.9 * (1.4 / effective) ** (2 / 3)
        mine = timed(lambda n=n, d=d: stats.ks_asymptotic_pvalue(n, n, d), repeat)
        other = timed(lambda e=effective, d=d: scipy_stats.kstwo.sf(d, e), repeat)
        print(
            f"| {n:,} | ks p-value, windows alike (d = {d:.4f}) | {mine * 1e3:.2f} "
            f"| {other * 1e3:.2f} | {mine / other:.2f} |"
        )


def per_row(repeat: int) -> None:
    """The 20 planted features with the default test (auto), in process, after a warm-up:
    time per row of one window, so that a fixed cost or a slow regime at some size shows.
    One by one, as the step runs them on one thread below ``run.PARALLEL_MIN_ROWS``."""
    print()
    print(
        "| rows per window | 20 drift tests (auto), median ms | µs per row | fastest, µs per row "
        "| CPU µs per row (median) |"
    )
    print("|---|---|---|---|---|")
    for rows in (10_000, 100_000, 1_000_000):
        ref = planted.window(rows, planted.REPORTED_SEEDS[0], planted.REPORTED, current=False)
        cur = planted.window(rows, planted.REPORTED_SEEDS[1], planted.REPORTED, current=True)
        # Text columns dictionary-encoded, as read_window reads them from Parquet.
        reference = Window("reference", Path("r"), as_read(ref))
        current = Window("current", Path("c"), as_read(cur))

        def tests(reference: Window = reference, current: Window = current) -> None:
            for name, (kind, _) in planted.FEATURES.items():
                drift.drift_test(
                    name, name, "auto", 0.01, kind, reference, current, bins=10, show_unseen=True
                )

        tests()
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            tests()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        seconds, fastest = statistics.median(times), min(times)
        print(
            f"| {rows:,} | {seconds * 1e3:.0f} | {seconds / rows * 1e6:.2f} "
            f"| {fastest / rows * 1e6:.2f} | {statistics.median(cpu) / rows * 1e6:.2f} |"
        )


def as_read(table: pa.Table) -> pa.Table:
    """The table with its text columns dictionary-encoded (``tables.read_window`` reads
    Parquet text columns so), so that the drift tests do not pay for an encoding the
    step never does."""
    table = table.combine_chunks()  # one chunk per column, as a one-row-group file
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type):
            table = table.set_column(i, field.name, pc.dictionary_encode(table.column(i)))
    return table


STEP_SIZES = (10_000, 20_000, 100_000, 500_000, 1_000_000)
# The cost of one more row at a size: the step's time between two sizes over the rows
# between them. A slow corner (a statistic slower per row on small windows) shows here;
# the fixed cost of a run (the four reports, opening two files) does not.
MARGINAL = ((10_000, 20_000), (500_000, 1_000_000))


def floor(options: MonitorOptions) -> None:
    """The least any exact monitor of these windows does: read both Parquet windows as the
    step reads them and sort each numeric column's values (what an exact KS distance
    needs), nothing else: no check, no test, no report. Its CPU per row at 10k against
    the whole step's at 1M bounds how close the step's own ratio can come to 1."""
    from mlruntime.steps.monitor.tables import read_window

    reference = read_window(Path(options.reference or ""), "reference")
    current = read_window(options.current, "current")
    for name in reference.columns:
        if reference.stored_type(name) in {"integer", "float"} and current.has(name):
            np.sort(reference.numeric(name))
            np.sort(current.numeric(name))


def step_per_row(repeat: int) -> None:
    """The whole monitor step in this process, as `mlproject step monitor` runs it after
    its imports: load the compiled project, read both Parquet windows, schema, quality,
    freshness, volume, the 20 drift tests (auto), the four reports. Sizes interleaved
    (each round runs every size once) so that a change of load hits all of them; the
    ratio is each size's median µs per row over the 1M one's. Then the fixed cost the
    per-row figure leaves out: a whole `python -m mlcli step monitor` process on the
    10k window against the same step in process. The minor page faults per run show
    glibc's allocator state: arrays above its (dynamic) mmap threshold are mapped and
    zero-filled afresh on every run; a change that only moves that threshold moves the
    CPU figures by a fifth at 10k while the instruction count stays (docs/benchmarks.md,
    session 8)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_monitor_planted import write_project

    from mlruntime.steps.config import load_context
    from mlruntime.steps.monitor.run import MonitorOptions, run

    work = Path(tempfile.mkdtemp(prefix="bench-step-"))
    project = write_project(work, None)
    options = {}
    for rows in STEP_SIZES:
        pair = work / f"w{rows}"
        ref, cur = planted.write_pair(pair, rows, planted.REPORTED, planted.REPORTED_SEEDS)
        options[rows] = MonitorOptions(
            current=cur, reference=str(ref), now=1_719_878_400.0, out_dir=work / f"out{rows}"
        )

    def step(rows: int) -> None:
        result, _ = run(load_context(project), options[rows])
        if result.errors:
            raise SystemExit(f"monitor errors at {rows}: {result.errors}")

    for rows in STEP_SIZES:
        step(rows)  # warm: imports, template, caches
        floor(options[rows])
    times: dict[int, list[float]] = {rows: [] for rows in STEP_SIZES}
    cpu: dict[int, list[float]] = {rows: [] for rows in STEP_SIZES}
    floor_cpu: dict[int, list[float]] = {rows: [] for rows in STEP_SIZES}
    faults: dict[int, list[int]] = {rows: [] for rows in STEP_SIZES}
    for _ in range(repeat):
        for rows in STEP_SIZES:
            started_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            started, started_cpu = time.perf_counter(), time.process_time()
            step(rows)
            times[rows].append(time.perf_counter() - started)
            cpu[rows].append(time.process_time() - started_cpu)
            faults[rows].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - started_faults)
            started_cpu = time.process_time()
            floor(options[rows])
            floor_cpu[rows].append(time.process_time() - started_cpu)
    print()
    print(
        "| rows per window | whole step in process, median ms | µs per row | vs 1M per row "
        "| CPU µs per row | CPU vs 1M per row | minor page faults per run |"
    )
    print("|---|---|---|---|---|---|---|")
    last = statistics.median(times[STEP_SIZES[-1]]) / STEP_SIZES[-1]
    last_cpu = statistics.median(cpu[STEP_SIZES[-1]]) / STEP_SIZES[-1]
    for rows in STEP_SIZES:
        seconds, cpu_seconds = statistics.median(times[rows]), statistics.median(cpu[rows])
        print(
            f"| {rows:,} | {seconds * 1e3:.0f} | {seconds / rows * 1e6:.2f} "
            f"| {seconds / rows / last:.2f} | {cpu_seconds / rows * 1e6:.2f} "
            f"| {cpu_seconds / rows / last_cpu:.2f} | {statistics.median(faults[rows]):,.0f} |"
        )
    print()
    print(
        "| rows per window | marginal CPU µs per row (one more row) | vs 1M | fixed CPU ms per run "
        "(the step less its rows at the marginal cost) |"
    )
    print("|---|---|---|---|")
    cpu_median = {rows: statistics.median(cpu[rows]) for rows in STEP_SIZES}
    marginal = {
        (low, high): (cpu_median[high] - cpu_median[low]) / (high - low) for low, high in MARGINAL
    }
    at_large = marginal[MARGINAL[-1]]
    for (low, high), per_row in marginal.items():
        fixed = cpu_median[low] - per_row * low
        print(
            f"| {low:,}..{high:,} | {per_row * 1e6:.2f} | {per_row / at_large:.2f} "
            f"| {fixed * 1e3:.1f} |"
        )
    print()
    print(
        "| rows per window | floor: read both windows + sort the numeric columns, CPU ms "
        "| CPU µs per row | vs the floor at 1M per row | vs the whole step at 1M per row |"
    )
    print("|---|---|---|---|---|")
    last_floor = statistics.median(floor_cpu[STEP_SIZES[-1]]) / STEP_SIZES[-1]
    for rows in STEP_SIZES:
        seconds = statistics.median(floor_cpu[rows])
        print(
            f"| {rows:,} | {seconds * 1e3:.1f} | {seconds / rows * 1e6:.2f} "
            f"| {seconds / rows / last_floor:.2f} | {seconds / rows / last_cpu:.2f} |"
        )
    small = STEP_SIZES[0]
    command = [
        sys.executable, "-m", "mlcli", "step", "monitor", "--project-dir", str(project),
        "--reference", options[small].reference or "", "--current", str(options[small].current),
        "--out-dir", str(work / "out-cli"), "--now", "2024-07-02T00:00:00Z",
    ]  # fmt: skip
    processes, in_process = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=project, capture_output=True, check=False)
        processes.append(time.perf_counter() - started)
        started = time.perf_counter()
        step(small)
        in_process.append(time.perf_counter() - started)
    whole, inner = statistics.median(processes), statistics.median(in_process)
    print()
    print(
        f"`mlproject step monitor` as a process on the {small:,}-row window: {whole * 1e3:.0f} ms "
        f"(median), of which {(whole - inner) * 1e3:.0f} ms interpreter start-up and imports "
        f"(the step itself {inner * 1e3:.0f} ms)"
    )


if __name__ == "__main__":
    main()
