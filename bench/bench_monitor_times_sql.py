"""Benchmark: the duckdb engine on a time column stored as timestamps vs as ISO 8601 text.

Two windows of a million rows each, a time column and one float, aggregated by the
duckdb engine as the monitor does (profile, grids, histograms, rows per day), with the
time column stored natively (the baseline), as naive ISO text and as ISO text with a
``Z``. Medians of ``--repeat`` runs, interleaved. Not part of the tests.

    python bench/bench_monitor_times_sql.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlruntime.steps.monitor import streamed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    seconds = 1_700_000_000 + rng.integers(0, 30 * 86_400, args.rows)
    native = pa.array(seconds * 1_000_000, pa.timestamp("us"))
    naive = pc.strftime(native, "%Y-%m-%dT%H:%M:%S")
    columns = {
        "timestamps (baseline)": native,
        "naive ISO text": naive,
        "ISO text with Z": pc.binary_join_element_wise(naive, "Z", ""),
    }
    values = pa.array(rng.normal(size=args.rows))
    times: dict[str, list[float]] = {name: [] for name in columns}
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for i, (name, column) in enumerate(columns.items()):
            paths[name] = [Path(folder) / f"{i}-{role}.parquet" for role in ("ref", "cur")]
            for path in paths[name]:
                pq.write_table(pa.table({"ts": column, "x": values}), path)
        for _ in range(args.repeat):
            for name, (reference, current) in paths.items():
                ref, cur = (
                    streamed.shell(reference, "reference"),
                    streamed.shell(current, "current"),
                )
                start = time.perf_counter()
                streamed._run(
                    "duckdb", ref, cur, ["ts", "x"], [], ["ts", "x"], [], {}, "ts", 86_400,
                    text_times=["ts"],
                )  # fmt: skip
                times[name].append(time.perf_counter() - start)
    baseline = statistics.median(times["timestamps (baseline)"])
    print(f"2 windows x {args.rows:,} rows, duckdb engine")
    for name, found in times.items():
        median = statistics.median(found)
        print(f"  {name}: {median:.2f} s ({median / baseline:.1f}x)")


if __name__ == "__main__":
    main()
