"""``mlproject step abtest``: textbook worked examples, decisions, bad logs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from mlcli.app import cli
from mlcontract import ir
from mlruntime.steps.abtest import analyse, two_proportion, welch
from tests.runtime.test_monitor_support import make_project

CONFIG = ir.AbTest(
    challenger_share=0.5,
    metric="conversion",
    metric_type="proportion",
    minimum_samples=100,
    significance=0.05,
    max_duration_seconds=14 * 86400,
)
START = pd.Timestamp("2024-07-01T00:00:00Z").timestamp()


# ── textbook worked examples ────────────────────────────────────────────────


def test_two_proportions_agresti_aspirin() -> None:
    """Physicians' Health Study (Agresti, An Introduction to Categorical Data Analysis, §2.2).

    Myocardial infarction: placebo 189 of 11034, aspirin 104 of 11037. Agresti:
    difference 0.0171 - 0.0094 = 0.0077, SE 0.0015, 95% CI (0.005, 0.011);
    Pearson X² = 25.01, and the pooled z-test is its square root.
    """
    effect = two_proportion(189, 11034, 104, 11037, alpha=0.05)  # challenger = aspirin
    assert effect.difference == pytest.approx(-0.0077, abs=5e-5)
    assert effect.ci_low == pytest.approx(-0.011, abs=5e-4)
    assert effect.ci_high == pytest.approx(-0.005, abs=5e-4)
    assert effect.statistic**2 == pytest.approx(25.01, abs=0.01)
    table = [[189, 11034 - 189], [104, 11037 - 104]]
    pearson = stats.chi2_contingency(table, correction=False)
    assert effect.statistic**2 == pytest.approx(pearson.statistic, rel=1e-9)
    assert effect.p_value == pytest.approx(pearson.pvalue, rel=1e-6)


def test_two_proportions_by_hand() -> None:
    """200/1000 vs 250/1000 conversions.

    pooled p = 450/2000 = 0.225; SE0 = sqrt(0.225 * 0.775 * (1/1000 + 1/1000)) = 0.018675;
    z = 0.05 / 0.018675 = 2.6774; two-sided p = 2 * (1 - Phi(2.6774)) = 0.00742.
    Wald SE = sqrt(0.2*0.8/1000 + 0.25*0.75/1000) = 0.018641; 95% CI 0.05 ± 1.96 * 0.018641
    = (0.0135, 0.0865).
    """
    effect = two_proportion(200, 1000, 250, 1000, alpha=0.05)
    assert effect.statistic == pytest.approx(2.6774, abs=1e-4)
    assert effect.p_value == pytest.approx(0.00742, abs=1e-5)
    assert effect.ci_low == pytest.approx(0.0135, abs=1e-4)
    assert effect.ci_high == pytest.approx(0.0865, abs=1e-4)
    assert effect.relative == pytest.approx(0.25)


A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]


def test_welch_worked_example() -> None:
    """Wikipedia, "Welch's t-test", example 1: t = -2.46, nu = 25.0, p = 0.021 (A1 - A2)."""
    effect = welch(np.array(A1), np.array(A2), alpha=0.05)  # challenger = A2
    assert effect.statistic == pytest.approx(2.46, abs=5e-3)
    assert effect.df == pytest.approx(25.0, abs=0.05)
    assert effect.p_value == pytest.approx(0.021, abs=5e-4)
    reference = stats.ttest_ind(A2, A1, equal_var=False)
    assert effect.statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert effect.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    interval = reference.confidence_interval(0.95)
    assert effect.ci_low == pytest.approx(interval.low, rel=1e-9)
    assert effect.ci_high == pytest.approx(interval.high, rel=1e-9)


def test_welch_with_zero_variance_stays_json_safe() -> None:
    effect = welch(np.ones(20), np.ones(20) * 2, alpha=0.05)
    assert effect.p_value == 0.0
    assert effect.statistic == float("inf")


# ── decisions ───────────────────────────────────────────────────────────────


def log(
    champion: tuple[int, int], challenger: tuple[int, int], days: float = 3.0
) -> dict[str, object]:
    """(successes, n) per arm, spread over ``days`` from START."""
    variants, outcomes = [], []
    for name, (x, n) in (("champion", champion), ("challenger", challenger)):
        variants += [name] * n
        outcomes += [1.0] * x + [0.0] * (n - x)
    total = len(variants)
    return {
        "variant": np.array(variants, dtype=object),
        "outcome": np.array(outcomes),
        "version": np.array(["v1" if v == "champion" else "v2" for v in variants], dtype=object),
        "pending": 0,
        "start": START if total else None,
    }


@pytest.mark.parametrize(
    ("champion", "challenger", "days", "decision", "reason"),
    [
        ((20, 90), (40, 300), 3, "continue", "fewer than minimum_samples=100"),
        ((20, 90), (40, 300), 15, "keep_champion", "max_duration reached"),
        ((200, 1000), (250, 1000), 3, "promote_challenger", "the challenger is better"),
        ((250, 1000), (200, 1000), 3, "keep_champion", "the challenger is worse"),
        ((200, 1000), (210, 1000), 3, "continue", "no significant difference yet"),
        ((200, 1000), (210, 1000), 14, "keep_champion", "within max_duration"),
    ],
)
def test_decisions(
    champion: tuple[int, int],
    challenger: tuple[int, int],
    days: float,
    decision: str,
    reason: str,
) -> None:
    result = analyse(CONFIG, log(champion, challenger), START + days * 86400)
    assert result.decision == decision
    assert reason in result.reason


def test_lower_is_better_for_a_known_loss_metric() -> None:
    config = replace(CONFIG, metric="mae", metric_type="mean")
    data = log((0, 200), (0, 200))
    rng = np.random.default_rng(0)
    data["outcome"] = np.concatenate([rng.normal(10, 2, 200), rng.normal(9, 2, 200)])
    result = analyse(config, data, START + 86400)
    assert result.direction == "lower"
    assert result.decision == "promote_challenger"


# ── the command ─────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("shop") / "shop", reference_rows=200)


def frame(champion: tuple[int, int], challenger: tuple[int, int]) -> pd.DataFrame:
    rows = []
    for variant, version, (x, n) in (
        ("champion", "shop@v1.0.0", champion),
        ("challenger", "shop@v1.1.0", challenger),
    ):
        for i in range(n):
            rows.append((version, variant, int(i < x), f"2024-07-0{1 + i % 3}T12:00:00"))
    return pd.DataFrame(rows, columns=["model_version", "variant", "outcome", "timestamp"])


def run(
    project: Path, data: pd.DataFrame | None, *args: str, name: str = "log.csv"
) -> tuple[int, str]:
    path = project / name
    if data is not None:
        if name.endswith(".parquet"):
            data.to_parquet(path, index=False)
        else:
            data.to_csv(path, index=False)
    result = CliRunner().invoke(
        cli,
        ["step", "abtest", "--project-dir", str(project), "--log", str(path), *args],
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_cli_json(project: Path) -> None:
    code, output = run(
        project,
        frame((200, 1000), (250, 1000)),
        "--now",
        "2024-07-05T00:00:00Z",
        "--format",
        "json",
        name="log.parquet",
    )
    assert code == 0, output
    payload = json.loads(output)
    assert payload["decision"] == "promote_challenger"
    assert payload["champion"]["model_version"] == "shop@v1.0.0"
    assert payload["challenger"]["n"] == 1000
    assert payload["effect"]["test"] == "two-proportion z-test"
    assert payload["effect"]["p_value"] == pytest.approx(0.00742, abs=1e-5)
    assert payload["confidence_level"] == 0.95
    assert payload["started_at"] == "2024-07-01T12:00:00Z"


def test_cli_text_and_pending_outcomes(project: Path) -> None:
    data = frame((20, 50), (25, 50))
    data["outcome"] = data["outcome"].astype("Int64")
    data.loc[data.index[:5], "outcome"] = pd.NA
    code, output = run(project, data, "--now", "2024-07-05T00:00:00Z")
    assert code == 0, output
    assert output.startswith("decision: continue\n")
    assert "fewer than minimum_samples=100" in output


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.drop(columns=["variant"]), "missing column(s) variant"),
        (lambda d: d.assign(variant="treatment"), "variant must be champion or challenger"),
        (lambda d: d.assign(outcome=2), "every outcome must be 0 or 1"),
        (lambda d: d.assign(outcome="yes"), "outcome must be numeric"),
        (lambda d: d.iloc[:0], "has no rows"),
        (lambda d: d.assign(model_version=[f"v{i % 2}" for i in range(len(d))]), "model versions"),
        (lambda d: d.assign(timestamp="someday"), "not an ISO 8601"),
    ],
)
def test_bad_logs(project: Path, mutate: object, message: str) -> None:
    data = mutate(frame((5, 10), (5, 10)))  # type: ignore[operator]
    code, output = run(project, data)
    assert code == 1
    assert message in output


def test_a_log_without_the_columns_says_what_each_holds(project: Path) -> None:
    """A first log names its columns after the user's words (arm, the metric's name): the
    error lists what is missing, and the hint what each column holds (the help too)."""
    data = frame((5, 10), (5, 10)).rename(columns={"outcome": "converted"})
    code, output = run(project, data)
    assert code == 1
    assert "missing column(s) outcome" in output
    assert "hint: the log has one row per prediction: model_version, variant (champion" in output
    assert "empty until known) and timestamp (ISO 8601)" in output
    shown = CliRunner().invoke(cli, ["step", "abtest", "--help"]).output
    assert "variant (champion or challenger), outcome" in " ".join(shown.split())


def test_missing_log(project: Path) -> None:
    code, output = run(project, None, name="absent.csv")
    assert code == 1
    assert "does not exist" in output


def test_spec_without_ab_test(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", reference_rows=100)
    config = root / "mlproject.compiled.json"
    payload = json.loads(config.read_text())
    payload["ab_test"] = None
    config.write_text(json.dumps(payload))
    code, output = run(root, frame((5, 10), (5, 10)))
    assert code == 1
    assert "no experiments.ab_test" in output
