"""Bad input to ``mlproject step monitor``: an error result and exit 1, never a false "healthy"."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcontract import monitoring_contract as contract
from tests.runtime.test_monitor_support import (
    NOW_AFTER_REFERENCE,
    baskets,
    copy_project,
    make_project,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("shop") / "shop", reference_rows=2000)


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    return copy_project(template, tmp_path / "shop")


def good() -> pd.DataFrame:
    return baskets(500, seed=2, start="2024-07-01", days=1)


def run(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--now", NOW_AFTER_REFERENCE, *args],
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def assert_error(project: Path, code: int, output: str, *needles: str) -> dict[str, object]:
    assert code == contract.EXIT_ERROR, output
    payload: dict[str, object] = json.loads((project / contract.REPORT_JSON).read_text())
    assert payload["status"] == "error"
    assert payload["exit_code"] == contract.EXIT_ERROR
    errors = " | ".join(payload["errors"])  # type: ignore[arg-type]
    for needle in needles:
        assert needle in errors, errors
        assert needle in output
    return payload


def write(project: Path, frame: pd.DataFrame, name: str = "current.csv") -> str:
    path = project / name
    frame.to_csv(path, index=False)
    return str(path)


def test_missing_feature_column(project: Path) -> None:
    code, output = run(project, "--current", write(project, good().drop(columns=["amount"])))
    payload = assert_error(project, code, output, "current column 'amount': missing")
    drifted = payload["drift"]
    assert isinstance(drifted, dict)
    assert {d["feature"] for d in drifted["features"]} == {"channel", "country", "items", "score"}


def test_every_problem_is_reported_at_once(project: Path) -> None:
    frame = good().drop(columns=["amount", "items"])
    code, output = run(project, "--current", write(project, frame))
    assert_error(project, code, output, "column 'amount': missing", "column 'items': missing")


def test_wrong_type(project: Path) -> None:
    frame = good()
    frame["amount"] = "lots"
    code, output = run(project, "--current", write(project, frame))
    assert_error(project, code, output, "current column 'amount': declared float, stored as string")


def test_integer_column_holding_fractions(project: Path) -> None:
    frame = good()
    frame["items"] = frame["items"] + 0.5
    code, output = run(project, "--current", write(project, frame))
    assert_error(project, code, output, "column 'items': declared integer, holds fractions")


def test_timestamp_that_is_not_a_time(project: Path) -> None:
    frame = good()
    frame["ts"] = "yesterday"
    code, output = run(project, "--current", write(project, frame))
    assert_error(project, code, output, "column 'ts': declared datetime")


def test_timestamp_in_a_local_date_format(project: Path) -> None:
    """Dates written 07/01/2024 14:30 are dates, just not ISO 8601: the error says which
    spelling the monitor reads rather than that the column holds no date."""
    frame = good()
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.strftime("%m/%d/%Y %H:%M")
    code, output = run(project, "--current", write(project, frame))
    assert_error(
        project, code, output, "column 'ts': declared datetime, holds text that is not an ISO 8601"
    )


def test_a_csv_separated_by_semicolons(project: Path) -> None:
    """A spreadsheet's CSV export with ';' reads as one column: one error saying so,
    not a 'missing' error for every declared column."""
    path = project / "current.csv"
    good().to_csv(path, index=False, sep=";")
    code, output = run(project, "--current", str(path))
    payload = assert_error(project, code, output, "fields look separated by ';'")
    assert not any("missing" in e for e in payload["errors"])  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["current.csv", "current.parquet"])
def test_an_empty_current_window_is_a_volume_breach_not_an_error(project: Path, name: str) -> None:
    """A window with its header and no row (the data flow ran, nothing arrived) was an
    error: exit 1, no gauge but the run's, the 'monitor stopped' alert instead of the
    volume one. Now a volume and freshness breach, no drift verdict, and no quality
    breach: with no row nothing is missing (it read 100 % missing per column before)."""
    empty = good().iloc[:0]
    path = project / name
    if name.endswith(".parquet"):
        empty.to_parquet(path, index=False)
    else:
        empty.to_csv(path, index=False)
    code, output = run(project, "--current", str(path))
    assert code == contract.EXIT_BREACH, output
    payload = json.loads((project / contract.REPORT_JSON).read_text())
    assert payload["status"] == "breach" and payload["errors"] == []
    assert payload["current"]["rows"] == 0 and payload["volume"]["rows"] == 0
    assert [k for k, on in payload["breaches"].items() if on] == ["freshness", "volume"]
    assert "0 rows" in output and "missing" not in output
    prom = (project / contract.TEXTFILE).read_text()
    assert f'{contract.BREACH}{{project="shop",model="shop",kind="volume"}} 1' in prom
    assert contract.DRIFT_SCORE + "{" not in prom


def test_an_empty_reference_window_is_an_error(project: Path) -> None:
    reference = write(project, good().iloc[:0], "reference.csv")
    code, output = run(project, "--current", write(project, good()), "--reference", reference)
    assert_error(project, code, output, "the reference window", "has no rows")


def test_empty_file(project: Path) -> None:
    (project / "empty.csv").write_bytes(b"")
    code, output = run(project, "--current", str(project / "empty.csv"))
    assert_error(project, code, output, "cannot be read")


# A feature whose values are all missing in the *current* window is a verdict, not an
# error: tests/runtime/test_monitor.py::test_a_feature_all_missing_in_the_window_is_drift...


def test_all_missing_feature_in_reference(project: Path) -> None:
    reference = baskets(2000, seed=1)
    reference["score"] = float("nan")
    path = write(project, reference, "reference.csv")
    code, output = run(project, "--reference", path, "--current", write(project, good()))
    assert_error(project, code, output, "feature 'score' has no values in the reference")


def test_reference_that_does_not_exist(project: Path) -> None:
    code, output = run(
        project, "--reference", "nowhere.parquet", "--current", write(project, good())
    )
    assert_error(project, code, output, "reference data nowhere.parquet does not exist")


def test_training_reference_not_built(project: Path) -> None:
    (project / "build" / "split" / "train.parquet").unlink()
    code, output = run(project, "--reference", "training", "--current", write(project, good()))
    assert_error(project, code, output, "reference 'training' not found", "dvc repro")


def test_training_reference_split_before_a_column_was_renamed(project: Path) -> None:
    """The spec renamed a feature (and the data with it) but `dvc repro` has not run yet:
    the training split still holds the old name. The error says where the reference
    comes from and what rebuilds it."""
    split = project / "build" / "split" / "train.parquet"
    pd.read_parquet(split).rename(columns={"amount": "old_amount"}).to_parquet(split)
    code, output = run(project, "--current", write(project, good()))
    assert_error(
        project,
        code,
        output,
        "reference column 'amount': missing (the monitor needs it)",
        "build/split/train.parquet was split before the spec declared it: run `dvc repro`",
    )


def test_current_that_does_not_exist(project: Path) -> None:
    code, output = run(project, "--current", str(project / "missing.csv"))
    assert_error(project, code, output, "current data", "does not exist")
    assert "monitor: error - no verdict (the error below); reports in " in output
    assert "drift tests drifted" not in output


def test_unknown_format(project: Path) -> None:
    (project / "current.txt").write_text("a,b\n1,2\n")
    code, output = run(project, "--current", str(project / "current.txt"))
    assert_error(project, code, output, "unknown format")


def test_corrupt_parquet(project: Path) -> None:
    (project / "current.parquet").write_bytes(b"PAR1 this is not parquet")
    code, output = run(project, "--current", str(project / "current.parquet"))
    assert_error(project, code, output, "cannot be read")


def test_labels_without_a_target_column(project: Path) -> None:
    frame = good().drop(columns=["converted"])
    code, output = run(project, "--current", write(project, frame), "--labels")
    assert_error(project, code, output, "current column 'converted': missing")


def test_target_may_be_absent_without_labels(project: Path) -> None:
    code, output = run(project, "--current", write(project, good().drop(columns=["converted"])))
    assert code == contract.EXIT_HEALTHY, output


def test_named_prediction_column_that_is_absent(project: Path) -> None:
    code, output = run(project, "--current", write(project, good()), "--predictions-col", "p_hat")
    assert_error(project, code, output, "no prediction column 'p_hat'")


def test_label_metric_needs_scores(project: Path) -> None:
    frame = good()
    frame["prediction"] = (frame["prediction"] > 0.5).astype(int)
    code, output = run(project, "--current", write(project, frame), "--labels")
    assert_error(project, code, output, "roc_auc needs scores")


def test_project_not_compiled(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("a\n1\n")
    result = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(tmp_path), "--current", str(tmp_path / "c.csv")],
        catch_exceptions=False,
    )
    assert result.exit_code == contract.EXIT_ERROR
    assert "mlproject.compiled.json not found" in result.output


def test_bad_now_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--current", "x.csv", "--now", "soon"],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_an_error_run_replaces_a_previous_healthy_report(project: Path) -> None:
    code, _ = run(project, "--current", write(project, good()))
    assert code == contract.EXIT_HEALTHY
    code, output = run(project, "--current", write(project, good().drop(columns=["amount"])))
    assert_error(project, code, output, "missing")
    text = (project / contract.REPORT_MARKDOWN).read_text()
    assert "❌ error" in text
    assert "healthy" not in text


def test_labels_on_a_window_that_was_never_scored_says_how_to_score_it(project: Path) -> None:
    """A new user's labelled window holds the features and the label but no predictions
    yet: the error says how to get them (`step score`) instead of only what is missing."""
    window = good().drop(columns=["prediction"])
    code, output = run(project, "--current", write(project, window), "--labels")
    assert code == contract.EXIT_ERROR, output
    assert "--labels: the current window has no prediction column 'prediction'" in output
    assert "; score the window first: mlproject step score --input" in output
    assert "--predictions-col" in output
