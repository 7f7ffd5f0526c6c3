"""Benchmark: monitor verdicts against planted ground truth, beside Evidently, per size.

The windows come from :mod:`mlruntime.demo.planted_drift` with the *reported*
effects and seeds (the defaults were chosen on the tuning ones): 20 features,
7 drifted. For every size, each contender runs in its own process on the
same Parquet files (wall time includes start-up, imports and reading; peak
memory is the process's own, from ``os.wait4``), interleaved in one run:

- ``mlproject auto``: the default (no method in the spec);
- ``mlproject psi 0.2``: the default before ``auto``;
- ``mlproject ks/chi2 0.05``: KS for numbers, chi-squared for categories;
- ``evidently default``: ``DataDriftPreset()`` as it comes;
- ``evidently ks/chi2 0.05``: the same tests as ours.

``--scale`` instead measures the monitor's time and peak memory per engine on
bigger windows (``memory``, ``duckdb``, ``spark``), e.g. ``--scale 1000000:memory,duckdb``.

Evidently 0.7.23 needs pandas < 3: run it from its own virtual environment::

    python -m venv /work/venvs/evidently
    /work/venvs/evidently/bin/pip install evidently==0.7.23 "pandas<3" pyarrow
    python bench/bench_monitor_planted.py --evidently-python /work/venvs/evidently/bin/python

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_monitor import bench_spec, compile_spec, measure  # noqa: E402

from mlruntime.demo import planted_drift as planted  # noqa: E402

OURS = {
    "mlproject auto": None,
    "mlproject psi 0.2": "{method: psi, threshold: 0.2}",
    "mlproject ks/chi2 0.05": "{method: ks, threshold: 0.05}",
}
EVIDENTLY = ("evidently default", "evidently ks/chi2 0.05")


def write_project(work: Path, default: str | None, engine: str = "memory") -> Path:
    """A compiled spec declaring the 20 planted features; ``default`` is the drift test."""
    project = work / f"project-{abs(hash((default, engine)))}"
    (project / "data").mkdir(parents=True, exist_ok=True)
    import numpy as np
    import pyarrow.csv as pacsv

    sample = planted.window(300, 5, planted.REPORTED, current=False)
    sample = sample.append_column("y", [np.arange(300, dtype=np.float64)])  # a target to compile

    pacsv.write_csv(sample, project / "data" / "events.csv")
    types = {n: "float" if n in planted.NUMERIC else "category" for n in planted.FEATURES}
    cols = "\n".join(
        f"        - {{name: {n}, type: {t}, nullable: true}}" for n, t in types.items()
    )
    drift_default = f"    default: {default}\n" if default else ""
    spec = bench_spec(
        "planted",
        f"""\
      columns:
        - {{name: y, type: float}}
{cols}
training:
  features: [{", ".join(planted.FEATURES)}]
monitoring:
  engine: {engine}
  data_quality: {{max_missing_fraction: 1.0}}
  drift:
{drift_default}    prediction: null
""",
    )
    return compile_spec(project, spec)


def run_ours(project: Path, reference: Path, current: Path) -> dict[str, Any]:
    out = project / "reports"
    command = [
        sys.executable, "-m", "mlcli", "step", "monitor", "--project-dir", str(project),
        "--reference", str(reference), "--current", str(current), "--out-dir", str(out),
        "--now", "2024-07-02T00:00:00Z",
    ]  # fmt: skip
    wall, rss, _, code, cpu = measure(command, project)
    report = json.loads((out / "monitor.json").read_text())
    if report["errors"]:
        raise SystemExit(f"monitor errors: {report['errors']}")
    verdicts = {d["feature"]: d["drifted"] for d in report["drift"]["features"]}
    return {"wall": wall, "cpu": cpu, "rss": rss, "exit": code, "verdicts": verdicts}


def child_evidently(kind: str, reference: Path, current: Path) -> None:
    """Runs in Evidently's interpreter: read, run DataDriftPreset, print verdicts as JSON."""
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report  # type: ignore[import-not-found,unused-ignore]
    from evidently.presets import DataDriftPreset  # type: ignore[import-not-found,unused-ignore]

    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    numeric, categorical = list(planted.NUMERIC), list(planted.CATEGORICAL)
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    columns = numeric + categorical
    if kind == "evidently default":
        preset = DataDriftPreset(columns=columns)
    else:
        preset = DataDriftPreset(
            columns=columns,
            per_column_method={c: ("ks" if c in numeric else "chisquare") for c in columns},
            per_column_threshold=dict.fromkeys(columns, 0.05),
        )
    snapshot = Report([preset]).run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition),
    )
    verdicts = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        value, threshold, method = float(metric["value"]), config["threshold"], config["method"]
        if method == "ks" or "K-S" in method:  # Evidently's rules: ks p <= t, other p < t
            verdicts[config["column"]] = value <= threshold
        elif method in {"chisquare", "z"} or "p_value" in method:
            verdicts[config["column"]] = value < threshold
        else:
            verdicts[config["column"]] = value >= threshold
    print(json.dumps({"verdicts": verdicts}))


def run_evidently(python: str, kind: str, reference: Path, current: Path) -> dict[str, Any]:
    command = [python, __file__, "--child", kind, str(reference), str(current)]
    wall, rss, out, code, cpu = measure(command, ROOT)
    if code != 0 or not out.strip():
        return {"error": f"exit {code}"}
    return {"wall": wall, "cpu": cpu, "rss": rss, **json.loads(out.strip().splitlines()[-1])}


def score(verdicts: dict[str, bool]) -> tuple[int, int, list[str]]:
    """(drifts found of 7, false alarms of the 13 negatives, wrong features)."""
    tested = [f for f in planted.FEATURES if f in verdicts]
    found = sum(verdicts[f] for f in tested if f in planted.DRIFTED)
    false = sum(verdicts[f] for f in tested if f not in planted.DRIFTED)
    wrong = [f for f in tested if verdicts[f] != (f in planted.DRIFTED)]
    return found, false, wrong


def accuracy(args: argparse.Namespace, work: Path) -> None:
    projects = {name: write_project(work, default) for name, default in OURS.items()}
    print(
        "| rows | contender | drifts found (of 7) | false alarms (of 13) | wall s (median) "
        "| peak MiB | wrong |"
    )
    print("|---|---|---|---|---|---|---|")
    for rows in args.sizes:
        pair = work / f"w{rows}"
        reference, current = pair / "reference.parquet", pair / "current.parquet"
        if not current.exists():
            planted.write_pair(pair, rows, planted.REPORTED, planted.REPORTED_SEEDS)
        runs: dict[str, list[dict[str, Any]]] = {n: [] for n in [*OURS, *EVIDENTLY]}
        for _ in range(args.repeat):  # interleaved: each round runs every contender once
            for name, project in projects.items():
                runs[name].append(run_ours(project, reference, current))
            if args.evidently_python:
                for name in EVIDENTLY:
                    runs[name].append(
                        run_evidently(args.evidently_python, name, reference, current)
                    )
        base = statistics.median(r["wall"] for r in runs["mlproject auto"])
        for name, results in runs.items():
            if not results or "error" in results[0]:
                print(f"| {rows:,} | {name} | not run | | | | {results[0] if results else ''} |")
                continue
            found, false, wrong = score(results[0]["verdicts"])
            wall = statistics.median(r["wall"] for r in results)
            rss = max(r["rss"] for r in results)
            print(
                f"| {rows:,} | {name} | {found} | {false} | {wall:.2f} ({wall / base:.1f}x) "
                f"| {rss:.0f} | {', '.join(wrong) or '-'} |"
            )


def scale(args: argparse.Namespace, work: Path) -> None:
    print("| current rows | reference rows | engine | wall s | peak MiB | right (of 20) |")
    print("|---|---|---|---|---|---|")
    for item in args.scale:
        rows_text, _, engines = item.partition(":")
        rows = int(rows_text)
        reference = Path(args.reference) if args.reference else None
        current = Path(args.current) if args.current else None
        if reference is None or current is None:
            pair = work / f"w{rows}"
            reference, current = pair / "reference.parquet", pair / "current.parquet"
            if not current.exists():
                planted.write_pair(pair, rows, planted.REPORTED, planted.REPORTED_SEEDS)
        import pyarrow.parquet as pq

        ref_rows = pq.ParquetFile(reference).metadata.num_rows
        for engine in (engines or "memory,duckdb").split(","):
            project = write_project(work, None, engine)
            result = run_ours(project, reference, current)
            _, _, wrong = score(result["verdicts"])
            listed = f" ({', '.join(wrong)})" if wrong else ""
            wall, rss = result["wall"], result["rss"]
            print(
                f"| {rows:,} | {ref_rows:,} | {engine} | {wall:.1f} | {rss:.0f} "
                f"| {20 - len(wrong)}{listed} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[10_000, 100_000, 1_000_000])  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--evidently-python", default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--scale", nargs="*", default=None, metavar="ROWS:ENGINES")
    parser.add_argument("--reference", default=None, help="--scale: an existing reference")
    parser.add_argument("--current", default=None, help="--scale: an existing current window")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_evidently(*args.child[0:1], Path(args.child[1]), Path(args.child[2]))
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-planted-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.scale is not None:
        scale(args, work)
    else:
        accuracy(args, work)


if __name__ == "__main__":
    main()
