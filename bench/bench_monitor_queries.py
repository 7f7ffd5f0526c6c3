"""Where a SQL monitoring engine spends its time: each query of one run, timed.

Planted windows of ``--rows`` rows (written under ``--workdir`` unless there);
the aggregates both windows need (:func:`mlruntime.steps.monitor.streamed.aggregate_files`),
after ``--warm`` untimed runs in the same session (Spark: a warm JVM), each
query's wall seconds, its UNION ALL branches and, on Spark, its jobs. With
``--sets``: the histogram query as it is (one UNION ALL branch per column)
against one ``GROUPING SETS`` query over the same bins, interleaved in one
session, after checking that both give the same rows.

    python bench/bench_monitor_queries.py --engine spark --rows 200000 --warm 1 --sets
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor import aggregates as agg
from mlruntime.steps.monitor import engines, streamed

Timing = tuple[str, int, float, int]  # (query, branches, seconds, jobs)
KINDS = (  # a text only that query has -> its name
    (" AS f, ", "categories"),
    (" AS d, ", "histograms"),
    ("SELECT MIN(", "grid quantiles"),
    ("SELECT MAX(", "snap the report's range"),
    ("SELECT COUNT(*), ", "profile"),
)
OPEN_ENGINE = engines.open_engine


def timed_engine(name: str, log: list[Timing]) -> Any:
    """``engines.open_engine`` whose ``rows`` logs each query."""
    engine = OPEN_ENGINE(name)
    plain = engine.rows
    spark = engine.session.sparkContext if name == "spark" else None

    def rows(sql: str) -> list[tuple[Any, ...]]:
        group = f"q{len(log)}-{time.monotonic_ns()}"
        if spark is not None:
            spark.setJobGroup(group, group)
        started = time.perf_counter()
        found = plain(sql)
        seconds = time.perf_counter() - started
        jobs = len(spark.statusTracker().getJobIdsForGroup(group)) if spark is not None else 0
        kind = next((name for text, name in KINDS if text in sql), sql[:30])
        log.append((kind, sql.count(" UNION ALL ") + 1, seconds, jobs))
        return found

    engine.rows = rows
    return engine


def run(engine: str, reference: Path, current: Path, log: list[Timing]) -> float:
    engines.open_engine = lambda name: timed_engine(name, log)  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        streamed.aggregate_files(
            engine, reference, current, numeric=planted.NUMERIC, categorical=planted.CATEGORICAL
        )
        return time.perf_counter() - started
    finally:
        engines.open_engine = OPEN_ENGINE


def sets_query(relation: str, grids: dict[str, agg.Grid], dialect: agg.Dialect) -> str:
    """The histogram query as one GROUPING SETS query (a bin is NULL where not finite)."""
    columns, sets, flags = [], [], []
    for i, (name, grid) in enumerate(grids.items()):
        x = dialect.number(name)
        ok = agg.FINITE.format(x=x)
        columns += [f"CASE WHEN {ok} THEN {grid.bin_sql(x)} END AS b{i}",
                    f"CASE WHEN {ok} THEN {grid.display_sql(x)} END AS d{i}"]  # fmt: skip
        sets.append(f"(b{i}, d{i})")
        flags.append(f"GROUPING(b{i})")
    pairs = ", ".join(f"b{i}, d{i}" for i in range(len(grids)))
    return (
        f"SELECT {pairs}, COUNT(*) AS n, {', '.join(flags)} "
        f"FROM (SELECT {', '.join(columns)} FROM {relation}) "
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )


def sets_rows(rows: Sequence[Sequence[Any]], k: int) -> list[tuple[int, ...]]:
    """GROUPING SETS rows as the UNION ALL query's (column, bin, display bin, rows)."""
    found = []
    for row in rows:
        i = list(row[2 * k + 1 :]).index(0)
        if row[2 * i] is not None:
            found.append((i, int(row[2 * i]), int(row[2 * i + 1]), int(row[2 * k])))
    return sorted(found)


def compare_sets(engine_name: str, reference: Path, current: Path, rounds: int) -> None:
    ref, _ = streamed.aggregate_files(
        engine_name, reference, current, numeric=planted.NUMERIC, categorical=planted.CATEGORICAL
    )
    grids = {n: g for n, g in ref.grids.items() if g is not None}
    engine = engines.open_engine(engine_name)
    relation = engine.register(current, "bench_current")
    union = agg.histogram_query(relation, grids, engine.dialect)
    sets = sets_query(relation, grids, engine.dialect)
    same = sorted(tuple(int(v) for v in r) for r in engine.rows(union)) == sets_rows(
        engine.rows(sets), len(grids)
    )
    print(f"histogram rows equal: {same}")
    print("| round | union all s | grouping sets s |\n|---|---|---|")
    for i in range(rounds):
        seconds = []
        for query in (union, sets) if i % 2 == 0 else (sets, union):
            started = time.perf_counter()
            engine.rows(query)
            seconds.append(time.perf_counter() - started)
        if i % 2:
            seconds.reverse()
        print(f"| {i} | {seconds[0]:.2f} | {seconds[1]:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="spark", choices=("duckdb", "spark"))
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--warm", type=int, default=1, help="untimed runs first")
    parser.add_argument("--sets", action="store_true", help="UNION ALL vs GROUPING SETS")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="bench-queries-"))) / f"w{args.rows}"
    reference, current = work / "reference.parquet", work / "current.parquet"
    if not current.exists():
        planted.write_pair(work, args.rows, planted.REPORTED, planted.REPORTED_SEEDS)
    log: list[Timing] = []
    for _ in range(args.warm):
        run(args.engine, reference, current, log)
    log.clear()
    total = run(args.engine, reference, current, log)
    print("| query | branches | jobs | s |\n|---|---|---|---|")
    for head, branches, seconds, jobs in log:
        print(f"| {head} | {branches} | {jobs} | {seconds:.2f} |")
    print(f"total {total:.1f} s, of which queries {sum(t[2] for t in log):.1f} s")
    if args.sets:
        compare_sets(args.engine, reference, current, args.rounds)


if __name__ == "__main__":
    main()
