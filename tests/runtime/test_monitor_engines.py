"""The duckdb and spark engines against the in-memory one: same verdicts, statistics
within stated tolerances, same reports (the shop project and the planted windows)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor import aggregates
from tests.runtime.test_monitor_support import (
    NOW_AFTER_REFERENCE,
    SPARK_ENGINE,
    baskets,
    make_project,
    make_signup_project,
    with_signup,
)

KS_TOLERANCE = aggregates.KS_TOLERANCE  # binned vs raw KS distance
BINNED_TOLERANCE = 0.02  # psi / jensen_shannon / wasserstein from fine bins vs raw values
WASSERSTEIN_RELATIVE = 0.08  # a wider tail than the reference's: its mass beyond the grid

ENGINES = [
    "duckdb",
    SPARK_ENGINE,
]


def _with_engine(template: Path, project: Path, engine: str) -> Path:
    """A copy of ``template`` at ``project``, compiled with ``monitoring.engine: ENGINE``."""
    shutil.copytree(template, project)
    spec = project / "mlproject.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("monitoring:\n", f"monitoring:\n  engine: {engine}\n", 1))
    done = CliRunner().invoke(
        cli, ["compile", str(spec), "--root", str(project)], catch_exceptions=False
    )
    assert done.exit_code == 0, done.output
    return project


def _monitor(project: Path, current: Path, out: Path, *flags: str) -> dict[str, Any]:
    done = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--current", str(current),
         "--now", NOW_AFTER_REFERENCE, "--out-dir", str(out), *flags],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code in (0, 1, 10), done.output  # 1: an error the report explains
    assert (done.exit_code == 1) == bool(json.loads((out / "monitor.json").read_text())["errors"])
    report: dict[str, Any] = json.loads((out / "monitor.json").read_text())
    return report


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("engines")
    project = make_project(root / "shop", reference_rows=4000)
    current = root / "current.parquet"
    window = baskets(
        3000, seed=7, shift=frozenset({"amount", "channel"}), start="2024-07-01", days=1
    )
    window.loc[::40, "country"] = None  # a missing share to report
    window.to_parquet(current, index=False)
    return project, current, _monitor(project, current, root / "memory")


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_gives_the_in_memory_verdicts(
    shop: tuple[Path, Path, dict[str, Any]], engine: str, tmp_path: Path
) -> None:
    template, current, expected = shop
    project = _with_engine(template, tmp_path / "shop", engine)
    got = _monitor(project, current, tmp_path / "out")
    assert got["status"] == expected["status"]
    assert got["breaches"] == expected["breaches"]
    assert got["drift"]["drifted"] == expected["drift"]["drifted"]
    assert any(engine in note for note in got["notes"])
    for mine, theirs in zip(got["drift"]["features"], expected["drift"]["features"], strict=True):
        assert (mine["feature"], mine["method"], mine["drifted"]) == (
            theirs["feature"], theirs["method"], theirs["drifted"],
        )  # fmt: skip
        tolerance = KS_TOLERANCE if mine["method"] == "ks" else BINNED_TOLERANCE
        if mine["method"] == "chi_squared":
            tolerance = 1e-9  # categories are counted exactly
        assert mine["statistic"] == pytest.approx(theirs["statistic"], abs=tolerance)
    columns = {c["column"]: c for c in expected["data_quality"]["columns"]}
    for column in got["data_quality"]["columns"]:
        want = columns[column["column"]]
        assert column["missing_fraction"] == pytest.approx(want["missing_fraction"])
        assert column["range_violation_fraction"] == want["range_violation_fraction"]
        assert column["new_categories"] == want["new_categories"]
        assert column["new_category_fraction"] == want["new_category_fraction"]
    assert got["freshness"] == expected["freshness"]
    assert got["volume"] == expected["volume"]
    # the same plots: one chart per test, with as many bars, the same categories, shares
    # within DISPLAY_TOLERANCE (the numeric charts' range is the engine's approximate
    # 0.5-99.5 % quantiles), the missing shares exactly
    html, want_html = (tmp_path / "out" / "monitor.html").read_text(), _memory_html(current)
    for tag in ("<svg", "<rect"):
        assert html.count(tag) == want_html.count(tag)
    charts, want_charts = _charts(html), _charts(want_html)
    assert len(charts) == len(want_charts) >= len(expected["drift"]["features"])
    for chart, want_chart in zip(charts, want_charts, strict=True):
        assert len(chart) == len(want_chart)
        for (label, who, share), (want_label, want_who, want_share) in zip(
            chart, want_chart, strict=True
        ):
            assert who == want_who
            if not _NUMBERS.search(want_label):  # a category, "(missing)", "(other)"
                assert label == want_label
            tolerance = 0.0 if label == "(missing)" else DISPLAY_TOLERANCE
            assert share == pytest.approx(want_share, abs=tolerance), (label, want_label)


DISPLAY_TOLERANCE = 0.02  # a share of rows per report bin
_NUMBERS = re.compile(r"\d\.\.|≤ |&gt; ")
_BAR = re.compile(r"<title>([^<]*): (reference|current) ([0-9.]+)%</title>")


def _charts(html: str) -> list[list[tuple[str, str, float]]]:
    """Every SVG chart of a report as its bars: (bin label, window, share)."""
    return [
        [(m[1], m[2], float(m[3]) / 100) for m in _BAR.finditer(svg)]
        for svg in html.split("<svg")[1:]
    ]


def _memory_html(current: Path) -> str:
    return (current.parent / "memory" / "monitor.html").read_text()


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_on_planted_windows(engine: str, tmp_path: Path) -> None:
    """Every feature of the planted windows: the engine's auto verdicts are the truth."""
    from mlruntime.steps.monitor import drift, streamed

    reference_path, current_path = planted.write_pair(
        tmp_path, 20_000, planted.REPORTED, planted.REPORTED_SEEDS
    )
    reference, current = streamed.aggregate_files(
        engine, reference_path, current_path,
        numeric=planted.NUMERIC, categorical=planted.CATEGORICAL,
    )  # fmt: skip
    drifted = {
        name
        for name, (kind, _) in planted.FEATURES.items()
        if drift.drift_test(
            name, name, "auto", 0.01, kind, reference, current, bins=10, show_unseen=True
        ).drifted
    }
    assert drifted == planted.DRIFTED


METHODS = ("auto", "ks", "psi", "jensen_shannon", "chi_squared", "wasserstein")
THRESHOLDS = {"auto": 0.01, "ks": 0.05, "psi": 0.2, "jensen_shannon": 0.1, "chi_squared": 0.05,
              "wasserstein": 0.1}  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_one_formulation_every_method_every_feature(engine: str, tmp_path: Path) -> None:
    """The engine's aggregates through the one drift formulation against the in-memory
    engine's exact counts on the same files: every method, every planted feature, plus a
    boolean column (labels ``True``/``False`` on every engine), time columns (as their
    Unix seconds: a shifted one, unchanged ones in nanoseconds and as dates)
    and a float category (labels written alike: ``1e+20``, never Spark's ``1.0E20``)."""
    import pyarrow.parquet as pq

    from mlruntime.steps.monitor import drift, streamed
    from mlruntime.steps.monitor.tables import read_window

    paths = []
    for role, seed, current in (("reference", 31, False), ("current", 32, True)):
        table = _with_extra_columns(
            planted.window(5_000, seed, planted.REPORTED, current=current), seed, current=current
        )
        pq.write_table(table, tmp_path / f"{role}.parquet")
        paths.append(tmp_path / f"{role}.parquet")
    categorical = (*planted.CATEGORICAL, "flag", "tier")
    numeric = (*planted.NUMERIC, *TIMES)
    reference, current = streamed.aggregate_files(
        engine, paths[0], paths[1], numeric=numeric, categorical=categorical
    )
    memory = read_window(paths[0], "reference"), read_window(paths[1], "current")
    kinds = {
        **{n: kind for n, (kind, _) in planted.FEATURES.items()},
        **dict.fromkeys(TIMES, "numeric"),
        "flag": "categorical",
        "tier": "categorical",
    }
    verdicts = {}
    for method in METHODS:
        threshold = THRESHOLDS[method]
        for name, kind in kinds.items():
            if kind == "categorical" and method in {"ks", "wasserstein"}:
                continue
            want = drift.drift_test(name, name, method, threshold, kind, *memory,
                                    bins=10, show_unseen=True)  # fmt: skip
            got = drift.drift_test(name, name, method, threshold, kind, reference, current,
                                   bins=10, show_unseen=True)  # fmt: skip
            where = f"{method} {name}"
            if method == "auto":
                verdicts[name] = got.drifted
            assert (got.reference_values, got.current_values) == (
                want.reference_values, want.current_values,
            ), where  # fmt: skip
            assert got.missing == want.missing, where
            assert len(got.histogram.labels) == len(want.histogram.labels), where
            if kind == "categorical":  # counted exactly: the same numbers and labels
                assert got.statistic == pytest.approx(want.statistic, rel=1e-9), where
                assert got.histogram == want.histogram, where
                assert got.drifted == want.drifted, where
                continue
            tolerance = KS_TOLERANCE if method in {"auto", "ks"} else BINNED_TOLERANCE
            if method in {"psi", "chi_squared"}:
                tolerance = 0.1 * max(abs(want.statistic), 0.1)  # a relative one
            if method == "wasserstein":  # the tails beyond the grid sit on its end points
                tolerance = max(BINNED_TOLERANCE, WASSERSTEIN_RELATIVE * want.statistic)
            assert got.statistic == pytest.approx(want.statistic, abs=tolerance), where
            if _clear(want, tolerance):  # not on the threshold: the same verdict
                assert got.drifted == want.drifted, where
    flag = drift.drift_test("flag", "flag", "auto", 0.01, "categorical", reference, current,
                            bins=10, show_unseen=True)  # fmt: skip
    assert {"True", "False"} <= set(flag.histogram.labels)
    tier = drift.drift_test("tier", "tier", "auto", 0.01, "categorical", reference, current,
                            bins=10, show_unseen=True)  # fmt: skip
    assert set(TIERS.values()) <= set(tier.histogram.labels)
    assert {n for n in TIMES if verdicts[n]} == {"signup"}  # the shifted one only
    signup = drift.drift_test("signup", "signup", "auto", 0.01, "numeric", reference, current,
                              bins=10, show_unseen=True)  # fmt: skip
    assert signup.histogram.labels[1].startswith("2024-"), signup.histogram.labels


# a shifted time; unchanged ones: UTC in nanoseconds (pandas' unit; Spark reads it as a
# number, turned back into a time), dates
TIMES = ("signup", "birth", "opened")
TIERS = {0.5: "0.5", 2.0: "2", 1e20: "1e+20", 1e-07: "1e-07", None: "(missing)"}


def _with_extra_columns(table: Any, seed: int, *, current: bool) -> Any:
    """The planted window plus a boolean, three time columns and a float category."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    rows = table.num_rows
    day = 86_400_000_000  # microseconds
    start = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
    signup = start + rng.integers(0, 180 * day, rows) + (25 * day if current else 0)
    birth = 473_385_600_000_000 + (rng.normal(0, 3650, rows) * day).astype(np.int64)  # ~1985
    opened = 19_000 + rng.integers(0, 365, rows)  # days since 1970
    tiers = rng.choice(np.array(list(TIERS), dtype=object), rows, p=[0.4, 0.3, 0.1, 0.1, 0.1])
    return (
        table.append_column("flag", pa.array(rng.random(rows) < (0.3 if current else 0.5)))
        .append_column("signup", pa.array(signup, pa.timestamp("us")))
        .append_column("birth", pa.array(birth * 1000, pa.timestamp("ns", tz="UTC")))
        .append_column("opened", pa.array(opened.astype(np.int32), pa.date32()))
        .append_column("tier", pa.array(list(tiers), pa.float64()))
    )


def _clear(result: Any, tolerance: float) -> bool:
    """Whether a verdict is far enough from its limits for binned statistics to agree."""
    p = result.p_value
    if p is not None and result.threshold / 3 < p < result.threshold * 3:
        return False
    limit = result.effect_floor if result.effect_floor is not None else result.threshold
    return result.method in {"ks", "chi_squared"} or abs(result.statistic - limit) > 2 * tolerance


@pytest.mark.parametrize("engine", ENGINES)
def test_last_window_and_labels_on_every_engine(
    shop: tuple[Path, Path, dict[str, Any]], engine: str, tmp_path: Path
) -> None:
    """--last-window and --labels: the engine's reports are the in-memory engine's."""
    import pandas as pd

    from tests.runtime.test_monitor_support import baskets

    template, _, _ = shop
    history = pd.concat(
        [
            baskets(3000, seed=5, start="2024-06-01", days=29),
            baskets(1000, seed=2, shift=frozenset({"channel"}), start="2024-07-01", days=1),
        ]
    )
    history["converted"] = history["converted"].astype("Int64")
    history.loc[history.index[-300:], "converted"] = pd.NA  # labels not there yet
    current = tmp_path / "history.parquet"
    history.to_parquet(current, index=False)
    memory = _monitor(template, current, tmp_path / "memory", "--last-window", "--labels")
    project = _with_engine(template, tmp_path / "shop", engine)
    got = _monitor(project, current, tmp_path / "engine", "--last-window", "--labels")
    assert memory["current"]["rows"] == 1000
    assert got["current"] == memory["current"]
    assert got["status"] == memory["status"]
    assert got["breaches"] == memory["breaches"]
    assert got["drift"]["drifted"] == memory["drift"]["drifted"] == ["channel"]
    assert any("1000 of 4000 rows" in n for n in got["notes"])
    want = memory["performance"]
    assert want["labelled_rows"] == 700
    assert got["performance"] == want
    assert got["volume"] == memory["volume"]
    assert got["freshness"] == memory["freshness"]


@pytest.mark.parametrize("engine", ENGINES)
def test_schema_checks_on_every_engine(
    shop: tuple[Path, Path, dict[str, Any]], engine: str, tmp_path: Path
) -> None:
    """Text that is not a time in a declared datetime column (missing, and reported), and
    missing times: the engine finds the same warnings, schema violations and missing
    shares as the in-memory one."""
    import pandas as pd

    template, _, _ = shop
    window = baskets(1000, seed=3, start="2024-07-01", days=1)
    window.loc[window.index[:20], "ts"] = None
    broken = window.copy()
    broken.loc[broken.index[50:55], "ts"] = "not a time"
    for name, frame in (("gaps", window), ("broken", broken)):
        current = tmp_path / f"{name}.parquet"
        pd.DataFrame(frame).to_parquet(current, index=False)
        memory = _monitor(template, current, tmp_path / f"memory-{name}")
        project = _with_engine(template, tmp_path / f"shop-{name}", engine)
        got = _monitor(project, current, tmp_path / f"engine-{name}")
        assert got["status"] == memory["status"], name
        assert got["errors"] == memory["errors"], name
        assert got["data_quality"] == memory["data_quality"], name  # violations, shares
        assert got["findings"] == memory["findings"], name
        assert (got["freshness"], got["volume"]) == (memory["freshness"], memory["volume"]), name
    warning = "current column 'ts': 5 values are not an ISO 8601 date or time (counted as missing)"
    assert warning in [f["message"] for f in got["findings"]]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_datetime_feature_held_as_text_on_every_engine(engine: str, tmp_path: Path) -> None:
    """A declared datetime feature held as ISO 8601 text (several spellings, a few values
    that are not times) in Parquet: the same verdicts, warnings and missing shares."""
    memory_project = make_signup_project(tmp_path / "memory")
    project = make_signup_project(tmp_path / "engine", engine=engine)
    for shift_days in (0.0, 60.0):
        current = tmp_path / f"current-{shift_days:g}.parquet"
        frame = baskets(1000, seed=7, start="2024-07-01", days=1)
        with_signup(frame, 7, shift_days=shift_days).to_parquet(current, index=False)
        memory = _monitor(memory_project, current, tmp_path / f"memory-{shift_days:g}")
        got = _monitor(project, current, tmp_path / f"engine-{shift_days:g}")
        assert memory["errors"] == got["errors"] == []
        assert got["status"] == memory["status"] == ("breach" if shift_days else "healthy")
        assert got["findings"] == memory["findings"]  # the values that are not times
        assert got["drift"]["drifted"] == memory["drift"]["drifted"]
        assert ("signup" in got["drift"]["drifted"]) is bool(shift_days)
        assert got["data_quality"] == memory["data_quality"]
        mine, theirs = (
            next(f for f in report["drift"]["features"] if f["feature"] == "signup")
            for report in (got, memory)
        )
        assert mine["current_values"] == theirs["current_values"] == 997
        assert mine["statistic"] == pytest.approx(theirs["statistic"], abs=BINNED_TOLERANCE)


@pytest.mark.parametrize("engine", ENGINES[1:])  # spark only: tables are its catalog's
def test_spark_reads_the_window_from_a_table(
    shop: tuple[Path, Path, dict[str, Any]], engine: str, tmp_path: Path
) -> None:
    """``--current table:NAME``: spark.table(NAME), the same report as the Parquet file."""
    from mlruntime.steps.monitor.engines import SparkEngine

    template, current, expected = shop
    project = _with_engine(template, tmp_path / "shop", engine)
    SparkEngine().session.read.parquet(str(current)).createOrReplaceTempView("shop_current")
    got = _monitor(project, Path("table:shop_current"), tmp_path / "out")
    assert got["status"] == expected["status"]
    assert got["breaches"] == expected["breaches"]
    assert got["drift"]["drifted"] == expected["drift"]["drifted"]
    assert got["current"]["rows"] == expected["current"]["rows"]
    missing = _monitor(project, Path("table:no_such_table"), tmp_path / "missing")
    assert any("no_such_table" in e for e in missing["errors"])


def test_a_table_window_needs_the_spark_engine(
    shop: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    template, _, _ = shop
    project = _with_engine(template, tmp_path / "shop", "duckdb")
    got = _monitor(project, Path("table:events"), tmp_path / "out")
    assert got["status"] == "error"
    assert any("monitoring.engine: spark" in e for e in got["errors"]), got["errors"]


def _corrupt_pages(good: Path, bad: Path) -> None:
    """``good`` with every data page overwritten: the footer (schema, rows) still reads, so
    the failure comes from Spark reading the rows."""
    data = bytearray(good.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    data[4 : len(data) - 8 - footer] = bytes(len(data) - 12 - footer)
    bad.write_bytes(bytes(data))


@pytest.mark.parametrize("engine", ENGINES[1:])  # the JVM's log: spark only
def test_spark_failure_is_one_line_without_the_jvm_log(
    shop: tuple[Path, Path, dict[str, Any]], engine: str, tmp_path: Path
) -> None:
    """A corrupt Parquet window read by a real local Spark, as a user runs it: mlproject's
    one-line error and exit 1, nothing from the JVM's log (no stack trace at ERROR, no
    start-up warnings); MLPROJECT_DEBUG=1 brings Spark's log back. The reference is corrupt
    too: the error names the current window, read first, so a corrupt window fails at its
    first query, not after every aggregate of the reference (each costs seconds on Spark)."""
    import os
    import subprocess
    import sys

    from mlcontract import pipeline_layout

    template, current, _ = shop
    project = _with_engine(template, tmp_path / "shop", engine)
    bad, bad_reference = tmp_path / "corrupt.parquet", tmp_path / "corrupt-reference.parquet"
    _corrupt_pages(current, bad)
    _corrupt_pages(project / pipeline_layout.TRAIN_SET, bad_reference)
    command = [sys.executable, "-m", "mlcli", "step", "monitor", "--project-dir", str(project),
               "--current", str(bad), "--reference", str(bad_reference),
               "--now", NOW_AFTER_REFERENCE]  # fmt: skip
    jvm = "WARNING: Using incubator modules"  # the JVM's own line, not a log (Spark 4)
    stderr = {}
    for debug in ("", "1"):
        env = {k: v for k, v in os.environ.items() if k != "MLPROJECT_DEBUG"}
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=600, check=False,
            env={**env, "MLPROJECT_DEBUG": debug} if debug else env,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        stderr[debug] = [line for line in done.stderr.splitlines() if not line.startswith(jvm)]
    assert len(stderr[""]) == 1, "\n".join(stderr[""])
    line = stderr[""][0]
    assert line.startswith(
        f"mlproject step monitor: error: the spark engine failed on the current window {bad}: "
        "[FAILED_READ_FILE"
    ), line
    assert str(bad_reference) not in line
    assert any(line.lstrip().startswith("at org.apache.spark") for line in stderr["1"])


def test_an_engine_error_names_the_window_it_read(
    shop: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    """DuckDB's own message for corrupt pages names no file: the error says which window
    failed; with both corrupt, the current one (read first)."""
    from mlcontract import pipeline_layout

    template, current, _ = shop
    project = _with_engine(template, tmp_path / "shop", "duckdb")
    bad, bad_reference = tmp_path / "corrupt.parquet", tmp_path / "corrupt-reference.parquet"
    _corrupt_pages(current, bad)
    _corrupt_pages(project / pipeline_layout.TRAIN_SET, bad_reference)
    cases = {
        "current": (bad, project / pipeline_layout.TRAIN_SET, bad),
        "reference": (current, bad_reference, bad_reference),
        "both": (bad, bad_reference, bad),
    }
    for case, (window, reference, named) in cases.items():
        got = _monitor(project, window, tmp_path / case, "--reference", str(reference))
        role = "reference" if named == bad_reference else "current"
        want = f"the duckdb engine failed on the {role} window {named}: "
        assert [e[: len(want)] for e in got["errors"]] == [want], (case, got["errors"])
