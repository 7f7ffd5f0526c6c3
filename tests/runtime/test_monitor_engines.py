"""The duckdb and spark engines against the in-memory one: same verdicts, statistics
within stated tolerances, same reports (the shop project and the planted windows)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor import aggregates
from tests.runtime.test_monitor_support import NOW_AFTER_REFERENCE, baskets, make_project

KS_TOLERANCE = aggregates.KS_TOLERANCE  # binned vs raw KS distance
BINNED_TOLERANCE = 0.02  # psi / jensen_shannon / wasserstein from fine bins vs raw values

ENGINES = [
    "duckdb",
    pytest.param(
        "spark",
        marks=[
            pytest.mark.slow,  # a JVM and Spark local mode: tens of seconds
            pytest.mark.skipif(
                importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
                reason="pyspark (the spark extra) and Java 17+ are needed for the spark engine",
            ),
        ],
    ),
]


def _with_engine(project: Path, engine: str) -> None:
    spec = project / "mlproject.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("monitoring:\n", f"monitoring:\n  engine: {engine}\n", 1))
    done = CliRunner().invoke(
        cli, ["compile", str(spec), "--root", str(project)], catch_exceptions=False
    )
    assert done.exit_code == 0, done.output


def _monitor(project: Path, current: Path, out: Path) -> dict[str, Any]:
    done = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--current", str(current),
         "--now", NOW_AFTER_REFERENCE, "--out-dir", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code in (0, 10), done.output
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
    project = tmp_path / "shop"
    shutil.copytree(template, project)
    _with_engine(project, engine)
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
    assert got["freshness"] == expected["freshness"]
    assert got["volume"] == expected["volume"]
    # the same plots: one chart per test, with as many bars
    html, want_html = (tmp_path / "out" / "monitor.html").read_text(), _memory_html(current)
    for tag in ("<svg", "<rect"):
        assert html.count(tag) == want_html.count(tag)


def _memory_html(current: Path) -> str:
    return (current.parent / "memory" / "monitor.html").read_text()


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_on_planted_windows(engine: str, tmp_path: Path) -> None:
    """Every feature of the planted windows: the engine's auto verdicts are the truth."""
    from mlruntime.steps.monitor import drift_aggregated, engines

    reference_path, current_path = planted.write_pair(
        tmp_path, 20_000, planted.REPORTED, planted.REPORTED_SEEDS
    )
    runner = engines.open_engine(engine)
    try:
        reference, grids = engines.profile(
            runner, reference_path, "reference", numeric=planted.NUMERIC,
            categorical=planted.CATEGORICAL, ranges={}, timestamp=None, window_seconds=None,
        )  # fmt: skip
        current, _ = engines.profile(
            runner, current_path, "current", numeric=planted.NUMERIC,
            categorical=planted.CATEGORICAL, ranges={}, timestamp=None, window_seconds=None,
            grids=grids,
        )  # fmt: skip
    finally:
        runner.close()
    drifted = {
        name
        for name, (kind, _) in planted.FEATURES.items()
        if drift_aggregated.drift_test(
            name,
            name,
            "auto",
            0.01,
            kind,
            reference,
            current,
            grids.get(name),
            bins=10,
            show_unseen=True,
        ).drifted
    }
    assert drifted == planted.DRIFTED
