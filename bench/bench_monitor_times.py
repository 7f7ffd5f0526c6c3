"""Benchmark: a declared datetime column held as ISO 8601 text, read as times by the monitor.

Median time of :func:`mlruntime.steps.monitor.times.parse_iso` on a million values
against Arrow's plain cast of naive text (the baseline: what reading a column in one
format costs, without the engines' shared pattern), in one process: naive times and times
with a zone (one cast each, after a few checks), then naive times with one value that is
not a time (the pattern, and the per-value fallback it needs). Not part of the tests.

    python bench/bench_monitor_times.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlruntime.steps.monitor.times import parse_iso


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    seconds = 1_700_000_000 + np.random.default_rng(0).integers(0, 300 * 86_400, args.rows)
    naive = pc.strftime(pa.array(seconds * 1_000_000, pa.timestamp("us")), "%Y-%m-%dT%H:%M:%S")
    zoned = pc.binary_join_element_wise(naive, "+00:00", "")  # pandas' tz-aware text
    with_text = pa.concat_arrays([naive, pa.array(["unknown"])])
    baseline = _median_ms(lambda: pc.cast(naive, pa.timestamp("us")), args.repeat)
    print(f"{args.rows:,} values; Arrow's cast (baseline): {baseline:.0f} ms")
    cases = (
        ("naive ISO text", naive),
        ("with a zone (+00:00)", zoned),
        ("naive + one value not a time", with_text),
    )
    for name, text in cases:
        ours = _median_ms(lambda text=text: parse_iso(text), args.repeat)
        print(f"  parse_iso, {name}: {ours:.0f} ms ({ours / baseline:.1f}x the cast)")


if __name__ == "__main__":
    main()
