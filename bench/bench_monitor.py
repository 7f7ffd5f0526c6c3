"""Benchmark: ``mlproject step monitor`` vs Evidently's DataDriftPreset (and SciPy loops).

Same data, same run: a reference and a current window of ``--rows`` rows
(default 1,000,000 each) × 20 features (12 numeric, 8 categorical), written
once as Parquet; 7 features drift clearly, 13 do not. Each contender runs in
its own process, reading the same Parquet files, so the wall time includes
start-up, imports and reading, and the peak memory is the process's own
(``ru_maxrss`` from ``os.wait4``). Every feature is tested with the same
method and threshold in each tool; the verdicts are compared feature by feature.

Evidently 0.7.23 imports a pandas internal that pandas 3 removed, so it runs
from its own virtual environment (``--evidently-python``)::

    python -m venv --system-site-packages /tmp/evenv
    /tmp/evenv/bin/pip install evidently==0.7.23 "pandas<3"
    python bench/bench_monitor.py --evidently-python /tmp/evenv/bin/python

Without a working Evidently the comparison says so and keeps the SciPy
baseline: the textbook per-feature loop (``scipy.stats`` on pandas columns).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
NUMERIC = [f"n{i:02d}" for i in range(12)]
CATEGORICAL = [f"c{i:02d}" for i in range(8)]
# feature -> (our method, threshold); the drifted ones are listed in DRIFTED.
METHODS: dict[str, tuple[str, float]] = {
    "n00": ("psi", 0.2), "n01": ("psi", 0.2), "n02": ("ks", 0.01), "n03": ("ks", 0.01),
    "n04": ("wasserstein", 0.1), "n05": ("wasserstein", 0.1),
    "n06": ("jensen_shannon", 0.1), "n07": ("jensen_shannon", 0.1),
    "n08": ("psi", 0.2), "n09": ("ks", 0.01), "n10": ("wasserstein", 0.1),
    "n11": ("jensen_shannon", 0.1),
    "c00": ("chi_squared", 0.01), "c01": ("chi_squared", 0.01), "c02": ("psi", 0.2),
    "c03": ("psi", 0.2), "c04": ("jensen_shannon", 0.1), "c05": ("jensen_shannon", 0.1),
    "c06": ("chi_squared", 0.01), "c07": ("psi", 0.2),
}  # fmt: skip
DRIFTED = frozenset({"n00", "n02", "n04", "n06", "c00", "c02", "c04"})
# Evidently's names; its Jensen–Shannon uses the natural log, ours base 2, so its
# threshold is ours × sqrt(ln 2) (the same cut-off on the same divergence).
EVIDENTLY = {"psi": "psi", "ks": "ks", "wasserstein": "wasserstein",
             "jensen_shannon": "jensenshannon", "chi_squared": "chisquare"}  # fmt: skip
P_VALUE = frozenset({"ks", "chi_squared"})


def make_window(rows: int, seed: int, drift: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shift = {f: (1.0 if drift and f in DRIFTED else 0.0) for f in METHODS}
    columns: dict[str, Any] = {}
    for i, name in enumerate(NUMERIC):
        s = shift[name]
        kind = i % 4
        if kind == 0:
            values = rng.normal(10.0 + 2.0 * s, 2.0, rows)
        elif kind == 1:
            values = rng.lognormal(1.0 + 0.5 * s, 0.5, rows)
        elif kind == 2:
            values = rng.uniform(0.0, 100.0 + 60.0 * s, rows)
        else:
            values = rng.gamma(2.0 + 2.0 * s, 3.0, rows)
        if name == "n08":
            values = rng.poisson(4.0, rows).astype(np.float64)  # few distinct values
        columns[name] = values
    for i, name in enumerate(CATEGORICAL):
        k = (3, 5, 10, 50)[i % 4]
        weights = np.linspace(1.0, 3.0, k)
        if shift[name]:
            weights = weights[::-1] ** 2
        labels = np.array([f"{name}_v{j}" for j in range(k)], dtype=object)
        columns[name] = labels[rng.choice(k, rows, p=weights / weights.sum())]
    start = pd.Timestamp("2024-06-01") if not drift else pd.Timestamp("2024-07-01")
    days = 30 if not drift else 1
    offsets = np.sort(rng.integers(0, days * 86400, rows))
    columns["ts"] = start + pd.to_timedelta(offsets, unit="s")
    columns["y"] = rng.normal(size=rows)
    return pd.DataFrame(columns)


def write_project(work: Path) -> Path:
    """A compiled spec declaring the 20 features with their methods and thresholds."""
    project = work / "project"
    (project / "data").mkdir(parents=True)
    make_window(200, 99, False).to_csv(project / "data" / "events.csv", index=False)
    cols = "\n".join(
        [f"        - {{name: {n}, type: float}}" for n in NUMERIC]
        + [f"        - {{name: {c}, type: category}}" for c in CATEGORICAL]
    )
    drift = "\n".join(
        f"      {f}: {{method: {m}, threshold: {t}}}" for f, (m, t) in METHODS.items()
    )
    spec = bench_spec(
        "bench",
        f"""\
      timestamp: ts
      freshness: 2d
      columns:
        - {{name: ts, type: datetime}}
        - {{name: y, type: float}}
{cols}
training:
  features: [{", ".join(METHODS)}]
monitoring:
  drift:
    features:
{drift}
    prediction: null
""",
    )
    return compile_spec(project, spec)


def bench_spec(name: str, rest: str) -> str:
    """A benchmark spec: project ``name``, a regression task, the first keys of its one
    source, ``events`` (data/events.csv, target ``y``), then ``rest``."""
    return f"""apiVersion: mlproject/v1
metadata:
  name: {name}
  owners: [{{name: Bench, email: bench@example.com}}]
objective: {{problem: Benchmark the monitor., task: regression}}
kpis:
  metrics: [{{name: rmse, maximum: 100, primary: true}}]
data:
  sources:
    - name: events
      path: data/events.csv
      target: y
{rest}"""


def compile_spec(project: Path, spec: str) -> Path:
    """Write ``spec`` as ``project``'s mlproject.yaml and compile it (exit if it fails)."""
    (project / "mlproject.yaml").write_text(spec)
    done = subprocess.run(
        [sys.executable, "-m", "mlcli", "compile", "mlproject.yaml", "--root", "."],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"compile failed:\n{done.stdout}{done.stderr}")
    return project


def measure(command: list[str], cwd: Path) -> tuple[float, float, str, int, float]:
    """(wall seconds, peak RSS MiB, stdout, exit code, CPU seconds) of one child process.

    ``os.wait4`` reaps the child itself, so ``ru_maxrss`` is that process's peak
    (Linux reports KiB), not the maximum over every child this script ran.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code not in (0, 10):
        sys.stderr.write(stderr)
    return wall, usage.ru_maxrss / 1024.0, stdout, code, usage.ru_utime + usage.ru_stime


def run_ours(work: Path, project: Path, repeat: int) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "mlcli", "step", "monitor", "--project-dir", str(project),
        "--reference", str(work / "reference.parquet"), "--current", str(work / "current.parquet"),
        "--now", "2024-07-02T00:00:00Z",
    ]  # fmt: skip
    runs = [measure(command, work) for _ in range(repeat)]
    wall, rss, cpu = min(r[0] for r in runs), max(r[1] for r in runs), min(r[4] for r in runs)
    code = runs[-1][3]
    report = json.loads((project / "reports" / "monitor.json").read_text())
    verdicts = {d["feature"]: d["drifted"] for d in report["drift"]["features"]}
    scores = {d["feature"]: d["score"] for d in report["drift"]["features"]}
    return {
        "wall": wall,
        "cpu": cpu,
        "rss": rss,
        "exit": code,
        "verdicts": verdicts,
        "scores": scores,
    }


def child_evidently(work: Path) -> None:
    """Runs in Evidently's interpreter: read, run DataDriftPreset, print verdicts as JSON."""
    started = time.perf_counter()
    from evidently import DataDefinition, Dataset, Report  # type: ignore[import-not-found,unused-ignore]
    from evidently.presets import DataDriftPreset  # type: ignore[import-not-found,unused-ignore]

    imported = time.perf_counter()
    reference = pd.read_parquet(work / "reference.parquet")
    current = pd.read_parquet(work / "current.parquet")
    loaded = time.perf_counter()
    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    thresholds = {
        f: t * math.sqrt(math.log(2)) if m == "jensen_shannon" else t
        for f, (m, t) in METHODS.items()
    }
    preset = DataDriftPreset(
        columns=list(METHODS),
        per_column_method={f: EVIDENTLY[m] for f, (m, _) in METHODS.items()},
        per_column_threshold=thresholds,
    )
    snapshot = Report([preset]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    scores: dict[str, float] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = float(metric["value"])
    done = time.perf_counter()
    verdicts = {}
    for f, (m, _) in METHODS.items():
        value, threshold = scores[f], thresholds[f]
        # Evidently's own rules: ks p <= t, chisquare p < t, distances >= t.
        verdicts[f] = (
            value <= threshold if m == "ks" else value < threshold if m == "chi_squared"
            else value >= threshold
        )  # fmt: skip
    timing = {"import": imported - started, "read": loaded - imported, "drift": done - loaded}
    print(json.dumps({"verdicts": verdicts, "scores": scores, "timing": timing}))


def child_scipy(work: Path) -> None:
    """The per-feature loop people write by hand: pandas columns into scipy.stats."""
    from scipy import stats
    from scipy.spatial.distance import jensenshannon

    reference = pd.read_parquet(work / "reference.parquet")
    current = pd.read_parquet(work / "current.parquet")
    verdicts, scores = {}, {}
    for f, (method, threshold) in METHODS.items():
        ref, cur = reference[f].dropna(), current[f].dropna()
        if method in {"ks", "wasserstein"}:
            if method == "ks":
                score = float(stats.ks_2samp(ref, cur).pvalue)
            else:
                score = float(stats.wasserstein_distance(ref, cur) / max(ref.std(ddof=0), 1e-3))
        else:
            if f in NUMERIC:
                edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11)))
                r = pd.cut(ref, edges, include_lowest=True).value_counts(sort=False)
                c = pd.cut(cur.clip(edges[0], edges[-1]), edges, include_lowest=True)
                c = c.value_counts(sort=False)
            else:
                keys = sorted(set(ref.unique()) | set(cur.unique()))
                r = ref.value_counts().reindex(keys, fill_value=0)
                c = cur.value_counts().reindex(keys, fill_value=0)
            rp, cp = r.to_numpy() / r.sum(), c.to_numpy() / c.sum()
            if method == "psi":
                rp, cp = np.where(rp == 0, 1e-4, rp), np.where(cp == 0, 1e-4, cp)
                score = float(np.sum((cp - rp) * np.log(cp / rp)))
            elif method == "jensen_shannon":
                score = float(jensenshannon(rp, cp, base=2))
            else:
                table = np.vstack([r.to_numpy(), c.to_numpy()])
                score = float(stats.chi2_contingency(table[:, table.sum(0) > 0], False).pvalue)
        scores[f] = score
        verdicts[f] = score < threshold if method in P_VALUE else score >= threshold
    print(json.dumps({"verdicts": verdicts, "scores": scores}))


def run_child(python: str, kind: str, work: Path, repeat: int) -> dict[str, Any] | str:
    """The best wall time (and the largest peak memory) of ``repeat`` runs."""
    best: dict[str, Any] | None = None
    for _ in range(repeat):
        wall, rss, out, code, cpu = measure([python, __file__, "--child", kind, str(work)], ROOT)
        if code != 0 or not out.strip():
            return f"{kind} failed in {python} (exit {code})"
        run = {"wall": wall, "cpu": cpu, "rss": rss, **json.loads(out.strip().splitlines()[-1])}
        if best is None or run["wall"] < best["wall"]:
            best = run | {"rss": max(rss, best["rss"]) if best else rss}
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--evidently-python", default=os.environ.get("EVIDENTLY_PYTHON", sys.executable)
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the best counts")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        {"evidently": child_evidently, "scipy": child_scipy}[args.child[0]](Path(args.child[1]))
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"data: {args.rows:,} rows x {len(METHODS)} features per window, in {work}")
    make_window(args.rows, 1, False).to_parquet(work / "reference.parquet", index=False)
    make_window(args.rows, 2, True).to_parquet(work / "current.parquet", index=False)
    project = write_project(work)
    ours = run_ours(work, project, args.repeat)
    print(
        f"mlproject monitor: {ours['wall']:.2f} s wall, {ours['cpu']:.2f} s CPU, "
        f"peak {ours['rss']:.0f} MiB, exit {ours['exit']}"
    )
    for name, python in (("evidently", args.evidently_python), ("scipy", sys.executable)):
        other = run_child(python, name, work, args.repeat)
        if isinstance(other, str):
            print(f"{name}: not run: {other}")
            continue
        agree = [f for f in METHODS if other["verdicts"][f] == ours["verdicts"][f]]
        print(
            f"{name}: {other['wall']:.2f} s wall, {other['cpu']:.2f} s CPU, "
            f"peak {other['rss']:.0f} MiB; monitor is {other['wall'] / ours['wall']:.1f}x faster "
            f"(CPU {other['cpu'] / ours['cpu']:.1f}x), "
            f"{other['rss'] / ours['rss']:.1f}x less memory; "
            f"verdicts agree on {len(agree)}/{len(METHODS)}"
            + (f" (timing inside: {other['timing']})" if "timing" in other else "")
        )
        for f in METHODS:
            if f not in agree:
                print(f"  {f}: ours {ours['scores'][f]:.4g} vs {name} {other['scores'][f]:.4g}")
    expected = {f: f in DRIFTED for f in METHODS}
    wrong = [f for f in METHODS if ours["verdicts"][f] != expected[f]]
    print(f"mlproject verdicts vs planted drift: {len(METHODS) - len(wrong)}/{len(METHODS)} right")
    if args.workdir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
