"""Run the 20 planted drift tests (auto) K times on ROWS-row windows, for an instruction count.

On a loaded machine wall and CPU times of a 25 ms call are noise; the number of
instructions is not. Count them with valgrind (the first run pays imports and
data generation; the difference of two runs is the tests alone)::

    for k in 0 6; do valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        python bench/monitor_drift_loop.py 10000 $k 2>&1 | grep 'I *refs'; done
    # instructions per run = (I(6) - I(0)) / 6

Windows as ``bench_monitor_stats.per_row`` builds them (text columns dictionary-encoded,
as ``read_window`` reads Parquet), tests one by one as the step runs them on a small
window. Not part of the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_monitor_stats import as_read

from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor import drift
from mlruntime.steps.monitor.tables import Window


def main() -> None:
    rows, repeat = int(sys.argv[1]), int(sys.argv[2])
    seeds, effects = planted.REPORTED_SEEDS, planted.REPORTED
    reference = Window(
        "reference", Path("r"), as_read(planted.window(rows, seeds[0], effects, current=False))
    )
    current = Window(
        "current", Path("c"), as_read(planted.window(rows, seeds[1], effects, current=True))
    )
    for _ in range(2 + repeat):  # two warm-up runs: caches, lazy imports
        for name, (kind, _) in planted.FEATURES.items():
            drift.drift_test(
                name, name, "auto", 0.01, kind, reference, current, bins=10, show_unseen=True
            )


if __name__ == "__main__":
    main()
