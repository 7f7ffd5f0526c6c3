"""Benchmark: each drift statistic of the monitor against SciPy's, at every sample size.

For n in 1k, 10k (KS exact regime), 100k and 1M (asymptotic) per window: the
median time of ``mlruntime.steps.monitor.stats`` and of the SciPy function it
matches, in one process, interleaved; the ratio ours / SciPy (under 1: ours
is faster). Inputs are sorted once beforehand for both (the monitor sorts
each column once and shares it between statistics). Not part of the tests.

    python bench/bench_monitor_stats.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats as scipy_stats
from scipy.spatial.distance import jensenshannon

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor import drift, stats
from mlruntime.steps.monitor.tables import Window


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
    args = parser.parse_args()
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
            mine = timed(ours, args.repeat)
            other = timed(theirs, args.repeat)
            print(f"| {n:,} | {name} | {mine * 1e3:.2f} | {other * 1e3:.2f} | {mine / other:.2f} |")
    per_row(args.repeat)


def per_row(repeat: int) -> None:
    """The 20 planted features with the default test (auto), in process, after a warm-up:
    time per row of one window, so that a fixed cost or a slow regime at some size shows."""
    print()
    print(
        "| rows per window | 20 drift tests (auto), median ms | µs per row | fastest, µs per row |"
    )
    print("|---|---|---|---|")
    for rows in (10_000, 100_000, 1_000_000):
        ref = planted.window(rows, planted.REPORTED_SEEDS[0], planted.REPORTED, current=False)
        cur = planted.window(rows, planted.REPORTED_SEEDS[1], planted.REPORTED, current=True)
        reference, current = Window("reference", Path("r"), ref), Window("current", Path("c"), cur)

        def tests(reference: Window = reference, current: Window = current) -> None:
            for name, (kind, _) in planted.FEATURES.items():
                drift.drift_test(
                    name, name, "auto", 0.01, kind, reference, current, bins=10, show_unseen=True
                )

        tests()
        times = runs(tests, repeat)
        seconds, fastest = statistics.median(times), min(times)
        print(
            f"| {rows:,} | {seconds * 1e3:.0f} | {seconds / rows * 1e6:.2f} "
            f"| {fastest / rows * 1e6:.2f} |"
        )


if __name__ == "__main__":
    main()
