"""Runtime step ``gate``: thresholds, baseline and champion, each direction-aware."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcontract import pipeline_layout as layout
from tests.runtime.test_runtime_support import (
    REGRESSION_SPEC,
    binary_project,
    make_project,
    run_step,
    set_params,
)


@pytest.fixture
def evaluated(tmp_path: Path) -> Path:
    """A binary project with metrics already computed (the gate reads only those)."""
    project = binary_project(tmp_path / "p")
    project.joinpath("metrics").mkdir()
    (project / layout.METRICS_MODEL).write_text(
        json.dumps({"roc_auc": 0.8, "brier": 0.15, "accuracy": 0.82, "log_loss": None})
    )
    (project / layout.METRICS_BASELINE).write_text(json.dumps({"roc_auc": 0.5, "brier": 0.2}))
    return project


def _report(project: Path) -> dict[str, object]:
    data = json.loads((project / layout.GATE_REPORT).read_text())
    assert isinstance(data, dict)
    return data


def _checks(project: Path) -> list[dict[str, object]]:
    checks = _report(project)["checks"]
    assert isinstance(checks, list)
    return checks


def test_failed_threshold_fails_with_a_table(evaluated: Path) -> None:
    set_params(evaluated, "gate.thresholds", {"roc_auc": {"minimum": 0.85}})
    result = run_step(evaluated, "gate", code=1)
    assert "threshold      roc_auc  0.8    >= 0.85" in result.stdout
    assert "-0.05" in result.stdout and "FAIL" in result.stdout
    assert "1 of 3 checks failed: threshold roc_auc short by 0.05" in result.stderr
    report = _report(evaluated)
    assert report[layout.GATE_PASSED] is False and report["failures"] == 1


def test_maximum_thresholds_are_upper_bounds(evaluated: Path) -> None:
    set_params(evaluated, "gate.thresholds", {"brier": {"maximum": 0.1, "minimum": 0.0}})
    run_step(evaluated, "gate", code=1)
    by_comparison = {c["comparison"]: c for c in _checks(evaluated) if c["check"] == "threshold"}
    assert by_comparison["<="]["status"] == "fail"
    assert by_comparison["<="]["difference"] == pytest.approx(-0.05)
    assert by_comparison[">="]["status"] == "pass"


def test_undefined_and_uncomputed_metrics_fail(evaluated: Path) -> None:
    set_params(evaluated, "gate.thresholds", {"log_loss": {"maximum": 1.0}, "f1": {"minimum": 0.1}})
    run_step(evaluated, "gate", code=1)
    reasons = {c["metric"]: c["reason"] for c in _checks(evaluated) if c["check"] == "threshold"}
    assert reasons == {
        "f1": "not computed by evaluate: add it to evaluation.metrics",
        "log_loss": "undefined on test set",
    }


def test_baseline_margin(evaluated: Path) -> None:
    set_params(evaluated, "gate.beat_baseline.margin", 0.35)
    run_step(evaluated, "gate", code=1)
    check = next(c for c in _checks(evaluated) if c["check"] == "beat_baseline")
    assert check["required"] == 0.85 and check["difference"] == pytest.approx(-0.05)
    assert check["reason"] == "baseline 0.5"
    set_params(evaluated, "gate.beat_baseline.margin", 0.3)
    run_step(evaluated, "gate")  # exactly on the margin passes


@pytest.mark.parametrize(
    ("champion", "code", "status"),
    [(0.79, 0, "pass"), (0.795, 1, "fail"), (None, 0, "skipped")],
)
def test_champion_comparison(
    evaluated: Path, tmp_path: Path, champion: float | None, code: int, status: str
) -> None:
    path = tmp_path / "champion.json"
    path.write_text(json.dumps({"roc_auc": champion}))
    run_step(evaluated, "gate", "--champion-metrics", str(path), code=code)
    check = next(c for c in _checks(evaluated) if c["check"] == "beat_champion")
    assert check["status"] == status
    if champion is None:
        assert check["reason"] == "skipped: the champion has no value for roc_auc"


@pytest.mark.parametrize(
    ("champion", "challenger", "code", "status"),
    [(0.9, 0.95, 0, "pass"), (0.6, 0.6, 1, "fail")],
)
def test_champion_scored_on_the_same_rows_is_compared_with_the_challengers_score_there(
    evaluated: Path, tmp_path: Path, champion: float, challenger: float, code: int, status: str
) -> None:
    """After a re-split `mlproject champion` scores both models on the same rows: that pair counts.

    The model's own metrics/model.json value (measured on all test rows) would give the
    other verdict in both cases.
    """
    path = tmp_path / "champion.json"
    path.write_text(json.dumps({"roc_auc": champion, "challenger.roc_auc": challenger}))
    run_step(evaluated, "gate", "--champion-metrics", str(path), code=code)
    check = next(c for c in _checks(evaluated) if c["check"] == "beat_champion")
    assert (check["status"], check["value"]) == (status, challenger)
    assert check["reason"] == f"champion {champion} (both on the test rows it did not train on)"


def test_absent_champion_file_means_no_champion(evaluated: Path) -> None:
    result = run_step(evaluated, "gate", "--champion-metrics", "build/champion/metrics.json")
    assert "skipped: no champion (build/champion/metrics.json does not exist)" in result.stdout


def test_empty_champion_metrics_mean_no_champion(evaluated: Path) -> None:
    """``mlproject champion`` writes ``{}`` when nothing is in production yet."""
    (evaluated / layout.CHAMPION_METRICS).write_text("{}\n")
    result = run_step(evaluated, "gate", "--champion-metrics", layout.CHAMPION_METRICS)
    check = next(c for c in _checks(evaluated) if c["check"] == "beat_champion")
    assert (check["status"], check["reason"]) == ("skipped", "skipped: no champion")
    assert "skipped: no champion" in result.stdout


def test_malformed_champion_metrics(evaluated: Path, tmp_path: Path) -> None:
    path = tmp_path / "champion.json"
    path.write_text('{"roc_auc": "high"}')
    result = run_step(evaluated, "gate", "--champion-metrics", str(path), code=1)
    assert "metric 'roc_auc' is not a number: 'high'" in result.stderr
    assert not (evaluated / layout.GATE_REPORT).exists()


def test_lower_is_better_metrics(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", REGRESSION_SPEC, {})
    project.joinpath("metrics").mkdir()
    (project / layout.METRICS_MODEL).write_text(json.dumps({"rmse": 9.0, "r2": 0.9}))
    (project / layout.METRICS_BASELINE).write_text(json.dumps({"rmse": 12.0, "r2": 0.0}))
    set_params(project, "gate.beat_baseline.margin", 2.0)
    run_step(project, "gate")
    set_params(project, "gate.beat_baseline.margin", 4.0)
    run_step(project, "gate", code=1)
    check = next(c for c in _checks(project) if c["check"] == "beat_baseline")
    assert (check["comparison"], check["required"], check["difference"]) == ("<=", 8.0, -1.0)
    champion = tmp_path / "champion.json"
    champion.write_text(json.dumps({"rmse": 9.4}))
    set_params(project, "gate.beat_baseline.margin", 0.0)
    set_params(project, "gate.beat_champion.margin", 0.5)
    run_step(project, "gate", "--champion-metrics", str(champion), code=1)  # margin 0.5 missed
    champion.write_text(json.dumps({"rmse": 9.6}))
    run_step(project, "gate", "--champion-metrics", str(champion))
