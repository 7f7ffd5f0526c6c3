"""A many-level category learnt from the reference: the reference holds a sample of the
levels, so each window has a few rows in rare levels it lacks. Those are reported only
when their share of the window's rows is above ``max_new_category_fraction``; a declared
``categories`` list stays strict. Same on every engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from compiler.spec.v1 import DataQuality
from mlcli.app import cli
from mlcontract import ir
from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor.quality import check_columns
from mlruntime.steps.monitor.result import MonitorResult
from mlruntime.steps.monitor.tables import Window
from tests.runtime.test_monitor_support import (
    NOW_AFTER_REFERENCE,
    SPARK_ENGINE,
    baskets,
    make_project,
)

LEVELS = [f"n{i:03d}" for i in range(200)]
ENGINES = [
    "memory",
    "duckdb",
    SPARK_ENGINE,
]


def _levels(n: int, seed: int) -> np.ndarray:
    """``n`` draws from 200 levels, a few common and a long tail of rare ones."""
    weights = 1.0 / np.arange(1, len(LEVELS) + 1)
    return np.random.default_rng(seed).choice(LEVELS, n, p=weights / weights.sum())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reference = baskets(4000, seed=1)
    reference["country"] = _levels(len(reference), seed=1)
    root = tmp_path_factory.mktemp("levels") / "shop"
    return make_project(root, new_categories="error", pii=False, reference=reference)


def _window(path: Path, unseen: dict[str, int], channel: str | None = None) -> Path:
    frame = baskets(1000, seed=2, start="2024-07-01", days=1)
    frame["country"] = _levels(len(frame), seed=2)
    row = 0
    for level, rows in unseen.items():
        frame.loc[frame.index[row : row + rows], "country"] = level
        row += rows
    if channel is not None:
        frame.loc[frame.index[-1], "channel"] = channel
    frame.to_parquet(path, index=False)
    return path


def _monitor(template: Path, tmp: Path, engine: str, current: Path) -> dict[str, Any]:
    project = tmp / "shop"
    shutil.copytree(template, project)
    spec = project / "mlproject.yaml"
    spec.write_text(spec.read_text().replace("monitoring:\n", f"monitoring:\n  engine: {engine}\n"))
    done = CliRunner().invoke(cli, ["compile", str(spec), "--root", str(project)])
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--current", str(current),
         "--now", NOW_AFTER_REFERENCE, "--out-dir", str(tmp / "out")],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code in (0, 10), done.output
    report: dict[str, Any] = json.loads((tmp / "out" / "monitor.json").read_text())
    return report


def _column(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c for c in report["data_quality"]["columns"] if c["column"] == name
    )
    return found


def _about(report: dict[str, Any], name: str) -> list[str]:
    return [f["message"] for f in report["findings"] if f"column '{name}'" in f["message"]]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_few_rows_in_rare_unseen_levels_are_not_reported(
    template: Path, tmp_path: Path, engine: str
) -> None:
    current = _window(tmp_path / "c.parquet", {"x001": 2, "x002": 1, "x003": 1})
    report = _monitor(template, tmp_path, engine, current)
    country = _column(report, "country")
    assert country["new_categories"] >= 3  # the three planted ones, maybe rare tail levels
    assert 0.004 <= country["new_category_fraction"] <= 0.01
    assert _about(report, "country") == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_level_in_five_percent_of_rows_is_reported(
    template: Path, tmp_path: Path, engine: str
) -> None:
    current = _window(tmp_path / "c.parquet", {"brand-new": 50})
    report = _monitor(template, tmp_path, engine, current)
    country = _column(report, "country")
    assert country["new_category_fraction"] >= 0.05
    (message,) = _about(report, "country")
    assert "never seen before" in message
    assert f"in {country['new_category_fraction']:.2%} of rows" in message
    assert "more than the 1.00% allowed" in message
    assert report["breaches"]["data_quality"]  # new_categories: error
    share = f"{country['new_categories']} in {country['new_category_fraction']:.2%} of rows"
    assert share in (tmp_path / "out" / "monitor.md").read_text()
    assert share in (tmp_path / "out" / "monitor.html").read_text()


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
def test_a_declared_list_stays_strict(template: Path, tmp_path: Path, engine: str) -> None:
    current = _window(tmp_path / "c.parquet", {}, channel="kiosk")  # 1 row in 1000
    report = _monitor(template, tmp_path, engine, current)
    channel = _column(report, "channel")
    assert (channel["new_categories"], channel["new_category_fraction"]) == (1, 0.001)
    (message,) = _about(report, "channel")
    assert "1 category never seen before, in 0.10% of rows" in message


def test_a_tolerance_of_zero_reports_any_unseen_level(template: Path, tmp_path: Path) -> None:
    strict = tmp_path / "strict"
    shutil.copytree(template, strict)
    spec = strict / "mlproject.yaml"
    spec.write_text(
        spec.read_text().replace(
            "    new_categories: error\n",
            "    new_categories: error\n    max_new_category_fraction: 0\n",
        )
    )
    current = _window(tmp_path / "c.parquet", {"x001": 1})
    report = _monitor(strict, tmp_path / "run", "memory", current)
    assert len(_about(report, "country")) == 1


@pytest.mark.parametrize(
    ("effects", "seeds"),
    [(planted.REPORTED, planted.REPORTED_SEEDS), (planted.TUNING, planted.TUNING_SEEDS)],
    ids=["reported", "tuning"],
)
def test_the_planted_new_level_is_still_reported_by_default(
    effects: planted.Effects, seeds: tuple[int, int]
) -> None:
    """The planted drift's new level (5 % and 4 % of rows) is above the default 1 %."""
    rows = 10_000
    reference = Window(
        "reference", Path("r"), planted.window(rows, seeds[0], effects, current=False)
    )
    current = Window("current", Path("c"), planted.window(rows, seeds[1], effects, current=True))
    default = DataQuality.model_validate({}).max_new_category_fraction
    quality = ir.DataQuality(
        max_missing_fraction=1.0,
        max_range_violations=1.0,
        schema_violations="warn",
        new_categories="warn",
        max_new_category_fraction=default,
        min_rows=1,
    )
    result = MonitorResult(project="planted", model="m", now=0.0)
    check_columns(quality, {}, [("new_category", True)], reference, current, result)
    (column,) = result.quality
    assert column.new_category_fraction == pytest.approx(effects.new_category_share, abs=0.01)
    (finding,) = result.findings
    assert finding.message.startswith("column 'new_category': 1 category never seen before")
